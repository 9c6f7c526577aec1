"""Pass code pages: the resident's 我的通行码, the station's 扫通行码, pass cards for staff, and the verify API.

Thin views over healthcode.passcode. The resident pages need no login: the device cookie of the
一区一码 pages (passes.openings.this_phone) says whose codes this phone may show.
"""

import re
import uuid

import segno
from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from fangkong.audit.context import client_ip
from fangkong.core import limits
from fangkong.core.throttling import SharedLimitThrottle
from fangkong.passes import services as passes
from fangkong.passes.models import Direction
from fangkong.passes.openings import station_place, this_phone
from fangkong.people.models import Person

from . import passcode
from .models import PassCard

TOKEN = re.compile(r"[0-9a-f]{32}")


def qr_svg(text: str) -> str:
    """An inline SVG QR code that CSS sizes (no width/height), dark on white with the 4-module quiet zone.

    Error level L is enough on a clean screen and keeps a 40-character code at version 2 (25 x 25).
    """
    return segno.make(text, error="l", micro=False).svg_inline(scale=1, border=4, omitsize=True,
                                                                svgclass="pc-qr-svg", dark="#000", light="#fff")


# The resident's 我的通行码 -------------------------------------------------------------------------

# Where an isolated person on this phone reports their temperatures: finders (person ids → {id: url}) that the
# isolation app, above this one, registers at start-up.
MONITORING_LINKS = []
# Lines under a person's code from the apps above (risk zones: 今日可出行 / 今日不可出行, the 保供 link): finders
# (person ids → {id: [(text, url or "")]}) registered at start-up.
PASS_NOTES = []


@never_cache
@limits.limited("my_pass")
def my_pass(request):
    """Every person on this phone: colour, masked name, latest test, a ticking clock and a rotating code."""
    _device, members = this_phone(request)
    # A code and a colour only for the people this phone has proven are its own (passes.binding).
    screens = passcode.screens_for([m for m in members if m.proven])
    links = {}
    for finder in MONITORING_LINKS:
        links.update(finder([screen.person.pk for screen in screens]))
    notes = {}
    for finder in PASS_NOTES:
        for person_id, found in finder([screen.person.pk for screen in screens]).items():
            notes.setdefault(person_id, []).extend(found)
    for screen in screens:
        screen.qr = qr_svg(screen.issued.token)
        screen.monitoring_url = links.get(screen.person.pk, "")
        screen.notes = notes.get(screen.person.pk, [])
    return render(request, "healthcode/pass_resident.html", {
        "screens": screens, "refresh_seconds": passcode.REFRESH_SECONDS, "valid_seconds": passcode.TOKEN_SECONDS,
        "back": _back(request), "members": members})


def _back(request) -> str:
    """Where 返回 goes: the place page the resident came from (a local path only)."""
    back = request.GET.get("back", "")
    return back if back.startswith("/c/") and "//" not in back else ""


@never_cache
@limits.limited("my_pass")
def my_pass_code(request, person_id):
    """A fresh code for one person on this phone (htmx asks every REFRESH_SECONDS); others' are a 404."""
    member = next((m for m in this_phone(request)[1] if m.person_id == person_id and m.proven), None)
    if member is None:
        # 286 stops htmx polling: the phone was cleared or the person removed from it.
        return HttpResponse(_("本机已不再保存此人，请重新扫描场所码登记"), status=286)
    issued = passcode.issue(member.person)
    return render(request, "healthcode/pass_code.html", {
        "person": member.person, "issued": issued, "qr": qr_svg(issued.token),
        "valid_seconds": passcode.TOKEN_SECONDS})


# The station's 扫通行码 ----------------------------------------------------------------------------

class VerifyForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("通行码数字或卡号"), max_length=120, error_messages={
        "required": gettext_lazy("请扫描通行码，或输入8位数字码/12位卡号")})
    direction = forms.ChoiceField(choices=Direction.choices, required=False)
    temperature = forms.CharField(max_length=8, required=False)


@login_required
@require_POST
def station_verify(request, pk):
    """The camera's decoded text (or the typed short number / card code) → the verdict, big, in colour."""
    limits.hit("pass_verify", request, target=request.user.pk)
    place = station_place(request, pk)
    form = VerifyForm(request.POST)
    context = {"place": place}
    if not form.is_valid():
        context["error"] = form.errors["code"][0] if "code" in form.errors else _("请重新扫描")
        return _verdict_response(request, context, status=422)
    token = request.POST.get("token", "")
    try:
        result = passcode.verify(
            form.cleaned_data["code"], place, request.user, ip=client_ip(request),
            direction=form.cleaned_data["direction"] or Direction.IN, temperature=form.cleaned_data["temperature"],
            idempotency_key=token if TOKEN.fullmatch(token) else uuid.uuid4().hex)
    except passcode.PassCodeRefused as exc:
        context.update(error=exc.messages[0], reason=exc.reason)
        return _verdict_response(request, context, status=422)
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return _verdict_response(request, context, status=422)
    except PermissionDenied:
        raise Http404 from None
    context["result"] = result
    response = _verdict_response(request, context)
    response["HX-Trigger"] = "refresh-live"  # the live list shows the new passage at once
    return response


