from django.contrib import admin

from fangkong.audit.admin import AuditedAdmin
from fangkong.core.admin import ScopedAdmin

from .models import Category, Screening


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["code", "name", "gate_effect", "follow_up", "follow_up_days", "active"]


@admin.register(Screening)
class ScreeningAdmin(ScopedAdmin):
    list_display = ["person", "category", "area", "state", "reported_on", "last_follow_up_on"]
    list_filter = ["state", "category", "source"]
    raw_id_fields = ["person", "area", "grid", "worker", "created_by"]
    readonly_fields = ["state", "state_reason", "state_changed_at", "closed_on", "last_follow_up_on"]
