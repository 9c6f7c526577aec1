from django.contrib import admin

from .models import Enterprise, Park


@admin.register(Park)
class ParkAdmin(admin.ModelAdmin):
    """Parks are set up once by the district; enterprises are filed under them on their pages."""

    list_display = ["name", "area"]
    search_fields = ["name"]


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    """Read only: every change goes through enterprises.services, which audits it."""

    list_display = ["name", "credit_code", "sector", "area", "park", "state", "closed_loop"]
    list_filter = ["state", "sector", "closed_loop"]
    search_fields = ["name", "credit_code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
