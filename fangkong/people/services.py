"""Person use cases. Pages, API, imports and commands all go through these functions."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.audit.context import acting_as
from fangkong.core.identity import DocumentType, normalize_document, normalize_phone, resident_id_facts
from fangkong.territory.models import Area, AreaLevel, Household

from .models import Person, Sex


def clean_person(data: dict, *, user, instance: Person | None = None) -> dict:
    """Validated, normalised person fields, or ValidationError with a Chinese message per field.

    `data` holds name, sex, id_type, id_number, phone, area, household (model instances or None).
    The area and household must lie in the user's scope; the document must not belong to anyone else.
    """
    errors, cleaned = {}, dict(data)
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = _("请填写姓名")
    elif len(name) > 50:
        errors["name"] = _("姓名不能超过50个字")
    cleaned["name"] = name
    id_type = data.get("id_type") or DocumentType.RESIDENT_ID
    try:
        cleaned["id_number"] = normalize_document(id_type, data.get("id_number", ""))
    except ValidationError as exc:
        errors["id_number"] = exc.messages[0]
    else:
        duplicate = find_duplicate(id_type, cleaned["id_number"], exclude=instance)
        if duplicate is not None:
            if Person.objects.visible_to(user).filter(pk=duplicate.pk).exists():
                errors["id_number"] = _("该证件号码已登记：%(name)s（%(area)s），请勿重复登记") % {
                    "name": duplicate.name_masked, "area": duplicate.area.name}
            else:
                errors["id_number"] = _("该证件号码已在其他社区登记，请联系街道核实")
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
    cleaned["area"], cleaned["id_type"] = area, id_type
    if errors:
        raise ValidationError(errors)
    if id_type == DocumentType.RESIDENT_ID:
        cleaned["birth_date"], cleaned["sex"] = resident_id_facts(cleaned["id_number"])
    else:
        cleaned["sex"] = data.get("sex") or Sex.UNKNOWN
    return cleaned


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
    if "birth_date" in cleaned:
        person.birth_date = cleaned["birth_date"]
    # Encryption is randomised: re-encrypting an unchanged number would log it as changed.
    if person.pk is None or (cleaned["id_type"], cleaned["id_number"]) != (person.id_type, person.id_number):
        person.set_document(cleaned["id_type"], cleaned["id_number"])
    if person.pk is None or cleaned.get("phone", "") != person.phone:
        person.set_phone(cleaned.get("phone", ""))


@transaction.atomic
def create_person(data: dict, *, user) -> Person:
    cleaned = clean_person(data, user=user)
    person = Person()
    _apply(person, cleaned)
    with acting_as(user):
        person.save()
    if cleaned.get("tags"):
        person.tags.set(cleaned["tags"])
    return person


@transaction.atomic
def update_person(person: Person, data: dict, *, user) -> Person:
    if not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied
    cleaned = clean_person(data, user=user, instance=person)
    _apply(person, cleaned)
    with acting_as(user):
        person.save()
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


@transaction.atomic
def register_resident(*, name: str, id_type: str, id_number: str, phone: str, area: Area) -> Person:
    """A resident declaring themselves at a place code: the existing person with this document, or a new one.

    Nobody is logged in, so there is no scope; the name must match an existing record, so that a
    stranger's document number does not attach their passages to someone else's phone.
    """
    errors = {}
    name = (name or "").strip()
    if not name or len(name) > 50:
        errors["name"] = _("请填写姓名（不超过50个字）")
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
    existing = find_duplicate(id_type, number)
    if existing is not None:
        if existing.name != name:
            raise ValidationError({"id_number": _("证件号码与姓名不一致，请核对")})
        return existing
    person = Person(name=name, area=area)
    if id_type == DocumentType.RESIDENT_ID:
        person.birth_date, person.sex = resident_id_facts(number)
    person.set_document(id_type, number)
    person.set_phone(phone)
    person.save()
    return person


FILTERS = ("q", "area", "sex", "tag", "ids")


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
    return persons
