"""Passage export: any search, as an xlsx written by a background job; scoped, masked, audited.

Rows stream from the database with a server-side cursor as plain tuples (no model instances, no
joins); the names of places, areas, persons and recorders are looked up once per chunk for the ids
not seen yet, and kept escaped, so that each identity number is decrypted and masked once per
person. XlsxWriter writes the sheet in constant-memory mode with typed cell calls and no guessing
of URLs, formulas or numbers in text, so every text cell stays text (bench/checkin.py --export).
Progress goes to the job row after every chunk for the page's progress bar.
"""

import logging
import os
import tempfile
from itertools import islice

import xlsxwriter
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import User
from fangkong.audit import services as audit
from fangkong.audit.context import acting_as
from fangkong.core.models import ExportJob, ExportStatus
from fangkong.core.xlsx import safe_cell
from fangkong.people.models import Person
from fangkong.territory.models import Area

from . import search
from .models import Channel, Direction, Passage, Place, Verdict

logger = logging.getLogger(__name__)
KIND = "passages"
CHUNK = 2000  # rows fetched, looked up and written at a time; progress is saved after each
NUMBER_CACHE = 50_000  # persons (and places, areas, users) kept decrypted and escaped


def start_export(user, params: dict) -> ExportJob:
    """Store the search and queue the job (the worker starts once the job row is committed)."""
    stored = search.export_params(params)
    job = ExportJob.objects.create(kind=KIND, created_by=user, params=stored,
                                   description=search.describe(stored, user)[:300])
    from .tasks import run_export

    transaction.on_commit(lambda: run_export.delay(job.pk))
    return job


def run(job: ExportJob) -> ExportJob:
    """The task's body: write the file, or mark the job failed with the reason."""
    if job.finished:  # a message delivered twice (the broker redelivers after a lost ack)
        return job
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    user = job.created_by
    try:
        with acting_as(user):
            count, full = _write(job, user)
            audit.log_export(user, Passage._meta.label, count, {
                **{k: v for k, v in job.params.items() if k not in ("persons",)}, "full_numbers": full,
                "job": job.pk})
    except Exception as exc:  # the page says it failed; the log keeps the traceback
        logger.exception("export %s failed", job.pk)
        job.status, job.error, job.finished_at = ExportStatus.FAILED, str(exc)[:2000], timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
    return job


# The passage's own columns, read as tuples: no model instances, no joins; names come from the caches.
COLUMNS = ("at", "place_id", "area_id", "person_id", "direction", "temperature", "verdict", "reasons", "channel",
           "vehicle_plate", "recorder_id", "corrects_id")
WIDTHS = {0: 19, 1: 24, 2: 14, 3: 10, 5: 20, 9: 30}


def _text(value) -> str:
    """A value as a text cell's content, neutralised against formulas."""
    return str(safe_cell(value))


def _labels(choices) -> dict:
    """get_FOO_display() for every value at once, in the job's language (unknown values show as they are)."""
    return {value: _text(str(label)) for value, label in choices}


def _fill(cache: dict, ids, load):
    """Add the ids missing from `cache` with one query (`load(ids)` yields (id, text))."""
    ids.discard(None)
    missing = ids - cache.keys()
    if not missing:
        return
    if len(cache) + len(missing) > NUMBER_CACHE:
        cache.clear()  # a huge export keeps memory flat: start again from this chunk's ids
        missing = ids
    cache.update(load(missing))


def _person_cells(full):
    def load(ids):
        id_types = _labels(Person._meta.get_field("id_type").flatchoices)
        for person in Person._base_manager.filter(pk__in=ids).only("name", "id_type", "id_number_encrypted"):
            # Decrypting is the costly part: once per person, whatever their number of passages.
            number = person.id_number if full else person.id_number_masked
            yield person.pk, (_text(person.name), id_types.get(person.id_type) or _text(person.id_type),
                              _text(number))
    return load


def _names(model, *fields):
    def load(ids):
        return ((pk, _text(name)) for pk, name in model._base_manager.filter(pk__in=ids).values_list("pk", *fields))
    return load


