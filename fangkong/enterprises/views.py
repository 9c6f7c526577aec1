"""Enterprise pages: the registry (list, detail, edit, import), the roster and its check-ins, the phone check-in
(no login, a personal link), the on-duty tables, the reopening application with its reviews and letter, closed
loop, and problems. Thin: parse, call enterprises.services, render; a refusal shows its Chinese message and
changes nothing."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fangkong.audit import services as audit
from fangkong.core import imports
from fangkong.core.forms import add_service_errors
from fangkong.core.pages import paginate
from fangkong.passes.models import Place, PlaceKind
from fangkong.people.models import Person

from . import documents, services
from .forms import CheckInForm, EmployeeForm, EnterpriseForm, ImportForm, ParkForm, ProblemForm
from .models import (
    Application,
    ChecklistItem,
    Employee,
    Enterprise,
    Lodging,
    Park,
    Problem,
    ProblemState,
    Sector,
    State,
    Step,
)


def _enterprise(request, pk) -> Enterprise:
    return get_object_or_404(Enterprise.objects.visible_to(request.user).select_related("area", "park"), pk=pk)


def _flash(request, exc):
    for message in exc.messages:
        messages.error(request, message)


def _attempt(request, func, *args, success=None, **kwargs):
    """Call a service for a POST action; its refusal is shown on the page it returns to and nothing changes."""
    try:
        func(*args, **kwargs)
    except ValidationError as exc:
        _flash(request, exc)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        if success:
            messages.success(request, success)


def _back(request, enterprise, name="enterprises:detail"):
    return redirect(name, enterprise.pk)


# Registry -------------------------------------------------------------------------------------------

@login_required
@permission_required("enterprises.view_enterprise", raise_exception=True)
def enterprise_list(request):
    enterprises = Enterprise.objects.visible_to(request.user)
    if request.user.manages_places_only():
        mine = list(enterprises[:2])
        if len(mine) == 1:
            return redirect(mine[0])
    params = {key: request.GET.get(key, "") for key in ("q", "state", "sector", "park")}
    if params["q"]:
        enterprises = enterprises.filter(Q(name__contains=params["q"]) | Q(credit_code=params["q"].upper()))
    for key in ("state", "sector"):
        if params[key]:
            enterprises = enterprises.filter(**{key: params[key]})
    if params["park"].isdigit():
        enterprises = enterprises.filter(park_id=int(params["park"]))
    enterprises = enterprises.select_related("area", "park").annotate(
        roster=Count("employees", filter=Q(employees__active=True))).order_by("name")
    return render(request, "enterprises/list.html", {
        **paginate(request, enterprises), "params": params, "states": State.choices, "sectors": Sector.choices,
        "parks": Park.objects.visible_to(request.user)})


@login_required
@permission_required("enterprises.add_enterprise", raise_exception=True)
def enterprise_new(request):
    form = EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.create_enterprise(form.cleaned_data, user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已登记 %(name)s") % {"name": enterprise.name})
            return redirect(enterprise)
    return render(request, "enterprises/form.html", {"form": form, "title": _("登记企业")},
                  status=400 if form.errors else 200)


@login_required
@permission_required("enterprises.change_enterprise", raise_exception=True)
def enterprise_edit(request, pk):
    enterprise = _enterprise(request, pk)
    own = request.user.manages_places_only()
    initial = {field: getattr(enterprise, field) for field in services.REGISTRY_FIELDS}
    initial["contact_phone"] = enterprise.contact_phone
    form = EnterpriseForm(request.POST or None, user=request.user, own=own, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_enterprise(enterprise, form.cleaned_data, user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect(enterprise)
    return render(request, "enterprises/form.html", {"form": form, "title": _("修改企业信息"),
                                                     "enterprise": enterprise}, status=400 if form.errors else 200)


@login_required
@permission_required("enterprises.view_enterprise", raise_exception=True)
def enterprise_detail(request, pk):
    enterprise = _enterprise(request, pk)
    services.record_gate_presence(enterprise)
    application = services.current_application(enterprise)
    gates = list(Place.objects.filter(enterprise_gate__enterprise=enterprise).order_by("name"))
    linkable = (Place.objects.visible_to(request.user).filter(kind=PlaceKind.ENTERPRISE_GATE, enterprise_gate=None)
                .order_by("name")[:50]) if request.user.has_perm("enterprises.change_enterprise") else []
    return render(request, "enterprises/detail.html", {
        "enterprise": enterprise, "figures": services.figures(enterprise), "application": application,
        "gates": gates, "linkable": linkable, "deliveries": enterprise.deliveries.select_related("place")[:10],
        "problems": enterprise.problems.order_by("-reported_at")[:5], "own": request.user.manages_places_only(),
        "may_close": request.user.has_perm("enterprises.set_closed_loop") and not request.user.manages_places_only(),
        "today": timezone.localdate()})


@login_required
@require_POST
@permission_required("enterprises.change_enterprise", raise_exception=True)
def enterprise_gate(request, pk):
    enterprise = _enterprise(request, pk)
    place = Place.objects.filter(pk=request.POST.get("place") or 0).first()
    if place is None:
        messages.error(request, _("请选择门岗"))
    else:
        _attempt(request, services.link_gate, enterprise, place, user=request.user)
    return _back(request, enterprise)


@login_required
@require_POST
@permission_required("enterprises.change_enterprise", raise_exception=True)
def enterprise_capacity(request, pk):
    enterprise = _enterprise(request, pk)
    _attempt(request, services.set_capacity, enterprise, request.POST.get("capacity_percent"), user=request.user)
    return _back(request, enterprise)


@login_required
@require_POST
@permission_required("enterprises.set_closed_loop", raise_exception=True)
def enterprise_closed_loop(request, pk):
    enterprise = _enterprise(request, pk)
    _attempt(request, services.set_closed_loop, enterprise, on=request.POST.get("on") == "1",
             reason=request.POST.get("reason", ""), user=request.user)
    return _back(request, enterprise)


@login_required
@require_POST
@permission_required("enterprises.set_closed_loop", raise_exception=True)
def enterprise_testing(request, pk):
    enterprise = _enterprise(request, pk)
    starts, ends = parse_date(request.POST.get("starts_on") or ""), parse_date(request.POST.get("ends_on") or "")
    if starts is None or ends is None:
        messages.error(request, _("请填写开始和结束日期"))
    else:
        _attempt(request, services.schedule_testing, enterprise, starts_on=starts, ends_on=ends,
                 every=2 if request.POST.get("every") == "2" else 1, user=request.user)
    return _back(request, enterprise)


@login_required
@require_POST
@permission_required("enterprises.add_delivery", raise_exception=True)
def enterprise_delivery(request, pk):
    enterprise = _enterprise(request, pk)
    place = Place.objects.filter(pk=request.POST.get("place") or 0).first()
    _attempt(request, services.log_delivery, enterprise, goods=request.POST.get("goods", ""), place=place,
             plate=request.POST.get("plate", ""), driver=request.POST.get("driver", ""), user=request.user)
    return _back(request, enterprise)


@login_required
@imports.import_required("enterprises")
def enterprise_import(request):
    from .importer import EnterpriseImporter

    form = ImportForm(request.POST or None, request.FILES or None)
    return imports.upload_page(request, "enterprises", form, "enterprises/import.html", {
        "columns": EnterpriseImporter.columns, "title": _("导入企业"), "template_url": "enterprises:import_template"})


@login_required
@imports.import_required("enterprises")
def enterprise_import_template(request):
    from .importer import EnterpriseImporter

    return imports.template_response(EnterpriseImporter, _("企业导入模板.xlsx"))


# Parks --------------------------------------------------------------------------------------------

def _park_officer(request):
    if request.user.manages_places_only():
        raise PermissionDenied


@login_required
@permission_required("enterprises.view_park", raise_exception=True)
def parks(request):
    _park_officer(request)
    return render(request, "enterprises/parks.html", {"rows": services.park_table(request.user)})


@login_required
@permission_required("enterprises.add_park", raise_exception=True)
def park_new(request):
    return _park_form(request, None)


@login_required
@permission_required("enterprises.change_park", raise_exception=True)
def park_edit(request, pk):
    return _park_form(request, get_object_or_404(Park.objects.visible_to(request.user), pk=pk))


def _park_form(request, park):
    _park_officer(request)
    initial = {"name": park.name, "area": park.area} if park else {}
    form = ParkForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_park(park, form.cleaned_data, user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存园区 %(name)s") % {"name": saved.name})
            return redirect("enterprises:parks")
    return render(request, "enterprises/park_form.html", {
        "form": form, "park": park, "title": _("修改园区") if park else _("新建园区")},
        status=400 if form.errors else 200)


# Roster and check-ins -----------------------------------------------------------------------------

@login_required
@permission_required("enterprises.view_employee", raise_exception=True)
def roster(request, pk):
    enterprise = _enterprise(request, pk)
    services.record_gate_presence(enterprise)
    figures = services.figures(enterprise)
    employees = services.roster_page_rows(enterprise)
    missing = request.GET.get("missing") == "1"
    if missing:
        employees = employees.filter(checked_in=False)
    if request.GET.get("q"):
        employees = employees.filter(person__in=Person.objects.search(request.GET["q"]).values("pk"))
    # Unfiltered, the count is the roster counter the services keep: no COUNT over the roster.
    filtered = missing or request.GET.get("q")
    pages = paginate(request, employees, count=None if filtered else figures["roster"])
    form = EmployeeForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("enterprises.add_employee"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.add_employee(enterprise, form.cleaned_data, user=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已加入名册"))
                return redirect("enterprises:roster", enterprise.pk)
    lodging = dict(Lodging.choices)
    rows = [{"pk": e.pk, "name": e.person.name_masked, "note": e.duplicate_note, "number": e.person.id_number_masked,
             "dept": f"{e.department or '—'} {e.shift}", "back": f"{e.returned_from or '—'} · {lodging[e.lodging]}",
             "checked": e.checked_in} for e in pages["page_obj"]]
    return render(request, "enterprises/roster.html", {
        "enterprise": enterprise, **pages, "rows": rows, "token": get_token(request), "form": form,
        "missing": missing, "figures": figures,
        "q": request.GET.get("q", ""), "adding": request.method == "POST" or request.GET.get("add") == "1",
        "roster_url": reverse("enterprises:roster", args=[enterprise.pk]),
        "may_check_in": request.user.has_perm("enterprises.add_checkin")},
        status=400 if form.errors else 200)


@login_required
@require_POST
@permission_required("enterprises.add_checkin", raise_exception=True)
def roster_checkin(request, pk, employee_pk):
    enterprise = _enterprise(request, pk)
    employee = Employee.objects.filter(pk=employee_pk).first()
    if employee is None:
        messages.error(request, _("没有这个职工"))
    else:
        _attempt(request, services.check_in, employee, temperature=request.POST.get("temperature"),
                 symptoms=request.POST.get("symptoms") == "yes", source="admin", user=request.user,
                 enterprise=enterprise)
    return redirect(request.POST.get("next") or f"/enterprises/{enterprise.pk}/roster/?missing=1")


@login_required
@require_POST
@permission_required("enterprises.change_employee", raise_exception=True)
def roster_remove(request, pk, employee_pk):
    enterprise = _enterprise(request, pk)
    employee = get_object_or_404(Employee, pk=employee_pk, enterprise=enterprise)
    services.remove_employee(employee, user=request.user)
    return redirect("enterprises:roster", enterprise.pk)


def _roster_employees(enterprise):
    return Employee.objects.filter(enterprise=enterprise, active=True).select_related("person").order_by(
        "department", "id")


@login_required
@permission_required("enterprises.view_employee", raise_exception=True)
def roster_links(request, pk):
    """Each employee's personal check-in link with its QR code, to send or to show on screen; the PDF prints
    them all as cards."""
    enterprise = _enterprise(request, pk)
    pages = paginate(request, _roster_employees(enterprise))
    # segno's own SVG markup, sized by CSS; the URL inside holds only the token's URL-safe characters.
    links = [(employee, mark_safe(segno.make(employee.checkin_url, error="m", micro=False).svg_inline(
        scale=1, border=4, omitsize=True, svgclass="checkin-qr"))) for employee in pages["page_obj"]]
    return render(request, "enterprises/links.html", {"enterprise": enterprise, "links": links, **pages})


@login_required
@permission_required("enterprises.view_employee", raise_exception=True)
def roster_cards(request, pk):
    enterprise = _enterprise(request, pk)
    employees = list(_roster_employees(enterprise))
    # The cards carry every employee's personal link: who printed them is on record.
    audit.log_export(request.user, "enterprises.checkin_cards", len(employees), {"enterprise": enterprise.pk})
    response = HttpResponse(documents.checkin_cards(enterprise, employees), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="checkin-cards-{enterprise.pk}.pdf"'
    return response


@login_required
@imports.import_required("roster")
def roster_import(request, pk):
    from .importer import RosterImporter, start_roster_import

    enterprise = _enterprise(request, pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    return imports.upload_page(request, "roster", form, "enterprises/import.html", {
        "columns": RosterImporter.columns, "title": _("导入职工名册：%(name)s") % {"name": enterprise.name},
        "template_url": "enterprises:roster_template", "enterprise": enterprise},
        start=lambda data: start_roster_import(data["file"], enterprise, request.user))


@login_required
@imports.import_required("roster")
def roster_template(request):
    from .importer import RosterImporter

    return imports.template_response(RosterImporter, _("职工名册导入模板.xlsx"))


@never_cache
def phone_checkin(request, token):
    """The employee's own daily check-in from the phone, behind their personal link: no login."""
    employee = Employee.objects.select_related("enterprise", "person").filter(checkin_token=token,
                                                                             active=True).first()
    if employee is None:
        raise Http404
    done = employee.checkins.filter(day=timezone.localdate()).first()
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = services.check_in(employee, temperature=form.cleaned_data["temperature"],
                                     symptoms=form.cleaned_data["symptoms"] == "yes")
        except ValidationError as exc:
            add_service_errors(form, exc, unnamed="temperature")
    return render(request, "enterprises/phone_checkin.html", {"employee": employee, "form": form, "done": done},
                  status=400 if form.errors else 200)


