"""Isolation pages: orders (list, new, bulk, detail with its actions), the 每天清零 board, sites and rooms,
transfers, the person's monitoring page (no login) and the public verification of printed documents.
Thin: parse, call isolation.services, render; a refused action shows its Chinese message and changes nothing."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fangkong.core import imports
from fangkong.core.identity import mask_name
from fangkong.core.pages import paginate
from fangkong.people.models import Person
from fangkong.territory.models import Area, AreaLevel

from . import documents, services
from .api import filter_orders
from .models import (
    ACTIVE_STATES,
    IsolationOrder,
    Kind,
    KindDefault,
    MonitoringTask,
    Room,
    RoomState,
    Site,
    Slot,
    Source,
    State,
    TaskKind,
    TransferBatch,
    TransferState,
)


def _errors(exc) -> dict:
    """A service's messages by field; messages of no field (and Django's __all__) under "general"."""
    if not hasattr(exc, "error_dict"):
        return {"general": exc.messages}
    errors = dict(exc.message_dict)
    if "__all__" in errors:
        errors["general"] = errors.pop("__all__")
    return errors


def _flash(request, exc):
    for message in exc.messages:
        messages.error(request, message)


def _order(request, pk, *related):
    return get_object_or_404(IsolationOrder.objects.visible_to(request.user).select_related(
        "person", "area", "site", "room", "worker", *related), pk=pk)


def _date(value):
    try:
        return parse_date(value or "")
    except ValueError:
        return None


# Orders -------------------------------------------------------------------------------------------

@login_required
@permission_required("isolation.view_isolationorder", raise_exception=True)
def order_list(request):
    params = {key: request.GET.get(key, "") for key in ("state", "kind", "site", "area", "person")}
    if not params["state"] and "state" not in request.GET:
        params["state"] = "active"
    orders = filter_orders(IsolationOrder.objects.visible_to(request.user), params)
    orders = orders.select_related("person", "area", "site", "room", "worker").order_by("-id")
    return render(request, "isolation/list.html", {
        **paginate(request, orders), "filters": params, "states": State.choices, "kinds": Kind.choices,
        "areas": Area.objects.visible_to(request.user).filter(level=AreaLevel.COMMUNITY).order_by("path"),
        "today": services.today(), "proposals": services.release_proposals(request.user)[:20]})


def _worker(request, value):
    """The chosen responsible worker: any account id reads as a user the service then checks against the
    community's workers (an id out of scope is refused there with its message)."""
    from fangkong.accounts.models import User

    value = value or ""
    return User.objects.filter(pk=value).first() if value.isdigit() else None


@login_required
@require_POST
def order_export(request):
    """导出 Excel of the list as filtered, in the background; the job page shows progress and the file."""
    from fangkong.core import exports

    try:
        job = exports.start("isolations", request.user, request.POST)
    except ValidationError as exc:
        _flash(request, exc)
        return redirect("isolation:list")
    return redirect("export_job", job.pk)


def _order_form_context(request, person=None, errors=None, data=None):
    days = services.kind_days()
    sites = Site.objects.filter(active=True).order_by("name")
    sites = [site for site in sites if services.may_work_at(request.user, site)]
    return {"person": person, "errors": errors or {}, "data": data or {}, "kinds": Kind.choices,
            "sources": Source.choices, "kind_days": [(label, days[value]) for value, label in Kind.choices],
            "sites": sites, "today": services.today(),
            "workers": services.workers_for(services.person_area(person), request.user) if person else []}


