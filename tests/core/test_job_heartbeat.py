"""An import whose worker died does not stay "running" for ever: jobs write a heartbeat while they run, a job
whose heartbeat stopped is marked failed (by Celery beat's fail_stale_jobs, and when its page is polled), the
page stops polling and says that nothing was imported, and a late message never runs a job given up on."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from fangkong.core import imports, tasks
from fangkong.core.models import ExportJob, ExportStatus, ImportJob, JobStatus
from fangkong.territory.models import Area

ROWS = [["区", "街道/镇", "社区/村", "网格", "小区/楼院", "楼栋", "单元", "门牌/房号", "楼层", "地址"],
        ["测试区", "东风街道", "心跳社区", "", "", "", "", "", "", ""]]


def territory_job(user, xlsx, **fields) -> ImportJob:
    return ImportJob.objects.create(kind="territory", created_by=user, file_name="辖区.xlsx",
                                    file=SimpleUploadedFile("辖区.xlsx", xlsx.build(ROWS)), **fields)


def poll(client, job):
    return client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()


def test_a_running_import_whose_heartbeat_stopped_fails_when_its_page_is_polled(users, client_for, xlsx):
    job = territory_job(users.admin, xlsx, status=JobStatus.RUNNING,
                        heartbeat_at=timezone.now() - timedelta(minutes=10))
    html = poll(client_for(users.admin), job)
    assert "hx-trigger" not in html  # the page stops polling
    assert "处理中断（后台处理进程已停止），没有导入任何数据，请重新导入" in html
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None


def test_a_running_import_with_a_fresh_heartbeat_keeps_running(users, client_for, xlsx):
    job = territory_job(users.admin, xlsx, status=JobStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=1))
    html = poll(client_for(users.admin), job)
    assert 'hx-trigger="every 1s"' in html and "处理中" in html
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING


def test_the_beat_task_fails_dead_imports_and_exports_and_lost_queued_ones(users, client_for, xlsx, settings):
    long_ago = timezone.now() - timedelta(minutes=10)
    dead_import = territory_job(users.admin, xlsx, status=JobStatus.RUNNING, heartbeat_at=long_ago)
    dead_export = ExportJob.objects.create(kind="passages", created_by=users.worker_a, status=ExportStatus.RUNNING,
                                           heartbeat_at=long_ago)
    lost = territory_job(users.admin, xlsx)
    queued_long_ago = timezone.now() - timedelta(hours=settings.FANGKONG_JOB_QUEUE_HOURS + 1)
    ImportJob.objects.filter(pk=lost.pk).update(created_at=queued_long_ago)
    alive = territory_job(users.admin, xlsx, status=JobStatus.RUNNING, heartbeat_at=timezone.now())
    queued = territory_job(users.admin, xlsx)
    assert "fail-stale-jobs" in settings.CELERY_BEAT_SCHEDULE

    assert tasks.fail_stale_jobs.apply().get() == 3  # the task beat sends

    statuses = {job.pk: job.status for job in ImportJob.objects.all()}
    assert statuses == {dead_import.pk: JobStatus.FAILED, lost.pk: JobStatus.FAILED, alive.pk: JobStatus.RUNNING,
                        queued.pk: JobStatus.PENDING}
    assert ImportJob.objects.get(pk=lost.pk).errors == [[0, "", "排队太久未能开始处理，没有导入任何数据，请重新导入"]]
    dead_export.refresh_from_db()
    assert dead_export.status == ExportStatus.FAILED
    assert dead_export.error == "导出中断（后台处理进程已停止），请重新导出"
    html = client_for(users.worker_a).get(f"/exports/{dead_export.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in html and "导出失败" in html


def test_a_job_given_up_on_is_not_run_when_its_message_arrives_late(users, xlsx):
    job = territory_job(users.admin, xlsx, status=JobStatus.FAILED)
    imports.run(job)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert not Area.objects.filter(name="心跳社区").exists()


def test_the_heartbeat_is_written_while_the_import_runs(users, xlsx):
    """A job row's heartbeat after a run is its last beat; a run that took no time at all still has its first."""
    job = territory_job(users.admin, xlsx)
    before = timezone.now()
    imports.run(job)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.heartbeat_at >= before


HOLD = """
import sys, time
import django
django.setup()
from fangkong.core.jobs import heartbeat
from fangkong.core.models import ImportJob, JobStatus
pk = int(sys.argv[1])
ImportJob.objects.filter(pk=pk).update(status=JobStatus.RUNNING)
with heartbeat(ImportJob, pk):
    print("running", flush=True)
    time.sleep(600)  # a long import; the test kills this process long before
"""


def test_a_worker_killed_mid_import_leaves_a_job_that_fails_and_stops_polling(transactional_db, users, client_for,
                                                                              xlsx, settings):
    """A real process keeps the job's heartbeat fresh while it lives; killed, its job fails on the next poll."""
    job = territory_job(users.admin, xlsx)
    settings.FANGKONG_JOB_STALE_SECONDS = 2
    database_url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}").geturl()
    worker = subprocess.Popen([sys.executable, "-c", HOLD, str(job.pk)], cwd=django_settings.BASE_DIR,
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "DATABASE_URL": database_url, "FANGKONG_JOB_HEARTBEAT_SECONDS": "0.2"})
    try:
        assert worker.stdout.readline().strip() == "running"
        beats = set()
        deadline = time.monotonic() + 60  # safety stops, not speed checks
        while len(beats) < 3 and time.monotonic() < deadline:
            job.refresh_from_db()
            beats.add(job.heartbeat_at)
            time.sleep(0.1)
        assert len(beats - {None}) >= 2, "the heartbeat did not move while the worker lived"
        client = client_for(users.admin)
        assert 'hx-trigger="every 1s"' in poll(client, job)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    deadline = time.monotonic() + 60
    while "hx-trigger" in (html := poll(client, job)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "hx-trigger" not in html and "处理中断" in html
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
