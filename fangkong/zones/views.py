"""Risk-zone pages: the zones (list, new, detail with change / lift / going-out rule), the unlock timetable,
the district's unlock rules, exception passes, supply requests (保供) and the resident's own supply page
(no login: the signed link on their pass page). Thin: parse, call zones.services, render; a refused action
shows its Chinese message next to the field and changes nothing."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fangkong.core import limits
from fangkong.core.pages import paginate
from fangkong.people.models import Person
from fangkong.territory.models import Area, AreaLevel, Building, Compound, Household

from . import services
from .models import (
    ACTIVE_KINDS,
    ExceptionPass,
    OutRule,
    PassKind,
    RiskZone,
    SupplyKind,
    SupplyRequest,
    ZoneKind,
)


def _errors(exc) -> dict:
    if not hasattr(exc, "error_dict"):
        return {"general": exc.messages}
    errors = dict(exc.message_dict)
    if "__all__" in errors:
        errors["general"] = errors.pop("__all__")
    return errors


def _zone(request, pk):
    return get_object_or_404(RiskZone.objects.visible_to(request.user).select_related("area", "created_by"), pk=pk)


def _moment(value):
    """A datetime-local field's value (local time) as an aware datetime, or None."""
    try:
        parsed = parse_datetime((value or "").strip())
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


# Zones --------------------------------------------------------------------------------------------

@login_required
@permission_required("zones.view_riskzone", raise_exception=True)
def zone_list(request):
    show = request.GET.get("kind", "active")
    zones = RiskZone.objects.visible_to(request.user).select_related("area")
    if show == "active":
        zones = zones.active()
    elif show in ZoneKind.values:
        zones = zones.filter(kind=show)
    page = paginate(request, zones.order_by("-started_at", "-pk"))
    population = services.populations([zone.pk for zone in page["page_obj"]])
    for zone in page["page_obj"]:
        zone.population = population.get(zone.pk, 0)
    return render(request, "zones/list.html", {**page, "kinds": ZoneKind.choices, "show": show})


def _scope_choices(user):
    return {
        "areas": Area.objects.visible_to(user).filter(level=AreaLevel.COMMUNITY).order_by("name"),
        "compounds": Compound.objects.visible_to(user).select_related("area").order_by("area__name", "name"),
        "buildings": Building.objects.visible_to(user).select_related("compound").order_by("compound__name", "name"),
    }


@login_required
@permission_required("zones.add_riskzone", raise_exception=True)
def zone_new(request):
    data, errors = {}, {}
    if request.method == "POST":
        data = request.POST
        households = [part for part in data.get("households", "").replace("，", ",").split(",") if part.strip()]
        try:
            zone = services.create_zone(
                user=request.user, kind=data.get("kind", ""), name=data.get("name", ""),
                reason=data.get("reason", ""), areas=data.getlist("areas"), compounds=data.getlist("compounds"),
                buildings=data.getlist("buildings"), households=households,
                out_rule=data.get("out_rule", OutRule.EVERY_N_DAYS), out_every_days=data.get("out_every_days", 2),
                one_per_household=data.get("one_per_household") == "on")
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, f"{zone}")
            return redirect("zones:detail", zone.pk)
    return render(request, "zones/new.html", {
        "data": data, "errors": errors, "kinds": [(k, ZoneKind(k).label) for k in ACTIVE_KINDS],
        "rules": OutRule.choices, "chosen": {key: data.getlist(key) if data else [] for key in
                                             ("areas", "compounds", "buildings")},
        **_scope_choices(request.user)}, status=422 if errors else 200)