@login_required
@permission_required("isolation.add_isolationorder", raise_exception=True)
def order_new(request):
    """隔离下达 for one person (from their page: ?person=<id>)."""
    person_id = request.POST.get("person") or request.GET.get("person") or ""
    person = Person.objects.visible_to(request.user).filter(pk=person_id).first() if person_id.isdigit() else None
    if person is None:
        raise Http404
    if request.method == "POST":
        data = request.POST
        site = Site.objects.filter(pk=data.get("site")).first() if (data.get("site") or "").isdigit() else None
        room = Room.objects.filter(pk=data.get("room")).first() if (data.get("room") or "").isdigit() else None
        try:
            order = services.order_isolation(
                person, kind=data.get("kind", ""), user=request.user, reason=data.get("reason", ""),
                source=data.get("source", Source.SCREENING), start=_date(data.get("start")),
                planned_end=_date(data.get("planned_end")), site=site, room=room,
                worker=_worker(request, data.get("worker")))
        except (ValidationError, PermissionDenied) as exc:
            errors = _errors(exc) if isinstance(exc, ValidationError) else {"general": [str(exc)]}
            return render(request, "isolation/new.html", _order_form_context(request, person, errors, data),
                          status=400)
        messages.success(request, _("已下达%(kind)s：%(name)s") % {"kind": order.get_kind_display(),
                                                                 "name": person.name_masked})
        return redirect("isolation:detail", order.pk)
    return render(request, "isolation/new.html", _order_form_context(request, person))


@login_required
@permission_required("isolation.add_isolationorder", raise_exception=True)
def order_bulk(request):
    """批量下达 from a selection of persons (ids posted by the person list) — all or nothing."""
    ids = [int(pk) for pk in request.POST.getlist("persons") + request.GET.getlist("persons") if pk.isdigit()]
    by_id = Person.objects.visible_to(request.user).in_bulk(ids)
    persons = [by_id.get(pk) or Person(pk=pk, name="?") for pk in ids]
    context = {"persons": persons, "kinds": Kind.choices, "sources": Source.choices, "errors": {},
               "data": request.POST, "today": services.today()}
    if request.method == "POST" and request.POST.get("confirm"):
        try:
            orders = services.bulk_order(
                persons, kind=request.POST.get("kind", ""), user=request.user, reason=request.POST.get("reason", ""),
                source=request.POST.get("source", Source.SCREENING), start=_date(request.POST.get("start")),
                planned_end=_date(request.POST.get("planned_end")))
        except ValidationError as exc:
            context["errors"] = _errors(exc)
            return render(request, "isolation/bulk.html", context, status=400)
        messages.success(request, _("已批量下达隔离 %(n)d 人") % {"n": len(orders)})
        return redirect("isolation:list")
    return render(request, "isolation/bulk.html", context)


@login_required
@permission_required("isolation.view_isolationorder", raise_exception=True)
def order_detail(request, pk):
    order = _order(request, pk, "transfer", "release_requested_by", "release_approved_by")
    rooms = []
    if order.kind == Kind.CENTRALIZED and order.is_active and order.site_id:
        rooms = _free_rooms(order.site)
    return render(request, "isolation/detail.html", {
        "order": order, "checks": order.checks.select_related("by")[:30],
        "tasks": order.tasks.select_related("done_by").order_by("-created_at")[:30], "rooms": rooms,
        "may_approve": request.user.has_perm("isolation.approve_early_release")
        and order.release_requested_by_id not in (None, request.user.pk),
        "monitoring_url": request.build_absolute_uri(f"/m/{order.monitoring_token}/"),
        "today": services.today(), "end_states": [(State.CANCELLED, State.CANCELLED.label),
                                                  (State.TRANSFERRED, State.TRANSFERRED.label)],
        "workers": services.workers_for(order.area_id, request.user) if order.is_active else [],
        **_release_context(order)})


def _release_context(order) -> dict:
    """The negative tests next to the release button: counted as the release counts them, so the worker sees
    before pressing that a release without them asks for a reason and a second approver."""
    if order.state != State.ISOLATING:
        return {"release_tests": None, "missing_tests": 0}
    negatives, needed = services.release_tests(order)
    return {"release_tests": (negatives, needed), "missing_tests": max(0, needed - negatives)}


