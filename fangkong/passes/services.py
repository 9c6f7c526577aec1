"""一区一码 use cases: the place lifecycle, code lookup, residents' devices and recording passages."""

import functools
import hashlib
import re
import uuid
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.accounts import user_cache
from fangkong.accounts.roles import Role
from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction
from fangkong.core import cache as versions
from fangkong.core.db import fetch_prepared

from . import verdict
from .models import (
    Channel,
    Declaration,
    Device,
    DeviceMember,
    Direction,
    Passage,
    Place,
    PlaceState,
    RejectedScan,
)
from .verdict import gate_verdict

CODE_CACHE_SECONDS = 300
DEVICE_COOKIE = "fk_device"
DEVICE_SALT = "fangkong.passes.device"
DEVICE_MAX_AGE = 2 * 365 * 24 * 3600
CONSENT_VERSION = "2026-11"
MIN_TEMPERATURE, MAX_TEMPERATURE = Decimal("34.0"), Decimal("43.0")


# Places -------------------------------------------------------------------------------------------

# Every cached place is keyed on one version that any change of any place bumps (forget_place). A reader takes
# the version before it reads the row, so a copy it read before a suspension or a rotation was committed is
# stored under the old version, which nobody reads again: a revoked code is refused on the next request in every
# process (the cache is shared in production, core/checks.py), never after an expiry.
PLACES_VERSION_KEY = "passes:places-version"


def _code_key(code):
    return f"place-code:{versions.version(PLACES_VERSION_KEY)}:{code}"


def _pk_key(pk):
    return f"place-pk:{versions.version(PLACES_VERSION_KEY)}:{pk}"


def _place_recorders_key(pk):
    return f"passes:place-recorders-version:{pk}"


def _cached_place(key, **lookup) -> Place | None:
    """A place with its area, kept CODE_CACHE_SECONDS or until any place changes (forget_place)."""
    place = cache.get(key)
    if place is None:
        place = Place.objects.select_related(*verdict.PLACE_RELATED).filter(**lookup).first()
        if place is not None:
            cache.set(key, place, CODE_CACHE_SECONDS)
    return place


def place_for_code(code: str, ip: str = "", *, record=True) -> Place | None:
    """The approved place behind a scanned code, or None (the failed attempt is recorded, unless not `record`:
    an address past its limit of failures, whose flood must not cost a write each)."""
    if not code or len(code) > 64:
        if record:
            RejectedScan.objects.create(code=(code or "")[:64], reason="malformed", ip=ip)
        return None
    place = _cached_place(_code_key(code), code=code)
    if place is None or place.state != PlaceState.APPROVED:
        if not record:
            return None
        RejectedScan.objects.create(code=code[:64], reason="unknown" if place is None else place.state,
                                    place=place, ip=ip)
        return None
    return place


def place_by_pk(pk: int) -> Place | None:
    """Any place by id, cached like a scanned code (a pass-code scan names its place by id). Not scoped."""
    return _cached_place(_pk_key(pk), pk=pk)


def forget_place(sender=None, instance=None, **kwargs):
    """Signal receiver (apps.py), also for writes that send no signal (bulk imports): every cached place is
    stale now, and again at commit, so that a copy another request read from the old rows before the commit
    is not kept."""
    versions.changed(PLACES_VERSION_KEY)
    if instance is not None:  # who may record at this place is asked again
        versions.changed(_place_recorders_key(instance.pk))


@transaction.atomic
def decide_place(place: Place, *, approve: bool, reason: str, user) -> Place:
    """Approve a registered place (it gets its code and poster) or reject it with a reason."""
    if place.state != PlaceState.PENDING:
        raise ValidationError(_("该场所已审核，不能重复审核"))
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("不通过时必须填写原因")})
    place.state = PlaceState.APPROVED if approve else PlaceState.REJECTED
    place.state_reason = reason.strip()[:200]
    place.decided_by, place.decided_at = user, timezone.now()
    place.save()  # a scan while pending cached it as pending: forget_place drops that
    audit.record_change(place, user)
    return place


@transaction.atomic
def suspend_place(place: Place, *, reason: str, user) -> Place:
    """Suspending takes effect at once: the poster's code stops working on the next scan."""
    if place.state != PlaceState.APPROVED:
        raise ValidationError(_("只有已启用的场所可以暂停"))
    if not reason.strip():
        raise ValidationError({"reason": _("暂停时必须填写原因")})
    place.state, place.state_reason = PlaceState.SUSPENDED, reason.strip()[:200]
    place.save()
    audit.record_change(place, user)
    return place


