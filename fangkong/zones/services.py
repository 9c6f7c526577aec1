"""Risk-zone use cases: create a zone, change its kind, lift it (confirmed, with a reason), exception passes, the
unlock timetable and supply requests (保供). Pages, API and the demo all call these; each checks its rules,
writes in one transaction and audits with the acting user. Bad input raises ValidationError with Chinese
messages and writes nothing.

What the gate reads: the household's strictest active zone (ZoneHousehold), joined in the check-in's one read
(zones.verdict). Every change of a zone rebuilds those rows for the zone's households in two statements, so a
compound of 10,000 persons is sealed in well under a second (bench/zones.py)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction

from .models import (
    ACTIVE_KINDS,
    OPEN_SUPPLY_STATES,
    SEVERITY,
    URGENT_KINDS,
    ExceptionPass,
    OutRule,
    PassKind,
    RiskZone,
    SupplyKind,
    SupplyRequest,
    SupplyState,
    UnlockRule,
    ZoneChange,
    ZoneCoverage,
    ZoneHousehold,
    ZoneKind,
)

MAX_PASS_DAYS = 14
OVERDUE_HOURS = 24
# Which kind may follow which: a zone only eases (a stricter kind is a new zone), and lifted is the end.
NEXT_KINDS = {
    ZoneKind.SEALED: [ZoneKind.CONTROLLED, ZoneKind.PRECAUTION],
    ZoneKind.CONTROLLED: [ZoneKind.SEALED, ZoneKind.PRECAUTION],
    ZoneKind.PRECAUTION: [ZoneKind.SEALED, ZoneKind.CONTROLLED],
}


def kind_label(kind) -> str:
    return str(ZoneKind(kind).label)


# What a zone covers, as households ---------------------------------------------------------------

# The households of the coverage rows matching {where} (on `c`), one SELECT per kind of target.
COVERED_SQL = """
SELECT h.id AS household_id, c.zone_id FROM zones_zonecoverage c
  JOIN territory_household h ON h.id = c.household_id WHERE {where}
UNION ALL
SELECT h.id, c.zone_id FROM zones_zonecoverage c
  JOIN territory_unit u ON u.building_id = c.building_id JOIN territory_household h ON h.unit_id = u.id WHERE {where}
UNION ALL
SELECT h.id, c.zone_id FROM zones_zonecoverage c JOIN territory_building b ON b.compound_id = c.compound_id
  JOIN territory_unit u ON u.building_id = b.id JOIN territory_household h ON h.unit_id = u.id WHERE {where}
UNION ALL
SELECT h.id, c.zone_id FROM zones_zonecoverage c JOIN territory_area ca ON ca.id = c.area_id
  JOIN territory_area a ON a.path LIKE ca.path || '%%' JOIN territory_household h ON h.area_id = a.id WHERE {where}
"""
_SEVERITY_SQL = "CASE z.kind " + " ".join(f"WHEN '{kind}' THEN {rank}" for kind, rank in SEVERITY.items()) + " END"


def _rebuild(zone_ids):
    """The strictest active zone of every household these zones cover, in two statements."""
    ids = list(zone_ids)
    targets = COVERED_SQL.format(where="c.zone_id = ANY(%s)")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS zones_targets (household_id bigint) ON COMMIT DROP; "
                       f"TRUNCATE zones_targets; INSERT INTO zones_targets SELECT DISTINCT household_id "
                       f"FROM ({targets}) t", [ids] * 4)
        cursor.execute("DELETE FROM zones_zonehousehold WHERE household_id IN (SELECT household_id FROM zones_targets)")
        covering = COVERED_SQL.format(where="c.zone_id IN (SELECT id FROM zones_riskzone WHERE kind = ANY(%s))")
        cursor.execute(f"""
            INSERT INTO zones_zonehousehold (household_id, zone_id)
            SELECT DISTINCT ON (cv.household_id) cv.household_id, cv.zone_id
            FROM ({covering}) cv JOIN zones_riskzone z ON z.id = cv.zone_id
            WHERE cv.household_id IN (SELECT household_id FROM zones_targets)
            ORDER BY cv.household_id, {_SEVERITY_SQL}, cv.zone_id""", [list(map(str, ACTIVE_KINDS))] * 4)


def covered_households(zone):
    """Ids of the households the zone covers (whatever its kind)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT household_id FROM ({COVERED_SQL.format(where='c.zone_id = %s')}) t",
                       [zone.pk] * 4)
        return [row[0] for row in cursor.fetchall()]


