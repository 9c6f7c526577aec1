"""An import runs through a real Celery worker process and a real broker (Redis), not eagerly."""

import io
import os
import subprocess
import sys
import time

import pytest
from celery.result import EagerResult
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from openpyxl import Workbook

from fangkong.accounts.models import User
from fangkong.celery import app as celery_app
from fangkong.core.models import ImportJob, JobStatus
from fangkong.core.tasks import run_import
from fangkong.territory.importer import TerritoryImporter
from fangkong.territory.models import Household

BROKER = os.getenv("FANGKONG_TEST_BROKER_URL", "")


def territory_file() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([str(column) for column in TerritoryImporter.columns])
    for room in ("101", "102", "201"):
        sheet.append(["工作区", "北街道", "北社区", "", "北小区", "1号楼", "1单元", room, room[0], ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.skipif(not BROKER, reason="FANGKONG_TEST_BROKER_URL is not set (CI sets it)")
@pytest.mark.django_db(transaction=True)
def test_import_job_runs_in_a_celery_worker(tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database it can share: PostgreSQL")
    settings.MEDIA_ROOT = tmp_path
    admin = User.objects.create_superuser("worker_admin", password="x-Very-long-pass-1")
    job = ImportJob.objects.create(kind="territory", created_by=admin, file_name="t.xlsx",
                                   file=SimpleUploadedFile("t.xlsx", territory_file()))
    db = connection.settings_dict
    env = {**os.environ, "CELERY_BROKER_URL": BROKER, "FANGKONG_MEDIA_ROOT": str(tmp_path),
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "fangkong", "worker", "--pool=solo", "--concurrency=1",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    celery_app.conf.update(broker_url=BROKER, task_always_eager=False)
    # Eager tasks run earlier in this process built a producer pool for the default broker: drop it.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        result = run_import.delay(job.pk)
        assert not isinstance(result, EagerResult), "the task ran in the test process, not in the worker"
        deadline = time.monotonic() + 90  # a safety stop, not a speed check
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.finished or worker.poll() is not None:
                break
            time.sleep(0.5)
    finally:
        celery_app.conf.update(broker_url=settings.CELERY_BROKER_URL, task_always_eager=True)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert job.status == JobStatus.DONE, output[-2000:]
    assert Household.objects.filter(address__startswith="北小区1号楼1单元").count() == 3
