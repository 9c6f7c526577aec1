"""The isolation fact for the health code: an order in force is `isolation:<kind>` (healthcode/facts.py)."""

import datetime

from django.contrib.postgres.aggregates import ArrayAgg
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fangkong.core.db import id_array
from fangkong.healthcode.facts import Fact, fact_source

from .models import IsolationOrder, Kind, State


def _short(day: datetime.date) -> str:
    return formats.date_format(day, "n月j日")


@fact_source
def isolating(person_ids):
    """One query: the isolating orders of these persons (at most one each, by the partial unique constraint),
    grouped by kind and days in PostgreSQL, so that a bulk order's 10,000 persons share a few facts rather than
    have one formatted each (bench/isolation.py)."""
    found = {}
    rows = (IsolationOrder.objects.filter(person_id__in=id_array(person_ids), state=State.ISOLATING)
            .order_by().values_list("kind", "start", "planned_end").annotate(ids=ArrayAgg("person_id")))
    for kind, start, planned_end, ids in rows:
        at = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
        facts = (Fact(f"isolation:{kind}", at, _("%(kind)s中（%(start)s起，计划%(end)s解除）") % {
            "kind": Kind(kind).label, "start": _short(start), "end": _short(planned_end)}),)
        for person_id in ids:
            found[person_id] = facts
    return found
