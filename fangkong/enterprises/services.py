"""Enterprise use cases. Pages, API, imports, the phone check-in and the demo all go through these functions;
each takes the acting user, checks scope and writes its audit row in its transaction."""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction
from fangkong.core.identity import (
    DocumentType,
    normalize_person_name,
    normalize_phone,
    normalize_resident_id,
    resident_id_facts,
)
from fangkong.passes import services as passes
from fangkong.passes.models import Place
from fangkong.people.models import Person, Residency
from fangkong.people.services import find_duplicate
from fangkong.territory.models import Area, AreaLevel

from .models import (
    OPEN_PROBLEM_STATES,
    REVIEW_STEPS,
    Answer,
    Application,
    ApplicationEvent,
    Attachment,
    CheckIn,
    CheckInSource,
    ChecklistItem,
    DayFigure,
    Decision,
    Delivery,
    Employee,
    Enterprise,
    EnterpriseGate,
    Lodging,
    Park,
    Problem,
    ProblemKind,
    ProblemState,
    State,
    Step,
)

MIN_TEMPERATURE, MAX_TEMPERATURE, FEVER = Decimal("34.0"), Decimal("43.0"), Decimal("37.3")


def today():
    return timezone.localdate()


# Unified social credit code (统一社会信用代码, GB 32100-2015) -------------------------------------------

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def normalize_credit_code(raw) -> str:
    code = (raw or "").strip().upper().replace(" ", "")
    if len(code) != 18:
        raise ValidationError(_("统一社会信用代码应为18位"), code="credit_code")
    if any(char not in CREDIT_CHARS for char in code):
        raise ValidationError(_("统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）"), code="credit_code")
    total = sum(CREDIT_CHARS.index(char) * weight for char, weight in zip(code, CREDIT_WEIGHTS, strict=False))
    check = (31 - total % 31) % 31
    if code[17] != CREDIT_CHARS[check]:
        raise ValidationError(_("统一社会信用代码校验位错误，请核对"), code="credit_code")
    return code


# Registry -------------------------------------------------------------------------------------------

REGISTRY_FIELDS = ("name", "credit_code", "sector", "size", "address", "area", "park", "contact_name",
                   "liaison_officer")


