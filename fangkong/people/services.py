"""Person use cases. Pages, API, imports and commands all go through these functions."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.core.identity import (
    DocumentType,
    mask_name,
    normalize_document,
    normalize_person_name,
    normalize_phone,
    resident_id_facts,
)
from fangkong.territory.models import Area, AreaLevel, Household

from .models import LEDGER_RESIDENCIES, MAX_VACCINE_DOSES, HouseholdRole, Person, Residency, Sex

LEDGER_FIELDS = ("household_role", "residency", "returned_on", "returned_from", "workplace", "vaccine_doses")
# Computed once: the ledger import checks every row against them. Visitors come from declarations, never
# from a ledger: a worker confirms one by giving them a ledger residency.
ROLES, RESIDENCIES = frozenset(HouseholdRole.values), frozenset(LEDGER_RESIDENCIES)


def clean_person(data: dict, *, user, instance: Person | None = None) -> dict:
    """Validated, normalised person fields, or ValidationError with a Chinese message per field.

    `data` holds name, sex, id_type, id_number, phone, area, household (model instances or None) and
    the ledger fields (LEDGER_FIELDS; those left out stay as they are). The area and household must
    lie in the user's scope; the document must not belong to anyone else; a household has one head.
    A grid worker sees persons through their household's grid, so their new persons need a household.
    A new person whose document belongs to a visitor (anywhere) is that visitor, confirmed: `visitor` in the
    result names them and create_person saves into their record.
    """
    if instance is not None and instance.is_visitor and data.get("residency") == Residency.VISITOR:
        data = {key: value for key, value in data.items() if key != "residency"}  # edited, not yet confirmed
    ledger, errors = clean_ledger_fields(data)
    cleaned = {**data, **ledger}
    cleaned["name"], error = clean_name(data.get("name"))
    if error:
        errors["name"] = error
    id_type = data.get("id_type") or DocumentType.RESIDENT_ID
    try:
        cleaned["id_number"] = normalize_document(id_type, data.get("id_number", ""))
    except ValidationError as exc:
        errors["id_number"] = exc.messages[0]
    else:
        duplicate = find_duplicate(id_type, cleaned["id_number"], exclude=instance)
        if duplicate is not None and duplicate.is_visitor and instance is None:
            cleaned["visitor"] = duplicate
        elif duplicate is not None:
            errors["id_number"] = duplicate_message(duplicate, user)
    if data.get("phone"):
        try:
            cleaned["phone"] = normalize_phone(data["phone"])
        except ValidationError as exc:
            errors["phone"] = exc.messages[0]
    else:
        cleaned["phone"] = ""
    household = data.get("household")
    area = data.get("area") or (household.area if household else None)
    if area is None:
        errors["area"] = _("请选择所属社区/村")
    elif area.level != AreaLevel.COMMUNITY or not Area.objects.visible_to(user).filter(pk=area.pk).exists():
        errors["area"] = _("所选社区/村不在您的管辖范围内")
    if household is not None:
        if not Household.objects.visible_to(user).filter(pk=household.pk).exists():
            errors["household"] = _("所选户不在您的管辖范围内")
        elif area is not None and household.area_id != area.pk:
            errors["household"] = _("所选户不属于该社区/村")
    elif user.grid_id and "household" not in errors:
        errors["household"] = _("网格员登记人员必须选择所在的户")
    visitor = instance is not None and instance.is_visitor and "residency" not in ledger
    if household is not None and visitor and "household" not in errors:
        errors["household"] = _("来访人员不属于任何户：请先确认为本辖区人员")
    role = ledger.get("household_role", instance.household_role if instance else "")
    if role == HouseholdRole.HEAD and household is not None and "household_role" not in errors:
        head = Person.objects.filter(household=household, household_role=HouseholdRole.HEAD)
        head = head.exclude(pk=instance.pk).first() if instance is not None and instance.pk else head.first()
        if head is not None:
            errors["household_role"] = head_taken(head.name)
    cleaned["area"], cleaned["id_type"] = area, id_type
    if errors:
        raise ValidationError(errors)
    if id_type == DocumentType.RESIDENT_ID:
        cleaned["birth_date"], cleaned["sex"] = resident_id_facts(cleaned["id_number"])
    else:
        cleaned["sex"] = data.get("sex") or Sex.UNKNOWN
    return cleaned


def clean_name(name) -> tuple[str, str]:
    """The name normalised (core.identity.normalize_person_name), and a message if it is unusable ("" if fine)."""
    try:
        return normalize_person_name(name), ""
    except ValidationError as exc:
        return (name or "").strip(), exc.messages[0]


def duplicate_message(duplicate: Person | None, user) -> str:
    """What a worker registering a document someone already holds is told: who and where, if in their scope."""
    if duplicate is not None and Person.objects.visible_to(user).filter(pk=duplicate.pk).exists():
        return _("该证件号码已登记：%(name)s（%(area)s），请勿重复登记") % {
            "name": duplicate.name_masked, "area": duplicate.area.name}
    return outside_scope_duplicate()


def outside_scope_duplicate() -> str:
    return _("该证件号码已在其他社区登记，请联系街道核实")


def head_taken(name: str) -> str:
    return _("该户已有户主：%(name)s") % {"name": mask_name(name)}


def clean_ledger_fields(data: dict, today: datetime.date | None = None) -> tuple[dict, dict]:
    """The ledger fields present in `data`, normalised, and {field: Chinese message} for the bad ones.

    No database access: the ledger import checks 100,000 rows with it.
    """
    cleaned, errors = {}, {}
    if "household_role" in data:
        role = data["household_role"] or ""
        if role and role not in ROLES:
            errors["household_role"] = _("与户主关系应为：%(choices)s") % {
                "choices": "、".join(str(label) for label in HouseholdRole.labels)}
        cleaned["household_role"] = role
    if "residency" in data:
        residency = data["residency"] or Residency.PERMANENT
        if residency not in RESIDENCIES:
            errors["residency"] = _("人口类型应为：%(choices)s") % {
                "choices": "、".join(str(Residency(value).label) for value in LEDGER_RESIDENCIES)}
        cleaned["residency"] = residency
    for key, limit in (("returned_from", 100), ("workplace", 100)):
        if key in data:
            cleaned[key] = (data[key] or "").strip()
            if len(cleaned[key]) > limit:
                errors[key] = _("不能超过%(n)d个字") % {"n": limit}
    if "returned_on" in data:
        returned_on = data["returned_on"] or None
        if isinstance(returned_on, datetime.datetime):
            returned_on = returned_on.date()
        if returned_on is not None and returned_on > (today or timezone.localdate()):
            errors["returned_on"] = _("返回日期不能晚于今天")
        elif returned_on is not None and not cleaned.get("returned_from", data.get("returned_from")):
            errors["returned_from"] = _("填写了返回日期，请填写从何地返回")
        cleaned["returned_on"] = returned_on
    if "vaccine_doses" in data:
        doses = data["vaccine_doses"]
        if doses in (None, ""):
            doses = 0
        try:
            doses = int(doses)
            if isinstance(data["vaccine_doses"], float) and not data["vaccine_doses"].is_integer():
                raise ValueError
        except (TypeError, ValueError):
            doses = -1
        if not 0 <= doses <= MAX_VACCINE_DOSES:
            errors["vaccine_doses"] = _("疫苗接种剂次应为 0 到 %(max)d 之间的整数") % {"max": MAX_VACCINE_DOSES}
        cleaned["vaccine_doses"] = doses
    return cleaned, errors


def find_duplicate(id_type: str, number: str, exclude: Person | None = None) -> Person | None:
    """The person already holding this document, whatever the viewer's scope (duplicates are global)."""
    matches = Person.objects.with_document(id_type, number).select_related("area")
    if exclude is not None and exclude.pk:
        matches = matches.exclude(pk=exclude.pk)
    return matches.first()