@transaction.atomic
def resume_place(place: Place, *, user) -> Place:
    if place.state != PlaceState.SUSPENDED:
        raise ValidationError(_("只有已暂停的场所可以恢复"))
    place.state, place.state_reason = PlaceState.APPROVED, ""
    place.save()
    audit.record_change(place, user)
    return place


@transaction.atomic
def rotate_code(place: Place, *, user) -> Place:
    """A new code for a lost or misused poster; the old poster stops working at once."""
    from .models import new_place_code

    place.code, place.code_issued_at = new_place_code(), timezone.now()
    place.save()  # forget_place: the old code's cached copy is stale in every process
    audit.record_change(place, user)
    return place


# Place management (staff pages, self-registration, import) ---------------------------------------

MAX_SHIFT_HOURS = 24


def check_place_name(name: str, area, exclude: Place | None = None):
    """A second live place of one name in one area is almost always the same unit registering twice."""
    same = Place.objects.filter(area=area, name=name).exclude(state=PlaceState.REJECTED)
    if exclude is not None:
        same = same.exclude(pk=exclude.pk)
    if same.exists():
        raise ValidationError({"name": _("%(area)s已有名为“%(name)s”的场所") % {"area": area.name, "name": name}})


def place_link_errors(area, **links) -> dict:
    """A place's compound and grid must lie in its own area: a gate linked to another community's compound would
    check residents against the wrong households, and its grid would put it in another worker's scope."""
    return {key: _("所选%(what)s不在“%(area)s”") % {"what": Place._meta.get_field(key).verbose_name, "area": area.name}
            for key, linked in links.items() if area and linked and linked.area_id != area.pk}


def _check_place(place: Place, exclude: Place | None = None):
    errors = place_link_errors(place.area, compound=place.compound, grid=place.grid)
    if errors:
        raise ValidationError(errors)
    check_place_name(place.name, place.area, exclude=exclude)


@transaction.atomic
def create_place(*, contact_phone: str, user=None, **fields) -> Place:
    """A place registered by its unit (no user: it waits for review) or by staff.

    Staff who may approve places approve what they create themselves: the poster is ready at once.
    """
    from fangkong.core.identity import normalize_phone

    place = Place(**fields)
    try:
        place.set_contact_phone(normalize_phone(contact_phone))
    except ValidationError as exc:
        raise ValidationError({"contact_phone": exc.messages}) from None
    _check_place(place)
    if user is not None and user.has_perm("passes.approve_place"):
        place.state, place.decided_by, place.decided_at = PlaceState.APPROVED, user, timezone.now()
    place.save()
    audit.record_change(place, user)
    if user is not None and user.has_role(Role.ENTERPRISE_ADMIN):
        # An enterprise registering its own gate looks after it (and waits for the community's review).
        place.managers.add(user)
    return place


@transaction.atomic
def update_place(place: Place, *, user, contact_phone: str = "", **fields) -> Place:
    """Edit a place; an empty phone keeps the stored one. Scans see the change at once."""
    from fangkong.core.identity import normalize_phone

    for name, value in fields.items():
        setattr(place, name, value)
    if contact_phone:
        try:
            place.set_contact_phone(normalize_phone(contact_phone))
        except ValidationError as exc:
            raise ValidationError({"contact_phone": exc.messages}) from None
    _check_place(place, exclude=place)
    place.save()
    audit.record_change(place, user)
    return place


def _role_members_for(place: Place, acting_user, role: Role):
    """Users of `role` the acting user may link to `place`: in the acting user's scope, and with a scope of
    their own (area at or above the place's, no other grid) that includes the place."""
    from django.contrib.auth import get_user_model

    from fangkong.territory.models import Area

    above = [f"/{'/'.join(parts)}/" for parts in _prefixes(place.area.path)]
    grid = Q(grid=None) | Q(grid_id=place.grid_id) if place.grid_id else Q(grid=None)
    return (get_user_model().objects.visible_to(acting_user)
            .filter(grid, is_active=True, groups__name=role.value, area__in=Area.objects.filter(path__in=above))
            .distinct().order_by("full_name", "username"))


def checkpoint_staff_for(place: Place, acting_user):
    """Checkpoint staff the acting user may post at `place`."""
    return _role_members_for(place, acting_user, Role.CHECKPOINT_STAFF)


