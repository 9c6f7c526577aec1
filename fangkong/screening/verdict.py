"""Key persons in the gate verdict: an open screening in a category that affects passage.

Categories that a health-code rule turns into a colour are judged by the health code alone (one reason,
one place); this provider speaks only for the others (e.g. 省外返回人员: warn)."""

from django.utils.translation import gettext as _

from fangkong.passes.models import Verdict
from fangkong.passes.verdict import fact_provider

from .models import GateEffect, Screening

EFFECT_VERDICT = {GateEffect.WARN: Verdict.WARN, GateEffect.DENY: Verdict.DENY}


@fact_provider
def key_person(person, place, at, decision, **facts):
    from fangkong.healthcode.services import covered_fact_kinds

    covered = [kind.split(":", 1)[1] for kind in covered_fact_kinds() if kind.startswith("screening:")]
    screenings = (Screening.objects.active().filter(person=person)
                  .exclude(category__gate_effect=GateEffect.NONE).exclude(category__code__in=covered)
                  .select_related("category"))
    for screening in screenings:
        category = screening.category
        if category.gate_effect == GateEffect.DENY:
            decision.add(Verdict.DENY, _("重点人员（%(category)s），管控期间不能通行，请联系社区") % {
                "category": category.name})
        else:
            decision.add(Verdict.WARN, _("重点人员（%(category)s），请核实后放行") % {"category": category.name})
