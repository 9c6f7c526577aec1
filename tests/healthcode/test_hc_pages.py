"""Rules and place-policy pages: officers read, district admins edit; bad input is refused next to the field."""

from django.utils import timezone

from fangkong.healthcode.models import PlacePolicy, Rule
from fangkong.passes.models import PlaceKind
from tests import viewtests


class TestRulePages(viewtests.PermissionTests):
    refused = "officer"  # reads the rules, district admins edit them
    refused_requests = [("POST", "/health-code/rules/", {"colour": "red"})]


class TestPolicyPages(viewtests.PermissionTests):
    refused = "worker_a"  # sees nothing to edit
    refused_requests = ["/health-code/policies/new/"]


def test_officers_read_the_rules_and_district_admins_edit_them(district, users, client_for):
    rule = Rule.objects.get(fact="declared:symptoms")
    page = client_for(users.officer).get("/health-code/rules/")
    assert page.status_code == 200 and "申报有发热、咳嗽等症状" in page.content.decode()
    assert 'name="colour"' not in page.content.decode()
    admin = client_for(users.admin)
    bad = admin.post("/health-code/rules/", {"rule": rule.pk, "colour": "red", "days": "0", "active": "1"})
    assert bad.status_code == 400
    rule.refresh_from_db()
    assert (rule.colour, rule.days) == ("yellow", 14)
    good = admin.post("/health-code/rules/", {"rule": rule.pk, "colour": "red", "days": "7", "active": "1"})
    assert good.status_code == 302
    rule.refresh_from_db()
    assert (rule.colour, rule.days, rule.active) == ("red", 7, True)


def test_a_district_tightens_rules_in_one_step_with_an_area_wide_policy(district, users, client_for):
    admin = client_for(users.admin)
    assert admin.get("/health-code/policies/new/").status_code == 200
    today = timezone.localdate().isoformat()
    bad = admin.post("/health-code/policies/new/", {"name": "", "area": district.district.pk, "colour": "green",
                                                    "starts_on": today, "ends_on": "2000-01-01"})
    assert bad.status_code == 400 and "请填写名称" in bad.content.decode() and not PlacePolicy.objects.exists()
    done = admin.post("/health-code/policies/new/", {
        "name": "全区机关仅绿码+24小时核酸", "area": district.district.pk, "kind": PlaceKind.ORGANISATION,
        "colour": "green", "test_within_hours": "24", "no_sealed_zone": "on", "starts_on": today})
    assert done.status_code == 302
    policy = PlacePolicy.objects.get()
    assert (policy.kind, policy.test_within_hours, policy.created_by) == (PlaceKind.ORGANISATION, 24, users.admin)
    listing = client_for(users.leader).get("/health-code/policies/").content.decode()
    assert "全区机关仅绿码+24小时核酸" in listing and "生效中" in listing
    edit = admin.post(f"/health-code/policies/{policy.pk}/edit/", {
        "name": policy.name, "area": district.district.pk, "kind": PlaceKind.ORGANISATION, "colour": "green_yellow",
        "starts_on": today})
    assert edit.status_code == 302
    policy.refresh_from_db()
    assert (policy.colour, policy.test_within_hours) == ("green_yellow", None)
    # An officer cannot reach another subdistrict's area.
    officer = client_for(users.officer)
    refused = officer.post("/health-code/policies/new/", {"name": "越权", "area": district.subdistrict2.pk,
                                                         "colour": "green", "starts_on": today})
    assert refused.status_code == 400 and PlacePolicy.objects.count() == 1