def _clean_enterprise(data: dict, user, instance: Enterprise | None = None) -> dict:
    errors, cleaned = {}, {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = _("请填写企业名称")
    elif len(name) > 100:
        errors["name"] = _("企业名称不超过100个字")
    cleaned["name"] = name
    if "credit_code" in data or instance is None:
        try:
            cleaned["credit_code"] = normalize_credit_code(data.get("credit_code"))
        except ValidationError as exc:
            errors["credit_code"] = exc.messages[0]
        else:
            taken = Enterprise.objects.filter(credit_code=cleaned["credit_code"])
            if instance is not None:
                taken = taken.exclude(pk=instance.pk)
            if taken.exists():
                errors["credit_code"] = _("该统一社会信用代码已登记")
    area = data.get("area")
    if area is not None and not isinstance(area, Area):
        area = Area.objects.filter(pk=area).first() if str(area).isdigit() else None
    if area is None:
        if instance is None:
            errors["area"] = _("请选择所属社区/村")
    elif not Area.objects.visible_to(user).filter(pk=area.pk).exists():
        errors["area"] = _("所属区域不在您的管辖范围内")
    else:
        cleaned["area"] = area
    park = data.get("park")
    if park:
        if area is not None and park.area_id not in (area or instance.area).subtree_ids() \
                and (area or instance.area).pk not in park.area.subtree_ids():
            errors["park"] = _("园区不在所选区域内")
        cleaned["park"] = park
    elif "park" in data:
        cleaned["park"] = None
    for field in ("sector", "size", "address", "contact_name", "liaison_officer"):
        if field in data and data[field] is not None:
            cleaned[field] = str(data[field]).strip()
    if data.get("contact_phone"):
        try:
            cleaned["contact_phone"] = normalize_phone(data["contact_phone"])
        except ValidationError as exc:
            errors["contact_phone"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    return cleaned



# Parks (园区) --------------------------------------------------------------------------------------------

PARK_LEVELS = (AreaLevel.SUBDISTRICT, AreaLevel.COMMUNITY)


def _check_park_officer(user):
    if user.manages_places_only():
        raise PermissionDenied(_("企业管理员不能管理园区"))


@transaction.atomic
def save_park(park: Park | None, data: dict, *, user) -> Park:
    """Create (park None) or rename/move a park within the user's area; a name is unique within its area."""
    _check_park_officer(user)
    if park is not None and not Park.objects.visible_to(user).filter(pk=park.pk).exists():
        raise PermissionDenied(_("没有这个园区，或不在您的管辖范围内"))
    errors = {}
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        errors["name"] = _("请填写园区名称")
    elif len(name) > 100:
        errors["name"] = _("园区名称不超过100个字")
    area = data.get("area")
    if area is not None and not isinstance(area, Area):
        area = Area.objects.filter(pk=area).first() if str(area).isdigit() else None
    if area is None:
        errors["area"] = _("请选择园区所属的街道或社区")
    elif area.level not in PARK_LEVELS:
        errors["area"] = _("园区应属于某个街道或社区")
    elif not Area.objects.visible_to(user).filter(pk=area.pk).exists():
        errors["area"] = _("所属区域不在您的管辖范围内")
    if not errors:
        taken = Park.objects.filter(area=area, name=name)
        if park is not None:
            taken = taken.exclude(pk=park.pk)
        if taken.exists():
            errors["name"] = _("%(area)s已有名为“%(name)s”的园区") % {"area": area.name, "name": name}
    if errors:
        raise ValidationError(errors)
    park = park or Park()
    park.name, park.area = name, area
    try:
        with transaction.atomic():
            park.save()
    except IntegrityError as exc:  # the same name saved by someone else meanwhile
        raise ValidationError({"name": _("%(area)s已有名为“%(name)s”的园区") % {"area": area.name, "name": name}}) \
            from exc
    audit.record_change(park, user)
    return park


PARK_FIGURES_SQL = """
SELECT en.park_id, count(*), coalesce(sum(en.roster_count), 0), coalesce(sum(f.present), 0)
FROM enterprises_enterprise en
LEFT JOIN enterprises_dayfigure f ON f.enterprise_id = en.id AND f.day = %(day)s
WHERE en.park_id = ANY(%(parks)s)
GROUP BY en.park_id
"""


def park_table(user, day=None) -> list[dict]:
    """Every park in the user's scope with its enterprises, roster, present today and on-duty rate, from the
    counters (one query for the figures, whatever the number of employees)."""
    parks = list(Park.objects.visible_to(user).select_related("area").order_by("area__path", "name"))
    with connection.cursor() as cursor:
        cursor.execute(PARK_FIGURES_SQL, {"day": day or today(), "parks": [park.pk for park in parks]})
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    rows = []
    for park in parks:
        enterprises, roster, present = found.get(park.pk, (0, 0, 0))
        rows.append({"park": park, "enterprises": enterprises, "roster": roster, "present": present,
                     "rate": rate(present, roster)})
    return rows


def _check_editor(enterprise: Enterprise, user):
    if not Enterprise.objects.visible_to(user).filter(pk=enterprise.pk).exists():
        raise PermissionDenied(_("没有这个企业，或不在您的管辖范围内"))


@transaction.atomic
def create_enterprise(data: dict, *, user) -> Enterprise:
    if user.manages_places_only():
        raise PermissionDenied(_("企业管理员不能登记其他企业"))
    cleaned = _clean_enterprise(data, user)
    phone = cleaned.pop("contact_phone", "")
    enterprise = Enterprise(**cleaned)
    enterprise.set_contact_phone(phone)
    try:
        with transaction.atomic():
            enterprise.save()
    except IntegrityError as exc:
        raise ValidationError({"credit_code": _("该统一社会信用代码已登记")}) from exc
    audit.record_change(enterprise, user)
    return enterprise


@transaction.atomic
def update_enterprise(enterprise: Enterprise, data: dict, *, user) -> Enterprise:
    _check_editor(enterprise, user)
    if user.manages_places_only():
        # The enterprise's own admin keeps its details current, not where it is filed or its code.
        data = {key: value for key, value in data.items() if key not in ("area", "park", "credit_code")}
    cleaned = _clean_enterprise({"name": enterprise.name, **data}, user, instance=enterprise)
    phone = cleaned.pop("contact_phone", None)
    for field, value in cleaned.items():
        setattr(enterprise, field, value)
    if phone is not None and phone != enterprise.contact_phone:
        enterprise.set_contact_phone(phone)
    enterprise.save(update_fields=[*cleaned, "contact_phone_encrypted"])
    audit.record_change(enterprise, user)
    return enterprise


@transaction.atomic
def link_gate(enterprise: Enterprise, place: Place, *, user) -> EnterpriseGate:
    """Make one of the 一区一码 places a gate of the enterprise: the gate verdict then knows its employees."""
    _check_editor(enterprise, user)
    if not Place.objects.visible_to(user).filter(pk=place.pk).exists():
        raise ValidationError({"place": _("没有这个场所，或不在您的管辖范围内")})
    if EnterpriseGate.objects.filter(place=place).exclude(enterprise=enterprise).exists():
        raise ValidationError({"place": _("该场所已是其他企业的门岗")})
    gate, _created = EnterpriseGate.objects.get_or_create(place=place, defaults={"enterprise": enterprise})
    audit.record(AuditAction.UPDATE, enterprise, actor=user, changes={"gate": place.name})
    _places_changed()
    return gate


def _places_changed():
    # Every cached place carries its enterprise (facts.read_with_place): a change of state must reach every gate.
    passes.forget_place()
    transaction.on_commit(passes.forget_place)


def set_admin(enterprise: Enterprise, admin, *, user, assigned=True):
    from fangkong.accounts.roles import Role

    _check_editor(enterprise, user)
    if user.manages_places_only():
        raise PermissionDenied(_("只有干部可以指定企业管理员"))
    if not admin.has_role(Role.ENTERPRISE_ADMIN):
        raise ValidationError({"admin": _("该账号不是企业管理员")})
    with transaction.atomic():
        (enterprise.admins.add if assigned else enterprise.admins.remove)(admin)
        audit.record(AuditAction.UPDATE, enterprise, actor=user,
                     changes={"admin": admin.username, "assigned": assigned})


# Employees ------------------------------------------------------------------------------------------

RETURN_CATEGORIES = {"province": "return_province", "risk_area": "return_risk_area", "abroad": "return_abroad"}
RETURN_RISKS = {"": _("无"), "province": _("省外返回"), "risk_area": _("中高风险地区"), "abroad": _("境外")}


@dataclass
class EmployeeRow:
    name: str
    id_number: str
    phone: str = ""
    department: str = ""
    shift: str = ""
    returned_from: str = ""
    returned_on: datetime.date | None = None
    lodging: str = Lodging.HOME
    return_risk: str = ""


def clean_employee(data: dict) -> EmployeeRow:
    errors = {}
    row = EmployeeRow(name="", id_number="")
    try:
        row.name = normalize_person_name(data.get("name") or "")
        if not row.name:
            errors["name"] = _("请填写姓名")
    except ValidationError as exc:
        errors["name"] = exc.messages[0]
    try:
        row.id_number = normalize_resident_id(str(data.get("id_number") or ""))
    except ValidationError as exc:
        errors["id_number"] = exc.messages[0]
    if data.get("phone"):
        try:
            row.phone = normalize_phone(str(data["phone"]))
        except ValidationError as exc:
            errors["phone"] = exc.messages[0]
    for field, limit in (("department", 50), ("shift", 30), ("returned_from", 100)):
        value = str(data.get(field) or "").strip()
        if len(value) > limit:
            errors[field] = _("不超过%(n)d个字") % {"n": limit}
        setattr(row, field, value)
    row.returned_on = data.get("returned_on") or None
    lodging = data.get("lodging") or Lodging.HOME
    if lodging not in Lodging.values:
        errors["lodging"] = _("住宿应为“住宿舍”或“住家”")
    row.lodging = lodging
    risk = data.get("return_risk") or ""
    if risk not in RETURN_RISKS:
        errors["return_risk"] = _("返岗来源风险应为：无、省外返回、中高风险地区、境外")
    row.return_risk = risk
    if errors:
        raise ValidationError(errors)
    return row


def _person_for(row: EmployeeRow, enterprise: Enterprise, user) -> Person:
    """The person holding the number (blind index), or a new one filed under the enterprise's community."""
    person = find_duplicate(DocumentType.RESIDENT_ID, row.id_number)
    if person is not None:
        if person.name != row.name:
            raise ValidationError({"name": _("姓名与该证件号码登记的姓名不一致，请核对")})
        return person
    person = Person(name=row.name, area=enterprise.area, residency=Residency.VISITOR, workplace=enterprise.name[:100],
                    returned_from=row.returned_from, returned_on=row.returned_on)
    person.birth_date, person.sex = resident_id_facts(row.id_number)
    person.set_document(DocumentType.RESIDENT_ID, row.id_number)
    person.set_phone(row.phone)
    person.save()
    audit.record_change(person, user)
    return person


def _duplicate_note(person, enterprise) -> str:
    other = Employee.objects.filter(person=person, active=True).exclude(enterprise=enterprise).select_related(
        "enterprise").first()
    return _("同时在“%(name)s”的名册上") % {"name": other.enterprise.name} if other else ""


@transaction.atomic
def add_employee(enterprise: Enterprise, data, *, user) -> Employee:
    """Put a person on the roster; a number already on this roster is refused, one on another's is flagged."""
    _check_editor(enterprise, user)
    row = data if isinstance(data, EmployeeRow) else clean_employee(data)
    person = _person_for(row, enterprise, user)
    existing = Employee.objects.filter(enterprise=enterprise, person=person).first()
    if existing is not None and existing.active:
        raise ValidationError({"id_number": _("%(name)s 已在本企业名册上，请勿重复登记") % {
            "name": person.name_masked}})
    employee = existing or Employee(enterprise=enterprise, person=person)
    joins = not employee.active or employee.pk is None
    employee.active = True
    for field in ("department", "shift", "returned_from", "returned_on", "lodging"):
        setattr(employee, field, getattr(row, field))
    employee.duplicate_note = _duplicate_note(person, enterprise)
    try:
        with transaction.atomic():
            employee.save()
    except IntegrityError as exc:  # the same person added at the same moment by another request
        raise ValidationError({"id_number": _("该人员已在本企业名册上，请勿重复登记")}) from exc
    audit.record_change(employee, user)
    if joins:
        Enterprise.objects.filter(pk=enterprise.pk).update(roster_count=F("roster_count") + 1)
    if employee.duplicate_note:
        Employee.objects.filter(person=person, active=True).exclude(pk=employee.pk).update(
            duplicate_note=_("同时在“%(name)s”的名册上") % {"name": enterprise.name})
    _screen_returnee(employee, row, user)
    return employee


def _screen_returnee(employee: Employee, row: EmployeeRow, user):
    """A returnee from a risk area becomes a key person (三返) in the category of where they come from."""
    code = RETURN_CATEGORIES.get(row.return_risk)
    if not code:
        return
    from fangkong.screening import services as screening
    from fangkong.screening.models import Category, Screening, Source

    category = Category.objects.filter(code=code, active=True).first()
    if category is None or Screening.objects.active().filter(person=employee.person, category=category).exists():
        return
    try:
        screening.open_screening(employee.person, category, user=user, source=Source.SELF_REPORT,
                                 origin=row.returned_from or employee.enterprise.name,
                                 reported_on=today())
    except ValidationError:
        # Outside the admin's community (they live elsewhere): the community is told through the enterprise's
        # officers, who see the note on the roster.
        employee.duplicate_note = (employee.duplicate_note + " " + _("返岗来源需社区排查")).strip()[:200]
        employee.save(update_fields=["duplicate_note"])
        audit.record_change(employee, user)


@transaction.atomic
def remove_employee(employee: Employee, *, user) -> Employee:
    _check_editor(employee.enterprise, user)
    if not Employee.objects.filter(pk=employee.pk, active=True).update(active=False):
        return employee  # already off the roster
    Enterprise.objects.filter(pk=employee.enterprise_id).update(roster_count=F("roster_count") - 1)
    if CheckIn.objects.filter(employee=employee, day=today()).exists():  # no longer counted as on duty today
        DayFigure.objects.filter(enterprise_id=employee.enterprise_id, day=today(), present__gt=0).update(
            present=F("present") - 1)
    employee.active = False
    audit.record(AuditAction.UPDATE, employee, actor=user, changes={"active": [True, False]})
    return employee


# Check-ins and the on-duty rate ---------------------------------------------------------------------------

def clean_temperature(raw) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"temperature": _("体温应为数字，如 36.5")}) from None
    if not MIN_TEMPERATURE <= value <= MAX_TEMPERATURE:
        raise ValidationError({"temperature": _("体温 %(t)s℃ 不可能，请重新测量") % {"t": value}})
    return value


