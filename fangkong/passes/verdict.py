"""The gate verdict: may this person pass this place now, and why not.

One function for every channel (resident scan, checkpoint station, assisted registration, API); each new fact
is proven through every channel in tests/passes/test_verdict_matrix.py.
Facts come from providers; later features (key persons, health code, isolation, zones) register
theirs with `fact_provider` instead of writing another verdict function.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from .models import Direction, PassPolicy, PlaceState, Verdict

FEVER = Decimal("37.3")
SEVERITY = {Verdict.ALLOW: 0, Verdict.WARN: 1, Verdict.DENY: 2}
PROVIDERS = []
# What the hot path's one query also reads for the providers (see GateRowPart); apps above this one add theirs.
ROW_PARTS = []


@dataclass(frozen=True)
class GateRowPart:
    """Columns an app's provider needs, read in the hot path's one query for the person aliased `p`:
    `columns` and `joins` are SQL, `width` the number of columns, and `attach(person, values)` keeps the
    values on the person so that the provider reads nothing more."""

    columns: str
    joins: str
    width: int
    attach: object


def read_with_gate_row(part: GateRowPart):
    ROW_PARTS.append(part)


# The place side of the gate row: relations of a place its providers read (`select_related` paths). Every
# channel reads its place with them (passes.services.place_relations) and keeps it cached, so a scan reads
# nothing more for them. An app above adds its own (the enterprise that owns a gate).
PLACE_RELATED = ["area"]


def read_with_place(path: str):
    if path not in PLACE_RELATED:
        PLACE_RELATED.append(path)


@dataclass
class GateDecision:
    verdict: str = Verdict.ALLOW
    reasons: list[str] = field(default_factory=list)

    def add(self, verdict, reason):
        if SEVERITY[verdict] > SEVERITY[self.verdict]:
            self.verdict = verdict
        self.reasons.append(str(reason))

    @property
    def allowed(self):
        return self.verdict != Verdict.DENY


def fact_provider(func):
    """Register `func(person, place, at, decision, **facts)`: it adds verdicts with reasons to `decision`.
    The facts are `temperature`, `declaration` and `direction` (入 or 出)."""
    PROVIDERS.append(func)
    return func


def gate_verdict(person, place, at, *, temperature=None, declaration=None, direction=Direction.IN) -> GateDecision:
    decision = GateDecision()
    for provider in PROVIDERS:
        provider(person, place, at, decision, temperature=temperature, declaration=declaration, direction=direction)
    return decision


@fact_provider
def place_open(person, place, at, decision, **facts):
    if place.state != PlaceState.APPROVED:
        decision.add(Verdict.DENY, _("该场所码已停用，请联系工作人员"))


@fact_provider
def body_temperature(person, place, at, decision, temperature=None, **facts):
    if temperature is not None and Decimal(temperature) >= FEVER:
        decision.add(Verdict.DENY, _("体温 %(t)s℃ 偏高，请到临时留观点复测") % {"t": temperature})
    elif temperature is None and place.measures_temperature:
        decision.add(Verdict.WARN, _("未测体温，请工作人员测温"))


@fact_provider
def declared_health(person, place, at, decision, declaration=None, **facts):
    if declaration is None:
        decision.add(Verdict.DENY, _("没有健康申报，请先申报"))
        return
    strict = place.policy == PassPolicy.STRICT
    if declaration.had_contact:
        decision.add(Verdict.DENY, _("申报接触过确诊或疑似人员"))
    if declaration.has_symptoms:
        decision.add(Verdict.DENY, _("申报有发热、咳嗽等症状"))
    if declaration.visited_risk_area:
        decision.add(Verdict.DENY if strict else Verdict.WARN, _("申报14天内去过中高风险地区"))


@fact_provider
def residents_only(person, place, at, decision, **facts):
    if place.policy != PassPolicy.RESIDENTS or place.compound_id is None:
        return
    if person.home_compound_id != place.compound_id:
        decision.add(Verdict.WARN, _("非本小区住户，请核实登记"))