def _common_area(areas):
    """The lowest area holding all of these (by their materialised paths)."""
    from fangkong.territory.models import Area

    paths = [area.path.strip("/").split("/") for area in areas]
    common = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return Area.objects.get(pk=int(common[-1])) if common else None


def _ids(values, label, errors, field):
    try:
        return sorted({int(value) for value in (values or ())})
    except (TypeError, ValueError):
        errors[field] = _("%(what)s编号应为数字") % {"what": label}
        return []


def _targets(user, *, areas, compounds, buildings, households, errors):
    """The coverage's rows in the user's scope; an id out of scope (another district's compound) is an error."""
    from fangkong.territory.models import Area, Building, Compound, Household

    found = {}
    for field, model, label, related in (("areas", Area, _("区域"), ()), ("compounds", Compound, _("小区"), ("area",)),
                                         ("buildings", Building, _("楼栋"), ("compound__area",)),
                                         ("households", Household, _("户"), ("area",))):
        ids = _ids({"areas": areas, "compounds": compounds, "buildings": buildings,
                    "households": households}[field], label, errors, field)
        rows = list(model.objects.visible_to(user).filter(pk__in=ids).select_related(*related)) if ids else []
        if len(rows) != len(ids):
            errors[field] = _("%(what)s不存在或不在您的管辖范围内") % {"what": label}
        found[field] = rows
    return found


def _area_of(field, row):
    return {"areas": lambda r: r, "compounds": lambda r: r.area, "buildings": lambda r: r.compound.area,
            "households": lambda r: r.area}[field](row)


def _coverage_text(field, row) -> str:
    """小区 幸福里小区（#12）: what the audit row says the zone covers."""
    words = {"areas": _("社区/村"), "compounds": _("小区"), "buildings": _("楼栋"), "households": _("户")}
    name = row.address if field == "households" else str(row)
    return f"{words[field]} {name}（#{row.pk}）"


def _check_rule(out_rule, out_every_days, errors):
    if out_rule not in OutRule.values:
        errors["out_rule"] = _("请选择出行规则")
    try:
        days = int(out_every_days)
    except (TypeError, ValueError):
        days = 0
    if out_rule == OutRule.EVERY_N_DAYS and not 1 <= days <= 14:
        errors["out_every_days"] = _("出行间隔应为 1 到 14 天")
    return days


def _need_reason(reason, errors, field="reason", message=None):
    reason = (reason or "").strip()
    if not reason:
        errors[field] = message or _("请填写原因")
    elif len(reason) > 300:
        errors[field] = _("原因不能超过300个字")
    return reason


def may_manage(user) -> bool:
    return user.has_perm("zones.add_riskzone")


@transaction.atomic
def create_zone(*, user, kind, name, reason, areas=(), compounds=(), buildings=(), households=(),
                started_at=None, out_rule=OutRule.EVERY_N_DAYS, out_every_days=2,
                one_per_household=True) -> RiskZone:
    if not may_manage(user):
        raise PermissionDenied(_("您没有划定风险区域的权限"))
    errors = {}
    if kind not in ACTIVE_KINDS:
        errors["kind"] = _("请选择类型：封控区、管控区或防范区")
    name = (name or "").strip()
    if not name:
        errors["name"] = _("请填写区域名称")
    elif len(name) > 100:
        errors["name"] = _("区域名称不能超过100个字")
    reason = _need_reason(reason, errors, message=_("请填写划定原因"))
    days = _check_rule(out_rule, out_every_days, errors)
    targets = _targets(user, areas=areas, compounds=compounds, buildings=buildings, households=households,
                       errors=errors)
    rows = [(field, row) for field, found in targets.items() for row in found]
    if not rows and not any(key in errors for key in targets):
        errors["compounds"] = _("请至少选择一个区域、小区、楼栋或户")
    if errors:
        raise ValidationError(errors)
    zone = RiskZone(name=name, kind=kind, reason=reason, started_at=started_at or timezone.now(),
                    out_rule=out_rule, out_every_days=days or 2, one_per_household=bool(one_per_household),
                    created_by=user,
                    area=_common_area([_area_of(field, row) for field, row in rows]))
    zone.save()
    ZoneCoverage.objects.bulk_create([ZoneCoverage(zone=zone, **{field[:-1]: row}) for field, row in rows])
    ZoneChange.objects.create(zone=zone, from_kind="", to_kind=kind, reason=reason, by=user)
    audit.record_change(zone, user, changes={"covers": [_coverage_text(field, row) for field, row in rows]})
    _rebuild([zone.pk])
    refresh_timetable([zone.pk])
    return zone