def _apply(person: Person, cleaned: dict):
    for field in ("name", "sex", "area", "household"):
        if field in cleaned:
            setattr(person, field, cleaned[field])
    for field in LEDGER_FIELDS:
        if field in cleaned:
            setattr(person, field, cleaned[field])
    if "birth_date" in cleaned:
        person.birth_date = cleaned["birth_date"]
    # Encryption is randomised: re-encrypting an unchanged number would log it as changed.
    if person.pk is None or (cleaned["id_type"], cleaned["id_number"]) != (person.id_type, person.id_number):
        person.set_document(cleaned["id_type"], cleaned["id_number"])
    if person.pk is None or cleaned.get("phone", "") != person.phone:
        person.set_phone(cleaned.get("phone", ""))


def _save(person: Person, user):
    """Save and audit; what someone else saved meanwhile is stopped by the unique indexes and told like the checks
    before: a second head of the household (household_one_head), the same document (person_unique_document: two
    workers registering one new person at once)."""
    try:
        with transaction.atomic():
            person.save()
            audit.record_change(person, user)
    except IntegrityError as exc:
        if "person_unique_document" in str(exc):
            duplicate = find_duplicate(person.id_type, person.id_number, exclude=person)
            raise ValidationError({"id_number": duplicate_message(duplicate, user)}) from exc
        if "household_one_head" not in str(exc):
            raise
        head = Person.objects.filter(household=person.household_id, household_role=HouseholdRole.HEAD).first()
        raise ValidationError({"household_role": head_taken(head.name if head else "")}) from exc


