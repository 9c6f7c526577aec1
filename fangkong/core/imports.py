"""All-or-nothing spreadsheet imports run as jobs (NetBox's bulk import, as a Celery task).

An importer is registered under a kind; it gets the rows, reports progress, returns errors for
bad rows, and saves only when there are none, inside one transaction.
"""

import datetime
import io
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction

from .identity import mask_numbers
from .jobs import heartbeat
from .models import ImportJob, JobStatus
from .xlsx import Sheet, cell_text, check_upload, read_rows, write_workbook

IMPORTERS = {}
PROGRESS_EVERY = 500


def importer(kind, permission):
    """Register `cls` as the importer of `kind`, which users with `permission` ("app.codename") may start.

    `cls(user)` has `columns`, `example_rows`, `validate(header, body, errors, progress)` returning what
    `save(valid)` writes; `save` returns a summary dict of counts; `accepts_csv = True` lets a kind take .csv
    files too. Optionally `header_aliases` ({key: [other names]}) helps find the header row under title rows,
    and `notes` (set by validate) says how the file was read, on the job's page. Before validate, run() sets
    `job` and `header_row` (the header's row number) on the instance. The permission is the one place that
    says who may import a kind: the kind's pages (`import_required`) and the API (fangkong/core/api_imports.py)
    both read it.
    """

    def register(cls):
        IMPORTERS[kind] = cls
        cls.import_permission = permission
        return cls

    return register


def generic_kinds() -> set[str]:
    """The kinds /api/imports/ starts from a kind and a file alone (an importer with `generic = False` needs more,
    given on its own page or endpoint)."""
    return {kind for kind, cls in IMPORTERS.items() if getattr(cls, "generic", True)}


def may_import(user, kind) -> bool:
    """Whether `user` may start an import of `kind` (a registered importer and its permission)."""
    handler = IMPORTERS.get(kind)
    if handler is None or not getattr(user, "is_active", False):
        return False
    return user.has_perm(handler.import_permission)


def import_required(kind):
    """View decorator for the pages of an import (upload, template): signed in, and allowed by `may_import`."""

    def decorate(view):
        @wraps(view)
        def allowed(request, *args, **kwargs):
            if not may_import(request.user, kind):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(allowed)

    return decorate


# Other names the communities' own ledgers give a column, by the column's (Chinese) template label.
# column_positions applies them to every importer whose template uses that label.
HEADER_ALIASES = {
    "证件号码": ["身份证号", "身份证号码", "公民身份号码", "身份证", "证件号", "居民身份证号码", "身份证件号码"],
    "手机号": ["联系电话", "电话", "手机", "手机号码", "联系方式", "电话号码"],
    "与户主关系": ["户主关系", "与户主的关系", "家庭关系"],
    "地址": ["现住址", "住址", "家庭住址", "居住地址", "详细地址"],
    "人口类型": ["人员类型", "人口类别", "人员类别", "户籍类型"],
    "社区/村": ["社区", "村", "社区（村）", "所属社区"],
    "小区/楼院": ["小区", "楼院", "小区名称"],
    "门牌/房号": ["房号", "门牌号", "门牌", "户号", "房间号", "门牌号码", "室"],
    "楼栋": ["楼号", "楼栋号", "栋", "楼", "幢"],
    "单元": ["单元号"],
    "返回日期": ["返乡日期", "返回时间", "来返日期", "返郑日期"],
    "从何地返回": ["返回地", "来源地", "从何处返回", "返回地点"],
    "工作单位": ["单位", "工作单位/学校", "就业单位"],
    "疫苗接种剂次": ["疫苗剂次", "接种剂次", "新冠疫苗接种剂次", "疫苗接种情况"],
    "证件类型": ["证件种类"],
    "姓名": ["名字", "人员姓名"],
    "网格": ["所属网格", "网格名称"],
}


def header_name(cell) -> str:
    """A header cell as compared: no spaces or line breaks, no required-field star, ASCII brackets."""
    text = cell_text(cell)
    for mark in (" ", "\u3000", "\n", "\r", "*", "＊", ":", "："):
        text = text.replace(mark, "")
    return text.replace("(", "（").replace(")", "）")


def _label_names(label) -> set[str]:
    """A column's template label as compared, in each of the site's languages."""
    from django.conf import settings
    from django.utils import translation

    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(header_name(str(label)))
    return names


def _other_names(names, extra=()) -> set[str]:
    """The other names of a column whose template names are `names` (HEADER_ALIASES, then `extra`)."""
    other = {header_name(alias) for name in names for alias in HEADER_ALIASES.get(name, [])}
    return other | {header_name(alias) for alias in extra}


