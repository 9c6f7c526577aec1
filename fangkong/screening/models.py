"""Key persons: configurable categories, screenings that move through states, follow-ups, daily reports."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.audit.models import Audited
from fangkong.core.scope import ScopedQuerySet


class GateEffect(models.TextChoices):
    NONE = "none", _("不影响通行")
    WARN = "warn", _("通行时提醒核实")
    DENY = "deny", _("禁止通行")


class FollowUpKind(models.TextChoices):
    NONE = "none", _("无需管控")
    HOME_MONITORING = "home_monitoring", _("居家健康监测")
    HOME_ISOLATION = "home_isolation", _("居家隔离")
    CENTRAL_ISOLATION = "central_isolation", _("集中隔离")
    NAT_SCHEDULE = "nat_schedule", _("按期核酸检测")


class Category(Audited):
    """重点人员类别, configured by district admins (e.g. 三返, 密接, 次密接, 发热)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60, unique=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    gate_effect = models.CharField(_("对通行的影响"), max_length=10, choices=GateEffect.choices,
                                   default=GateEffect.WARN)
    follow_up = models.CharField(_("默认管控措施"), max_length=20, choices=FollowUpKind.choices,
                                 default=FollowUpKind.HOME_MONITORING)
    follow_up_days = models.PositiveSmallIntegerField(_("管控天数"), default=14)
    nat_every_days = models.PositiveSmallIntegerField(_("核酸检测间隔天数"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("重点人员类别")
        verbose_name_plural = _("重点人员类别")
        ordering = ["position", "code"]

    def __str__(self):
        return self.name


class Source(models.TextChoices):
    GRID_VISIT = "grid_visit", _("网格排查")
    CHECKPOINT = "checkpoint", _("卡点发现")
    ASSISTANCE = "assistance", _("协查名单")
    SELF_REPORT = "self_report", _("主动报告")
    TRACING = "tracing", _("流调溯源")


class State(models.TextChoices):
    REPORTED = "reported", _("已上报")
    VERIFIED = "verified", _("已核实")
    UNDER_CONTROL = "under_control", _("管控中")
    RELEASED = "released", _("已解除")
    NOT_FOUND = "not_found", _("查无此人")
    LEFT = "left", _("已离开本区")


ACTIVE_STATES = [State.REPORTED, State.VERIFIED, State.UNDER_CONTROL]
# Which state may follow which; closed states are final (a new screening is opened instead).
TRANSITIONS = {
    State.REPORTED: [State.VERIFIED, State.NOT_FOUND, State.LEFT],
    State.VERIFIED: [State.UNDER_CONTROL, State.RELEASED, State.LEFT],
    State.UNDER_CONTROL: [State.RELEASED, State.LEFT],
}


class ScreeningQuerySet(ScopedQuerySet):
    scope_grid_field = "grid"

    def active(self):
        return self.filter(state__in=ACTIVE_STATES)


class Screening(Audited):
    """One person in one category: where it came from, who follows it up, and where it stands."""

    person = models.ForeignKey("people.Person", models.PROTECT, related_name="screenings", verbose_name=_("人员"))
    category = models.ForeignKey(Category, models.PROTECT, related_name="screenings", verbose_name=_("类别"))
    # The person's community and grid when screened: scope and the daily report read these columns.
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="screenings",
                             verbose_name=_("社区/村"))
    grid = models.ForeignKey("territory.Grid", models.SET_NULL, null=True, blank=True, related_name="screenings",
                             verbose_name=_("网格"))
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.GRID_VISIT)
    origin = models.CharField(_("来自何地"), max_length=100, blank=True)
    reported_on = models.DateField(_("排查日期"))
    worker = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="screenings",
                               verbose_name=_("责任人"))
    follow_up = models.CharField(_("管控措施"), max_length=20, choices=FollowUpKind.choices)
    control_until = models.DateField(_("管控截止"), null=True, blank=True)
    plan = models.CharField(_("跟进计划"), max_length=500, blank=True)
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.REPORTED)
    state_reason = models.CharField(_("状态变更原因"), max_length=300, blank=True)
    state_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    # Kept by the follow-up service: the daily report and the overdue list filter on it.
    last_follow_up_on = models.DateField(_("最近跟进"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScreeningQuerySet.as_manager()

    class Meta:
        verbose_name = _("重点人员排查")
        verbose_name_plural = _("重点人员排查")
        ordering = ["-id"]
        permissions = [
            ("change_screening_state", _("变更排查状态")),
            ("import_assistance", _("导入协查名单")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["person", "category"], condition=models.Q(state__in=ACTIVE_STATES),
                                    name="screening_one_open_per_category"),
        ]
        indexes = [
            # key-person list of a community, newest first, and the daily report's per-state counts
            models.Index(fields=["area", "-id"], name="screening_area_recent"),
            models.Index(fields=["area", "state", "last_follow_up_on"], name="screening_area_state"),
            models.Index(fields=["person", "state"], name="screening_person_state"),
        ]

    def __str__(self):
        return f"{self.person} {self.category}"

    @property
    def is_active(self):
        return self.state in ACTIVE_STATES

    def next_states(self):
        return TRANSITIONS.get(self.state, [])


class StateChange(models.Model):
    """The history of a screening's state; written once, with the reason the user gave."""

    screening = models.ForeignKey(Screening, models.CASCADE, related_name="state_changes")
    from_state = models.CharField(_("原状态"), max_length=20, choices=State.choices)
    to_state = models.CharField(_("新状态"), max_length=20, choices=State.choices)
    reason = models.CharField(_("原因"), max_length=300)
    by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"


class FollowUp(models.Model):
    """One day's follow-up of a key person (temperature, symptoms, note); written once."""

    screening = models.ForeignKey(Screening, models.CASCADE, related_name="follow_ups", verbose_name=_("排查"))
    on = models.DateField(_("跟进日期"))
    temperature = models.DecimalField(_("体温"), max_digits=3, decimal_places=1, null=True, blank=True)
    has_symptoms = models.BooleanField(_("有发热、咳嗽等症状"), default=False)
    note = models.CharField(_("跟进情况"), max_length=500, blank=True)
    by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("跟进人"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("跟进记录")
        verbose_name_plural = _("跟进记录")
        ordering = ["-on", "-id"]
        constraints = [models.UniqueConstraint(fields=["screening", "on"], name="follow_up_once_a_day")]

    def __str__(self):
        return f"{self.screening} {self.on}"


class DailyReportQuerySet(ScopedQuerySet):
    pass


class DailyReport(models.Model):
    """日报: a community's figures for one day, frozen when submitted."""

    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="daily_reports",
                             verbose_name=_("社区/村"))
    day = models.DateField(_("日期"))
    # {"categories": [{"code", "name", "new", "active", "under_control", "released", "overdue"}], "totals": {...}}
    figures = models.JSONField(_("数据"))
    submitted_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("上报人"))
    submitted_at = models.DateTimeField(_("上报时间"), auto_now_add=True)

    objects = DailyReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("日报")
        verbose_name_plural = _("日报")
        ordering = ["-day", "area_id"]
        permissions = [("submit_dailyreport", _("上报日报")), ("export_dailyreport", _("导出日报"))]
        constraints = [models.UniqueConstraint(fields=["area", "day"], name="daily_report_once_a_day")]

    def __str__(self):
        return f"{self.area} {self.day}"


class ReportReminder(models.Model):
    """催报: a district or subdistrict officer reminded a community that its 日报 of the day is missing.

    One per community and day: a second press finds the first one (and its time) instead of nagging twice.
    """

    area = models.ForeignKey("territory.Area", models.CASCADE, related_name="report_reminders",
                             verbose_name=_("社区/村"))
    day = models.DateField(_("日期"))
    sent_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("催报人"))
    sent_at = models.DateTimeField(_("催报时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("催报")
        verbose_name_plural = _("催报")
        ordering = ["-day", "area_id"]
        constraints = [models.UniqueConstraint(fields=["area", "day"], name="report_reminder_once_a_day")]

    def __str__(self):
        return f"{self.area} {self.day}"
