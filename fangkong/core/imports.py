"""All-or-nothing spreadsheet imports run as jobs (NetBox's bulk import, as a Celery task).

An importer is registered under a kind; it gets the rows, reports progress, returns errors for
bad rows, and saves only when there are none, inside one transaction.
"""

import io

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from fangkong.audit import services as audit
from fangkong.audit.context import acting_as
from fangkong.audit.models import AuditAction

from .models import ImportJob, JobStatus
from .xlsx import check_upload, read_rows, safe_cell

IMPORTERS = {}
PROGRESS_EVERY = 500


def importer(kind):
    """Register `cls` as the importer of `kind`.

    `cls(user)` has `columns`, `example_rows`, `validate(header, body, errors, progress)` returning what
    `save(valid)` writes; `save` returns a summary dict of counts.
    """

    def register(cls):
        IMPORTERS[kind] = cls
        return cls

    return register


def column_positions(header, columns) -> tuple[dict, list[str]]:
    """{key: position} of `columns` ([(key, lazy label)]) in the header row, and the labels missing.

    A header may be in any of the site's languages: the template the user downloaded was in theirs,
    while the import runs in a worker that speaks the default one.
    """
    from django.conf import settings
    from django.utils import translation

    from .xlsx import cell_text

    cells = [cell_text(h) for h in header]
    positions, missing = {}, []
    for key, label in columns:
        names = set()
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(str(label))
        found = next((i for i, cell in enumerate(cells) if cell in names), None)
        if found is None:
            missing.append(str(label))
        else:
            positions[key] = found
    return positions, missing


class RowErrors:
    def __init__(self):
        self.items = []

    def add(self, row_number, column, message):
        # Column labels and messages may be lazy translations; the job stores them as JSON text.
        self.items.append([row_number, str(column), str(message)])

    def __bool__(self):
        return bool(self.items)


def start_import(kind, upload, user) -> ImportJob:
    """Check the upload, store it and queue the job; bad files are refused before anything is stored."""
    check_upload(upload)
    job = ImportJob.objects.create(kind=kind, created_by=user, file=upload, file_name=upload.name[:255])
    from .tasks import run_import

    transaction.on_commit(lambda: run_import.delay(job.pk))
    return job


def run(job: ImportJob):
    job.status = JobStatus.RUNNING
    job.save(update_fields=["status"])
    handler = IMPORTERS[job.kind](job.created_by)
    try:
        with job.file.open("rb") as fh:
            rows = read_rows(io.BytesIO(fh.read()))
    except Exception as exc:
        return _finish(job, JobStatus.FAILED, [[0, "", " ".join(getattr(exc, "messages", [str(exc)]))]])
    header = rows[0] if rows else []
    # (Excel row number, cells): the header is row 1; blank rows are skipped but keep the numbering.
    body = [(number, row) for number, row in enumerate(rows[1:], start=2)
            if any(cell not in (None, "") for cell in row)]
    job.total_rows = len(body)
    job.save(update_fields=["total_rows"])
    errors = RowErrors()
    valid = handler.validate(header, body, errors, lambda done: _progress(job, done))
    if not body and not errors:
        errors.add(0, "", _("文件中没有数据行"))
    if errors:
        return _finish(job, JobStatus.FAILED, errors.items)
    with transaction.atomic(), acting_as(job.created_by):
        summary = handler.save(valid)
        audit.record(AuditAction.IMPORT, job, actor=job.created_by, object_repr=job.file_name,
                     changes={"kind": job.kind, "rows": len(body), **summary})
    job.summary = summary
    return _finish(job, JobStatus.DONE, [])


def _progress(job, done):
    if done % PROGRESS_EVERY == 0 or done == job.total_rows:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done)


def _finish(job, status, errors):
    job.status, job.errors, job.finished_at = status, errors, timezone.now()
    job.processed_rows = job.total_rows
    job.save()
    return job


def error_report(job: ImportJob) -> bytes:
    """The rows' errors as an xlsx the user can fix against (行号, 列, 错误)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("错误"))
    sheet.append([_("行号"), _("列"), _("错误")])
    for row_number, column, message in job.errors:
        sheet.append([row_number, safe_cell(column), safe_cell(message)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template(columns, example_rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("导入模板")
    sheet.append([str(c) for c in columns])
    for row in example_rows:
        sheet.append(row)
    for index, _column in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = 16
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