@login_required
@permission_required("enterprises.view_enterprise", raise_exception=True)
def on_duty(request):
    park = Park.objects.visible_to(request.user).filter(pk=request.GET.get("park") or 0).first()
    # Gate scans reach these counts through the periodic task (tasks.gate_presence, every 5 minutes) and each
    # enterprise's own pages, not through a scan of the whole district's passages per view.
    rows = services.on_duty_table(request.user, park=park)
    total_roster = sum(row["roster"] for row in rows)
    total_present = sum(row["present"] for row in rows)
    return render(request, "enterprises/on_duty.html", {
        "rows": rows, "park": park, "parks": Park.objects.visible_to(request.user),
        "total": {"enterprises": sum(row["enterprises"] for row in rows), "roster": total_roster,
                  "present": total_present, "rate": services.rate(total_present, total_roster)}})


# Reopening application ---------------------------------------------------------------------------

def _application(request, pk) -> Application:
    return get_object_or_404(Application.objects.visible_to(request.user).select_related("enterprise"), pk=pk)


@login_required
@require_POST
@permission_required("enterprises.add_application", raise_exception=True)
def application_start(request, pk):
    enterprise = _enterprise(request, pk)
    try:
        application = services.start_application(enterprise, user=request.user)
    except ValidationError as exc:
        _flash(request, exc)
        return _back(request, enterprise)
    return redirect(application)


