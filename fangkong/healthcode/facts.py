"""Facts about persons that rules turn into a health-code colour.

A fact source is a function `source(person_ids: list[int]) -> dict[int, Sequence[Fact]]` registered with
`@fact_source`. It answers for many persons at once with a constant number of queries, whatever the
number of ids (recompute calls it with chunks of thousands after a result import). Persons without
facts may be left out of the answer.

Fact kinds (the Rule table maps them to colours):
    screening:<category code>   an open key-person screening                    (this module)
    declared:symptoms / declared:risk_area / declared:contact
                                the person's latest health declaration          (this module)
    test:negative, test:positive, test:pool_positive, test:overdue              (the testing app)
    zone:sealed                 the person lives in a sealed zone               (isolation / zones)
    isolation:<kind>            an isolation order in force (centralized, home, home_monitoring)
                                                                                (the isolation app)
"""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core.db import id_array

SOURCES = []


# gettext_lazy by its own name: makemessages does not know an alias such as _lazy.
FACT_WORDS = {
    "declared:symptoms": gettext_lazy("健康申报：有发热、咳嗽等症状"),
    "declared:risk_area": gettext_lazy("健康申报：14天内去过中高风险地区"),
    "declared:contact": gettext_lazy("健康申报：接触过确诊或疑似人员"),
    "test:negative": gettext_lazy("核酸检测：阴性"),
    "test:positive": gettext_lazy("核酸检测：阳性"),
    "test:pool_positive": gettext_lazy("核酸检测：混管阳性"),
    "test:overdue": gettext_lazy("核酸检测：应检未检"),
    "zone:sealed": gettext_lazy("居住在封控区"),
    "isolation:centralized": gettext_lazy("集中隔离中"),
    "isolation:home": gettext_lazy("居家隔离中"),
    "isolation:home_monitoring": gettext_lazy("居家健康监测中"),
}


def fact_labels(kinds) -> dict[str, str]:
    """Each fact kind as people call it: "declared:contact" → 健康申报：接触过确诊或疑似人员,
    "screening:close_contact" → 重点人员：密切接触者 (the category's own name). One query."""
    from fangkong.screening.models import Category

    codes = [kind.partition(":")[2] for kind in kinds if kind.startswith("screening:")]
    categories = dict(Category.objects.filter(code__in=codes).values_list("code", "name"))
    labels = {}
    for kind in kinds:
        source, _sep, code = kind.partition(":")
        if source == "screening":
            labels[kind] = _("重点人员：%(category)s") % {"category": categories.get(code, code)}
        else:
            labels[kind] = str(FACT_WORDS.get(kind, kind))
    return labels


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


def facts_for(person_ids: list[int]) -> dict[int, Sequence[Fact]]:
    """Every registered source's facts for these persons, merged. A person only one source knows keeps that
    source's list (not copied: a million persons after a district's test results)."""
    merged = {}
    for source in SOURCES:
        for person_id, facts in source(person_ids).items():
            known = merged.get(person_id)
            merged[person_id] = facts if known is None else [*known, *facts]
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


# A declared answer and the fact it raises.
DECLARED = (("has_symptoms", "declared:symptoms"), ("visited_risk_area", "declared:risk_area"),
            ("had_contact", "declared:contact"))


@fact_source
def latest_declarations(person_ids):
    """One query: for each answer, the person's latest declaration that said yes to it.

    A yes holds for its rule's days however the person answers later: a "no" declared a minute later (from any
    phone) must not clear a colour the "yes" raised; lowering it is a worker's override. Only proven
    declarations count (Declaration.proven): a phone that has not proven whose number it typed changes nothing.
    """
    from fangkong.passes.models import Declaration

    rows = (Declaration.objects.filter(person_id__in=id_array(person_ids), proven=True)
            .filter(Q(has_symptoms=True) | Q(visited_risk_area=True) | Q(had_contact=True))
            .values_list("person_id", "at", "has_symptoms", "visited_risk_area", "had_contact")
            .order_by("person_id", "-at", "-pk"))
    latest = defaultdict(dict)  # person → {answer: at}
    for person_id, at, *answers in rows:
        for (answer, _kind), said in zip(DECLARED, answers, strict=True):
            if said and answer not in latest[person_id]:
                latest[person_id][answer] = at
    texts = {"has_symptoms": lambda day: _("%(day)s 申报有发热、咳嗽等症状") % {"day": day},
             "visited_risk_area": lambda day: _("%(day)s 申报14天内去过中高风险地区") % {"day": day},
             "had_contact": lambda day: _("%(day)s 申报接触过确诊或疑似人员") % {"day": day}}
    found = {}
    for person_id, answers in latest.items():
        found[person_id] = [Fact(kind, answers[answer], texts[answer](timezone.localtime(answers[answer])
                                                                       .strftime("%Y-%m-%d")))
                            for answer, kind in DECLARED if answer in answers]
    return found
