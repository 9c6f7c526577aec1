"""Enterprises (复工复产 and 闭环管理): the registry with its gates, the employee roster and daily check-ins, the
reopening application against the district's checklist, closed-loop mode with deliveries, and the problems
enterprises report.

Every change goes through enterprises.services, which writes its audit rows with the acting user."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.audit.models import Audited
from fangkong.core import crypto
from fangkong.core.identity import mask_phone
from fangkong.core.scope import ScopedQuerySet


def new_token() -> str:
    return secrets.token_urlsafe(16)


def new_verification_code() -> str:
    return secrets.token_hex(4).upper()


class Sector(models.TextChoices):
    MANUFACTURING = "manufacturing", _("制造业")
    CONSTRUCTION = "construction", _("建筑业")
    LOGISTICS = "logistics", _("交通运输和物流")
    TRADE = "trade", _("批发零售")
    FOOD = "food", _("住宿餐饮")
    IT = "it", _("信息技术")
    SERVICES = "services", _("商务服务")
    OTHER = "other", _("其他")


class Size(models.TextChoices):
    LARGE = "large", _("大型")
    MEDIUM = "medium", _("中型")
    SMALL = "small", _("小型")
    MICRO = "micro", _("微型")


class State(models.TextChoices):
    """Where the enterprise stands in reopening (复工复产); only an approved one opens its gates to employees."""

    CLOSED = "closed", _("未复工")
    APPLYING = "applying", _("审批中")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已复工")


def _manages_enterprises_only(user) -> bool:
    return user is not None and user.is_authenticated and user.manages_places_only()


class Park(Audited):
    """An industrial park (园区): enterprises are grouped by it, and its officers collect their problems."""

    name = models.CharField(_("名称"), max_length=100)
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="parks", verbose_name=_("所属区域"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("园区")
        verbose_name_plural = _("园区")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="park_unique_name_in_area")]

    def __str__(self):
        return self.name


class EnterpriseQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        # An enterprise admin sees only the enterprises they run; officers every enterprise of their area.
        decided = self.without_area(user)
        if decided is not None:
            return decided
        if _manages_enterprises_only(user):
            return self.filter(admins=user)
        return self.in_area(user.area)


class Enterprise(Audited):
    name = models.CharField(_("企业名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    sector = models.CharField(_("行业"), max_length=20, choices=Sector.choices, default=Sector.OTHER)
    size = models.CharField(_("规模"), max_length=10, choices=Size.choices, default=Size.SMALL)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="enterprises",
                             verbose_name=_("所属社区/村"))
    park = models.ForeignKey(Park, models.SET_NULL, null=True, blank=True, related_name="enterprises",
                             verbose_name=_("所属园区"))
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone_encrypted = models.TextField(_("联系电话（加密）"), editable=False, blank=True)
    liaison_officer = models.CharField(_("党建指导员/联络员"), max_length=50, blank=True)
    state = models.CharField(_("复工状态"), max_length=10, choices=State.choices, default=State.CLOSED)
    approved_at = models.DateTimeField(_("批准复工时间"), null=True, blank=True)
    closed_loop = models.BooleanField(_("闭环管理"), default=False)
    closed_loop_reason = models.CharField(_("闭环管理原因"), max_length=200, blank=True)
    # Kept by enterprises.services (add_employee, remove_employee) in the same transaction: the district's on-duty
    # table reads it instead of counting 500,000 employees per request (bench/enterprises.py).
    roster_count = models.PositiveIntegerField(_("名册人数"), default=0, editable=False)
    testing_campaign = models.ForeignKey("testing.Campaign", models.SET_NULL, null=True, blank=True,
                                         related_name="+", verbose_name=_("驻厂核酸检测"))
    admins = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="enterprises",
                                    verbose_name=_("企业管理员"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]
        permissions = [("set_closed_loop", _("设置闭环管理")), ("import_enterprise", _("导入企业"))]
        indexes = [
            # the enterprises of an area, and the district's table by sector
            models.Index(fields=["area", "sector"], name="enterprise_area_sector"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("enterprises:detail", args=[self.pk])

    def set_contact_phone(self, phone: str):
        self.contact_phone_encrypted = crypto.encrypt(phone) if phone else ""

    @property
    def contact_phone(self) -> str:
        return crypto.decrypt(self.contact_phone_encrypted) if self.contact_phone_encrypted else ""

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def open_to_employees(self) -> bool:
        return self.state == State.APPROVED


class EnterpriseGate(models.Model):
    """One of the enterprise's 一区一码 places. One-to-one, so that the gate's cached place carries its enterprise
    (passes.verdict.read_with_place): the gate verdict reads no more for it."""

    place = models.OneToOneField("passes.Place", models.CASCADE, related_name="enterprise_gate",
                                 verbose_name=_("门岗"))
    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="gates", verbose_name=_("企业"))

    class Meta:
        verbose_name = _("企业门岗")
        verbose_name_plural = _("企业门岗")

    def __str__(self):
        return f"{self.enterprise} · {self.place}"


class EmployeeQuerySet(ScopedQuerySet):
    scope_area_field = "enterprise__area"

    def visible_to(self, user):
        return self.filter(enterprise__in=Enterprise.objects.visible_to(user))

    def on_roster(self):
        return self.filter(active=True)


class Lodging(models.TextChoices):
    DORMITORY = "dormitory", _("住宿舍")
    HOME = "home", _("住家")


class Employee(Audited):
    """A person on an enterprise's roster (返岗职工台账)."""

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="employees", verbose_name=_("企业"))
    person = models.ForeignKey("people.Person", models.PROTECT, related_name="employments", verbose_name=_("人员"))
    department = models.CharField(_("部门"), max_length=50, blank=True)
    shift = models.CharField(_("班次"), max_length=30, blank=True)
    returned_from = models.CharField(_("从何地返岗"), max_length=100, blank=True)
    returned_on = models.DateField(_("返岗日期"), null=True, blank=True)
    lodging = models.CharField(_("住宿"), max_length=10, choices=Lodging.choices, default=Lodging.HOME)
    # Also on another enterprise's roster: told to both enterprises' admins, never refused (two jobs happen).
    duplicate_note = models.CharField(_("重复提示"), max_length=200, blank=True)
    active = models.BooleanField(_("在册"), default=True)
    checkin_token = models.CharField(_("打卡链接"), max_length=32, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = EmployeeQuerySet.as_manager()

    class Meta:
        verbose_name = _("职工")
        verbose_name_plural = _("职工")
        ordering = ["department", "id"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "person"], name="employee_once_per_enterprise")]
        indexes = [
            # the roster page and the counts by enterprise (index-only: enterprise, active)
            models.Index(fields=["enterprise", "active"], name="employee_roster"),
            # the roster page in its order, 50 at a time, without sorting the whole roster
            models.Index(fields=["enterprise", "department", "id"], name="employee_roster_order",
                         condition=models.Q(active=True)),
            # the gate's one read: the enterprises a person works for (passes gate row)
            models.Index(fields=["person"], name="employee_person", condition=models.Q(active=True)),
        ]

    def __str__(self):
        return f"{self.person} · {self.enterprise}"

    @property
    def checkin_url(self) -> str:
        """The personal phone check-in link, absolute: it is sent or printed as a QR code."""
        return f"{settings.FANGKONG_PUBLIC_URL}{reverse('enterprise_checkin', args=[self.checkin_token])}"