def _locked(zone) -> RiskZone:
    return RiskZone.objects.select_for_update().get(pk=zone.pk)


@transaction.atomic
def change_kind(zone, *, user, kind, reason) -> RiskZone:
    """Sealed → controlled → precaution (or back), with who and why; lifting is lift()."""
    if not may_manage(user):
        raise PermissionDenied(_("您没有调整风险区域的权限"))
    zone = _locked(zone)
    errors = {}
    if not zone.is_active:
        errors["kind"] = _("该区域已解封，不能再调整")
    elif kind == ZoneKind.LIFTED:
        errors["kind"] = _("解封请使用“解封”操作，并填写解封原因")
    elif kind not in NEXT_KINDS[zone.kind]:
        errors["kind"] = _("请选择新的类型（与当前类型不同）")
    reason = _need_reason(reason, errors, message=_("请填写调整原因"))
    if errors:
        raise ValidationError(errors)
    ZoneChange.objects.create(zone=zone, from_kind=zone.kind, to_kind=kind, reason=reason, by=user)
    zone.kind = kind
    zone.save()
    audit.record_change(zone, user, changes={"reason": reason})
    _rebuild([zone.pk])
    return zone


@transaction.atomic
def lift(zone, *, user, reason) -> RiskZone:
    """解封: confirmed by an officer with a reason, never automatic (the timetable only plans it)."""
    if not user.has_perm("zones.lift_riskzone"):
        raise PermissionDenied(_("您没有解封风险区域的权限"))
    zone = _locked(zone)
    errors = {}
    if not zone.is_active:
        errors["kind"] = _("该区域已解封")
    reason = _need_reason(reason, errors, message=_("请填写解封原因"))
    if errors:
        raise ValidationError(errors)
    ZoneChange.objects.create(zone=zone, from_kind=zone.kind, to_kind=ZoneKind.LIFTED, reason=reason, by=user)
    zone.kind, zone.lifted_at, zone.lifted_by, zone.lift_reason = ZoneKind.LIFTED, timezone.now(), user, reason
    zone.save()
    audit.record_change(zone, user)
    _rebuild([zone.pk])
    return zone


@transaction.atomic
def set_out_rule(zone, *, user, out_rule, out_every_days, one_per_household=True) -> RiskZone:
    if not may_manage(user):
        raise PermissionDenied(_("您没有调整风险区域的权限"))
    errors = {}
    days = _check_rule(out_rule, out_every_days, errors)
    if errors:
        raise ValidationError(errors)
    zone = _locked(zone)
    zone.out_rule, zone.out_every_days = out_rule, days or zone.out_every_days
    zone.one_per_household = bool(one_per_household)
    zone.save()
    audit.record_change(zone, user)
    return zone


# The precaution zone's going-out rule --------------------------------------------------------------

def may_go_out(zone_started: datetime.date, out_rule: str, every: int, household_id: int, day: datetime.date) -> bool:
    """Whether a household of a precaution zone may go out on `day`: its turn comes every `every` days from the
    zone's start, households spread over the days by their number; odd/even by the household number."""
    if out_rule == OutRule.FREE:
        return True
    if out_rule == OutRule.ODD_EVEN:
        return day.day % 2 == household_id % 2
    every = max(1, every)
    return (day - zone_started).days % every == household_id % every


def next_day_out(zone_started, out_rule, every, household_id, day) -> datetime.date | None:
    for ahead in range(1, 32):
        candidate = day + datetime.timedelta(days=ahead)
        if may_go_out(zone_started, out_rule, every, household_id, candidate):
            return candidate
    return None


# Exception passes -----------------------------------------------------------------------------------

