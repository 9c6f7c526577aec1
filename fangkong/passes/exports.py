"""Passage export: any search, as an xlsx written by a background job; scoped, masked, audited.

Rows stream from the database with a server-side cursor into XlsxWriter's constant-memory mode, so
a million passages cost about what one chunk costs. Progress goes to the job row every few
thousand rows for the page's progress bar.
"""

import logging
import os
import tempfile

import xlsxwriter
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.audit.context import acting_as
from fangkong.core.models import ExportJob, ExportStatus
from fangkong.core.xlsx import safe_cell

from . import search
from .models import Passage

logger = logging.getLogger(__name__)
KIND = "passages"
CHUNK = 2000
PROGRESS_EVERY = 2000
NUMBER_CACHE = 50_000


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


def _write(job: ExportJob, user) -> tuple[int, bool]:
    full = user.may_see_full_numbers()
    passages = search.search_passages(user, **search.params_from_export(job.params))
    job.total_rows = passages.count()
    job.save(update_fields=["total_rows"])
    rows = passages.select_related("person", "place", "area", "recorder").iterator(chunk_size=CHUNK)
    numbers = {}  # person id -> the identity number as written (decrypting is the costly part)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": os.path.dirname(path)})
        sheet = book.add_worksheet(_("出入记录"))
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        header = [_("时间"), _("场所"), _("社区/村"), _("姓名"), _("证件类型"), _("证件号码"), _("方向"),
                  _("体温（℃）"), _("结果"), _("原因"), _("方式"), _("车牌"), _("登记人"), _("更正记录")]
        sheet.write_row(0, 0, [str(h) for h in header])
        for width, column in ((19, 0), (24, 1), (14, 2), (10, 3), (20, 5), (30, 9)):
            sheet.set_column(column, column, width)
        count = 0
        for count, passage in enumerate(rows, start=1):
            person = passage.person
            number = numbers.get(person.pk)
            if number is None:
                number = person.id_number if full else person.id_number_masked
                if len(numbers) < NUMBER_CACHE:
                    numbers[person.pk] = number
            sheet.write_datetime(count, 0, timezone.localtime(passage.at).replace(tzinfo=None), when)
            sheet.write_row(count, 1, [safe_cell(value) for value in (
                passage.place.name, passage.area.name, person.name, person.get_id_type_display(), number,
                passage.get_direction_display())])
            if passage.temperature is not None:
                sheet.write_number(count, 7, float(passage.temperature))
            sheet.write_row(count, 8, [safe_cell(value) for value in (
                passage.get_verdict_display(), "；".join(passage.reasons or []), passage.get_channel_display(),
                passage.vehicle_plate, str(passage.recorder) if passage.recorder else "",
                _("更正第 %(id)d 条") % {"id": passage.corrects_id} if passage.corrects_id else "")])
            if count % PROGRESS_EVERY == 0:
                ExportJob.objects.filter(pk=job.pk).update(processed_rows=count)
        sheet.write(count + 2, 0, safe_cell(_("导出人：%(user)s  时间：%(at)s  共 %(n)d 条  %(what)s") % {
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
