"""Health code (GB/T 38961-38963): a colour computed from facts by rules, never typed in; overrides
need a reason and a second approver; place policies say what the gate verdict requires."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.audit.models import Audited
from fangkong.core.scope import ScopedQuerySet
from fangkong.core.status import COLOUR_WORDS


class Colour(models.TextChoices):
    GREEN = "green", COLOUR_WORDS["green"]
    YELLOW = "yellow", COLOUR_WORDS["yellow"]
    RED = "red", COLOUR_WORDS["red"]


# Worse colours win when facts disagree.
COLOUR_RANK = {Colour.GREEN: 0, Colour.YELLOW: 1, Colour.RED: 2}


class Rule(Audited):
    """Fact kind → colour, for so many days after the fact. Data a district admin views and tunes.

    Fact kinds are named by the apps that provide them (see healthcode/facts.py), e.g.
    "screening:close_contact", "test:positive", "test:pool_positive", "test:overdue", "declared:symptoms".
    """

    fact = models.CharField(_("事实"), max_length=60, unique=True)
    description = models.CharField(_("说明"), max_length=200)
    colour = models.CharField(_("赋码颜色"), max_length=10, choices=Colour.choices)
    # How long the fact keeps its colour, counted from the fact's time; empty: as long as the fact holds.
    days = models.PositiveSmallIntegerField(_("有效天数"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("赋码规则")
        verbose_name_plural = _("赋码规则")
        ordering = ["fact"]

    def __str__(self):
        return f"{self.fact} → {self.get_colour_display()}"


# HealthStatus.last_test_result holds the testing app's result codes; people read these words.
TEST_RESULT_WORDS = {"negative": _("阴性"), "positive": _("阳性"), "pool_positive": _("混管阳性，待复核")}


class HealthStatusQuerySet(ScopedQuerySet):
    scope_area_field = "person__area"
    scope_grid_field = "person__household__grid"


class HealthStatus(models.Model):
    """A person's current colour with its reasons: the one row the gate verdict reads (hot path).

    Recomputed by healthcode.services.recompute whenever a fact changes; never edited by hand.
    """

    person = models.OneToOneField("people.Person", models.CASCADE, primary_key=True, related_name="health_status",
                                  verbose_name=_("人员"))
    colour = models.CharField(_("健康码"), max_length=10, choices=Colour.choices, default=Colour.GREEN)
    # The colour the rules gave, before an approved override.
    computed_colour = models.CharField(_("规则赋码"), max_length=10, choices=Colour.choices, default=Colour.GREEN)
    reasons = models.JSONField(_("原因"), default=list)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)
    # Latest test, for the pass code screen and the "negative within N hours" policies.
    last_test_result = models.CharField(_("最近检测结果"), max_length=20, blank=True)
    last_test_at = models.DateTimeField(_("最近检测时间"), null=True, blank=True)
    last_negative_at = models.DateTimeField(_("最近阴性时间"), null=True, blank=True)
    in_sealed_zone = models.BooleanField(_("封控区"), default=False)
    # Codes of the person's open key-person categories: the gate warns or denies by category without a query.
    key_persons = models.JSONField(_("重点人员类别"), default=list)
    override = models.ForeignKey("Override", models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("人工赋码"))
    # The kind of the person's isolation in force (isolation.models.Kind), empty when none: the gate denies
    # from this column without a query. Last: the columns of STATUS_COLUMNS follow the model's order.
    isolation = models.CharField(_("隔离管控"), max_length=20, blank=True, default="")

    objects = HealthStatusQuerySet.as_manager()

    class Meta:
        verbose_name = _("健康码状态")
        verbose_name_plural = _("健康码状态")
        indexes = [models.Index(fields=["colour"], name="health_status_colour")]

    def __str__(self):
        return f"{self.person} {self.get_colour_display()}"

    @property
    def last_test_result_label(self) -> str:
        """阴性 / 阳性 / 混管阳性，待复核 for the stored result code."""
        result = self.last_test_result
        return str(TEST_RESULT_WORDS.get(result, result)) if result else ""


class OverrideReason(models.TextChoices):
    DATA_ERROR = "data_error", _("数据错误更正")
    RETEST_NEGATIVE = "retest_negative", _("复检阴性，解除黄码")
    ISOLATION_DONE = "isolation_done", _("隔离期满解除")
    TRACING = "tracing", _("流调判定为风险人员")
    OFFICIAL_NOTICE = "official_notice", _("上级协查通知")


class OverrideState(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已生效")
    REJECTED = "rejected", _("已驳回")
    EXPIRED = "expired", _("已过期")


class OverrideQuerySet(ScopedQuerySet):
    scope_area_field = "person__area"
    scope_grid_field = "person__household__grid"


class Override(Audited):
    """A manual colour: requested with a fixed reason and free text, in force only once a second user
    with the approver permission approves it, and only until it expires."""

    person = models.ForeignKey("people.Person", models.PROTECT, related_name="overrides", verbose_name=_("人员"))
    colour = models.CharField(_("赋码颜色"), max_length=10, choices=Colour.choices)
    reason = models.CharField(_("原因类别"), max_length=20, choices=OverrideReason.choices)
    note = models.CharField(_("具体说明"), max_length=500)
    state = models.CharField(_("状态"), max_length=10, choices=OverrideState.choices, default=OverrideState.PENDING)
    expires_at = models.DateTimeField(_("失效时间"))
    requested_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)

    objects = OverrideQuerySet.as_manager()

    class Meta:
        verbose_name = _("人工赋码")
        verbose_name_plural = _("人工赋码")
        ordering = ["-requested_at", "-id"]
        permissions = [("approve_override", _("审批人工赋码"))]
        constraints = [
            # Nobody approves their own request, whatever their role (the service checks it first).
            models.CheckConstraint(condition=models.Q(decided_by__isnull=True)
                                   | ~models.Q(decided_by=models.F("requested_by")),
                                   name="override_not_self_approved"),
        ]

    def __str__(self):
        return f"{self.person} → {self.get_colour_display()}"


class PassCard(Audited):
    """A printed pass card for a resident without a phone: a revocable random code, verified like a pass code."""

    person = models.ForeignKey("people.Person", models.CASCADE, related_name="pass_cards", verbose_name=_("人员"))
    code = models.CharField(_("卡号"), max_length=64, unique=True, editable=False)
    # The station's lookup of a typed card number: a keyed digest of the printed number (passcode.card_number),
    # so the table alone gives no number that opens a gate.
    number_digest = models.CharField(_("卡号摘要"), max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("发卡人"))
    issued_at = models.DateTimeField(_("发卡时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通行卡")
        verbose_name_plural = _("通行卡")
        ordering = ["-issued_at"]

    def __str__(self):
        return f"{self.person} {self.issued_at:%Y-%m-%d}"


class ColourRequirement(models.TextChoices):
    ANY = "any", _("不限")
    GREEN = "green", _("仅绿码")
    GREEN_YELLOW = "green_yellow", _("绿码或黄码")


class PlacePolicyQuerySet(ScopedQuerySet):
    pass


class PlacePolicy(Audited):
    """What the gate verdict requires at places: for one place, a kind of place and/or an area (with
    everything below it), between two dates. The most specific policy in force applies."""

    name = models.CharField(_("名称"), max_length=100)
    place = models.ForeignKey("passes.Place", models.CASCADE, null=True, blank=True, related_name="policies",
                              verbose_name=_("场所"))
    kind = models.CharField(_("场所类型"), max_length=20, blank=True)
    area = models.ForeignKey("territory.Area", models.CASCADE, related_name="place_policies",
                             verbose_name=_("区域"))
    colour = models.CharField(_("健康码要求"), max_length=15, choices=ColourRequirement.choices,
                              default=ColourRequirement.GREEN)
    test_within_hours = models.PositiveSmallIntegerField(_("核酸阴性时限（小时）"), null=True, blank=True,
                                                         choices=[(24, "24"), (48, "48"), (72, "72")])
    no_sealed_zone = models.BooleanField(_("封控区人员禁止通行"), default=True)
    require_temperature = models.BooleanField(_("必须测温"), default=False)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("设置人"))

    objects = PlacePolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("场所通行政策")
        verbose_name_plural = _("场所通行政策")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="place_policy_dates"),
        ]

    def __str__(self):
        return self.name