@transaction.atomic
def grant_pass(person, *, user, kind, reason, starts_at, ends_at) -> ExceptionPass:
    """例外通行 for a person inside an active zone: 就医、透析、值守、保供, within a window of at most 14 days."""
    from fangkong.people.models import Person

    if not user.has_perm("zones.add_exceptionpass"):
        raise PermissionDenied(_("您没有审批例外通行的权限"))
    errors = {}
    if person is None or not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        errors["person"] = _("没有这个人员，或不在您的管辖范围内")
    zone = zone_of_person(person) if person is not None and "person" not in errors else None
    if "person" not in errors and zone is None:
        errors["person"] = _("该人员不在封控、管控或防范区内，无需例外通行")
    if kind not in PassKind.values:
        errors["kind"] = _("请选择类型：就医、透析、值守人员或保供人员")
    reason = _need_reason(reason, errors, message=_("请填写事由"))
    if starts_at is None:
        errors["starts_at"] = _("请填写开始时间")
    if ends_at is None:
        errors["ends_at"] = _("请填写结束时间")
    elif starts_at is not None and ends_at <= starts_at:
        errors["ends_at"] = _("结束时间应晚于开始时间")
    elif starts_at is not None and ends_at - starts_at > datetime.timedelta(days=MAX_PASS_DAYS):
        errors["ends_at"] = _("例外通行最长 %(n)d 天") % {"n": MAX_PASS_DAYS}
    if errors:
        raise ValidationError(errors)
    granted = ExceptionPass(zone=zone, person=person, kind=kind, reason=reason, starts_at=starts_at,
                            ends_at=ends_at, approved_by=user)
    granted.save()
    audit.record_change(granted, user)
    return granted


@transaction.atomic
def revoke_pass(granted, *, user) -> ExceptionPass:
    if not user.has_perm("zones.add_exceptionpass"):
        raise PermissionDenied(_("您没有审批例外通行的权限"))
    if granted.revoked_at is None:
        granted.revoked_at = timezone.now()
        granted.save()
        audit.record_change(granted, user)
    return granted


def zone_of_person(person) -> RiskZone | None:
    if person is None or person.household_id is None:
        return None
    row = ZoneHousehold.objects.filter(household_id=person.household_id).select_related("zone").first()
    return row.zone if row else None


# What a zone holds -------------------------------------------------------------------------------

def buildings_of(zone):
    """[(compound name, building name or 未编楼栋, households, persons)] of the households the zone covers."""
    from fangkong.people.models import Person
    from fangkong.territory.models import Household

    households = covered_households(zone)
    homes = dict(Household.objects.filter(pk__in=households).values("unit__building").annotate(n=Count("pk"))
                 .values_list("unit__building", "n").order_by())
    rows = (Person.objects.in_ledger().filter(household_id__in=households)
            .values("household__unit__building", "household__unit__building__name",
                    "household__unit__building__compound__name").annotate(n=Count("pk")).order_by())
    found = {}
    for row in rows:
        key = row["household__unit__building"]
        found[key] = [row["household__unit__building__compound__name"] or "",
                      row["household__unit__building__name"] or _("未编楼栋的住户"), homes.get(key, 0), row["n"]]
    for key, n in homes.items():
        found.setdefault(key, ["", _("未编楼栋的住户"), n, 0])
    return sorted(found.values(), key=lambda r: (r[0], r[1]))


def populations(zone_ids) -> dict[int, int]:
    """Persons (in the ledger) living under each active zone's hold now: one grouped query."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT zh.zone_id, count(*) FROM zones_zonehousehold zh
                          JOIN people_person p ON p.household_id = zh.household_id
                          WHERE zh.zone_id = ANY(%s) GROUP BY zh.zone_id""", [list(zone_ids)])
        return dict(cursor.fetchall())


# The unlock timetable (解封时间表) ---------------------------------------------------------------------

def rules_for(zone) -> UnlockRule:
    from fangkong.territory.models import Area

    district_id = int(zone.area.path.strip("/").split("/")[0])
    rule = UnlockRule.objects.filter(area_id=district_id).first()
    return rule or UnlockRule(area=Area(pk=district_id))


