import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("处理中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("有错误，未导入")


class ImportJob(models.Model):
    """One uploaded spreadsheet: validated in full, then saved all-or-nothing by a background task."""

    kind = models.CharField(_("类型"), max_length=40)
    status = models.CharField(_("状态"), max_length=20, choices=JobStatus.choices, default=JobStatus.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written every few seconds while a worker runs the job (core/jobs.py); a stale one means the worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to="imports/%Y/%m/")
    file_name = models.CharField(max_length=255)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    # [[row number, column, message], ...] in the user's language
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} {self.file_name}"

    def get_absolute_url(self):
        return reverse("import_job", args=[self.pk])

    @property
    def finished(self):
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def counts(self) -> dict:
        """The summary's counts (新增人员: 3, ...), without the notes."""
        return {key: n for key, n in self.summary.items() if key != "notes"}

    @property
    def notes(self) -> list[str]:
        """How the file was read where it differs from the template (core.imports.run)."""
        return self.summary.get("notes", [])

    @property
    def percent(self):
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else (100 if self.finished else 0)


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("导出中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("导出失败")


class ExportJob(models.Model):
    """One export of a search: written by a background task; the file expires after the retention period."""

    kind = models.CharField(_("类型"), max_length=40)
    status = models.CharField(_("状态"), max_length=20, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # as ImportJob's
    # The search as the task replays it; numbers searched for are stored as person ids, never in clear.
    params = models.JSONField(default=dict, blank=True)
    # What the page shows of the search ("证件号 4101**********1234, 今天").
    description = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at"]
        indexes = [
            # a user's own exports, newest first; the retention purge by age
            models.Index(fields=["created_by", "-created_at"], name="exportjob_owner"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk}"

    @property
    def finished(self):
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def kind_label(self):
        """What is exported ("人员", "出入记录"), as the app registered it (core.exports)."""
        from .exports import KINDS

        return KINDS[self.kind].title if self.kind in KINDS else self.kind

    @property
    def percent(self):
        if self.status == ExportStatus.DONE:
            return 100
        return min(99, int(100 * self.processed_rows / self.total_rows)) if self.total_rows else 0

    @property
    def expires_at(self) -> datetime.datetime:
        from datetime import timedelta

        return self.created_at + timedelta(hours=settings.FANGKONG_EXPORT_RETENTION_HOURS)

    @property
    def downloadable(self):
        from django.utils import timezone

        return self.status == ExportStatus.DONE and bool(self.file) and timezone.now() < self.expires_at


class SmsMessage(models.Model):
    """The local SMS gateway's outbox (fangkong.core.sms.OutboxBackend): what would have been sent, for tests and
    the demo. A real gateway keeps nothing here. The number is encrypted like every stored phone number."""

    phone_encrypted = models.TextField(editable=False)
    text = models.CharField(max_length=300)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("短信（本地模拟）")
        verbose_name_plural = _("短信（本地模拟）")

    def __str__(self):
        return f"{self.sent_at:%Y-%m-%d %H:%M} {self.phone_masked}"

    @property
    def phone(self) -> str:
        from fangkong.core import crypto

        return crypto.decrypt(self.phone_encrypted)

    @property
    def phone_masked(self) -> str:
        from fangkong.core.identity import mask_phone

        return mask_phone(self.phone)