@transaction.atomic
def check_in(employee: Employee, *, temperature, symptoms=False, source=CheckInSource.PHONE, user=None,
             enterprise: Enterprise | None = None) -> CheckIn:
    """Today's check-in of an employee (one a day: a second one corrects the first). `enterprise` is the one the
    caller acts for: another enterprise's employee is refused."""
    if enterprise is not None and employee.enterprise_id != enterprise.pk:
        raise ValidationError({"employee": _("该职工不在本企业名册上")})
    if user is not None:
        _check_editor(employee.enterprise, user)
    if not employee.active:
        raise ValidationError({"employee": _("该职工已不在名册上")})
    temperature = clean_temperature(temperature)
    if temperature is None and source != CheckInSource.GATE:
        raise ValidationError({"temperature": _("请填写体温")})
    now = timezone.now()
    checkin, created = CheckIn.objects.update_or_create(
        employee=employee, day=timezone.localdate(now),
        defaults={"enterprise_id": employee.enterprise_id, "at": now, "temperature": temperature,
                  "symptoms": bool(symptoms), "source": source, "by": user})
    if created:
        count_present({employee.enterprise_id: 1}, checkin.day)
    audit.record(AuditAction.CREATE if created else AuditAction.UPDATE, checkin, actor=user,
                 changes={"temperature": str(temperature), "symptoms": bool(symptoms), "source": source})
    return checkin


