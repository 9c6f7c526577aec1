from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import Area, Building, Compound, Grid, Household, Unit


@admin.register(Area)
class AreaAdmin(ScopedAdmin):
    list_display = ["name", "level", "parent", "code"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]


@admin.register(Grid)
class GridAdmin(ScopedAdmin):
    list_display = ["name", "level", "area", "leader"]
    list_filter = ["level"]
    search_fields = ["name"]
    raw_id_fields = ["area", "parent", "leader"]
    filter_horizontal = ["members"]


@admin.register(Compound)
class CompoundAdmin(ScopedAdmin):
    list_display = ["name", "area", "grid", "address"]
    search_fields = ["name", "address"]
    raw_id_fields = ["area", "grid"]


@admin.register(Building)
class BuildingAdmin(ScopedAdmin):
    list_display = ["name", "compound", "grid"]
    raw_id_fields = ["compound", "grid"]


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    list_display = ["name", "building"]
    raw_id_fields = ["building"]


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ["address", "area", "grid", "floor", "room"]
    search_fields = ["address"]
    raw_id_fields = ["area", "grid", "unit"]
