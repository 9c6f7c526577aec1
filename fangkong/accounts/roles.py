"""The default roles. Each is a Django group whose permissions an admin may adjust afterwards."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # The group name is the code, so roles survive a change of display language.
    DISTRICT_ADMIN = "district_admin", _("区级管理员")
    SUBDISTRICT_OFFICER = "subdistrict_officer", _("街道干部")
    COMMUNITY_WORKER = "community_worker", _("社区工作人员")
    GRID_WORKER = "grid_worker", _("网格员")
    CHECKPOINT_STAFF = "checkpoint_staff", _("卡点值守人员")
    ENTERPRISE_ADMIN = "enterprise_admin", _("企业管理员")
    INSPECTOR = "inspector", _("督查人员")
    LAB_STAFF = "lab_staff", _("检测/采样人员")
    LEADER = "leader", _("领导（只读）")
    ISOLATION_SITE_STAFF = "isolation_site_staff", _("隔离点工作人员")


VIEW_TERRITORY = ["territory.view_area", "territory.view_grid", "territory.view_compound",
                  "territory.view_building", "territory.view_unit", "territory.view_household"]
EDIT_HOUSEHOLDS = ["territory.add_household", "territory.change_household",
                   "territory.add_compound", "territory.change_compound", "territory.add_building",
                   "territory.change_building", "territory.add_unit", "territory.change_unit"]
EDIT_TERRITORY = ["territory.add_area", "territory.change_area", "territory.add_grid", "territory.change_grid",
                  "territory.import_territory"]
VIEW_PEOPLE = ["people.view_person"]
EDIT_PEOPLE = ["people.add_person", "people.change_person"]
FULL_NUMBERS = ["people.view_full_identity"]
EXPORT = ["people.export_person"]
VIEW_LEDGER = ["people.view_rental", "people.view_tenancy", "people.view_care", "people.view_visit"]
EDIT_LEDGER = ["people.add_rental", "people.change_rental", "people.add_tenancy", "people.change_tenancy",
               "people.add_care", "people.change_care", "people.add_visit"]
VIEW_SCREENING = ["screening.view_category", "screening.view_screening", "screening.view_dailyreport"]
FOLLOW_UP = VIEW_SCREENING + ["screening.add_screening", "screening.change_screening",
                              "screening.change_screening_state", "screening.add_followup"]
REPORT = ["people.import_person", "screening.submit_dailyreport", "screening.export_dailyreport",
          "screening.import_assistance"]
# 催报: district and subdistrict officers remind a community whose daily report is missing.
REMIND = ["screening.add_reportreminder", "screening.view_reportreminder"]
CONFIGURE_SCREENING = ["screening.add_category", "screening.change_category", "screening.delete_category"]
VIEW_PASSES = ["passes.view_place", "passes.view_passage", "passes.view_dutyshift"]
MANAGE_PLACES = VIEW_PASSES + ["passes.add_place", "passes.change_place", "passes.approve_place",
                               "passes.record_passage", "passes.export_passage", "passes.add_dutyshift",
                               "passes.change_dutyshift", "passes.delete_dutyshift"]

DEFAULT_PERMISSIONS = {
    Role.DISTRICT_ADMIN: VIEW_TERRITORY + EDIT_HOUSEHOLDS + EDIT_TERRITORY + VIEW_PEOPLE + EDIT_PEOPLE
    + FULL_NUMBERS + EXPORT + MANAGE_PLACES + VIEW_LEDGER + EDIT_LEDGER + FOLLOW_UP + REPORT + REMIND
    + CONFIGURE_SCREENING + [
        "people.delete_person", "territory.delete_household", "audit.view_auditevent",
        "accounts.view_user", "accounts.add_user", "accounts.change_user"],
    Role.SUBDISTRICT_OFFICER: VIEW_TERRITORY + EDIT_HOUSEHOLDS + EDIT_TERRITORY + VIEW_PEOPLE + EDIT_PEOPLE
    + FULL_NUMBERS + EXPORT + MANAGE_PLACES + VIEW_LEDGER + EDIT_LEDGER + FOLLOW_UP + REPORT + REMIND,
    Role.COMMUNITY_WORKER: VIEW_TERRITORY + EDIT_HOUSEHOLDS + VIEW_PEOPLE + EDIT_PEOPLE + FULL_NUMBERS + EXPORT
    + MANAGE_PLACES + VIEW_LEDGER + EDIT_LEDGER + FOLLOW_UP + REPORT,
    Role.GRID_WORKER: VIEW_TERRITORY + ["territory.change_household"] + VIEW_PEOPLE + EDIT_PEOPLE + VIEW_PASSES
    + VIEW_LEDGER + EDIT_LEDGER + FOLLOW_UP,
    # The station shows the passages of their own posts; the back office (view_passage) is not theirs.
    Role.CHECKPOINT_STAFF: ["territory.view_area", "passes.view_place", "passes.record_passage"],
    # An enterprise admin sees and edits only the places they manage (Place.managers, see PlaceQuerySet), their
    # posters and passages (names and numbers masked: no view_person), and registers new gates for review.
    Role.ENTERPRISE_ADMIN: ["territory.view_area", "passes.view_place", "passes.view_passage", "passes.add_place",
                            "passes.change_place"],
    # An inspector reads what an inspection checks: places and their state, passages (masked), the district's
    # daily report and health-code overview; never the key persons' names (no view_screening).
    Role.INSPECTOR: ["territory.view_area", "territory.view_compound", "passes.view_place", "passes.view_passage",
                     "screening.view_category", "screening.view_dailyreport", "healthcode.view_healthstatus"],
    Role.LAB_STAFF: ["territory.view_area"],
    Role.LEADER: VIEW_TERRITORY + VIEW_PEOPLE + VIEW_PASSES + VIEW_LEDGER + VIEW_SCREENING,
    Role.ISOLATION_SITE_STAFF: ["territory.view_area"],
}


# Health code: everyone who follows people up sees colours and may request an override; only district admins
# approve overrides (never their own) and tune the rules; officers set place policies for their area.
VIEW_HEALTHCODE = ["healthcode.view_healthstatus", "healthcode.view_rule", "healthcode.view_override",
                   "healthcode.view_placepolicy"]
REQUEST_OVERRIDE = VIEW_HEALTHCODE + ["healthcode.add_override"]
SET_POLICIES = ["healthcode.add_placepolicy", "healthcode.change_placepolicy"]
for _role, _extra in {
    Role.DISTRICT_ADMIN: REQUEST_OVERRIDE + SET_POLICIES + ["healthcode.approve_override", "healthcode.change_rule"],
    Role.SUBDISTRICT_OFFICER: REQUEST_OVERRIDE + SET_POLICIES,
    Role.COMMUNITY_WORKER: REQUEST_OVERRIDE,
    Role.GRID_WORKER: ["healthcode.view_healthstatus", "healthcode.view_rule"],
    Role.LEADER: VIEW_HEALTHCODE,
}.items():
    DEFAULT_PERMISSIONS[_role] = DEFAULT_PERMISSIONS[_role] + _extra


# Testing (核酸检测): officers run campaigns and follow coverage; lab / sampling staff fill tubes at their sites
# and import results; community and grid workers see coverage (their own scope) and register exemptions.
VIEW_TESTING = ["testing.view_campaign", "testing.view_site", "testing.view_coverage", "testing.view_retesttask"]
RUN_CAMPAIGNS = VIEW_TESTING + ["testing.add_campaign", "testing.change_campaign", "testing.add_site",
                                "testing.change_site", "testing.add_exemption", "testing.view_tube",
                                "testing.import_results"]
for _role, _extra in {
    Role.DISTRICT_ADMIN: RUN_CAMPAIGNS,
    Role.SUBDISTRICT_OFFICER: RUN_CAMPAIGNS,
    Role.COMMUNITY_WORKER: VIEW_TESTING + ["testing.add_exemption"],
    Role.GRID_WORKER: VIEW_TESTING,
    Role.LAB_STAFF: ["testing.view_campaign", "testing.view_site", "testing.view_tube", "testing.add_tube",
                     "testing.change_tube", "testing.add_sample", "testing.import_results",
                     "testing.view_retesttask"],
    Role.LEADER: VIEW_TESTING,
}.items():
    DEFAULT_PERMISSIONS[_role] = DEFAULT_PERMISSIONS[_role] + _extra


# Pass cards (通行卡) for residents without a smartphone: community staff and officers issue, print and revoke them.
PASS_CARDS = ["healthcode.view_passcard", "healthcode.add_passcard", "healthcode.change_passcard"]
for _role in (Role.DISTRICT_ADMIN, Role.SUBDISTRICT_OFFICER, Role.COMMUNITY_WORKER):
    DEFAULT_PERMISSIONS[_role] = DEFAULT_PERMISSIONS[_role] + PASS_CARDS


# Isolation (隔离管控): community and grid workers order and follow up isolations of their scope; district
# admins set the days per kind, run sites and approve early releases (never their own request); site staff
# (scoped to their site's area) receive transfers, allocate rooms, check people in and record temperatures.
VIEW_ISOLATION = ["isolation.view_isolationorder", "isolation.view_site", "isolation.view_room",
                  "isolation.view_monitoringcheck", "isolation.view_monitoringtask", "isolation.view_kinddefault",
                  "isolation.view_transferbatch"]
FOLLOW_ISOLATION = VIEW_ISOLATION + ["isolation.add_isolationorder", "isolation.change_isolationorder",
                                     "isolation.release_isolationorder", "isolation.add_monitoringcheck",
                                     "isolation.change_monitoringtask", "isolation.add_transferbatch"]
RUN_SITES = ["isolation.add_site", "isolation.change_site", "isolation.add_room", "isolation.change_room",
             "isolation.change_transferbatch"]
for _role, _extra in {
    Role.DISTRICT_ADMIN: FOLLOW_ISOLATION + RUN_SITES + ["isolation.change_kinddefault",
                                                         "isolation.approve_early_release"],
    Role.SUBDISTRICT_OFFICER: FOLLOW_ISOLATION + RUN_SITES + ["isolation.approve_early_release"],
    Role.COMMUNITY_WORKER: FOLLOW_ISOLATION,
    Role.GRID_WORKER: FOLLOW_ISOLATION,
    Role.ISOLATION_SITE_STAFF: VIEW_ISOLATION + ["isolation.change_isolationorder", "isolation.add_monitoringcheck",
                                                 "isolation.change_monitoringtask", "isolation.change_room",
                                                 "isolation.change_transferbatch"],
    Role.LEADER: VIEW_ISOLATION,
}.items():
    DEFAULT_PERMISSIONS[_role] = DEFAULT_PERMISSIONS[_role] + _extra


# Risk zones (封控区/管控区/防范区): officers draw, change and lift zones and approve exception passes; community and
# grid workers see them and run supply requests (保供) of their scope; district admins set the unlock rules.
VIEW_ZONES = ["zones.view_riskzone", "zones.view_exceptionpass", "zones.view_supplyrequest", "zones.view_unlockrule"]
RUN_SUPPLY = ["zones.add_supplyrequest", "zones.change_supplyrequest"]
MANAGE_ZONES = ["zones.add_riskzone", "zones.change_riskzone", "zones.lift_riskzone", "zones.add_exceptionpass"]
for _role, _extra in {
    Role.DISTRICT_ADMIN: VIEW_ZONES + RUN_SUPPLY + MANAGE_ZONES + ["zones.change_unlockrule"],
    Role.SUBDISTRICT_OFFICER: VIEW_ZONES + RUN_SUPPLY + MANAGE_ZONES,
    Role.COMMUNITY_WORKER: VIEW_ZONES + RUN_SUPPLY,
    Role.GRID_WORKER: VIEW_ZONES + RUN_SUPPLY,
    Role.LEADER: VIEW_ZONES,
}.items():
    DEFAULT_PERMISSIONS[_role] = DEFAULT_PERMISSIONS[_role] + _extra


# Enterprises (复工复产): an enterprise admin runs its own enterprise (roster, check-ins, application, problems);
# officers of the area register enterprises, review applications at their level, set closed loop and handle
# problems; district admins edit the reopening checklist.
VIEW_ENTERPRISES = ["enterprises.view_enterprise", "enterprises.view_employee", "enterprises.view_application",
                    "enterprises.view_problem", "enterprises.view_checkin"]
RUN_ENTERPRISE = VIEW_ENTERPRISES + ["enterprises.change_enterprise", "enterprises.add_employee",
                                     "enterprises.change_employee", "enterprises.add_checkin",
                                     "enterprises.add_application", "enterprises.change_application",
                                     "enterprises.add_problem"]
OVERSEE_ENTERPRISES = VIEW_ENTERPRISES + ["enterprises.add_enterprise", "enterprises.change_enterprise",
                                          "enterprises.import_enterprise", "enterprises.add_employee",
                                          "enterprises.change_employee", "enterprises.add_checkin",
                                          "enterprises.review_application", "enterprises.set_closed_loop",
                                          "enterprises.change_problem", "enterprises.add_delivery"]
# District admins and subdistrict officers keep the parks (园区) of their area.
RUN_PARKS = ["enterprises.view_park", "enterprises.add_park", "enterprises.change_park"]
for _role, _extra in {
    Role.DISTRICT_ADMIN: OVERSEE_ENTERPRISES + RUN_PARKS + ["enterprises.change_checklistitem",
                                                             "enterprises.add_checklistitem"],
    Role.SUBDISTRICT_OFFICER: OVERSEE_ENTERPRISES + RUN_PARKS,
    Role.COMMUNITY_WORKER: OVERSEE_ENTERPRISES,
    Role.ENTERPRISE_ADMIN: RUN_ENTERPRISE + ["enterprises.add_delivery"],
    Role.CHECKPOINT_STAFF: ["enterprises.add_delivery"],
    Role.LEADER: VIEW_ENTERPRISES,
}.items():
    DEFAULT_PERMISSIONS[_role] = DEFAULT_PERMISSIONS[_role] + _extra


# Tracing (流调): district admins and subdistrict officers trace cases, mark contacts and turn them into key persons
# under isolation; community and grid workers see the trace of their scope and close the tasks it hands them.
VIEW_TRACING = ["tracing.view_trace", "tracing.view_contact", "tracing.view_riskplace", "tracing.view_contacttask",
                "tracing.view_kindrule"]
TRACE = VIEW_TRACING + ["tracing.add_trace", "tracing.change_trace", "tracing.change_contact",
                        "tracing.act_on_contacts", "tracing.change_contacttask"]
for _role, _extra in {
    Role.DISTRICT_ADMIN: TRACE + ["tracing.change_kindrule", "tracing.change_riskpolicy"],
    Role.SUBDISTRICT_OFFICER: TRACE + ["tracing.change_riskpolicy"],
    Role.COMMUNITY_WORKER: VIEW_TRACING + ["tracing.change_contacttask"],
    Role.GRID_WORKER: ["tracing.view_contacttask", "tracing.change_contacttask"],
    Role.LEADER: VIEW_TRACING,
}.items():
    DEFAULT_PERMISSIONS[_role] = DEFAULT_PERMISSIONS[_role] + _extra


# Accounts: district admins and subdistrict officers run their area's accounts in the app (accounts.services).
for _role in (Role.DISTRICT_ADMIN, Role.SUBDISTRICT_OFFICER):
    DEFAULT_PERMISSIONS[_role] = DEFAULT_PERMISSIONS[_role] + ["accounts.manage_users"]

# Which roles an account manager may grant (and so whose holders they may manage): a district admin any,
# a subdistrict officer only the roles below their own, never a district admin or a fellow officer.
GRANTABLE_ROLES = {
    Role.DISTRICT_ADMIN: list(Role),
    Role.SUBDISTRICT_OFFICER: [role for role in Role if role not in (Role.DISTRICT_ADMIN, Role.SUBDISTRICT_OFFICER)],
}


def ensure_roles(sender=None, **kwargs):
    """Give each role's group the default permissions it has not been offered yet.

    A default an admin removed stays removed; one added in a new release reaches existing groups.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    from .models import OfferedPermission

    if sender is not None and sender.label != "accounts":
        return
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for role, perms in DEFAULT_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = {tuple(p.split(".")) for p in perms}
        found = Permission.objects.filter(content_type__app_label__in={a for a, _c in wanted},
                                          codename__in={c for _a, c in wanted}).select_related("content_type")
        offered = set(OfferedPermission.objects.filter(group=group).values_list("permission_id", flat=True))
        new = [p for p in found if (p.content_type.app_label, p.codename) in wanted and p.pk not in offered]
        group.permissions.add(*new)
        OfferedPermission.objects.bulk_create([OfferedPermission(group=group, permission=p) for p in new])
