"""Tracing pages: the traces, the workbench of one trace (visits, contacts ranked, marks, the bulk action), the
community workers' tasks, the risk places with their xlsx, the chain graph and the trace report.
Thin: parse, call tracing.services, render; a refused action shows its Chinese message and changes nothing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.audit import services as audit
from fangkong.core import exports
from fangkong.isolation.models import Kind
from fangkong.passes.models import Place, PlaceKind
from fangkong.people.models import Person
from fangkong.screening.models import Category

from . import report, services
from .models import ContactTask, Mark, RiskPolicy, Trace, Visit


def _errors(exc) -> dict:
    if not hasattr(exc, "error_dict"):
        return {"general": exc.messages}
    return {key: value for key, value in exc.message_dict.items()}


def _flash(request, exc):
    for message in getattr(exc, "messages", None) or [str(exc) or _("您没有这项操作的权限")]:
        messages.error(request, message)


def _trace(request, pk):
    return get_object_or_404(Trace.objects.visible_to(request.user).select_related("case", "area"), pk=pk)


def _local(value: str):
    """A datetime-local field (no zone) as Asia/Shanghai, or None."""
    parsed = parse_datetime(value or "")
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@login_required
@permission_required("tracing.view_trace", raise_exception=True)
def trace_list(request):
    traces = Trace.objects.visible_to(request.user).select_related("case", "area", "opened_by")[:200]
    errors, data = {}, {}
    if request.method == "POST":
        if not request.user.has_perm("tracing.add_trace"):
            raise PermissionDenied
        data = request.POST
        case = Person.objects.visible_to(request.user).select_related("household").filter(
            pk=int(data["case"]) if (data.get("case") or "").isdigit() else 0).first()
        try:
            if case is None:
                raise ValidationError({"case": _("没有这个人员，或不在您的管辖范围内")})
            trace = services.open_trace(case, parse_date(data.get("onset") or ""), user=request.user,
                                        window_days=data.get("window_days") or services.DEFAULT_WINDOW_DAYS,
                                        note=data.get("note", ""))
        except ValidationError as exc:
            errors = _errors(exc)
        except PermissionDenied as exc:
            errors = {"general": [str(exc)]}
        else:
            return redirect("tracing:detail", trace.pk)
    cases = []
    q = (request.GET.get("q") or data.get("q") or "").strip()
    if q:
        cases = list(Person.objects.visible_to(request.user).search(q).select_related("area")[:20])
    return render(request, "tracing/list.html", {
        "traces": traces, "errors": errors, "data": data, "q": q, "cases": cases,
        "today": timezone.localdate(), "default_days": services.DEFAULT_WINDOW_DAYS,
    }, status=400 if errors else 200)


@login_required
@permission_required("tracing.view_trace", raise_exception=True)
def trace_detail(request, pk):
    trace = _trace(request, pk)
    visits = list(trace.visits.select_related("place").order_by("start", "id"))
    contacts = services.contacts_of(trace)
    in_scope = set(Person.objects.visible_to(request.user).filter(
        pk__in=[c.person_id for c in contacts]).values_list("pk", flat=True))
    return render(request, "tracing/detail.html", {
        "trace": trace, "visits": visits, "contacts": contacts, "in_scope": in_scope,
        "marks": Mark.choices, "kinds": Kind.choices,
        "categories": Category.objects.filter(active=True).order_by("position", "code"),
        "places": Place.objects.approved().visible_to(request.user).order_by("name")[:500],
        "close": [c for c in contacts if c.mark == Mark.CLOSE],
        "errors": request.session.pop(f"trace-{trace.pk}-errors", {}),
    })


def _back(trace, anchor=""):
    return redirect(f"{trace.get_absolute_url()}{anchor}")


@login_required
@require_POST
def visit_add(request, pk):
    trace = _trace(request, pk)
    place = Place.objects.filter(pk=int(request.POST["place"])).first() \
        if (request.POST.get("place") or "").isdigit() else None
    try:
        services.add_visit(trace, place=place, start=_local(request.POST.get("start")),
                           end=_local(request.POST.get("end")), note=request.POST.get("note", ""), user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("已添加轨迹"))
    return _back(trace, "#visits")


@login_required
@require_POST
def visit_wrong(request, pk, visit_pk):
    trace = _trace(request, pk)
    visit = get_object_or_404(Visit, pk=visit_pk, trace=trace)
    try:
        services.mark_visit_wrong(visit, reason=request.POST.get("reason", ""), user=request.user,
                                  wrong=request.POST.get("restore") != "1")
    except (ValidationError, PermissionDenied) as exc:
        _flash(request, exc)
    return _back(trace, "#visits")


@login_required
@require_POST
def contact_mark(request, pk, contact_pk):
    trace = _trace(request, pk)
    contact = get_object_or_404(trace.contacts, pk=contact_pk)
    try:
        services.mark_contact(contact, request.POST.get("mark", ""), note=request.POST.get("note", ""),
                              user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _flash(request, exc)
    return _back(trace, "#contacts")


@login_required
@require_POST
def secondary(request, pk):
    trace = _trace(request, pk)
    try:
        added = services.expand_secondary(trace, user=request.user)
    except PermissionDenied as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("找到 %(n)d 名次密接") % {"n": added})
    return _back(trace, "#contacts")


@login_required
@require_POST
def act(request, pk):
    trace = _trace(request, pk)
    category = Category.objects.filter(pk=int(request.POST["category"])).first() \
        if (request.POST.get("category") or "").isdigit() else None
    try:
        result = services.act(trace, request.POST.getlist("persons"), category=category,
                              isolation_kind=request.POST.get("isolation_kind", ""), user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("已转入管控：新登记重点人员 %(s)d 人，新下达隔离 %(o)d 人，下发社区任务 %(t)d 条；"
                                    "此前已处理 %(a)d 人") % {"s": result.screenings, "o": result.orders,
                                                          "t": result.tasks, "a": result.already})
    return _back(trace, "#contacts")


@login_required
@permission_required("tracing.view_contacttask", raise_exception=True)
def tasks(request):
    rows = (ContactTask.objects.visible_to(request.user).open()
            .select_related("person", "contact__trace__case", "area").order_by("created_at", "id"))
    return render(request, "tracing/tasks.html", {"tasks": rows})


@login_required
@require_POST
@permission_required("tracing.change_contacttask", raise_exception=True)
def task_done(request, pk):
    task = get_object_or_404(ContactTask.objects.visible_to(request.user), pk=pk)
    services.close_task(task, user=request.user)
    messages.success(request, _("已完成：%(name)s") % {"name": task.person.name_masked})
    return redirect("tracing:tasks")


@login_required
@permission_required("tracing.view_riskplace", raise_exception=True)
def risk_places(request):
    policies = RiskPolicy.objects.filter(place__in=Place.objects.visible_to(request.user)).select_related("place")
    return render(request, "tracing/risk_places.html", {
        "rows": report.risk_places(request.user)[:500], "policies": policies,
        "places": Place.objects.approved().visible_to(request.user).order_by("name")[:500]})


@login_required
@require_POST
def risk_policy(request):
    place = Place.objects.filter(pk=int(request.POST["place"])).first() \
        if (request.POST.get("place") or "").isdigit() else None
    try:
        services.set_risk_policy(place, enabled=request.POST.get("enabled") == "1", user=request.user,
                                 days=request.POST.get("days") or 14)
    except (ValidationError, PermissionDenied) as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("已保存场所通行政策"))
    return redirect("tracing:risk_places")


@login_required
@require_POST
def risk_places_xlsx(request):
    return redirect("export_job", exports.start("risk_places", request.user, request.POST).pk)


@login_required
@permission_required("tracing.view_trace", raise_exception=True)
def chain(request, pk):
    return render(request, "tracing/chain.html", {"trace": _trace(request, pk)})


@login_required
@permission_required("tracing.view_trace", raise_exception=True)
def chain_data(request, pk):
    return JsonResponse(report.chain(_trace(request, pk)))


@login_required
@require_POST
def trace_xlsx(request, pk):
    trace = _trace(request, pk)
    return redirect("export_job", exports.start("trace_report", request.user, {"trace": trace.pk}).pk)


@login_required
@permission_required("tracing.view_trace", raise_exception=True)
def trace_pdf(request, pk):
    trace = _trace(request, pk)
    audit.log_export(request.user, "tracing.Trace", 1, {"trace": trace.pk, "format": "pdf"})
    response = HttpResponse(report.trace_pdf(trace), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="trace-{trace.pk}.pdf"'
    return response


@login_required
@permission_required("tracing.change_kindrule", raise_exception=True)
def kind_rules(request):
    """时空伴随规则: a district admin sets, per place kind, the default stay and the ± minutes around a case's stay.
    Fields are named <kind>-stay and <kind>-margin; all kinds are saved or none."""
    errors = {}
    if request.method == "POST":
        try:
            with transaction.atomic():
                for kind in PlaceKind.values:
                    try:
                        services.set_kind_rule(kind, request.POST.get(f"{kind}-stay"),
                                               request.POST.get(f"{kind}-margin"), user=request.user)
                    except ValidationError as exc:
                        errors[kind] = exc.message_dict
                if errors:
                    raise ValidationError(_("时空伴随规则有误"))
        except ValidationError:
            pass
        else:
            messages.success(request, _("已保存时空伴随规则"))
            return redirect("tracing:kind_rules")
    saved = services.kind_rules()

    def typed(kind, name, index):  # what was typed (kept on a refusal), else what is saved
        posted = request.POST.get(f"{kind}-{name}")
        return saved[kind][index] if posted is None else posted

    rows = [(value, label, typed(value, "stay", 0), errors.get(value, {}).get("stay_minutes"),
             typed(value, "margin", 1), errors.get(value, {}).get("margin_minutes"))
            for value, label in PlaceKind.choices]
    return render(request, "tracing/kind_rules.html", {"rows": rows}, status=400 if errors else 200)
