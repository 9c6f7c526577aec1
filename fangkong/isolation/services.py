"""Isolation use cases. Pages, API, imports, commands and the demo all go through these functions; each checks
its rules, writes inside one transaction with an explicit audit row by the acting user, and recomputes the
health code of the persons it changes (the gate then denies them from their status row, with no new query)."""

import base64
import datetime
import secrets
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.audit.context import current_request as audit_context
from fangkong.audit.models import AuditAction
from fangkong.core.db import id_array
from fangkong.core.identity import mask_name
from fangkong.healthcode.services import recompute

from .models import (
    ACTIVE_STATES,
    TRANSITIONS,
    IsolationOrder,
    Kind,
    KindDefault,
    MonitoringCheck,
    MonitoringTask,
    OpenTaskCount,
    Room,
    RoomState,
    Site,
    Slot,
    Source,
    State,
    TaskKind,
)

# Each kind's defaults while a district admin has saved none: days, then days of home health monitoring after the
# release (14+7), and the negative tests a release asks for (count, within the last so many days).
DEFAULTS = {
    Kind.CENTRALIZED: {"days": 14, "then_days": 7, "release_tests": 2, "release_window_days": 3},
    Kind.HOME: {"days": 14, "then_days": 0, "release_tests": 2, "release_window_days": 3},
    Kind.HOME_MONITORING: {"days": 7, "then_days": 0, "release_tests": 1, "release_window_days": 3},
}
DEFAULT_FIELDS = ("days", "then_days", "release_tests", "release_window_days")
MIN_TEMPERATURE, MAX_TEMPERATURE, FEVER = Decimal("34.0"), Decimal("43.0"), Decimal("37.3")
MAX_ORDER_DAYS = 60
# The afternoon measurement is due from this local hour; a slot without an entry by its deadline is a task.
AFTERNOON_FROM = 12
SLOT_DEADLINES = {Slot.MORNING: datetime.time(12, 0), Slot.AFTERNOON: datetime.time(20, 0)}


def today() -> datetime.date:
    return timezone.localdate()


# Per-kind defaults ---------------------------------------------------------------------------------

def kind_defaults() -> dict[str, dict]:
    """{kind: {days, then_days, release_tests, release_window_days}}: what is saved, else the defaults."""
    rules = {kind.value: dict(values) for kind, values in DEFAULTS.items()}
    for row in KindDefault.objects.values("kind", *DEFAULT_FIELDS):
        rules[row.pop("kind")] = row
    return rules


def kind_days() -> dict[str, int]:
    return {kind: rule["days"] for kind, rule in kind_defaults().items()}


# The accepted range of each default, and its message.
DEFAULT_LIMITS = {"days": (1, MAX_ORDER_DAYS), "then_days": (0, 30), "release_tests": (0, 10),
                  "release_window_days": (1, 30)}


@transaction.atomic
def set_kind_default(kind: str, *, user, **values) -> KindDefault:
    """A district admin sets a kind's defaults (any of days, then_days, release_tests, release_window_days; the
    others stay). Whole numbers in range, or a Chinese message by field and nothing saved."""
    if not user.has_perm("isolation.change_kinddefault"):
        raise PermissionDenied(_("只有区级管理员可以设置隔离期限"))
    if kind not in Kind.values:
        raise ValidationError({"kind": _("请选择隔离类型")})
    current = kind_defaults()[kind]
    errors = {}
    for name, value in values.items():
        if name not in DEFAULT_FIELDS:
            raise ValueError(name)
        low, high = DEFAULT_LIMITS[name]
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            number = None
        if number is None or not low <= number <= high:
            errors[name] = _("%(field)s应为 %(low)d 到 %(high)d 之间的整数") % {
                "field": KindDefault._meta.get_field(name).verbose_name, "low": low, "high": high}
        else:
            current[name] = number
    if errors:
        raise ValidationError(errors)
    default = KindDefault.objects.select_for_update().filter(kind=kind).first() or KindDefault(kind=kind)
    for name in DEFAULT_FIELDS:
        setattr(default, name, current[name])
    default.save()
    audit.record_change(default, user)
    return default


# Ordering -------------------------------------------------------------------------------------------

def _new_codes():
    """A printed verification code and a monitoring link token. The code has 50 bits (10 base-32 characters):
    8 hex digits (32 bits) met a code already given once in ten bulk orders of 10,000 at 80,000 orders
    (bench/isolation.py), and a refused bulk order is no answer to a duplicate nobody chose. It always holds a
    digit, so that nobody reads it as a word (one in eight 10-letter draws would be all letters)."""
    code = ""
    while not any(ch.isdigit() for ch in code):
        code = base64.b32encode(secrets.token_bytes(7)).decode()[:10]
    return code, secrets.token_urlsafe(16)


def person_area(person) -> int:
    """The community an order of this person belongs to (its responsible workers are chosen from it)."""
    return _person_scope(person)[0]


def _person_scope(person):
    """The order's community and grid: the person's household's (where they live), else their own area."""
    household = person.household if person.household_id else None
    if household is not None:
        return household.area_id, household.grid_id
    return person.area_id, None


def _check(person, *, kind, reason, source, start, planned_end, site, room, user, days) -> dict:
    """The rules of one order, as {field: message}; the bulk path checks every row with the same function."""
    from fangkong.people.models import Person

    errors = {}
    if person is None or not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        errors["person"] = _("没有这个人员，或不在您的管辖范围内")
    if kind not in Kind.values:
        errors["kind"] = _("请选择隔离类型：集中隔离、居家隔离或居家健康监测")
    if source not in Source.values:
        errors["source"] = _("请选择隔离来源")
    if not (reason or "").strip():
        errors["reason"] = _("请填写隔离原因")
    elif len(reason) > 300:
        errors["reason"] = _("隔离原因不能超过300个字")
    if start is None:
        errors["start"] = _("请填写开始日期")
    elif start > today() + datetime.timedelta(days=7):
        errors["start"] = _("开始日期最多可晚于今天 7 天")
    if start is not None and planned_end is not None:
        if planned_end < start:
            errors["planned_end"] = _("计划解除日期不能早于开始日期")
        elif (planned_end - start).days > MAX_ORDER_DAYS:
            errors["planned_end"] = _("隔离期限最长 %(n)d 天") % {"n": MAX_ORDER_DAYS}
    if kind == Kind.CENTRALIZED:
        if room is not None and site is not None and room.site_id != site.pk:
            errors["room"] = _("该房间不属于所选隔离点")
        if site is not None and not site.active:
            errors["site"] = _("该隔离点已停用")
    elif site is not None or room is not None:
        errors["site"] = _("只有集中隔离才需要选择隔离点和房间")
    if person is not None and "person" not in errors and IsolationOrder.objects.active().filter(
            person_id=person.pk).exists():
        errors["person"] = _("%(name)s 已有未解除的隔离，请勿重复下达") % {"name": person.name_masked}
    return errors


