"""Nucleic-acid testing campaigns: rounds, sampling sites with their teams, pooled tubes, samples, results,
retests and exemptions. A campaign covers the residents of its area (应检人员) minus its exemptions."""

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.audit.models import Audited
from fangkong.core.scope import ScopedQuerySet


class Pooling(models.TextChoices):
    SINGLE = "1", _("单采（1管1人）")
    HOUSEHOLD = "household", _("一户一管")
    FIVE = "5", _("5混1")
    TEN = "10", _("10混1")
    TWENTY = "20", _("20混1")


# A household tube holds one household, however many live there (up to this many).
HOUSEHOLD_TUBE_LIMIT = 20


def pool_size_of(pooling: str) -> int:
    return HOUSEHOLD_TUBE_LIMIT if pooling == Pooling.HOUSEHOLD else int(pooling)


class CampaignState(models.TextChoices):
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


def works_at_sites(user) -> bool:
    """Lab and sampling staff: they see only the campaigns and sites whose team they are in."""
    from fangkong.accounts.roles import Role

    return (user is not None and user.is_authenticated and user.is_active and not user.is_superuser
            and user.has_role(Role.LAB_STAFF))


class CampaignQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        """Officers see the campaigns that cover any part of their area (a community worker sees the
        district's campaign; counts and lists are then cut to their scope); lab and sampling staff see
        only the campaigns they work in."""
        if works_at_sites(user):
            return self.filter(pk__in=TeamMember.objects.filter(user=user).values("site__campaign"))
        decided = self.without_area(user)
        if decided is not None:
            return decided
        above = [int(part) for part in user.area.path.strip("/").split("/")]
        return self.filter(models.Q(area_id__in=user.area.subtree_ids()) | models.Q(area_id__in=above))


class Campaign(Audited):
    name = models.CharField(_("名称"), max_length=100)
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="campaigns", verbose_name=_("检测范围"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    pooling = models.CharField(_("默认混采方式"), max_length=10, choices=Pooling.choices, default=Pooling.TEN)
    state = models.CharField(_("状态"), max_length=10, choices=CampaignState.choices, default=CampaignState.ACTIVE)
    created_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("核酸检测任务")
        verbose_name_plural = _("核酸检测任务")
        ordering = ["-starts_on", "-id"]
        permissions = [("view_coverage", _("查看应检尽检"))]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                              name="campaign_dates")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("testing:campaign", args=[self.pk])

    @property
    def is_active(self):
        return self.state == CampaignState.ACTIVE


class Round(models.Model):
    """一轮: one day on which everyone in the campaign's area is to be tested once."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="rounds", verbose_name=_("检测任务"))
    number = models.PositiveSmallIntegerField(_("轮次"))
    day = models.DateField(_("检测日期"))

    class Meta:
        verbose_name = _("检测轮次")
        verbose_name_plural = _("检测轮次")
        ordering = ["campaign_id", "number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="round_unique_number")]

    def __str__(self):
        return _("第%(n)d轮（%(day)s）") % {"n": self.number, "day": f"{self.day:%m-%d}"}


class Zone(models.Model):
    """Pooling for part of the campaign's area: e.g. single tubes in a sealed community."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="zones", verbose_name=_("检测任务"))
    area = models.ForeignKey("territory.Area", models.CASCADE, related_name="+", verbose_name=_("区域"))
    pooling = models.CharField(_("混采方式"), max_length=10, choices=Pooling.choices)

    class Meta:
        verbose_name = _("分区混采方式")
        verbose_name_plural = _("分区混采方式")
        constraints = [models.UniqueConstraint(fields=["campaign", "area"], name="zone_unique_area")]

    def __str__(self):
        return f"{self.area} {self.get_pooling_display()}"


class SiteQuerySet(ScopedQuerySet):
    scope_area_field = "campaign__area"

    def visible_to(self, user):
        if works_at_sites(user):
            return self.filter(team__user=user)
        return self.filter(campaign__in=Campaign.objects.visible_to(user).values("pk"))


