"""一区一码: places with their codes, residents' devices and declarations, and passages."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.audit.models import Audited
from fangkong.core import crypto
from fangkong.core.identity import mask_phone
from fangkong.core.scope import ScopedQuerySet


def new_place_code() -> str:
    """128 random bits, URL-safe: never derived from the id, so codes cannot be guessed or enumerated."""
    return secrets.token_urlsafe(16)


class PlaceKind(models.TextChoices):
    COMPOUND_GATE = "compound_gate", _("小区门岗")
    CHECKPOINT = "checkpoint", _("卡点")
    VENUE = "venue", _("公共场所")
    ORGANISATION = "organisation", _("机关单位")
    ENTERPRISE_GATE = "enterprise_gate", _("企业门岗")
    TRAFFIC = "traffic", _("交通卡口")


class PlaceState(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已启用")
    REJECTED = "rejected", _("未通过")
    SUSPENDED = "suspended", _("已暂停")


class PassPolicy(models.TextChoices):
    STANDARD = "standard", _("标准：发热、接触史禁止，去过风险地区提醒")
    STRICT = "strict", _("严格：任何异常都禁止通行")
    RESIDENTS = "residents", _("仅本小区住户：其他人员提醒登记")


def _managed_only(user) -> bool:
    return user is not None and user.is_authenticated and user.manages_places_only()


class PlaceQuerySet(ScopedQuerySet):
    scope_grid_field = "grid"

    def visible_to(self, user):
        # An enterprise admin is bound to an area like everyone, but sees only the places they manage in it.
        places = super().visible_to(user)
        return places.filter(managers=user) if _managed_only(user) else places

    def approved(self):
        return self.filter(state=PlaceState.APPROVED)


class Place(Audited):
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="places", verbose_name=_("所属区域"))
    compound = models.ForeignKey("territory.Compound", models.SET_NULL, null=True, blank=True, related_name="places",
                                 verbose_name=_("小区/楼院"))
    grid = models.ForeignKey("territory.Grid", models.SET_NULL, null=True, blank=True, related_name="places",
                             verbose_name=_("网格"))
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=PlaceKind.choices)
    address = models.CharField(_("地址"), max_length=200)
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone_encrypted = models.TextField(_("联系电话（加密）"), editable=False, blank=True)
    state = models.CharField(_("状态"), max_length=20, choices=PlaceState.choices, default=PlaceState.PENDING)
    state_reason = models.CharField(_("原因"), max_length=200, blank=True)
    measures_temperature = models.BooleanField(_("测量体温"), default=True)
    records_exit = models.BooleanField(_("登记出口"), default=False, help_text=_("否则只登记进入"))
    policy = models.CharField(_("通行规则"), max_length=20, choices=PassPolicy.choices, default=PassPolicy.STANDARD)
    code = models.CharField(_("场所码"), max_length=32, unique=True, default=new_place_code, editable=False)
    code_issued_at = models.DateTimeField(_("场所码启用时间"), default=timezone.now, editable=False)
    applied_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("审核人"))
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="checkpoint_places",
                                   verbose_name=_("值守人员"))
    # The enterprise admins who look after this place (their gate): they see it, its poster and its passages.
    managers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="managed_places",
                                      verbose_name=_("企业管理员"))

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("场所")
        verbose_name_plural = _("场所")
        ordering = ["area_id", "name"]
        permissions = [("approve_place", _("审核场所")), ("export_passage", _("导出出入记录"))]
        indexes = [
            # registration queue and the approved places of an area
            models.Index(fields=["area", "state"], name="place_area_state"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("places:detail", args=[self.pk])

    @property
    def scan_url(self) -> str:
        return f"{settings.FANGKONG_PUBLIC_URL}/c/{self.code}"

    def set_contact_phone(self, phone: str):
        self.contact_phone_encrypted = crypto.encrypt(phone) if phone else ""

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(crypto.decrypt(self.contact_phone_encrypted)) if self.contact_phone_encrypted else ""

    @property
    def code_active_since(self):
        """When the current code began to open the gate: approval, or a later change of code; None while the
        place has never been approved (its code exists but opens nothing)."""
        if self.state not in (PlaceState.APPROVED, PlaceState.SUSPENDED) or self.decided_at is None:
            return None
        return max(self.decided_at, self.code_issued_at)


class Device(models.Model):
    """A resident's phone, known by a signed cookie; the people registered on it pass with one tap."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    persons = models.ManyToManyField("people.Person", through="DeviceMember", related_name="devices")

    class Meta:
        verbose_name = _("居民设备")
        verbose_name_plural = _("居民设备")

    def __str__(self):
        return str(self.pk)


