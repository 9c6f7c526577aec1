from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import Person, Tag


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    list_display = ["name_masked", "sex", "birth_date", "id_type", "id_number_masked", "area"]
    list_filter = ["sex", "id_type"]
    search_fields = ["name"]
    readonly_fields = ["id_number_masked", "phone_masked", "created_at", "updated_at"]
    exclude = ["id_number_encrypted", "phone_encrypted"]
    raw_id_fields = ["household", "area"]

    def has_add_permission(self, request):
        # Adding goes through the staff page, which validates and encrypts the numbers.
        return False


admin.site.register(Tag)
