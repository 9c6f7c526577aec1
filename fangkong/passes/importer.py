"""xlsx import of places: one row per place, all rows valid or nothing imported (fangkong.core.imports)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core.identity import normalize_phone
from fangkong.core.imports import column_positions, importer
from fangkong.core.xlsx import cell_text
from fangkong.territory.models import Area, AreaLevel

from .models import Place, PlaceKind, PlaceState

COLUMNS = [
    ("name", gettext_lazy("名称")),
    ("kind", gettext_lazy("类型")),
    ("community", gettext_lazy("社区/村")),
    ("address", gettext_lazy("地址")),
    ("contact_name", gettext_lazy("联系人")),
    ("contact_phone", gettext_lazy("联系电话")),
    ("measures_temperature", gettext_lazy("测量体温")),
    ("records_exit", gettext_lazy("登记出口")),
]
REQUIRED = ["name", "kind", "community", "address", "contact_name", "contact_phone"]
MAX_LENGTH = {"name": 100, "address": 200, "contact_name": 50}
YES = {"是", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "n", "no", "false", "0", "×", "✕"}
# Left empty, the flags take the defaults of a new place: temperature measured, entry only.
DEFAULTS = {"measures_temperature": True, "records_exit": False}
COMMUNITY_SEPARATORS = ("/", "／", "·", "-")


def _kinds() -> dict:
    """类型 as written in the template of any site language (the worker runs in the default one)."""
    kinds = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            kinds.update({str(choice.label).lower(): choice.value for choice in PlaceKind})
    return kinds


def _flag(text: str):
    value = text.strip().lower()
    return True if value in YES else False if value in NO else None


@importer("places", permission="passes.add_place")
class PlaceImporter:
    columns = [label for _key, label in COLUMNS]
    example_rows = [
        ["幸福里小区北门", str(PlaceKind.COMPOUND_GATE.label), "幸福里社区", "文化路12号幸福里小区北门", "王建军",
         "13903710001", "是", "是"],
        ["好又多超市（文化路店）", str(PlaceKind.VENUE.label), "东风街道/幸福里社区", "文化路18号", "李娟",
         "0371-66881234", "是", "否"],
    ]

    def __init__(self, user):
        self.user = user

    def validate(self, header, body, errors, progress):
        position, missing = column_positions(header, COLUMNS)
        if missing:
            names = "、".join(missing)
            errors.add(1, names, _("缺少列：%(columns)s。请使用下载的模板") % {"columns": names})
            return []
        self.communities = self._communities()
        self.kinds = _kinds()
        existing = set(Place.objects.filter(area__in=[a for found in self.communities.values() for a in found])
                       .exclude(state=PlaceState.REJECTED).values_list("area_id", "name"))
        seen = {}
        valid = []
        for done, (number, cells) in enumerate(body, start=1):
            row = {key: cell_text(cells[i]) if i < len(cells) else "" for key, i in position.items()}
            place = self._check_row(number, row, errors)
            if place is not None:
                key = (place["area"].pk, place["name"])
                if key in seen:
                    errors.add(number, dict(COLUMNS)["name"], _("与第 %(n)d 行是同一个场所") % {"n": seen[key]})
                else:
                    seen[key] = number
                    place["exists"] = key in existing
                    valid.append(place)
            progress(done)
        return valid

    def _communities(self):
        """Communities in the importer's scope by name, and by "街道/社区" for names used twice."""
        found = {}
        for area in Area.objects.visible_to(self.user).filter(level=AreaLevel.COMMUNITY).select_related("parent"):
            found.setdefault(area.name, []).append(area)
            if area.parent:
                for separator in COMMUNITY_SEPARATORS:
                    found.setdefault(f"{area.parent.name}{separator}{area.name}", []).append(area)
        return found

    def _check_row(self, number, row, errors):
        label = dict(COLUMNS)
        before = len(errors.items)
        for key in REQUIRED:
            if not row[key]:
                errors.add(number, label[key], _("不能为空"))
        for key, limit in MAX_LENGTH.items():
            if len(row[key]) > limit:
                errors.add(number, label[key], _("不能超过%(n)d个字") % {"n": limit})
        kind = self.kinds.get(row["kind"].lower()) or (row["kind"] if row["kind"] in PlaceKind.values else None)
        if row["kind"] and kind is None:
            errors.add(number, label["kind"], _("应为以下之一：%(kinds)s") % {
                "kinds": "、".join(str(choice.label) for choice in PlaceKind)})
        area = None
        if row["community"]:
            matches = self.communities.get(row["community"].replace(" ", ""), [])
            if not matches:
                errors.add(number, label["community"], _("“%(name)s”不是您管辖范围内的社区/村") % {
                    "name": row["community"]})
            elif len(matches) > 1:
                errors.add(number, label["community"], _("有多个“%(name)s”，请写成“街道/社区”，如 %(example)s") % {
                    "name": row["community"], "example": f"{matches[0].parent.name}/{matches[0].name}"})
            else:
                area = matches[0]
        phone = ""
        if row["contact_phone"]:
            try:
                phone = normalize_phone(row["contact_phone"])
            except ValidationError as exc:
                errors.add(number, label["contact_phone"], " ".join(exc.messages))
        flags = {}
        for key in ("measures_temperature", "records_exit"):
            flags[key] = _flag(row[key]) if row[key] else DEFAULTS[key]
            if flags[key] is None:
                errors.add(number, label[key], _("请填写“是”或“否”"))
        if len(errors.items) != before:
            return None
        return {"name": row["name"], "kind": kind, "area": area, "address": row["address"],
                "contact_name": row["contact_name"], "contact_phone": phone, **flags}

    def save(self, rows):
        approve = self.user.has_perm("passes.approve_place")
        now = timezone.now()
        places = []
        for row in rows:
            if row["exists"]:
                continue
            place = Place(name=row["name"], kind=row["kind"], area=row["area"], address=row["address"],
                          contact_name=row["contact_name"], measures_temperature=row["measures_temperature"],
                          records_exit=row["records_exit"])
            place.set_contact_phone(row["contact_phone"])
            if approve:
                place.state, place.decided_by, place.decided_at = PlaceState.APPROVED, self.user, now
            places.append(place)
        Place.objects.bulk_create(places, batch_size=500)
        state = _("已启用") if approve else _("待审核")
        return {_("新建场所（%(state)s）") % {"state": state}: len(places),
                _("已有同名场所，未修改"): len(rows) - len(places)}
