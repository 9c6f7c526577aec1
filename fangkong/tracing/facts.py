"""The risk-place fact at the gate: a place with a RiskPolicy denies whoever met a case at a risk place (a
co-location contact the tracer has not excluded) within the policy's days.

The person's latest exposure comes with the hot path's one read (a column of the gate row, served by the
tracing_contact_exposure index); the places with a policy come from a cache that every change of policy clears."""

import datetime

from django.core.cache import cache
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fangkong.passes.models import Verdict
from fangkong.passes.verdict import GateRowPart, fact_provider

from .models import Contact, ContactKind, Mark, RiskPolicy

POLICIES_KEY = "tracing:risk-policies"
EXPOSED_SQL = ("(SELECT max(c.first_at) FROM tracing_contact c WHERE c.person_id = p.id "
               "AND c.kind = 'co_location' AND c.mark <> 'not_contact')")
UNREAD = object()


def attach_exposure(person, values):
    person.risk_exposed_at = values[0]


GATE_ROW = GateRowPart(EXPOSED_SQL, "", 1, attach_exposure)


def policies() -> dict[int, int]:
    """{place id: days} of the places with a risk policy; cached until a policy changes."""
    found = cache.get(POLICIES_KEY)
    if found is None:
        found = dict(RiskPolicy.objects.values_list("place_id", "days"))
        cache.set(POLICIES_KEY, found, 300)
    return found


def forget_policies():
    cache.delete(POLICIES_KEY)


def exposed_at(person):
    """The person's latest co-location with a case: from the gate row, or (a person loaded otherwise) one query."""
    value = getattr(person, "risk_exposed_at", UNREAD)
    if value is UNREAD:
        value = max(Contact.objects.filter(person_id=person.pk, kind=ContactKind.CO_LOCATION)
                    .exclude(mark=Mark.NOT_CONTACT).values_list("first_at", flat=True), default=None, key=_key)
    return value


def _key(value):
    return value or datetime.datetime.min.replace(tzinfo=datetime.UTC)


@fact_provider
def risk_place_policy(person, place, at, decision, **facts):
    days = policies().get(place.pk)
    if days is None or person is None or person.pk is None:
        return
    exposed = exposed_at(person)
    if exposed is not None and at - datetime.timedelta(days=days) <= exposed <= at:
        decision.add(Verdict.DENY, _("%(day)s 与病例在同一场所（时空伴随），%(days)d 天内不得进入本场所，请联系社区")
                     % {"day": formats.date_format(timezone.localtime(exposed), "n月j日"), "days": days})