def _build(person, *, kind, reason, source, start, planned_end, site, room, worker, user, days):
    area_id, grid_id = _person_scope(person)
    verification, token = _new_codes()
    immediate = start <= today()
    return IsolationOrder(
        person=person, area_id=area_id, grid_id=grid_id, kind=kind, reason=reason.strip()[:300], source=source,
        start=start, planned_end=planned_end or start + datetime.timedelta(days=days[kind]),
        site=site if site is not None else (room.site if room is not None else None), room=None,
        worker=worker or user, state=State.ISOLATING if immediate else State.ORDERED,
        state_changed_at=timezone.now() if immediate else None, verification_code=verification,
        monitoring_token=token, created_by=user)


def workers_for(area_id, user):
    """Who may be responsible for an order of this community: the active community and grid workers bound to it
    (or to one of its grids), and only as far as the choosing user sees them."""
    from fangkong.accounts.models import User
    from fangkong.accounts.roles import Role

    return (User.objects.visible_to(user).filter(is_active=True, area_id=area_id,
                                                groups__name__in=[Role.COMMUNITY_WORKER, Role.GRID_WORKER])
            .distinct().order_by("full_name", "username"))


def _check_worker(worker, user, area_id, *, self_allowed=True):
    """A chosen worker must be one of workers_for the order's community; none chosen (or, when ordering, the
    ordering user themself): the ordering user follows it up."""
    if worker is None or (self_allowed and worker == user):
        return
    if not worker.is_active:
        raise ValidationError({"worker": _("该责任人账号已停用")})
    if not workers_for(area_id, user).filter(pk=worker.pk).exists():
        raise ValidationError({"worker": _("责任人须是该人员所在社区的社区工作人员或网格员")})


@transaction.atomic
def set_worker(order, worker, *, user) -> IsolationOrder:
    """Hand an order to another responsible worker of its community; its open monitoring tasks follow."""
    if not user.has_perm("isolation.change_isolationorder"):
        raise PermissionDenied(_("您没有变更隔离的权限"))
    order = _locked_active(order, user)
    if worker is None:
        raise ValidationError({"worker": _("请选择责任人")})
    _check_worker(worker, user, order.area_id, self_allowed=False)
    if order.worker_id == worker.pk:
        return order
    order.worker = worker
    order.save(update_fields=["worker"])
    MonitoringTask.objects.filter(order=order, done_at__isnull=True).update(worker=worker)
    audit.record_change(order, user)
    return order


@transaction.atomic
def order_isolation(person, *, kind, user, reason, source=Source.SCREENING, start=None, planned_end=None,
                    site=None, room=None, worker=None) -> IsolationOrder:
    """Put one person under isolation. Starting today (or earlier) the order is in force at once: the health
    code turns and every gate denies. A room given here is allocated as allocate_room does."""
    if not user.has_perm("isolation.add_isolationorder"):
        raise PermissionDenied(_("您没有下达隔离的权限"))
    start = start or today()
    days = kind_days()
    errors = _check(person, kind=kind, reason=reason, source=source, start=start, planned_end=planned_end,
                    site=site, room=room, user=user, days=days)
    if errors:
        raise ValidationError(errors)
    _check_worker(worker, user, person_area(person))
    order = _build(person, kind=kind, reason=reason, source=source, start=start, planned_end=planned_end,
                   site=site, room=room, worker=worker, user=user, days=days)
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError as exc:  # a second order for the person committed meanwhile
        raise ValidationError({"person": _("%(name)s 已有未解除的隔离，请勿重复下达") % {
            "name": person.name_masked}}) from exc
    audit.record_change(order, user)
    if room is not None:
        order = allocate_room(order, room, user=user)
    recompute([person.pk])
    return order


@transaction.atomic
def bulk_order(persons, *, kind, user, reason, source=Source.SCREENING, start=None, planned_end=None,
               worker=None) -> list["Ordered"]:
    """Order many persons at once (a selection or a list), all or nothing: any row's error refuses them all,
    with the errors by row number (1-based, in the given order). One insert, one recompute in bulk; the orders
    come back as (pk, person_id) pairs, not models (10,000 of those cost a second to build)."""
    if not user.has_perm("isolation.add_isolationorder"):
        raise PermissionDenied(_("您没有下达隔离的权限"))
    from fangkong.people.models import Person

    start = start or today()
    days = kind_days()
    persons = list(persons)
    ids = [p.pk for p in persons]
    # The persons as the orders need them (household: their community and grid), read once for all, as rows.
    loaded = {pk: (pk, name, household_area or area, grid if household_area else None)
              for pk, name, area, household_area, grid in Person.objects.visible_to(user).filter(
                  pk__in=id_array(ids)).values_list("pk", "name", "area_id", "household__area_id",
                                                    "household__grid_id").order_by()}
    visible = set(loaded)
    busy = set(IsolationOrder.objects.active().filter(person_id__in=ids).values_list("person_id", flat=True))
    shared = _check(None, kind=kind, reason=reason, source=source, start=start, planned_end=planned_end,
                    site=None, room=None, user=user, days=days)
    shared.pop("person", None)
    if shared:
        raise ValidationError(shared)
    row_errors, seen = [], set()
    for number, person in enumerate(persons, start=1):
        if person.pk not in visible:
            row_errors.append(_("第 %(n)d 行：没有这个人员，或不在您的管辖范围内") % {"n": number})
        elif person.pk in busy:
            row_errors.append(_("第 %(n)d 行：%(name)s 已有未解除的隔离") % {"n": number, "name": person.name_masked})
        elif person.pk in seen:
            row_errors.append(_("第 %(n)d 行：%(name)s 重复出现") % {"n": number, "name": person.name_masked})
        seen.add(person.pk)
    if not persons:
        row_errors.append(_("请至少选择一名人员"))
    if row_errors:
        raise ValidationError({"persons": row_errors})
    for area_id in {loaded[person.pk][2] for person in persons}:
        _check_worker(worker, user, area_id)
    orders = _insert_orders([loaded[person.pk] for person in persons], kind=kind, reason=reason, source=source,
                            start=start, planned_end=planned_end or start + datetime.timedelta(days=days[kind]),
                            worker=worker or user, user=user)
    recompute(ids)
    return orders


