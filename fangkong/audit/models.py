"""The audit log: append-only, written by the application, never edited through it."""

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKED_OUT = "locked_out", _("账号锁定")
    LOGOUT = "logout", _("退出")
    EXPORT = "export", _("导出")
    IMPORT = "import", _("导入")
    UNMASK = "unmask", _("查看完整号码")


# Keys that services write into `changes` beside a model's own fields (exports, imports, decisions, staff).
CHANGE_LABELS = {
    "rows": _("行数"), "filters": _("筛选条件"), "field": _("查看的字段"), "file": _("文件"), "fields": _("字段"),
    "staff": _("值守人员"), "decision": _("审批结果"), "team_member": _("采样人员"), "duty": _("职责"),
    "zone": _("区域"), "reference": _("批次"), "persons": _("人员"), "vehicle_plate": _("车牌号"),
    "driver": _("司机"), "registered_by_staff": _("代登记"), "full_numbers": _("完整号码"), "day": _("日期"),
    "totals": _("合计"), "kind": _("类型"), "tubes": _("试管"), "unchanged": _("未变化"), "negative": _("阴性"),
    "positive_pools": _("阳性混管"), "positive_singles": _("阳性单管"), "retests_opened": _("新开复核"),
    "retests_resolved": _("已完成复核"), "created": _("新增"), "updated": _("更新"), "merged": _("合并"),
    "skipped": _("跳过"), "unmatched": _("未匹配"), "matched": _("已匹配"), "covers": _("管控范围"),
    "visits": _("活动轨迹"), "act": _("转入管控"), "secondary_contacts": _("次密接"),
}


def object_type_label(object_type: str) -> str:
    """"passes.Place" as people call it (场所); a type that is no model stays as written."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def change_label(object_type: str, key: str) -> str:
    """A changed field's verbose_name (联系电话), else the label of a service's key, else the key itself."""
    try:
        return str(apps.get_model(object_type)._meta.get_field(key).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return str(CHANGE_LABELS.get(key, key))


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the audit log is append-only")

    def delete(self):
        raise PermissionError("the audit log is append-only")

    def purge_older_than(self, cutoff):
        """Retention: the only deletion there is, by the scheduled job."""
        return models.QuerySet.delete(self.filter(at__lt=cutoff))


class AuditEvent(models.Model):
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("操作人"))
    # Kept as text too, so the row still says who it was after the account is gone.
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    # Field names with old/new values; personal numbers appear only as "(已加密)".
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    ip = models.CharField(_("来源地址"), max_length=45, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [
            # "everything that happened to this record", the detail page timeline
            models.Index(fields=["object_type", "object_id", "-at"], name="audit_object"),
            # "what did this user do", the admin's search
            models.Index(fields=["actor", "-at"], name="audit_actor"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")

    @property
    def object_type_label(self) -> str:
        return object_type_label(self.object_type)

    @property
    def object_label(self) -> str:
        """The record as shown: exports wrote "passes.Passage × 74", shown as 出入记录 × 74."""
        if self.object_type and self.object_repr.startswith(self.object_type):
            return self.object_type_label + self.object_repr[len(self.object_type):]
        return self.object_repr

    @property
    def change_labels(self) -> list[str]:
        return [change_label(self.object_type, key) for key in self.changes] if isinstance(self.changes, dict) else []

    @property
    def actor_label(self) -> str:
        """Who acted; rows written by the system itself (demo, scheduled jobs) say 系统."""
        return _("系统") if self.actor_name in ("", "system") else self.actor_name


# Fields whose values never go into the audit log, only the fact that they changed.
SECRET_FIELD_SUFFIXES = ("_encrypted", "_index", "password")


class Audited(models.Model):
    """Base for domain records whose services write an audit row for every create, update and delete.

    Nothing is written here: each service calls `audit.services.record_change` inside its transaction with
    the acting user. A save only remembers what it changed (against the values as loaded) for that row.
    """

    # Field values as loaded (or as last saved), to write only what changed into the audit row.
    _loaded_values: dict
    # (created, {field: change}) of the last save, read by record_change.
    _saved_changes: tuple[bool, dict]

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        created = self._state.adding
        super().save(*args, **kwargs)
        self._saved_changes = (created, self.field_changes(created))
        # The next save of the same instance compares against what is stored now.
        self._loaded_values = {f.attname: f.value_from_object(self) for f in self._meta.concrete_fields}

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def field_changes(self, created: bool) -> dict:
        """{field: [old, new]} since loaded, or {field: value} for a new row; secrets show as "(已加密)"."""
        loaded = getattr(self, "_loaded_values", {})
        changes = {}
        for field in self._meta.concrete_fields:
            if field.primary_key or field.name == "path":
                continue
            new = field.value_from_object(self)
            old = loaded.get(field.attname)
            if not created and old == new:
                continue
            if field.name.endswith(SECRET_FIELD_SUFFIXES):
                changes[field.name] = "(已加密)"
            elif created:
                if new not in (None, ""):
                    changes[field.name] = jsonable(new)
            else:
                changes[field.name] = [jsonable(old), jsonable(new)]
        return changes


def jsonable(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
