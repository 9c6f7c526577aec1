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
from .models import Channel, Declaration, Device, DeviceMember, Direction, Passage, Proof
from .openings import resident_context, resident_page
from .verdict import SEVERITY, GateDecision, body_temperature, declared_health, place_open

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
        proven = {m.person_id for m in context["members"] if m.proven}
        try:
            with transaction.atomic():
                declarant = people.declare_identity(name=data["name"], id_type=data["id_type"],
                                                    id_number=data["id_number"], phone=data["phone"], area=area,
                                                    proven_ids=proven)
                person, device = _declared(declarant, place, context["device"], label, data["address"],
                                           form.answers(), proven)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if context["members"]:  # a family member added: back to choosing who passes
                members = list(device.members.select_related("person"))
                if not declarant.bound:  # listed as a new number's would be
                    members.append(DeviceMember(device=device, person=person, label=label[:20],
                                                verified_at=timezone.now()))
                response = render(request, "passes/resident/choose.html", {
                    **resident_context(request, place), "device": device, "declared": person, "members": members})
                return _with_cookie(request, response, device)
            hidden = set() if declarant.created or person.pk in proven else {person.pk}
            return _pass_and_show(request, place, device, [person], {person.pk: label}, hidden=hidden)
    return render(request, "passes/resident/declare.html", {**context, "form": form}, status=200)


def _declared(declarant, place, device, label, address, answers, proven):
    """The declaration saved and the person added to the phone; (person as shown, device).

    A person this declaration created is the declarant's own: proven at once (Proof.NEW). Anyone else is
    registered on the phone unproven (passes.binding): the phone records passages for them and sees nothing of
    theirs, and its declaration is kept as said but is no fact of theirs (Declaration.proven is False: it
    neither raises nor lowers their colour), until the phone proves the link.

    A ledger person declared under another name (declarant.bound is False) is recorded, not bound: their
    passage is recorded with these answers, the answers are not saved as their declaration and the phone does
    not get them. What the declarant sees is what an unknown number gets: the name they typed, a device
    cookie, the same page.
    """
    declaration = Declaration(person=declarant.person, place=place, name=declarant.name, address=address,
                              consent_version=services.CONSENT_VERSION, **answers)
    if not declarant.bound:
        shown = copy.copy(declarant.person)
        shown.name, shown.declared = declarant.name, declaration
        return shown, device or Device.objects.create()
    declaration.proven = declarant.created or declarant.person.pk in proven
    declaration.save()
    device = services.add_to_device(device, declarant.person, label, proof=Proof.NEW if declarant.created else None)
    declarant.person.declared = declaration  # the passage is judged on what was just typed
    return declarant.person, device


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
                              {m.person_id: m.label for m in members}, renew_cookie=False,
                              hidden={m.person_id for m in members if not m.proven})
    except ValidationError as exc:
        return render(request, "passes/resident/choose.html",
                      {**context, "error": " ".join(exc.messages), "temperature": request.POST.get("temperature")})


def _pass_and_show(request, place, device, persons, labels, renew_cookie=True, hidden=frozenset()):
    """Record one passage per person (idempotent per page token) and show the live result screen.

    `hidden` are the persons whose records this phone has not proven it may see: their verdict is shown (the
    guard reads it), their reasons only as far as the phone's own input explains them (own_reasons)."""
    direction = request.POST.get("direction", Direction.IN)
    token = request.POST.get("token", "")[:32] or uuid.uuid4().hex
    typed = {person.pk: getattr(person, "declared", None) for person in persons}
    passages = [
        services.record_passage(person, place, channel=Channel.SCAN, direction=direction,
                                temperature=request.POST.get("temperature"),
                                declaration=getattr(person, "declared", services.LATEST),
                                idempotency_key=f"scan:{device.pk.hex}:{token}:{person.pk}")
        for person in persons
    ]
    results = []
    for p in passages:
        reasons = own_reasons(p, typed.get(p.person_id)) if p.person_id in hidden else p.reasons
        results.append((p, labels[p.person_id], reasons, p.person_id in hidden))
    # Rendered without the request: the screen needs no context processors, and it is the hot path.
    response = HttpResponse(render_to_string("passes/resident/result.html", {
        "place": place, "device": device, "now": timezone.localtime(), "results": results}))
    return _with_cookie(request, response, device) if renew_cookie else response


def own_reasons(passage, typed) -> list[str]:
    """The reasons a phone that has not proven the person may read: those its own input explains (the place,
    the temperature, the answers just typed); none from the person's records (colour, key-person category,
    tests), which only the guard's station shows. A verdict worse than those explain says so, and no more."""
    own = GateDecision()
    place_open(None, passage.place, passage.at, own)
    body_temperature(None, passage.place, passage.at, own, temperature=passage.temperature)
    if typed is not None:
        declared_health(None, passage.place, passage.at, own, declaration=typed)
    reasons = [reason for reason in passage.reasons if reason in own.reasons]
    if SEVERITY[passage.verdict] > SEVERITY[own.verdict]:
        reasons.append(_("其他情况请工作人员核实"))
    return reasons


# What to tell a resident about some of their passages (one that overlaps a risk place's window): finders
# (passages → {passage id: text}) that the apps above this one (tracing) register at start-up.
PASSAGE_NOTES = []


@never_cache
@resident_page
def mine(request, place, context):
    """The resident's own passages of the last 14 days, for the people on this phone only."""
    persons = [m.person_id for m in context["members"] if m.proven]
    passages = list(Passage.objects.filter(person_id__in=persons,
                                           at__gte=timezone.now() - timedelta(days=HISTORY_DAYS))
                    .select_related("place", "person").order_by("-at")[:200])
    notes = {}
    for finder in PASSAGE_NOTES:
        notes.update(finder(passages))
    for passage in passages:
        passage.note = notes.get(passage.pk, "")
    unproven = [m for m in context["members"] if not m.proven]
    return render(request, "passes/resident/mine.html", {**context, "passages": passages, "unproven": unproven})


@require_POST
@resident_page
def forget(request, place, context):
    """Remove this phone's registrations (a shared or sold phone)."""
    if context["device"]:
        services.revoke_device(context["device"])
    response = render(request, "passes/resident/forgotten.html", {"place": place})
    response.delete_cookie(services.DEVICE_COOKIE)
    return response