@login_required
@permission_required("enterprises.view_application", raise_exception=True)
def application_detail(request, pk):
    application = _application(request, pk)
    answers = {answer.item_id: answer for answer in application.answers.prefetch_related("attachments")}
    items = [(item, answers.get(item.pk)) for item in ChecklistItem.objects.filter(active=True)]
    is_admin = application.enterprise.admins.filter(pk=request.user.pk).exists()
    return render(request, "enterprises/application.html", {
        "application": application, "enterprise": application.enterprise, "items": items,
        "events": application.events.select_related("by"), "may_edit": is_admin and application.editable,
        "may_review": services.may_review(application, request.user), "errors": {}})


@login_required
@require_POST
@permission_required("enterprises.change_application", raise_exception=True)
def application_answer(request, pk, item_pk):
    application = _application(request, pk)
    item = get_object_or_404(ChecklistItem, pk=item_pk, active=True)
    _attempt(request, services.answer_item, application, item, text=request.POST.get("text", ""), user=request.user,
             files=request.FILES.getlist("files"), success=_("已保存：%(item)s") % {"item": item.text[:20]})
    return redirect(f"{application.get_absolute_url()}#item-{item.pk}")


@login_required
@require_POST
@permission_required("enterprises.change_application", raise_exception=True)
def application_submit(request, pk):
    application = _application(request, pk)
    _attempt(request, services.submit, application, user=request.user, success=_("已提交，等待社区/园区审核"))
    return redirect(application)


