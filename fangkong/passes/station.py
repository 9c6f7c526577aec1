"""The checkpoint station: the guard's phone at the gate (UX.md, "The checkpoint station").

Thin views over the station use cases in services.py. Every form carries a token made fresh for
each render, so a double tap or a resent form writes one passage. A place the user may not record
at is a 404, as if it did not exist.
"""

import re
import uuid
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fangkong.accounts.idle import background_poll
from fangkong.core.forms import PersonNameField, add_service_errors
from fangkong.core.identity import DocumentType

from . import services
from .forms import yes_no
from .models import Direction, Passage
from .openings import station_place

QUESTIONS = [("visited_risk_area", gettext_lazy("14天内去过中高风险地区")),
             ("has_symptoms", gettext_lazy("有发热、咳嗽等症状")),
             ("had_contact", gettext_lazy("接触过确诊或疑似人员"))]
OCCUPANT_ROWS = 5
RECENT_HOURS = services.RECENT_HOURS
TOKEN = re.compile(r"[0-9a-f]{32}")


# Forms --------------------------------------------------------------------------------------------

def _temperature_field(required=False):
    return forms.CharField(label=gettext_lazy("体温（℃）"), max_length=6, required=required,
                           widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "36.5",
                                                         "autocomplete": "off", "class": "temp-input"}))