class Site(Audited):
    """采样点: where a team takes samples, between its opening and closing time."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="sites", verbose_name=_("检测任务"))
    name = models.CharField(_("采样点"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="+", verbose_name=_("所在社区/村"))
    opens = models.TimeField(_("开始时间"), default="07:00")
    closes = models.TimeField(_("结束时间"), default="20:00")
    active = models.BooleanField(_("开放"), default=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("采样点")
        verbose_name_plural = _("采样点")
        ordering = ["campaign_id", "name"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="site_unique_name")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("testing:site", args=[self.pk])


class Duty(models.TextChoices):
    SAMPLER = "sampler", _("采样员")
    SCANNER = "scanner", _("扫码员")
    RECORDER = "recorder", _("信息员")
    LEADER = "leader", _("组长")
    GUIDE = "guide", _("引导员")


class TeamMember(models.Model):
    site = models.ForeignKey(Site, models.CASCADE, related_name="team", verbose_name=_("采样点"))
    user = models.ForeignKey("accounts.User", models.CASCADE, related_name="sampling_duties",
                             verbose_name=_("人员"))
    duty = models.CharField(_("岗位"), max_length=10, choices=Duty.choices, default=Duty.SAMPLER)

    class Meta:
        verbose_name = _("采样队员")
        verbose_name_plural = _("采样队员")
        constraints = [models.UniqueConstraint(fields=["site", "user"], name="team_member_once")]

    def __str__(self):
        return f"{self.user} {self.get_duty_display()}"


class ExemptionQuerySet(ScopedQuerySet):
    scope_area_field = "person__area"
    scope_grid_field = "person__household__grid"


class Exemption(Audited):
    """免检: a person of the campaign's area who need not be tested (bedridden, away, infant…), with a reason."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="exemptions", verbose_name=_("检测任务"))
    person = models.ForeignKey("people.Person", models.CASCADE, related_name="+", verbose_name=_("人员"))
    reason = models.CharField(_("免检原因"), max_length=200)
    by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ExemptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("免检")
        verbose_name_plural = _("免检")
        constraints = [models.UniqueConstraint(fields=["campaign", "person"], name="exemption_once")]

    def __str__(self):
        return f"{self.person} {self.reason}"


class TubeResult(models.TextChoices):
    PENDING = "pending", _("待出结果")
    NEGATIVE = "negative", _("阴性")
    POSITIVE = "positive", _("阳性")


class TubeQuerySet(ScopedQuerySet):
    scope_area_field = "campaign__area"

    def visible_to(self, user):
        return self.filter(site__in=Site.objects.visible_to(user).values("pk"))


class Tube(models.Model):
    """A test tube: one person (single), a household, or a pool of 5/10/20. Its barcode is never reused.

    Not an Audited model: a district fills 100,000 a day; the sample rows say who took what, and a
    result import is audited as one event.
    """

    barcode = models.CharField(_("试管条码"), max_length=40, unique=True)
    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="tubes", verbose_name=_("检测任务"))
    # Empty for a retest tube: a single tube outside the rounds, for people whose pool was positive.
    round = models.ForeignKey(Round, models.CASCADE, null=True, blank=True, related_name="tubes",
                              verbose_name=_("轮次"))
    site = models.ForeignKey(Site, models.PROTECT, related_name="tubes", verbose_name=_("采样点"))
    pooling = models.CharField(_("混采方式"), max_length=10, choices=Pooling.choices)
    pool_size = models.PositiveSmallIntegerField(_("容量（人）"))
    size = models.PositiveSmallIntegerField(_("已采人数"), default=0)
    opened_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("采样人"))
    opened_at = models.DateTimeField(_("开管时间"), default=timezone.now)
    sealed_at = models.DateTimeField(_("封管时间"), null=True, blank=True)
    result = models.CharField(_("结果"), max_length=10, choices=TubeResult.choices, default=TubeResult.PENDING)
    result_at = models.DateTimeField(_("结果时间"), null=True, blank=True)
    lab = models.CharField(_("检测机构"), max_length=100, blank=True)
    # Which import or API call brought the result ("import:12", "api:user 7").
    result_ref = models.CharField(_("结果来源"), max_length=60, blank=True)

    objects = TubeQuerySet.as_manager()

    class Meta:
        verbose_name = _("试管")
        verbose_name_plural = _("试管")
        ordering = ["-opened_at", "-id"]
        permissions = [("import_results", _("导入检测结果"))]
        indexes = [
            # the site page: this user's open tube at this site; the hourly chart per site
            models.Index(fields=["site", "-opened_at"], name="tube_site_recent"),
            # results waiting per campaign (dashboard), positive pools
            models.Index(fields=["campaign", "result"], name="tube_campaign_result"),
        ]

    def __str__(self):
        return self.barcode

    @property
    def is_single(self):
        return self.pool_size == 1

    @property
    def is_retest(self):
        return self.round_id is None

    @property
    def is_full(self):
        return self.size >= self.pool_size

    @property
    def is_sealed(self):
        return self.sealed_at is not None