def _free_rooms(site):
    rooms = list(site.rooms.exclude(state=RoomState.DISINFECTING))
    taken = services.occupancy([room.pk for room in rooms])
    return [(room, taken.get(room.pk, 0)) for room in rooms if taken.get(room.pk, 0) < room.capacity]


def _act(request, pk, action):
    """Run one action on an order from its page; the page shows the result or the refusal."""
    order = _order(request, pk)
    try:
        action(order)
    except (ValidationError, PermissionDenied) as exc:
        if isinstance(exc, ValidationError):
            _flash(request, exc)
        else:
            messages.error(request, str(exc) or _("您没有这项操作的权限"))
    return redirect(request.POST.get("next") or f"/isolation/{order.pk}/")


@login_required
@require_POST
def order_release(request, pk):
    def release(order):
        order = services.request_release(order, user=request.user, reason=request.POST.get("reason", ""))
        order.refresh_from_db()
        if order.state == State.RELEASED:
            messages.success(request, _("已解除隔离"))
        elif order.release_requested_early:
            messages.success(request, _("已提交提前解除申请，等待另一位审批人审批"))
        else:
            messages.success(request, _("阴性检测未齐，已提交解除申请，等待另一位审批人审批"))
    return _act(request, pk, release)


@login_required
@require_POST
def order_approve_release(request, pk):
    def approve(order):
        if request.POST.get("decision") == "reject":
            services.reject_release(order, user=request.user, note=request.POST.get("note", ""))
            messages.success(request, _("已驳回解除申请"))
        else:
            services.approve_release(order, user=request.user)
            messages.success(request, _("已批准解除隔离"))
    return _act(request, pk, approve)


@login_required
@require_POST
def order_state(request, pk):
    def change(order):
        services.change_state(order, request.POST.get("state", ""), user=request.user,
                              reason=request.POST.get("reason", ""))
        messages.success(request, _("已变更状态"))
    return _act(request, pk, change)


@login_required
@require_POST
def order_worker(request, pk):
    def hand_over(order):
        order = services.set_worker(order, _worker(request, request.POST.get("worker")), user=request.user)
        messages.success(request, _("责任人已变更为 %(name)s") % {"name": order.worker})
    return _act(request, pk, hand_over)


@login_required
@require_POST
def order_room(request, pk):
    def allocate(order):
        room_id = request.POST.get("room", "")
        room = Room.objects.filter(pk=room_id).first() if room_id.isdigit() else None
        if room is None:
            raise ValidationError({"room": _("请选择房间")})
        services.allocate_room(order, room, user=request.user)
        if request.POST.get("check_in"):
            services.check_in(order, user=request.user)
        messages.success(request, _("已分配房间 %(room)s") % {"room": room.number})
    return _act(request, pk, allocate)


@login_required
@require_POST
def order_check_in(request, pk):
    def check_in(order):
        services.check_in(order, user=request.user)
        messages.success(request, _("已办理入住"))
    return _act(request, pk, check_in)


@login_required
@permission_required("isolation.add_monitoringcheck", raise_exception=True)
@require_POST
def order_check(request, pk):
    def record(order):
        services.record_check(order, temperature=request.POST.get("temperature", ""),
                              symptoms=request.POST.get("symptoms", ""), user=request.user)
        messages.success(request, _("已记录体温"))
    return _act(request, pk, record)


@login_required
@permission_required("isolation.view_isolationorder", raise_exception=True)
def order_document(request, pk, kind):
    order = _order(request, pk)
    if kind not in ("notice", "certificate") or (kind == "certificate" and order.state != State.RELEASED):
        raise Http404
    content = documents.notice(order) if kind == "notice" else documents.certificate(order)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="isolation-{kind}-{order.pk}.pdf"'
    return response


BOARD_TASKS = 20  # the oldest open tasks listed under the counts (the counts cover them all; a phone shows 20)


