"""Isolation (隔离管控): orders for centralized isolation, home isolation and home health monitoring, the sites
and rooms of centralized isolation, and the twice-daily monitoring of every isolating person.

Every change goes through isolation.services, which writes its audit row with the acting user
(audit.services.record_change: the fields each save changed) in the same transaction."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.audit.models import Audited
from fangkong.core.scope import ScopedQuerySet


class Kind(models.TextChoices):
    CENTRALIZED = "centralized", _("集中隔离")
    HOME = "home", _("居家隔离")
    HOME_MONITORING = "home_monitoring", _("居家健康监测")


class Source(models.TextChoices):
    SCREENING = "screening", _("排查发现")
    POOL_POSITIVE = "pool_positive", _("混管阳性")
    ARRIVAL = "arrival", _("入境或来返")
    TRACING = "tracing", _("流调判定")


class State(models.TextChoices):
    ORDERED = "ordered", _("待隔离")
    ISOLATING = "isolating", _("隔离中")
    RELEASED = "released", _("已解除")
    TRANSFERRED = "transferred_to_hospital", _("转送医院")
    CANCELLED = "cancelled", _("已撤销")


ACTIVE_STATES = [State.ORDERED, State.ISOLATING]
# Which state may follow which (release has its own service, with a second approver when early).
TRANSITIONS = {
    State.ORDERED: [State.ISOLATING, State.CANCELLED],
    State.ISOLATING: [State.RELEASED, State.TRANSFERRED, State.CANCELLED],
}


class KindDefault(Audited):
    """Per kind, set by a district admin: the days from start to planned end, the days of home health monitoring
    that follow a release (14+7), and the negative tests a release asks for (so many, on different days, within
    the last so many days and after the start)."""

    kind = models.CharField(_("隔离类型"), max_length=20, choices=Kind.choices, unique=True)
    days = models.PositiveSmallIntegerField(_("隔离天数"))
    then_days = models.PositiveSmallIntegerField(_("解除后居家健康监测天数"), default=0)
    release_tests = models.PositiveSmallIntegerField(_("解除前核酸阴性次数"), default=2)
    release_window_days = models.PositiveSmallIntegerField(_("阴性结果须在最近几天内"), default=3)

    class Meta:
        verbose_name = _("隔离期限")
        verbose_name_plural = _("隔离期限")
        ordering = ["kind"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.days}+{self.then_days}"


class SiteQuerySet(ScopedQuerySet):
    pass


class Site(Audited):
    """A centralized isolation site (隔离点, often a hotel), run by a district or subdistrict."""

    name = models.CharField(_("名称"), max_length=100)
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="isolation_sites",
                             verbose_name=_("所属区域"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    staff = models.ManyToManyField("accounts.User", blank=True, related_name="isolation_sites",
                                   verbose_name=_("工作人员"))

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("隔离点")
        verbose_name_plural = _("隔离点")
        ordering = ["name"]

    def __str__(self):
        return self.name


class RoomState(models.TextChoices):
    FREE = "free", _("空闲")
    OCCUPIED = "occupied", _("已入住")
    DISINFECTING = "disinfecting", _("消杀中")


class RoomQuerySet(ScopedQuerySet):
    scope_area_field = "site__area"


class Room(Audited):
    site = models.ForeignKey(Site, models.CASCADE, related_name="rooms", verbose_name=_("隔离点"))
    number = models.CharField(_("房间号"), max_length=20)
    capacity = models.PositiveSmallIntegerField(_("可住人数"), default=1)
    state = models.CharField(_("状态"), max_length=15, choices=RoomState.choices, default=RoomState.FREE)

    objects = RoomQuerySet.as_manager()

    class Meta:
        verbose_name = _("隔离房间")
        verbose_name_plural = _("隔离房间")
        ordering = ["site", "number"]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="isolation_room_number"),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="isolation_room_capacity"),
        ]

    def __str__(self):
        return f"{self.site} {self.number}"


class TransferState(models.TextChoices):
    DISPATCHED = "dispatched", _("转运中")
    RECEIVED = "received", _("已接收")


class TransferQuerySet(ScopedQuerySet):
    scope_area_field = "from_area"


class TransferBatch(Audited):
    """转运: a vehicle that takes persons ordered into centralized isolation from a community to a site."""

    vehicle = models.CharField(_("车牌号"), max_length=20)
    driver = models.CharField(_("司机"), max_length=50)
    driver_phone = models.CharField(_("司机电话"), max_length=30, blank=True)
    departs_at = models.DateTimeField(_("出发时间"))
    from_area = models.ForeignKey("territory.Area", models.PROTECT, related_name="+", verbose_name=_("出发社区"))
    to_site = models.ForeignKey(Site, models.PROTECT, related_name="transfers", verbose_name=_("目的隔离点"))
    state = models.CharField(_("状态"), max_length=15, choices=TransferState.choices,
                             default=TransferState.DISPATCHED)
    received_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    received_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("接收人"))
    created_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("转运批次")
        verbose_name_plural = _("转运批次")
        ordering = ["-departs_at", "-id"]

    def __str__(self):
        return f"{self.vehicle} → {self.to_site}"


class OrderQuerySet(ScopedQuerySet):
    scope_grid_field = "grid"

    def active(self):
        return self.filter(state__in=ACTIVE_STATES)

    def isolating(self):
        return self.filter(state=State.ISOLATING)


class IsolationOrder(Audited):
    """One person's isolation: kind, why, where, until when, who follows it up, and where it stands."""

    person = models.ForeignKey("people.Person", models.PROTECT, related_name="isolation_orders",
                               verbose_name=_("人员"))
    # The person's community and grid when ordered (from their household): scope and the boards read these.
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="isolation_orders",
                             verbose_name=_("社区/村"))
    grid = models.ForeignKey("territory.Grid", models.SET_NULL, null=True, blank=True,
                             related_name="isolation_orders", verbose_name=_("网格"))
    kind = models.CharField(_("隔离类型"), max_length=20, choices=Kind.choices)
    reason = models.CharField(_("隔离原因"), max_length=300)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.SCREENING)
    start = models.DateField(_("开始日期"))
    planned_end = models.DateField(_("计划解除日期"))
    site = models.ForeignKey(Site, models.PROTECT, null=True, blank=True, related_name="orders",
                             verbose_name=_("隔离点"))
    room = models.ForeignKey(Room, models.PROTECT, null=True, blank=True, related_name="orders",
                             verbose_name=_("房间"))
    worker = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True,
                               related_name="isolation_orders", verbose_name=_("责任人"))
    transfer = models.ForeignKey(TransferBatch, models.SET_NULL, null=True, blank=True, related_name="orders",
                                 verbose_name=_("转运批次"))
    state = models.CharField(_("状态"), max_length=30, choices=State.choices, default=State.ORDERED)
    state_reason = models.CharField(_("状态变更原因"), max_length=300, blank=True)
    state_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("入住时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("退房时间"), null=True, blank=True)
    ended_on = models.DateField(_("解除日期"), null=True, blank=True)
    # An early release: asked with a reason by one user, in force once another approves it.
    release_reason = models.CharField(_("提前解除原因"), max_length=300, blank=True)
    release_requested_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True,
                                             related_name="+", verbose_name=_("解除申请人"))
    release_requested_at = models.DateTimeField(_("解除申请时间"), null=True, blank=True)
    release_approved_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True,
                                            related_name="+", verbose_name=_("解除审批人"))
    # Printed on the notice and the certificate; checked on the public verification page.
    verification_code = models.CharField(_("核验码"), max_length=12, unique=True)
    # The person's monitoring link (no login): a random token, shown on their personal pass page.
    monitoring_token = models.CharField(_("监测链接令牌"), max_length=32, unique=True)
    created_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("隔离管控")
        verbose_name_plural = _("隔离管控")
        ordering = ["-id"]
        permissions = [
            ("release_isolationorder", _("解除隔离")),
            ("approve_early_release", _("审批提前解除隔离")),
        ]
        constraints = [
            # One active order per person, also under concurrent requests.
            models.UniqueConstraint(fields=["person"], condition=models.Q(state__in=ACTIVE_STATES),
                                    name="isolation_one_active_per_person"),
            models.CheckConstraint(condition=models.Q(planned_end__gte=models.F("start")),
                                   name="isolation_end_after_start"),
            models.CheckConstraint(condition=models.Q(release_approved_by__isnull=True)
                                   | ~models.Q(release_approved_by=models.F("release_requested_by")),
                                   name="isolation_release_not_self_approved"),
        ]
        indexes = [
            # order list of a community, newest first, and per-state counts of the daily report
            models.Index(fields=["area", "state", "-id"], name="isolation_area_state"),
            models.Index(fields=["room", "state"], name="isolation_room_state"),
            models.Index(fields=["person", "state"], name="isolation_person_state"),
        ]

    def __str__(self):
        return f"{self.person} {self.get_kind_display()}"

    def field_changes(self, created: bool) -> dict:
        changes = super().field_changes(created)
        if "monitoring_token" in changes:  # the person's link works without login: the audit log never shows it
            changes["monitoring_token"] = "(不显示)"
        return changes

    @property
    def is_active(self):
        return self.state in ACTIVE_STATES

    @property
    def release_pending(self):
        return self.is_active and self.release_requested_by_id is not None and self.release_approved_by_id is None

    @property
    def release_requested_early(self):
        """A pending request asked before the planned end; one asked on or after it lacked the negative tests."""
        return self.release_requested_at is not None and (
            timezone.localdate(self.release_requested_at) < self.planned_end)


