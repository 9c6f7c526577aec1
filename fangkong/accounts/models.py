from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role
from .scope import ScopedQuerySet


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser):
    """A staff account bound to one node of the area tree (its scope) and one or more roles (groups)."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    area = models.ForeignKey("territory.Area", models.PROTECT, null=True, blank=True, related_name="users",
                             verbose_name=_("所属区域"))
    # Grid workers see only their grid's households.
    grid = models.ForeignKey("territory.Grid", models.SET_NULL, null=True, blank=True, related_name="workers",
                             verbose_name=_("所属网格"))

    objects = ScopedUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.full_name or self.username

    @property
    def role_codes(self) -> set[str]:
        if not hasattr(self, "_role_codes"):
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
