"""Tracing (流调/追阳): a case's trace with its place-visits, the contacts found from passages, households and
workplaces, the tracer's marks, the tasks handed to community workers and the places made risk places.

Every change goes through tracing.services, which writes its audit rows with the acting user."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.audit.models import Audited
from fangkong.core.scope import ScopedQuerySet
from fangkong.passes.models import PlaceKind


class KindRule(models.Model):
    """Per place kind: how long a visit without a recorded exit is taken to last, and by how many minutes a
    case's stay is widened on each side when looking for persons who were there at the same time (时空伴随)."""

    kind = models.CharField(_("场所类型"), max_length=20, choices=PlaceKind.choices, unique=True)
    stay_minutes = models.PositiveSmallIntegerField(_("默认停留分钟"))
    margin_minutes = models.PositiveSmallIntegerField(_("前后延伸分钟"), default=30)

    class Meta:
        verbose_name = _("时空伴随规则")
        verbose_name_plural = _("时空伴随规则")
        ordering = ["kind"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.stay_minutes}/{self.margin_minutes}"


class TraceQuerySet(ScopedQuerySet):
    scope_grid_field = "grid"


class Trace(Audited):
    """流调: one case, opened on its onset or sampling date; the window runs from `window_days` before it to
    the moment the trace was opened (the case may have moved about until then)."""

    case = models.ForeignKey("people.Person", models.PROTECT, related_name="traces", verbose_name=_("病例"))
    # The case's community and grid when opened: scope reads these.
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="traces", verbose_name=_("社区/村"))
    grid = models.ForeignKey("territory.Grid", models.SET_NULL, null=True, blank=True, related_name="traces",
                             verbose_name=_("网格"))
    onset = models.DateField(_("发病或采样日期"))
    window_days = models.PositiveSmallIntegerField(_("追溯天数"), default=14)
    window_start = models.DateTimeField(_("追溯开始"))
    window_end = models.DateTimeField(_("追溯截止"))
    note = models.CharField(_("备注"), max_length=300, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                                  verbose_name=_("流调员"))
    opened_at = models.DateTimeField(_("开始时间"), auto_now_add=True)

    objects = TraceQuerySet.as_manager()

    class Meta:
        verbose_name = _("流调")
        verbose_name_plural = _("流调")
        ordering = ["-id"]
        permissions = [("act_on_contacts", _("判定密接并转入管控"))]
        indexes = [
            # the trace list of an area, newest first
            models.Index(fields=["area", "-id"], name="trace_area_recent"),
        ]

    def __str__(self):
        return _("%(case)s 的流调") % {"case": self.case}

    def get_absolute_url(self):
        return reverse("tracing:detail", args=[self.pk])


class VisitSource(models.TextChoices):
    PASSAGE = "passage", _("出入记录")
    INTERVIEW = "interview", _("流调询问")


class Visit(Audited):
    """A stay of the case at a place: paired from an entry and its exit, or told in the interview."""

    trace = models.ForeignKey(Trace, models.CASCADE, related_name="visits", verbose_name=_("流调"))
    place = models.ForeignKey("passes.Place", models.PROTECT, related_name="+", verbose_name=_("场所"))
    start = models.DateTimeField(_("到达时间"))
    end = models.DateTimeField(_("离开时间"))
    # True when no exit was recorded (or told): the end is the place kind's default stay.
    end_assumed = models.BooleanField(_("离开时间为估计"), default=False)
    source = models.CharField(_("来源"), max_length=10, choices=VisitSource.choices)
    wrong = models.BooleanField(_("已排除"), default=False)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                                 verbose_name=_("登记人"))

    class Meta:
        verbose_name = _("活动轨迹")
        verbose_name_plural = _("活动轨迹")
        ordering = ["start", "id"]

    def __str__(self):
        return f"{self.place} {self.start:%m-%d %H:%M}"


class ContactKind(models.TextChoices):
    CO_LOCATION = "co_location", _("时空伴随")
    HOUSEHOLD = "household", _("同户")
    WORKPLACE = "workplace", _("同单位")


class Mark(models.TextChoices):
    UNDECIDED = "undecided", _("待判定")
    CLOSE = "close", _("密接")
    SECONDARY = "secondary", _("次密接")
    NOT_CONTACT = "not_contact", _("排除")


