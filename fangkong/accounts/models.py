import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.core import crypto
from fangkong.core.identity import mask_phone, normalize_phone
from fangkong.core.scope import ScopedQuerySet

from .roles import Role

# Blind-index purposes of a staff phone: the full number and its last four digits (the user list's search).
PHONE_FULL, PHONE_TAIL4 = "user_phone", "user_phone4"


class UserQuerySet(ScopedQuerySet):
    def search(self, text):
        """Name or username (part of either), or a phone number (all 11 digits or the last four)."""
        text = (text or "").strip().replace(" ", "")
        if not text:
            return self
        query = models.Q(full_name__contains=text) | models.Q(username__icontains=text)
        if text.isdigit() and len(text) == 4:
            query |= models.Q(phone_tail4_index__in=crypto.blind_indexes(PHONE_TAIL4, text))
        elif any(ch.isdigit() for ch in text):
            try:
                query |= models.Q(phone_index__in=crypto.blind_indexes(PHONE_FULL, normalize_phone(text)))
            except ValidationError:
                pass
        return self.filter(query)


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A staff account bound to one node of the area tree (its scope) and one or more roles (groups)."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    area = models.ForeignKey("territory.Area", models.PROTECT, null=True, blank=True, related_name="users",
                             verbose_name=_("所属区域"))
    # Grid workers see only their grid's households.
    grid = models.ForeignKey("territory.Grid", models.SET_NULL, null=True, blank=True, related_name="workers",
                             verbose_name=_("所属网格"))
    # A staff member's phone, like residents' numbers: only encrypted, found through keyed blind indexes.
    phone_encrypted = models.TextField(editable=False, blank=True)
    phone_index = models.CharField(max_length=64, editable=False, blank=True, db_index=True)
    phone_tail4_index = models.CharField(max_length=64, editable=False, blank=True, db_index=True)

    objects = ScopedUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        permissions = [("manage_users", _("管理本辖区账号"))]

    def __str__(self):
        return self.full_name or self.username

    @property
    def role_codes(self) -> set[str]:
        if not hasattr(self, "_role_codes"):
            if "groups" in getattr(self, "_prefetched_objects_cache", {}):  # a list's prefetch_related("groups")
                self._role_codes = {group.name for group in self.groups.all()}
            else:
                self._role_codes = set(self.groups.values_list("name", flat=True))
        return self._role_codes

    def has_role(self, role: Role) -> bool:
        return role.value in self.role_codes

    def manages_places_only(self) -> bool:
        """An enterprise admin with no wider role: of the places in their area they see only those they manage."""
        return (not self.is_superuser and bool(self.role_codes)
                and self.role_codes <= {Role.ENTERPRISE_ADMIN.value})

    def role_labels(self) -> list[str]:
        return [role.label for role in Role if role.value in self.role_codes]

    def set_phone(self, phone: str):
        self.phone_encrypted = crypto.encrypt(phone) if phone else ""
        self.phone_index = crypto.blind_index(PHONE_FULL, phone) if phone else ""
        self.phone_tail4_index = crypto.blind_index(PHONE_TAIL4, phone[-4:]) if phone else ""

    def rebuild_blind_indexes(self) -> list[str]:
        """Key rotation (rotate_field_keys): the indexes under the newest key."""
        self.set_phone(self.phone)
        return ["phone_index", "phone_tail4_index"]

    @property
    def phone(self) -> str:
        return crypto.decrypt(self.phone_encrypted) if self.phone_encrypted else ""

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    def must_use_otp(self) -> bool:
        """District admins (and superusers) sign in with a TOTP second factor when FANGKONG_REQUIRE_ADMIN_OTP is on:
        on the pages (RequireOTPMiddleware) and for an API token alike."""
        return settings.FANGKONG_REQUIRE_ADMIN_OTP and (self.is_superuser or self.has_role(Role.DISTRICT_ADMIN))

    def may_see_full_numbers(self) -> bool:
        return self.has_perm("people.view_full_identity")

    def may_export(self) -> bool:
        return self.has_perm("people.export_person")


class OfferedPermission(models.Model):
    """A default permission once given to a role's group: given again never, so an admin's removal sticks."""

    group = models.ForeignKey("auth.Group", models.CASCADE, related_name="+")
    permission = models.ForeignKey("auth.Permission", models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "permission"], name="offered_once")]

    def __str__(self):
        return f"{self.group_id}:{self.permission_id}"


def token_digest(key: str) -> str:
    """What is stored of an API token: its SHA-256 (a random 160-bit key needs no slow hash)."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def current(self):
        return self.filter(expires__gt=timezone.now())


class ApiToken(models.Model):
    """A key for the REST API (`Authorization: Token <key>`), shown once when issued and stored only hashed.

    It expires FANGKONG_API_TOKEN_HOURS after it is issued; its holder or a manager of the account revokes it
    (deletes the row). `verified` says a second factor was given when it was issued: a token without one stops
    working the moment its holder must use TOTP (e.g. promoted to district admin).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens",
                             verbose_name=_("用户"))
    # Unique: the lookup of every API request, key → token.
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The key's first characters, so that the holder can tell their tokens apart.
    prefix = models.CharField(_("令牌开头"), max_length=8, editable=False)
    created = models.DateTimeField(_("签发时间"), default=timezone.now)
    expires = models.DateTimeField(_("过期时间"))
    last_used = models.DateTimeField(_("最近使用"), null=True, blank=True)
    last_ip = models.CharField(_("最近使用地址"), max_length=45, blank=True)
    client = models.CharField(_("客户端"), max_length=200, blank=True)
    verified = models.BooleanField(_("已通过二次验证"), default=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")
        ordering = ["-created"]

    def __str__(self):
        return f"{self.prefix}…"

    def is_expired(self, now=None) -> bool:
        return self.expires <= (now or timezone.now())
