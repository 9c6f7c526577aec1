"""出租屋 use cases: register a rental, tenants in and out, the landlord's commitment letter.

Pages (views_rentals), the API (api_ledger) and the demo all call these functions; each checks the
acting user's scope itself, so no channel can reach a rental or a person outside it.
"""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction
from fangkong.core.identity import DocumentType, normalize_document, normalize_person_name, normalize_phone
from fangkong.territory.models import Household

from .models import HouseholdRole, Person, Rental, RentalState, Residency, Tenancy

# The list's filters (pages and API use the same words).
NO_LETTER, UNREGISTERED, VACANT = "no_letter", "unregistered", "vacant"
FILTERS = (NO_LETTER, UNREGISTERED, VACANT)

# Commitment letter files: what the first bytes must be, whatever the file is called.
LETTER_TYPES = {
    "pdf": (b"%PDF-", "application/pdf"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    "jpg": (b"\xff\xd8\xff", "image/jpeg"),
}

# What a landlord promises (printed on the generated letter).
COMMITMENTS = [
    "房屋出租后，承租人入住24小时内，本人向所在社区（村）如实登记承租人姓名、证件号码、联系电话、来源地等信息；"
    "承租人变更或搬离时及时报告。",
    "承租人有外地返回、中高风险地区旅居史或与确诊、疑似病例接触史的，本人第一时间向社区（村）报告，"
    "并督促其落实隔离、健康监测和核酸检测等措施。",
    "发现承租人有发热、干咳、乏力、咽痛等症状的，本人立即向社区（村）报告，并劝导其到发热门诊就诊，不擅自就医、不隐瞒。",
    "积极配合社区（村）、网格员开展入户排查、信息核查和防控检查，如实提供情况，不拒绝、不阻挠。",
    "督促承租人做好个人防护和房屋通风、消毒，不将房屋出租给拒不登记、拒不配合防控措施的人员。",
    "本人如未履行上述承诺，愿意依法承担相应责任。",
]


def today():
    return timezone.localdate()


def _visible_rental(rental: Rental, user) -> None:
    if not Rental.objects.visible_to(user).filter(pk=rental.pk).exists():
        raise PermissionDenied


# --- registering a rental ------------------------------------------------------------------------

def clean_rental(data: dict, *, user) -> dict:
    """Validated rental fields, or ValidationError with a Chinese message per field.

    `data`: household (a Household), landlord_name, landlord_phone, state, note.
    """
    errors, cleaned = {}, {}
    household = data.get("household")
    if household is None:
        errors["household"] = _("请选择出租的房屋")
    elif not Household.objects.visible_to(user).filter(pk=household.pk).exists():
        errors["household"] = _("所选房屋不在您的管辖范围内")
    elif Rental.objects.filter(household=household).exists():
        errors["household"] = _("该房屋已登记为出租屋")
    cleaned["household"] = household
    name = (data.get("landlord_name") or "").strip()
    if not name:
        errors["landlord_name"] = _("请填写房东姓名")
    else:
        try:
            name = normalize_person_name(name)
        except ValidationError as exc:
            errors["landlord_name"] = exc.messages[0]
    cleaned["landlord_name"] = name
    phone = (data.get("landlord_phone") or "").strip()
    if not phone:
        errors["landlord_phone"] = _("请填写房东联系电话")
    else:
        try:
            cleaned["landlord_phone"] = normalize_phone(phone)
        except ValidationError as exc:
            errors["landlord_phone"] = exc.messages[0]
    state = data.get("state") or RentalState.RENTED
    if state not in RentalState.values:
        errors["state"] = _("出租状态只能是“已出租”或“空置”")
    cleaned["state"] = state
    note = (data.get("note") or "").strip()
    if len(note) > 200:
        errors["note"] = _("备注不能超过200个字")
    cleaned["note"] = note
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def register_rental(data: dict, *, user) -> Rental:
    cleaned = clean_rental(data, user=user)
    rental = Rental(household=cleaned["household"], landlord_name=cleaned["landlord_name"],
                    state=cleaned["state"], note=cleaned["note"])
    rental.set_landlord_phone(cleaned["landlord_phone"])
    rental.save()
    audit.record_change(rental, user)
    return rental


@transaction.atomic
def set_state(rental: Rental, state: str, *, user) -> Rental:
    _visible_rental(rental, user)
    if state not in RentalState.values:
        raise ValidationError({"state": _("出租状态只能是“已出租”或“空置”")})
    if state == RentalState.VACANT and rental.tenancies.filter(moved_out__isnull=True).exists():
        raise ValidationError({"state": _("还有租户在住，请先办理搬离再标记为空置")})
    if rental.state != state:
        rental.state = state
        rental.save()
        audit.record_change(rental, user)
    return rental


# --- the list ------------------------------------------------------------------------------------

def _lived_in():
    return models.Exists(Tenancy.objects.filter(rental=models.OuterRef("pk"), moved_out__isnull=True))


def with_facts(rentals):
    """Each rental with `current_tenants`: how many tenants live there now."""
    return rentals.annotate(
        current_tenants=models.Count("tenancies", filter=models.Q(tenancies__moved_out__isnull=True)))


def _filter_q(name):
    if name == NO_LETTER:
        return models.Q(letter="")
    if name == UNREGISTERED:  # let, but nobody registered as living there
        return models.Q(state=RentalState.RENTED) & ~models.Q(_lived_in())
    if name == VACANT:
        return models.Q(state=RentalState.VACANT)
    return models.Q()


def filter_rentals(user, params: dict):
    """The rentals the user may see, with the list's search (address) and filter applied."""
    rentals = Rental.objects.visible_to(user)
    q = (params.get("q") or "").strip()
    if q:
        rentals = rentals.filter(household__address__icontains=q)
    for name in FILTERS:  # the page picks one ("filter"), the API may combine them (no_letter=true&...)
        if params.get("filter") == name or str(params.get(name, "")).lower() in ("1", "true"):
            rentals = rentals.filter(_filter_q(name))
    if params.get("state") in RentalState.values:
        rentals = rentals.filter(state=params["state"])
    return rentals


def counts(user) -> dict:
    """The numbers at the top of the list: all, without letter, rented but nobody registered, vacant."""
    return Rental.objects.visible_to(user).aggregate(
        total=models.Count("pk"),
        **{name: models.Count("pk", filter=_filter_q(name)) for name in FILTERS},
    )


# --- tenants ---------------------------------------------------------------------------------------

def find_person(user, id_type: str, number: str) -> Person | None:
    """The person holding this document within the user's scope, or None; a malformed number is an error."""
    try:
        number = normalize_document(id_type or DocumentType.RESIDENT_ID, number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages[0]}) from exc
    return Person.objects.visible_to(user).with_document(id_type or DocumentType.RESIDENT_ID, number).first()