@transaction.atomic
def set_rules(area, *, user, days_since_positive, negative_rounds, min_coverage) -> UnlockRule:
    if not user.has_perm("zones.change_unlockrule"):
        raise PermissionDenied(_("只有区级管理员可以设置解封规则"))
    errors = {}
    values = {}
    for field, value, low, high, message in (
            ("days_since_positive", days_since_positive, 1, 60, _("末例阳性后天数应为 1 到 60")),
            ("negative_rounds", negative_rounds, 0, 10, _("连续阴性轮次应为 0 到 10")),
            ("min_coverage", min_coverage, 50, 100, _("覆盖率应为 50 到 100"))):
        try:
            values[field] = int(value)
        except (TypeError, ValueError):
            values[field] = -1
        if not low <= values[field] <= high:
            errors[field] = message
    if errors:
        raise ValidationError(errors)
    rule, _created = UnlockRule.objects.update_or_create(area=area, defaults=values)
    audit.record(AuditAction.UPDATE, rule, actor=user, changes=values)
    return rule


def _timetable(zone, rule, today):
    """(planned date, last positive day, consecutive good rounds, what is missing) of one zone."""
    from fangkong.people.models import Person
    from fangkong.testing.models import Round, Sample, TubeResult

    households = covered_households(zone)
    persons = Person.objects.in_ledger().filter(household_id__in=households)
    should = persons.count()
    start = timezone.localtime(zone.started_at).date()
    positives = (Sample.objects.filter(person__household_id__in=households, tube__result=TubeResult.POSITIVE)
                 .order_by("-tube__result_at").values_list("tube__result_at", flat=True).first())
    last_positive = timezone.localtime(positives).date() if positives else None
    quiet_from = max(start, last_positive) if last_positive else start
    # Rounds since the zone started (or the last positive) of campaigns covering it, newest first.
    rounds = list(Round.objects.filter(day__gte=quiet_from, day__lte=today,
                                       campaign__area__path__in=_ancestor_paths(zone.area))
                  .order_by("-day", "-id").values_list("pk", "day"))
    good, last_good_day = 0, None
    for round_id, day in rounds:
        samples = Sample.objects.filter(round_id=round_id, person__household_id__in=households)
        tested = samples.values("person_id").distinct().count()
        waiting = samples.filter(tube__result=TubeResult.PENDING).exists()
        if waiting or not should or 100 * tested < rule.min_coverage * should:
            if good == 0 and waiting:
                continue  # today's round still in the lab: count the ones before it
            break
        good += 1
        last_good_day = last_good_day or day
        if good >= rule.negative_rounds:
            break
    quiet_until = quiet_from + datetime.timedelta(days=rule.days_since_positive)
    missing = []
    if quiet_until > today:
        missing.append(_("距末例阳性（或划定）满 %(n)d 天，还差 %(left)d 天") % {
            "n": rule.days_since_positive, "left": (quiet_until - today).days})
    rounds_left = max(0, rule.negative_rounds - good)
    if rounds_left:
        missing.append(_("还需 %(n)d 轮连续阴性、覆盖率≥%(c)d%%的核酸检测") % {
            "n": rounds_left, "c": rule.min_coverage})
    # All rounds done: due from the later of the quiet days and the last round; else one round a day from today.
    planned = max(quiet_until, last_good_day if not rounds_left and last_good_day else
                  today + datetime.timedelta(days=rounds_left))
    return planned, last_positive, good, missing


def _ancestor_paths(area):
    parts = area.path.strip("/").split("/")
    return ["/" + "/".join(parts[:index]) + "/" for index in range(1, len(parts) + 1)]


def refresh_timetable(zone_ids=None, *, today=None):
    """Recompute the planned lifting date of these active zones (all when None). Plans only: lifting stays a
    confirmed action of an officer."""
    today = today or timezone.localdate()
    zones = RiskZone.objects.active().select_related("area")
    if zone_ids is not None:
        zones = zones.filter(pk__in=list(zone_ids))
    for zone in zones:
        planned, last_positive, good, missing = _timetable(zone, rules_for(zone), today)
        RiskZone.objects.filter(pk=zone.pk).update(planned_lift_on=planned, last_positive_on=last_positive,
                                                   negative_rounds=good, missing=[str(m) for m in missing],
                                                   timetable_at=timezone.now())


def zones_of_persons(person_ids) -> list[int]:
    """The active zones where these persons live (for recomputing the timetable after their results)."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT DISTINCT zh.zone_id FROM people_person p
                          JOIN zones_zonehousehold zh ON zh.household_id = p.household_id WHERE p.id = ANY(%s)""",
                       [list(person_ids)])
        return [row[0] for row in cursor.fetchall()]