class StationForm(forms.Form):
    """The parts every station form shares: direction, the three health questions and consent."""

    direction = forms.ChoiceField(label=gettext_lazy("方向"), choices=Direction.choices, initial=Direction.IN,
                                  widget=forms.RadioSelect)
    visited_risk_area = yes_no(QUESTIONS[0][1], initial="no")
    has_symptoms = yes_no(QUESTIONS[1][1], initial="no")
    had_contact = yes_no(QUESTIONS[2][1], initial="no")
    consent = forms.BooleanField(label=gettext_lazy("已询问以上情况，并告知信息用途和保存期限"), error_messages={
        "required": gettext_lazy("请先询问健康情况并告知用途，再勾选")})

    def __init__(self, *args, place, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.place = place
        if not place.records_exit:
            del self.fields["direction"]

    def clean_temperature(self):
        try:
            return services.clean_temperature(self.cleaned_data.get("temperature"))
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def answers(self):
        return {key: self.cleaned_data[key] == "yes" for key, _label in QUESTIONS}

    def chosen_direction(self):
        return self.cleaned_data.get("direction") or Direction.IN

    def question_fields(self):
        return [self[key] for key, _label in QUESTIONS]

    def apply_errors(self, exc: ValidationError, rename=lambda field: field):
        """A service's ValidationError shown next to the fields it names (or on top of the form)."""
        temperature = getattr(exc, "code", None) == "temperature" and "temperature" in self.fields
        add_service_errors(self, exc, rename=rename, unnamed="temperature" if temperature else None)


class AssistForm(StationForm):
    """代登记: someone without a phone (an elderly resident, a child), registered by the guard."""

    id_type = forms.ChoiceField(label=gettext_lazy("证件类型"), choices=DocumentType.choices,
                                initial=DocumentType.RESIDENT_ID)
    id_number = forms.CharField(label=gettext_lazy("证件号码"), max_length=30, error_messages={
        "required": gettext_lazy("请填写证件号码")}, widget=forms.TextInput(attrs={
            "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}))
    name = PersonNameField()
    phone = forms.CharField(label=gettext_lazy("手机号（选填）"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    temperature = _temperature_field()

    field_order = ["id_type", "id_number", "name", "phone", "temperature", "direction"]

    def clean(self):
        """Every field in one round: the number's checksum and the phone are told with a bad temperature or an
        unanswered question, not only after those are fixed (register_resident checks them again)."""
        from fangkong.core.forms import clean_document
        from fangkong.core.identity import normalize_phone
        from fangkong.people.services import find_duplicate

        data = super().clean()
        if clean_document(self, data):
            existing = find_duplicate(data["id_type"], data["id_number"])
            if existing is not None and data.get("name") and existing.name != data["name"].strip():
                self.add_error("id_number", _("证件号码与姓名不一致，请核对"))
        if data.get("phone"):
            try:
                data["phone"] = normalize_phone(data["phone"])
            except ValidationError as exc:
                self.add_error("phone", exc)
        return data


class VehicleForm(StationForm):
    """车辆登记: a plate, the driver and passengers, each by identity number and name or picked from
    the people who passed here recently."""

    plate = forms.CharField(label=gettext_lazy("车牌号"), max_length=12, error_messages={
        "required": gettext_lazy("请填写车牌号")}, widget=forms.TextInput(attrs={
        "autocomplete": "off", "autocapitalize": "characters", "placeholder": "豫A12345", "spellcheck": "false"}))
    recent = forms.TypedMultipleChoiceField(label=gettext_lazy("最近通过的人员"), required=False, coerce=int,
                                            widget=forms.CheckboxSelectMultiple)

    field_order = ["plate", "direction"]

    def __init__(self, *args, recent=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.recent_persons = {person.pk: person for person in recent}
        self.fields["recent"].choices = [
            (person.pk, f"{person.name_masked} · {person.id_number_masked[-4:]}") for person in recent]
        # One row per person on board (the row's legend says 司机 / 乘客1 ...).
        for index in range(OCCUPANT_ROWS):
            self.fields[f"o{index}_id_number"] = forms.CharField(
                label=_("身份证号"), max_length=30, required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}))
            self.fields[f"o{index}_name"] = PersonNameField(required=False)
            self.fields[f"o{index}_temperature"] = _temperature_field()

    def clean_plate(self):
        return services.normalize_plate(self.cleaned_data["plate"])

    def clean(self):
        data = super().clean()
        self.occupants = []
        for index in range(OCCUPANT_ROWS):
            number, name = data.get(f"o{index}_id_number", ""), data.get(f"o{index}_name", "")
            temperature = data.get(f"o{index}_temperature", "")
            if not (number or name or temperature):
                continue
            if not number:
                self.add_error(f"o{index}_id_number", _("请填写身份证号码"))
            if not name and f"o{index}_name" not in self.errors:  # a refused name has its own message
                self.add_error(f"o{index}_name", _("请填写姓名"))
            try:
                temperature = services.clean_temperature(temperature)
            except ValidationError as exc:
                self.add_error(f"o{index}_temperature", exc.messages)
            self.occupants.append({"name": name, "id_number": number, "temperature": temperature, "row": index})
        for pk in data.get("recent") or []:
            self.occupants.append({"person": self.recent_persons[pk]})
        if not self.occupants and not self.errors:
            self.add_error("o0_id_number", _("请至少登记司机一人"))
        return data

    def rows(self):
        return [(self[f"o{i}_id_number"], self[f"o{i}_name"], self[f"o{i}_temperature"]) for i in range(OCCUPANT_ROWS)]

    def occupant_field(self, key: str) -> str:
        """A service's "occupants-<i>-<field>" error key as the name of the field on this form."""
        match = re.fullmatch(r"occupants-(\d+)-(\w+)", key)
        if not match:
            return key
        occupant = self.occupants[int(match[1])]
        return f"o{occupant['row']}_{match[2]}" if "row" in occupant else "recent"


class TemperatureForm(forms.Form):
    temperature = _temperature_field(required=True)
    temperature.error_messages["required"] = gettext_lazy("请填写体温")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)

    def clean_temperature(self):
        try:
            return services.clean_temperature(self.cleaned_data["temperature"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


# Views --------------------------------------------------------------------------------------------

def _token(request) -> str:
    token = request.POST.get("token", "")
    return token if TOKEN.fullmatch(token) else uuid.uuid4().hex


def _recent_persons(place, limit=12):
    """The people who passed here in the last hours, newest first, for picking a vehicle's passengers."""
    since = timezone.now() - timedelta(hours=RECENT_HOURS)
    seen, persons = set(), []
    for passage in Passage.objects.filter(place=place, at__gte=since).select_related("person").order_by("-at")[:200]:
        if passage.person_id not in seen:
            seen.add(passage.person_id)
            persons.append(passage.person)
        if len(persons) == limit:
            break
    return persons


def _page(request, place, *, assist=None, vehicle=None, status=200):
    context = {
        "place": place, "places": list(services.station_places(request.user)), "shifts": list(services.on_duty(place)),
        "assist": assist or AssistForm(place=place), "vehicle": vehicle or VehicleForm(place=place,
                                                                                     recent=_recent_persons(place)),
        "token": uuid.uuid4().hex, **services.station_feed(place),
    }
    return render(request, "passes/station/page.html", context, status=status)


@login_required
def index(request):
    """/station/: straight to the user's checkpoint, or a choice when they staff several."""
    places = list(services.station_places(request.user))
    if len(places) == 1:
        return redirect("office:station", places[0].pk)
    return render(request, "passes/station/index.html", {"places": places})


@never_cache
@login_required
def station(request, pk):
    return _page(request, station_place(request, pk))


@never_cache
@background_poll  # an unattended phone is logged out (and the polling stops) after FANGKONG_STATION_IDLE_MINUTES
def live(request, pk):
    """The live part of the page; htmx asks for it every few seconds."""
    place = station_place(request, pk)
    return render(request, "passes/station/live.html", {"place": place, **services.station_feed(place)})


@login_required
@require_POST
def assist(request, pk):
    place = station_place(request, pk)
    form = AssistForm(request.POST, place=place)
    if form.is_valid():
        data = form.cleaned_data
        try:
            passage = services.register_and_pass(
                place, request.user, name=data["name"], id_type=data["id_type"], id_number=data["id_number"],
                phone=data["phone"], temperature=data["temperature"], direction=form.chosen_direction(),
                answers=form.answers(), idempotency_key=f"assist:{request.user.pk}:{place.pk}:{_token(request)}")
        except ValidationError as exc:
            form.apply_errors(exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            _announce(request, passage)
            return redirect("office:station", place.pk)
    return _page(request, place, assist=form, status=422 if request.headers.get("HX-Request") else 200)


@login_required
@require_POST
def vehicle(request, pk):
    place = station_place(request, pk)
    form = VehicleForm(request.POST, place=place, recent=_recent_persons(place))
    if form.is_valid():
        data = form.cleaned_data
        try:
            passages = services.record_vehicle(
                place, request.user, plate=data["plate"], occupants=form.occupants, direction=form.chosen_direction(),
                answers=form.answers(), idempotency_key=f"vehicle:{request.user.pk}:{place.pk}:{_token(request)}")
        except ValidationError as exc:
            form.apply_errors(exc, rename=form.occupant_field)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("%(plate)s 已登记 %(n)d 人") % {"plate": data["plate"], "n": len(passages)})
            return redirect("office:station", place.pk)
    return _page(request, place, vehicle=form)


def _current(place, passage_pk) -> Passage:
    return get_object_or_404(Passage.objects.select_related("person", "place"), pk=passage_pk, place=place)


@never_cache
@login_required
def temperature(request, pk, passage_pk):
    """The big temperature entry for a passage without one: a panel (htmx) or a page of its own."""
    place = station_place(request, pk)
    passage = _current(place, passage_pk)
    panel = bool(request.headers.get("HX-Request"))
    form = TemperatureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            correction = services.correct_temperature(
                passage, request.user, temperature=form.cleaned_data["temperature"],
                idempotency_key=f"temperature:{request.user.pk}:{passage.pk}:{_token(request)}")
        except ValidationError as exc:
            form.add_error("temperature", exc.messages)
        except PermissionDenied:
            raise Http404 from None
        else:
            if panel:
                response = render(request, "passes/station/temperature_done.html", {"passage": correction})
                response["HX-Trigger"] = "refresh-live"
                return response
            _announce(request, correction)
            return redirect("office:station", place.pk)
    template = "passes/station/temperature_panel.html" if panel else "passes/station/temperature.html"
    return render(request, template, {"place": place, "passage": passage, "form": form, "token": _token(request)})


@login_required
@require_POST
def acknowledge(request, pk, passage_pk):
    """已处理: the warning leaves the top of the list (the passage itself is not changed)."""
    place = station_place(request, pk)
    services.acknowledge(_current(place, passage_pk), request.user)
    if request.headers.get("HX-Request"):
        return render(request, "passes/station/live.html", {"place": place, **services.station_feed(place)})
    return redirect("office:station", place.pk)


def _announce(request, passage):
    text = _("%(name)s 已登记：%(verdict)s") % {"name": passage.person.name_masked,
                                             "verdict": passage.get_verdict_display()}
    if passage.verdict == "allow":
        messages.success(request, text)
    else:
        messages.warning(request, f"{text}（{'；'.join(passage.reasons)}）")
