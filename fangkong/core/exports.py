"""One export pipeline for every app: start, run in Celery, progress, file, expiry, audit, owner-only download.

An app registers a kind of export and supplies only its columns and rows:

    @exports.register("persons", title=_("人员"), permission="people.export_person", model=Person,
                      columns=[(_("姓名"), 10), ...], params=person_params, describe=..., logged=...)
    def person_rows(user, params) -> exports.Rows:
        persons = filter_persons(user, params)           # the user's scope, always
        return exports.Rows(persons.count(), ((p.name, ...) for p in persons.iterator()))

`start(kind, user, data)` checks the permission, turns the request's data into the job's params (the kind's
`params`, which may refuse them with a ValidationError) and queues `core.tasks.run_export` once the job row is
committed. The task asks the kind for its rows, streams them into one xlsx (core.xlsx.write_workbook) while the
job row counts them for the page's progress bar, stores the file, and writes the audit row. The status page
and the download (core.views, api_exports) are the creator's only; the file expires after
FANGKONG_EXPORT_RETENTION_HOURS (purge_retention deletes it). In the spirit of Saleor's export files.
"""

import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit import services as audit

from .jobs import heartbeat
from .models import ExportJob, ExportStatus
from .xlsx import Sheet, write_workbook

logger = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 5000  # progress is saved after this many rows


@dataclass
class Rows:
    """What a kind's function returns: how many rows there are (counted first, for the progress bar and the
    footer) and the rows themselves, streamed; or, for a workbook of several sheets, the sheets instead.
    `audit` is added to the audit row's filters (whether full numbers were exported, say)."""

    total: int
    rows: Iterable[Sequence] = ()
    sheets: list[Sheet] | None = None
    audit: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ExportKind:
    name: str
    title: str  # what is exported, as the job page says it: 导出<title>
    permission: tuple  # every one needed to start it (and still held when it runs)
    model: type  # the audit row's object type
    columns: tuple  # ((title, width), ...) of a one-sheet export
    rows: Callable  # (user, params) -> Rows
    params: Callable  # (user, data) -> params to store (JSON); may raise ValidationError
    describe: Callable  # (user, params) -> the search in words, for the page and the footer
    logged: Callable  # params -> the filters as the audit row keeps them (no number in clear)
    footer: bool  # a line under the table: who exported, when, how many rows, what
    file_name: Callable  # (job) -> the download's name

    def allowed(self, user) -> bool:
        return user.is_active and user.has_perms(self.permission)


KINDS: dict[str, ExportKind] = {}


def _no_params(user, data) -> dict:
    return {}


def register(name: str, *, title, permission, model, columns=(), params=_no_params,
             describe=lambda user, params: "", logged=lambda params: dict(params), footer=True, file_name=None):
    """Register the decorated function (user, params) -> Rows as the export `name`."""
    def decorate(rows):
        permissions = (permission,) if isinstance(permission, str) else tuple(permission)
        KINDS[name] = ExportKind(
            name=name, title=title, permission=permissions, model=model, columns=tuple(columns), rows=rows,
            params=params, describe=describe, logged=logged, footer=footer,
            file_name=file_name or (lambda job: f"{name}-{job.pk}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"))
        return rows
    return decorate


def start(name: str, user, data) -> ExportJob:
    """A job for the export `name` of what `data` asks for (a request's GET, POST or JSON), queued once the job
    row is committed. PermissionDenied without the kind's permission; ValidationError for bad data."""
    kind = KINDS[name]
    if not kind.allowed(user):
        raise PermissionDenied
    params = kind.params(user, data)
    job = ExportJob.objects.create(kind=name, created_by=user, params=params,
                                   description=str(kind.describe(user, params))[:300])
    from .tasks import run_export

    transaction.on_commit(lambda: run_export.delay(job.pk))
    return job


def download(job: ExportJob) -> FileResponse:
    """The job's file, while it has not expired (the caller has checked that the job is the user's own)."""
    if not job.downloadable:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file_name, content_type=XLSX)


def run(job: ExportJob) -> ExportJob:
    """The task's body: write the file and the audit row, or mark the job failed with the reason."""
    # Only a queued job: a message delivered twice (the broker redelivers after a lost ack), or one for a job
    # given up on (core/jobs.py), is not run.
    if not ExportJob.objects.filter(pk=job.pk, status=ExportStatus.PENDING).update(
            status=ExportStatus.RUNNING, heartbeat_at=timezone.now()):
        job.refresh_from_db()
        return job
    kind, user = KINDS[job.kind], job.created_by
    try:
        if not kind.allowed(user):  # the role changed since the job was asked for
            raise PermissionDenied(_("您已没有导出%(what)s的权限") % {"what": kind.title})
        with heartbeat(ExportJob, job.pk):
            count, extra = _write(job, kind, user)
            audit.log_export(user, kind.model._meta.label, count, {**kind.logged(job.params), **extra, "job": job.pk})
    except Exception as exc:  # the page says it failed; the log keeps the traceback
        logger.exception("export %s failed", job.pk)
        job.status, job.error, job.finished_at = ExportStatus.FAILED, str(exc)[:2000], timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
    return job


def _counted(job: ExportJob, rows: Iterable, done: list) -> Iterable:
    """The rows as they are written, saving the progress every CHUNK rows; done[0] ends as their number."""
    for row in rows:
        yield row
        done[0] += 1
        if done[0] % CHUNK == 0:
            ExportJob.objects.filter(pk=job.pk).update(processed_rows=done[0])


def _footer(job: ExportJob, user, total: int) -> str:
    text = _("导出人：%(user)s  时间：%(at)s  共 %(n)d 条") % {
        "user": user.username, "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"), "n": total}
    return f"{text}  {job.description}" if job.description else text


def _write(job: ExportJob, kind: ExportKind, user) -> tuple[int, dict]:
    output = kind.rows(user, job.params)
    job.total_rows = output.total
    job.save(update_fields=["total_rows"])
    done = [0]
    if output.sheets is None:
        sheets = [Sheet(str(kind.title), kind.columns, _counted(job, output.rows, done),
                        footer=_footer(job, user, output.total) if kind.footer else "")]
    else:
        sheets, done[0] = output.sheets, output.total
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        write_workbook(path, sheets)
        if done[0] != output.total:  # rows came or went between the count and the read
            logger.warning("export %s: counted %d rows, wrote %d", job.pk, output.total, done[0])
        job.file_name = kind.file_name(job)
        with open(path, "rb") as fh:
            job.file.save(f"{kind.name}-{job.pk}.xlsx", File(fh), save=False)
    finally:
        os.unlink(path)
    job.status, job.processed_rows, job.finished_at = ExportStatus.DONE, done[0], timezone.now()
    job.save()
    return done[0], output.audit