def _literal(values, quoted=False) -> str:
    """A PostgreSQL array literal (one parameter, not one per value: 10,000 orders bind in a millisecond)."""
    def one(value):
        if value is None:
            return "NULL"
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"' if quoted else str(int(value))
    return "{" + ",".join(map(one, values)) + "}"


class Ordered(NamedTuple):
    pk: int
    person_id: int


def _insert_orders(persons, *, kind, reason, source, start, planned_end, worker, user) -> list[Ordered]:
    """The bulk order's rows ((pk, name, community, grid) of each person) and their audit rows, each in one INSERT
    from arrays (the ORM spent 9 s building 10,000 of each; bench/isolation.py). bulk_order has checked them with
    the rules of one order."""
    now = timezone.now()
    state = State.ISOLATING if start <= today() else State.ORDERED
    codes = [_new_codes() for _person in persons]
    reason = reason.strip()[:300]
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("""
                    INSERT INTO isolation_isolationorder (person_id, area_id, grid_id, kind, reason, source, start,
                        planned_end, worker_id, state, state_reason, state_changed_at, release_reason,
                        verification_code, monitoring_token, created_by_id, created_at)
                    SELECT u.person, u.area, u.grid, %s, %s, %s, %s, %s, %s, %s, '', %s, '', u.code, u.token, %s, %s
                    FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::text[])
                         AS u(person, area, grid, code, token)
                    RETURNING id, person_id""", [
                    kind, reason, source, start, planned_end, worker.pk, state,
                    now if state == State.ISOLATING else None, user.pk, now, _literal(p[0] for p in persons),
                    _literal(p[2] for p in persons),
                    _literal(p[3] for p in persons), _literal((c for c, _t in codes), quoted=True),
                    _literal((t for _c, t in codes), quoted=True)])
                created = cursor.fetchall()
        except IntegrityError as exc:  # a person was ordered meanwhile (one active order per person)
            raise ValidationError({"persons": [_("有人员刚刚被下达了隔离，请刷新后重试")]}) from exc
        names = {pk: mask_name(name) for pk, name, _area, _grid in persons}
        label = str(Kind(kind).label)
        context = audit_context()
        cursor.execute("""
            INSERT INTO audit_auditevent (at, actor_id, actor_name, action, object_type, object_id, object_repr,
                                          changes, ip, user_agent)
            SELECT %s, %s, %s, %s, 'isolation.IsolationOrder', u.id::text, left(u.repr, 200),
                   jsonb_build_object('person', u.person, 'kind', %s::text, 'start', %s::text, 'planned_end', %s::text,
                                      'reason', %s::text, 'source', %s::text, 'state', %s::text,
                                      'worker', %s::bigint),
                   %s, %s
            FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS u(id, person, repr)""", [
            now, user.pk, user.username, AuditAction.CREATE, kind, start.isoformat(), planned_end.isoformat(), reason,
            source, state, worker.pk, context.ip, context.user_agent, _literal(pk for pk, _p in created),
            _literal(person for _pk, person in created),
            _literal((f"{names[person]} {label}" for _pk, person in created), quoted=True)])
    return [Ordered(pk, person_id) for pk, person_id in created]


def start_due(now=None) -> int:
    """The scheduled job: orders whose start day has come are in force."""
    due = list(IsolationOrder.objects.filter(state=State.ORDERED, start__lte=timezone.localdate(now))
               .values_list("pk", "person_id"))
    with transaction.atomic():
        IsolationOrder.objects.filter(pk__in=[pk for pk, _p in due], state=State.ORDERED).update(
            state=State.ISOLATING, state_changed_at=now or timezone.now())
        for pk, _person in due:
            audit.record(AuditAction.UPDATE, object_type="isolation.IsolationOrder", object_repr=str(pk),
                         changes={"state": State.ISOLATING})
        recompute([person for _pk, person in due])
    return len(due)


# Rooms ----------------------------------------------------------------------------------------------

def occupancy(room_ids) -> dict[int, int]:
    """Persons in each room now (active orders allocated to it)."""
    return dict(IsolationOrder.objects.active().filter(room_id__in=list(room_ids)).values("room_id")
                .annotate(n=Count("pk")).values_list("room_id", "n").order_by())


CHART_PAST_DAYS, CHART_NEXT_DAYS = 14, 7


