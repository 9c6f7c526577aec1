"""Places (一区一码 units): the staff pages and the public self-registration.

Staff see only the places of their scope (`Place.objects.visible_to`); anything else is a 404.
Every change goes through `passes.services`; these views parse, call, and render.
"""

from datetime import timedelta

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.audit.models import AuditEvent
from fangkong.core import imports, limits
from fangkong.core.forms import add_service_errors
from fangkong.core.pages import paginate
from fangkong.territory.models import Area, AreaLevel

from . import posters, services
from .forms import ManagerForm, PlaceForm, PlaceImportForm, ReasonForm, RegistrationForm, ShiftForm, StaffForm
from .importer import PlaceImporter
from .models import DutyShift, Place, PlaceKind, PlaceState

REGISTRATION_SALT = "fangkong.passes.registration"
REGISTRATION_LINK_DAYS = 180
# A batch PDF is made in the request (about 15 ms a page); larger areas are printed part by part.
POSTER_BATCH_LIMIT = 1000


def _visible(request):
    return Place.objects.visible_to(request.user)


def _place(request, pk):
    return get_object_or_404(_visible(request).select_related("area", "compound", "grid", "decided_by"), pk=pk)


def _require(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied


# List and detail ----------------------------------------------------------------------------------

@login_required
@permission_required("passes.view_place", raise_exception=True)
def place_list(request):
    places = _visible(request).select_related("area")
    filters = {key: request.GET.get(key, "").strip() for key in ("q", "state", "kind", "area")}
    if filters["q"]:
        places = places.filter(Q(name__icontains=filters["q"]) | Q(address__icontains=filters["q"]))
    if filters["state"] in PlaceState.values:
        places = places.filter(state=filters["state"])
    if filters["kind"] in PlaceKind.values:
        places = places.filter(kind=filters["kind"])
    areas = Area.objects.visible_to(request.user).order_by("path")
    area = areas.filter(pk=filters["area"]).first() if filters["area"].isdigit() else None
    if filters["area"] and area is None:
        places = places.none()
    elif area is not None:
        places = places.in_area(area)
    poster_area = area or request.user.area
    return render(request, "passes/places/list.html", {
        **paginate(request, places.order_by("area__path", "name", "pk")),
        "filters": filters, "states": PlaceState.choices, "kinds": PlaceKind.choices, "areas": areas,
        "pending": _visible(request).filter(state=PlaceState.PENDING).count(),
        "poster_area": poster_area,
        "register_url": settings.FANGKONG_PUBLIC_URL + reverse("places:register"),
        **_public_url(),
    })


def _public_url():
    """The address in the posters' QR codes, and whether phones could open it (a warning for staff if not)."""
    return {"public_url": settings.FANGKONG_PUBLIC_URL, "public_url_local": posters.public_url_is_local()}


def _detail_context(request, place, **forms):
    now = timezone.now()
    user = request.user
    may_approve = user.has_perm("passes.approve_place")
    may_staff = user.has_perm("passes.change_place")
    may_shift = user.has_perm("passes.add_dutyshift")
    context = {
        "place": place, "ancestors": [*place.area.ancestors(), place.area],
        "verification": posters.verification_code(place),
        **_public_url(),
        "may_approve": may_approve, "may_edit": user.has_perm("passes.change_place"),
        "may_staff": may_staff, "may_shift": may_shift,
        "may_delete_shift": user.has_perm("passes.delete_dutyshift"),
        "staff": place.staff.order_by("full_name", "username"),
        "managers": place.managers.order_by("full_name", "username"),
        # The roster from yesterday on: what is on now and what comes; older shifts stay in the audit log.
        "shifts": place.shifts.filter(ends_at__gte=now - timedelta(days=1)).select_related("user")
        .order_by("starts_at")[:100],
        "now": now,
        "history": [(event, _changed_fields(event)) for event in
                    AuditEvent.objects.filter(object_type=Place._meta.label, object_id=str(place.pk))[:20]],
    }
    if place.state == PlaceState.APPROVED:
        qr = segno.make(place.scan_url, error="q", micro=False)
        # segno escapes the title; the rest of the SVG is its own markup.
        context["qr_svg"] = mark_safe(qr.svg_inline(scale=4, border=4, title=place.name))
    if may_approve and place.state in (PlaceState.PENDING, PlaceState.APPROVED):
        context["reason_form"] = forms.get("reason_form") or _reason_form(place)
    if may_approve:
        context["manager_form"] = forms.get("manager_form") or ManagerForm(place=place, acting_user=user)
    if may_staff:
        context["staff_form"] = forms.get("staff_form") or StaffForm(place=place, acting_user=user)
    if may_shift:
        start = timezone.localtime(now).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        context["shift_form"] = forms.get("shift_form") or ShiftForm(
            place=place, acting_user=user, initial={"starts_at": start, "ends_at": start + timedelta(hours=8)})
    return context


def _reason_form(place, data=None):
    if place.state == PlaceState.PENDING:
        return ReasonForm(data, label=_("审核意见"), placeholder=_("不通过时必填，如：地址不在本社区"))
    return ReasonForm(data, label=_("暂停原因"), placeholder=_("必填，如：门店停业、海报被冒用"))


def _changed_fields(event):
    """The fields an audit row changed, as people call them (状态、原因), not as the code does."""
    return "、".join(event.change_labels) if event.action == "update" else ""


@login_required
@permission_required("passes.view_place", raise_exception=True)
def place_detail(request, pk):
    place = _place(request, pk)
    return render(request, "passes/places/detail.html", _detail_context(request, place))


@login_required
@require_POST
def place_decide(request, pk):
    """通过 / 不通过, with a reason (required to reject); an error leaves the place as it was."""
    place = _place(request, pk)
    _require(request, "passes.approve_place")
    form = _reason_form(place, request.POST)
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        form.add_error(None, _("请选择“通过”或“不通过”"))
    if form.is_valid():
        try:
            services.decide_place(place, approve=decision == "approve", reason=form.cleaned_data["reason"],
                                  user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
            place.refresh_from_db()
        else:
            if decision == "approve":
                messages.success(request, _("已通过审核，场所码已启用，可以下载海报"))
            else:
                messages.success(request, _("已标记为未通过"))
            return redirect(place)
    return render(request, "passes/places/detail.html", _detail_context(request, place, reason_form=form))


@login_required
@require_POST
def place_suspend(request, pk):
    place = _place(request, pk)
    _require(request, "passes.approve_place")
    form = _reason_form(place, request.POST)
    if form.is_valid():
        try:
            services.suspend_place(place, reason=form.cleaned_data["reason"], user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
            place.refresh_from_db()
        else:
            messages.success(request, _("已暂停：海报上的二维码立即停止使用"))
            return redirect(place)
    return render(request, "passes/places/detail.html", _detail_context(request, place, reason_form=form))


@login_required
@require_POST
def place_resume(request, pk):
    place = _place(request, pk)
    _require(request, "passes.approve_place")
    try:
        services.resume_place(place, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已恢复使用，原海报继续有效"))
    return redirect(place)


@login_required
def place_rotate(request, pk):
    """更换场所码: a confirmation page first, since every printed poster of the place stops working."""
    place = _place(request, pk)
    _require(request, "passes.change_place")
    if request.method == "POST":
        services.rotate_code(place, user=request.user)
        messages.success(request, _("已更换场所码：旧海报立即失效，请下载并张贴新海报"))
        return redirect(place)
    return render(request, "passes/places/rotate.html", {"place": place})


# Create, edit, import -----------------------------------------------------------------------------

@login_required
def place_edit(request, pk=None):
    place = _place(request, pk) if pk else None
    _require(request, "passes.change_place" if pk else "passes.add_place")
    initial = {"area": request.GET["area"]} if not pk and request.GET.get("area", "").isdigit() else {}
    if not pk and not initial and request.user.area and request.user.area.level == AreaLevel.COMMUNITY:
        initial["area"] = request.user.area_id
    form = PlaceForm(request.POST or None, instance=place, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = form.save()
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if pk:
                messages.success(request, _("已保存"))
            elif saved.state == PlaceState.APPROVED:
                messages.success(request, _("已新建并启用，可以下载海报"))
            else:
                messages.success(request, _("已新建，等待审核"))
            return redirect(saved)
    return render(request, "passes/places/edit.html", {
        "form": form, "place": place, "title": _("编辑场所") if pk else _("新建场所")})


@imports.import_required("places")
def place_import(request):
    form = PlaceImportForm(request.POST or None, request.FILES or None)
    return imports.upload_page(request, "places", form, "passes/places/import.html", {
        "columns": PlaceImporter.columns, "kinds": [label for _value, label in PlaceKind.choices],
        "approves": request.user.has_perm("passes.approve_place")})


@imports.import_required("places")
def place_import_template(request):
    return imports.template_response(PlaceImporter, _("场所导入模板.xlsx"))


# Checkpoint staff and the duty roster -------------------------------------------------------------

def _link_member(request, pk, *, relation, permission, form_class, form_key, added, removed):
    """Add or remove (POST `remove`) one person of a place's staff or managers, through the one service."""
    place = _place(request, pk)
    _require(request, permission)
    if request.POST.get("remove", "").isdigit():
        member = get_object_or_404(getattr(place, relation).all(), pk=request.POST["remove"])
        services.set_place_member(place, relation, member, assigned=False, user=request.user)
        messages.success(request, removed % {"name": member})
        return redirect(place)
    form = form_class(request.POST, place=place, acting_user=request.user)
    if form.is_valid():
        try:
            services.set_place_member(place, relation, form.cleaned_data["user"], assigned=True, user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, added % {"name": form.cleaned_data["user"]})
            return redirect(place)
    return render(request, "passes/places/detail.html", _detail_context(request, place, **{form_key: form}))


@login_required
@require_POST
def place_staff(request, pk):
    return _link_member(request, pk, relation="staff", permission="passes.change_place", form_class=StaffForm,
                        form_key="staff_form", added=_("已安排 %(name)s 在本场所值守"),
                        removed=_("已取消 %(name)s 的值守"))


@login_required
@require_POST
def place_manager(request, pk):
    """The enterprise admins who look after the place: officers who review places link them."""
    return _link_member(request, pk, relation="managers", permission="passes.approve_place",
                        form_class=ManagerForm, form_key="manager_form", added=_("已指定 %(name)s 管理本场所"),
                        removed=_("%(name)s 不再管理本场所"))


@login_required
@require_POST
def shift_add(request, pk):
    place = _place(request, pk)
    _require(request, "passes.add_dutyshift")
    form = ShiftForm(request.POST, place=place, acting_user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_shift(place, member=data["user"], starts_at=data["starts_at"], ends_at=data["ends_at"],
                               duty=data["duty"], user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已添加班次"))
            return redirect(f"{place.get_absolute_url()}#roster")
    return render(request, "passes/places/detail.html", _detail_context(request, place, shift_form=form))


@login_required
@require_POST
def shift_delete(request, pk, shift_pk):
    place = _place(request, pk)
    _require(request, "passes.delete_dutyshift")
    shift = get_object_or_404(DutyShift.objects.filter(place=place), pk=shift_pk)
    services.delete_shift(shift, user=request.user)
    messages.success(request, _("已删除班次"))
    return redirect(f"{place.get_absolute_url()}#roster")


# Posters ------------------------------------------------------------------------------------------

def _pdf(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@permission_required("passes.view_place", raise_exception=True)
def place_poster(request, pk):
    place = _place(request, pk)
    if place.state != PlaceState.APPROVED:
        return render(request, "passes/places/no_poster.html", {
            "place": place, "message": _("“%(name)s”%(state)s，只有已启用的场所才能下载海报") % {
                "name": place.name, "state": place.get_state_display()}}, status=409)
    return _pdf(posters.poster_pdf(place), f"场所码-{place.name}.pdf")


@login_required
@permission_required("passes.view_place", raise_exception=True)
def area_posters(request):
    """All approved places of an area and below, one poster a page, in one PDF to print at once."""
    areas = Area.objects.visible_to(request.user)
    area_id = request.GET.get("area", "")
    if area_id:
        area = get_object_or_404(areas, pk=area_id) if area_id.isdigit() else None
        if area is None:
            return render(request, "404.html", status=404)
    else:
        area = request.user.area or areas.filter(parent=None).first()
        if area is None:
            return render(request, "404.html", status=404)
    places = _visible(request).approved().in_area(area).select_related("area").order_by("area__path", "name", "pk")
    count = places.count()
    if count == 0 or count > POSTER_BATCH_LIMIT:
        message = _("%(area)s没有已启用的场所") % {"area": area.name} if count == 0 else _(
            "%(area)s有 %(n)d 个已启用的场所，一次最多打印 %(max)d 张，请按街道或社区分批下载") % {
            "area": area.name, "n": count, "max": POSTER_BATCH_LIMIT}
        return render(request, "passes/places/no_poster.html", {"area": area, "message": message},
                      status=404 if count == 0 else 409)
    return _pdf(posters.posters_pdf(places.iterator(chunk_size=200)),
                f"场所码-{area.name}-{count}张.pdf")


# Public self-registration -------------------------------------------------------------------------

def _registration_token(place):
    return signing.dumps(place.pk, salt=REGISTRATION_SALT)


def _registered_place(token):
    try:
        pk = signing.loads(token, salt=REGISTRATION_SALT, max_age=timedelta(days=REGISTRATION_LINK_DAYS))
    except signing.BadSignature:
        return None
    return Place.objects.select_related("area").filter(pk=pk).first()


def register(request):
    """A unit applies for its place code; no login. It gets a private link to follow the review."""
    form = RegistrationForm(request.POST or None)
    try:
        if request.method == "POST":  # only applications count (FANGKONG_LIMITS["register"]), not failed forms
            limits.check("register", request, target=request.POST.get("community"))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            community = Area.objects.get(pk=data["community"], level=AreaLevel.COMMUNITY)
            return _register(request, form, data, community)
    except limits.Limited as exc:
        return limits.too_many(request, exc, "passes/places/register_limited.html")
    return render(request, "passes/places/register.html", {"form": form, "hotline": settings.FANGKONG_HOTLINE})


def _register(request, form, data, community):
    try:
        place = services.create_place(
            name=data["name"], kind=data["kind"], area=community, address=data["address"],
            contact_name=data["contact_name"], contact_phone=data["contact_phone"])
    except ValidationError as exc:
        add_service_errors(form, exc)
        return render(request, "passes/places/register.html", {"form": form, "hotline": settings.FANGKONG_HOTLINE})
    limits.count("register", request, target=str(community.pk))
    return redirect("places:registered", token=_registration_token(place))


def registered(request, token):
    """The unit's own page: thanks, the state of the review, and the poster once approved."""
    place = _registered_place(token)
    if place is None:
        return render(request, "404.html", status=404)
    return render(request, "passes/places/registered.html", {
        "place": place, "token": token, "hotline": settings.FANGKONG_HOTLINE})


def registered_poster(request, token):
    place = _registered_place(token)
    if place is None:
        return render(request, "404.html", status=404)
    if place.state != PlaceState.APPROVED:
        return redirect("places:registered", token=token)
    return _pdf(posters.poster_pdf(place), f"场所码-{place.name}.pdf")