@imports.import_required("isolation_orders")
def order_import(request):
    """批量下达 from an xlsx/CSV list, through the import framework: all or nothing, errors by row."""
    from .importer import IsolationImporter

    form = ImportForm(request.POST or None, request.FILES or None)
    return imports.upload_page(request, "isolation_orders", form, "isolation/import.html",
                               {"columns": IsolationImporter.columns})


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("隔离名单文件（.xlsx 或 .csv）"))


@login_required
@permission_required("isolation.add_isolationorder", raise_exception=True)
def import_template(request):
    from .importer import IsolationImporter

    return imports.template_response(IsolationImporter, _("隔离名单导入模板.xlsx"))


@login_required
@permission_required("isolation.change_kinddefault", raise_exception=True)
def kind_days(request):
    """隔离期限: a district admin sets, per kind, the days (14+7) and the negative tests a release asks for.
    Fields are named <kind>-<field> ("centralized-days"); a kind's lone number is its days (<kind>)."""
    errors = {}
    if request.method == "POST":
        try:
            with transaction.atomic():  # all kinds or none
                for kind in Kind.values:
                    values = {name: request.POST[f"{kind}-{name}"] for name in services.DEFAULT_FIELDS
                              if f"{kind}-{name}" in request.POST}
                    if kind in request.POST:
                        values["days"] = request.POST[kind]
                    try:
                        services.set_kind_default(kind, user=request.user, **values)
                    except ValidationError as exc:
                        errors[kind] = exc.message_dict
                if errors:
                    raise ValidationError(_("隔离期限有误"))
        except ValidationError:
            pass
        else:
            messages.success(request, _("已保存隔离期限"))
            return redirect("isolation:kind_days")
    saved = services.kind_defaults()
    fields = [(name, KindDefault._meta.get_field(name).verbose_name) for name in services.DEFAULT_FIELDS]

    def typed(kind, name):  # what was typed (kept on a refusal), else what is saved
        posted = request.POST.get(f"{kind}-{name}", request.POST.get(kind) if name == "days" else None)
        return saved[kind][name] if posted is None else posted

    rows = [(value, label, [(name, title, typed(value, name), errors.get(value, {}).get(name))
                            for name, title in fields]) for value, label in Kind.choices]
    return render(request, "isolation/kind_days.html", {"rows": rows}, status=400 if errors else 200)


# The 每天清零 board --------------------------------------------------------------------------------

@login_required
@permission_required("isolation.view_monitoringtask", raise_exception=True)
def board(request):
    tasks = MonitoringTask.objects.visible_to(request.user).open()
    mine = bool(request.GET.get("mine"))
    if mine:
        tasks = tasks.filter(worker=request.user)
    rows = services.board(request.user)
    slots, kinds = dict(Slot.choices), dict(TaskKind.choices)
    # The oldest open tasks as plain rows (the person's masked name, the words looked up once): no model per row.
    oldest = [{"pk": pk, "order_id": order_id, "day": day, "slot_label": slots[slot], "kind_label": kinds[kind],
               "person_name": mask_name(name)} for pk, order_id, day, slot, kind, name in tasks.order_by(
        "created_at", "id").values_list("pk", "order_id", "day", "slot", "kind", "order__person__name")[:BOARD_TASKS]]
    return render(request, "isolation/board.html", {
        "rows": rows, "total": sum(row["n"] for row in rows if not mine or row["worker_id"] == request.user.pk),
        "tasks": oldest, "mine": mine, "may_close": request.user.has_perm("isolation.change_monitoringtask")})


@login_required
@permission_required("isolation.change_monitoringtask", raise_exception=True)
@require_POST
def task_done(request, pk):
    task = get_object_or_404(MonitoringTask.objects.visible_to(request.user), pk=pk)
    try:
        services.close_task(task, user=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("已处理"))
    return redirect(request.POST.get("next") or "isolation:board")


