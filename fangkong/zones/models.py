"""Risk zones (封控区/管控区/防范区): what a zone covers, its kind and the history of its kinds, its unlock
timetable, the exception passes of persons inside it and the supply requests (保供) of those who cannot go out.

Not the testing app's pooling `Zone`: a RiskZone is a static-management order on households. Every change goes
through zones.services, which audits it with the acting user."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.audit.models import Audited
from fangkong.core.scope import ScopedQuerySet


class ZoneKind(models.TextChoices):
    SEALED = "sealed", _("封控区")
    CONTROLLED = "controlled", _("管控区")
    PRECAUTION = "precaution", _("防范区")
    LIFTED = "lifted", _("已解封")


ACTIVE_KINDS = [ZoneKind.SEALED, ZoneKind.CONTROLLED, ZoneKind.PRECAUTION]
# Strictest first: a household in two zones is held by the strictest one.
SEVERITY = {ZoneKind.SEALED: 0, ZoneKind.CONTROLLED: 1, ZoneKind.PRECAUTION: 2}


class OutRule(models.TextChoices):
    """How residents of a precaution zone may go out (防范区 限制出行)."""

    EVERY_N_DAYS = "every_n_days", _("每户每 N 天可出行一次")
    ODD_EVEN = "odd_even", _("单双日出行（按户编号）")
    FREE = "free", _("不限出行")


class RiskZoneQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(kind__in=ACTIVE_KINDS)


class RiskZone(Audited):
    name = models.CharField(_("名称"), max_length=100)
    # The lowest area holding everything the zone covers: scope reads it.
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="risk_zones", verbose_name=_("所属区域"))
    kind = models.CharField(_("类型"), max_length=12, choices=ZoneKind.choices)
    reason = models.CharField(_("原因"), max_length=300)
    started_at = models.DateTimeField(_("开始时间"))
    out_rule = models.CharField(_("出行规则"), max_length=15, choices=OutRule.choices, default=OutRule.EVERY_N_DAYS)
    out_every_days = models.PositiveSmallIntegerField(_("每几天可出行"), default=2)
    # On the household's day, only one of its members goes out of the compound (每户每次限一人).
    one_per_household = models.BooleanField(_("每户限一人外出"), default=True)
    created_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    lifted_at = models.DateTimeField(_("解封时间"), null=True, blank=True)
    lifted_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("解封人"))
    lift_reason = models.CharField(_("解封原因"), max_length=300, blank=True)
    # The unlock timetable (解封时间表), recomputed on a positive or a round's results; never lifts by itself.
    planned_lift_on = models.DateField(_("计划解封日期"), null=True, blank=True)
    last_positive_on = models.DateField(_("最后阳性日期"), null=True, blank=True)
    negative_rounds = models.PositiveSmallIntegerField(_("连续阴性轮次"), default=0)
    missing = models.JSONField(_("尚缺条件"), default=list)
    timetable_at = models.DateTimeField(_("时间表计算时间"), null=True, blank=True)

    objects = RiskZoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("风险区域")
        verbose_name_plural = _("风险区域")
        ordering = ["-started_at", "-id"]
        permissions = [("lift_riskzone", _("解封风险区域"))]
        indexes = [models.Index(fields=["kind", "planned_lift_on"], name="riskzone_timetable")]

    def __str__(self):
        return f"{self.name}（{self.get_kind_display()}）"

    @property
    def is_active(self):
        return self.kind in ACTIVE_KINDS


def _exactly_one(*fields):
    conditions = [models.Q(**{f"{other}__isnull": other != field for other in fields}) for field in fields]
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


class ZoneCoverage(models.Model):
    """One thing a zone covers: an area, a compound, a building or a single household (exactly one)."""

    zone = models.ForeignKey(RiskZone, models.CASCADE, related_name="coverage", verbose_name=_("风险区域"))
    area = models.ForeignKey("territory.Area", models.CASCADE, null=True, blank=True, related_name="+")
    compound = models.ForeignKey("territory.Compound", models.CASCADE, null=True, blank=True, related_name="+")
    building = models.ForeignKey("territory.Building", models.CASCADE, null=True, blank=True, related_name="+")
    household = models.ForeignKey("territory.Household", models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("管控范围")
        verbose_name_plural = _("管控范围")
        constraints = [models.CheckConstraint(condition=_exactly_one("area", "compound", "building", "household"),
                                              name="zonecoverage_one_target")]

    def __str__(self):
        return str(self.area or self.compound or self.building or self.household)


class ZoneHousehold(models.Model):
    """The household's strictest active zone: what the gate's one read joins (zones.verdict). Rebuilt by
    zones.services for the households of a zone whenever the zone is created, changes kind or is lifted."""

    household = models.OneToOneField("territory.Household", models.CASCADE, primary_key=True, related_name="+")
    zone = models.ForeignKey(RiskZone, models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("户所在风险区域")
        verbose_name_plural = _("户所在风险区域")

    def __str__(self):
        return f"{self.household_id} → {self.zone_id}"


class ZoneChange(models.Model):
    """One change of a zone's kind (sealed → controlled → precaution → lifted), by whom and why."""

    zone = models.ForeignKey(RiskZone, models.CASCADE, related_name="changes", verbose_name=_("风险区域"))
    from_kind = models.CharField(_("原类型"), max_length=12, choices=ZoneKind.choices, blank=True)
    to_kind = models.CharField(_("新类型"), max_length=12, choices=ZoneKind.choices)
    reason = models.CharField(_("原因"), max_length=300)
    by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("风险区域变更")
        verbose_name_plural = _("风险区域变更")
        ordering = ["zone_id", "at", "id"]

    def __str__(self):
        return f"{self.from_kind} → {self.to_kind}"


