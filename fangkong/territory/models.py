"""The district's territory: one area tree, grids over it, and addresses down to the household."""

from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.audit.models import Audited
from fangkong.core import cache as versions
from fangkong.core.scope import ScopedQuerySet

MIN_FLOOR, MAX_FLOOR = -5, 200

# A new area shows up in other processes' scopes within this many seconds (at once in this one and,
# with the shared Redis cache of a production deployment, in all).
SUBTREE_CACHE_SECONDS = 60
AREA_TREE_VERSION = "fangkong:area-tree-version"


def area_tree_changed(**kwargs):
    versions.bump(AREA_TREE_VERSION)


class AreaLevel(models.TextChoices):
    DISTRICT = "district", _("区")
    SUBDISTRICT = "subdistrict", _("街道/镇")
    COMMUNITY = "community", _("社区/村")


LEVEL_ORDER = [AreaLevel.DISTRICT, AreaLevel.SUBDISTRICT, AreaLevel.COMMUNITY]


class AreaQuerySet(ScopedQuerySet):
    scope_area_field = "pk"

    def subtree(self, area):
        """`area` and every area below it (the materialised path makes this one indexed range)."""
        return self.filter(path__startswith=area.path)


class Area(Audited):
    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("区划代码"), max_length=20, blank=True)
    level = models.CharField(_("层级"), max_length=20, choices=AreaLevel.choices)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级")
    )
    # "/1/4/17/": ids from the root; scope checks are prefix matches on it.
    path = models.CharField(max_length=255, editable=False, db_index=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]
        permissions = [("import_territory", _("导入辖区"))]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="area_unique_name_in_parent"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("territory:area", args=[self.pk])

    def clean(self):
        from django.core.exceptions import ValidationError

        expected = LEVEL_ORDER[LEVEL_ORDER.index(self.parent.level) + 1] if self.parent else AreaLevel.DISTRICT
        if self.parent and self.parent.level == AreaLevel.COMMUNITY:
            raise ValidationError({"parent": _("社区/村下不能再建下级区域")})
        if self.level != expected:
            raise ValidationError({"level": _("层级应为“%(level)s”") % {"level": expected.label}})

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        path = f"{self.parent.path if self.parent else '/'}{self.pk}/"
        if path != self.path:
            self.path = path
            Area.objects.filter(pk=self.pk).update(path=path)

    def subtree_ids(self) -> list[int]:
        """Ids of this area and all below it; cached, since every scoped query asks and areas rarely change."""
        key = f"fangkong:subtree:{versions.version(AREA_TREE_VERSION)}:{self.path}"
        ids = cache.get(key)
        if ids is None:
            ids = list(Area.objects.filter(path__startswith=self.path).order_by().values_list("pk", flat=True))
            cache.set(key, ids, SUBTREE_CACHE_SECONDS)
        return ids

    def ancestors(self):
        ids = [int(part) for part in self.path.strip("/").split("/")[:-1]]
        return list(Area.objects.filter(pk__in=ids).order_by("path"))

    def is_within(self, other: "Area") -> bool:
        return self.path.startswith(other.path)

    @property
    def full_name(self):
        return " · ".join(a.name for a in [*self.ancestors(), self])


class GridLevel(models.IntegerChoices):
    FIRST = 1, _("一级网格")
    SECOND = 2, _("二级网格")
    THIRD = 3, _("三级网格")


class Grid(Audited):
    """A grid overlays one community; grids nest up to three levels, each with a leader and members."""

    area = models.ForeignKey(Area, models.PROTECT, related_name="grids", verbose_name=_("社区/村"))
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级网格")
    )
    level = models.PositiveSmallIntegerField(_("网格层级"), choices=GridLevel.choices, default=GridLevel.FIRST)
    name = models.CharField(_("名称"), max_length=100)
    leader = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="led_grids", verbose_name=_("网格长")
    )
    members = models.ManyToManyField(
        "accounts.User", blank=True, related_name="member_grids", verbose_name=_("网格员")
    )

    objects = ScopedQuerySet.as_manager()
    scope_grid_field = "pk"

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["area_id", "level", "name"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="grid_unique_name_in_area")]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.area_id and self.area.level != AreaLevel.COMMUNITY:
            raise ValidationError({"area": _("网格只能建在社区/村下")})
        if self.parent and (self.parent.area_id != self.area_id or self.parent.level >= self.level):
            raise ValidationError({"parent": _("上级网格应在同一社区且层级更高")})