class Contact(Audited):
    """A person found around the case (level 1) or around a confirmed close contact (level 2, 次密接)."""

    trace = models.ForeignKey(Trace, models.CASCADE, related_name="contacts", verbose_name=_("流调"))
    person = models.ForeignKey("people.Person", models.PROTECT, related_name="+", verbose_name=_("人员"))
    kind = models.CharField(_("关系"), max_length=12, choices=ContactKind.choices)
    level = models.PositiveSmallIntegerField(_("层级"), default=1)
    via = models.ForeignKey("self", models.CASCADE, null=True, blank=True, related_name="secondaries",
                            verbose_name=_("经由密接"))
    place = models.ForeignKey("passes.Place", models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("场所"))
    visit = models.ForeignKey(Visit, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("伴随的轨迹"))
    overlap_minutes = models.PositiveIntegerField(_("重叠分钟"), default=0)
    first_at = models.DateTimeField(_("伴随时间"), null=True, blank=True)
    mark = models.CharField(_("判定"), max_length=12, choices=Mark.choices, default=Mark.UNDECIDED)
    mark_note = models.CharField(_("判定说明"), max_length=300, blank=True)
    acted_at = models.DateTimeField(_("转入管控时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接触者")
        verbose_name_plural = _("接触者")
        ordering = ["level", "-overlap_minutes", "id"]
        constraints = [models.UniqueConstraint(fields=["trace", "person"], name="tracing_contact_once")]
        indexes = [
            # the gate's one read: has this person met a case lately (tracing.facts.EXPOSED_SQL)
            models.Index(fields=["person", "-first_at"], condition=models.Q(kind="co_location"),
                         name="tracing_contact_exposure"),
        ]

    def __str__(self):
        return f"{self.person} {self.get_kind_display()}"


class MarkChange(models.Model):
    """The history of a contact's marks; written once."""

    contact = models.ForeignKey(Contact, models.CASCADE, related_name="marks")
    from_mark = models.CharField(_("原判定"), max_length=12, choices=Mark.choices)
    to_mark = models.CharField(_("新判定"), max_length=12, choices=Mark.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("判定人"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_from_mark_display()} → {self.get_to_mark_display()}"


class TaskQuerySet(ScopedQuerySet):
    scope_grid_field = "grid"

    def open(self):
        return self.filter(done_at__isnull=True)


class ContactTask(models.Model):
    """A contact turned into a key person under isolation: the community worker of their home visits them
    (送达通知、落实管控), shown on the worker's home page until done."""

    contact = models.OneToOneField(Contact, models.CASCADE, related_name="task", verbose_name=_("接触者"))
    person = models.ForeignKey("people.Person", models.PROTECT, related_name="+", verbose_name=_("人员"))
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="+", verbose_name=_("社区/村"))
    grid = models.ForeignKey("territory.Grid", models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("网格"))
    created_at = models.DateTimeField(_("下发时间"), auto_now_add=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("完成人"))

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("流调协查任务")
        verbose_name_plural = _("流调协查任务")
        ordering = ["created_at", "id"]
        indexes = [
            # the home page's count of a community's open tasks
            models.Index(fields=["area"], condition=models.Q(done_at__isnull=True), name="tracing_task_open"),
        ]

    def __str__(self):
        return f"{self.person} {self.created_at:%m-%d}"


class RiskPlaceQuerySet(ScopedQuerySet):
    scope_area_field = "place__area"

    def current(self, since):
        return self.filter(active=True, ends_at__gte=since)


class RiskPlace(Audited):
    """A place the case visited, with the time window in which being there counts as a risk."""

    place = models.ForeignKey("passes.Place", models.PROTECT, related_name="risk_windows", verbose_name=_("场所"))
    trace = models.ForeignKey(Trace, models.CASCADE, related_name="risk_places", verbose_name=_("流调"))
    visit = models.OneToOneField(Visit, models.CASCADE, related_name="risk", verbose_name=_("轨迹"))
    starts_at = models.DateTimeField(_("风险开始"))
    ends_at = models.DateTimeField(_("风险结束"))
    active = models.BooleanField(_("有效"), default=True)

    objects = RiskPlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("风险场所")
        verbose_name_plural = _("风险场所")
        ordering = ["-starts_at", "id"]
        indexes = [
            # a resident's records page: the risk windows of the places they passed
            models.Index(fields=["place", "starts_at"], name="tracing_risk_place_time"),
        ]

    def __str__(self):
        return f"{self.place} {self.starts_at:%m-%d %H:%M}"


class RiskPolicy(models.Model):
    """A place's optional policy: whoever was at a risk place at the same time as a case (a co-location contact
    not excluded by the tracer) within the last `days` days may not enter."""

    place = models.OneToOneField("passes.Place", models.CASCADE, related_name="risk_policy", verbose_name=_("场所"))
    days = models.PositiveSmallIntegerField(_("天数"), default=14)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                               verbose_name=_("设置人"))
    set_at = models.DateTimeField(_("设置时间"), auto_now=True)

    class Meta:
        verbose_name = _("风险场所通行政策")
        verbose_name_plural = _("风险场所通行政策")

    def __str__(self):
        return f"{self.place} {self.days}"