class UnlockRule(models.Model):
    """A district's rules for the unlock timetable (解封时间表); defaults when none is set."""

    area = models.OneToOneField("territory.Area", models.CASCADE, related_name="+", verbose_name=_("区"))
    days_since_positive = models.PositiveSmallIntegerField(_("末例阳性后天数"), default=14)
    negative_rounds = models.PositiveSmallIntegerField(_("连续阴性轮次"), default=3)
    min_coverage = models.PositiveSmallIntegerField(_("每轮覆盖率（%）"), default=95)

    class Meta:
        verbose_name = _("解封规则")
        verbose_name_plural = _("解封规则")

    def __str__(self):
        return f"{self.area_id} {self.days_since_positive}/{self.negative_rounds}/{self.min_coverage}"


class PassKind(models.TextChoices):
    MEDICAL = "medical", _("就医")
    DIALYSIS = "dialysis", _("透析")
    DUTY = "duty", _("值守人员")
    SUPPLY = "supply", _("保供人员")


class ExceptionPassQuerySet(ScopedQuerySet):
    scope_area_field = "person__area"
    scope_grid_field = "person__household__grid"


class ExceptionPass(Audited):
    """A person inside a zone may pass gates during the window (就医、透析、值守、保供), approved by an officer."""

    zone = models.ForeignKey(RiskZone, models.CASCADE, related_name="exception_passes", verbose_name=_("风险区域"))
    person = models.ForeignKey("people.Person", models.CASCADE, related_name="zone_passes", verbose_name=_("人员"))
    kind = models.CharField(_("类型"), max_length=10, choices=PassKind.choices)
    reason = models.CharField(_("事由"), max_length=300)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    approved_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("审批人"))
    approved_at = models.DateTimeField(_("审批时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = ExceptionPassQuerySet.as_manager()

    class Meta:
        verbose_name = _("例外通行")
        verbose_name_plural = _("例外通行")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["person", "-ends_at"], name="exceptionpass_person")]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="exceptionpass_window")]

    def __str__(self):
        return f"{self.person} {self.get_kind_display()}"


class SupplyKind(models.TextChoices):
    FOOD = "food", _("生活物资")
    MEDICINE = "medicine", _("药品")
    MEDICAL = "medical", _("就医")
    OTHER = "other", _("其他")


URGENT_KINDS = [SupplyKind.MEDICAL]


class SupplyState(models.TextChoices):
    OPEN = "open", _("待接单")
    TAKEN = "taken", _("已接单")
    DELIVERED = "delivered", _("已送达")
    CLOSED = "closed", _("已办结")


OPEN_SUPPLY_STATES = [SupplyState.OPEN, SupplyState.TAKEN, SupplyState.DELIVERED]


class SupplyQuerySet(ScopedQuerySet):
    scope_grid_field = "grid"


class SupplyRequest(Audited):
    """保供: a household inside a zone asks for food, medicine or care; the grid worker takes, delivers, closes."""

    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="+", verbose_name=_("社区/村"))
    grid = models.ForeignKey("territory.Grid", models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("网格"))
    household = models.ForeignKey("territory.Household", models.PROTECT, related_name="+", verbose_name=_("户"))
    person = models.ForeignKey("people.Person", models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("申请人"))
    kind = models.CharField(_("类型"), max_length=10, choices=SupplyKind.choices)
    text = models.CharField(_("需求"), max_length=500)
    urgent = models.BooleanField(_("紧急"), default=False)
    by_resident = models.BooleanField(_("居民自行申请"), default=False)
    state = models.CharField(_("状态"), max_length=10, choices=SupplyState.choices, default=SupplyState.OPEN)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    logged_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("登记人"))
    taken_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("接单人"))
    taken_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    note = models.CharField(_("办结说明"), max_length=300, blank=True)

    objects = SupplyQuerySet.as_manager()

    class Meta:
        verbose_name = _("保供需求")
        verbose_name_plural = _("保供需求")
        ordering = ["-urgent", "created_at", "id"]
        indexes = [models.Index(fields=["area", "state"], name="supply_area_state")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.household}"