def enterprise_admins_for(place: Place, acting_user):
    """Enterprise admins the acting user may make managers of `place` (their enterprise's gate)."""
    return _role_members_for(place, acting_user, Role.ENTERPRISE_ADMIN)


def _prefixes(path: str):
    parts = path.strip("/").split("/")
    return [parts[:i] for i in range(1, len(parts) + 1)]


# The people linked to a place by role: who may be linked (in the acting user's scope) and the refusal otherwise.
PLACE_MEMBERS = {
    "staff": (checkpoint_staff_for, gettext_lazy("只能安排本辖区的卡点值守人员")),
    "managers": (enterprise_admins_for, gettext_lazy("只能指定本辖区的企业管理员")),
}


def _check_member(place: Place, relation: str, member, acting_user):
    candidates, refusal = PLACE_MEMBERS[relation]
    if not candidates(place, acting_user).filter(pk=member.pk).exists():
        raise ValidationError({"user": refusal})


@transaction.atomic
def set_place_member(place: Place, relation: str, member, *, assigned: bool, user):
    """Post a checkpoint staff member at the place (relation "staff") or make an enterprise admin one of its
    managers ("managers"), or undo it."""
    if assigned:
        _check_member(place, relation, member, user)
    linked = getattr(place, relation)
    if assigned:
        linked.add(member)
    else:
        linked.remove(member)
    audit.record_change(place, user, action=AuditAction.UPDATE,
                        changes={relation: {"added" if assigned else "removed": str(member)}})


