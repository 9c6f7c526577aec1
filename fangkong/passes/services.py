"""一区一码 use cases: the place lifecycle, code lookup, residents' devices and recording passages."""

import hashlib
import uuid
from decimal import Decimal, InvalidOperation

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Role

from .models import Declaration, Device, DeviceMember, Direction, Passage, Place, PlaceState, RejectedScan
from .verdict import gate_verdict

CODE_CACHE_SECONDS = 300
DEVICE_COOKIE = "fk_device"
DEVICE_SALT = "fangkong.passes.device"
DEVICE_MAX_AGE = 2 * 365 * 24 * 3600
CONSENT_VERSION = "2026-11"
MIN_TEMPERATURE, MAX_TEMPERATURE = Decimal("34.0"), Decimal("43.0")


# Places -------------------------------------------------------------------------------------------

def _code_key(code):
    return f"place-code:{code}"


def place_for_code(code: str, ip: str = "") -> Place | None:
    """The approved place behind a scanned code, or None (the failed attempt is recorded)."""
    if not code or len(code) > 64:
        RejectedScan.objects.create(code=(code or "")[:64], reason="malformed", ip=ip)
        return None
    place = cache.get(_code_key(code))
    if place is None:
        place = Place.objects.select_related("area").filter(code=code).first()
        if place is not None:
            cache.set(_code_key(code), place, CODE_CACHE_SECONDS)
    if place is None or place.state != PlaceState.APPROVED:
        RejectedScan.objects.create(code=code[:64], reason="unknown" if place is None else place.state,
                                    place=place, ip=ip)
        return None
    return place


def forget_code(place: Place):
    cache.delete(_code_key(place.code))


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
    place.save()
    return place


@transaction.atomic
def suspend_place(place: Place, *, reason: str, user) -> Place:
    """Suspending takes effect at once: the poster's code stops working on the next scan."""
    if not reason.strip():
        raise ValidationError({"reason": _("暂停时必须填写原因")})
    place.state, place.state_reason = PlaceState.SUSPENDED, reason.strip()[:200]
    place.save()
    transaction.on_commit(lambda: forget_code(place))
    return place


@transaction.atomic
def resume_place(place: Place, *, user) -> Place:
    place.state, place.state_reason = PlaceState.APPROVED, ""
    place.save()
    transaction.on_commit(lambda: forget_code(place))
    return place


@transaction.atomic
def rotate_code(place: Place, *, user) -> Place:
    """A new code for a lost or misused poster; the old poster stops working at once."""
    old = place.code
    from .models import new_place_code

    place.code, place.code_issued_at = new_place_code(), timezone.now()
    place.save()
    transaction.on_commit(lambda: cache.delete(_code_key(old)))
    return place


# Residents' devices -------------------------------------------------------------------------------

def device_from_cookie(value: str | None) -> Device | None:
    if not value:
        return None
    try:
        device_id = uuid.UUID(signing.loads(value, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return Device.objects.filter(pk=device_id, revoked_at=None).first()


def device_cookie(device: Device) -> str:
    return signing.dumps(str(device.pk), salt=DEVICE_SALT)


def add_to_device(device: Device | None, person, label: str) -> Device:
    device = device or Device.objects.create()
    DeviceMember.objects.update_or_create(device=device, person=person, defaults={"label": label[:20] or _("本人")})
    return device


def revoke_device(device: Device):
    device.revoked_at = timezone.now()
    device.save(update_fields=["revoked_at"])


def latest_declaration(person) -> Declaration | None:
    return Declaration.objects.filter(person=person).order_by("-at").first()


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


def may_record_at(user, place: Place) -> bool:
    """Staff record passages only at places in their scope; checkpoint staff only at their own posts."""
    if not user.has_perm("passes.record_passage"):
        return False
    if not Place.objects.visible_to(user).filter(pk=place.pk).exists():
        return False
    if user.has_role(Role.CHECKPOINT_STAFF) and not user.is_superuser:
        return place.staff.filter(pk=user.pk).exists() or place.shifts.filter(user=user).exists()
    return True


def record_passage(person, place, *, channel, idempotency_key, direction=Direction.IN, temperature=None,
                   recorder=None, declaration=None, vehicle_plate="", at=None) -> Passage:
    """Decide the verdict and write the passage once; the same idempotency key returns the first one."""
    if direction not in Direction.values:
        raise ValidationError({"direction": _("方向只能是“入”或“出”")})
    if direction == Direction.OUT and not place.records_exit:
        raise ValidationError({"direction": _("该场所只登记进入")})
    if recorder is not None and not may_record_at(recorder, place):
        raise PermissionDenied(_("您不能在该场所登记出入"))
    if not idempotency_key or len(idempotency_key) > 255:
        raise ValidationError({"idempotency_key": _("缺少或过长的幂等键")})
    # Stored as a digest: fixed length, and a client's key says nothing about who sent it.
    idempotency_key = hashlib.sha256(idempotency_key.encode()).hexdigest()
    temperature = clean_temperature(temperature)
    at = at or timezone.now()
    if declaration is None:
        declaration = latest_declaration(person)
    decision = gate_verdict(person, place, at, temperature=temperature, declaration=declaration)
    passage = Passage(person=person, place=place, area_id=place.area_id, direction=direction, at=at,
                      temperature=temperature, verdict=decision.verdict, reasons=decision.reasons,
                      channel=channel, recorder=recorder, vehicle_plate=vehicle_plate,
                      idempotency_key=idempotency_key)
    try:
        with transaction.atomic():
            passage.save(force_insert=True)
    except IntegrityError:
        existing = Passage.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing
    return passage
