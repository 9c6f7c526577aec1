"""An import runs through a real Celery worker process and a real broker (Redis), not eagerly."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from fangkong.accounts.models import User
from fangkong.core.models import ImportJob, JobStatus
from fangkong.core.tasks import run_import
from fangkong.territory.importer import TerritoryImporter
from fangkong.territory.models import Household


def territory_file() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([str(column) for column in TerritoryImporter.columns])
    for room in ("101", "102", "201"):
        sheet.append(["工作区", "北街道", "北社区", "", "北小区", "1号楼", "1单元", room, room[0], ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_job_runs_in_a_celery_worker(celery_worker):
    admin = User.objects.create_superuser("worker_admin", password="x-Very-long-pass-1")
    job = ImportJob.objects.create(kind="territory", created_by=admin, file_name="t.xlsx",
                                   file=SimpleUploadedFile("t.xlsx", territory_file()))
    output = celery_worker(run_import, job.pk, job)
    assert job.status == JobStatus.DONE, output
    assert Household.objects.filter(address__startswith="北小区1号楼1单元").count() == 3