@transaction.atomic
def create_person(data: dict, *, user) -> Person:
    cleaned = clean_person(data, user=user)
    person = cleaned.get("visitor")
    if person is not None:  # registering a visitor confirms them; the audit row shows what changed
        person = Person.objects.select_for_update().get(pk=person.pk)
        person.residency = Residency.PERMANENT
    else:
        person = Person()
    _apply(person, cleaned)
    _save(person, user)
    if cleaned.get("tags"):
        person.tags.set(cleaned["tags"])
    return person


@transaction.atomic
def update_person(person: Person, data: dict, *, user) -> Person:
    if not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied
    cleaned = clean_person(data, user=user, instance=person)
    _apply(person, cleaned)
    _save(person, user)
    if "tags" in cleaned:
        person.tags.set(cleaned["tags"] or [])
    return person


def reveal(person: Person, user) -> dict:
    """The full identity and phone numbers, for roles allowed to see them; every read is audited."""
    if not user.may_see_full_numbers():
        raise PermissionDenied
    audit.log_unmask(person, "id_number,phone", user)
    return {"id_number": person.id_number, "phone": person.phone}


def display_numbers(person: Person) -> dict:
    return {"id_number": person.id_number_masked, "phone": person.phone_masked}


@dataclass
class Declarant:
    """Who a declaration at a place code is recorded for.

    `person` is the one the passage is recorded for; `name` is the name as declared. `bound` is False for a
    ledger person declared under another name: the passage is theirs (the gate judges the identity, not the
    name), but the phone is not bound to them and their declaration facts do not change, and the answer
    the declarant sees is the one an unknown number gets, so that nobody learns that the number exists.
    """

    person: Person
    name: str
    bound: bool = True
    created: bool = False  # this declaration made the person: the declaring phone is theirs (passes.binding)