def _users(ids):
    return ((user.pk, _text(str(user))) for user in User._base_manager.filter(pk__in=ids))


def _write(job: ExportJob, user) -> tuple[int, bool]:
    full = user.may_see_full_numbers()
    passages = search.search_passages(user, **search.params_from_export(job.params))
    job.total_rows = passages.count()
    job.save(update_fields=["total_rows"])
    rows = passages.values_list(*COLUMNS).iterator(chunk_size=CHUNK)
    zone = timezone.get_current_timezone()
    directions, verdicts, channels = _labels(Direction.choices), _labels(Verdict.choices), _labels(Channel.choices)
    corrects = _("更正第 %(id)d 条")
    persons, places, areas, recorders, texts = {}, {}, {}, {}, {}
    load_person = _person_cells(full)
    load_place, load_area = _names(Place, "name"), _names(Area, "name")

    def text(value) -> str:  # reasons and plates: few distinct values, neutralised once each
        cleaned = texts.get(value)
        if cleaned is None:
            if len(texts) > NUMBER_CACHE:
                texts.clear()
            cleaned = texts[value] = _text(value)
        return cleaned

    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        book = xlsxwriter.Workbook(path, {
            "constant_memory": True, "tmpdir": tempfile.gettempdir(), "remove_timezone": True,
            # Text stays text: no URL, formula or number guessing (safe_cell already neutralised "=" etc.).
            "strings_to_urls": False, "strings_to_formulas": False, "strings_to_numbers": False})
        sheet = book.add_worksheet(str(_("出入记录")))
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for column, width in WIDTHS.items():
            sheet.set_column(column, column, width)
        header = [_("时间"), _("场所"), _("社区/村"), _("姓名"), _("证件类型"), _("证件号码"), _("方向"),
                  _("体温（℃）"), _("结果"), _("原因"), _("方式"), _("车牌"), _("登记人"), _("更正记录")]
        for column, title in enumerate(header):
            sheet.write_string(0, column, str(title))
        string, number, moment = sheet.write_string, sheet.write_number, sheet.write_datetime
        count = 0
        while batch := list(islice(rows, CHUNK)):
            _fill(persons, {row[3] for row in batch}, load_person)
            _fill(places, {row[1] for row in batch}, load_place)
            _fill(areas, {row[2] for row in batch}, load_area)
            _fill(recorders, {row[10] for row in batch}, _users)
            for (at, place, area, person, direction, temperature, verdict, reasons, channel, plate, recorder,
                 corrected) in batch:
                count += 1
                name, id_type, id_number = persons[person]
                moment(count, 0, at.astimezone(zone).replace(tzinfo=None), when)
                string(count, 1, places[place])
                string(count, 2, areas[area])
                string(count, 3, name)
                string(count, 4, id_type)
                string(count, 5, id_number)
                string(count, 6, directions.get(direction) or text(direction))
                if temperature is not None:
                    number(count, 7, float(temperature))
                string(count, 8, verdicts.get(verdict) or text(verdict))
                if reasons:
                    string(count, 9, text("；".join(reasons)))
                string(count, 10, channels.get(channel) or text(channel))
                if plate:
                    string(count, 11, text(plate))
                if recorder:
                    string(count, 12, recorders[recorder])
                if corrected:
                    string(count, 13, _text(corrects % {"id": corrected}))
            ExportJob.objects.filter(pk=job.pk).update(processed_rows=count)
        string(count + 2, 0, _text(_("导出人：%(user)s  时间：%(at)s  共 %(n)d 条  %(what)s") % {
            "user": user.username, "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"), "n": count,
            "what": job.description}))
        book.close()
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        job.file_name = f"passages-{job.pk}-{stamp}.xlsx"
        with open(path, "rb") as fh:
            job.file.save(job.file_name, File(fh), save=False)
    finally:
        os.unlink(path)
    job.status, job.processed_rows, job.finished_at = ExportStatus.DONE, count, timezone.now()
    job.save()
    return count, full
