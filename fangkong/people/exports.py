"""Person export as a background job: scoped to the viewer, masked unless the role may see full
numbers, audited, every text cell safe against formulas. The page shows its progress."""

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
from fangkong.core.identity import mask_search
from fangkong.core.models import ExportJob, ExportStatus
from fangkong.core.xlsx import XLSXWRITER_OPTIONS

from . import services
from .models import Person

logger = logging.getLogger(__name__)
KIND = "persons"
CHUNK = 2000


def start_export(user, filters: dict) -> ExportJob:
    """Store the search and queue the job. A number searched for is kept as the matching person ids
    (resolved now, in the user's scope) and shown masked: the job row never holds it in clear."""
    params = dict(filters)
    loggable = _loggable(filters)
    if loggable.get("q") != filters.get("q"):
        params["q"] = loggable["q"]  # masked: only for the audit row; the ids do the filtering
        params["ids"] = list(services.filter_persons(user, filters).values_list("pk", flat=True)[:100_000])
    description = _describe(loggable) or _("全部人员")
    job = ExportJob.objects.create(kind=KIND, created_by=user, params=params, description=description[:300])
    from .tasks import run_person_export

    transaction.on_commit(lambda: run_person_export.delay(job.pk))
    return job


def run(job: ExportJob) -> ExportJob:
    if job.finished:  # delivered twice
        return job
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    user = job.created_by
    try:
        with acting_as(user):
            count, full = _write(job, user)
            filters = {k: v for k, v in job.params.items() if k != "ids"}
            audit.log_export(user, Person._meta.label, count, {**_loggable(filters), "full_numbers": full})
    except Exception as exc:  # the page says it failed; the log keeps the traceback
        logger.exception("export %s failed", job.pk)
        job.status, job.error, job.finished_at = ExportStatus.FAILED, str(exc)[:2000], timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
    return job


def _write(job: ExportJob, user) -> tuple[int, bool]:
    full = user.may_see_full_numbers()
    persons = services.filter_persons(user, job.params)
    job.total_rows = persons.count()
    job.save(update_fields=["total_rows"])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        # Text stays text, "=..." too: no URL, formula or number guessing (core/xlsx.py).
        book = xlsxwriter.Workbook(path, {"constant_memory": True, **XLSXWRITER_OPTIONS})
        sheet = book.add_worksheet(_("人员"))
        header = [_("姓名"), _("性别"), _("出生日期"), _("证件类型"), _("证件号码"), _("手机号"), _("社区/村"),
                  _("住址"), _("与户主关系"), _("人口类型"), _("返回日期"), _("从何地返回"), _("工作单位"),
                  _("疫苗接种剂次")]
        sheet.write_row(0, 0, header)
        rows = persons.select_related("area", "household").order_by("pk")
        count = 0
        for count, person in enumerate(rows.iterator(chunk_size=CHUNK), start=1):
            id_number = person.id_number if full else person.id_number_masked
            phone = person.phone if full else person.phone_masked
            sheet.write_row(count, 0, (
                person.name, person.get_sex_display(), person.birth_date.isoformat() if person.birth_date else "",
                person.get_id_type_display(), id_number, phone, person.area.name,
                person.household.address if person.household else "", person.get_household_role_display(),
                person.get_residency_display(), person.returned_on.isoformat() if person.returned_on else "",
                person.returned_from, person.workplace, person.vaccine_doses))
            if count % CHUNK == 0:
                ExportJob.objects.filter(pk=job.pk).update(processed_rows=count)
        sheet.write(count + 2, 0, _("导出人：%(user)s  时间：%(at)s  共 %(n)d 人") % {
            "user": user.username, "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"), "n": count})
        book.close()
        job.file_name = f"persons-{job.pk}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
        with open(path, "rb") as fh:
            job.file.save(job.file_name, File(fh), save=False)
    finally:
        os.unlink(path)
    job.status, job.processed_rows, job.finished_at = ExportStatus.DONE, count, timezone.now()
    job.save()
    return count, full


def _describe(filters: dict) -> str:
    """The search as people read it: 搜索 4109**********1234，幸福里社区，女."""
    from fangkong.territory.models import Area

    from .models import Sex, Tag

    parts = []
    if filters.get("q"):
        parts.append(_("搜索 %(q)s") % {"q": filters["q"]})
    if str(filters.get("area", "")).isdigit():
        parts.append(str(Area.objects.filter(pk=filters["area"]).values_list("name", flat=True).first() or ""))
    if filters.get("sex") in Sex.values:
        parts.append(str(Sex(filters["sex"]).label))
    if filters.get("tag"):
        parts.append(str(Tag.objects.filter(code=filters["tag"]).values_list("name", flat=True).first() or ""))
    return "，".join(part for part in parts if part)


def _loggable(filters: dict) -> dict:
    """The filters as the audit log keeps them: a number searched for is masked as on screen."""
    return {**filters, "q": mask_search(str(filters["q"]))} if filters.get("q") else filters
