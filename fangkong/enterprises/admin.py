from django.contrib import admin

from .models import ChecklistItem, Enterprise, Park


@admin.register(Park)
class ParkAdmin(admin.ModelAdmin):
    list_display = ["name", "area"]
    search_fields = ["name"]


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "sector", "area", "park", "state", "closed_loop"]
    list_filter = ["state", "sector", "closed_loop"]
    search_fields = ["name", "credit_code"]
    readonly_fields = ["state", "approved_at", "closed_loop", "closed_loop_reason"]  # changed through the services


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["group", "text", "position", "needs_attachment", "active"]
