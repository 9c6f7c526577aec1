"""Tracing use cases (流调). Pages and API call these functions; each checks its rules, writes inside one
transaction and audits with the acting user.

Stays: a person's passages at one place, in time order, are paired: an entry (入) followed by an exit (出)
within the place kind's longest stay (MAX_STAY_BY_KIND, never shorter than its default stay) is one stay; an entry
without such an exit lasts the place kind's default stay; an exit with no entry before it began that default stay
earlier. `pair_stays` does it in Python for the case's own passages,
CO_LOCATION_SQL does the same in PostgreSQL for everyone else at the case's places (tests prove they agree)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction
from fangkong.enterprises.models import Employee
from fangkong.healthcode.services import recompute
from fangkong.isolation import services as isolation
from fangkong.isolation.models import IsolationOrder, Kind
from fangkong.isolation.models import Source as IsolationSource
from fangkong.passes.models import Direction, Passage, Place, PlaceKind
from fangkong.people.models import Person
from fangkong.screening import services as screening
from fangkong.screening.models import Category
from fangkong.screening.models import Source as ScreeningSource

from .models import (
    Contact,
    ContactKind,
    ContactTask,
    KindRule,
    Mark,
    MarkChange,
    RiskPlace,
    Trace,
    Visit,
    VisitSource,
)

MAX_STAY = datetime.timedelta(hours=12)  # no default stay (nor a told visit) may exceed it
# The longest an entry and its exit may lie apart and still be one stay, per place kind: one passes a checkpoint or
# a station in minutes and spends hours at most at a market, but a whole day or night at home, office or factory.
# The co-location search reads this far around each visit, so a short horizon is also a small read.
MAX_STAY_BY_KIND = {
    PlaceKind.COMPOUND_GATE: MAX_STAY, PlaceKind.ORGANISATION: MAX_STAY, PlaceKind.ENTERPRISE_GATE: MAX_STAY,
    PlaceKind.VENUE: datetime.timedelta(hours=6), PlaceKind.CHECKPOINT: datetime.timedelta(hours=2),
    PlaceKind.TRAFFIC: datetime.timedelta(hours=2),
}
MAX_WINDOW_DAYS = 28  # passages are kept 28 days
DEFAULT_WINDOW_DAYS = 14
DEFAULT_MARGIN = 30
# Minutes a visit without a recorded exit is taken to last, per place kind (a district admin may change them).
DEFAULT_STAY = {
    PlaceKind.COMPOUND_GATE: 30, PlaceKind.CHECKPOINT: 10, PlaceKind.VENUE: 60,
    PlaceKind.ORGANISATION: 240, PlaceKind.ENTERPRISE_GATE: 480, PlaceKind.TRAFFIC: 10,
}
KIND_ORDER = {ContactKind.CO_LOCATION: 0, ContactKind.HOUSEHOLD: 1, ContactKind.WORKPLACE: 2}


def horizon(kind, stay_minutes) -> datetime.timedelta:
    """How far apart an entry and its exit at a place of `kind` may be and still pair (never under its default stay)."""
    return max(MAX_STAY_BY_KIND.get(kind, MAX_STAY), datetime.timedelta(minutes=stay_minutes))


def kind_rules() -> dict[str, tuple[int, int]]:
    """{place kind: (default stay minutes, margin minutes)}."""
    rules = {kind.value: (minutes, DEFAULT_MARGIN) for kind, minutes in DEFAULT_STAY.items()}
    rules.update({kind: (stay, margin) for kind, stay, margin in
                  KindRule.objects.values_list("kind", "stay_minutes", "margin_minutes")})
    return rules


@transaction.atomic
def set_kind_rule(kind, stay_minutes, margin_minutes, *, user) -> KindRule:
    if not user.has_perm("tracing.change_kindrule"):
        raise PermissionDenied(_("只有区级管理员可以设置时空伴随规则"))
    errors = {}
    if kind not in PlaceKind.values:
        errors["kind"] = _("请选择场所类型")
    try:
        stay_minutes = int(stay_minutes)
        if not 1 <= stay_minutes <= MAX_STAY.total_seconds() // 60:
            raise ValueError
    except (TypeError, ValueError):
        errors["stay_minutes"] = _("默认停留应为 1 到 720 分钟")
    try:
        margin_minutes = int(margin_minutes)
        if not 0 <= margin_minutes <= 240:
            raise ValueError
    except (TypeError, ValueError):
        errors["margin_minutes"] = _("前后延伸应为 0 到 240 分钟")
    if errors:
        raise ValidationError(errors)
    if kind_rules()[kind] == (stay_minutes, margin_minutes):  # saving the page as it is writes nothing
        return KindRule.objects.filter(kind=kind).first()
    rule, _created = KindRule.objects.update_or_create(
        kind=kind, defaults={"stay_minutes": stay_minutes, "margin_minutes": margin_minutes})
    audit.record(AuditAction.UPDATE, rule, actor=user,
                 changes={"kind": kind, "stay_minutes": stay_minutes, "margin_minutes": margin_minutes})
    return rule


# Stays ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stay:
    person_id: int
    place_id: int
    start: datetime.datetime
    end: datetime.datetime
    assumed: bool  # the end (or the start) is the kind's default stay


def pair_stays(rows, stay_minutes, horizons=None) -> list[Stay]:
    """rows: (id, person_id, place_id, direction, at); stay_minutes: {place_id: minutes}; horizons: {place_id:
    timedelta} (`horizon` of the place's kind; MAX_STAY when not given). See the module's note."""
    by_key = defaultdict(list)
    for row in sorted(rows, key=lambda row: (row[4], row[0])):
        by_key[(row[1], row[2])].append(row)
    stays = []
    for (person_id, place_id), passages in by_key.items():
        default = datetime.timedelta(minutes=stay_minutes[place_id])
        longest = (horizons or {}).get(place_id, MAX_STAY)
        for i, (_pk, _person, _place, direction, at) in enumerate(passages):
            after = passages[i + 1] if i + 1 < len(passages) else None
            before = passages[i - 1] if i > 0 else None
            if direction == Direction.IN:
                if after is not None and after[3] == Direction.OUT and after[4] - at <= longest:
                    stays.append(Stay(person_id, place_id, at, after[4], False))
                else:
                    stays.append(Stay(person_id, place_id, at, at + default, True))
            elif before is None or before[3] != Direction.IN or at - before[4] > longest:
                stays.append(Stay(person_id, place_id, at - default, at, True))
    return sorted(stays, key=lambda stay: (stay.start, stay.place_id))


def stays_of(person_id, since, until, rules=None) -> list[Stay]:
    """A person's stays that began in [since, until), from their passages (one query for passages, one for kinds)."""
    rules = rules or kind_rules()
    rows = list(Passage.objects.filter(person_id=person_id, at__gte=since - MAX_STAY, at__lt=until + MAX_STAY)
                .values_list("pk", "person_id", "place_id", "direction", "at").order_by())
    kinds = dict(Place.objects.filter(pk__in={row[2] for row in rows}).values_list("pk", "kind"))
    stays = pair_stays(rows, {pk: rules[kind][0] for pk, kind in kinds.items()},
                       {pk: horizon(kind, rules[kind][0]) for pk, kind in kinds.items()})
    return [stay for stay in stays if since <= stay.start < until]


# Co-location (时空伴随) ------------------------------------------------------------------------------------

# One statement for all the visits: each visit's place and widened window; everyone else's passages at that place
# from the kind's horizon before to the horizon after it (passage_place_time index; an entry further back cannot
# pair with an exit in the window, nor its default stay reach it), paired into stays as pair_stays does,
# kept where they overlap the window; per person the overlap minutes summed and the visit of the longest one
# (windows over the few thousand rows: one sort, not one per person as array_agg(... ORDER BY) would).
CO_LOCATION_SQL = """
WITH w AS (
    SELECT v.visit_id, v.place_id, v.lo - make_interval(mins => v.margin) AS lo,
           v.hi + make_interval(mins => v.margin) AS hi, make_interval(mins => v.stay) AS stay,
           make_interval(mins => v.horizon) AS horizon
    FROM unnest(%(visits)s::bigint[], %(places)s::bigint[], %(starts)s::timestamptz[], %(ends)s::timestamptz[],
                %(margins)s::int[], %(stays)s::int[], %(horizons)s::int[])
         AS v(visit_id, place_id, lo, hi, margin, stay, horizon)
), p AS (
    SELECT w.visit_id, w.place_id, w.lo, w.hi, w.stay, w.horizon, ps.person_id, ps.direction, ps.at,
           lead(ps.direction) OVER k AS next_direction, lead(ps.at) OVER k AS next_at,
           lag(ps.direction) OVER k AS prev_direction, lag(ps.at) OVER k AS prev_at
    FROM w JOIN passes_passage ps ON ps.place_id = w.place_id
         AND ps.at >= w.lo - w.horizon AND ps.at < w.hi + w.horizon
    WHERE ps.person_id <> ALL(%(exclude)s::bigint[])
    WINDOW k AS (PARTITION BY w.visit_id, ps.person_id ORDER BY ps.at, ps.id)
), s AS (
    SELECT visit_id, place_id, lo, hi, person_id,
           CASE WHEN direction = 'in' THEN at ELSE at - stay END AS s,
           CASE WHEN direction = 'out' THEN at
                WHEN next_direction = 'out' AND next_at - at <= horizon THEN next_at
                ELSE at + stay END AS e
    FROM p
    WHERE direction = 'in' OR prev_direction IS DISTINCT FROM 'in' OR at - prev_at > horizon
), o AS (
    SELECT person_id, visit_id, place_id, GREATEST(s, lo) AS from_at,
           extract(epoch FROM LEAST(e, hi) - GREATEST(s, lo)) AS seconds
    FROM s WHERE s < hi AND e > lo
), r AS (
    SELECT person_id, visit_id, place_id, sum(seconds) OVER w AS total, min(from_at) OVER w AS first_at,
           row_number() OVER (w ORDER BY seconds DESC, visit_id) AS n
    FROM o WINDOW w AS (PARTITION BY person_id)
)
SELECT person_id, ceil(total / 60)::int AS minutes, visit_id, place_id, first_at
FROM r WHERE n = 1 ORDER BY minutes DESC, person_id
"""


@dataclass(frozen=True)
class Found:
    person_id: int
    minutes: int
    visit_id: int | None
    place_id: int
    first_at: datetime.datetime


def co_location_params(windows, exclude, rules=None, kinds=None) -> dict:
    """CO_LOCATION_SQL's parameters for `windows` (see co_location): each window's margin, default stay and horizon
    from its place kind."""
    rules = rules or kind_rules()
    if kinds is None:
        kinds = dict(Place.objects.filter(pk__in={w[1] for w in windows}).values_list("pk", "kind"))
    return {
        "visits": [w[0] or 0 for w in windows], "places": [w[1] for w in windows],
        "starts": [w[2] for w in windows], "ends": [w[3] for w in windows],
        "margins": [rules[kinds[w[1]]][1] for w in windows], "stays": [rules[kinds[w[1]]][0] for w in windows],
        "horizons": [int(horizon(kinds[w[1]], rules[kinds[w[1]]][0]).total_seconds() // 60) for w in windows],
        "exclude": [int(pk) for pk in exclude],
    }


def co_location(windows, exclude, rules=None, kinds=None) -> list[Found]:
    """windows: (visit id, place id, start, end); everyone else (not in `exclude`) whose stay at the place overlaps
    the window widened by the kind's margin, ranked by overlap minutes. One query (plus one for the places' kinds
    unless given as {place id: kind})."""
    windows = list(windows)
    if not windows:
        return []
    params = co_location_params(windows, exclude, rules, kinds)
    with connection.cursor() as cursor:
        cursor.execute(CO_LOCATION_SQL, params)
        return [Found(person, minutes, visit or None, place, first_at)
                for person, minutes, visit, place, first_at in cursor.fetchall()]


def _household_and_workplace(person, exclude) -> list[tuple[int, str]]:
    """Household members, then co-workers: the same workplace text and the other active employees of the
    person's enterprises (their roster); each person once, household first."""
    found = {}
    if person.household_id:
        for pk in Person.objects.filter(household_id=person.household_id).exclude(pk__in=exclude).values_list(
                "pk", flat=True):
            found.setdefault(pk, ContactKind.HOUSEHOLD)
    # Two plain reads, not one OR over persons: an OR with the roster subquery scans people_person.
    workplace = (person.workplace or "").strip()
    same_text = list(Person.objects.filter(workplace=workplace).exclude(pk__in=exclude).values_list(
        "pk", flat=True)) if workplace else []
    enterprises = list(Employee.objects.on_roster().filter(person=person).values_list("enterprise_id", flat=True))
    on_roster = list(Employee.objects.on_roster().filter(enterprise_id__in=enterprises).exclude(
        person_id__in=[*exclude, person.pk]).order_by("person_id").values_list("person_id", flat=True)) \
        if enterprises else []
    for pk in [*same_text, *on_roster]:
        if pk != person.pk:
            found.setdefault(pk, ContactKind.WORKPLACE)
    return list(found.items())


# Traces and visits ----------------------------------------------------------------------------------------

def _check_tracer(user):
    if not user.has_perm("tracing.add_trace"):
        raise PermissionDenied(_("您没有开展流调的权限"))


def window_of(onset: datetime.date, days: int, until: datetime.datetime):
    start = timezone.make_aware(datetime.datetime.combine(onset - datetime.timedelta(days=days), datetime.time.min))
    return start, until


@transaction.atomic
def open_trace(case, onset, *, user, window_days=DEFAULT_WINDOW_DAYS, note="", now=None) -> Trace:
    """Open a trace on a case: the case's stays in the window become its visits (and risk places), then the
    contacts are searched."""
    _check_tracer(user)
    now = now or timezone.now()
    errors = {}
    if case is None or not Person.objects.visible_to(user).filter(pk=case.pk).exists():
        errors["case"] = _("没有这个人员，或不在您的管辖范围内")
    if onset is None:
        errors["onset"] = _("请填写发病或采样日期")
    elif onset > timezone.localdate(now):
        errors["onset"] = _("发病或采样日期不能晚于今天")
    try:
        window_days = int(window_days)
        if not 1 <= window_days <= MAX_WINDOW_DAYS:
            raise ValueError
    except (TypeError, ValueError):
        errors["window_days"] = _("追溯天数应为 1 到 %(n)d 天") % {"n": MAX_WINDOW_DAYS}
    if len(note or "") > 300:
        errors["note"] = _("备注不能超过300个字")
    if errors:
        raise ValidationError(errors)
    start, end = window_of(onset, window_days, now)
    household = case.household if case.household_id else None
    trace = Trace(case=case, area_id=household.area_id if household else case.area_id,
                  grid_id=household.grid_id if household else None, onset=onset, window_days=window_days,
                  window_start=start, window_end=end, note=(note or "").strip(), opened_by=user)
    trace.save()
    audit.record_change(trace, user)
    rules = kind_rules()
    stays = stays_of(case.pk, start, end, rules)
    visits = Visit.objects.bulk_create([
        Visit(trace=trace, place_id=stay.place_id, start=stay.start, end=stay.end, end_assumed=stay.assumed,
              source=VisitSource.PASSAGE, added_by=user) for stay in stays])
    if visits:
        audit.record(AuditAction.CREATE, trace, actor=user, object_type="tracing.Visit",
                     object_repr=f"tracing.Visit × {len(visits)}", changes={"visits": [v.pk for v in visits]})
    _sync_risk_places(trace)
    refresh_contacts(trace, rules=rules)
    return trace


@transaction.atomic
def add_visit(trace, *, place, start, end=None, note="", user) -> Visit:
    """A visit told in the interview: a place that exists and a time inside the trace's window."""
    _check_tracer(user)
    errors = {}
    if place is None:
        errors["place"] = _("没有这个场所，请从场所列表中选择")
    if start is None:
        errors["start"] = _("请填写到达时间")
    elif not trace.window_start <= start <= trace.window_end:
        errors["start"] = _("到达时间应在追溯期内（%(from)s 至 %(to)s）") % {
            "from": timezone.localtime(trace.window_start).strftime("%m-%d %H:%M"),
            "to": timezone.localtime(trace.window_end).strftime("%m-%d %H:%M")}
    if start is not None and end is not None and not start < end <= start + MAX_STAY:
        errors["end"] = _("离开时间应晚于到达时间，且最多 12 小时")
    if len(note or "") > 300:
        errors["note"] = _("说明不能超过300个字")
    if errors:
        raise ValidationError(errors)
    assumed = end is None
    if assumed:
        end = start + datetime.timedelta(minutes=kind_rules()[place.kind][0])
    visit = Visit(trace=trace, place=place, start=start, end=end, end_assumed=assumed,
                  source=VisitSource.INTERVIEW, note=(note or "").strip(), added_by=user)
    visit.save()
    audit.record_change(visit, user)
    _sync_risk_places(trace)
    refresh_contacts(trace)
    return visit


@transaction.atomic
def mark_visit_wrong(visit, *, reason, user, wrong=True) -> Visit:
    """排除 (or restore) a visit: a wrong one counts for no contact and no risk place."""
    _check_tracer(user)
    reason = (reason or "").strip()
    if wrong and not reason:
        raise ValidationError({"reason": _("请填写排除原因")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("原因不能超过300个字")})
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    visit.wrong, visit.note = wrong, reason or visit.note
    visit.save()
    audit.record_change(visit, user)
    _sync_risk_places(visit.trace)
    refresh_contacts(visit.trace)
    return visit


def _sync_risk_places(trace):
    """Each right visit is a risk place for its stay; a visit marked wrong withdraws its window."""
    visits = list(trace.visits.all())
    RiskPlace.objects.bulk_create([RiskPlace(place_id=v.place_id, trace=trace, visit=v, starts_at=v.start,
                                             ends_at=v.end, active=not v.wrong) for v in visits],
                                  update_conflicts=True, unique_fields=["visit"], update_fields=["active"])


def search_contacts(trace, *, rules=None) -> dict:
    """The level-1 contacts of the trace's right visits, {person id: (kind, Found or None)}: co-location in one
    query, then household members and co-workers (same workplace text or enterprise roster)."""
    rules = rules or kind_rules()
    case = trace.case
    rows = list(trace.visits.filter(wrong=False).values_list("pk", "place_id", "start", "end", "place__kind"))
    kinds = {row[1]: row[4] for row in rows}
    found = {f.person_id: (ContactKind.CO_LOCATION, f)
             for f in co_location([row[:4] for row in rows], [case.pk], rules, kinds)}
    for person_id, kind in _household_and_workplace(case, [case.pk]):
        found.setdefault(person_id, (kind, None))
    return found


def refresh_contacts(trace, *, rules=None):
    """Search the level-1 contacts again (after a change of visits): new ones are added, found ones updated,
    undecided ones no longer found are dropped; marked ones stay as marked."""
    _store(trace, search_contacts(trace, rules=rules), level=1, via=None)


def _store(trace, found, *, level, via):
    existing = {c.person_id: c for c in trace.contacts.all()}
    new, changed = [], []
    for person_id, (kind, hit) in found.items():
        fields = {"kind": kind, "overlap_minutes": hit.minutes if hit else 0,
                  "place_id": hit.place_id if hit else None, "visit_id": hit.visit_id if hit and level == 1 else None,
                  "first_at": hit.first_at if hit else None}
        contact = existing.get(person_id)
        if contact is None:
            new.append(Contact(trace=trace, person_id=person_id, level=level, via=via, **fields))
        elif contact.level == level and contact.via_id == (via.pk if via else None):
            for name, value in fields.items():
                setattr(contact, name, value)
            changed.append(contact)
    Contact.objects.bulk_create(new, batch_size=2000)
    Contact.objects.bulk_update(changed, ["kind", "overlap_minutes", "place", "visit", "first_at"], batch_size=2000)
    gone = [c.pk for pid, c in existing.items() if pid not in found and c.level == level
            and c.via_id == (via.pk if via else None) and c.mark == Mark.UNDECIDED and c.acted_at is None]
    Contact.objects.filter(pk__in=gone).delete()


def expand_secondary(trace, *, user) -> int:
    """次密接: the contacts of each contact marked close, from the time they met the case on; persons already in the
    trace are not repeated. Returns how many were added."""
    _check_tracer(user)
    with transaction.atomic():
        rules = kind_rules()
        close = list(trace.contacts.filter(mark=Mark.CLOSE, level=1).select_related("person"))
        known = set(trace.contacts.values_list("person_id", flat=True)) | {trace.case_id}
        added = 0
        for contact in close:
            since = contact.first_at or trace.window_start
            stays = stays_of(contact.person_id, since, trace.window_end, rules)
            found = {f.person_id: (ContactKind.CO_LOCATION, f) for f in co_location(
                [(None, s.place_id, s.start, s.end) for s in stays], known, rules)}
            for person_id, kind in _household_and_workplace(contact.person, list(known)):
                found.setdefault(person_id, (kind, None))
            found = {pk: value for pk, value in found.items() if pk not in known}
            _store(trace, found, level=2, via=contact)
            known |= set(found)
            added += len(found)
        audit.record(AuditAction.UPDATE, trace, actor=user, changes={"secondary_contacts": added})
    return added


def _ranked(contacts):
    return sorted(contacts, key=lambda c: (c.level, -c.overlap_minutes, KIND_ORDER[c.kind], c.pk))


def contacts_of(trace):
    return _ranked(trace.contacts.select_related("person", "place", "via__person"))


@transaction.atomic
def mark_contact(contact, mark, *, note="", user) -> Contact:
    _check_tracer(user)
    note = (note or "").strip()
    errors = {}
    if mark not in Mark.values:
        errors["mark"] = _("请选择判定：密接、次密接或排除")
    if len(note) > 300:
        errors["note"] = _("说明不能超过300个字")
    if mark == Mark.NOT_CONTACT and not note:
        errors["note"] = _("排除接触者请填写说明")
    if errors:
        raise ValidationError(errors)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.mark == mark and contact.mark_note == note:
        return contact
    MarkChange.objects.create(contact=contact, from_mark=contact.mark, to_mark=mark, note=note, by=user)
    contact.mark, contact.mark_note = mark, note
    contact.save()
    audit.record_change(contact, user)
    return contact


# The bulk action ------------------------------------------------------------------------------------------

@dataclass
class ActResult:
    screenings: int
    orders: int
    tasks: int
    already: int


def act(trace, person_ids, *, category, isolation_kind, user) -> ActResult:
    """Selected contacts → in one transaction: a key-person screening in `category`, an isolation order of
    `isolation_kind`, the health codes recomputed and a task for their community's worker. Whoever already
    has the screening, the order or the task keeps theirs: acting twice changes nothing. All or nothing:
    any person who is no contact of the trace or lies outside the user's scope refuses the whole action."""
    for perm, message in (("tracing.act_on_contacts", _("您没有判定密接并转入管控的权限")),
                          ("isolation.add_isolationorder", _("您没有下达隔离的权限")),
                          ("screening.add_screening", _("您没有登记重点人员的权限"))):
        if not user.has_perm(perm):
            raise PermissionDenied(message)
    errors = {}
    if not isinstance(category, Category) or not category.active:
        errors["category"] = _("请选择一个启用的重点人员类别")
    if isolation_kind not in Kind.values:
        errors["isolation_kind"] = _("请选择隔离类型：集中隔离、居家隔离或居家健康监测")
    try:
        ids = list(dict.fromkeys(int(pk) for pk in person_ids))
    except (TypeError, ValueError):
        ids = None
        errors["persons"] = [_("人员编号应为整数")]
    if ids is not None and not ids:
        errors["persons"] = [_("请至少选择一名接触者")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contacts = {c.person_id: c for c in trace.contacts.select_for_update().filter(person_id__in=ids)}
        persons = Person.objects.visible_to(user).select_related("household").in_bulk(list(contacts))
        problems = []
        for number, pk in enumerate(ids, start=1):
            if pk not in contacts:
                problems.append(_("第 %(n)d 人：不是本次流调的接触者") % {"n": number})
            elif pk not in persons:
                problems.append(_("第 %(n)d 人：不在您的管辖范围内（属于其他区或街道），请转交其所在地处理")
                                % {"n": number})
        if problems:
            raise ValidationError({"persons": problems})
        chosen = [persons[pk] for pk in ids]
        reason = _("流调判定：%(case)s 的接触者") % {"case": trace.case.name_masked}
        new_screenings = screening.bulk_open_screenings(chosen, category, user=user, source=ScreeningSource.TRACING,
                                                        origin=_("流调"))
        busy = set(IsolationOrder.objects.active().filter(person_id__in=ids).values_list("person_id", flat=True))
        to_order = [person for person in chosen if person.pk not in busy]
        orders = isolation.bulk_order(to_order, kind=isolation_kind, user=user, reason=reason,
                                      source=IsolationSource.TRACING) if to_order else []
        have_task = set(ContactTask.objects.filter(contact__in=contacts.values()).values_list("person_id", flat=True))
        tasks = ContactTask.objects.bulk_create([
            ContactTask(contact=contacts[person.pk], person=person,
                        area_id=person.household.area_id if person.household_id else person.area_id,
                        grid_id=person.household.grid_id if person.household_id else None)
            for person in chosen if person.pk not in have_task], batch_size=2000)
        now = timezone.now()
        first_time = [contacts[pk].pk for pk in ids if contacts[pk].acted_at is None]
        Contact.objects.filter(pk__in=first_time).update(acted_at=now)
        Contact.objects.filter(pk__in=first_time, mark=Mark.UNDECIDED).update(mark=Mark.CLOSE)
        result = ActResult(len(new_screenings), len(orders), len(tasks),
                           len(ids) - len(first_time))
        if new_screenings or orders or tasks or first_time:
            audit.record(AuditAction.UPDATE, trace, actor=user, changes={
                "act": {"persons": ids, "category": category.pk, "isolation_kind": isolation_kind,
                        "screenings": result.screenings, "orders": result.orders, "tasks": result.tasks}})
        recompute(ids)
    return result


# Tasks for community workers ------------------------------------------------------------------------------

@transaction.atomic
def close_task(task, *, user) -> ContactTask:
    if task.done_at is None:
        task.done_at, task.done_by = timezone.now(), user
        task.save(update_fields=["done_at", "done_by"])
        audit.record(AuditAction.UPDATE, task, actor=user, changes={"done_at": task.done_at.isoformat()})
    return task


def todos(user) -> list:
    """待办: the tracing tasks of the user's community (or grid) that no one has closed yet."""
    from django.urls import reverse

    from fangkong.core.todo import Todo
    from fangkong.territory.models import AreaLevel

    area = user.area
    # The community's (and grid's) workers: officers above see the traces themselves, not each contact's visit.
    if area is None or area.level != AreaLevel.COMMUNITY or not user.has_perm("tracing.view_contacttask"):
        return []
    waiting = ContactTask.objects.visible_to(user).open().count()
    if not waiting:
        return []
    return [Todo("tracing_tasks", _("%(n)d 名流调接触者待落实管控") % {"n": waiting},
                 reverse("tracing:tasks"), waiting, urgent=True)]


# The resident's own records (我的出入记录) --------------------------------------------------------------------

def risk_notes(passages) -> dict[int, str]:
    """{passage id: what to do} for the passages at a risk place within its window widened by the kind's margin:
    one query for the windows of those places."""
    passages = list(passages)
    if not passages:
        return {}
    rules = kind_rules()
    widest = datetime.timedelta(minutes=max(margin for _stay, margin in rules.values()))
    earliest = min(p.at for p in passages) - widest
    windows = defaultdict(list)
    for place_id, starts, ends in RiskPlace.objects.filter(
            active=True, place_id__in={p.place_id for p in passages}, ends_at__gte=earliest).values_list(
            "place_id", "starts_at", "ends_at"):
        windows[place_id].append((starts, ends))
    notes = {}
    for passage in passages:
        margin = datetime.timedelta(minutes=rules[passage.place.kind][1])
        for starts, ends in windows.get(passage.place_id, ()):
            if starts - margin <= passage.at <= ends + margin:
                notes[passage.pk] = _(
                    "此时段（%(from)s–%(to)s）该场所有病例到过：请立即向所在社区报告，居家等待，配合核酸检测，"
                    "不要外出") % {"from": timezone.localtime(starts).strftime("%m月%d日 %H:%M"),
                                 "to": timezone.localtime(ends).strftime("%H:%M")}
                break
    return notes


# The place policy (facts.risk_place_policy) ------------------------------------------------------------------

@transaction.atomic
def set_risk_policy(place, *, enabled, user, days=14):
    """Turn on (or off) a place's denial of persons who met a case at a risk place within `days` days."""
    from . import facts
    from .models import RiskPolicy

    if not user.has_perm("tracing.change_riskpolicy"):
        raise PermissionDenied(_("您没有设置场所通行政策的权限"))
    if place is None or not Place.objects.visible_to(user).filter(pk=place.pk).exists():
        raise ValidationError({"place": _("只能为本辖区的场所设置政策")})
    try:
        days = int(days)
        if not 1 <= days <= MAX_WINDOW_DAYS:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError({"days": _("天数应为 1 到 %(n)d 天") % {"n": MAX_WINDOW_DAYS}}) from None
    if enabled:
        policy, _created = RiskPolicy.objects.update_or_create(place=place, defaults={"days": days, "set_by": user})
        audit.record(AuditAction.UPDATE, policy, actor=user, changes={"place": place.pk, "days": days})
    else:
        for policy in RiskPolicy.objects.filter(place=place):
            audit.record(AuditAction.DELETE, policy, actor=user, changes={"place": place.pk})
            policy.delete()
    transaction.on_commit(facts.forget_policies)
    facts.forget_policies()