def site_occupancy(site, day=None) -> dict:
    """The site page's chart: persons in the site's rooms at the end of each of the last 14 days (today
    included, from check-in and check-out) and of the next 7 (those in now whose planned end is later: the
    releases due). One grouped query over generate_series."""
    day = day or today()
    first, last = day - datetime.timedelta(days=CHART_PAST_DAYS - 1), day + datetime.timedelta(days=CHART_NEXT_DAYS)
    zone = timezone.get_current_timezone_name()
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT d::date, count(o.id) FROM generate_series(%s::date, %s::date, interval '1 day') AS d
            LEFT JOIN isolation_isolationorder o ON o.site_id = %s AND o.checked_in_at IS NOT NULL
                 AND (o.checked_in_at AT TIME ZONE %s)::date <= d::date
                 AND CASE WHEN d::date <= %s::date
                          THEN o.checked_out_at IS NULL OR (o.checked_out_at AT TIME ZONE %s)::date > d::date
                          ELSE o.checked_out_at IS NULL AND o.state = ANY(%s) AND o.planned_end > d::date END
            GROUP BY 1 ORDER BY 1""", [first, last, site.pk, zone, day, zone, list(ACTIVE_STATES)])
        rows = cursor.fetchall()
    return {"days": [f"{d.month}月{d.day}日" for d, _n in rows], "dates": [d.isoformat() for d, _n in rows],
            "occupied": [n for _d, n in rows], "today": CHART_PAST_DAYS - 1,
            "capacity": sum(site.rooms.values_list("capacity", flat=True))}


def persons_in(room) -> int:
    return IsolationOrder.objects.active().filter(room=room).count()


@transaction.atomic
def allocate_room(order, room, *, user) -> IsolationOrder:
    """Put a centralized order in a room of its site; never over the room's capacity, also when two workers
    allocate the last bed at once (the room row is locked while counting)."""
    if not user.has_perm("isolation.change_isolationorder"):
        raise PermissionDenied(_("您没有分配房间的权限"))
    room = Room.objects.select_for_update().select_related("site").get(pk=room.pk)
    order = IsolationOrder.objects.select_for_update().get(pk=order.pk)
    if not may_work_at(user, room.site):
        raise ValidationError({"room": _("该房间不在您的管辖范围内")})
    if order.kind != Kind.CENTRALIZED:
        raise ValidationError({"room": _("只有集中隔离才分配房间")})
    if order.state not in ACTIVE_STATES:
        raise ValidationError({"room": _("该隔离已结束，不能分配房间")})
    if order.room_id == room.pk:
        return order
    if room.state == RoomState.DISINFECTING:
        raise ValidationError({"room": _("房间 %(room)s 正在消杀，暂不能入住") % {"room": room.number}})
    if not room.site.active:
        raise ValidationError({"room": _("该隔离点已停用")})
    taken = persons_in(room)
    if taken >= room.capacity:
        raise ValidationError({"room": _("房间 %(room)s 已住满（%(n)d 人），请选择其他房间") % {
            "room": room.number, "n": room.capacity}})
    previous = order.room_id
    order.site_id, order.room = room.site_id, room
    order.save(update_fields=["site", "room"])
    audit.record_change(order, user)
    if room.state != RoomState.OCCUPIED:
        room.state = RoomState.OCCUPIED
        room.save(update_fields=["state"])
        audit.record_change(room, user)
    if previous:
        _room_freed(previous, user)
    return order


def _room_freed(room_id, user):
    """A room whose last person left is to be disinfected before the next one."""
    room = Room.objects.select_for_update().get(pk=room_id)
    if not IsolationOrder.objects.active().filter(room_id=room_id).exists():
        room.state = RoomState.DISINFECTING
        room.save(update_fields=["state"])
        audit.record_change(room, user)


@transaction.atomic
def set_room_state(room, state, *, user) -> Room:
    """A site worker marks a room disinfected (free) or being disinfected; an occupied room stays occupied."""
    if not user.has_perm("isolation.change_room"):
        raise PermissionDenied(_("您没有管理房间的权限"))
    room = Room.objects.select_for_update().get(pk=room.pk)
    if state not in RoomState.values or state == RoomState.OCCUPIED:
        raise ValidationError({"state": _("请选择空闲或消杀中")})
    if IsolationOrder.objects.active().filter(room=room).exists():
        raise ValidationError({"state": _("房间 %(room)s 有人入住，不能变更为%(state)s") % {
            "room": room.number, "state": RoomState(state).label}})
    room.state = state
    room.save(update_fields=["state"])
    audit.record_change(room, user)
    return room


@transaction.atomic
def add_rooms(site, numbers, *, capacity=1, user) -> list[Room]:
    """Rooms of a site from a list of numbers ("301 302 303" or lines); refused whole if any exists."""
    if not user.has_perm("isolation.add_room"):
        raise PermissionDenied(_("您没有管理房间的权限"))
    numbers = [n.strip() for n in numbers if n.strip()]
    try:
        capacity = int(capacity)
    except (TypeError, ValueError):
        capacity = 0
    errors = {}
    if not numbers:
        errors["numbers"] = _("请填写房间号")
    elif any(len(n) > 20 for n in numbers):
        errors["numbers"] = _("房间号最长 20 个字符")
    elif len(set(numbers)) != len(numbers):
        errors["numbers"] = _("房间号有重复")
    elif site.rooms.filter(number__in=numbers).exists():
        taken = ", ".join(site.rooms.filter(number__in=numbers).values_list("number", flat=True))
        errors["numbers"] = _("房间 %(rooms)s 已存在") % {"rooms": taken}
    if not 1 <= capacity <= 20:
        errors["capacity"] = _("可住人数应为 1 到 20")
    if errors:
        raise ValidationError(errors)
    rooms = Room.objects.bulk_create([Room(site=site, number=n, capacity=capacity) for n in numbers])
    # Keys the audit log can name (model fields or audit.models.CHANGE_LABELS).
    audit.record_change(site, user, action=AuditAction.UPDATE,
                        changes={"created": [f"{number} × {capacity}" for number in numbers]})
    return rooms


@transaction.atomic
def save_site(site, *, user, name, area, address="", phone="", active=True) -> Site:
    if not user.has_perm("isolation.add_site" if site is None else "isolation.change_site"):
        raise PermissionDenied(_("您没有管理隔离点的权限"))
    from fangkong.territory.models import Area

    errors = {}
    if not (name or "").strip():
        errors["name"] = _("请填写隔离点名称")
    if area is None or not Area.objects.visible_to(user).filter(pk=area.pk).exists():
        errors["area"] = _("只能在本辖区设置隔离点")
    if errors:
        raise ValidationError(errors)
    site = site or Site()
    site.name, site.area, site.address, site.phone, site.active = (
        name.strip()[:100], area, (address or "")[:200], (phone or "")[:30], bool(active))
    site.save()
    audit.record_change(site, user)
    return site


@transaction.atomic
def check_in(order, *, user, now=None) -> IsolationOrder:
    """The site receives the person into their room: the order is in force from now."""
    order = IsolationOrder.objects.select_for_update().get(pk=order.pk)
    if order.kind != Kind.CENTRALIZED or order.room_id is None:
        raise ValidationError({"room": _("请先分配房间再办理入住")})
    if order.state not in ACTIVE_STATES or order.checked_in_at is not None:
        raise ValidationError({"state": _("该人员已入住或隔离已结束")})
    now = now or timezone.now()
    order.checked_in_at = now
    fields = ["checked_in_at"]
    if order.state == State.ORDERED:
        order.state, order.state_changed_at = State.ISOLATING, now
        fields += ["state", "state_changed_at"]
    order.save(update_fields=fields)
    audit.record_change(order, user)
    recompute([order.person_id])
    return order


# Transfers (转运) ------------------------------------------------------------------------------------

@transaction.atomic
def create_transfer(*, user, from_area, to_site, vehicle, driver, departs_at, orders, driver_phone=""):
    """A batch of centralized orders of one community leaving for a site: all or nothing, by row."""
    from .models import TransferBatch

    if not user.has_perm("isolation.add_transferbatch"):
        raise PermissionDenied(_("您没有安排转运的权限"))
    from fangkong.territory.models import Area

    errors = {}
    if not (vehicle or "").strip():
        errors["vehicle"] = _("请填写车牌号")
    if not (driver or "").strip():
        errors["driver"] = _("请填写司机姓名")
    if departs_at is None:
        errors["departs_at"] = _("请填写出发时间")
    if from_area is None or not Area.objects.visible_to(user).filter(pk=from_area.pk).exists():
        errors["from_area"] = _("只能从本辖区的社区转运")
    if to_site is None or not to_site.active:
        errors["to_site"] = _("请选择启用中的隔离点")
    orders = list(IsolationOrder.objects.visible_to(user).filter(pk__in=[o.pk for o in orders])
                  .select_for_update().select_related("person"))
    rows = []
    if not orders:
        rows.append(_("请至少选择一名待转运人员"))
    for number, order in enumerate(orders, start=1):
        who = {"n": number, "name": order.person.name_masked}
        if order.kind != Kind.CENTRALIZED or order.state not in ACTIVE_STATES:
            rows.append(_("第 %(n)d 人 %(name)s：不是待集中隔离的人员") % who)
        elif order.checked_in_at is not None or order.transfer_id is not None:
            rows.append(_("第 %(n)d 人 %(name)s：已安排转运或已入住") % who)
        elif from_area is not None and order.area_id != from_area.pk:
            rows.append(_("第 %(n)d 人 %(name)s：不属于出发社区") % who)
    if rows:
        errors["orders"] = rows
    if errors:
        raise ValidationError(errors)
    batch = TransferBatch.objects.create(vehicle=vehicle.strip()[:20], driver=driver.strip()[:50],
                                         driver_phone=(driver_phone or "")[:30], departs_at=departs_at,
                                         from_area=from_area, to_site=to_site, created_by=user)
    IsolationOrder.objects.filter(pk__in=[o.pk for o in orders]).update(transfer=batch, site=to_site)
    audit.record_change(batch, user, changes={"persons": [o.person_id for o in orders]})
    return batch


@transaction.atomic
def receive_transfer(batch, *, user, now=None):
    """The site has received the batch's persons; rooms and check-in follow per person."""
    from .models import TransferBatch, TransferState

    if not user.has_perm("isolation.change_transferbatch"):
        raise PermissionDenied(_("您没有接收转运的权限"))
    batch = TransferBatch.objects.select_for_update().get(pk=batch.pk)
    if not may_work_at(user, batch.to_site):
        raise PermissionDenied(_("只有目的隔离点的工作人员可以接收"))
    if batch.state == TransferState.RECEIVED:
        raise ValidationError({"state": _("该批次已接收")})
    batch.state, batch.received_at, batch.received_by = TransferState.RECEIVED, now or timezone.now(), user
    batch.save(update_fields=["state", "received_at", "received_by"])
    audit.record_change(batch, user)
    return batch