class SampleQuerySet(ScopedQuerySet):
    scope_area_field = "person__area"
    scope_grid_field = "person__household__grid"


class Sample(models.Model):
    """One person's swab in one tube. A person is tested once per round (retests have no round)."""

    tube = models.ForeignKey(Tube, models.CASCADE, related_name="samples", verbose_name=_("试管"))
    person = models.ForeignKey("people.Person", models.CASCADE, related_name="samples", verbose_name=_("人员"))
    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="+", verbose_name=_("检测任务"))
    round = models.ForeignKey(Round, models.CASCADE, null=True, blank=True, related_name="samples",
                              verbose_name=_("轮次"))
    site = models.ForeignKey(Site, models.CASCADE, related_name="+", verbose_name=_("采样点"))
    sampled_at = models.DateTimeField(_("采样时间"), default=timezone.now)
    sampled_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("采样人"))
    # Set when the person was not in the campaign's population (a visitor, a commuter): sampled anyway.
    note = models.CharField(_("备注"), max_length=100, blank=True)

    objects = SampleQuerySet.as_manager()

    class Meta:
        verbose_name = _("采样记录")
        verbose_name_plural = _("采样记录")
        ordering = ["-sampled_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["round", "person"], name="sample_once_per_round")]
        indexes = [
            # health-code facts: a person's tests, newest first
            models.Index(fields=["person", "-sampled_at"], name="sample_person_recent"),
            # the hourly chart: scans per site and hour
            models.Index(fields=["site", "sampled_at"], name="sample_site_time"),
        ]

    def __str__(self):
        return f"{self.tube} {self.person}"


class RetestState(models.TextChoices):
    OPEN = "open", _("待复检")
    DONE = "done", _("已复检")


class RetestTaskQuerySet(ScopedQuerySet):
    scope_area_field = "person__area"
    scope_grid_field = "person__household__grid"

    def open(self):
        return self.filter(state=RetestState.OPEN)


class RetestTask(models.Model):
    """A member of a positive pool, to be retested in a single tube at the pool's site."""

    person = models.ForeignKey("people.Person", models.CASCADE, related_name="retest_tasks", verbose_name=_("人员"))
    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="retest_tasks", verbose_name=_("检测任务"))
    from_tube = models.ForeignKey(Tube, models.CASCADE, related_name="retest_tasks", verbose_name=_("阳性混管"))
    site = models.ForeignKey(Site, models.CASCADE, related_name="retest_tasks", verbose_name=_("复检采样点"))
    state = models.CharField(_("状态"), max_length=10, choices=RetestState.choices, default=RetestState.OPEN)
    created_at = models.DateTimeField(_("下发时间"), default=timezone.now)
    resolved_at = models.DateTimeField(_("复检结果时间"), null=True, blank=True)
    resolving_sample = models.ForeignKey(Sample, models.SET_NULL, null=True, blank=True, related_name="+",
                                         verbose_name=_("复检采样"))

    objects = RetestTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("复检任务")
        verbose_name_plural = _("复检任务")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["from_tube", "person"], name="retest_once_per_tube")]
        indexes = [
            # health-code facts: a person's open tasks; the site's list of people to retest
            models.Index(fields=["person"], condition=models.Q(state="open"), name="retest_open_person"),
            models.Index(fields=["site", "state"], name="retest_site_state"),
        ]

    def __str__(self):
        return f"{self.person} {self.get_state_display()}"
