"""Passage export: any search, as an xlsx written by a background job; scoped, masked, audited.

Rows stream from the database with a server-side cursor as plain tuples (no model instances, no
joins); the names of places, areas, persons and recorders are looked up once per chunk for the ids
not seen yet, and kept as finished cells (neutralised against formulas, escaped), so that each
identity number is decrypted and masked once per person and a row costs little more than joining
its cells. core.xlsx.StreamingSheet writes them in constant memory (bench/checkin.py --export).
Progress goes to the job row after every chunk for the page's progress bar.
"""

import json
import logging
import os
import tempfile
from datetime import datetime
from functools import lru_cache
from itertools import islice

from django.core.files import File
from django.db import transaction
from django.db.models import CharField, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import User
from fangkong.audit import services as audit
from fangkong.core.jobs import heartbeat
from fangkong.core.models import ExportJob, ExportStatus
from fangkong.core.xlsx import StreamingSheet, moment_cell, number_cell, text_cell
from fangkong.people.models import Person
from fangkong.territory.models import Area

from . import search
from .models import Channel, Direction, Passage, Place, Verdict

logger = logging.getLogger(__name__)
KIND = "passages"
CHUNK = 5000  # rows fetched, looked up and written at a time; progress is saved after each
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
    # Only a queued job: a message delivered twice (the broker redelivers after a lost ack), or one for a job
    # given up on (core/jobs.py), is not run.
    if not ExportJob.objects.filter(pk=job.pk, status=ExportStatus.PENDING).update(
            status=ExportStatus.RUNNING, heartbeat_at=timezone.now()):
        job.refresh_from_db()
        return job
    user = job.created_by
    try:
        with heartbeat(ExportJob, job.pk):
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
# The time and the reasons come as text: the driver's timestamp parser (Python) and JSON decoding on every
# row took a quarter of the export; datetime.fromisoformat and decoding each distinct reasons once do not.
COLUMNS = (Cast("at", CharField()), "place_id", "area_id", "person_id", "direction", "temperature", "verdict",
           Cast("reasons", TextField()), "channel", "vehicle_plate", "recorder_id", "corrects_id")
WIDTHS = {0: 19, 1: 24, 2: 14, 3: 10, 5: 20, 9: 30}


def _labels(choices) -> dict:
    """get_FOO_display() for every value at once, in the job's language (unknown values show as they are)."""
    return {value: text_cell(label) for value, label in choices}


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
            yield person.pk, (text_cell(person.name), id_types.get(person.id_type) or text_cell(person.id_type),
                              text_cell(number))
    return load


def _names(model, *fields):
    def load(ids):
        return ((pk, text_cell(name)) for pk, name in model._base_manager.filter(pk__in=ids).values_list("pk", *fields))
    return load


def _users(ids):
    return ((user.pk, text_cell(user)) for user in User._base_manager.filter(pk__in=ids))


def _write(job: ExportJob, user) -> tuple[int, bool]:
    full = user.may_see_full_numbers()
    passages = search.search_passages(user, **search.params_from_export(job.params))
    job.total_rows = passages.count()
    job.save(update_fields=["total_rows"])
    rows = passages.values_list(*COLUMNS).iterator(chunk_size=CHUNK)
    zone = timezone.get_current_timezone()
    directions, verdicts, channels = _labels(Direction.choices), _labels(Verdict.choices), _labels(Channel.choices)
    corrects = _("更正第 %(id)d 条")
    persons, places, areas, recorders = {}, {}, {}, {}
    load_person = _person_cells(full)
    load_place, load_area = _names(Place, "name"), _names(Area, "name")
    # Plates and reasons: few distinct values, each made into a cell once.
    text = lru_cache(NUMBER_CACHE)(text_cell)

    @lru_cache(NUMBER_CACHE)
    def reasons_cell(stored: str):
        reasons = json.loads(stored) if stored else None
        return text_cell("；".join(reasons)) if reasons else None

    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        sheet = StreamingSheet(path, str(_("出入记录")), WIDTHS, header=True)
        sheet.append([text_cell(title) for title in (
            _("时间"), _("场所"), _("社区/村"), _("姓名"), _("证件类型"), _("证件号码"), _("方向"), _("体温（℃）"),
            _("结果"), _("原因"), _("方式"), _("车牌"), _("登记人"), _("更正记录"))])
        count = 0
        while batch := list(islice(rows, CHUNK)):
            _fill(persons, {row[3] for row in batch}, load_person)
            _fill(places, {row[1] for row in batch}, load_place)
            _fill(areas, {row[2] for row in batch}, load_area)
            _fill(recorders, {row[10] for row in batch}, _users)
            for (at, place, area, person, direction, temperature, verdict, reasons, channel, plate, recorder,
                 corrected) in batch:
                at = datetime.fromisoformat(at)  # text with its UTC offset (COLUMNS casts it)
                sheet.append((
                    moment_cell(at.astimezone(zone).replace(tzinfo=None)), places[place], areas[area],
                    *persons[person], directions.get(direction) or text(direction),
                    None if temperature is None else number_cell(float(temperature)),
                    verdicts.get(verdict) or text(verdict), reasons_cell(reasons),
                    channels.get(channel) or text(channel), text(plate) if plate else None,
                    recorders[recorder] if recorder else None,
                    text_cell(corrects % {"id": corrected}) if corrected else None))
            count += len(batch)
            ExportJob.objects.filter(pk=job.pk).update(processed_rows=count)
        sheet.end_table()  # the footer below stays out of the filter
        sheet.append([])
        sheet.append([text_cell(_("导出人：%(user)s  时间：%(at)s  共 %(n)d 条  %(what)s") % {
            "user": user.username, "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"), "n": count,
            "what": job.description})])
        sheet.close()
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        job.file_name = f"passages-{job.pk}-{stamp}.xlsx"
        with open(path, "rb") as fh:
            job.file.save(job.file_name, File(fh), save=False)
    finally:
        os.unlink(path)
    job.status, job.processed_rows, job.finished_at = ExportStatus.DONE, count, timezone.now()
    job.save()
    return count, full