def _detail(request, zone, errors=None, data=None, status=200):
    passes = (ExceptionPass.objects.visible_to(request.user).filter(zone=zone)
              .select_related("person", "approved_by").order_by("-starts_at"))
    return render(request, "zones/detail.html", {
        "zone": zone, "buildings": services.buildings_of(zone), "changes": zone.changes.select_related("by"),
        "coverage": zone.coverage.select_related("area", "compound", "building", "household"),
        "passes": passes, "now": timezone.now(), "errors": errors or {}, "data": data or {},
        "next_kinds": [(k, ZoneKind(k).label) for k in services.NEXT_KINDS.get(zone.kind, [])],
        "rules": OutRule.choices, "population": services.populations([zone.pk]).get(zone.pk, 0)},
        status=status)


@login_required
@permission_required("zones.view_riskzone", raise_exception=True)
def zone_detail(request, pk):
    return _detail(request, _zone(request, pk))


def _act(request, pk, func, rename=None, **fields):
    zone = _zone(request, pk)
    try:
        func(zone, user=request.user, **fields)
    except ValidationError as exc:
        errors = {(rename or {}).get(key, key): value for key, value in _errors(exc).items()}
        return _detail(request, zone, errors, request.POST, status=422)
    except PermissionDenied as exc:
        return _detail(request, zone, {"general": [str(exc)]}, request.POST, status=403)
    return redirect("zones:detail", zone.pk)


@login_required
@require_POST
def zone_change(request, pk):
    return _act(request, pk, services.change_kind, kind=request.POST.get("kind", ""),
                reason=request.POST.get("reason", ""))


@login_required
@require_POST
def zone_lift(request, pk):
    if request.POST.get("confirm") != "yes":
        zone = _zone(request, pk)
        return _detail(request, zone, {"confirm": [_("请勾选“确认解封”")]}, request.POST, status=422)
    return _act(request, pk, services.lift, rename={"reason": "lift_reason", "kind": "general"},
                reason=request.POST.get("lift_reason", ""))


@login_required
@require_POST
def zone_rule(request, pk):
    return _act(request, pk, services.set_out_rule, out_rule=request.POST.get("out_rule", ""),
                out_every_days=request.POST.get("out_every_days", ""),
                one_per_household=request.POST.get("one_per_household") == "on")


@login_required
@permission_required("zones.view_riskzone", raise_exception=True)
def timetable(request):
    page = paginate(request, services.timetable(request.user))
    population = services.populations([zone.pk for zone in page["page_obj"]])
    for zone in page["page_obj"]:
        zone.population = population.get(zone.pk, 0)
    return render(request, "zones/timetable.html", {**page, "today": timezone.localdate()})


@login_required
@permission_required("zones.view_unlockrule", raise_exception=True)
def rules(request):
    district = request.user.area
    while district is not None and district.parent_id is not None:
        district = district.parent
    if district is None:
        raise Http404
    from .models import UnlockRule

    rule = UnlockRule.objects.filter(area=district).first() or UnlockRule(area=district)
    errors = {}
    if request.method == "POST":
        try:
            rule = services.set_rules(district, user=request.user, **{
                key: request.POST.get(key, "") for key in ("days_since_positive", "negative_rounds", "min_coverage")})
        except ValidationError as exc:
            errors = _errors(exc)
        except PermissionDenied as exc:
            errors = {"general": [str(exc)]}
        else:
            services.refresh_timetable()
            return redirect("zones:timetable")
    return render(request, "zones/rules.html", {"rule": rule, "errors": errors, "data": request.POST},
                  status=422 if errors else 200)


# Exception passes -------------------------------------------------------------------------------

@login_required
@permission_required("zones.view_exceptionpass", raise_exception=True)
def pass_list(request):
    passes = (ExceptionPass.objects.visible_to(request.user).select_related("person", "zone", "approved_by")
              .order_by("-starts_at", "-pk"))
    if request.GET.get("show") != "all":
        passes = passes.filter(revoked_at__isnull=True, ends_at__gt=timezone.now())
    return render(request, "zones/passes.html", {**paginate(request, passes), "now": timezone.now(),
                                                 "show": request.GET.get("show", "")})


