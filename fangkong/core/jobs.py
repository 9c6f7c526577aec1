"""Background jobs that say they are alive: a heartbeat while they run, and failure when it stops.

A worker killed in the middle of an import (out of memory, a restart, a lost node) leaves its job "running"
for ever, and the page polls it for ever. While a job runs, a thread of the same process writes the time to
the job's row every FANGKONG_JOB_HEARTBEAT_SECONDS (its own database connection, so that a long save in one
transaction does not hide it); `fail_stale_jobs` (Celery beat, and each poll of the job's page) marks failed
a running job whose heartbeat is older than FANGKONG_JOB_STALE_SECONDS. The saves are all-or-nothing, so a
job that died saved nothing, and the message says so.
"""

import threading
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ExportJob, ExportStatus, ImportJob, JobStatus


@contextmanager
def heartbeat(model, pk):
    """Keep `model` row `pk`'s heartbeat_at fresh while the block runs (in this process)."""
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(settings.FANGKONG_JOB_HEARTBEAT_SECONDS):
                model.objects.filter(pk=pk).update(heartbeat_at=timezone.now())
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def stale_before():
    return timezone.now() - timedelta(seconds=settings.FANGKONG_JOB_STALE_SECONDS)


def interrupted_message() -> str:
    return _("处理中断（后台处理进程已停止），没有导入任何数据，请重新导入")


def fail_stale_jobs() -> int:
    """Mark failed the jobs, imports and exports, whose worker died (running, heartbeat stopped) or that no worker
    ever took (queued for FANGKONG_JOB_QUEUE_HOURS: the broker lost them); how many.

    Rows locked by a job that is saving right now are skipped (skip_locked): that job is alive. A job marked
    failed is never run later: a worker runs only a queued job (imports.run, exports' run)."""
    now, before = timezone.now(), stale_before()
    queued_before = now - timedelta(hours=settings.FANGKONG_JOB_QUEUE_HOURS)
    # Running jobs written before heartbeats existed have none: their start is the best we know.
    dead = Q(heartbeat_at__lt=before) | Q(heartbeat_at__isnull=True, created_at__lt=before)
    failed = 0
    with transaction.atomic():
        never_taken = _("排队太久未能开始处理，没有导入任何数据，请重新导入")
        for status, condition, message in ((JobStatus.RUNNING, dead, interrupted_message()),
                                           (JobStatus.PENDING, Q(created_at__lt=queued_before), never_taken)):
            for job in ImportJob.objects.select_for_update(skip_locked=True).filter(condition, status=status):
                job.status, job.finished_at, job.errors = JobStatus.FAILED, now, [[0, "", message]]
                job.processed_rows = job.total_rows
                job.save(update_fields=["status", "finished_at", "errors", "processed_rows"])
                failed += 1
        failed += ExportJob.objects.filter(dead, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED, finished_at=now, error=_("导出中断（后台处理进程已停止），请重新导出"))
        failed += ExportJob.objects.filter(status=ExportStatus.PENDING, created_at__lt=queued_before).update(
            status=ExportStatus.FAILED, finished_at=now, error=_("排队太久未能开始处理，请重新导出"))
    return failed
