"""Risk zones in the demo district: a sealed compound, a controlled compound (sealed first, then eased) and a
precaution community with their timetable, exception passes, and open and closed supply requests. Built through
the services (audited), once."""

import datetime

from django.utils import timezone

from fangkong.people.models import Person
from fangkong.territory.models import Compound

from . import services
from .models import OutRule, PassKind, RiskZone, SupplyKind, SupplyRequest, ZoneChange, ZoneKind


def _ago(days=0, hours=0):
    return timezone.now() - datetime.timedelta(days=days, hours=hours)


def build(district, rng, users):
    if RiskZone.objects.in_area(district).exists():
        return
    by_role = {user.username: user for user, _role in users}  # the demo's accounts by name
    officer, admin = by_role["subdistrict_officer"], by_role["district_admin"]
    community = by_role["community_worker"].area
    other = by_role["community_worker2"].area
    compounds = list(Compound.objects.filter(area=community).order_by("pk")[:2])
    if len(compounds) < 2:
        return
    sealed = services.create_zone(user=officer, kind=ZoneKind.SEALED, name=f"{compounds[0].name}封控区",
                                  reason="发现1例阳性感染者（单管复核阳性）", compounds=[compounds[0].pk],
                                  started_at=_ago(5))
    controlled = services.create_zone(user=officer, kind=ZoneKind.SEALED, name=f"{compounds[1].name}管控区",
                                      reason="密切接触者居住地", compounds=[compounds[1].pk], started_at=_ago(12))
    services.change_kind(controlled, user=officer, kind=ZoneKind.CONTROLLED, reason="连续3轮核酸阴性，降为管控区")
    # The history as it happened: each zone drawn on its start, the easing two days ago.
    ZoneChange.objects.filter(zone=controlled, to_kind=ZoneKind.CONTROLLED).update(at=_ago(2))
    services.create_zone(user=admin, kind=ZoneKind.PRECAUTION, name=f"{other.name}防范区", reason="毗邻封控区",
                         areas=[other.pk], started_at=_ago(8), out_rule=OutRule.EVERY_N_DAYS, out_every_days=2)
    for zone in RiskZone.objects.in_area(district):
        ZoneChange.objects.filter(zone=zone, from_kind="").update(at=zone.started_at)
    inside = list(Person.objects.in_ledger().filter(household__unit__building__compound=compounds[0])
                  .order_by("pk")[:6])
    now = timezone.now()
    passes = [(PassKind.DIALYSIS, "每周二、五到市一院血液透析", 6), (PassKind.MEDICAL, "孕检（市妇幼保健院）", 4)]
    for person, (kind, reason, hours) in zip(inside[:2], passes, strict=False):
        services.grant_pass(person, user=officer, kind=kind, reason=reason, starts_at=now - datetime.timedelta(hours=1),
                            ends_at=now + datetime.timedelta(hours=hours))
    worker = by_role.get("grid_worker") or by_role["community_worker"]
    requests = [(SupplyKind.FOOD, "大米10斤、青菜", 30), (SupplyKind.MEDICAL, "老人血压高，需要就医", 2),
                (SupplyKind.MEDICINE, "降压药（硝苯地平）两盒", 5), (SupplyKind.FOOD, "婴儿奶粉一罐", 20),
                (SupplyKind.OTHER, "家中燃气用完", 26)]
    made = []
    for person, (kind, text, hours) in zip(inside, requests, strict=False):
        item = services.request_supply(person, kind=kind, text=text)
        SupplyRequest.objects.filter(pk=item.pk).update(created_at=_ago(hours=hours))
        made.append(item)
    for item in made[3:]:
        services.advance(item, user=worker, step="take")
        services.advance(item, user=worker, step="deliver")
        services.advance(item, user=worker, step="close", note="已送到门口，住户签收")
    if made:
        services.advance(made[2], user=worker, step="take")
    services.refresh_timetable([zone.pk for zone in RiskZone.objects.active().filter(pk__gte=sealed.pk)])