@transaction.atomic
def add_shift(place: Place, *, member, starts_at, ends_at, duty: str = "", user):
    """定岗定人定责: one shift of one checkpoint staff member at one place."""
    from .models import DutyShift

    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("结束时间必须晚于开始时间")})
    if (ends_at - starts_at).total_seconds() > MAX_SHIFT_HOURS * 3600:
        raise ValidationError({"ends_at": _("一个班次不能超过 %(n)d 小时") % {"n": MAX_SHIFT_HOURS}})
    _check_member(place, "staff", member, user)
    if place.shifts.filter(user=member, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise ValidationError({"starts_at": _("%(name)s在这段时间已有班次") % {"name": member}})
    shift = DutyShift.objects.create(place=place, user=member, starts_at=starts_at, ends_at=ends_at,
                                     duty=duty.strip()[:50])
    audit.record_change(shift, user)
    return shift


@transaction.atomic
def delete_shift(shift, *, user):
    audit.record_change(shift, user, action=AuditAction.DELETE)
    shift.delete()


# Residents' devices -------------------------------------------------------------------------------

GATE_PERSON_FIELDS = ("id", "name", "household_id", "area_id")  # what the verdict reads of a person


@functools.cache
def gate_person_sql() -> tuple[str, str]:
    """(columns, joins) that read, for the person aliased `p`, what the gate verdict needs in the hot path's one
    query: the person's fields in the model's own order (Model.from_db assigns values in that order), their
    home compound, their latest declaration and what the apps above add for their facts (verdict.ROW_PARTS: the
    health-code row). Built once, at the first scan; gate_person() turns a row read with them into a Person."""
    columns = ", ".join(f"p.{field.column}" for field in _gate_person_fields())
    extra = "".join(f", {part.columns}" for part in verdict.ROW_PARTS)
    return (f"{columns}, b.compound_id, d.id, d.at, d.visited_risk_area, d.has_symptoms, d.had_contact{extra}",
            GATE_PERSON_JOINS_SQL + "".join(f"\n{part.joins}" for part in verdict.ROW_PARTS))


GATE_PERSON_JOINS_SQL = """
LEFT JOIN territory_household hh ON hh.id = p.household_id
LEFT JOIN territory_unit u ON u.id = hh.unit_id
LEFT JOIN territory_building b ON b.id = u.building_id
LEFT JOIN passes_declaration d ON d.id = (
    SELECT d2.id FROM passes_declaration d2 WHERE d2.person_id = p.id AND d2.proven ORDER BY d2.at DESC LIMIT 1)
"""


@functools.cache
def _gate_person_fields():
    from fangkong.people.models import Person

    return [field for field in Person._meta.concrete_fields if field.attname in GATE_PERSON_FIELDS]


def gate_person(values):
    """The Person behind a row read with gate_person_sql(), carrying `home_compound_id`, `declared` (their latest
    declaration or None) and the apps' row parts, so that the verdict reads nothing more."""
    from fangkong.people.models import Person

    fields = _gate_person_fields()
    count = len(fields)
    person = Person.from_db(None, [field.attname for field in fields], list(values[:count]))
    compound_id, decl_id, at, risk, symptoms, contact = values[count:count + 6]
    person.home_compound_id = compound_id
    person.declared = None if decl_id is None else Declaration(
        pk=decl_id, person_id=person.pk, at=at, visited_risk_area=bool(risk), has_symptoms=bool(symptoms),
        had_contact=bool(contact))
    start = count + 6
    for part in verdict.ROW_PARTS:
        part.attach(person, values[start:start + part.width])
        start += part.width
    return person


def gate_person_in(persons, person_id):
    """The person of `persons` (a scoped queryset) with this id, read as gate_person() builds them, or None:
    one query for the person, their scope, latest declaration and the apps' row parts (the API's passage)."""
    if not str(person_id).isdigit():
        return None
    columns, joins = gate_person_sql()
    scope, params = persons.filter(pk=int(person_id)).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM people_person p {joins} WHERE p.id IN ({scope})", params)
        row = cursor.fetchone()
    return gate_person(row) if row else None


# The device's people, each read as gate_person() needs them, in one query.
DEVICE_MEMBERS_SQL = """
SELECT m.id, m.label, m.verified_at, {columns}
FROM passes_devicemember m
JOIN passes_device v ON v.id = m.device_id AND v.revoked_at IS NULL
JOIN people_person p ON p.id = m.person_id
{joins}
WHERE m.device_id = %s
ORDER BY m.added_at
"""


@functools.cache
def _device_members_sql() -> str:
    columns, joins = gate_person_sql()
    return DEVICE_MEMBERS_SQL.format(columns=columns, joins=joins)


def device_members(cookie: str | None) -> tuple[Device | None, list[DeviceMember]]:
    """The device behind a signed cookie and the people registered on it, in one query.

    Each member's person is a gate_person(): a one-tap check-in needs no other read before its INSERT
    (DESIGN.md, the hot path). It is hand-written SQL because this is the hot path: the ORM's compilation of
    the same query cost more than the query itself (bench/checkin.py).
    """
    if not cookie:
        return None, []
    try:
        device_id = uuid.UUID(signing.loads(cookie, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE))
    except (signing.BadSignature, ValueError, TypeError):
        return None, []
    rows = fetch_prepared(_device_members_sql(), [Device._meta.pk.get_db_prep_value(device_id, connection)])
    if not rows:
        return None, []
    members = [DeviceMember(pk=row[0], device_id=device_id, person=gate_person(row[3:]), label=row[1],
                            verified_at=row[2])
               for row in rows]
    return Device(pk=device_id), members


def device_cookie(device: Device) -> str:
    return signing.dumps(str(device.pk), salt=DEVICE_SALT)


def add_to_device(device: Device | None, person, label: str, *, proof: str | None, by=None) -> Device:
    """Register `person` on the phone (a new device when None). `proof` says how the phone has proven that the
    person is theirs (a Proof value), or None: the phone then records passages for them and sees nothing of
    theirs until it proves it (passes.binding). A link proven once stays proven; every proof is audited."""
    device = device or Device.objects.create()
    member, _created = DeviceMember.objects.update_or_create(
        device=device, person=person, defaults={"label": label[:20] or _("本人")})
    if proof and member.verified_at is None:
        from .binding import mark_proven

        mark_proven(member, proof, by=by)
    return device


def revoke_device(device: Device):
    Device.objects.filter(pk=device.pk).update(revoked_at=timezone.now())


LATEST = object()  # record_passage reads the latest declaration itself


def latest_declaration(person) -> Declaration | None:
    return Declaration.objects.filter(person=person, proven=True).order_by("-at").first()


# Passages -----------------------------------------------------------------------------------------

def clean_temperature(raw) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).strip().replace("℃", "")).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("体温请填写数字，如 36.5"), code="temperature") from None
    if not MIN_TEMPERATURE <= value <= MAX_TEMPERATURE:
        raise ValidationError(_("体温应在 34.0 到 43.0 ℃ 之间，请重新测量"), code="temperature")
    return value


# Who may record where takes five queries and a guard scans hundreds of codes an hour, so the answer is
# cached under the user's cache version (accounts.user_cache: their role, area, active flag, permissions) and the
# place's, which signals (apps.py) bump when the place, its staff, its managers or its duty shifts change.
# Nothing here is global, so one guard's login or transfer leaves every other gate's answers cached.
RECORDER_CACHE_SECONDS = 300
RECORDER_OK, RECORDER_DENIED, RECORDER_HIDDEN = "ok", "denied", "hidden"