def may_work_at(user, site) -> bool:
    """Site staff work at their own sites; officers at the sites of their area; community workers use the sites
    that serve their area (a district's hotel takes every community's persons)."""
    if user.is_superuser or site.staff.filter(pk=user.pk).exists():
        return True
    if user.area_id is None:
        return False
    mine, theirs = user.area.path, site.area.path
    return mine.startswith(theirs) or theirs.startswith(mine)


# Ending an order ------------------------------------------------------------------------------------

def _end(order, state, reason, user, now=None):
    now = now or timezone.now()
    order.state, order.state_reason, order.state_changed_at = state, reason[:300], now
    order.ended_on = timezone.localdate(now)
    fields = ["state", "state_reason", "state_changed_at", "ended_on", "release_approved_by"]
    if order.room_id is not None and order.checked_out_at is None:
        order.checked_out_at = now
        fields.append("checked_out_at")
    order.save(update_fields=fields)
    if order.room_id is not None:
        _room_freed(order.room_id, user)
    MonitoringTask.objects.filter(order=order, done_at__isnull=True).update(
        done_at=now, done_by=user, note=str(State(state).label))
    audit.record_change(order, user)
    if state == State.RELEASED:
        _follow_up(order, user, now)
    recompute([order.person_id])
    return order


def _follow_up(order, user, now):
    """14+7: a release of a kind with days of home health monitoring after it puts the person under home health
    monitoring from the release day, followed by the same worker."""
    then = kind_defaults()[order.kind]["then_days"] if order.kind != Kind.HOME_MONITORING else 0
    if not then:
        return None
    verification, token = _new_codes()
    follow = IsolationOrder(
        person_id=order.person_id, area_id=order.area_id, grid_id=order.grid_id, kind=Kind.HOME_MONITORING,
        reason=(_("解除%(kind)s后居家健康监测") % {"kind": order.get_kind_display()})[:300], source=order.source,
        start=order.ended_on, planned_end=order.ended_on + datetime.timedelta(days=then), worker_id=order.worker_id,
        state=State.ISOLATING, state_changed_at=now, verification_code=verification, monitoring_token=token,
        created_by=user)
    follow.save()
    audit.record_change(follow, user)
    return follow


def _locked_active(order, user):
    order = IsolationOrder.objects.select_for_update().get(pk=order.pk)
    if not IsolationOrder.objects.visible_to(user).filter(pk=order.pk).exists():
        raise PermissionDenied(_("该隔离不在您的管辖范围内"))
    if order.state not in ACTIVE_STATES:
        raise ValidationError({"state": _("该隔离已%(state)s，不能再变更") % {"state": order.get_state_display()}})
    return order


