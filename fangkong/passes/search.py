"""Passage search and counts for the back office, the API and exports: one implementation, always scoped.

Everything starts from `Passage.objects.visible_to(user)`; the area is denormalised on the passage,
so scope and area filters use the (area, -at) index without a join. Counts leave corrections out:
a correction restates a passage, it is not another one.
"""

import datetime
from collections import defaultdict

from django import forms
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import ExtractHour
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core.identity import mask_search
from fangkong.people.models import Person
from fangkong.territory.models import Area, AreaLevel

from .models import Direction, Passage, Place, Verdict

STATS_CACHE_SECONDS = 60
TOP_PLACES = 10


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight in Asia/Shanghai (the settings' zone), as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def today_start() -> datetime.datetime:
    return day_start(timezone.localdate())


class MomentField(forms.CharField):
    """A date (a whole day, in Asia/Shanghai) or an ISO datetime; `end=True` makes a date mean its end."""

    def __init__(self, *args, end=False, **kwargs):
        self.end = end
        super().__init__(*args, required=False, **kwargs)

    def to_python(self, value):
        value = (super().to_python(value) or "").strip()
        if not value:
            return None
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return day_start(day + datetime.timedelta(days=1 if self.end else 0))
        try:
            moment = parse_datetime(value.replace(" ", "T"))
        except ValueError:
            moment = None
        if moment is None:
            raise forms.ValidationError(_("日期格式应为 2026-03-06"), code="date")
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class PassageSearchForm(forms.Form):
    """The filters of a passage search, the same for the page, the API and an export."""

    q = forms.CharField(label=gettext_lazy("人员"), required=False, max_length=50, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": gettext_lazy("姓名、证件号码或后4-6位、手机号"), "autocomplete": "off"}))
    person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    place = forms.IntegerField(label=gettext_lazy("场所"), required=False)
    area = forms.IntegerField(label=gettext_lazy("区域"), required=False)
    since = MomentField(label=gettext_lazy("从"), widget=forms.DateInput(attrs={"type": "date"}))
    until = MomentField(label=gettext_lazy("到"), end=True, widget=forms.DateInput(attrs={"type": "date"}))
    verdict = forms.ChoiceField(label=gettext_lazy("结果"), required=False,
                                choices=[("", gettext_lazy("全部结果")), *Verdict.choices])
    direction = forms.ChoiceField(label=gettext_lazy("方向"), required=False,
                                  choices=[("", gettext_lazy("全部方向")), *Direction.choices])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            self.add_error("until", _("结束日期不能早于开始日期"))
        return data

    def search(self):
        """The scoped, filtered passages (newest first); call after is_valid()."""
        return search_passages(self.user, **self.cleaned_params())

    def cleaned_params(self) -> dict:
        data = self.cleaned_data
        return {key: data.get(key) for key in ("q", "person", "place", "area", "since", "until", "verdict", "direction")
                if data.get(key) not in (None, "")}


def search_passages(user, *, q="", person=None, persons=None, place=None, area=None, since=None, until=None,
                    verdict="", direction=""):
    passages = Passage.objects.visible_to(user)
    if place:
        passages = passages.filter(place_id=place)
    if area:
        chosen = Area.objects.visible_to(user).filter(pk=area).first()
        passages = passages.in_area(chosen) if chosen else passages.none()
    if since:
        passages = passages.filter(at__gte=since)
    if until:
        passages = passages.filter(at__lt=until)
    if verdict:
        passages = passages.filter(verdict=verdict)
    if direction:
        passages = passages.filter(direction=direction)
    if person:
        passages = passages.filter(person_id=person)
    if persons is not None:
        passages = passages.filter(person_id__in=persons)
    if q:
        # Passages are scoped by where they happened; the person may live anywhere.
        passages = passages.filter(person__in=Person.objects.search(q).values("pk"))
    return passages.order_by("-at", "-id")


def looks_like_number(text: str) -> bool:
    return any(ch.isdigit() for ch in text or "")


def export_params(params: dict) -> dict:
    """The search as an export job stores it: JSON, and a number searched for resolved to person ids."""
    stored = {}
    for key, value in params.items():
        stored[key] = value.isoformat() if isinstance(value, datetime.datetime) else value
    query = stored.pop("q", "")
    if query and looks_like_number(query):
        stored["persons"] = list(Person.objects.search(query).values_list("pk", flat=True)[:1000])
        stored["q_masked"] = mask_search(query)
    elif query:
        stored["q"] = query
    return stored


def params_from_export(stored: dict) -> dict:
    params = {key: value for key, value in stored.items() if key != "q_masked"}
    for key in ("since", "until"):
        if params.get(key):
            params[key] = datetime.datetime.fromisoformat(params[key])
    return params


def describe(params: dict, user) -> str:
    """The search in words, for the job page (numbers masked; names only of what the user may see)."""
    parts = []
    if params.get("place"):
        place = Place.objects.visible_to(user).filter(pk=params["place"]).first()
        parts.append(_("场所：%(name)s") % {"name": place.name if place else params["place"]})
    if params.get("area"):
        area = Area.objects.visible_to(user).filter(pk=params["area"]).first()
        parts.append(_("区域：%(name)s") % {"name": area.name if area else params["area"]})
    if params.get("q") or params.get("q_masked"):
        parts.append(_("人员：%(q)s") % {"q": params.get("q_masked") or mask_search(params["q"])})
    for key, label in (("since", _("从")), ("until", _("到"))):
        if params.get(key):
            moment = params[key]
            if isinstance(moment, str):
                moment = datetime.datetime.fromisoformat(moment)
            parts.append(f"{label} {timezone.localtime(moment):%Y-%m-%d %H:%M}")
    if params.get("verdict"):
        parts.append(_("结果：%(v)s") % {"v": Verdict(params["verdict"]).label})
    if params.get("direction"):
        parts.append(_("方向：%(d)s") % {"d": Direction(params["direction"]).label})
    return "，".join(str(p) for p in parts) or _("全部出入记录")


# Counts -------------------------------------------------------------------------------------------

def _scope_key(user, name):
    return f"passes:{name}:{user.pk}:{user.area_id}:{user.grid_id}:{timezone.localdate():%Y%m%d}"


def overview(user) -> dict:
    """The back office's figures for the user's scope; cached a minute, since every number is a scan.

    Place and area counts come from one grouped pass over the scope's passages (the (area, -at)
    index keeps it to the user's areas); "with records" is a semi-join on the (place, -at) index.
    """
    key = _scope_key(user, "overview")
    cached = cache.get(key)
    if cached is not None:
        return cached
    start = today_start()
    passages = Passage.objects.visible_to(user).filter(corrects=None)
    per_place = list(passages.values("place_id", "area_id").annotate(
        total=Count("id"), today=Count("id", filter=Q(at__gte=start))).order_by())
    places = Place.objects.visible_to(user).approved()
    with_records = places.filter(Exists(Passage.objects.filter(place=OuterRef("pk")))).count()
    counted = {row["place_id"]: row for row in per_place}
    # Every registered place with its counts, those without any record included (the 927 vs 713 question).
    all_places = sorted(({"place_id": pk, "name": name, "area": area, "total": counted.get(pk, {}).get("total", 0),
                          "today": counted.get(pk, {}).get("today", 0)}
                         for pk, name, area in places.values_list("pk", "name", "area__name")),
                        key=lambda row: (-row["total"], row["name"]))
    top = sorted(per_place, key=lambda row: (-row["total"], row["place_id"]))[:TOP_PLACES]
    names = dict(Place.objects.filter(pk__in=[row["place_id"] for row in top]).values_list("pk", "name"))
    hours = dict(passages.filter(at__gte=start)
                 .annotate(hour=ExtractHour("at", tzinfo=timezone.get_current_timezone()))
                 .values_list("hour").annotate(n=Count("id")).values_list("hour", "n").order_by())
    result = {
        "total": sum(row["total"] for row in per_place),
        "today": sum(row["today"] for row in per_place),
        "registered": places.count(),
        "with_records": with_records,
        "top": [{**row, "name": names.get(row["place_id"], "")} for row in top],
        "places": all_places,
        "per_area": _per_area(user, per_place),
        "hours": [hours.get(hour, 0) for hour in range(24)],
        "at": timezone.now(),
    }
    cache.set(key, result, STATS_CACHE_SECONDS)
    return result


def _per_area(user, per_place) -> list[dict]:
    """Totals for each area one level below the user's (or the user's own area if it is a community)."""
    if user.is_superuser and user.area_id is None:
        rows = list(Area.objects.filter(level=AreaLevel.SUBDISTRICT).order_by("path"))
    elif user.area is None:
        return []
    elif user.area.level == AreaLevel.COMMUNITY:
        rows = [user.area]
    else:
        rows = list(user.area.children.order_by("path"))
    paths = dict(Area.objects.filter(pk__in={row["area_id"] for row in per_place}).values_list("pk", "path"))
    sums = defaultdict(lambda: {"total": 0, "today": 0, "places": set()})
    for row in per_place:
        path = paths.get(row["area_id"], "")
        for area in rows:
            if path.startswith(area.path):
                entry = sums[area.pk]
                entry["total"] += row["total"]
                entry["today"] += row["today"]
                entry["places"].add(row["place_id"])
                break
    return [{"area": area, "total": sums[area.pk]["total"], "today": sums[area.pk]["today"],
             "places": len(sums[area.pk]["places"])} for area in rows]
