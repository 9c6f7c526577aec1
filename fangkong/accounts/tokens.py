"""API tokens: issued after the same factors as a login, expiring, revocable by their holder and account managers.

Each function takes the acting user, writes one audit row, and leaves the token cache to the signal in apps.py
(any save or delete of a token makes every cached lookup stale, so a revoked token stops on the next request).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction

from .models import ApiToken, token_digest
from .services import check_target, may_manage

OTP_FIELD = "otp_token"


def check_second_factor(user, code: str, *, request) -> bool:
    """For a user who must use TOTP: the code must match their confirmed device (ValidationError on
    `otp_token` otherwise, and a wrong code counts as a failed login: audited and towards the lockout).
    Returns whether a second factor was given."""
    if not user.must_use_otp():
        return False
    code = (code or "").strip()
    if not code:
        raise ValidationError({OTP_FIELD: _("该账号须输入二次验证码（验证器上当前显示的6位数字）")})
    with transaction.atomic():
        # Locked: two requests cannot both spend the same code.
        device = TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update().first()
        if device is None:
            raise ValidationError({OTP_FIELD: _("该账号尚未设置二次验证，请先在网页登录并按提示设置")})
        if code.isdigit() and device.verify_token(code):
            return True
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    raise ValidationError({OTP_FIELD: _("验证码不正确或已过期，请输入验证器上当前显示的6位数字")})


def issue(user, *, verified: bool, client: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and its key, which is shown this once and never stored."""
    key = secrets.token_hex(20)
    now = timezone.now()
    with transaction.atomic():
        user.api_tokens.filter(expires__lte=now).delete()  # the expired ones are of no use to anyone
        token = ApiToken.objects.create(
            user=user, digest=token_digest(key), prefix=key[:6], created=now,
            expires=now + timedelta(hours=settings.FANGKONG_API_TOKEN_HOURS), client=client[:200], verified=verified)
        audit.record(AuditAction.CREATE, token, actor=user, changes={
            "user": user.username, "expires": timezone.localtime(token.expires).isoformat(timespec="minutes"),
            "second_factor": verified})
    return token, key


def may_revoke(acting_user, token) -> bool:
    return token.user_id == acting_user.pk or may_manage(acting_user, token.user)


def revoke(token, *, acting_user) -> None:
    if not may_revoke(acting_user, token):
        raise PermissionDenied(_("您无权撤销该令牌"))
    with transaction.atomic():
        audit.record(AuditAction.DELETE, token, actor=acting_user, changes={"user": token.user.username})
        token.delete()


def revoke_all(user, *, acting_user, reason: str = "") -> int:
    """Every token of `user` (their own choice, a manager's, or a password change); returns how many."""
    if user.pk != acting_user.pk:
        check_target(acting_user, user)
    with transaction.atomic():
        count, _deleted = user.api_tokens.all().delete()
        if count:
            audit.record(AuditAction.DELETE, object_type=ApiToken._meta.label,
                         object_repr=_("%(user)s 的全部API令牌") % {"user": user.username},
                         actor=acting_user, changes={"user": user.username, "count": count, "reason": reason})
    return count


def unusable_reason(token, now=None) -> str:
    """Why a stored token may not be used now, or "" when it may."""
    if token.is_expired(now):
        return _("令牌已过期，请重新获取")
    if not token.user.is_active:
        return _("账号已停用")
    if token.user.must_use_otp() and not token.verified:
        return _("该令牌签发时未经二次验证，请重新获取")
    return ""
