"""The health code in the gate verdict: the person's one HealthStatus row and the place policy in force.

Without a policy, red denies and yellow warns. A policy may ask for green only, a negative test within
24/48/72 hours, nobody from a sealed zone, and a measured temperature.
"""

import datetime

from django.utils.translation import gettext as _

from fangkong.core import status as marks
from fangkong.passes.models import Verdict
from fangkong.passes.verdict import SEVERITY, GateRowPart, fact_provider, read_with_gate_row

from . import services
from .models import Colour, ColourRequirement, HealthStatus

# The gate's one query reads the person's health-code row too (passes.services.gate_person_sql).
read_with_gate_row(GateRowPart(services.STATUS_COLUMNS_SQL, services.STATUS_JOIN_SQL, len(services.STATUS_COLUMNS),
                               services.attach_status))


def _status(person, health_status=None):
    if health_status is not None:
        return health_status
    cached = HealthStatus.person.field.remote_field  # the reverse accessor, filled by select_related
    if cached.is_cached(person) and cached.get_cached_value(person) is not None:
        return cached.get_cached_value(person)
    return services.status_for(person)


# 集中隔离 / 居家隔离 / 居家健康监测 by the status row's isolation kind: the isolation app's choices, which it gives
# at start-up (it sits above this app).
ISOLATION_LABELS = {}


def isolation_label(kind: str) -> str:
    return str(ISOLATION_LABELS.get(kind, kind))


def _colour_reason(colour, reasons):
    label = marks.colour_word(colour)
    return _("%(colour)s：%(reasons)s") % {"colour": label, "reasons": "；".join(reasons)} if reasons else label


@fact_provider
def health_code(person, place, at, decision, temperature=None, health_status=None, **facts):
    status = _status(person, health_status)
    colour = services.effective_colour(status, at)
    reasons = services.effective_reasons(status, at)
    policy = services.policy_in_force(place, at)
    colour_verdict = Verdict.ALLOW
    if colour == Colour.RED:
        colour_verdict = Verdict.DENY
    elif colour == Colour.YELLOW:
        strict = policy is not None and policy.colour == ColourRequirement.GREEN
        colour_verdict = Verdict.DENY if strict else Verdict.WARN
    if colour_verdict != Verdict.ALLOW:
        decision.add(colour_verdict, _colour_reason(colour, reasons))
    _key_persons(status, decision, covered=services.covered_fact_kinds(), colour_verdict=colour_verdict)
    if status.isolation:
        decision.add(Verdict.DENY, _("隔离管控（%(kind)s）期间，不能通行，请联系社区") % {
            "kind": isolation_label(status.isolation)})
    if policy is None:
        return
    if policy.test_within_hours:
        hours = policy.test_within_hours
        if status.last_negative_at is None or status.last_negative_at < at - datetime.timedelta(hours=hours):
            decision.add(Verdict.DENY, _("无 %(hours)d 小时内核酸阴性证明") % {"hours": hours})
    if policy.no_sealed_zone and status.in_sealed_zone:
        decision.add(Verdict.DENY, _("封控区人员，不能通行"))
    if policy.require_temperature and temperature is None:
        decision.add(Verdict.DENY, _("该场所必须测温，请工作人员测温后登记"))


def _key_persons(status, decision, covered, colour_verdict):
    """Open key-person categories that affect passage, from the status row (no query).

    A category's gate effect always holds. Where a rule turns the category into a colour, the colour's reason
    already names it: the category adds its own only when its effect is stricter than the colour's verdict
    (a deny category that a rule colours yellow still denies)."""
    from fangkong.screening.models import GateEffect
    from fangkong.screening.services import gate_effects

    effects = gate_effects()
    for code in status.key_persons or ():
        if code not in effects:
            continue
        effect, name = effects[code]
        verdict = Verdict.DENY if effect == GateEffect.DENY else Verdict.WARN
        if f"screening:{code}" in covered and SEVERITY[verdict] <= SEVERITY[colour_verdict]:
            continue
        if verdict == Verdict.DENY:
            decision.add(Verdict.DENY, _("重点人员（%(category)s），管控期间不能通行，请联系社区") % {"category": name})
        else:
            decision.add(Verdict.WARN, _("重点人员（%(category)s），请核实后放行") % {"category": name})
