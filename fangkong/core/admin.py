from django.contrib import admin


class ScopedAdmin(admin.ModelAdmin):
    """Admin lists obey the same area scope as every other page."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)
