from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Q
from django.shortcuts import render
from django.utils.dateparse import parse_date

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.core.pages import paginate


@login_required
@permission_required("audit.view_auditevent", raise_exception=True)
def audit_list(request):
    """Search the audit log by who, what, which record and when. Read-only: there is no edit view."""
    events = AuditEvent.objects.all()
    q = request.GET.get("q", "").strip()
    if q:
        events = events.filter(Q(actor_name__icontains=q) | Q(object_repr__icontains=q) | Q(ip=q))
    if request.GET.get("action") in AuditAction.values:
        events = events.filter(action=request.GET["action"])
    if request.GET.get("object_type"):
        events = events.filter(object_type=request.GET["object_type"])
    if request.GET.get("object_id"):
        events = events.filter(object_id=request.GET["object_id"])
    for key, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
        try:
            day = parse_date(request.GET.get(key, ""))
        except ValueError:  # well-formed but impossible, e.g. 2026-02-30
            day = None
        if day:
            events = events.filter(**{lookup: day})
    return render(request, "audit/list.html", {
        **paginate(request, events.select_related("actor")), "actions": AuditAction.choices,
        "params": request.GET,
    })

