"""The zones demo on top of the small demo district: one sealed compound, one controlled (eased from sealed) and
one precaution community with their timetable, exception passes, open and closed supply requests; once."""

import random
from io import StringIO

from django.core.management import call_command

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.territory.models import Area, AreaLevel
from fangkong.zones import demo
from fangkong.zones.models import ExceptionPass, RiskZone, SupplyRequest, SupplyState, ZoneChange


def test_the_demo_builds_zones_once(db):
    call_command("demo_district", "--size", "small", stdout=StringIO())
    district = Area.objects.get(level=AreaLevel.DISTRICT, name="东湖示范区")
    users = [(user, Role(user.groups.get().name)) for user in User.objects.filter(groups__isnull=False)]
    demo.build(district, random.Random(7), users)
    assert sorted(RiskZone.objects.values_list("kind", flat=True)) == ["controlled", "precaution", "sealed"]
    assert ZoneChange.objects.filter(from_kind="sealed", to_kind="controlled").count() == 1
    assert all(zone.planned_lift_on for zone in RiskZone.objects.all())
    assert ExceptionPass.objects.count() == 2
    states = set(SupplyRequest.objects.values_list("state", flat=True))
    assert {SupplyState.OPEN, SupplyState.TAKEN, SupplyState.CLOSED} <= states
    assert SupplyRequest.objects.filter(urgent=True).exists()
