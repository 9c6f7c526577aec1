"""Persons. Identity and phone numbers are stored only encrypted, found through keyed blind indexes."""

from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from fangkong.audit.models import Audited
from fangkong.core import crypto
from fangkong.core.identity import DocumentType, mask_document, mask_name, mask_phone
from fangkong.core.scope import ScopedQuerySet

# Blind-index purposes: each kind of lookup has its own, so equal values in two columns do not match.
ID_FULL, ID_TAIL4, ID_TAIL6, PHONE_FULL, PHONE_TAIL4 = "id", "id4", "id6", "phone", "phone4"


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")
    UNKNOWN = "U", _("未知")


class HouseholdRole(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    TENANT = "tenant", _("租户")
    OTHER = "other", _("其他")


class Residency(models.TextChoices):
    PERMANENT = "permanent", _("户籍人口")
    FLOATING = "floating", _("流动人口")
    # Known only from declarations (a scan, a guard's assisted registration, a vehicle's occupants): not a
    # resident of any community until a worker confirms them (DESIGN.md, who a resident is).
    VISITOR = "visitor", _("来访人员")


# The household ledger's population: what every count of residents, ledger list and report counts.
LEDGER_RESIDENCIES = (Residency.PERMANENT, Residency.FLOATING)


MAX_VACCINE_DOSES = 5


class Tag(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        ordering = ["name"]

    def __str__(self):
        return self.name


class PersonQuerySet(ScopedQuerySet):
    scope_grid_field = "household__grid"

    def in_ledger(self):
        """Registered and floating residents: the one rule of who counts as a resident anywhere."""
        return self.filter(residency__in=LEDGER_RESIDENCIES)

    def visitors(self):
        """来访人员: known only from declarations, waiting for a worker's confirmation."""
        return self.filter(residency=Residency.VISITOR)

    def with_document(self, doc_type, number):
        """Persons holding this (normalised) document number, under any configured key."""
        return self.filter(id_type=doc_type, id_index__in=crypto.blind_indexes(ID_FULL, number))

    def search(self, text):
        """Name, the last 4-6+ digits of an identity number, or a phone number (full or last four)."""
        text = (text or "").strip().upper().replace(" ", "")
        if not text:
            return self
        if text.isdigit() or (text[:-1].isdigit() and text.endswith("X")):
            query = models.Q(pk__in=[])
            if len(text) >= 15:
                from fangkong.core.identity import normalize_resident_id

                try:
                    text = normalize_resident_id(text)
                except Exception:
                    pass
                # id_type leads the unique index (id_type, id_index): naming every type lets the lookup use it.
                query |= models.Q(id_type__in=DocumentType.values, id_index__in=crypto.blind_indexes(ID_FULL, text))
            elif len(text) >= 6:
                query |= models.Q(id_tail6_index__in=crypto.blind_indexes(ID_TAIL6, text[-6:]))
            elif len(text) >= 4:
                # Only for 4-5 characters: a longer number must not also match everyone sharing its last four.
                query |= models.Q(id_tail4_index__in=crypto.blind_indexes(ID_TAIL4, text[-4:]))
            if text.isdigit() and len(text) == 4:
                query |= models.Q(phone_tail4_index__in=crypto.blind_indexes(PHONE_TAIL4, text))
            if text.isdigit() and len(text) == 11:
                query |= models.Q(phone_index__in=crypto.blind_indexes(PHONE_FULL, text))
            return self.filter(query)
        return self.filter(name__contains=text)


class Person(Audited):
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_type = models.CharField(_("证件类型"), max_length=20, choices=DocumentType.choices,
                               default=DocumentType.RESIDENT_ID)
    id_number_encrypted = models.TextField(_("证件号码（加密）"), editable=False)
    # Blind indexes: full number (lookup, duplicates), last 4 and last 6 characters (staff search).
    id_index = models.CharField(_("证件号码索引"), max_length=64, editable=False)
    id_tail4_index = models.CharField(_("证件号码后4位索引"), max_length=64, editable=False, db_index=True)
    id_tail6_index = models.CharField(_("证件号码后6位索引"), max_length=64, editable=False, db_index=True)
    phone_encrypted = models.TextField(_("手机号（加密）"), editable=False, blank=True)
    phone_index = models.CharField(_("手机号索引"), max_length=64, editable=False, blank=True, db_index=True)
    phone_tail4_index = models.CharField(_("手机号后4位索引"), max_length=64, editable=False, blank=True, db_index=True)
    area = models.ForeignKey("territory.Area", models.PROTECT, related_name="persons", verbose_name=_("社区/村"))
    household = models.ForeignKey("territory.Household", models.SET_NULL, null=True, blank=True,
                                  related_name="persons", verbose_name=_("户"))
    household_role = models.CharField(_("与户主关系"), max_length=10, choices=HouseholdRole.choices, blank=True)
    residency = models.CharField(_("人口类型"), max_length=10, choices=Residency.choices,
                                 default=Residency.PERMANENT)
    returned_on = models.DateField(_("返回日期"), null=True, blank=True)
    returned_from = models.CharField(_("从何地返回"), max_length=100, blank=True)
    workplace = models.CharField(_("工作单位"), max_length=100, blank=True)
    vaccine_doses = models.PositiveSmallIntegerField(_("疫苗接种剂次"), default=0,
                                                     validators=[MaxValueValidator(MAX_VACCINE_DOSES)])
    tags = models.ManyToManyField(Tag, blank=True, related_name="persons", verbose_name=_("标签"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["-id"]
        permissions = [
            ("view_full_identity", _("查看完整证件号码和手机号")),
            ("export_person", _("导出人员")),
            ("import_person", _("导入人员台账")),
        ]
        constraints = [
            # duplicate detection: one person per document
            models.UniqueConstraint(fields=["id_type", "id_index"], name="person_unique_document"),
            models.UniqueConstraint(fields=["household"], condition=models.Q(household_role=HouseholdRole.HEAD),
                                    name="household_one_head"),
        ]
        indexes = [
            # person list of a community, newest first
            models.Index(fields=["area", "-id"], name="person_area_recent"),
            models.Index(fields=["name"], name="person_name"),
        ]

    def __str__(self):
        return mask_name(self.name)

    def get_absolute_url(self):
        return reverse("people:detail", args=[self.pk])

    @property
    def is_visitor(self) -> bool:
        return self.residency == Residency.VISITOR

    # Numbers: set through these, never through the encrypted columns.
    def set_document(self, doc_type: str, number: str):
        self.id_type = doc_type
        self.id_number_encrypted = crypto.encrypt(number)
        self.id_index = crypto.blind_index(ID_FULL, number)
        self.id_tail4_index = crypto.blind_index(ID_TAIL4, number[-4:])
        self.id_tail6_index = crypto.blind_index(ID_TAIL6, number[-6:])

    def set_phone(self, phone: str):
        self.phone_encrypted = crypto.encrypt(phone) if phone else ""
        self.phone_index = crypto.blind_index(PHONE_FULL, phone) if phone else ""
        self.phone_tail4_index = crypto.blind_index(PHONE_TAIL4, phone[-4:]) if phone else ""

    def rebuild_blind_indexes(self) -> list[str]:
        """Key rotation (rotate_field_keys): the indexes under the newest key."""
        self.set_document(self.id_type, self.id_number)
        self.set_phone(self.phone)
        return ["id_index", "id_tail4_index", "id_tail6_index", "phone_index", "phone_tail4_index"]

    @property
    def id_number(self) -> str:
        """Plaintext: only for services that audit the read (people.services.reveal)."""
        return crypto.decrypt(self.id_number_encrypted) if self.id_number_encrypted else ""

    @property
    def phone(self) -> str:
        return crypto.decrypt(self.phone_encrypted) if self.phone_encrypted else ""

    @property
    def id_number_masked(self) -> str:
        return mask_document(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)

    @cached_property
    def home_compound_id(self) -> int | None:
        """The compound (小区) of the person's household, for residents-only gates; None without one.
        The gate's hot paths set it from their one query (passes.services.gate_person)."""
        if self.household_id is None:
            return None
        from fangkong.territory.models import Household

        return Household.objects.filter(pk=self.household_id).values_list("unit__building__compound_id",
                                                                          flat=True).first()


class CareGroup(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("独居老人")
    DISABLED = "disabled", _("残疾人")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
    CHRONIC = "chronic", _("慢性病患者")
    PREGNANT = "pregnant", _("孕产妇")


class CareQuerySet(ScopedQuerySet):
    scope_area_field = "person__area"
    scope_grid_field = "person__household__grid"


class Care(Audited):
    """A vulnerable person in one group, looked after by a responsible worker who visits them."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="cares", verbose_name=_("人员"))
    group = models.CharField(_("关爱类别"), max_length=20, choices=CareGroup.choices)
    worker = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="cares",
                               verbose_name=_("责任人"))
    note = models.CharField(_("情况说明"), max_length=200, blank=True)
    # Kept by the visit service, so "not visited within N days" is one indexed filter.
    last_visited_on = models.DateField(_("最近走访"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = CareQuerySet.as_manager()

    class Meta:
        verbose_name = _("关爱对象")
        verbose_name_plural = _("关爱对象")
        ordering = ["last_visited_on", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "group"], name="care_unique_group")]
        indexes = [models.Index(fields=["last_visited_on"], name="care_last_visit")]

    def __str__(self):
        return f"{self.person} {self.get_group_display()}"


class Visit(models.Model):
    """走访: a worker's visit to a vulnerable person. Written once."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="visits", verbose_name=_("人员"))
    visited_on = models.DateField(_("走访日期"))
    by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+", verbose_name=_("走访人"))
    note = models.CharField(_("走访情况"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-id"]

    def __str__(self):
        return f"{self.person} {self.visited_on}"


class RentalState(models.TextChoices):
    RENTED = "rented", _("已出租")
    VACANT = "vacant", _("空置")


class RentalQuerySet(ScopedQuerySet):
    scope_area_field = "household__area"
    scope_grid_field = "household__grid"


class Rental(Audited):
    """出租屋: a household unit let by a landlord, who may live outside the district (so: name and phone)."""

    household = models.OneToOneField("territory.Household", models.CASCADE, related_name="rental",
                                     verbose_name=_("房屋"))
    landlord_name = models.CharField(_("房东姓名"), max_length=50)
    landlord_phone_encrypted = models.TextField(_("房东联系电话（加密）"), editable=False, blank=True)
    state = models.CharField(_("出租状态"), max_length=10, choices=RentalState.choices, default=RentalState.RENTED)
    # The landlord's signed commitment letter (承诺书): a scan or photo, served only through a scoped view.
    letter = models.FileField(_("承诺书"), upload_to="rentals/letters/%Y/%m/", blank=True)
    letter_signed_on = models.DateField(_("承诺书签订日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = RentalQuerySet.as_manager()

    class Meta:
        verbose_name = _("出租屋")
        verbose_name_plural = _("出租屋")
        ordering = ["-id"]

    def __str__(self):
        return str(self.household)

    def set_landlord_phone(self, phone: str):
        self.landlord_phone_encrypted = crypto.encrypt(phone) if phone else ""

    @property
    def landlord_phone(self) -> str:
        return crypto.decrypt(self.landlord_phone_encrypted) if self.landlord_phone_encrypted else ""

    @property
    def landlord_phone_masked(self) -> str:
        return mask_phone(self.landlord_phone)


class Tenancy(Audited):
    rental = models.ForeignKey(Rental, models.CASCADE, related_name="tenancies", verbose_name=_("出租屋"))
    person = models.ForeignKey(Person, models.PROTECT, related_name="tenancies", verbose_name=_("承租人"))
    moved_in = models.DateField(_("入住日期"))
    moved_out = models.DateField(_("搬离日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("承租记录")
        verbose_name_plural = _("承租记录")
        ordering = ["-moved_in", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(moved_out__isnull=True) | models.Q(moved_out__gte=models.F("moved_in")),
                name="tenancy_out_after_in"),
        ]


class LedgerImport(models.Model):
    """What the import page chose for a ledger import job: the community of rows that name none."""

    job = models.OneToOneField("core.ImportJob", models.CASCADE, primary_key=True, related_name="ledger_options")
    community = models.ForeignKey("territory.Area", models.CASCADE, related_name="+", verbose_name=_("默认社区/村"))

    class Meta:
        verbose_name = _("台账导入选项")
        verbose_name_plural = _("台账导入选项")

    def __str__(self):
        return str(self.community)