def on_results(sender=None, person_ids=(), **kwargs):
    """testing.services.results_recorded: a positive or a round's results move the timetable of their zones."""
    zone_ids = zones_of_persons(person_ids)
    if zone_ids:
        transaction.on_commit(lambda: refresh_timetable(zone_ids))


def timetable(user):
    """The district's table: active zones in scope, by planned lifting date (unknown last)."""
    from django.db.models import F

    return (RiskZone.objects.visible_to(user).active().select_related("area")
            .order_by(F("planned_lift_on").asc(nulls_last=True), "pk"))


# Supply assistance (保供) --------------------------------------------------------------------------

def _supply_check(kind, text, errors):
    if kind not in SupplyKind.values:
        errors["kind"] = _("请选择需求类型：生活物资、药品、就医或其他")
    text = (text or "").strip()
    if not text:
        errors["text"] = _("请写明需要什么（例如：大米 10 斤、降压药）")
    elif len(text) > 500:
        errors["text"] = _("需求说明不能超过500个字")
    return text


def _new_request(household, person, kind, text, user, by_resident):
    request = SupplyRequest(area_id=household.area_id, grid_id=household.grid_id, household=household, person=person,
                            kind=kind, text=text, urgent=kind in URGENT_KINDS, by_resident=by_resident, logged_by=user)
    request.save()
    audit.record_change(request, user)
    return request


@transaction.atomic
def request_supply(person, *, kind, text) -> SupplyRequest:
    """The resident asks from their phone's pass page (no login: the link carries the signed person)."""
    errors = {}
    text = _supply_check(kind, text, errors)
    if person.household_id is None:
        errors["text"] = _("没有登记住址，请联系社区")
    if errors:
        raise ValidationError(errors)
    return _new_request(person.household, person, kind, text, None, True)


@transaction.atomic
def log_supply(household, *, user, kind, text, person=None) -> SupplyRequest:
    """A worker logs a request taken by phone."""
    from fangkong.territory.models import Household

    if not user.has_perm("zones.add_supplyrequest"):
        raise PermissionDenied(_("您没有登记保供需求的权限"))
    errors = {}
    if household is None or not Household.objects.visible_to(user).filter(pk=household.pk).exists():
        errors["household"] = _("没有这一户，或不在您的管辖范围内")
    text = _supply_check(kind, text, errors)
    if errors:
        raise ValidationError(errors)
    return _new_request(household, person, kind, text, user, False)


STEPS = {"take": (SupplyState.OPEN, SupplyState.TAKEN), "deliver": (SupplyState.TAKEN, SupplyState.DELIVERED),
         "close": (SupplyState.DELIVERED, SupplyState.CLOSED)}


@transaction.atomic
def advance(request, *, user, step, note="") -> SupplyRequest:
    """接单 → 送达 → 办结 (with a note). Only a worker whose scope holds the household; a request may also be
    closed straight from taken (the household no longer needs it) with a note."""
    if not user.has_perm("zones.change_supplyrequest"):
        raise PermissionDenied(_("您没有处理保供需求的权限"))
    if not SupplyRequest.objects.visible_to(user).filter(pk=request.pk).exists():
        raise PermissionDenied(_("这条保供需求不在您的管辖范围内"))
    request = SupplyRequest.objects.select_for_update().get(pk=request.pk)
    errors = {}
    if step not in STEPS:
        raise ValidationError({"step": _("未知的操作")})
    before, after = STEPS[step]
    allowed = [before, SupplyState.TAKEN] if step == "close" else [before]
    if request.state not in allowed:
        errors["step"] = _("这条需求当前为“%(state)s”，不能执行此操作") % {"state": request.get_state_display()}
    note = (note or "").strip()
    if step == "close" and not note:
        errors["note"] = _("请填写办结说明（送了什么、谁签收）")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    request.state = after
    if step == "take":
        request.taken_by, request.taken_at = user, now
    elif step == "deliver":
        request.delivered_at = now
    else:
        request.closed_at, request.note = now, note
    request.save()
    audit.record_change(request, user)
    return request


def open_requests(user):
    return (SupplyRequest.objects.visible_to(user).filter(state__in=OPEN_SUPPLY_STATES)
            .select_related("household", "area", "taken_by").order_by("-urgent", "created_at", "pk"))


