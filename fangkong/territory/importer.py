"""xlsx import of the territory: one row per household (or per area, grid or building, higher up)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.audit import services as audit
from fangkong.core.imports import column_positions, importer
from fangkong.core.xlsx import cell_text

from .addresses import Address, AddressBook, check_levels
from .models import MAX_FLOOR, MIN_FLOOR, Area, AreaLevel, Grid

COLUMNS = [
    ("district", gettext_lazy("区")),
    ("subdistrict", gettext_lazy("街道/镇")),
    ("community", gettext_lazy("社区/村")),
    ("grid", gettext_lazy("网格")),
    ("compound", gettext_lazy("小区/楼院")),
    ("building", gettext_lazy("楼栋")),
    ("unit", gettext_lazy("单元")),
    ("room", gettext_lazy("门牌/房号")),
    ("floor", gettext_lazy("楼层")),
    ("address", gettext_lazy("地址")),
]
CHAIN = ["district", "subdistrict", "community", "compound", "building", "unit"]
MAX_LENGTH = {"district": 100, "subdistrict": 100, "community": 100, "grid": 100, "compound": 100,
              "building": 50, "unit": 50, "room": 50, "address": 255}


@importer("territory", permission="territory.import_territory")
class TerritoryImporter:
    columns = [label for _key, label in COLUMNS]
    example_rows = [
        ["示范区", "东风街道", "幸福里社区", "第一网格", "幸福里小区", "1号楼", "1单元", "101", 1, ""],
        ["示范区", "东风街道", "幸福里社区", "第一网格", "幸福里小区", "1号楼", "1单元", "102", 1, ""],
        ["示范区", "东风街道", "李庄村", "第三网格", "", "", "", "", "", "李庄村三组 12 号"],
    ]

    def __init__(self, user):
        self.user = user

    def validate(self, header, body, errors, progress):
        position, missing = column_positions(header, COLUMNS)
        if missing:
            names = "、".join(missing)
            errors.add(1, names, _("缺少列：%(columns)s。请使用下载的模板") % {"columns": names})
            return []
        areas = {(a.parent_id, a.name): a for a in Area.objects.all()}
        seen_households = {}
        valid = []
        for done, (number, cells) in enumerate(body, start=1):
            row = {key: cell_text(cells[i]) if i < len(cells) else "" for key, i in position.items()}
            if self._check_row(number, row, areas, seen_households, errors):
                valid.append(row)
            progress(done)
        return valid

    def _check_row(self, number, row, areas, seen, errors):
        before = len(errors.items)
        label = dict(COLUMNS)
        for key, limit in MAX_LENGTH.items():
            if len(row[key]) > limit:
                errors.add(number, label[key], _("不能超过%(n)d个字") % {"n": limit})
        # Levels are filled from left to right: a building needs its compound, and so on.
        check_levels(number, row, CHAIN, label, errors)
        if (row["grid"] or row["room"] or row["address"]) and not row["community"]:
            errors.add(number, label["community"], _("网格和住户必须属于一个社区/村"))
        if row["floor"]:
            try:
                floor = int(float(row["floor"]))
                if not MIN_FLOOR <= floor <= MAX_FLOOR:
                    raise ValueError
            except ValueError:
                errors.add(number, label["floor"], _("楼层应为 -5 到 200 之间的整数"))
        if not row["district"]:
            errors.add(number, label["district"], _("区不能为空"))
        elif len(errors.items) == before:
            self._check_scope(number, row, areas, errors)
        if (row["room"] or row["address"]) and len(errors.items) == before:
            key = (row["community"], row["compound"], row["building"], row["unit"], row["room"] or row["address"])
            if key in seen:
                errors.add(number, label["room"], _("与第 %(n)d 行是同一户") % {"n": seen[key]})
            seen[key] = number
        return len(errors.items) == before

    def _check_scope(self, number, row, areas, errors):
        """Each named area must exist in or above the user's area, or be new under an area in scope."""
        parent = None
        for key in ("district", "subdistrict", "community"):
            if not row[key]:
                return
            existing = areas.get((parent.pk if parent else None, row[key]))
            if existing is None:
                if parent is None and any(p is None for p, _n in areas):
                    errors.add(number, dict(COLUMNS)[key], _("区“%(name)s”与系统中的区不一致") % {"name": row[key]})
                elif not self.user.is_superuser and (parent is None or not self._in_scope(parent)):
                    errors.add(number, dict(COLUMNS)[key], _("“%(name)s”不在您的管辖范围内") % {"name": row[key]})
                return
            if not (self._in_scope(existing) or self.user.is_superuser
                    or (self.user.area and self.user.area.is_within(existing))):
                errors.add(number, dict(COLUMNS)[key], _("“%(name)s”不在您的管辖范围内") % {"name": row[key]})
                return
            parent = existing

    def _in_scope(self, area):
        return self.user.is_superuser or (self.user.area is not None and area.is_within(self.user.area))

    def save(self, rows):
        created = dict.fromkeys(["areas", "grids"], 0)
        cache = {}

        def get(model, counter, defaults=None, **lookup):
            key = (model, tuple(sorted((k, getattr(v, "pk", v)) for k, v in lookup.items())))
            if key not in cache:
                obj, made = model.objects.get_or_create(**lookup, defaults=defaults or {})
                if made:  # areas and grids are few: each new one is audited (the addresses in the import's row)
                    audit.record_change(obj, self.user)
                created[counter] += made
                cache[key] = obj
            return cache[key]

        addresses = []
        for row in rows:
            area = None
            for key, level in (("district", AreaLevel.DISTRICT), ("subdistrict", AreaLevel.SUBDISTRICT),
                               ("community", AreaLevel.COMMUNITY)):
                if row[key]:
                    area = get(Area, "areas", parent=area, name=row[key], defaults={"level": level})
            grid = get(Grid, "grids", area=area, name=row["grid"]) if row["grid"] else None
            if row["compound"] or row["room"] or row["address"]:
                addresses.append(Address(area_id=area.pk, compound=row["compound"], building=row["building"],
                                         unit=row["unit"], room=row["room"], address=row["address"], grid=grid,
                                         floor=int(float(row["floor"])) if row["floor"] else None))
        book = AddressBook({address.area_id for address in addresses})
        for address in addresses:
            book.add(address)
        created.update(book.save())
        labels = {"areas": _("新建区域"), "grids": _("新建网格"), "compounds": _("新建小区"),
                  "buildings": _("新建楼栋"), "units": _("新建单元"), "households": _("新建住户")}
        return {str(labels[key]): n for key, n in created.items()}