class Slot(models.TextChoices):
    MORNING = "am", _("上午")
    AFTERNOON = "pm", _("下午")


class CheckQuerySet(ScopedQuerySet):
    scope_area_field = "order__area"
    scope_grid_field = "order__grid"


class MonitoringCheck(Audited):
    """One of the two temperatures a day of an isolating person, from their phone or a worker."""

    order = models.ForeignKey(IsolationOrder, models.CASCADE, related_name="checks", verbose_name=_("隔离"))
    day = models.DateField(_("日期"))
    slot = models.CharField(_("时段"), max_length=2, choices=Slot.choices)
    at = models.DateTimeField(_("测量时间"))
    temperature = models.DecimalField(_("体温"), max_digits=3, decimal_places=1)
    symptoms = models.CharField(_("症状"), max_length=200, blank=True)
    by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                           verbose_name=_("录入人"))  # empty: the person on their phone
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = CheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("健康监测")
        verbose_name_plural = _("健康监测")
        ordering = ["-day", "-slot"]
        constraints = [models.UniqueConstraint(fields=["order", "day", "slot"], name="isolation_check_once")]

    def __str__(self):
        return f"{self.order} {self.day} {self.get_slot_display()} {self.temperature}℃"

    @property
    def abnormal(self):
        from .services import FEVER

        return self.temperature >= FEVER or bool(self.symptoms)