def is_overdue(request, now=None) -> bool:
    return (request.state in OPEN_SUPPLY_STATES
            and (now or timezone.now()) - request.created_at >= datetime.timedelta(hours=OVERDUE_HOURS))


def report_figures(area, day) -> dict:
    """The community's daily report: supply requests made, closed and still open that day (保供)."""
    day_start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    day_end = day_start + datetime.timedelta(days=1)
    requests = SupplyRequest.objects.filter(area_id__in=area.subtree_ids())
    return {
        "supply_new": requests.filter(created_at__gte=day_start, created_at__lt=day_end).count(),
        "supply_closed": requests.filter(closed_at__gte=day_start, closed_at__lt=day_end).count(),
        "supply_open": requests.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=day_end),
                                       created_at__lt=day_end).count(),
    }


# The resident's pass page ------------------------------------------------------------------------

SUPPLY_SALT = "zones.supply"


def supply_token(person_id: int) -> str:
    from django.core import signing

    return signing.dumps(person_id, salt=SUPPLY_SALT)


def person_of_token(token: str):
    """The person a resident's 保供 link names (signed, no login), or None."""
    from django.core import signing

    from fangkong.people.models import Person

    try:
        person_id = signing.loads(token, salt=SUPPLY_SALT, max_age=datetime.timedelta(days=60))
    except signing.BadSignature:
        return None
    return Person.objects.filter(pk=person_id).select_related("household").first()


def day_word(day) -> str:
    from django.utils import formats

    return formats.date_format(day, "n月j日")


def today_line(zone, household_id, day=None) -> str:
    """今日可出行 / 今日不可出行 (with the next day) for a household of this zone."""
    day = day or timezone.localdate()
    if zone.kind == ZoneKind.SEALED:
        return _("封控区：足不出户，今日不可出行")
    if zone.kind == ZoneKind.CONTROLLED:
        return _("管控区：今日不可出小区")
    start = timezone.localtime(zone.started_at).date()
    if may_go_out(start, zone.out_rule, zone.out_every_days, household_id, day):
        return _("防范区：今日可出行")
    following = next_day_out(start, zone.out_rule, zone.out_every_days, household_id, day)
    return _("防范区：今日不可出行，下次可出行日 %(day)s") % {"day": day_word(following) if following else "—"}


def pass_notes(person_ids) -> dict[int, list]:
    """For the pass page: each zone resident's line for today and their 保供 link. Two queries."""
    from django.urls import reverse

    from fangkong.people.models import Person

    homes = dict(Person.objects.filter(pk__in=list(person_ids), household_id__isnull=False)
                 .values_list("pk", "household_id"))
    if not homes:
        return {}
    zones = {row.household_id: row.zone for row in ZoneHousehold.objects.filter(
        household_id__in=set(homes.values())).select_related("zone")}
    notes = {}
    for person_id, household_id in homes.items():
        zone = zones.get(household_id)
        if zone is not None:
            link = reverse("zones_supply", args=[supply_token(person_id)])
            notes[person_id] = [(today_line(zone, household_id), ""), (_("申请保供（生活物资、药品、就医）"), link)]
    return notes


def todos(user) -> list:
    """待办: the open supply requests in the user's scope (one counting query), urgent when medical or overdue."""
    from django.urls import reverse

    from fangkong.core.todo import Todo

    if not user.has_perm("zones.change_supplyrequest"):
        return []
    late = timezone.now() - datetime.timedelta(hours=OVERDUE_HOURS)
    counts = SupplyRequest.objects.visible_to(user).filter(state__in=OPEN_SUPPLY_STATES).aggregate(
        n=Count("pk"), urgent=Count("pk", filter=Q(urgent=True) | Q(created_at__lte=late)))
    if not counts["n"]:
        return []
    return [Todo("supply_open", _("%(n)d 条保供需求未办结（其中紧急或超时 %(u)d 条）") % {
        "n": counts["n"], "u": counts["urgent"]}, reverse("zones:supply"), counts["n"], urgent=bool(counts["urgent"]))]


def refresh_all() -> int:
    """Rebuild what the gate reads for every active zone (new households in covered buildings join) and recompute
    every active zone's timetable; returns the number of active zones."""
    zone_ids = list(RiskZone.objects.active().values_list("pk", flat=True))
    if zone_ids:
        with transaction.atomic():
            _rebuild(zone_ids)
        refresh_timetable(zone_ids)
    return len(zone_ids)