def _check_date(value, field, label, errors, not_before=None):
    if value is None:
        errors[field] = _("请填写%(label)s") % {"label": label}
    elif value > today():
        errors[field] = _("%(label)s不能晚于今天") % {"label": label}
    elif not_before is not None and value < not_before:
        errors[field] = _("%(label)s不能早于入住日期（%(date)s）") % {"label": label, "date": not_before.isoformat()}


@transaction.atomic
def move_in(rental: Rental, person: Person, moved_in: datetime.date, *, user) -> Tenancy:
    """A tenant moves in. A person with no household yet is recorded in this one as a floating tenant."""
    _visible_rental(rental, user)
    errors = {}
    if person is None or not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        errors["person"] = _("未找到该人员，或其不在您的管辖范围内")
    _check_date(moved_in, "moved_in", _("入住日期"), errors)
    if errors:
        raise ValidationError(errors)
    person = Person.objects.select_for_update().get(pk=person.pk)  # as stored now, not as the caller last saw it
    # Lock the person's tenancies so that two concurrent move-ins cannot both pass the check.
    living = list(Tenancy.objects.select_for_update().filter(person=person, moved_out__isnull=True)
                  .select_related("rental__household"))
    if living:
        other = living[0].rental
        if other.pk == rental.pk:
            raise ValidationError({"person": _("%(name)s 已是本出租屋的租户") % {"name": person.name_masked}})
        raise ValidationError({"person": _("%(name)s 仍登记住在 %(address)s，请先在那里办理搬离") % {
            "name": person.name_masked, "address": other.household.address}})
    tenancy = Tenancy(rental=rental, person=person, moved_in=moved_in)
    tenancy.save()
    audit.record_change(tenancy, user)
    household = rental.household
    if person.household_id is None or person.household_id == household.pk:
        if person.household_id is None:
            person.residency = Residency.FLOATING
        person.household, person.area_id = household, household.area_id
        person.household_role = HouseholdRole.TENANT
        person.save()
        audit.record_change(person, user)
    if rental.state != RentalState.RENTED:
        rental.state = RentalState.RENTED
        rental.save()
        audit.record_change(rental, user)
    return tenancy


