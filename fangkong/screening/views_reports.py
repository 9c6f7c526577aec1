"""日报 pages: a community's day at a phone, the district's table and chart, and its xlsx."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core import exports
from fangkong.core.pages import paginate
from fangkong.territory.models import Area, AreaLevel

from . import reports
from .models import Screening
from .services import today
from .views import _safe_next


def _own_community(user):
    """The community a user reports for: their area when it is one, else none."""
    area = user.area
    return area if area is not None and area.level == AreaLevel.COMMUNITY else None


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
@permission_required("screening.view_screening", raise_exception=True)
def today_page(request):
    """The open key persons of the worker's scope with today's follow-up state, and 提交日报."""
    user = request.user
    day = today()
    community = _own_community(user)
    report = reports.submitted_report(community, day) if community else None
    if report is not None and not user.grid_id:
        counts = report.figures
    else:
        counts = reports.figures_of(Screening.objects.visible_to(user), day)
        if community is not None:
            counts.update(reports.day_extras(community, day))
    screenings = reports.open_screenings(user)
    reminded_at = reports.own_report_today(community)[1] if community is not None and report is None else None
    context = {
        "day": day, "community": community, "report": report, "counts": counts, "labels": reports.figure_labels(),
        "reminded_at": reminded_at,
        "blockers": reports.submit_blockers(community, day) if community is not None and report is None else [],
        "may_submit": community is not None and not user.grid_id and user.has_perm("screening.submit_dailyreport"),
        **paginate(request, screenings),
    }
    return render(request, "screening/daily_today.html", context)


@login_required
@require_POST
@permission_required("screening.submit_dailyreport", raise_exception=True)
def submit(request):
    community = _own_community(request.user)
    if community is None:
        messages.error(request, _("只有社区/村的工作人员可以上报日报"))
        return redirect("reports:today")
    try:
        reports.submit(community, today(), request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("今日日报已上报，数据已冻结"))
    return redirect("reports:today")


def _district_context(request):
    """The day (?day=, today by default) and the area (?area=, the viewer's own by default) of the table."""
    error = None
    try:
        day = reports.parse_day(request.GET.get("day"))
    except ValidationError as exc:
        day, error = today(), _error_text(exc)
    area = None
    if request.GET.get("area", "").isdigit():
        area = Area.objects.visible_to(request.user).filter(pk=request.GET["area"]).first()
    return day, area, error


def _with_reminders(table, is_today):
    """[(row, today's 催报 of the row's community or None)]: 催报 is about today's missing reports only."""
    reminders = reports.reminders_on(table.day, [row.area.pk for row in table.rows if not row.submitted]) \
        if is_today else {}
    return [(row, reminders.get(row.area.pk)) for row in table.rows]


@login_required
@permission_required("screening.view_dailyreport", raise_exception=True)
def district(request):
    day, area, error = _district_context(request)
    table = reports.district_table(area, day, request.user)
    labels = reports.figure_labels()
    chart = {
        "communities": [row.area.name for row in table.rows],
        "series": [{"key": key, "name": str(labels[key]), "data": [row.totals[key] for row in table.rows]}
                   for key in ("new", "active", "released", "overdue")],
    }
    is_today = day == today()
    return render(request, "screening/daily_district.html", {
        # 催报 only for today's missing reports; the reminders already sent show their time instead.
        "rows": _with_reminders(table, is_today),
        "may_remind": is_today and request.user.has_perm("screening.add_reportreminder"),
        "table": table, "day": day, "area": area, "error": error, "labels": labels, "chart": chart,
        "columns": [(key, labels[key]) for key in reports.KEYS], "is_today": is_today,
        "areas": Area.objects.visible_to(request.user).exclude(level=AreaLevel.COMMUNITY).order_by("path"),
    })


@login_required
@permission_required("screening.export_dailyreport", raise_exception=True)
def export(request):
    """The table of the day and area asked for, exported in the background (a link: GET starts it too)."""
    try:
        job = exports.start("daily_reports", request.user, request.GET)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("reports:district")
    return redirect("export_job", job.pk)


@login_required
@require_POST
@permission_required("screening.add_reportreminder", raise_exception=True)
def remind(request, area_pk):
    """催报 beside a community that has not submitted today's 日报 (district table or home page)."""
    area = get_object_or_404(Area.objects.visible_to(request.user), pk=area_pk)
    try:
        reminder, created = reports.remind(area, request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        at = timezone.localtime(reminder.sent_at).strftime("%H:%M")
        text = _("已催报 %(area)s（%(at)s）") if created else _("%(area)s今日已催报（%(at)s），无需重复催报")
        messages.success(request, text % {"area": area.name, "at": at})
    return redirect(_safe_next(request, reverse("reports:district")))