def column_positions(header, columns, aliases=None) -> tuple[dict, list[str]]:
    """{key: position} of `columns` ([(key, lazy label)]) in the header row, and the labels missing.

    A header may be in any of the site's languages: the template the user downloaded was in theirs,
    while the import runs in a worker that speaks the default one. A column is also found under the
    other names of HEADER_ALIASES and of `aliases` ({key: [names]}), the template's own name first.
    """
    cells = [header_name(h) for h in header]
    positions, missing = {}, []
    for key, label in columns:
        names = _label_names(label)
        other = _other_names(names, (aliases or {}).get(key, []))
        found = next((i for i, cell in enumerate(cells) if cell in names), None)
        if found is None:
            found = next((i for i, cell in enumerate(cells) if cell in other and i not in positions.values()), None)
        if found is None:
            missing.append(str(label))
        else:
            positions[key] = found
    return positions, missing


def renamed_columns(header, positions, columns) -> list[str]:
    """A note for each column found under another name than the template's: 列“身份证号” → 证件号码."""
    labels = dict(columns)
    return [_("列“%(name)s” → %(column)s") % {"name": cell_text(header[i]), "column": labels[key]}
            for key, i in sorted(positions.items(), key=lambda item: item[1])
            if header_name(header[i]) not in _label_names(labels[key])]


HEADER_SCAN = 10  # title rows, a blank row, a 填表单位 row... above the header: it is looked for this far down


def find_header(rows, labels, aliases=None) -> int:
    """Index of the header row among the first HEADER_SCAN `rows`: the first one where enough of the column
    names (`labels`, their other names and `aliases`' lists) are recognised, else the one with the most, else 0.

    Real ledgers put a merged title (XX社区居民信息登记台账（2022年3月）), a blank row or a 填表单位/日期 row above
    the header.
    """
    known = set()
    for label in labels:
        names = _label_names(label)
        known |= names | _other_names(names)
    known |= {header_name(name) for names in (aliases or {}).values() for name in names}
    counts = [len({header_name(cell) for cell in row} & known) for row in rows[:HEADER_SCAN]]
    enough = min(3, len(labels))
    first = next((i for i, count in enumerate(counts) if count >= enough), None)
    if first is not None:
        return first
    best = max(counts, default=0)
    return counts.index(best) if best else 0


class ValueNotes:
    """Counts of cell values read as one of a column's choices under another name (“租户” → 流动人口), as notes."""

    def __init__(self):
        self.counts = {}

    def add(self, column, text, label):
        key = (str(column), text, str(label))
        self.counts[key] = self.counts.get(key, 0) + 1

    def notes(self) -> list[str]:
        return [_("%(column)s：“%(text)s” → %(label)s（%(n)d 行）") % {"column": column, "text": text, "label": label,
                                                                    "n": n}
                for (column, text, label), n in self.counts.items()]


class RowErrors:
    def __init__(self):
        self.items = []

    def add(self, row_number, column, message):
        # Column labels and messages may be lazy translations; the job stores them as JSON text.
        self.items.append([row_number, str(column), str(message)])

    def __bool__(self):
        return bool(self.items)


def upload_page(request, kind, form, template_name, context=None, *, start=None):
    """The upload page of an import: a valid file starts the job and goes to its page; a refused one (bad form,
    bomb, wrong type) shows why on the form with status 400. `start(cleaned_data)` replaces the default start
    when the form asks for more than the file (the ledger's area)."""
    if request.method == "POST" and form.is_valid():
        try:
            job = (start(form.cleaned_data) if start
                   else start_import(kind, form.cleaned_data["file"], request.user))
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect(job)
    return render(request, template_name, {"form": form, **(context or {})}, status=400 if form.errors else 200)


def start_import(kind, upload, user) -> ImportJob:
    """Check the upload, store it and queue the job; bad files are refused before anything is stored."""
    check_upload(upload, allow_csv=getattr(IMPORTERS.get(kind), "accepts_csv", False))
    job = ImportJob.objects.create(kind=kind, created_by=user, file=upload, file_name=upload.name[:255])
    from .tasks import run_import

    transaction.on_commit(lambda: run_import.delay(job.pk))
    return job


def run(job: ImportJob):
    """The task's body. Only a queued job is run (a message delivered twice, or for a job given up on, is not),
    with a heartbeat while it runs (core/jobs.py)."""
    now = timezone.now()
    if not ImportJob.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(status=JobStatus.RUNNING,
                                                                                  heartbeat_at=now):
        job.refresh_from_db()
        return job
    job.status, job.heartbeat_at = JobStatus.RUNNING, now
    with heartbeat(ImportJob, job.pk):
        return _run(job)