class Proof(models.TextChoices):
    """How a phone proved that it belongs to (or looks after) the person registered on it."""

    NEW = "new", _("本人首次申报登记")
    SMS = "sms", _("短信验证码")
    STATION = "station", _("卡点工作人员核验证件")


class DeviceMember(models.Model):
    """A person registered on a phone. The phone may record passages for them at once; it sees anything of
    theirs (passages, pass code, colour) only once the link is proven (verified_at): a declaration that
    created the person, a code sent to the phone number on record, or a worker who checked the ID card."""

    device = models.ForeignKey(Device, models.CASCADE, related_name="members")
    person = models.ForeignKey("people.Person", models.CASCADE, related_name="device_memberships")
    label = models.CharField(_("称呼"), max_length=20, help_text=_("如：本人、母亲、儿子"))
    added_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(_("验证时间"), null=True, blank=True)
    verified_via = models.CharField(_("验证方式"), max_length=10, choices=Proof.choices, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("核验人"))

    class Meta:
        ordering = ["added_at"]
        constraints = [models.UniqueConstraint(fields=["device", "person"], name="device_member_unique")]

    def __str__(self):
        return self.label

    @property
    def proven(self) -> bool:
        return self.verified_at is not None


class Declaration(models.Model):
    """健康申报: the answers a resident gives once; the latest one is a fact of the gate verdict."""

    person = models.ForeignKey("people.Person", models.CASCADE, related_name="declarations", verbose_name=_("人员"))
    place = models.ForeignKey(Place, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("场所"))
    at = models.DateTimeField(_("申报时间"), default=timezone.now)
    visited_risk_area = models.BooleanField(_("14天内去过中高风险地区"))
    has_symptoms = models.BooleanField(_("有发热、咳嗽等症状"))
    had_contact = models.BooleanField(_("接触过确诊或疑似人员"))
    # The name given with this declaration: a visitor's record follows the latest one, a ledger person's
    # does not, so what each declaration said stays here.
    name = models.CharField(_("申报姓名"), max_length=50, blank=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    consent_version = models.CharField(_("同意书版本"), max_length=20)
    # False when made on a phone that has not proven whose number it typed: kept as said, but it is no fact
    # of the person's (their colour and later passages read proven declarations only).
    proven = models.BooleanField(_("已验证身份"), default=True)

    class Meta:
        verbose_name = _("健康申报")
        verbose_name_plural = _("健康申报")
        indexes = [
            # gate verdict: the latest declaration of a person
            models.Index(fields=["person", "-at"], name="declaration_latest"),
        ]

    def __str__(self):
        return f"{self.person} {self.at:%Y-%m-%d}"


class Challenge(models.Model):
    """A one-time code that proves a phone's link to a person (DeviceMember): sent by SMS to the phone number
    on record and typed on the phone (kind sms), or shown on the phone and typed by a worker at a station who
    has checked the ID card (kind station). Only a keyed digest of the code is stored; tries are counted."""

    member = models.ForeignKey(DeviceMember, models.CASCADE, related_name="challenges")
    kind = models.CharField(max_length=10, choices=[(Proof.SMS, Proof.SMS.label), (Proof.STATION, Proof.STATION.label)])
    code_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # a station worker's typed code: the live challenge with that digest
            models.Index(fields=["code_digest"], name="challenge_digest"),
            # limits: the codes sent for one link lately
            models.Index(fields=["member", "-created_at"], name="challenge_member_time"),
        ]

    def __str__(self):
        return f"{self.member_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class Direction(models.TextChoices):
    IN = "in", _("入")
    OUT = "out", _("出")


class Verdict(models.TextChoices):
    ALLOW = "allow", _("通行")
    WARN = "warn", _("提醒")
    DENY = "deny", _("禁止")


class Channel(models.TextChoices):
    SCAN = "scan", _("扫码")
    ASSISTED = "assisted", _("代登记")
    VEHICLE = "vehicle", _("车辆")
    API = "api", _("接口")
    PASS_CODE = "pass_code", _("通行码")
    CARD = "card", _("通行卡")


class PassageQuerySet(ScopedQuerySet):
    scope_grid_field = "place__grid"

    def visible_to(self, user):
        passages = super().visible_to(user)
        return passages.filter(place__managers=user) if _managed_only(user) else passages