@transaction.atomic
def request_release(order, *, user, reason="", now=None) -> IsolationOrder:
    """Release an isolating person. On or after the planned end, with the negative tests its kind asks for, it is
    done at once. Before the planned end, or without those tests, a written reason is required and the release
    waits for a second approver (approve_release); without a reason it is refused, saying what is missing."""
    if not user.has_perm("isolation.release_isolationorder"):
        raise PermissionDenied(_("您没有解除隔离的权限"))
    order = _locked_active(order, user)
    reason = (reason or "").strip()
    day = timezone.localdate(now)
    if len(reason) > 300:
        raise ValidationError({"reason": _("原因不能超过300个字")})
    if order.state == State.ORDERED:
        raise ValidationError({"state": _("隔离尚未开始，如不再需要请撤销")})
    early = day < order.planned_end
    # The days done are not enough: the kind's negative tests must be in too, counted as release proposals count
    # them. Without them a release is an exception like an early one: a written reason and a second approver.
    missing = 0 if early else missing_tests(order, day)
    if not early and not missing:
        return _end(order, State.RELEASED, reason or _("隔离期满"), user, now)
    if not reason and early:
        raise ValidationError({"reason": _("未到计划解除日期（%(day)s），提前解除须填写原因并由另一人审批") % {
            "day": order.planned_end.isoformat()}})
    if not reason:
        raise ValidationError({"reason": missing_tests_message(order, missing)})
    if order.release_requested_by_id is not None:
        raise ValidationError({"reason": _("已有解除申请等待审批")})
    order.release_reason, order.release_requested_by = reason, user
    order.release_requested_at = now or timezone.now()
    order.save(update_fields=["release_reason", "release_requested_by", "release_requested_at"])
    audit.record_change(order, user, changes={"decision": "requested"})
    return order


@transaction.atomic
def approve_release(order, *, user, now=None) -> IsolationOrder:
    """The second approver puts an early release in force; never the user who asked for it."""
    if not user.has_perm("isolation.approve_early_release"):
        raise PermissionDenied(_("您没有审批提前解除隔离的权限"))
    order = _locked_active(order, user)
    if order.release_requested_by_id is None:
        raise ValidationError({"reason": _("没有待审批的解除申请")})
    if order.release_requested_by_id == user.pk:
        raise ValidationError({"reason": _("不能审批自己提交的解除申请，请由另一位审批人审批")})
    order.release_approved_by = user
    return _end(order, State.RELEASED, order.release_reason, user, now)


@transaction.atomic
def reject_release(order, *, user, note="") -> IsolationOrder:
    if not user.has_perm("isolation.approve_early_release"):
        raise PermissionDenied(_("您没有审批提前解除隔离的权限"))
    order = _locked_active(order, user)
    if order.release_requested_by_id is None:
        raise ValidationError({"reason": _("没有待审批的解除申请")})
    if order.release_requested_by_id == user.pk:
        raise ValidationError({"reason": _("不能审批自己提交的解除申请，请由另一位审批人审批")})
    order.release_reason, order.release_requested_by, order.release_requested_at = "", None, None
    order.save(update_fields=["release_reason", "release_requested_by", "release_requested_at"])
    audit.record_change(order, user, changes={"decision": "reject", "state_reason": (note or "")[:300]})
    return order


@transaction.atomic
def change_state(order, to_state, *, user, reason="", now=None) -> IsolationOrder:
    """Cancel an order (with a reason) or record a transfer to hospital."""
    if not user.has_perm("isolation.change_isolationorder"):
        raise PermissionDenied(_("您没有变更隔离的权限"))
    order = _locked_active(order, user)
    reason = (reason or "").strip()
    if to_state not in (State.CANCELLED, State.TRANSFERRED) or to_state not in TRANSITIONS.get(order.state, []):
        raise ValidationError({"state": _("不能从“%(from)s”变更为“%(to)s”") % {
            "from": order.get_state_display(), "to": dict(State.choices).get(to_state, to_state)}})
    if not reason:
        raise ValidationError({"reason": _("请填写原因")})
    return _end(order, to_state, reason, user, now)


# Monitoring -----------------------------------------------------------------------------------------

SLOT_TIMES = {Slot.MORNING: datetime.time(8, 0), Slot.AFTERNOON: datetime.time(16, 0)}


def slot_time(day, slot):
    """The time a late entry for a slot is recorded at (its usual hour)."""
    return timezone.make_aware(datetime.datetime.combine(day, SLOT_TIMES[slot]))


def slot_at(at) -> str:
    return Slot.AFTERNOON if timezone.localtime(at).hour >= AFTERNOON_FROM else Slot.MORNING


def _temperature(value, errors):
    try:
        value = Decimal(str(value).strip()).quantize(Decimal("0.1"))
        if not MIN_TEMPERATURE <= value <= MAX_TEMPERATURE:
            raise InvalidOperation
        return value
    except (InvalidOperation, ValueError):
        errors["temperature"] = _("体温应在 34.0 到 43.0 ℃ 之间")
        return None


@transaction.atomic
def record_check(order, *, temperature, symptoms="", at=None, user=None, now=None) -> MonitoringCheck:
    """One temperature (with symptoms) of an isolating person, by the person (user None) or a worker. The
    slot (上午/下午) comes from the time; an abnormal entry becomes a task for the responsible worker and
    closes the slot's missed task."""
    now = now or timezone.now()
    at = at or now
    errors = {}
    order = IsolationOrder.objects.select_for_update().get(pk=order.pk)
    if user is not None and not IsolationOrder.objects.visible_to(user).filter(pk=order.pk).exists() \
            and not (order.site_id and may_work_at(user, order.site)):
        raise PermissionDenied(_("该隔离不在您的管辖范围内"))
    if order.state != State.ISOLATING:
        errors["order"] = _("该人员当前不在隔离中，不需要测温")
    if at > now + datetime.timedelta(minutes=5):
        errors["at"] = _("测量时间不能晚于现在")
    elif timezone.localdate(at) < order.start:
        errors["at"] = _("测量时间不能早于隔离开始日期")
    value = _temperature(temperature, errors)
    symptoms = (symptoms or "").strip()
    if len(symptoms) > 200:
        errors["symptoms"] = _("症状描述不能超过200个字")
    day, slot = timezone.localdate(at), slot_at(at)
    if not errors and MonitoringCheck.objects.filter(order=order, day=day, slot=slot).exists():
        errors["at"] = _("%(day)s %(slot)s已经测过体温") % {"day": day.isoformat(), "slot": Slot(slot).label}
    if errors:
        raise ValidationError(errors)
    check = MonitoringCheck.objects.create(order=order, day=day, slot=slot, at=at, temperature=value,
                                           symptoms=symptoms, by=user)
    # An entry that comes late still clears the slot's missed task.
    MonitoringTask.objects.filter(order=order, day=day, slot=slot, kind=TaskKind.MISSED, done_at__isnull=True).update(
        done_at=now, done_by=user, note=_("已补测"))
    if check.abnormal:
        MonitoringTask.objects.get_or_create(order=order, day=day, slot=slot, kind=TaskKind.ABNORMAL,
                                             defaults={"area_id": order.area_id, "worker_id": order.worker_id})
    audit.record_change(check, user, changes={} if user is not None else {"by": _("本人")})
    return check