def _clean_declared(name, id_type, id_number, phone) -> tuple[str, str, str]:
    errors = {}
    name, error = clean_name(name)
    if error:
        errors["name"] = error
    number = ""
    try:
        number = normalize_document(id_type, id_number)
    except ValidationError as exc:
        errors["id_number"] = exc.messages[0]
    try:
        phone = normalize_phone(phone) if phone else ""
    except ValidationError as exc:
        errors["phone"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    return name, number, phone


def _new_visitor(name, id_type, number, phone, area, user) -> tuple[Person, bool]:
    """(the visitor, True) when saved now; (the person who holds the number, False) when the same number was
    registered at the same moment by another request (a second phone, a guard, the API): that one stands.

    The savepoint keeps the caller's transaction usable after the unique index refuses the row; the lookup
    after it sees the other transaction's row, since PostgreSQL reports the conflict once that one commits."""
    person = Person(name=name, area=area, residency=Residency.VISITOR)
    if id_type == DocumentType.RESIDENT_ID:
        person.birth_date, person.sex = resident_id_facts(number)
    person.set_document(id_type, number)
    person.set_phone(phone)
    try:
        with transaction.atomic():
            person.save()
            audit.record_change(person, user)
    except IntegrityError:
        existing = find_duplicate(id_type, number)
        if existing is None:
            raise
        return existing, False
    return person, True


def declare_identity(*, name: str, id_type: str, id_number: str, phone: str, area: Area,
                     proven_ids=None, user=None) -> Declarant:
    """A declaration with a name and a document, by a resident at a place code or by a guard.

    Nobody new becomes a resident here: an unknown document becomes a visitor (来访人员) filed under
    `area` (where they were first seen, so that its workers can confirm them), with no household.
    A visitor is known only from declarations, so a declaration under another name is accepted and the
    visitor's name and phone follow the latest one (each declaration keeps its own name) when it comes
    from whoever may speak for them: `proven_ids` are the persons the declaring phone has proven to be its
    own (None: a guard with the card in hand). The phone number on record is what a one-time code is sent
    to, so a phone that has not proven the link changes nothing of the record. A ledger person's record never
    changes here; under another name they are recorded but not bound (Declarant).
    `user` is the guard who registers them; none when residents declare themselves (the audit row says 系统).
    """
    name, number, phone = _clean_declared(name, id_type, id_number, phone)
    existing = find_duplicate(id_type, number)
    if existing is None:
        person, created = _new_visitor(name, id_type, number, phone, area, user)
        if created:
            return Declarant(person, name, created=True)
        existing = person
    if existing.is_visitor and (proven_ids is None or existing.pk in proven_ids):
        changed = [field for field, value in (("name", name), ("phone", phone))
                   if value and value != getattr(existing, field)]
        if changed:
            existing.name = name
            if "phone" in changed:
                existing.set_phone(phone)
            with transaction.atomic():
                existing.save()
                audit.record_change(existing, user)
        return Declarant(existing, name)
    return Declarant(existing, name, bound=existing.name == name)


@transaction.atomic
def register_resident(*, name: str, id_type: str, id_number: str, phone: str, area: Area, user) -> Person:
    """A person registered by a guard (assisted registration, a vehicle's occupants), who holds their card.

    As declare_identity; a ledger person's document under another name is a typing mistake or a card
    that is not theirs, which the guard is told, since the guard has the card in hand.
    """
    declarant = declare_identity(name=name, id_type=id_type, id_number=id_number, phone=phone, area=area, user=user)
    if not declarant.bound:
        raise ValidationError({"id_number": _("证件号码与姓名不一致，请核对")})
    return declarant.person


def declarations_of(person: Person, limit=10):
    """A person's latest declarations with the name and address each gave: what a worker checks before
    confirming a visitor."""
    return list(person.declarations.select_related("place").order_by("-at")[:limit])


FILTERS = ("q", "area", "sex", "tag", "household_role", "residency", "returned", "ids")
# 近期返回: returned within this many days (the screening of returnees looks at the last two weeks).
RECENT_RETURN_DAYS = 14


def filter_persons(user, params: dict):
    """The persons list with its search and filters, within the user's scope (list page and export)."""
    from .models import Person

    persons = Person.objects.visible_to(user)
    if params.get("ids") is not None:  # an export of a number search: the matches, resolved when asked
        persons = persons.filter(pk__in=params["ids"])
    else:
        persons = persons.search(params.get("q"))
    if str(params.get("area", "")).isdigit():
        area = Area.objects.visible_to(user).filter(pk=params["area"]).first()
        persons = persons.in_area(area) if area else persons.none()
    if params.get("sex") in Sex.values:
        persons = persons.filter(sex=params["sex"])
    if params.get("tag"):
        persons = persons.filter(tags__code=params["tag"])
    if params.get("household_role") in HouseholdRole.values:
        persons = persons.filter(household_role=params["household_role"])
    if params.get("residency") == Residency.VISITOR:
        persons = persons.visitors()
    else:  # the ledger: visitors are listed only when asked for
        persons = persons.in_ledger()
        if params.get("residency") in LEDGER_RESIDENCIES:
            persons = persons.filter(residency=params["residency"])
    if params.get("returned") == "recent":
        since = timezone.localdate() - datetime.timedelta(days=RECENT_RETURN_DAYS)
        persons = persons.filter(returned_on__gte=since)
    elif params.get("returned") == "any":
        persons = persons.filter(returned_on__isnull=False)
    return persons


def age(born: datetime.date | None, today: datetime.date | None = None) -> int | None:
    if born is None:
        return None
    today = today or timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def current_status(user, persons):
    """Each person's open screenings (category and state) and care groups, as `open_screenings` and
    `care_groups`, plus `age`: what the household and person pages show. Two queries for any number."""
    from django.db.models import Prefetch, prefetch_related_objects

    from .models import Care

    persons = list(persons)
    # Screenings belong to an app above this one: reached through the relation it declares on Person.
    Screening = Person._meta.get_field("screenings").related_model
    screenings = Screening.objects.visible_to(user).active().select_related("category").order_by("-id")
    cares = Care.objects.visible_to(user).order_by("group")
    prefetch_related_objects(persons, Prefetch("screenings", queryset=screenings, to_attr="open_screenings"),
                             Prefetch("cares", queryset=cares, to_attr="care_groups"))
    today = timezone.localdate()
    for person in persons:
        person.age = age(person.birth_date, today)
    return persons


def household_members(user, household):
    """The persons of a household the user may see, head first, with their current status."""
    from django.db.models import Case, IntegerField, Value, When

    order = Case(*[When(household_role=role, then=Value(n)) for n, role in enumerate(HouseholdRole.values)],
                 default=Value(len(HouseholdRole.values)), output_field=IntegerField())
    persons = Person.objects.visible_to(user).filter(household=household).order_by(order, "birth_date", "pk")
    return current_status(user, persons)
