"""Facts about persons that rules turn into a health-code colour.

A fact source is a function `source(person_ids: list[int]) -> dict[int, list[Fact]]` registered with
`@fact_source`. It answers for many persons at once with a constant number of queries, whatever the
number of ids (recompute calls it with chunks of thousands after a result import). Persons without
facts may be left out of the answer.

Fact kinds (the Rule table maps them to colours):
    screening:<category code>   an open key-person screening                    (this module)
    declared:symptoms / declared:risk_area / declared:contact
                                the person's latest health declaration          (this module)
    test:negative, test:positive, test:pool_positive, test:overdue              (the testing app)
    zone:sealed                 the person lives in a sealed zone               (isolation / zones)
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.db import id_array

SOURCES = []


@dataclass(frozen=True)
class Fact:
    kind: str
    at: datetime.datetime
    reason: str


def fact_source(func):
    """Register a bulk fact source (see the module docstring); returns the function unchanged."""
    if func not in SOURCES:
        SOURCES.append(func)
    return func


def facts_for(person_ids: list[int]) -> dict[int, list[Fact]]:
    """Every registered source's facts for these persons, merged."""
    merged = defaultdict(list)
    for source in SOURCES:
        for person_id, facts in source(person_ids).items():
            merged[person_id].extend(facts)
    return merged


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@fact_source
def open_screenings(person_ids):
    """One query: the open key-person screenings with their category."""
    from fangkong.screening.models import ACTIVE_STATES, Screening

    found = defaultdict(list)
    rows = (Screening.objects.filter(person_id__in=id_array(person_ids), state__in=ACTIVE_STATES)
            .values_list("person_id", "category__code", "category__name", "reported_on").order_by())
    for person_id, code, name, reported_on in rows:
        found[person_id].append(Fact(
            f"screening:{code}", _day_start(reported_on),
            _("重点人员：%(category)s（%(day)s 起）") % {"category": name, "day": reported_on.isoformat()}))
    return found


@fact_source
def latest_declarations(person_ids):
    """Two queries: the time of each person's latest declaration, then those declarations' answers."""
    from fangkong.passes.models import Declaration

    latest = (Declaration.objects.filter(person_id__in=id_array(person_ids)).values("person_id").order_by()
              .annotate(last=Max("at")).values_list("person_id", "last"))
    latest = dict(latest)
    if not latest:
        return {}
    found = defaultdict(list)
    rows = (Declaration.objects.filter(person_id__in=id_array(latest), at__in=set(latest.values()))
            .values_list("person_id", "at", "has_symptoms", "visited_risk_area", "had_contact").order_by())
    for person_id, at, symptoms, risk_area, contact in rows:
        if latest.get(person_id) != at or person_id in found:  # two at the same instant: keep one
            continue
        day = timezone.localtime(at).strftime("%Y-%m-%d")
        facts = []
        if symptoms:
            facts.append(Fact("declared:symptoms", at, _("%(day)s 申报有发热、咳嗽等症状") % {"day": day}))
        if risk_area:
            facts.append(Fact("declared:risk_area", at, _("%(day)s 申报14天内去过中高风险地区") % {"day": day}))
        if contact:
            facts.append(Fact("declared:contact", at, _("%(day)s 申报接触过确诊或疑似人员") % {"day": day}))
        found[person_id] = facts
    return found
