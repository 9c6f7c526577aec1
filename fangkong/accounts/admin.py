from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from fangkong.audit.admin import AuditedAdmin

from .models import User


class ScopedAdmin(AuditedAdmin):
    """Admin lists obey the same area scope as every other page; changes are audited."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "area", "grid", "is_active", "last_login"]
    list_filter = ["groups", "is_active"]
    search_fields = ["username", "full_name"]
    raw_id_fields = ["area", "grid"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("辖区"), {"fields": ["full_name", "area", "grid"]}),)

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)
