from django.contrib import admin
from django.db import transaction

from . import services
from .models import AuditAction, AuditEvent


class AuditedAdmin(admin.ModelAdmin):
    """Changes made in the Django admin are audited like the pages' own: by the admin user, in the same
    transaction as the change."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            services.record_change(obj, request.user)

    def delete_model(self, request, obj):
        with transaction.atomic():
            services.record_change(obj, request.user, action=AuditAction.DELETE)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                services.record_change(obj, request.user, action=AuditAction.DELETE)
            super().delete_queryset(request, queryset)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the admin can search the log but not add, change or delete rows."""

    list_display = ["at", "actor_name", "action", "object_type", "object_repr", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_repr", "object_id", "ip"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
