"""The resident's pages behind a place code: no login, no app, any phone's camera."""

import copy
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fangkong.core import limits
from fangkong.core.forms import add_service_errors
from fangkong.people import services as people
from fangkong.territory.models import Area, AreaLevel

from . import services
from .forms import DeclarationForm
from .models import Channel, Declaration, Device, DeviceMember, Direction, Passage
from .openings import resident_context, resident_page

HISTORY_DAYS = 14


def _communities(place):
    """Where a declaring resident of the district may say they live (optional): the communities around the place."""
    area = place.area
    root = area.parent if area.level == AreaLevel.COMMUNITY and area.parent else area
    return list(Area.objects.subtree(root).filter(level=AreaLevel.COMMUNITY).order_by("path"))


def _with_cookie(request, response, device):
    response.set_cookie(services.DEVICE_COOKIE, services.device_cookie(device), max_age=services.DEVICE_MAX_AGE,
                        httponly=True, samesite="Lax", secure=request.is_secure())
    return response


@never_cache
@resident_page
def scan(request, place, context):
    """First visit: the declaration. Later: who is passing, one tap."""
    if not context["members"] or request.GET.get("add"):
        communities = _communities(place)
        label = _("家人") if context["members"] else _("本人")
        form = DeclarationForm(communities=communities, initial={"label": label},
                               ask_temperature=place.measures_temperature and not context["members"])
        return render(request, "passes/resident/declare.html", {**context, "form": form})
    return render(request, "passes/resident/choose.html", context)


@never_cache
@require_POST
@resident_page
def declare(request, place, context):
    communities = _communities(place)
    form = DeclarationForm(request.POST, communities=communities,
                           ask_temperature=place.measures_temperature and not context["members"])
    if form.is_valid():
        data = form.cleaned_data
        label = data["label"] or _("本人")
        # A new declarant is a visitor filed under the community they named, else where they were first seen.
        area = next((c for c in communities if c.pk == data.get("community")), None) or services.home_area(place)
        limits.hit("declare", request, target=f"{data['id_type']}:{data['id_number']}")
        try:
            with transaction.atomic():
                declarant = people.declare_identity(name=data["name"], id_type=data["id_type"],
                                                    id_number=data["id_number"], phone=data["phone"], area=area)
                person, device = _declared(declarant, place, context["device"], label, data["address"],
                                           form.answers())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if context["members"]:  # a family member added: back to choosing who passes
                members = list(device.members.select_related("person"))
                if not declarant.bound:
                    members.append(DeviceMember(device=device, person=person, label=label[:20]))
                response = render(request, "passes/resident/choose.html", {
                    **resident_context(request, place), "device": device, "declared": person, "members": members})
                return _with_cookie(request, response, device)
            return _pass_and_show(request, place, device, [person], {person.pk: label})
    return render(request, "passes/resident/declare.html", {**context, "form": form}, status=200)


def _declared(declarant, place, device, label, address, answers):
    """The declaration saved and the person added to the phone; (person as shown, device).

    A ledger person declared under another name (declarant.bound is False) is recorded, not bound: their
    passage is recorded with these answers, but the answers are not saved as their declaration (a stranger
    must not change what the gate knows of them) and the phone does not get them. What the declarant sees
    is what an unknown number gets: the name they typed, a device cookie, the same page.
    """
    declaration = Declaration(person=declarant.person, place=place, name=declarant.name, address=address,
                              consent_version=services.CONSENT_VERSION, **answers)
    if not declarant.bound:
        shown = copy.copy(declarant.person)
        shown.name, shown.declared = declarant.name, declaration
        return shown, device or Device.objects.create()
    declaration.save()
    return declarant.person, services.add_to_device(device, declarant.person, label)


@never_cache
@require_POST
@resident_page
def tap(request, place, context):
    """One tap: the chosen people pass; the result screen shows each verdict live."""
    if context["device"] is None:
        return render(request, "passes/resident/declare.html", {
            **context, "form": DeclarationForm(communities=_communities(place),
                                               ask_temperature=place.measures_temperature)})
    chosen = {int(pk) for pk in request.POST.getlist("person") if pk.isdigit()}
    members = [m for m in context["members"] if m.person_id in chosen]
    if not members:
        return render(request, "passes/resident/choose.html", {**context, "error": _("请选择通行人员")})
    try:
        return _pass_and_show(request, place, context["device"], [m.person for m in members],
                              {m.person_id: m.label for m in members}, renew_cookie=False)
    except ValidationError as exc:
        return render(request, "passes/resident/choose.html",
                      {**context, "error": " ".join(exc.messages), "temperature": request.POST.get("temperature")})


def _pass_and_show(request, place, device, persons, labels, renew_cookie=True):
    """Record one passage per person (idempotent per page token) and show the live result screen."""
    direction = request.POST.get("direction", Direction.IN)
    token = request.POST.get("token", "")[:32] or uuid.uuid4().hex
    passages = [
        services.record_passage(person, place, channel=Channel.SCAN, direction=direction,
                                temperature=request.POST.get("temperature"),
                                declaration=getattr(person, "declared", services.LATEST),
                                idempotency_key=f"scan:{device.pk.hex}:{token}:{person.pk}")
        for person in persons
    ]
    # Rendered without the request: the screen needs no context processors, and it is the hot path.
    response = HttpResponse(render_to_string("passes/resident/result.html", {
        "place": place, "device": device, "now": timezone.localtime(),
        "results": [(p, labels[p.person_id]) for p in passages]}))
    return _with_cookie(request, response, device) if renew_cookie else response


@never_cache
@resident_page
def mine(request, place, context):
    """The resident's own passages of the last 14 days, for the people on this phone only."""
    persons = [m.person_id for m in context["members"]]
    passages = Passage.objects.filter(person_id__in=persons, at__gte=timezone.now() - timedelta(days=HISTORY_DAYS)) \
        .select_related("place", "person").order_by("-at")[:200]
    return render(request, "passes/resident/mine.html", {**context, "passages": passages})


@require_POST
@resident_page
def forget(request, place, context):
    """Remove this phone's registrations (a shared or sold phone)."""
    if context["device"]:
        services.revoke_device(context["device"])
    response = render(request, "passes/resident/forgotten.html", {"place": place})
    response.delete_cookie(services.DEVICE_COOKIE)
    return response