# Sites, rooms and transfers -----------------------------------------------------------------------

def _sites(user):
    return (Site.objects.visible_to(user) | Site.objects.filter(staff=user)).distinct().order_by("name")


def _site(request, pk):
    return get_object_or_404(_sites(request.user), pk=pk)


@login_required
@permission_required("isolation.view_site", raise_exception=True)
def site_list(request):
    sites = list(_sites(request.user).prefetch_related("rooms"))
    rooms = [room for site in sites for room in site.rooms.all()]
    taken = services.occupancy([room.pk for room in rooms])
    summary = [(site, sum(r.capacity for r in site.rooms.all()), sum(taken.get(r.pk, 0) for r in site.rooms.all()))
               for site in sites]
    return render(request, "isolation/sites.html", {"summary": summary})


@login_required
@permission_required("isolation.view_site", raise_exception=True)
def site_detail(request, pk):
    """The site page: rooms with occupancy, arrivals today, releases due in 3 days, transfers to receive."""
    site = _site(request, pk)
    if request.method == "POST" and request.POST.get("numbers") is not None:
        try:
            services.add_rooms(site, request.POST.get("numbers", "").split(), capacity=request.POST.get("capacity"),
                               user=request.user)
            messages.success(request, _("已添加房间"))
        except (ValidationError, PermissionDenied) as exc:
            _flash(request, exc) if isinstance(exc, ValidationError) else messages.error(request, str(exc))
        return redirect("isolation:site", site.pk)
    rooms = list(site.rooms.all())
    taken = services.occupancy([room.pk for room in rooms])
    today = services.today()
    orders = IsolationOrder.objects.filter(site=site).select_related("person", "room")
    return render(request, "isolation/site.html", {
        "site": site, "rooms": [(room, taken.get(room.pk, 0)) for room in rooms],
        "free": sum(max(0, r.capacity - taken.get(r.pk, 0)) for r in rooms if r.state != RoomState.DISINFECTING),
        "capacity": sum(r.capacity for r in rooms), "occupied": sum(taken.values()),
        "arrivals": orders.filter(checked_in_at__date=today).order_by("-checked_in_at"),
        "due": orders.filter(state=State.ISOLATING, planned_end__lte=today + datetime.timedelta(days=3))
        .order_by("planned_end"),
        "waiting": orders.filter(state__in=ACTIVE_STATES, checked_in_at__isnull=True).order_by("id"),
        "transfers": site.transfers.filter(state=TransferState.DISPATCHED).select_related("from_area"),
        "room_states": [(RoomState.FREE, RoomState.FREE.label), (RoomState.DISINFECTING, RoomState.DISINFECTING.label)],
        "chart": services.site_occupancy(site, today),
        "chart_labels": {"past": _("在住人数"), "next": _("预计在住（按计划解除日期）"), "capacity": _("床位")},
    })