class Compound(Audited):
    """小区/楼院: a residential compound or courtyard in a community."""

    area = models.ForeignKey(Area, models.PROTECT, related_name="compounds", verbose_name=_("社区/村"))
    grid = models.ForeignKey(Grid, models.SET_NULL, null=True, blank=True, related_name="compounds",
                             verbose_name=_("网格"))
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_grid_field = "grid"

    class Meta:
        verbose_name = _("小区/楼院")
        verbose_name_plural = _("小区/楼院")
        ordering = ["area_id", "name"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="compound_unique_name_in_area")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("territory:compound", args=[self.pk])


class Building(Audited):
    compound = models.ForeignKey(Compound, models.CASCADE, related_name="buildings", verbose_name=_("小区/楼院"))
    name = models.CharField(_("楼栋"), max_length=50)
    grid = models.ForeignKey(Grid, models.SET_NULL, null=True, blank=True, related_name="buildings",
                             verbose_name=_("网格"))

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "compound__area"
    scope_grid_field = "grid"

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["compound_id", "name"]
        constraints = [models.UniqueConstraint(fields=["compound", "name"], name="building_unique_name")]

    def __str__(self):
        return f"{self.compound.name}{self.name}"


class Unit(Audited):
    building = models.ForeignKey(Building, models.CASCADE, related_name="units", verbose_name=_("楼栋"))
    name = models.CharField(_("单元"), max_length=50)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "building__compound__area"
    scope_grid_field = "building__grid"

    class Meta:
        verbose_name = _("单元")
        verbose_name_plural = _("单元")
        ordering = ["building_id", "name"]
        constraints = [models.UniqueConstraint(fields=["building", "name"], name="unit_unique_name")]

    def __str__(self):
        return f"{self.building}{self.name}"


class HouseholdQuerySet(ScopedQuerySet):
    def search(self, text):
        text = (text or "").strip()
        return self.filter(address__icontains=text) if text else self


class Household(Audited):
    """户: one dwelling. Villages have no compounds, so the unit is optional and the address free text."""

    area = models.ForeignKey(Area, models.PROTECT, related_name="households", verbose_name=_("社区/村"))
    grid = models.ForeignKey(Grid, models.SET_NULL, null=True, blank=True, related_name="households",
                             verbose_name=_("网格"))
    unit = models.ForeignKey(Unit, models.PROTECT, null=True, blank=True, related_name="households",
                             verbose_name=_("单元"))
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True,
                                     validators=[MinValueValidator(MIN_FLOOR), MaxValueValidator(MAX_FLOOR)])
    room = models.CharField(_("门牌/房号"), max_length=50, blank=True)
    address = models.CharField(_("地址"), max_length=255)

    objects = HouseholdQuerySet.as_manager()
    scope_grid_field = "grid"

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["area_id", "address"]
        indexes = [
            # household list of one community, in address order
            models.Index(fields=["area", "address"], name="household_area_address"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["unit", "room"], condition=models.Q(unit__isnull=False),
                                    name="household_unique_room_in_unit"),
        ]

    def __str__(self):
        return self.address

    def get_absolute_url(self):
        return reverse("households:detail", args=[self.pk])

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.area_id and self.area.level != AreaLevel.COMMUNITY:
            raise ValidationError({"area": _("户只能属于社区/村")})
        if self.grid_id and self.grid.area_id != self.area_id:
            raise ValidationError({"grid": _("网格不属于该社区")})
        if self.unit_id and self.unit.building.compound.area_id != self.area_id:
            raise ValidationError({"unit": _("单元不属于该社区")})


post_save.connect(area_tree_changed, sender=Area, dispatch_uid="area_tree_changed_save")
post_delete.connect(area_tree_changed, sender=Area, dispatch_uid="area_tree_changed_delete")