def recorder_access(user, place: Place) -> str:
    """Whether `user` may record passages at `place` (ok), sees it but may not (denied) or does not see it (hidden).

    Staff record only at places in their scope; checkpoint staff only at their own posts.
    """
    stamp = user_cache.stamp(user.pk, _place_recorders_key(place.pk))
    key = f"passes:recorder:{stamp}:{user.pk}:{place.pk}"
    access = cache.get(key)
    if access is None:
        if not Place.objects.visible_to(user).filter(pk=place.pk).exists():
            access = RECORDER_HIDDEN
        elif not user.has_perm("passes.record_passage"):
            access = RECORDER_DENIED
        elif user.has_role(Role.CHECKPOINT_STAFF) and not user.is_superuser:
            posted = place.staff.filter(pk=user.pk).exists() or place.shifts.filter(user=user).exists()
            access = RECORDER_OK if posted else RECORDER_DENIED
        else:
            access = RECORDER_OK
        cache.set(key, access, RECORDER_CACHE_SECONDS)
    return access


def shift_changed(sender=None, instance=None, **kwargs):
    versions.changed(_place_recorders_key(instance.place_id))


def place_members_changed(sender=None, instance=None, action="", reverse=False, **kwargs):
    """Place.staff or Place.managers changed: from the place's side, that place; from the user's, that user."""
    if action.startswith("post_"):
        if reverse:
            user_cache.user_changed(instance.pk)
        else:
            versions.changed(_place_recorders_key(instance.pk))


def may_record_at(user, place: Place) -> bool:
    return recorder_access(user, place) == RECORDER_OK


RECENT_HOURS = 12  # the station's "seen here lately": its live list and the vehicle form's picks


def persons_recordable_by(user, place: Place):
    """The persons `user` may name by id when recording a passage at `place` (the API's `person`).

    Staff who follow people up (people.view_person) name anyone in their scope. Others who record at a gate
    (checkpoint staff) see no person list: only the people their station shows, those who passed this place
    in the last RECENT_HOURS hours; anyone else they register by name and document, as at the station.
    Naming an id is never a way to read a person a recorder could not otherwise see.
    """
    from fangkong.people.models import Person

    if user.has_perm("people.view_person"):
        return Person.objects.visible_to(user)
    since = timezone.now() - timedelta(hours=RECENT_HOURS)
    return Person.objects.filter(pk__in=Passage.objects.filter(place=place, at__gte=since).values("person_id"))


def record_passage(person, place, *, channel, idempotency_key, direction=Direction.IN, temperature=None,
                   recorder=None, declaration=LATEST, vehicle_plate="", at=None, corrects=None) -> Passage:
    """Decide the verdict and write the passage once; the same idempotency key returns the first one.

    `declaration` is the person's latest declaration (or None) when the caller has already read it.

    The returned passage's `replayed` is True when the key had been used before (nothing was written).
    """
    if direction not in Direction.values:
        raise ValidationError({"direction": _("方向只能是“入”或“出”")})
    if direction == Direction.OUT and not place.records_exit:
        raise ValidationError({"direction": _("该场所只登记进入")})
    if recorder is not None and not may_record_at(recorder, place):
        raise PermissionDenied(_("您不能在该场所登记出入"))
    if not idempotency_key or len(idempotency_key) > 255:
        raise ValidationError({"idempotency_key": _("缺少或过长的幂等键")})
    # Stored as a digest: fixed length, and a client's key says nothing about who sent it.
    idempotency_key = key_digest(idempotency_key)
    temperature = clean_temperature(temperature)
    at = at or timezone.now()
    if declaration is LATEST:
        # A person read by gate_person() carries their latest declaration: no second read.
        declaration = person.declared if "declared" in person.__dict__ else latest_declaration(person)
    decision = gate_verdict(person, place, at, temperature=temperature, declaration=declaration, direction=direction)
    passage = Passage(person=person, place=place, area_id=place.area_id, direction=direction, at=at,
                      temperature=temperature, verdict=decision.verdict, reasons=decision.reasons,
                      channel=channel, recorder=recorder, vehicle_plate=vehicle_plate, corrects=corrects,
                      idempotency_key=idempotency_key)
    if _insert_once(passage):
        passage.replayed = False
        return passage
    existing = Passage.objects.get(idempotency_key=idempotency_key)
    if existing.person_id == person.pk:
        existing.person = person  # the result screen shows it: no second read
    existing.replayed = True
    return existing