COUNT_PRESENT_SQL = """
INSERT INTO enterprises_dayfigure (enterprise_id, day, present) SELECT unnest(%s::bigint[]), %s, unnest(%s::int[])
ON CONFLICT (enterprise_id, day) DO UPDATE SET present = enterprises_dayfigure.present + EXCLUDED.present
"""


def count_present(added: dict, day):
    """Add new check-ins ({enterprise id: how many}) to the day's figures, in the caller's transaction."""
    if not added:
        return
    with connection.cursor() as cursor:
        cursor.execute(COUNT_PRESENT_SQL, [list(added), day, list(added.values())])


GATE_PRESENCE_SQL = """
INSERT INTO enterprises_checkin (enterprise_id, employee_id, day, at, temperature, symptoms, source, by_id)
SELECT DISTINCT ON (e.id) e.enterprise_id, e.id, %(day)s, p.at, p.temperature, false, 'gate', NULL
FROM passes_passage p
JOIN enterprises_enterprisegate g ON g.place_id = p.place_id
JOIN enterprises_employee e ON e.person_id = p.person_id AND e.enterprise_id = g.enterprise_id AND e.active
WHERE p.at >= %(since)s AND p.at < %(until)s AND p.verdict <> 'deny' {only}
ORDER BY e.id, p.at
ON CONFLICT (employee_id, day) DO NOTHING
RETURNING enterprise_id
"""
# The new check-ins and their count in the day's figures, in one statement (so one round trip, and atomic).
GATE_PRESENCE_COUNTED_SQL = """
WITH added AS ({insert})
INSERT INTO enterprises_dayfigure (enterprise_id, day, present)
SELECT enterprise_id, %(day)s, count(*) FROM added GROUP BY enterprise_id
ON CONFLICT (enterprise_id, day) DO UPDATE SET present = enterprises_dayfigure.present + EXCLUDED.present
RETURNING (SELECT count(*) FROM added)
"""


