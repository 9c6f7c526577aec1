"""Passage export: any search, as an xlsx written by the export pipeline (core.exports); scoped, masked.

Rows stream from the database with a server-side cursor as plain tuples (no model instances, no
joins); the names of places, areas, persons and recorders are looked up once per chunk for the ids
not seen yet and kept, so that each identity number is decrypted and masked once per person
(bench/checkin.py --export measures a million rows).
"""

import json
from datetime import datetime
from functools import lru_cache
from itertools import islice

from django.core.exceptions import ValidationError
from django.db.models import CharField, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.accounts.models import User
from fangkong.core import exports
from fangkong.people.models import Person
from fangkong.territory.models import Area

from . import search
from .models import Channel, Direction, Passage, Place, Verdict

CHUNK = 5000  # rows fetched and looked up at a time
NAME_CACHE = 50_000  # persons (and places, areas, users) kept decrypted

COLUMNS = (
    (gettext_lazy("时间"), 19), (gettext_lazy("场所"), 24), (gettext_lazy("社区/村"), 14), (gettext_lazy("姓名"), 10),
    (gettext_lazy("证件类型"), 10), (gettext_lazy("证件号码"), 20), (gettext_lazy("方向"), 6),
    (gettext_lazy("体温（℃）"), 10), (gettext_lazy("结果"), 8), (gettext_lazy("原因"), 30), (gettext_lazy("方式"), 8),
    (gettext_lazy("车牌"), 10), (gettext_lazy("登记人"), 12), (gettext_lazy("更正记录"), 14))

# The passage's own columns, read as tuples: no model instances, no joins; names come from the caches.
# The time and the reasons come as text: the driver's timestamp parser (Python) and JSON decoding on every
# row took a quarter of the export; datetime.fromisoformat and decoding each distinct reasons once do not.
FIELDS = (Cast("at", CharField()), "place_id", "area_id", "person_id", "direction", "temperature", "verdict",
          Cast("reasons", TextField()), "channel", "vehicle_plate", "recorder_id", "corrects_id")


def params(user, data) -> dict:
    """The search form's fields as the job stores them (a number searched for kept as person ids)."""
    form = search.PassageSearchForm(data, user=user)
    if not form.is_valid():
        raise ValidationError(form.errors)
    return search.export_params(form.cleaned_params())


def _fill(cache: dict, ids, load):
    """Add the ids missing from `cache` with one query (`load(ids)` yields (id, value))."""
    ids.discard(None)
    missing = ids - cache.keys()
    if not missing:
        return
    if len(cache) + len(missing) > NAME_CACHE:
        cache.clear()  # a huge export keeps memory flat: start again from this chunk's ids
        missing = ids
    cache.update(load(missing))


def _person_values(full):
    def load(ids):
        id_types = dict(Person._meta.get_field("id_type").flatchoices)
        for person in Person._base_manager.filter(pk__in=ids).only("name", "id_type", "id_number_encrypted"):
            # Decrypting is the costly part: once per person, whatever their number of passages.
            number = person.id_number if full else person.id_number_masked
            yield person.pk, (person.name, str(id_types.get(person.id_type, person.id_type)), number)
    return load


def _names(model, field):
    def load(ids):
        return model._base_manager.filter(pk__in=ids).values_list("pk", field)
    return load


def _users(ids):
    return ((user.pk, str(user)) for user in User._base_manager.filter(pk__in=ids))


@exports.register("passages", title=gettext_lazy("出入记录"), permission="passes.export_passage", model=Passage,
                  columns=COLUMNS, params=params, describe=lambda user, stored: search.describe(stored, user),
                  logged=lambda stored: {k: v for k, v in stored.items() if k != "persons"})
def passage_rows(user, stored: dict) -> exports.Rows:
    full = user.may_see_full_numbers()
    passages = search.search_passages(user, **search.params_from_export(stored))
    return exports.Rows(passages.count(), _rows(passages, full), audit={"full_numbers": full})


def _rows(passages, full):
    rows = passages.values_list(*FIELDS).iterator(chunk_size=CHUNK)
    zone = timezone.get_current_timezone()
    labels = {value: str(label) for choices in (Direction.choices, Verdict.choices, Channel.choices)
              for value, label in choices}
    corrects = _("更正第 %(id)d 条")
    persons, places, areas, recorders = {}, {}, {}, {}
    load_person, load_place, load_area = _person_values(full), _names(Place, "name"), _names(Area, "name")

    @lru_cache(NAME_CACHE)
    def reasons_text(stored: str):
        reasons = json.loads(stored) if stored else None
        return "；".join(reasons) if reasons else None

    while batch := list(islice(rows, CHUNK)):
        _fill(persons, {row[3] for row in batch}, load_person)
        _fill(places, {row[1] for row in batch}, load_place)
        _fill(areas, {row[2] for row in batch}, load_area)
        _fill(recorders, {row[10] for row in batch}, _users)
        for (at, place, area, person, direction, temperature, verdict, reasons, channel, plate, recorder,
             corrected) in batch:
            at = datetime.fromisoformat(at)  # text with its UTC offset (FIELDS casts it)
            yield (at.astimezone(zone).replace(tzinfo=None), places[place], areas[area], *persons[person],
                   labels.get(direction, direction), None if temperature is None else float(temperature),
                   labels.get(verdict, verdict), reasons_text(reasons), labels.get(channel, channel), plate or None,
                   recorders[recorder] if recorder else None, corrects % {"id": corrected} if corrected else None)