_INSERT_FIELDS = [f for f in Passage._meta.concrete_fields if not f.primary_key]
_INSERT_SQL = (f"INSERT INTO {Passage._meta.db_table} ({', '.join(f.column for f in _INSERT_FIELDS)}) "
               f"VALUES ({', '.join(['%s'] * len(_INSERT_FIELDS))}) "
               f"ON CONFLICT (idempotency_key) DO NOTHING RETURNING {Passage._meta.pk.column}")


def _insert_once(passage: Passage) -> bool:
    """Write the passage unless its idempotency key exists; True when written.

    One statement that neither fails on a used key (no savepoint needed inside a caller's transaction)
    nor goes through the ORM's per-call compilation: the hot path of every check-in (bench/checkin.py).
    Prepared, so that its thirteen values are bound by the server, not quoted one by one in Python.
    Passages send no signals: nothing listens to their saves (they are not Audited rows).
    """
    db = connections[DEFAULT_DB_ALIAS]
    values = [f.get_db_prep_save(f.pre_save(passage, add=True), db) for f in _INSERT_FIELDS]
    rows = fetch_prepared(_INSERT_SQL, values)
    if not rows:
        return False
    passage.pk = rows[0][0]
    passage._state.adding, passage._state.db = False, connection.alias
    return True