def record_gate_presence(enterprise: Enterprise | None = None, day: datetime.date | None = None) -> int:
    """A scan at one of the enterprise's gates counts as the day's presence: the day's passages of its employees
    (a denied one is no presence) become check-ins (source 门岗) where none exists. Run before the figures are
    read and by the periodic task; the passage's hot path writes nothing more."""
    day = day or today()
    since = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    only = "AND g.enterprise_id = %(enterprise)s" if enterprise is not None else ""
    insert = GATE_PRESENCE_SQL.format(only=only).strip()
    with connection.cursor() as cursor:
        cursor.execute(GATE_PRESENCE_COUNTED_SQL.format(insert=insert), {
            "day": day, "since": since, "until": since + datetime.timedelta(days=1),
            "enterprise": enterprise.pk if enterprise is not None else None})
        row = cursor.fetchone()
    return row[0] if row else 0


def figures(enterprise: Enterprise, day: datetime.date | None = None) -> dict:
    """roster, present today, the on-duty rate (a fraction of 1) and the capacity entered today."""
    day = day or today()
    # The counters the services keep (tests/enterprises/test_checkins.py proves them against the rows): one query.
    with connection.cursor() as cursor:
        cursor.execute("SELECT en.roster_count, coalesce(f.present, 0), f.capacity_percent "
                       "FROM enterprises_enterprise en LEFT JOIN enterprises_dayfigure f "
                       "ON f.enterprise_id = en.id AND f.day = %s WHERE en.id = %s", [day, enterprise.pk])
        roster, present, capacity = cursor.fetchone()
    return {"roster": roster, "present": present, "missing": max(roster - present, 0), "rate": rate(present, roster),
            "capacity": capacity}


def rate(present, roster) -> float:
    return round(present / roster, 4) if roster else 0.0


def roster_page_rows(enterprise: Enterprise, day: datetime.date | None = None):
    """The active roster in page order with `checked_in` today, in one query: the (enterprise, department, id)
    index walks the page in order and only the page's persons are read, and only what the page shows of them
    (bench/enterprises.py)."""
    day = day or today()
    return (Employee.objects.filter(enterprise=enterprise, active=True)
            .annotate(checked_in=Exists(CheckIn.objects.filter(employee=OuterRef("pk"), day=day)))
            .select_related("person").only(*ROSTER_PAGE_FIELDS).order_by("department", "id"))


ROSTER_PAGE_FIELDS = ("enterprise_id", "department", "shift", "returned_from", "lodging", "duplicate_note",
                      "person__name", "person__id_type", "person__id_number_encrypted")


def not_checked_in(enterprise: Enterprise, day: datetime.date | None = None):
    day = day or today()
    return (Employee.objects.filter(enterprise=enterprise, active=True)
            .exclude(checkins__day=day).select_related("person").order_by("department", "id"))


@transaction.atomic
def set_capacity(enterprise: Enterprise, percent, *, user) -> DayFigure:
    _check_editor(enterprise, user)
    try:
        value = int(percent)
    except (TypeError, ValueError):
        raise ValidationError({"capacity_percent": _("产能应为 0 到 100 之间的整数")}) from None
    if not 0 <= value <= 100:
        raise ValidationError({"capacity_percent": _("产能应为 0 到 100 之间的整数")})
    figure, created = DayFigure.objects.update_or_create(enterprise=enterprise, day=today(),
                                                         defaults={"capacity_percent": value})
    audit.record(AuditAction.CREATE if created else AuditAction.UPDATE, figure, actor=user,
                 changes={"capacity_percent": value})
    return figure


# From the counters the services keep (Enterprise.roster_count, DayFigure.present): one row per enterprise,
# whatever the number of employees.
ON_DUTY_SQL = """
SELECT en.id, en.sector, en.park_id, en.roster_count, coalesce(f.present, 0), f.capacity_percent
FROM enterprises_enterprise en
LEFT JOIN enterprises_dayfigure f ON f.enterprise_id = en.id AND f.day = %(day)s
WHERE en.area_id = ANY(%(areas)s) {only}
"""


