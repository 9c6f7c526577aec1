"""Who a resident's phone may speak for: proving the link between a phone (Device) and a person (DeviceMember).

A declaration with a name and an identity number lets the phone record passages for that person, nothing more.
Before it sees anything of theirs (passages, live pass code, colour and its reasons) it proves the link:
- the declaration created the person (nobody else had that number): proven at once (Proof.NEW);
- a one-time code sent by SMS to the phone number on record, typed on the phone (Proof.SMS);
- a worker at a station checks the ID card and types the code the phone shows (Proof.STATION).
Codes are random, stored as keyed digests, short-lived, single-use and tried a limited number of times; how many
may be sent is counted in the database, so every process sees the same limits. Every proof is audited.
"""

import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from fangkong.core import sms

from .models import Challenge, DeviceMember, Proof

CODE_MINUTES = 10
MAX_ATTEMPTS = 5  # wrong tries of one code, then it is dead
SMS_PER_LINK_PER_HOUR = 3
SMS_PER_PERSON_PER_HOUR = 5  # over every phone asking: nobody floods the resident's own phone
STATION_CODE_DIGITS = 8
SALT = "fangkong.passes.binding"


def digest(code: str, member_id: int | None = None) -> str:
    return salted_hmac(SALT, f"{member_id or ''}:{code}", algorithm="sha256").hexdigest()


def mark_proven(member: DeviceMember, proof: str, *, by=None, request=None) -> DeviceMember:
    """The link is proven from now on; audited (who, how, when)."""
    from fangkong.audit import services as audit
    from fangkong.audit.models import AuditAction

    member.verified_at, member.verified_via, member.verified_by = timezone.now(), proof, by
    member.save(update_fields=["verified_at", "verified_via", "verified_by"])
    audit.record(AuditAction.UPDATE, member, actor=by, request=request,
                 object_repr=f"{member.person.name_masked} · {member.label}",
                 changes={"verified_via": proof, "person": member.person_id, "device": str(member.device_id)})
    return member


def member_of(device, person_id: int) -> DeviceMember | None:
    """The phone's link to this person, or None (another phone's people are no business of this one)."""
    if device is None:
        return None
    return (DeviceMember.objects.select_related("person").filter(device=device, person_id=person_id,
                                                                  device__revoked_at=None).first())


def _recent(queryset, hours=1):
    return queryset.filter(created_at__gte=timezone.now() - timedelta(hours=hours)).count()


@transaction.atomic
def send_sms_code(member: DeviceMember) -> bool:
    """Send a 6-digit code to the phone number on record. True if one was sent; the resident is told the same
    either way (whether the person has a number on record is theirs, not the asking phone's, to know).
    Raises ValidationError when the limits are reached."""
    # One link at a time: two taps on 发送 do not both pass the count.
    DeviceMember.objects.select_for_update().filter(pk=member.pk).first()
    if (_recent(Challenge.objects.filter(member=member, kind=Proof.SMS)) >= SMS_PER_LINK_PER_HOUR
            or _recent(Challenge.objects.filter(member__person_id=member.person_id, kind=Proof.SMS))
            >= SMS_PER_PERSON_PER_HOUR):
        raise ValidationError(_("验证码发送太频繁，请一小时后再试，或到卡点请工作人员核验"), code="sms_limit")
    phone = member.person.phone
    code = f"{secrets.randbelow(10**6):06d}"
    # A row even without a number on record, so that the limits count every request alike.
    Challenge.objects.create(member=member, kind=Proof.SMS, code_digest=digest(code, member.pk),
                             expires_at=timezone.now() + timedelta(minutes=CODE_MINUTES))
    if not phone or not sms.available():
        return False
    text = _("【防控】您的验证码是%(code)s，%(minutes)d分钟内有效。用于在手机上查看本人出入记录和通行码，"
             "请勿告诉他人。") % {"code": code, "minutes": CODE_MINUTES}
    transaction.on_commit(lambda: sms.send(phone, text))
    return True