def _run(job: ImportJob):
    handler = IMPORTERS[job.kind](job.created_by)
    try:
        with job.file.open("rb") as fh:
            rows = read_rows(io.BytesIO(fh.read()), csv=job.file_name.lower().endswith(".csv"))
    except Exception as exc:
        return _finish(job, JobStatus.FAILED, [[0, "", " ".join(getattr(exc, "messages", [str(exc)]))]])
    at = find_header(rows, handler.columns, getattr(handler, "header_aliases", None))
    header = rows[at] if rows else []
    # What the importer may read besides the rows: its job (options chosen on the import page) and the
    # header's row number (row 1 unless title rows are above it), for errors about the header.
    handler.job, handler.header_row = job, at + 1
    # (Excel row number, cells): rows above the header are not data; blank rows are skipped but keep the numbering.
    body = [(number, row) for number, row in enumerate(rows[at + 1:], start=at + 2)
            if any(cell not in (None, "") for cell in row)]
    job.total_rows = len(body)
    job.save(update_fields=["total_rows"])
    errors = RowErrors()
    valid = handler.validate(header, body, errors, lambda done: _progress(job, done))
    if not body and not errors:
        errors.add(0, "", _("文件中没有数据行"))
    # How the file was read where it differs from the template (列“身份证号” → 证件号码, “租户” → 流动人口),
    # shown on the job's page whether it failed or not.
    notes = {"notes": [str(note) for note in handler.notes]} if getattr(handler, "notes", None) else {}
    if errors:
        job.summary = notes
        return _finish(job, JobStatus.FAILED, errors.items)
    with transaction.atomic():
        # Locked while saving, so that fail_stale_jobs leaves it alone; given up on already: nothing is saved.
        if not ImportJob.objects.select_for_update().filter(pk=job.pk, status=JobStatus.RUNNING).exists():
            job.refresh_from_db()
            return job
        summary = handler.save(valid)
        audit.record(AuditAction.IMPORT, job, actor=job.created_by, object_repr=job.file_name,
                     changes={"kind": job.kind, "rows": len(body), **summary, **notes})
        job.summary = {**summary, **notes}
        # Valid rows an importer chose not to import (e.g. persons not found) are listed on the finished job's
        # page and downloadable, in `errors`: [[row number, what, why]], under the importer's skipped_header.
        skipped = [[number, str(what), str(why)] for number, what, why in getattr(handler, "skipped", [])]
        return _finish(job, JobStatus.DONE, skipped)


def _progress(job, done):
    if done % PROGRESS_EVERY == 0 or done == job.total_rows:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, heartbeat_at=timezone.now())


def _finish(job, status, errors):
    # Messages and notes may quote a cell (a number in the wrong column): what is stored keeps no number whole.
    errors = [[number, mask_numbers(column), mask_numbers(message)] for number, column, message in errors]
    if job.summary.get("notes"):
        job.summary["notes"] = [mask_numbers(note) for note in job.summary["notes"]]
    job.status, job.errors, job.finished_at = status, errors, timezone.now()
    job.processed_rows = job.total_rows
    job.save()
    return job


def skipped_labels(job: ImportJob):
    """Title and column labels of a finished job's rows that were valid but not imported."""
    handler = IMPORTERS.get(job.kind)
    return (getattr(handler, "skipped_title", _("未导入")),
            getattr(handler, "skipped_header", [_("行号"), _("列"), _("原因")]))


def error_report(job: ImportJob) -> bytes:
    """The rows' errors as an xlsx the user can fix against (行号, 列, 错误)."""
    if job.status == JobStatus.DONE:  # a finished job's rows are the ones it did not import
        title, header = skipped_labels(job)
    else:
        title, header = _("错误"), [_("行号"), _("列"), _("错误")]
    widths = [8, 16, 60]
    return _workbook(Sheet(str(title), [(str(label), widths[n] if n < 3 else 16) for n, label in enumerate(header)],
                           job.errors))


def template(columns, example_rows) -> bytes:
    return _workbook(Sheet(_("导入模板"), [(str(column), 16) for column in columns], example_rows, filter=False))


def _workbook(sheet: Sheet) -> bytes:
    out = io.BytesIO()
    write_workbook(out, [sheet])
    return out.getvalue()


def template_response(handler, filename):
    """The importer's template (header and example rows) as a download named in the user's language
    (台账导入模板.xlsx; RFC 5987 filename* so that browsers keep the Chinese)."""
    from django.http import HttpResponse

    return xlsx_download(HttpResponse, template(handler.columns, handler.example_rows), filename)


def xlsx_download(response_class, content, filename):
    """An xlsx download whose Chinese filename survives every browser (filename*=utf-8'')."""
    from django.utils.http import content_disposition_header

    response = response_class(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


FAILED_DAYS = 7


def todos(user) -> list:
    """待办 of imports: the user's own imports of the last week that stopped on errors (one query)."""
    from django.db.models import Count, Max

    from .todo import Todo

    since = timezone.now() - datetime.timedelta(days=FAILED_DAYS)
    failed = ImportJob.objects.filter(created_by=user, status=JobStatus.FAILED, created_at__gte=since).aggregate(
        n=Count("pk"), newest=Max("pk"))
    if not failed["n"]:
        return []
    return [Todo("imports_failed", _("%(n)d 个导入有错误，未导入（近 %(days)d 天），请修改后重新导入") % {
        "n": failed["n"], "days": FAILED_DAYS}, ImportJob(pk=failed["newest"]).get_absolute_url(), failed["n"])]