def key_digest(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()


# Checkpoint station -------------------------------------------------------------------------------

# 豫A12345 (blue/yellow), 豫AD12345 / 豫A12345D (new energy, 8 characters), 豫A1234学 (special endings).
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_PATTERN = re.compile(
    rf"[{PROVINCES}][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳领]"
    rf"|[A-HJK][A-HJ-NP-Z0-9]\d{{4}}|\d{{5}}[A-HJK])")


def normalize_plate(raw: str) -> str:
    """A Chinese licence plate as printed (豫A12345), or ValidationError in Chinese."""
    plate = re.sub(r"[\s·.\-]", "", raw or "").upper()
    if not PLATE_PATTERN.fullmatch(plate):
        raise ValidationError(_("车牌号格式不正确，如 豫A12345，新能源车如 豫AD12345"), code="plate")
    return plate


def station_places(user):
    """The approved places this user staffs (the place's staff list or a duty shift), in scope."""
    mine = Q(staff=user) | Q(shifts__user=user)
    return Place.objects.visible_to(user).approved().filter(mine).select_related("area").distinct()


def may_run_station(user, place: Place) -> bool:
    return place.state == PlaceState.APPROVED and may_record_at(user, place)


def on_duty(place: Place, at=None):
    """The duty shifts covering `at` (default now) at this place."""
    at = at or timezone.now()
    return place.shifts.filter(starts_at__lte=at, ends_at__gt=at).select_related("user").order_by("starts_at")


def _audit_passage(passage, user, **changes):
    audit.record(AuditAction.CREATE, passage, actor=user, changes={
        "channel": passage.channel, "place": passage.place_id, "person": passage.person_id,
        "direction": passage.direction, "verdict": passage.verdict,
        "temperature": str(passage.temperature) if passage.temperature is not None else None, **changes})


def _declaration(person, place, answers: dict) -> Declaration:
    """The answers a guard asked for on the person's behalf; saved only if a passage is written."""
    return Declaration(person=person, place=place, name=person.name, consent_version=f"{CONSENT_VERSION}-assisted",
                       visited_risk_area=bool(answers.get("visited_risk_area")),
                       has_symptoms=bool(answers.get("has_symptoms")), had_contact=bool(answers.get("had_contact")))


def home_area(place: Place):
    """The community a person registered at a gate is filed under: the place's own, or the first below it."""
    from fangkong.territory.models import Area, AreaLevel

    if place.area.level == AreaLevel.COMMUNITY:
        return place.area
    return Area.objects.subtree(place.area).filter(level=AreaLevel.COMMUNITY).order_by("path").first() or place.area


def _record_with_answers(person, place, user, *, answers, idempotency_key, **kwargs) -> Passage:
    declaration = _declaration(person, place, answers) if answers is not None else LATEST
    passage = record_passage(person, place, recorder=user, idempotency_key=idempotency_key,
                             declaration=declaration, **kwargs)
    if not passage.replayed and declaration is not LATEST:
        declaration.at = passage.at
        declaration.save()
    return passage


@transaction.atomic
def register_and_pass(place: Place, user, *, person=None, name="", id_type="resident_id", id_number="", phone="",
                      temperature=None, direction=Direction.IN, answers=None, idempotency_key,
                      channel=Channel.ASSISTED) -> Passage:
    """代登记: a person without a phone, registered by the guard (or an API client), passes; audited.

    `person` is someone already registered; otherwise name and document register them (or find them).
    `answers` are the three health questions the guard asked ({visited_risk_area: bool, ...}); they
    become the person's declaration. The same key returns the first passage and writes nothing.
    """
    from fangkong.people import services as people

    if not may_run_station(user, place):
        raise PermissionDenied(_("您不能在该场所登记出入"))
    temperature = clean_temperature(temperature)
    existing = Passage.objects.filter(idempotency_key=key_digest(idempotency_key)).first()
    if existing is not None:
        existing.replayed = True
        return existing
    new_person = person is None
    if new_person:
        person = people.register_resident(name=name, id_type=id_type, id_number=id_number, phone=phone or "",
                                          area=home_area(place), user=user)
    passage = _record_with_answers(person, place, user, answers=answers, idempotency_key=idempotency_key,
                                   channel=channel, direction=direction, temperature=temperature)
    if not passage.replayed:
        _audit_passage(passage, user, registered_by_staff=new_person)
    return passage


@transaction.atomic
def record_vehicle(place: Place, user, *, plate, occupants, direction=Direction.IN, answers=None,
                   idempotency_key) -> list[Passage]:
    """A vehicle at a traffic checkpoint: one passage per person on board, all carrying the plate.

    `occupants` is a list of dicts: either {"person": Person} (picked from recent passages) or
    {"name", "id_number"} (registered now), each with an optional "temperature". The first is the driver.
    All or nothing: a bad row raises ValidationError keyed "occupants-<i>-<field>" and writes nothing.
    """
    from fangkong.core.identity import DocumentType
    from fangkong.people import services as people

    if not may_run_station(user, place):
        raise PermissionDenied(_("您不能在该场所登记出入"))
    plate = normalize_plate(plate)
    if not occupants:
        raise ValidationError({"occupants": _("请至少登记司机一人")})
    errors, cleaned = {}, []
    for index, row in enumerate(occupants):
        try:
            temperature = clean_temperature(row.get("temperature"))
        except ValidationError as exc:
            errors[f"occupants-{index}-temperature"] = exc.messages
            temperature = None
        cleaned.append((row, temperature))
    if errors:
        raise ValidationError(errors)
    passages, seen = [], set()
    for index, (row, temperature) in enumerate(cleaned):
        person = row.get("person")
        if person is None:
            try:
                person = people.register_resident(name=row.get("name", ""), id_type=DocumentType.RESIDENT_ID,
                                                  id_number=row.get("id_number", ""), phone="",
                                                  area=home_area(place), user=user)
            except ValidationError as exc:
                errors.update({f"occupants-{index}-{field}": messages
                               for field, messages in exc.message_dict.items()})
                continue
        if person.pk in seen:
            errors[f"occupants-{index}-id_number"] = [_("同一人员不能重复登记")]
            continue
        seen.add(person.pk)
        passages.append((index, person, temperature))
    if errors:
        raise ValidationError(errors)  # the atomic block undoes any person registered above
    written = []
    for index, person, temperature in passages:
        passage = _record_with_answers(person, place, user, answers=answers,
                                       idempotency_key=f"{idempotency_key}:{person.pk}", channel=Channel.VEHICLE,
                                       direction=direction, temperature=temperature, vehicle_plate=plate)
        if not passage.replayed:
            _audit_passage(passage, user, vehicle_plate=plate, driver=index == 0)
        written.append(passage)
    return written


@transaction.atomic
def correct_temperature(passage: Passage, user, *, temperature, idempotency_key) -> Passage:
    """A temperature taken after the passage: a new row that corrects it, with a fresh verdict; audited.

    The passage itself is never edited. The correction keeps the passage's time, so counts and tracing
    windows see one event; lists show the latest correction in place of what it corrects.
    """
    if not may_run_station(user, passage.place):
        raise PermissionDenied(_("您不能在该场所登记出入"))
    if temperature in (None, ""):
        raise ValidationError({"temperature": _("请填写体温")})
    temperature = clean_temperature(temperature)
    # Corrections form a chain; a stale screen may offer one that has been corrected since.
    while (newer := passage.corrections.order_by("-id").first()) is not None:
        passage = newer
    correction = record_passage(passage.person, passage.place, channel=passage.channel,
                                direction=passage.direction, temperature=temperature, recorder=user,
                                vehicle_plate=passage.vehicle_plate, at=passage.at, corrects=passage,
                                idempotency_key=idempotency_key)
    if not correction.replayed:
        _audit_passage(correction, user, corrects=passage.pk,
                       previous_temperature=str(passage.temperature) if passage.temperature is not None else None)
    return correction


def acknowledge(passage: Passage, user):
    """已处理: the guard has dealt with a warning or denial; it leaves the top of the station list."""
    from .models import PassageAck

    if not may_run_station(user, passage.place):
        raise PermissionDenied(_("您不能在该场所登记出入"))
    ack, _created = PassageAck.objects.get_or_create(passage=passage, defaults={"user": user})
    return ack


def station_feed(place: Place, *, limit=20):
    """What the station shows: flagged passages not yet dealt with, the latest passages, today's counts.

    Rows that have been corrected are left out: their correction stands in their place.
    """
    from .models import PassageAck, Verdict

    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    corrected = Passage.objects.filter(corrects=OuterRef("pk"))
    acked = PassageAck.objects.filter(passage=OuterRef("pk"))
    current = Passage.objects.filter(place=place).exclude(Exists(corrected)).select_related("person")
    flagged = list(current.filter(at__gte=start, verdict__in=[Verdict.WARN, Verdict.DENY])
                   .exclude(Exists(acked)).order_by("-at", "-id")[:limit])
    flagged_ids = {p.pk for p in flagged}
    latest = [p for p in current.order_by("-at", "-id")[:limit] if p.pk not in flagged_ids]
    counts = dict(Passage.objects.filter(place=place, at__gte=start, corrects=None)
                  .values_list("direction").annotate(n=Count("id")).values_list("direction", "n"))
    return {"flagged": flagged, "latest": latest,
            "count_in": counts.get(Direction.IN, 0), "count_out": counts.get(Direction.OUT, 0)}


def purge_passages(cutoff) -> tuple[int, int]:
    """Delete passages (with their acknowledgements), declarations and rejected scans older than `cutoff`
    (retention); returns the numbers of passages and declarations deleted.

    One statement per table: a correction keeps its original's time, so a chain goes in the same
    statement, and the self-reference is checked at commit. At city scale the day's partition is
    dropped instead (docs/scale.md).
    """
    from .models import PassageAck

    passage, ack, declaration = (model._meta.db_table for model in (Passage, PassageAck, Declaration))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ack} WHERE passage_id IN (SELECT id FROM {passage} WHERE at < %s)", [cutoff])
        cursor.execute(f"DELETE FROM {passage} WHERE at < %s", [cutoff])
        passages = cursor.rowcount
        cursor.execute(f"DELETE FROM {declaration} WHERE at < %s", [cutoff])
        declarations = cursor.rowcount
        # Refused scans hold where and when someone was (the address, the place): no longer than the passages.
        cursor.execute(f"DELETE FROM {RejectedScan._meta.db_table} WHERE at < %s", [cutoff])
    _purge_proofs(cutoff)
    return passages, declarations