def on_duty_rows(user, day=None, park=None) -> list[tuple]:
    """(enterprise id, sector, park id, roster, present, capacity %) of every enterprise in the user's scope."""
    day = day or today()
    if user.manages_places_only():
        ids = list(Enterprise.objects.visible_to(user).values_list("pk", flat=True))
        only, extra = "AND en.id = ANY(%(ids)s)", {"ids": ids}
    else:
        only, extra = ("AND en.park_id = %(park)s", {"park": park.pk}) if park is not None else ("", {})
    if user.area_id is None and not user.is_superuser:
        return []
    areas = user.area.subtree_ids() if user.area_id else list(Area.objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(ON_DUTY_SQL.format(only=only), {"areas": areas, "day": day, **extra})
        return cursor.fetchall()


def on_duty_table(user, day=None, park=None) -> list[dict]:
    """The district's (or a park's) table by sector: enterprises, roster, present, rate, mean capacity."""
    from .models import Sector

    by_sector = {}
    for _pk, sector, _park, roster, present, capacity in on_duty_rows(user, day, park):
        row = by_sector.setdefault(sector, {"sector": sector, "enterprises": 0, "roster": 0, "present": 0,
                                            "capacities": []})
        row["enterprises"] += 1
        row["roster"] += roster
        row["present"] += present
        if capacity is not None:
            row["capacities"].append(capacity)
    labels = dict(Sector.choices)
    rows = []
    for sector, row in sorted(by_sector.items()):
        capacities = row.pop("capacities")
        rows.append({**row, "label": labels.get(sector, sector), "rate": rate(row["present"], row["roster"]),
                     "capacity": round(sum(capacities) / len(capacities)) if capacities else None})
    return rows


# Reopening application ------------------------------------------------------------------------------

ATTACHMENT_SIGNATURES = [(b"%PDF-", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg")]


def attachment_kind(head: bytes) -> str | None:
    """What a file is by its first bytes, never by its name: a PDF, a PNG or a JPEG photo."""
    return next((kind for signature, kind in ATTACHMENT_SIGNATURES if head.startswith(signature)), None)


def current_application(enterprise: Enterprise) -> Application | None:
    return enterprise.applications.order_by("-id").first()


@transaction.atomic
def start_application(enterprise: Enterprise, *, user) -> Application:
    _check_editor(enterprise, user)
    application = current_application(enterprise)
    if application is not None and application.step != Step.APPROVED:
        return application
    if enterprise.state == State.APPROVED:
        raise ValidationError(_("该企业已批准复工"))
    application = Application(enterprise=enterprise)
    application.save()
    audit.record_change(application, user)
    return application


def _check_applicant(application: Application, user):
    if user.pk not in set(application.enterprise.admins.values_list("pk", flat=True)):
        raise PermissionDenied(_("只有本企业的管理员可以填写和提交复工申请"))
    if not application.editable:
        raise ValidationError(_("申请已提交，审核中不能修改"))


@transaction.atomic
def answer_item(application: Application, item: ChecklistItem, *, text: str, user, files=()) -> Answer:
    _check_applicant(application, user)
    errors = []
    checked = []
    limit = settings.FANGKONG_ATTACHMENT_MAX_BYTES
    for upload in files:
        if upload.size > limit:
            errors.append(_("“%(name)s”太大（%(size).1f MB），每个附件最大 %(max)d MB") % {
                "name": upload.name, "size": upload.size / 1048576, "max": limit // 1048576})
            continue
        upload.seek(0)
        kind = attachment_kind(upload.read(16))
        upload.seek(0)
        if kind is None:
            errors.append(_("“%(name)s”不是 PDF 或图片（JPG、PNG），请上传扫描件或照片") % {"name": upload.name})
            continue
        checked.append((upload, kind))
    if errors:
        raise ValidationError({"files": errors})
    answer, _created = Answer.objects.get_or_create(application=application, item=item)
    answer.text = (text or "").strip()[:2000]
    answer.save()
    for upload, kind in checked:
        Attachment.objects.create(answer=answer, file=upload, name=upload.name[:200], kind=kind, size=upload.size,
                                  uploaded_by=user)
    audit.record(AuditAction.UPDATE, application, actor=user, changes={
        "item": item.text, "text": answer.text[:200], "attachments": [upload.name for upload, _kind in checked]})
    return answer


def missing_items(application: Application) -> list[ChecklistItem]:
    answers = {answer.item_id: answer for answer in application.answers.prefetch_related("attachments")}
    missing = []
    for item in ChecklistItem.objects.filter(active=True):
        answer = answers.get(item.pk)
        if answer is None or not answer.text or (item.needs_attachment and not answer.attachments.all()):
            missing.append(item)
    return missing


def _event(application, step, decision, user, reason=""):
    ApplicationEvent.objects.create(application=application, step=step, decision=decision, reason=reason, by=user)


@transaction.atomic
def submit(application: Application, *, user) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    _check_applicant(application, user)
    missing = missing_items(application)
    if missing:
        raise ValidationError(_("还有 %(n)d 项未填写或缺少附件：%(items)s") % {
            "n": len(missing), "items": "；".join(item.text for item in missing[:5])})
    application.step = Step.COMMUNITY
    application.submitted_at = timezone.now()
    application.save()
    audit.record_change(application, user)
    _event(application, Step.DRAFT, Decision.SUBMIT, user)
    _set_state(application.enterprise, State.APPLYING, user)
    return application


STEP_LEVEL = {Step.COMMUNITY: AreaLevel.COMMUNITY, Step.SUBDISTRICT: AreaLevel.SUBDISTRICT,
              Step.DISTRICT: AreaLevel.DISTRICT}


def may_review(application: Application, user) -> bool:
    """Officers of the step's level whose area holds the enterprise decide that step; never its own admin."""
    if application.step not in REVIEW_STEPS or not user.has_perm("enterprises.review_application"):
        return False
    if application.enterprise.admins.filter(pk=user.pk).exists() or user.area_id is None:
        return False
    level = STEP_LEVEL[application.step]
    return (user.area.level == level or user.is_superuser) and \
        application.enterprise.area_id in user.area.subtree_ids()


@transaction.atomic
def review(application: Application, *, approve: bool, reason: str = "", user) -> Application:
    application = Application.objects.select_for_update().select_related("enterprise").get(pk=application.pk)
    if application.enterprise.admins.filter(pk=user.pk).exists():
        raise PermissionDenied(_("企业管理员不能审批本企业的申请"))
    if application.step not in REVIEW_STEPS:
        raise ValidationError(_("该申请不在审核中"))
    if not may_review(application, user):
        raise PermissionDenied(_("该申请现在由%(step)s，您不能审核") % {"step": application.get_step_display()})
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": _("退回时请写明原因")})
    step = application.step
    if not approve:
        application.step = Step.RETURNED
        state = State.RETURNED
    elif step == Step.DISTRICT:
        application.step, application.approved_at = Step.APPROVED, timezone.now()
        state = State.APPROVED
    else:
        application.step = REVIEW_STEPS[REVIEW_STEPS.index(step) + 1]
        state = State.APPLYING
    application.save()
    audit.record_change(application, user, changes={"reason": reason} if reason else None)
    _event(application, step, Decision.APPROVE if approve else Decision.RETURN, user, reason)
    _set_state(application.enterprise, state, user)
    return application


def _set_state(enterprise: Enterprise, state: str, user):
    if enterprise.state == state:
        return
    enterprise.state = state
    if state == State.APPROVED:
        enterprise.approved_at = timezone.now()
    enterprise.save(update_fields=["state", "approved_at"])
    audit.record_change(enterprise, user)
    _places_changed()


def review_queue(user):
    """Applications waiting for the user's level in their area."""
    if user.area_id is None or not user.has_perm("enterprises.review_application"):
        return Application.objects.none()
    step = {level: step for step, level in STEP_LEVEL.items()}.get(user.area.level)
    return Application.objects.visible_to(user).filter(step=step).select_related("enterprise")


@transaction.atomic
def save_checklist_item(item: ChecklistItem | None, data: dict, *, user) -> ChecklistItem:
    if not user.has_perm("enterprises.change_checklistitem"):
        raise PermissionDenied
    item = item or ChecklistItem()
    errors = {}
    for field in ("group", "text"):
        value = (data.get(field) or "").strip()
        if not value:
            errors[field] = _("请填写")
        setattr(item, field, value[:200])
    if errors:
        raise ValidationError(errors)
    item.position = int(data.get("position") or 0)
    item.needs_attachment = bool(data.get("needs_attachment"))
    item.active = bool(data.get("active", True))
    item.save()
    audit.record_change(item, user)
    return item


# Closed loop ------------------------------------------------------------------------------------------

@transaction.atomic
def set_closed_loop(enterprise: Enterprise, *, on: bool, reason: str = "", user) -> Enterprise:
    _check_editor(enterprise, user)
    if not user.has_perm("enterprises.set_closed_loop") or user.manages_places_only():
        raise PermissionDenied(_("只有干部可以设置闭环管理"))
    reason = (reason or "").strip()
    if on and not reason:
        raise ValidationError({"reason": _("请写明闭环管理的原因")})
    enterprise.closed_loop = on
    enterprise.closed_loop_reason = reason[:200] if on else ""
    # Only these fields: a copy read before an approval must not put the old state back.
    enterprise.save(update_fields=["closed_loop", "closed_loop_reason"])
    audit.record_change(enterprise, user)
    _places_changed()
    return enterprise


@transaction.atomic
def schedule_testing(enterprise: Enterprise, *, starts_on, ends_on, every=1, user):
    """On-site testing rounds (驻厂核酸): a campaign of the testing app at the enterprise, with its site."""
    from fangkong.testing import services as testing

    _check_editor(enterprise, user)
    if not enterprise.closed_loop:
        raise ValidationError(_("只有闭环管理的企业安排驻厂核酸检测"))
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于开始日期")})
    days = [starts_on + datetime.timedelta(days=n) for n in range(0, (ends_on - starts_on).days + 1, every)]
    campaign = testing.create_campaign(name=(_("%(name)s 闭环核酸检测") % {"name": enterprise.name})[:100],
                                       area=enterprise.area, starts_on=starts_on, ends_on=ends_on, user=user,
                                       round_days=days)
    testing.create_site(campaign, name=enterprise.name[:100], area=enterprise.area, user=user,
                        address=enterprise.address)
    enterprise.testing_campaign = campaign
    enterprise.save(update_fields=["testing_campaign"])
    audit.record_change(enterprise, user)
    return campaign


@transaction.atomic
def log_delivery(enterprise: Enterprise, *, goods: str, user, place=None, plate="", driver="") -> Delivery:
    if not (Enterprise.objects.visible_to(user).filter(pk=enterprise.pk).exists()
            or (place is not None and passes.may_record_at(user, place))):
        raise PermissionDenied(_("您不能为该企业登记货物交接"))
    goods = (goods or "").strip()
    if not goods:
        raise ValidationError({"goods": _("请填写货物")})
    if place is not None and not EnterpriseGate.objects.filter(place=place, enterprise=enterprise).exists():
        raise ValidationError({"place": _("该场所不是本企业的门岗")})
    delivery = Delivery.objects.create(enterprise=enterprise, place=place, at=timezone.now(), goods=goods[:200],
                                       plate=passes.normalize_plate(plate) if plate else "", driver=driver[:50],
                                       by=user)
    audit.record(AuditAction.CREATE, delivery, actor=user, changes={"goods": delivery.goods, "plate": delivery.plate})
    return delivery


# Problems ---------------------------------------------------------------------------------------------

@transaction.atomic
def report_problem(enterprise: Enterprise, *, kind: str, text: str, user) -> Problem:
    _check_editor(enterprise, user)
    errors = {}
    if kind not in ProblemKind.values:
        errors["kind"] = _("请选择问题类别")
    text = (text or "").strip()
    if not text:
        errors["text"] = _("请描述问题")
    if errors:
        raise ValidationError(errors)
    problem = Problem(enterprise=enterprise, kind=kind, text=text[:2000], reported_by=user)
    problem.save()
    audit.record_change(problem, user)
    return problem


def _check_officer(problem: Problem, user):
    if user.manages_places_only() or not user.has_perm("enterprises.change_problem"):
        raise PermissionDenied(_("只有园区或部门的干部可以办理企业问题"))
    if not Problem.objects.visible_to(user).filter(pk=problem.pk).exists():
        raise PermissionDenied(_("该问题不在您的管辖范围内"))


@transaction.atomic
def take_problem(problem: Problem, *, user) -> Problem:
    _check_officer(problem, user)
    if problem.state != ProblemState.OPEN:
        raise ValidationError(_("该问题已有人受理"))
    problem.state, problem.taken_by, problem.taken_at = ProblemState.TAKEN, user, timezone.now()
    problem.save()
    audit.record_change(problem, user)
    return problem


@transaction.atomic
def answer_problem(problem: Problem, *, answer: str, user) -> Problem:
    _check_officer(problem, user)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("请填写答复")})
    if problem.state not in OPEN_PROBLEM_STATES:
        raise ValidationError(_("该问题已办结"))
    if problem.taken_at is None:
        problem.taken_by, problem.taken_at = user, timezone.now()
    problem.state, problem.answer, problem.answered_at = ProblemState.ANSWERED, answer[:2000], timezone.now()
    problem.save()
    audit.record_change(problem, user)
    return problem


@transaction.atomic
def close_problem(problem: Problem, *, user) -> Problem:
    _check_officer(problem, user)
    if problem.state != ProblemState.ANSWERED:
        raise ValidationError(_("答复后才能办结"))
    problem.state, problem.closed_at = ProblemState.CLOSED, timezone.now()
    problem.save()
    audit.record_change(problem, user)
    return problem


def problem_times(user) -> dict:
    """Mean response (受理) and closing (办结) hours of the problems in scope."""
    done = Problem.objects.visible_to(user).exclude(taken_at=None)
    response = [(p.taken_at - p.reported_at).total_seconds() for p in done.only("taken_at", "reported_at")]
    closed = [(p.closed_at - p.reported_at).total_seconds()
              for p in done.exclude(closed_at=None).only("closed_at", "reported_at")]
    return {"response_hours": round(sum(response) / len(response) / 3600, 1) if response else None,
            "closing_hours": round(sum(closed) / len(closed) / 3600, 1) if closed else None}


def todos(user) -> list:
    """待办 of enterprises: open problems in the officer's scope by age, and applications waiting for their
    review; for an enterprise admin, a returned application and employees not checked in today."""
    from django.db.models import Min
    from django.urls import reverse

    from fangkong.core.todo import Todo

    if not user.has_perm("enterprises.view_enterprise"):
        return []
    items = []
    if user.manages_places_only():
        for application in Application.objects.visible_to(user).filter(step=Step.RETURNED).select_related(
                "enterprise")[:3]:
            items.append(Todo("enterprise_returned", _("%(name)s 的复工申请被退回，请修改后重新提交") % {
                "name": application.enterprise.name}, application.get_absolute_url(), None, urgent=True))
        missing = (Employee.objects.filter(enterprise__in=Enterprise.objects.visible_to(user), active=True)
                   .exclude(checkins__day=today()).values("enterprise_id").annotate(n=Count("pk")).order_by())
        for row in missing[:3]:
            items.append(Todo("enterprise_not_checked_in", _("%(n)d 名职工今天还没有健康打卡") % {"n": row["n"]},
                              reverse("enterprises:roster", args=[row["enterprise_id"]]) + "?missing=1", row["n"]))
        return items
    if user.has_perm("enterprises.change_problem"):
        open_problems = Problem.objects.visible_to(user).open().aggregate(n=Count("pk"), oldest=Min("reported_at"))
        if open_problems["n"]:
            days = (timezone.now() - open_problems["oldest"]).days
            items.append(Todo("enterprise_problems", _("%(n)d 个企业问题待办结，最久已 %(days)d 天") % {
                "n": open_problems["n"], "days": days}, reverse("enterprises:problems"), open_problems["n"],
                urgent=days >= 3))
    waiting = review_queue(user).count()
    if waiting:
        items.append(Todo("enterprise_reviews", _("%(n)d 个复工申请等待您审核") % {"n": waiting},
                          reverse("enterprises:reviews"), waiting))
    return items


def open_problems_by_age(user, limit=20):
    return list(Problem.objects.visible_to(user).open().select_related("enterprise").order_by("reported_at")[:limit])

