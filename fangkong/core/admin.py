from fangkong.audit.admin import AuditedAdmin


class ScopedAdmin(AuditedAdmin):
    """Admin lists obey the same area scope as every other page; changes are audited."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)