def _find_person(user, text):
    found = list(Person.objects.visible_to(user).search(text)[:2]) if (text or "").strip() else []
    return found[0] if len(found) == 1 else None


@login_required
@permission_required("zones.add_exceptionpass", raise_exception=True)
def pass_new(request):
    data, errors = {}, {}
    now = timezone.localtime().replace(second=0, microsecond=0)
    if request.method == "POST":
        data = request.POST
        person = _find_person(request.user, data.get("person", ""))
        try:
            if person is None:
                raise ValidationError({"person": _("请输入完整的证件号码或手机号，找到唯一的一个人")})
            services.grant_pass(person, user=request.user, kind=data.get("kind", ""), reason=data.get("reason", ""),
                                starts_at=_moment(data.get("starts_at")), ends_at=_moment(data.get("ends_at")))
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("zones:passes")
    return render(request, "zones/pass_new.html", {
        "data": data or {"starts_at": now.strftime("%Y-%m-%dT%H:%M"),
                         "ends_at": (now + datetime.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")},
        "errors": errors, "kinds": PassKind.choices}, status=422 if errors else 200)


@login_required
@require_POST
def pass_revoke(request, pk):
    granted = get_object_or_404(ExceptionPass.objects.visible_to(request.user), pk=pk)
    try:
        services.revoke_pass(granted, user=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("zones:passes")


# Supply requests (保供) ---------------------------------------------------------------------------

@login_required
@permission_required("zones.view_supplyrequest", raise_exception=True)
def supply_list(request, errors=None, status=200):
    show = request.GET.get("show", "open")
    requests = services.open_requests(request.user) if show == "open" else (
        SupplyRequest.objects.visible_to(request.user).select_related("household", "area", "taken_by")
        .order_by("-created_at", "-pk"))
    page = paginate(request, requests)
    now = timezone.now()
    for item in page["page_obj"]:
        item.overdue = services.is_overdue(item, now)
    return render(request, "zones/supply.html", {**page, "show": show, "errors": errors or {},
                                                 "now": now}, status=status)


@login_required
@permission_required("zones.add_supplyrequest", raise_exception=True)
def supply_new(request):
    data, errors = {}, {}
    if request.method == "POST":
        data = request.POST
        text = (data.get("household") or "").strip()
        homes = list(Household.objects.visible_to(request.user).search(text)[:2]) if text else []
        try:
            if len(homes) != 1:
                raise ValidationError({"household": _("请输入住址，找到唯一的一户")})
            services.log_supply(homes[0], user=request.user, kind=data.get("kind", ""), text=data.get("text", ""))
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return redirect("zones:supply")
    return render(request, "zones/supply_new.html", {"data": data, "errors": errors, "kinds": SupplyKind.choices},
                  status=422 if errors else 200)


@login_required
@require_POST
def supply_step(request, pk, step):
    item = get_object_or_404(SupplyRequest.objects.visible_to(request.user), pk=pk)
    try:
        services.advance(item, user=request.user, step=step, note=request.POST.get("note", ""))
    except ValidationError as exc:
        request.GET = request.GET.copy()
        return supply_list(request, errors={item.pk: exc.messages}, status=422)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("zones:supply")


@never_cache
@limits.limited("supply", target=lambda request, token: token[-43:])
def resident_supply(request, token):
    """The resident's 保供 page from their pass page: ask, and see their household's requests."""
    person = services.person_of_token(token)
    if person is None or person.household_id is None:
        raise Http404
    data, errors, done = {}, {}, False
    if request.method == "POST":
        data = request.POST
        try:
            services.request_supply(person, kind=data.get("kind", ""), text=data.get("text", ""))
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            done, data = True, {}
    mine = SupplyRequest.objects.filter(household_id=person.household_id).order_by("-created_at")[:10]
    return render(request, "zones/resident_supply.html", {
        "person": person, "data": data, "errors": errors, "done": done, "mine": mine, "kinds": SupplyKind.choices},
        status=422 if errors else 200)