@transaction.atomic
def move_out(tenancy: Tenancy, moved_out: datetime.date, *, user) -> Tenancy:
    """A tenant leaves on `moved_out`; they no longer count as living in the rental's household."""
    tenancy = Tenancy.objects.select_for_update().select_related("rental__household", "person").get(pk=tenancy.pk)
    _visible_rental(tenancy.rental, user)
    errors = {}
    if tenancy.moved_out is not None:
        errors["moved_out"] = _("该租户已于 %(date)s 搬离") % {"date": tenancy.moved_out.isoformat()}
    else:
        _check_date(moved_out, "moved_out", _("搬离日期"), errors, not_before=tenancy.moved_in)
    if errors:
        raise ValidationError(errors)
    tenancy.moved_out = moved_out
    person = tenancy.person
    tenancy.save()
    audit.record_change(tenancy, user)
    if person.household_id == tenancy.rental.household_id and person.household_role == HouseholdRole.TENANT:
        person.household, person.household_role = None, ""
        person.save()
        audit.record_change(person, user)
    return tenancy


# --- the commitment letter -------------------------------------------------------------------------

def letter_type(upload) -> str:
    """"pdf", "png" or "jpg" from the file's first bytes; ValidationError for anything else or too large."""
    if upload is None:
        raise ValidationError({"letter": _("请选择承诺书文件")})
    if upload.size > settings.FANGKONG_MAX_UPLOAD_BYTES:
        raise ValidationError({"letter": _("文件太大（%(size)d MB），最大 %(max)d MB") % {
            "size": upload.size // (1024 * 1024), "max": settings.FANGKONG_MAX_UPLOAD_BYTES // (1024 * 1024)}})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for kind, (magic, _content_type) in LETTER_TYPES.items():
        if head.startswith(magic):
            return kind
    raise ValidationError({"letter": _("承诺书只能是照片（JPG、PNG）或 PDF 文件，所选文件不是这几种格式")})


@transaction.atomic
def attach_letter(rental: Rental, upload, signed_on: datetime.date, *, user) -> Rental:
    """Store the signed letter under a name of our own (the uploaded name is never used) and its date."""
    _visible_rental(rental, user)
    errors = {}
    try:
        kind = letter_type(upload)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _check_date(signed_on, "letter_signed_on", _("签订日期"), errors)
    if errors:
        raise ValidationError(errors)
    old = rental.letter.name if rental.letter else ""
    upload.seek(0)
    rental.letter.save(f"{uuid.uuid4().hex}.{kind}", ContentFile(upload.read()), save=False)
    rental.letter_signed_on = signed_on
    new = rental.letter.name
    storage = rental.letter.storage
    # The new file goes if the transaction fails, the old one once it has committed.
    transaction.on_commit(lambda: old and storage.delete(old))
    try:
        rental.save()
        audit.record_change(rental, user)
    except Exception:
        storage.delete(new)
        raise
    return rental


def open_letter(rental: Rental, *, user):
    """(file, content type, download name) of the signed letter; every read is written to the audit log."""
    _visible_rental(rental, user)
    if not rental.letter:
        raise FileNotFoundError
    kind = rental.letter.name.rsplit(".", 1)[-1]
    content_type = LETTER_TYPES.get(kind, (b"", "application/octet-stream"))[1]
    handle = rental.letter.open("rb")
    audit.record(AuditAction.EXPORT, rental, actor=user, changes={"file": "承诺书", "name": rental.letter.name})
    return handle, content_type, f"承诺书-{rental.pk}.{kind}"


def letter_pdf(rental: Rental, *, user) -> bytes:
    _visible_rental(rental, user)
    from .letters import commitment_letter_pdf

    return commitment_letter_pdf(rental)
