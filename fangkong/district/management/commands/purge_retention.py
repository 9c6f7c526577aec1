"""Delete records past their retention period (DESIGN.md, Retention). Run daily (cron or Celery beat)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.models import ExportJob, ImportJob
from fangkong.passes.services import purge_passages


class Command(BaseCommand):
    help = "Delete passages, declarations, audit rows, import and export files older than their retention period."

    def handle(self, *args, **options):
        now = timezone.now()
        audit_cutoff = now - timedelta(days=settings.FANGKONG_AUDIT_RETENTION_DAYS)
        audit_deleted, _ = AuditEvent.objects.purge_older_than(audit_cutoff)
        jobs = ImportJob.objects.filter(created_at__lt=now - timedelta(hours=settings.FANGKONG_EXPORT_RETENTION_HOURS))
        files = 0
        for job in jobs.exclude(file=""):
            job.file.delete(save=False)
            files += 1
        jobs.update(file="")
        # Exports: the file goes when it expires (the job row stays, saying it has expired).
        exports = ExportJob.objects.filter(
            created_at__lt=now - timedelta(hours=settings.FANGKONG_EXPORT_RETENTION_HOURS)).exclude(file="")
        export_files = 0
        for job in exports:
            job.file.delete(save=False)
            export_files += 1
        exports.update(file="")
        passages, declarations = purge_passages(now - timedelta(days=settings.FANGKONG_PASSAGE_RETENTION_DAYS))
        self.stdout.write(f"出入记录删除 {passages} 条，健康申报删除 {declarations} 份，"
                          f"审计记录删除 {audit_deleted} 条，导入文件删除 {files} 个，导出文件删除 {export_files} 个")