class CheckInSource(models.TextChoices):
    PHONE = "phone", _("本人手机")
    ADMIN = "admin", _("管理员代填")
    GATE = "gate", _("门岗扫码")
    API = "api", _("接口")


class CheckIn(models.Model):
    """A day's presence and health (健康打卡) of one employee: their own form, the admin's, or a scan at one of the
    enterprise's gates. One a day: the on-duty rate counts these rows."""

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="checkins", verbose_name=_("企业"))
    employee = models.ForeignKey(Employee, models.CASCADE, related_name="checkins", verbose_name=_("职工"))
    day = models.DateField(_("日期"))
    at = models.DateTimeField(_("打卡时间"))
    temperature = models.DecimalField(_("体温"), max_digits=3, decimal_places=1, null=True, blank=True)
    symptoms = models.BooleanField(_("有发热、咳嗽等症状"), default=False)
    source = models.CharField(_("方式"), max_length=10, choices=CheckInSource.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                           verbose_name=_("代填人"))

    class Meta:
        verbose_name = _("健康打卡")
        verbose_name_plural = _("健康打卡")
        constraints = [models.UniqueConstraint(fields=["employee", "day"], name="checkin_once_a_day")]
        indexes = [
            # present today by enterprise (the on-duty tables): index-only
            models.Index(fields=["day", "enterprise"], name="checkin_day_enterprise"),
        ]

    def __str__(self):
        return f"{self.employee} {self.day}"