def _verdict_response(request, context, status=200):
    if request.headers.get("HX-Request") or request.headers.get("X-Requested-With"):
        return render(request, "healthcode/pass_verdict.html", context, status=status)
    return render(request, "healthcode/pass_verdict_page.html", context, status=status)


# Pass cards (staff) --------------------------------------------------------------------------------

def _person(request, person_id) -> Person:
    return get_object_or_404(Person.objects.visible_to(request.user), pk=person_id)


def _card(request, card_pk) -> PassCard:
    persons = Person.objects.visible_to(request.user).values("pk")
    return get_object_or_404(PassCard.objects.select_related("person", "issued_by").filter(person__in=persons),
                             pk=card_pk)


@login_required
@permission_required("healthcode.view_passcard", raise_exception=True)
def cards(request, person_id):
    person = _person(request, person_id)
    cards = list(person.pass_cards.select_related("issued_by").order_by("-issued_at"))
    for card in cards:
        card.number_masked = passcode.card_number_masked(card)
    return render(request, "healthcode/pass_cards.html", {
        "person": person, "cards": cards,
        "may_issue": request.user.has_perm("healthcode.add_passcard"),
        "may_revoke": request.user.has_perm("healthcode.change_passcard")})


@login_required
@permission_required("healthcode.add_passcard", raise_exception=True)
@require_POST
def card_issue(request, person_id):
    person = _person(request, person_id)
    card = passcode.issue_card(person, user=request.user)
    return redirect("pass:card_pdf", card.pk)


@login_required
@permission_required("healthcode.view_passcard", raise_exception=True)
def card_pdf(request, card_pk):
    card = _card(request, card_pk)
    if card.revoked_at is not None:
        raise Http404
    response = HttpResponse(passcode.card_pdf(card), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="pass-card-{card.pk}.pdf"'
    return response


@login_required
@permission_required("healthcode.change_passcard", raise_exception=True)
@require_POST
def card_revoke(request, card_pk):
    from django.contrib import messages

    card = _card(request, card_pk)
    try:
        passcode.revoke_card(card, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("通行卡已作废，立即失效"))
    return redirect("pass:cards", card.person_id)


# API -----------------------------------------------------------------------------------------------

class VerifyInput(serializers.Serializer):
    code = serializers.CharField(max_length=120, help_text="扫描所得通行码或通行卡码、8位数字码或通行卡上的12位卡号")
    place = serializers.IntegerField(help_text="场所编号（本人值守的场所）")
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.IN)
    temperature = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=8)


class VerifyOutput(serializers.Serializer):
    verdict = serializers.CharField()
    verdict_display = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    person = serializers.IntegerField()
    person_name = serializers.CharField(help_text="脱敏姓名")
    channel = serializers.CharField()
    passage = serializers.IntegerField()
    at = serializers.DateTimeField()


class VerifyThrottle(SharedLimitThrottle):
    """FANGKONG_LIMITS["pass_verify"], as on the station page: by client address and by the staff member."""

    limit_name = "pass_verify"

    def target(self, request, view):
        return request.user.pk


class PassCodeViewSet(viewsets.ViewSet):
    """通行码核验: staff of a place verify a scanned pass code (or card) and get the gate verdict."""

    throttle_classes = [VerifyThrottle]

    @extend_schema(request=VerifyInput, responses={200: VerifyOutput})
    @action(detail=False, methods=["post"])
    def verify(self, request):
        incoming = VerifyInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        # Scope is decided by recorder_access (cached: this is the gate's hot path), not by hand here.
        place = passes.place_by_pk(data["place"])
        if place is None or passes.recorder_access(request.user, place) == passes.RECORDER_HIDDEN:
            raise NotFound(_("场所不存在或不在您的管辖范围内"))
        try:
            result = passcode.verify(data["code"], place, request.user, ip=client_ip(request),
                                     direction=data["direction"], temperature=data.get("temperature"),
                                     idempotency_key=request.headers.get("Idempotency-Key", "")[:100])
        except passcode.PassCodeRefused as exc:
            raise ApiValidationError({"code": exc.messages, "reason": exc.reason}) from None
        except ValidationError as exc:
            raise ApiValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}) from None
        except PermissionDenied:
            raise ApiPermissionDenied(_("您不能在该场所核验通行码")) from None
        passage = result.passage
        return Response({
            "verdict": result.decision.verdict, "verdict_display": passage.get_verdict_display(),
            "reasons": result.decision.reasons, "person": result.person.pk,
            "person_name": result.person.name_masked, "channel": result.channel, "passage": passage.pk,
            "at": timezone.localtime(passage.at).isoformat()})
