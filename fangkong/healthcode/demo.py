"""Health codes for the demo district: every resident's colour computed from the demo's facts, one override
waiting for approval and one in force, a district-wide "green only" policy for organisation places, and
printed pass cards for the oldest residents (no phone of their own)."""

from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.passes.models import PlaceKind
from fangkong.people.models import Person

from . import passcode, services
from .models import Colour, ColourRequirement, HealthStatus, Override, OverrideReason, PlacePolicy


def build(district, rng, users):
    """`users` is the demo's [(user, role)]. Idempotent: a district that has overrides is left as it is."""
    ids = list(Person.objects.in_area(district).values_list("pk", flat=True))
    services.recompute(ids)
    by_role = {}
    for user, role in users:
        by_role.setdefault(role, user)
    admin = by_role[Role.DISTRICT_ADMIN]
    requester = by_role.get(Role.SUBDISTRICT_OFFICER) or by_role.get(Role.COMMUNITY_WORKER)
    if not PlacePolicy.objects.filter(area=district, kind=PlaceKind.ORGANISATION).exists():
        services.save_policy(None, user=admin, name="机关单位仅限绿码通行", area=district,
                             kind=PlaceKind.ORGANISATION, colour=ColourRequirement.GREEN, no_sealed_zone=True,
                             starts_on=timezone.localdate())
    if requester is None or Override.objects.filter(person__area__path__startswith=district.path).exists():
        return
    worker = by_role.get(Role.COMMUNITY_WORKER) or admin
    oldest = Person.objects.visible_to(worker).filter(birth_date__isnull=False).order_by("birth_date", "pk")[:5]
    for person in oldest:
        passcode.issue_card(person, user=worker)
    scope = Person.objects.visible_to(requester)
    statuses = HealthStatus.objects.filter(person__in=scope)
    red = list(statuses.filter(colour=Colour.RED).values_list("person_id", flat=True)[:50])
    green = list(statuses.filter(colour=Colour.GREEN).values_list("person_id", flat=True)[:50])
    if not red or not green:
        return
    approved = services.request_override(
        Person.objects.get(pk=rng.choice(red)), colour=Colour.GREEN, reason=OverrideReason.DATA_ERROR,
        note="排查登记时证件号录入错误，已与协查单位核实，非本人", days=7, user=requester)
    services.request_override(
        Person.objects.get(pk=rng.choice(green)), colour=Colour.YELLOW, reason=OverrideReason.OFFICIAL_NOTICE,
        note="市指挥部协查函（2026）118号：与阳性病例同乘一车次", days=7, user=requester)
    services.approve(approved, admin, "已电话核实协查单位，同意")