def _purge_proofs(cutoff):
    """One-time codes (only their digests; kept a while for the sending limits) and the local SMS outbox (phone
    numbers, encrypted) go with the passages: nothing about a resident's phone outlives their records."""
    from fangkong.core.models import SmsMessage

    from .models import Challenge

    Challenge.objects.filter(created_at__lt=cutoff).delete()
    SmsMessage.objects.filter(sent_at__lt=cutoff).delete()


# Home page ----------------------------------------------------------------------------------------

def todos(user) -> list:
    """待办 of places: the registrations waiting for this user's review (one count)."""
    from django.urls import reverse

    from fangkong.core.todo import Todo

    if not user.has_perm("passes.approve_place"):
        return []
    pending = Place.objects.visible_to(user).filter(state=PlaceState.PENDING).count()
    if not pending:
        return []
    return [Todo("places_pending", _("%(n)d 个场所等待审核") % {"n": pending},
                 reverse("places:list") + "?state=pending", pending)]


def managed_places(user, limit=50):
    """The places an enterprise admin manages, each with `today` (passages since midnight): one query."""
    from .search import today_start

    passages_today = Q(passages__at__gte=today_start(), passages__corrects=None)
    return list(Place.objects.visible_to(user).annotate(today=Count("passages", filter=passages_today))
                .order_by("name", "pk")[:limit])
