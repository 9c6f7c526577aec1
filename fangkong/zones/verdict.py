"""The risk zone in the gate verdict, read in the check-in's one query (passes.services.gate_person_sql).

The household's strictest active zone (ZoneHousehold → RiskZone) and, only for a person inside one, their
exception passes ending after yesterday: no query of its own per scan. A person loaded another way (the ORM)
reads the same columns once, with the same SQL.

    sealed      denied at every place (足不出户)
    controlled  allowed at the gates of their own compound, denied elsewhere (不出小区)
    precaution  allowed in their own compound; elsewhere only on the household's days (zones.services.may_go_out)
    an exception pass in its window lets the person through, saying so.
"""

import datetime
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fangkong.passes.models import Verdict
from fangkong.passes.verdict import GateRowPart, fact_provider, read_with_gate_row

from . import services
from .models import OutRule, PassKind, ZoneKind

COLUMNS_SQL = """zz.id, zz.kind, zz.name, zz.reason, zz.started_at, zz.out_rule, zz.out_every_days,
CASE WHEN zz.id IS NULL THEN NULL ELSE (
    SELECT jsonb_agg(jsonb_build_array(extract(epoch FROM e.starts_at), extract(epoch FROM e.ends_at), e.kind))
    FROM zones_exceptionpass e
    WHERE e.person_id = p.id AND e.revoked_at IS NULL AND e.ends_at > now() - interval '1 day') END,
CASE WHEN zz.kind = 'precaution' AND zz.one_per_household THEN (
    SELECT m.id FROM people_person m
    JOIN passes_passage pa ON pa.person_id = m.id AND pa.verdict <> 'deny'
        AND pa.at >= date_trunc('day', now() AT TIME ZONE '{tz}') AT TIME ZONE '{tz}'
    JOIN passes_place pl ON pl.id = pa.place_id AND pl.compound_id IS DISTINCT FROM b.compound_id
    WHERE m.household_id = p.household_id AND m.id <> p.id LIMIT 1) END"""
COLUMNS_SQL = COLUMNS_SQL.format(tz=settings.TIME_ZONE)
JOINS_SQL = """LEFT JOIN zones_zonehousehold zh ON zh.household_id = p.household_id
LEFT JOIN zones_riskzone zz ON zz.id = zh.zone_id"""
WIDTH = 9
# The home compound (`b`) as the gate's read joins it, for a person read on their own.
HOME_SQL = """LEFT JOIN territory_household hh ON hh.id = p.household_id LEFT JOIN territory_unit u ON u.id = hh.unit_id
LEFT JOIN territory_building b ON b.id = u.building_id"""


@dataclass(frozen=True)
class ZoneRow:
    zone_id: int
    kind: str
    name: str
    reason: str
    started_at: datetime.datetime
    out_rule: str
    out_every_days: int
    passes: list  # [(starts, ends, kind)] as aware datetimes
    out_today_by: int | None  # a household member who went out of the compound today (one per household)


def _row(values) -> ZoneRow | None:
    if values[0] is None:
        return None
    raw = values[7]
    if isinstance(raw, str):
        raw = json.loads(raw)
    passes = [(datetime.datetime.fromtimestamp(float(s), tz=datetime.UTC),
               datetime.datetime.fromtimestamp(float(e), tz=datetime.UTC), kind) for s, e, kind in raw or ()]
    return ZoneRow(*values[:7], passes, values[8])


def attach(person, values):
    person.zone_row = _row(values)


read_with_gate_row(GateRowPart(COLUMNS_SQL, JOINS_SQL, WIDTH, attach))


def zone_row(person) -> ZoneRow | None:
    """The person's zone as the gate reads it: from the one query when it ran, else read now (the ORM's person)."""
    if "zone_row" in person.__dict__:
        return person.zone_row
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS_SQL} FROM people_person p {HOME_SQL} {JOINS_SQL} WHERE p.id = %s",
                       [person.pk])
        values = cursor.fetchone()
    person.zone_row = _row(values) if values else None
    return person.zone_row


def _short(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "n月j日 H:i")


def _day(day) -> str:
    return formats.date_format(day, "n月j日")


def going_out(row: ZoneRow, household_id: int, day: datetime.date) -> tuple[bool, datetime.date | None]:
    """(may the household go out on `day`, the next day it may) under a precaution zone's rule."""
    start = timezone.localtime(row.started_at).date()
    if services.may_go_out(start, row.out_rule, row.out_every_days, household_id, day):
        return True, day
    return False, services.next_day_out(start, row.out_rule, row.out_every_days, household_id, day)


@fact_provider
def risk_zone(person, place, at, decision, **facts):
    row = zone_row(person)
    if row is None:
        return
    held = next(((starts, ends, kind) for starts, ends, kind in row.passes if starts <= at < ends), None)
    if held is not None:
        decision.add(Verdict.ALLOW, _("例外通行（%(kind)s），%(until)s 前有效") % {
            "kind": PassKind(held[2]).label, "until": _short(held[1])})
        return
    own_compound = place.compound_id is not None and place.compound_id == person.home_compound_id
    words = {"kind": ZoneKind(row.kind).label, "name": row.name, "reason": row.reason}
    if row.kind == ZoneKind.SEALED:
        decision.add(Verdict.DENY, _("%(kind)s（%(name)s）：%(reason)s。封控期间足不出户，不能通行") % words)
    elif row.kind == ZoneKind.CONTROLLED and not own_compound:
        decision.add(Verdict.DENY, _("%(kind)s（%(name)s）：%(reason)s。管控期间不出小区，不能通行") % words)
    elif row.kind == ZoneKind.PRECAUTION and not own_compound and row.out_rule != OutRule.FREE:
        allowed, next_day = going_out(row, person.household_id, timezone.localtime(at).date())
        if not allowed:
            decision.add(Verdict.DENY, _("%(kind)s（%(name)s）：今日不可出行，下次可出行日 %(day)s") % {
                **words, "day": _day(next_day) if next_day else "—"})
        elif row.out_today_by is not None:
            decision.add(Verdict.DENY, _("%(kind)s（%(name)s）：本户今日已有家人外出，每户每次限一人出行") % words)