@login_required
@require_POST
@permission_required("enterprises.review_application", raise_exception=True)
def application_review(request, pk):
    application = _application(request, pk)
    _attempt(request, services.review, application, approve=request.POST.get("decision") == "approve",
             reason=request.POST.get("reason", ""), user=request.user, success=_("已处理"))
    return redirect(application)


@login_required
@permission_required("enterprises.view_application", raise_exception=True)
def application_letter(request, pk):
    application = _application(request, pk)
    if application.step != Step.APPROVED:
        raise Http404
    response = HttpResponse(documents.approval_letter(application), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="reopening-{application.verification_code}.pdf"'
    return response


@login_required
@permission_required("enterprises.review_application", raise_exception=True)
def reviews(request):
    return render(request, "enterprises/reviews.html", {"applications": services.review_queue(request.user)})


@login_required
@permission_required("enterprises.change_checklistitem", raise_exception=True)
def checklist(request):
    item = None
    if request.method == "POST":
        item = ChecklistItem.objects.filter(pk=request.POST.get("pk") or 0).first()
        try:
            services.save_checklist_item(item, {**request.POST.dict(), "active": request.POST.get("active") == "on"},
                                         user=request.user)
        except ValidationError as exc:
            _flash(request, exc)
        else:
            messages.success(request, _("已保存"))
        return redirect("enterprises:checklist")
    return render(request, "enterprises/checklist.html", {"items": ChecklistItem.objects.all()})


# Problems -----------------------------------------------------------------------------------------

@login_required
@permission_required("enterprises.view_problem", raise_exception=True)
def problems(request):
    state = request.GET.get("state", "open")
    found = Problem.objects.visible_to(request.user).select_related("enterprise", "taken_by")
    found = found.open() if state == "open" else found.filter(state=state) if state in ProblemState.values else found
    own = list(Enterprise.objects.visible_to(request.user)[:2]) if request.user.manages_places_only() else []
    form = ProblemForm(request.POST or None)
    if request.method == "POST":
        enterprise = Enterprise.objects.visible_to(request.user).filter(pk=request.POST.get("enterprise") or 0).first()
        if enterprise is None:
            form.add_error(None, _("没有这个企业，或不在您的管辖范围内"))
        elif form.is_valid():
            try:
                services.report_problem(enterprise, kind=form.cleaned_data["kind"], text=form.cleaned_data["text"],
                                        user=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("问题已提交"))
                return redirect("enterprises:problems")
    return render(request, "enterprises/problems.html", {
        "problems": found.order_by("reported_at")[:200], "state": state, "states": ProblemState.choices,
        "form": form, "own": own, "times": services.problem_times(request.user), "now": timezone.now()},
        status=400 if form.errors else 200)


@login_required
@require_POST
@permission_required("enterprises.change_problem", raise_exception=True)
def problem_action(request, pk, action):
    problem = get_object_or_404(Problem.objects.visible_to(request.user), pk=pk)
    if action == "take":
        _attempt(request, services.take_problem, problem, user=request.user)
    elif action == "answer":
        _attempt(request, services.answer_problem, problem, answer=request.POST.get("answer", ""), user=request.user)
    elif action == "close":
        _attempt(request, services.close_problem, problem, user=request.user)
    else:
        raise Http404
    return redirect("enterprises:problems")