@login_required
@require_POST
def room_state(request, pk):
    room = get_object_or_404(Room, pk=pk)
    _site(request, room.site_id)
    try:
        services.set_room_state(room, request.POST.get("state", ""), user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _flash(request, exc) if isinstance(exc, ValidationError) else messages.error(request, str(exc))
    return redirect("isolation:site", room.site_id)


@login_required
@permission_required("isolation.add_transferbatch", raise_exception=True)
def transfer_new(request):
    """转运: the community's persons ordered into centralized isolation and not yet at a site."""
    waiting = (IsolationOrder.objects.visible_to(request.user).active()
               .filter(kind=Kind.CENTRALIZED, checked_in_at__isnull=True, transfer__isnull=True)
               .select_related("person", "area").order_by("area__path", "id"))
    context = {"waiting": waiting, "sites": Site.objects.filter(active=True).order_by("name"), "errors": {},
               "data": request.POST, "areas": Area.objects.visible_to(request.user).filter(
                   level=AreaLevel.COMMUNITY).order_by("path")}
    if request.method == "POST":
        data = request.POST
        ids = [int(pk) for pk in data.getlist("orders") if pk.isdigit()]
        area = Area.objects.filter(pk=data.get("from_area")).first() if (data.get("from_area") or "").isdigit() \
            else (request.user.area if request.user.area and request.user.area.level == AreaLevel.COMMUNITY else None)
        site = Site.objects.filter(pk=data.get("to_site")).first() if (data.get("to_site") or "").isdigit() else None
        departs = parse_datetime(data.get("departs_at") or "")
        if departs is not None and timezone.is_naive(departs):
            departs = timezone.make_aware(departs)
        try:
            batch = services.create_transfer(
                user=request.user, from_area=area, to_site=site, vehicle=data.get("vehicle", ""),
                driver=data.get("driver", ""), driver_phone=data.get("driver_phone", ""), departs_at=departs,
                orders=[IsolationOrder(pk=pk) for pk in ids])
        except ValidationError as exc:
            context["errors"] = _errors(exc)
            return render(request, "isolation/transfer_new.html", context, status=400)
        messages.success(request, _("已安排转运：%(vehicle)s") % {"vehicle": batch.vehicle})
        return redirect("isolation:transfer", batch.pk)
    return render(request, "isolation/transfer_new.html", context)


def _transfer(request, pk):
    batch = get_object_or_404(TransferBatch.objects.select_related("to_site", "from_area"), pk=pk)
    visible = TransferBatch.objects.visible_to(request.user).filter(pk=pk).exists()
    if not (visible or services.may_work_at(request.user, batch.to_site)):
        raise Http404
    return batch


@login_required
@permission_required("isolation.view_transferbatch", raise_exception=True)
def transfer_detail(request, pk):
    batch = _transfer(request, pk)
    if request.method == "POST":
        try:
            services.receive_transfer(batch, user=request.user)
            messages.success(request, _("已接收转运批次"))
        except (ValidationError, PermissionDenied) as exc:
            _flash(request, exc) if isinstance(exc, ValidationError) else messages.error(request, str(exc))
        return redirect("isolation:transfer", batch.pk)
    return render(request, "isolation/transfer.html", {
        "batch": batch, "orders": batch.orders.select_related("person", "room").order_by("id"),
        "rooms": _free_rooms(batch.to_site), "may_receive": services.may_work_at(request.user, batch.to_site)})


# The person's own monitoring page and the public verification -------------------------------------

@never_cache
def monitoring(request, token):
    """The isolating person's twice-daily temperature, from the link on their pass page: no login."""
    order = get_object_or_404(IsolationOrder.objects.select_related("person"), monitoring_token=token)
    errors = {}
    missed = list(order.tasks.filter(kind=TaskKind.MISSED, done_at__isnull=True).order_by("day", "slot")[:6])
    if request.method == "POST":
        # 补报: a missed slot chosen from the list is entered at that slot's time; otherwise now.
        chosen = next((task for task in missed if f"{task.day.isoformat()}:{task.slot}" == request.POST.get("slot")),
                      None)
        at = services.slot_time(chosen.day, chosen.slot) if chosen else None
        try:
            services.record_check(order, temperature=request.POST.get("temperature", ""),
                                  symptoms=request.POST.get("symptoms", ""), at=at)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("已提交，谢谢配合"))
            return redirect("isolation_monitoring", token)
    return render(request, "isolation/monitoring.html", {
        "order": order, "errors": errors, "data": request.POST, "missed": missed,
        "checks": order.checks.filter(day__gte=services.today() - datetime.timedelta(days=2))},
        status=400 if errors else 200)


def verify(request):
    """核验: anyone checks a printed notice or certificate by its code; masked, nothing else."""
    code = request.GET.get("code", "")
    order = services.verify(code) if code else None
    return render(request, "isolation/verify.html", {"code": code, "order": order})


