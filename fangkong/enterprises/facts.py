"""The enterprise in the gate verdict: its gates stay shut to its employees until the reopening is approved, and
in closed loop (闭环管理) its employees may not leave through them.

Both sides come with the gate's one read: the place carries its enterprise (read_with_place: the cached place
is read with `enterprise_gate__enterprise`), the person the enterprises they work for (a column of the gate row).
"""

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

from fangkong.passes.models import Direction, Verdict
from fangkong.passes.verdict import GateRowPart, fact_provider, read_with_gate_row, read_with_place

read_with_place("enterprise_gate__enterprise")

EMPLOYERS_SQL = ("(SELECT array_agg(ee.enterprise_id) FROM enterprises_employee ee "
                 "WHERE ee.person_id = p.id AND ee.active)")


def attach_employers(person, values):
    person.employer_ids = frozenset(values[0] or ())


read_with_gate_row(GateRowPart(EMPLOYERS_SQL, "", 1, attach_employers))


def enterprise_of(place):
    """The enterprise owning the gate, or None; no query where the place was read with PLACE_RELATED."""
    try:
        return place.enterprise_gate.enterprise
    except ObjectDoesNotExist:
        return None


def employer_ids(person) -> frozenset:
    ids = getattr(person, "employer_ids", None)
    if ids is None:  # a person not read through the gate row (the ORM's reference reading)
        ids = frozenset(person.employments.filter(active=True).values_list("enterprise_id", flat=True))
        person.employer_ids = ids
    return ids


@fact_provider
def enterprise_gate(person, place, at, decision, direction=Direction.IN, **facts):
    enterprise = enterprise_of(place)
    if enterprise is None or enterprise.pk not in employer_ids(person):
        return
    if not enterprise.open_to_employees:
        decision.add(Verdict.DENY, _("%(name)s 尚未批准复工，职工暂不能进入") % {"name": enterprise.name})
    if enterprise.closed_loop and direction == Direction.OUT:
        decision.add(Verdict.DENY, _("%(name)s 闭环管理中，职工不能离开") % {"name": enterprise.name})