class DayFigure(models.Model):
    """An enterprise's day: its capacity in use (产能恢复率, %), entered by the enterprise, and how many of its
    employees checked in, counted by enterprises.services with each new check-in (the tables read it)."""

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="day_figures", verbose_name=_("企业"))
    day = models.DateField(_("日期"))
    capacity_percent = models.PositiveSmallIntegerField(_("产能（%）"), null=True, blank=True)
    present = models.PositiveIntegerField(_("到岗人数"), default=0)

    class Meta:
        verbose_name = _("每日产能")
        verbose_name_plural = _("每日产能")
        constraints = [models.UniqueConstraint(fields=["enterprise", "day"], name="dayfigure_once_a_day")]

    def __str__(self):
        return f"{self.enterprise} {self.day} {self.capacity_percent}%"


# Reopening application ------------------------------------------------------------------------------

class ChecklistItem(Audited):
    """A requirement of the reopening checklist (六个一, 七抓七到位), edited by a district admin."""

    group = models.CharField(_("分组"), max_length=30)
    text = models.CharField(_("要求"), max_length=200)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    needs_attachment = models.BooleanField(_("须上传附件"), default=False)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("复工检查项")
        verbose_name_plural = _("复工检查项")
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.group} · {self.text}"


class Step(models.TextChoices):
    DRAFT = "draft", _("填写中")
    COMMUNITY = "community", _("社区/园区审核")
    SUBDISTRICT = "subdistrict", _("街道审核")
    DISTRICT = "district", _("区级联审")
    APPROVED = "approved", _("已批准")
    RETURNED = "returned", _("已退回")


# The review steps in order, each with the level of area whose officers decide it.
REVIEW_STEPS = [Step.COMMUNITY, Step.SUBDISTRICT, Step.DISTRICT]


class ApplicationQuerySet(ScopedQuerySet):
    scope_area_field = "enterprise__area"

    def visible_to(self, user):
        return self.filter(enterprise__in=Enterprise.objects.visible_to(user))