def check_sms_code(member: DeviceMember, code: str, *, request=None) -> DeviceMember:
    """The code typed on the phone: proves the link, or ValidationError. A wrong try is counted (and kept: the
    refusal is raised after the transaction that counts it has committed)."""
    code = (code or "").strip()
    with transaction.atomic():
        challenge = (Challenge.objects.select_for_update()
                     .filter(member=member, kind=Proof.SMS, used_at=None, expires_at__gt=timezone.now())
                     .order_by("-created_at").first())
        if challenge is None or challenge.attempts >= MAX_ATTEMPTS:
            refusal = ValidationError(_("验证码已失效，请重新获取"), code="expired")
        elif not (code.isdigit() and constant_time_compare(challenge.code_digest, digest(code, member.pk))):
            challenge.attempts += 1
            challenge.save(update_fields=["attempts"])
            left = MAX_ATTEMPTS - challenge.attempts
            refusal = (ValidationError(_("验证码错误次数过多，已失效，请重新获取"), code="expired") if left <= 0 else
                       ValidationError(_("验证码不正确，还可以再试 %(n)d 次") % {"n": left}, code="wrong"))
        else:
            challenge.used_at = timezone.now()
            challenge.save(update_fields=["used_at"])
            return mark_proven(member, Proof.SMS, request=request)
    raise refusal


@transaction.atomic
def station_code(member: DeviceMember) -> tuple[str, Challenge]:
    """A code for the phone to show a worker at a station; earlier ones of this link stop working."""
    Challenge.objects.filter(member=member, kind=Proof.STATION, used_at=None).update(expires_at=timezone.now())
    code = f"{secrets.randbelow(10**STATION_CODE_DIGITS):0{STATION_CODE_DIGITS}d}"
    challenge = Challenge.objects.create(member=member, kind=Proof.STATION, code_digest=digest(code),
                                         expires_at=timezone.now() + timedelta(minutes=CODE_MINUTES))
    return code, challenge


def station_challenge(code: str) -> Challenge | None:
    """The live station code a worker typed (spaces allowed), or None."""
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == STATION_CODE_DIGITS):
        return None
    return (Challenge.objects.select_related("member__person").filter(
        code_digest=digest(code), kind=Proof.STATION, used_at=None, expires_at__gt=timezone.now(),
        member__device__revoked_at=None).first())


def confirm_at_station(place, user, *, code: str, id_number: str, request=None) -> DeviceMember:
    """A worker who runs the station has checked the ID card: the number typed from the card must be the
    person's whom the phone asks for. Proves the link, recording the worker. A wrong number counts as a try
    of the code (kept, as in check_sms_code)."""
    from fangkong.core.identity import normalize_document

    from .services import may_run_station

    if not may_run_station(user, place):
        raise PermissionDenied(_("您不能在该场所核验"))
    with transaction.atomic():
        challenge = station_challenge(code)
        if challenge is None:
            raise ValidationError({"code": _("核验码不正确或已过期，请让居民刷新手机上的核验码")})
        challenge = Challenge.objects.select_for_update().select_related("member__person").get(pk=challenge.pk)
        person = challenge.member.person
        try:
            typed = normalize_document(person.id_type, id_number)
        except ValidationError as exc:
            raise ValidationError({"id_number": exc.messages}) from None
        if typed == person.id_number and challenge.used_at is None:
            challenge.used_at = timezone.now()
            challenge.save(update_fields=["used_at"])
            return mark_proven(challenge.member, Proof.STATION, by=user, request=request)
        challenge.attempts += 1
        if challenge.attempts >= MAX_ATTEMPTS:
            challenge.expires_at = timezone.now()
        challenge.save(update_fields=["attempts", "expires_at"])
    raise ValidationError({"id_number": _("证件号码与该手机申请验证的人员不一致，请核对身份证")})