class Passage(models.Model):
    """出入记录: written once and never edited; a correction is a new row pointing at the one it corrects."""

    person = models.ForeignKey("people.Person", models.PROTECT, related_name="passages", verbose_name=_("人员"))
    place = models.ForeignKey(Place, models.PROTECT, related_name="passages", verbose_name=_("场所"))
    # The place's area, copied so that scope and area counts need no join on the hot tables.
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="+", verbose_name=_("社区/村"))
    direction = models.CharField(_("方向"), max_length=3, choices=Direction.choices, default=Direction.IN)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    temperature = models.DecimalField(_("体温"), max_digits=3, decimal_places=1, null=True, blank=True)
    verdict = models.CharField(_("结果"), max_length=5, choices=Verdict.choices)
    reasons = models.JSONField(_("原因"), default=list, blank=True)
    channel = models.CharField(_("方式"), max_length=10, choices=Channel.choices)
    recorder = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("登记人"))
    vehicle_plate = models.CharField(_("车牌"), max_length=12, blank=True)
    corrects = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="corrections",
                                 verbose_name=_("更正的记录"))
    # A double tap or a retried request carries the same key and finds the passage already written.
    idempotency_key = models.CharField(_("防重复提交键"), max_length=64, unique=True)

    objects = PassageQuerySet.as_manager()

    class Meta:
        verbose_name = _("出入记录")
        verbose_name_plural = _("出入记录")
        ordering = ["-at"]
        permissions = [("record_passage", _("登记出入"))]
        indexes = [
            # station page and tracing: passages at a place in a time window; tracing's co-location search reads
            # who and which way from the index alone (index-only scan: no heap page per passage, bench/tracing.py)
            models.Index(fields=["place", "-at"], name="passage_place_time", include=["id", "person", "direction"]),
            # a resident's own passages, and tracing by person
            models.Index(fields=["person", "-at"], name="passage_person_time"),
            # back office: passages in an area by time
            models.Index(fields=["area", "-at"], name="passage_area_time"),
            # back office, API and exports over a wide scope (a district's many areas): newest first
            models.Index(fields=["-at"], name="passage_time"),
        ]

    def __str__(self):
        return f"{self.place} {self.get_direction_display()} {self.at:%Y-%m-%d %H:%M}"


class PassageAck(models.Model):
    """已处理: a guard has dealt with a warning or a denial; the passage itself stays as written."""

    passage = models.OneToOneField(Passage, models.CASCADE, related_name="ack")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+",
                             verbose_name=_("处理人"))
    at = models.DateTimeField(_("处理时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已处理提醒")
        verbose_name_plural = _("已处理提醒")

    def __str__(self):
        return f"{self.passage} {self.user}"


class DutyShift(Audited):
    """定岗定人定责: who staffs which checkpoint in which shift."""

    place = models.ForeignKey(Place, models.CASCADE, related_name="shifts", verbose_name=_("场所"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="shifts",
                             verbose_name=_("值守人员"))
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    duty = models.CharField(_("职责"), max_length=50, blank=True, help_text=_("如：测温、扫码核验、登记"))

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "place__area"

    class Meta:
        verbose_name = _("值班")
        verbose_name_plural = _("值班")
        ordering = ["place_id", "starts_at"]
        indexes = [models.Index(fields=["place", "starts_at"], name="shift_place_start")]

    def __str__(self):
        return f"{self.place} {self.user}"


class RejectedScan(models.Model):
    """A scan of an unknown, altered, revoked or suspended code: counted, never a passage.

    The code is kept as a fingerprint, never whole: a refused pass code may be a real one replayed or scanned at
    the wrong gate, and with the address beside it the row would be a usable pass. The same code gives the same
    fingerprint, so repeated attempts still show. Deleted with the passages (purge_passages)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)  # retention: rows older than the passages' go
    code = models.CharField(max_length=64)
    reason = models.CharField(max_length=20)
    place = models.ForeignKey(Place, models.CASCADE, null=True, blank=True, related_name="+")
    ip = models.CharField(max_length=45, blank=True)

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.reason}"

    def save(self, *args, **kwargs):
        # Every caller's whole code becomes its fingerprint here, the one place rows are written.
        self.code = self.fingerprint(self.code or "")
        super().save(*args, **kwargs)

    @staticmethod
    def fingerprint(code: str) -> str:
        """A few leading characters (which kind of code it was) and a keyed digest of the whole code."""
        from django.utils.crypto import salted_hmac

        if "~" in code:  # a fingerprint already
            return code[:64]
        digest = salted_hmac("fangkong.passes.RejectedScan", code, algorithm="sha256").hexdigest()[:20]
        return f"{code[:min(4, len(code) // 4)]}~{digest}"