class TaskKind(models.TextChoices):
    MISSED = "missed", _("未按时测温")
    ABNORMAL = "abnormal", _("体温或症状异常")


class TaskQuerySet(ScopedQuerySet):
    scope_area_field = "area"  # the task's own copy: the board reads no order
    scope_grid_field = "order__grid"

    def open(self):
        return self.filter(done_at__isnull=True)


class MonitoringTask(Audited):
    """A missed or abnormal monitoring entry: the responsible worker's to-do until done (每天清零)."""

    order = models.ForeignKey(IsolationOrder, models.CASCADE, related_name="tasks", verbose_name=_("隔离"))
    # Copied from the order: the board groups by these without a join.
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="+", verbose_name=_("社区/村"))
    worker = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("责任人"))
    day = models.DateField(_("日期"))
    slot = models.CharField(_("时段"), max_length=2, choices=Slot.choices)
    kind = models.CharField(_("类型"), max_length=10, choices=TaskKind.choices)
    created_at = models.DateTimeField(_("产生时间"), auto_now_add=True)
    done_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    done_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("处理人"))
    note = models.CharField(_("处理情况"), max_length=300, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("监测待办")
        verbose_name_plural = _("监测待办")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["order", "day", "slot", "kind"], name="isolation_task_once")]
        indexes = [
            # the 每天清零 board: open tasks counted by community and worker from the index alone (index-only
            # scan: what the counts read is included, so no table row is visited)
            models.Index(fields=["area", "worker"], include=["kind", "day", "created_at"],
                         condition=models.Q(done_at__isnull=True), name="isolation_task_open_board"),
            # the board's list of the oldest open tasks of a community (or of all, for the district)
            models.Index(fields=["area", "created_at", "id"], condition=models.Q(done_at__isnull=True),
                         name="isolation_task_open_area_age"),
            models.Index(fields=["created_at", "id"], condition=models.Q(done_at__isnull=True),
                         name="isolation_task_open_age"),
        ]

    def __str__(self):
        return f"{self.order} {self.day} {self.get_kind_display()}"


class OpenTaskCountQuerySet(ScopedQuerySet):
    pass


class OpenTaskCount(models.Model):
    """How many monitoring tasks are open, by community, worker, day and kind: what the 每天清零 board reads, a
    few hundred rows for a district however many persons are isolated. Kept by PostgreSQL itself (statement
    triggers on the task table, migration 0005), so every path that opens, closes, moves or deletes tasks (bulk
    creates and updates included) counts, and nothing in Python can forget to."""

    area = models.ForeignKey("territory.Area", models.DO_NOTHING, db_constraint=False, related_name="+")
    worker_key = models.BigIntegerField()  # the responsible worker's id; 0 for none
    day = models.DateField()
    kind = models.CharField(max_length=10, choices=TaskKind.choices)
    n = models.IntegerField(default=0)

    objects = OpenTaskCountQuerySet.as_manager()

    class Meta:
        verbose_name = _("监测待办计数")
        verbose_name_plural = _("监测待办计数")
        constraints = [models.UniqueConstraint(fields=["area", "worker_key", "day", "kind"],
                                               name="isolation_open_task_count_key")]

    def __str__(self):
        return f"{self.area_id} {self.worker_key} {self.day} {self.kind} {self.n}"