def open_missed_tasks(day=None, now=None) -> int:
    """The scheduled job (after each slot's deadline): every isolating person without an entry for a slot that
    has passed gets a task for their responsible worker. Idempotent."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    local = timezone.localtime(now)
    created = 0
    for slot, deadline in SLOT_DEADLINES.items():
        if day == local.date() and local.time() < deadline:
            continue
        entered = MonitoringCheck.objects.filter(order=OuterRef("pk"), day=day, slot=slot)
        known = MonitoringTask.objects.filter(order=OuterRef("pk"), day=day, slot=slot, kind=TaskKind.MISSED)
        orders = (IsolationOrder.objects.isolating().filter(start__lte=day)
                  .exclude(Exists(entered)).exclude(Exists(known)).values_list("pk", "area_id", "worker_id"))
        tasks = [MonitoringTask(order_id=pk, area_id=area, worker_id=worker, day=day, slot=slot,
                                kind=TaskKind.MISSED) for pk, area, worker in orders]
        created += len(MonitoringTask.objects.bulk_create(tasks, ignore_conflicts=True, batch_size=5000))
    return created


def run_rounds(now=None) -> tuple[int, int]:
    """The scheduled job (isolation_rounds): due orders start, then yesterday's and today's passed slots
    without an entry become tasks (idempotent; yesterday's too, in case a run was missed)."""
    now = now or timezone.now()
    started = start_due(now)
    day = timezone.localdate(now)
    tasks = open_missed_tasks(day - datetime.timedelta(days=1), now) + open_missed_tasks(day, now)
    return started, tasks


@transaction.atomic
def close_task(task, *, user, note) -> MonitoringTask:
    """The responsible worker (or anyone in scope) records what was done: called, visited, sent to hospital."""
    task = MonitoringTask.objects.select_for_update().get(pk=task.pk)
    if not MonitoringTask.objects.visible_to(user).filter(pk=task.pk).exists():
        raise PermissionDenied(_("该待办不在您的管辖范围内"))
    note = (note or "").strip()
    if task.done_at is not None:
        raise ValidationError({"note": _("该待办已处理")})
    if not note:
        raise ValidationError({"note": _("请填写处理情况")})
    task.done_at, task.done_by, task.note = timezone.now(), user, note[:300]
    task.save(update_fields=["done_at", "done_by", "note"])
    audit.record_change(task, user)
    return task


def board(user, day=None):
    """每天清零: the open monitoring tasks in the user's scope, by community and worker: how many, how many abnormal,
    how many from before today, and the oldest day. One query whatever the number of persons: it sums the few
    counter rows PostgreSQL keeps per community, worker, day and kind (OpenTaskCount), and names the groups
    found by a subquery each. A grid worker's scope is the tasks of their grids: counted from the tasks (few)."""
    from fangkong.accounts.models import User
    from fangkong.territory.models import Area

    day = day or today()
    if user.is_authenticated and user.grid_id and not user.is_superuser:
        rows = (MonitoringTask.objects.visible_to(user).open().order_by()
                .values("area_id", worker_key=Coalesce("worker_id", 0)).annotate(
                    tasks=Count("pk"), abnormal=Count("pk", filter=Q(kind=TaskKind.ABNORMAL)),
                    overdue=Count("pk", filter=Q(day__lt=day)), oldest=Min("day")))
    else:
        rows = (OpenTaskCount.objects.visible_to(user).filter(n__gt=0).order_by().values("area_id", "worker_key")
                .annotate(tasks=Sum("n"), abnormal=Sum("n", filter=Q(kind=TaskKind.ABNORMAL), default=0),
                          overdue=Sum("n", filter=Q(day__lt=day), default=0), oldest=Min("day")))
    rows = rows.annotate(
        area__name=Subquery(Area.objects.filter(pk=OuterRef("area_id")).order_by().values("name")),
        worker_name=Subquery(User.objects.filter(pk=OuterRef("worker_key")).annotate(
            shown=Coalesce(NullIf("full_name", Value("")), "username")).values("shown")))
    rows = [{**row, "n": row["tasks"], "worker_id": row["worker_key"] or None} for row in rows]
    return sorted(rows, key=lambda r: (r["area__name"] or "", r["worker_name"] or ""))


def open_tasks_today(area, day=None) -> int:
    """Open monitoring tasks of a community for a day (the daily report refuses submission while any)."""
    day = day or today()
    return MonitoringTask.objects.open().filter(area=area, day__lte=day).count()


def open_tasks_blocking(area, day) -> str:
    """The daily report's condition: no open monitoring task of the community up to that day."""
    n = open_tasks_today(area, day)
    return _("还有 %(n)d 条隔离人员监测待办未处理，清零后才能上报日报") % {"n": n} if n else ""


def report_figures(area, day) -> dict:
    """The isolation figures a community's daily report shows and freezes."""
    return {**daily_counts(area.subtree_ids(), day), "open_tasks": open_tasks_today(area, day)}


def daily_counts(area_ids, day=None) -> dict:
    """Isolation figures for the daily report: in force by kind, new today, released today."""
    day = day or today()
    orders = IsolationOrder.objects.filter(area_id__in=list(area_ids))
    counts = orders.aggregate(
        centralized=Count("pk", filter=Q(state=State.ISOLATING, kind=Kind.CENTRALIZED)),
        home=Count("pk", filter=Q(state=State.ISOLATING, kind=Kind.HOME)),
        home_monitoring=Count("pk", filter=Q(state=State.ISOLATING, kind=Kind.HOME_MONITORING)),
        new=Count("pk", filter=Q(start=day, state__in=[State.ISOLATING, State.ORDERED])),
        released=Count("pk", filter=Q(ended_on=day, state=State.RELEASED)))
    return counts


def todos(user) -> list:
    """待办: open monitoring tasks this user is responsible for (or, for officers, in their scope)."""
    from django.urls import reverse

    from fangkong.core.todo import Todo

    if not user.has_perm("isolation.view_monitoringtask"):
        return []
    tasks = MonitoringTask.objects.visible_to(user).open()
    mine = tasks.filter(worker=user).count()
    if mine:
        return [Todo("isolation_tasks", _("%(n)d 条隔离人员监测待办（每天清零）") % {"n": mine},
                     reverse("isolation:board") + "?mine=1", mine, urgent=True)]
    return []


# Release proposals ----------------------------------------------------------------------------------

def _negatives(day, rules):
    """The orders annotated with `negatives` (negative results from testing, counted once a day, after the
    order's start and within its kind's window up to `day`) and `needed` (its kind's count)."""
    from fangkong.testing.models import Sample, TubeResult

    def by_kind(value, field):
        return Case(*[When(kind=kind, then=Value(value(rule))) for kind, rule in rules.items()], output_field=field)

    window_from = by_kind(lambda rule: day - datetime.timedelta(days=rule["release_window_days"] - 1), DateField())
    results = (Sample.objects.filter(person_id=OuterRef("person_id"), tube__result=TubeResult.NEGATIVE,
                                     tube__result_at__date__lte=day)
               .filter(tube__result_at__date__gte=OuterRef("start"))
               .filter(tube__result_at__date__gte=OuterRef("window_from"))
               .order_by().values("person_id").annotate(n=Count("tube__result_at__date", distinct=True)).values("n"))
    return lambda orders: orders.annotate(window_from=window_from).annotate(
        negatives=Coalesce(Subquery(results), 0), needed=by_kind(lambda rule: rule["release_tests"], IntegerField()))


def release_proposals(user, day=None):
    """Isolating persons whose planned end has come and who have the negative tests their kind asks for (read
    from testing: so many results on different days, after the start, within the window): the worker confirms
    each."""
    day = day or today()
    orders = IsolationOrder.objects.visible_to(user).isolating().filter(planned_end__lte=day)
    return (_negatives(day, kind_defaults())(orders).filter(negatives__gte=F("needed"))
            .select_related("person", "area", "worker").order_by("planned_end", "pk"))


def release_tests(order, day=None) -> tuple[int, int]:
    """(negative results that count towards the release, results the kind asks for), for the order page."""
    day = day or today()
    row = _negatives(day, kind_defaults())(IsolationOrder.objects.filter(pk=order.pk)).values(
        "negatives", "needed").get()
    return row["negatives"], row["needed"]


def missing_tests(order, day=None) -> int:
    """How many negative results the order still lacks for a release (0: none missing)."""
    negatives, needed = release_tests(order, day)
    return max(0, needed - negatives)


def missing_tests_message(order, missing) -> str:
    """Why a release on or after the planned end is refused: what is missing, and the way round it."""
    rule = kind_defaults()[order.kind]
    return _("还差 %(n)d 次阴性检测，不能解除（%(kind)s解除须隔离开始后、最近 %(window)d 天内 %(needed)d 个不同日期的"
             "阴性结果）；确需解除请填写原因，由另一人审批") % {
        "n": missing, "kind": order.get_kind_display(), "window": rule["release_window_days"],
        "needed": rule["release_tests"]}


def monitoring_links(person_ids) -> dict[int, str]:
    """The monitoring page of each isolating person among these (for their pass page): one query."""
    from django.urls import reverse

    rows = IsolationOrder.objects.isolating().filter(person_id__in=list(person_ids)).values_list(
        "person_id", "monitoring_token")
    return {person_id: reverse("isolation_monitoring", args=[token]) for person_id, token in rows}


def verify(code: str):
    """The order a printed notice or certificate names, by its verification code (public page)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 12:
        return None
    return IsolationOrder.objects.filter(verification_code=code).select_related("person", "area", "site").first()


# The person's page: the isolation history ----------------------------------------------------------

def person_section(user, person):
    """The isolation timeline of a person for their page (people.sections): every order the user may see, with
    its transfer, room, check-in and out, monitoring entries and release, newest first. Two queries."""
    from fangkong.people.sections import Section

    if not user.has_perm("isolation.view_isolationorder"):
        return None
    orders = list(IsolationOrder.objects.visible_to(user).filter(person_id=person.pk).select_related(
        "site", "room", "transfer", "worker", "created_by", "release_requested_by", "release_approved_by")
        .order_by("-id"))
    if not orders:
        return None
    checks = MonitoringCheck.objects.filter(order__in=[order.pk for order in orders]).select_related("by")
    events = []
    for order in orders:
        kind = order.get_kind_display()
        events.append((order.created_at, order, _("下达%(kind)s：%(reason)s（%(start)s 至 %(end)s）") % {
            "kind": kind, "reason": order.reason, "start": order.start.isoformat(),
            "end": order.planned_end.isoformat()}, order.created_by))
        if order.transfer_id:
            batch = order.transfer
            events.append((batch.departs_at, order, _("转运：%(vehicle)s 前往 %(site)s") % {
                "vehicle": batch.vehicle, "site": order.site.name if order.site_id else ""}, None))
        if order.checked_in_at:
            events.append((order.checked_in_at, order, _("入住 %(site)s %(room)s 房间") % {
                "site": order.site.name if order.site_id else "", "room": order.room.number if order.room_id else ""},
                None))
        if order.checked_out_at:
            events.append((order.checked_out_at, order, _("退房"), None))
        if order.release_requested_at:
            asked = _("申请提前解除：%(reason)s") if order.release_requested_early else _(
                "申请解除（阴性检测未齐）：%(reason)s")
            events.append((order.release_requested_at, order, asked % {"reason": order.release_reason or "—"},
                           order.release_requested_by))
        if order.state_changed_at and order.state not in ACTIVE_STATES:
            events.append((order.state_changed_at, order, _("%(state)s：%(reason)s") % {
                "state": order.get_state_display(), "reason": order.state_reason or "—"},
                order.release_approved_by))
    for check in checks:
        events.append((check.at, None, _("%(slot)s测温 %(t)s ℃%(symptoms)s") % {
            "slot": check.get_slot_display(), "t": check.temperature,
            "symptoms": f"，{check.symptoms}" if check.symptoms else ""}, check.by or _("本人")))
    events.sort(key=lambda event: event[0], reverse=True)
    return Section("isolation-history", _("隔离管控"), "isolation/_person_section.html",
                   {"orders": orders, "events": events})