class Application(Audited):
    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="applications", verbose_name=_("企业"))
    step = models.CharField(_("进度"), max_length=12, choices=Step.choices, default=Step.DRAFT)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    verification_code = models.CharField(_("核验码"), max_length=12, unique=True,
                                         default=new_verification_code, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("复工申请")
        verbose_name_plural = _("复工申请")
        ordering = ["-id"]
        permissions = [("review_application", _("审核复工申请"))]
        indexes = [
            # the review queue of a step
            models.Index(fields=["step"], name="application_step"),
        ]

    def __str__(self):
        return f"{self.enterprise} · {self.get_step_display()}"

    def get_absolute_url(self):
        return reverse("enterprises:application", args=[self.pk])

    @property
    def editable(self) -> bool:
        return self.step in (Step.DRAFT, Step.RETURNED)


class Answer(models.Model):
    application = models.ForeignKey(Application, models.CASCADE, related_name="answers", verbose_name=_("申请"))
    item = models.ForeignKey(ChecklistItem, models.PROTECT, related_name="+", verbose_name=_("检查项"))
    text = models.TextField(_("落实情况"), blank=True)

    class Meta:
        verbose_name = _("检查项落实情况")
        verbose_name_plural = _("检查项落实情况")
        constraints = [models.UniqueConstraint(fields=["application", "item"], name="answer_once_per_item")]

    def __str__(self):
        return str(self.item)


class Attachment(models.Model):
    answer = models.ForeignKey(Answer, models.CASCADE, related_name="attachments", verbose_name=_("检查项"))
    file = models.FileField(upload_to="enterprises/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    kind = models.CharField(_("类型"), max_length=10)  # pdf / png / jpeg, from the content
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self):
        return self.name


class Decision(models.TextChoices):
    SUBMIT = "submit", _("提交")
    APPROVE = "approve", _("通过")
    RETURN = "return", _("退回")


class ApplicationEvent(models.Model):
    """The application's history, shown to the enterprise: who submitted, approved or returned it, and why."""

    application = models.ForeignKey(Application, models.CASCADE, related_name="events", verbose_name=_("申请"))
    step = models.CharField(_("环节"), max_length=12, choices=Step.choices)
    decision = models.CharField(_("操作"), max_length=10, choices=Decision.choices)
    reason = models.CharField(_("意见"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_step_display()} {self.get_decision_display()}"


# Closed loop ------------------------------------------------------------------------------------------

class Delivery(models.Model):
    """Goods handed over at a gate of an enterprise in closed loop (无接触配送): who, what, when."""

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="deliveries", verbose_name=_("企业"))
    place = models.ForeignKey("passes.Place", models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("门岗"))
    at = models.DateTimeField(_("时间"))
    plate = models.CharField(_("车牌号"), max_length=12, blank=True)
    driver = models.CharField(_("司机"), max_length=50, blank=True)
    goods = models.CharField(_("货物"), max_length=200)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("登记人"))

    class Meta:
        verbose_name = _("货物交接")
        verbose_name_plural = _("货物交接")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.enterprise} {self.goods}"


# Problems ---------------------------------------------------------------------------------------------

class ProblemKind(models.TextChoices):
    WORKERS = "workers", _("用工")
    MATERIALS = "materials", _("原材料")
    LOGISTICS = "logistics", _("物流运输")
    SUPPLIES = "supplies", _("防疫物资")
    FINANCING = "financing", _("资金融资")
    OTHER = "other", _("其他")


class ProblemState(models.TextChoices):
    OPEN = "open", _("待受理")
    TAKEN = "taken", _("办理中")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


OPEN_PROBLEM_STATES = [ProblemState.OPEN, ProblemState.TAKEN, ProblemState.ANSWERED]


class ProblemQuerySet(ScopedQuerySet):
    scope_area_field = "enterprise__area"

    def visible_to(self, user):
        return self.filter(enterprise__in=Enterprise.objects.visible_to(user))

    def open(self):
        return self.filter(state__in=OPEN_PROBLEM_STATES)


class Problem(Audited):
    """问题收集: what an enterprise needs, taken by the park or a department, answered, closed."""

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="problems", verbose_name=_("企业"))
    kind = models.CharField(_("类别"), max_length=10, choices=ProblemKind.choices)
    text = models.TextField(_("问题描述"))
    state = models.CharField(_("状态"), max_length=10, choices=ProblemState.choices, default=ProblemState.OPEN)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                    verbose_name=_("反映人"))
    reported_at = models.DateTimeField(_("反映时间"), auto_now_add=True)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("承办人"))
    taken_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    answer = models.TextField(_("答复"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业问题")
        verbose_name_plural = _("企业问题")
        ordering = ["reported_at"]
        indexes = [
            # open problems by age (the officers' 待办)
            models.Index(fields=["state", "reported_at"], name="problem_state_age"),
        ]

    def __str__(self):
        return f"{self.enterprise} · {self.get_kind_display()}"

    @property
    def response_time(self):
        return self.taken_at - self.reported_at if self.taken_at else None

    @property
    def closing_time(self):
        return self.closed_at - self.reported_at if self.closed_at else None


class RosterImport(models.Model):
    """Which enterprise's roster an import job fills (the job itself is core's ImportJob)."""

    job = models.OneToOneField("core.ImportJob", models.CASCADE, related_name="roster_import")
    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="+")

    def __str__(self):
        return f"{self.enterprise} #{self.job_id}"
