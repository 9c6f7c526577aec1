"""xlsx import of the household ledger (台账): one row per person, with the dwelling they live in.

Validated in memory, row by row; existing persons are found with batched blind-index lookups; then
the missing compounds/buildings/units/households are created (territory.addresses) and the persons
bulk-created or, when their document is already registered in the user's scope, merged (their ledger
fields updated from the row). Nothing is saved while any row has an error.
"""

import datetime
import itertools
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction
from fangkong.core import crypto
from fangkong.core.identity import DocumentType, normalize_document, normalize_phone, resident_id_facts
from fangkong.core.imports import ValueNotes, column_positions, importer, renamed_columns, start_import
from fangkong.core.xlsx import cell_date, cell_text
from fangkong.territory.addresses import Address, AddressBook, check_levels
from fangkong.territory.models import Area, AreaLevel, Grid

from . import services
from .models import ID_FULL, HouseholdRole, LedgerImport, Person, Residency, Sex

COLUMNS = [
    ("community", gettext_lazy("社区/村")),
    ("grid", gettext_lazy("网格")),
    ("compound", gettext_lazy("小区/楼院")),
    ("building", gettext_lazy("楼栋")),
    ("unit", gettext_lazy("单元")),
    ("room", gettext_lazy("门牌/房号")),
    ("address", gettext_lazy("地址")),
    ("name", gettext_lazy("姓名")),
    ("id_type", gettext_lazy("证件类型")),
    ("id_number", gettext_lazy("证件号码")),
    ("phone", gettext_lazy("手机号")),
    ("household_role", gettext_lazy("与户主关系")),
    ("residency", gettext_lazy("人口类型")),
    ("returned_on", gettext_lazy("返回日期")),
    ("returned_from", gettext_lazy("从何地返回")),
    ("workplace", gettext_lazy("工作单位")),
    ("vaccine_doses", gettext_lazy("疫苗接种剂次")),
    ("sex", gettext_lazy("性别")),
]
# 社区/村 is required only when no default community applies (the user's only one, or the one chosen on the page).
REQUIRED = {"community", "name", "id_number"}
MAX_LENGTH = {"community": 100, "grid": 100, "compound": 100, "building": 50, "unit": 50, "room": 50,
              "address": 255}
ADDRESS_CHAIN = ["compound", "building", "unit"]
# How the communities' own ledgers write the relation and the residency, besides our own labels.
ROLE_WORDS = {
    HouseholdRole.HEAD: ["本人", "户主", "户主本人"],
    HouseholdRole.SPOUSE: ["配偶", "妻", "妻子", "夫", "丈夫", "爱人"],
    HouseholdRole.CHILD: ["子女", "子", "女", "儿子", "女儿", "长子", "长女", "次子", "次女", "养子", "养女"],
    HouseholdRole.PARENT: ["父母", "父亲", "母亲", "父", "母", "岳父", "岳母", "公公", "婆婆"],
    HouseholdRole.TENANT: ["租户", "租客", "承租人", "租住"],
    HouseholdRole.OTHER: ["其他", "其它", "亲属", "孙子", "孙女", "兄弟", "姐妹", "保姆"],
}
RESIDENCY_WORDS = {
    Residency.PERMANENT: ["户籍", "户籍人口", "户籍人员", "常住", "常住人口", "常住人员", "常住户", "本地", "本地人口",
                          "本地人", "本地户籍", "本地居民"],
    Residency.FLOATING: ["流动", "流动人口", "流动人员", "外来", "外来人口", "外来人员", "暂住", "暂住人口", "暂住人员",
                         "租户", "租房", "租住", "外地", "外地人口", "外地人", "非户籍", "非本地", "流入人口"],
}
DOCUMENT_WORDS = {DocumentType.RESIDENT_ID: ["身份证", "居民身份证", "二代身份证", "身份证号"]}
SEX_WORDS = {Sex.MALE: ["男性", "m", "男士"], Sex.FEMALE: ["女性", "f", "女士"]}
# Excel keeps 15 significant digits of a number: an 18-digit identity number typed into a number cell loses its
# last three (they become 000), and is shown as 4.10105E+17.
EXCEL_DIGITS = 15
SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
LOOKUP_CHUNK = 5000
# Fields a merge updates from the row (the name and the document stay as registered).
MERGED_FIELDS = ["area", "household", *services.LEDGER_FIELDS]


def start(upload, user, community=None):
    """Queue the import of a ledger file; `community` (checked in the user's scope by the page) takes the rows
    that name no 社区/村."""
    with transaction.atomic():  # the job runs on commit, with its options saved
        job = start_import("ledger", upload, user)
        if community is not None:
            LedgerImport.objects.create(job=job, community=community)
    return job


def _lost_to_excel(value, text) -> bool:
    """Whether an identity number was a number cell (or its text, 4.10105E+17) too long for Excel's digits."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return abs(value) >= 10 ** EXCEL_DIGITS
    return bool(SCIENTIFIC.fullmatch(text))


def _lost_message():
    return _("身份证号码被 Excel 存成了数字，末几位已丢失：请把该列设置为“文本”格式后重新填写")


def _words(choices, extra) -> dict:
    """{text: value}: the choice's value, its label, and the other words people use."""
    words = {}
    for value, label in choices:
        words[value] = words[str(label)] = value
        for word in extra.get(value, []):
            words[word] = value
    return words


@importer("ledger", permission="people.import_person")
class LedgerImporter:
    columns = [label for _key, label in COLUMNS]
    example_rows = [
        ["幸福里社区", "第一网格", "幸福里小区", "1号楼", "1单元", "101", "", "王建国", "居民身份证",
         "410105195603124210", "13903711234", "户主", "户籍人口", "", "", "郑州市第一中学", 3, ""],
        ["幸福里社区", "第一网格", "幸福里小区", "1号楼", "1单元", "101", "", "王小明", "居民身份证",
         "410105200801155417", "", "子女", "户籍人口", "2022-03-01", "上海市浦东新区", "上海交通大学", 2, ""],
        ["李庄村", "李庄一组", "", "", "", "", "李庄村三组12号", "李秀兰", "", "410105197108305160", "",
         "户主", "流动人口", "", "", "", 0, ""],
    ]

    def __init__(self, user):
        self.user = user
        self.book = None
        self.job = None
        self.header_row = 1
        self.notes = []

    @classmethod
    def alias_hint(cls) -> dict:
        """{column: [other header names accepted]}, for the import page."""
        from fangkong.core.imports import HEADER_ALIASES

        return {str(label): HEADER_ALIASES.get(str(label), []) for _key, label in COLUMNS
                if HEADER_ALIASES.get(str(label))}

    # --- validation -------------------------------------------------------------------------------

    def validate(self, header, body, errors, progress):
        position, missing = column_positions(header, COLUMNS)
        labels = {key: str(label) for key, label in COLUMNS}
        self.communities = {}
        for area in Area.objects.visible_to(self.user).filter(level=AreaLevel.COMMUNITY).only("pk", "name"):
            self.communities.setdefault(area.name, []).append(area)
        self.default = self._default_community(errors)
        if errors:
            return []
        missing_required = [labels[key] for key in REQUIRED
                            if key not in position and not (key == "community" and self.default)]
        if missing_required:
            names = "、".join(missing_required)
            message = _("缺少列：%(columns)s。请使用下载的模板") % {"columns": names}
            if labels["community"] in missing_required:
                message += _("；也可以在导入页选择“默认社区/村”")
            errors.add(self.header_row, names, message)
            return []
        self.labels = labels
        self.notes = renamed_columns(header, position, COLUMNS)
        if "community" not in position:
            self.notes.append(_("文件中没有“社区/村”列：全部导入到 %(name)s") % {"name": self.default.name})
        self.defaulted = 0
        self.values = ValueNotes()
        self.grids = {(g.area_id, g.name): g for g in Grid.objects.visible_to(self.user)}
        self.roles = _words(HouseholdRole.choices, ROLE_WORDS)
        self.residencies = _words(Residency.choices, RESIDENCY_WORDS)
        self.documents = _words(DocumentType.choices, DOCUMENT_WORDS)
        self.sexes = _words(Sex.choices, SEX_WORDS)
        self.today = datetime.date.today()
        seen_numbers, valid = {}, []
        for done, (number, cells) in enumerate(body, start=1):
            raw = {key: cells[i] if i < len(cells) else None for key, i in position.items()}
            row = self._check_row(number, raw, seen_numbers, errors)
            if row is not None:
                valid.append(row)
            progress(done)
        if valid:
            self._check_existing(valid, errors)
        if self.defaulted and "community" in position:
            self.notes.append(_("“社区/村”为空的 %(n)d 行导入到 %(name)s") % {"n": self.defaulted,
                                                                          "name": self.default.name})
        self.notes += self.values.notes()
        if errors:
            return []
        return valid

    def _default_community(self, errors):
        """The community of rows that name none: the one chosen on the import page, else the user's only one."""
        visible = [area for areas in self.communities.values() for area in areas]
        chosen = LedgerImport.objects.filter(job=self.job).values_list("community_id", flat=True).first() \
            if self.job is not None else None
        if chosen is not None:
            found = next((area for area in visible if area.pk == chosen), None)
            if found is None:  # checked on the page; the user's scope may have changed since
                errors.add(0, _("默认社区/村"), _("所选的默认社区/村不在您的管辖范围内"))
            return found
        return visible[0] if len(visible) == 1 else None

    def _choice(self, key, words, text, choices):
        """A cell's choice from `words`; a word other than the value and its label is noted (“租户” → 流动人口)."""
        value = words.get(text, text)
        label = dict(choices).get(value)
        if label is not None and text not in (value, str(label)):
            self.values.add(self.labels[key], text, label)
        return value

    def _check_row(self, number, raw, seen_numbers, errors):
        before = len(errors.items)
        labels = self.labels
        text = {key: cell_text(raw.get(key)) for key in labels if key != "returned_on"}

        def error(key, message):
            errors.add(number, labels[key], message)

        for key, limit in MAX_LENGTH.items():
            if len(text[key]) > limit:
                error(key, _("不能超过%(n)d个字") % {"n": limit})
        community = None
        if not text["community"] and self.default is not None:
            community = self.default
            self.defaulted += 1
        elif not text["community"]:
            error("community", _("社区/村不能为空"))
        else:
            found = self.communities.get(text["community"], [])
            if not found:
                error("community", _("“%(name)s”不在您的管辖范围内") % {"name": text["community"]})
            elif len(found) > 1:
                error("community", _("您的管辖范围内有多个“%(name)s”，请联系区级管理员") % {"name": text["community"]})
            else:
                community = found[0]
        check_levels(number, text, ADDRESS_CHAIN, labels, errors)
        grid = None
        if text["grid"] and community is not None:
            grid = self.grids.get((community.pk, text["grid"]))
            if grid is None:
                error("grid", _("网格“%(name)s”不在该社区/村或不在您的管辖范围内") % {"name": text["grid"]})
        elif self.user.grid_id and not text["grid"]:
            error("grid", _("网格员导入必须填写网格"))
        name, message = services.clean_name(text["name"])
        if message:
            error("name", message)
        id_type = DocumentType.RESIDENT_ID
        if text["id_type"]:
            id_type = self._choice("id_type", self.documents, text["id_type"], DocumentType.choices)
        id_number = ""
        if id_type not in DocumentType.values:
            error("id_type", _("证件类型应为：%(choices)s") % {
                "choices": "、".join(str(label) for label in DocumentType.labels)})
        elif id_type == DocumentType.RESIDENT_ID and _lost_to_excel(raw.get("id_number"), text["id_number"]):
            error("id_number", _lost_message())
        else:
            try:
                id_number = normalize_document(id_type, text["id_number"])
            except ValidationError as exc:
                # 18 digits ending in 000 that fail the checksum: a number cell Excel rounded, then saved as text.
                lost = id_type == DocumentType.RESIDENT_ID and re.fullmatch(r"\d{15}000", text["id_number"])
                error("id_number", _lost_message() if lost else exc.messages[0])
            else:
                earlier = seen_numbers.setdefault((id_type, id_number), number)
                if earlier != number:
                    error("id_number", _("与第 %(n)d 行证件号码重复") % {"n": earlier})
        phone = ""
        if text["phone"]:
            try:
                phone = normalize_phone(text["phone"])
            except ValidationError as exc:
                error("phone", exc.messages[0])
        sex = Sex.UNKNOWN
        if text["sex"]:  # a resident id says the sex itself; the column serves the other documents
            sex = self._choice("sex", self.sexes, text["sex"], Sex.choices)
            if sex not in Sex.values:
                error("sex", _("性别应为：男、女"))
        fields = {"household_role": "", "residency": Residency.PERMANENT}
        if text["household_role"]:
            fields["household_role"] = self._choice("household_role", self.roles, text["household_role"],
                                                    HouseholdRole.choices)
        if text["residency"]:
            fields["residency"] = self._choice("residency", self.residencies, text["residency"], Residency.choices)
        try:
            fields["returned_on"] = cell_date(raw.get("returned_on"))
        except ValueError:
            error("returned_on", _("返回日期格式应为 2022-03-01"))
            fields["returned_on"] = None
        fields.update(returned_from=text["returned_from"], workplace=text["workplace"],
                      vaccine_doses=raw.get("vaccine_doses") if isinstance(raw.get("vaccine_doses"), float)
                      else text["vaccine_doses"])
        ledger, problems = services.clean_ledger_fields(fields, today=self.today)
        for key, message in problems.items():
            error(key, message)
        if len(errors.items) != before:
            return None
        address = None
        if text["room"] or text["address"] or text["compound"]:
            address = Address(area_id=community.pk, compound=text["compound"], building=text["building"],
                              unit=text["unit"], room=text["room"], address=text["address"], grid=grid)
        return {"number": number, "name": name, "id_type": id_type, "id_number": id_number, "phone": phone,
                "sex": sex, "area": community, "address": address, **ledger}

    def _check_existing(self, rows, errors):
        """Documents already registered (merged in scope, an error outside it) and second household heads.

        A visitor is merged wherever they were first seen: the ledger row confirms them into its community."""
        labels = self.labels
        by_index = {}
        for row in rows:
            for index in crypto.blind_indexes(ID_FULL, row["id_number"]):
                by_index[(row["id_type"], index)] = row
        keys = list(by_index)
        found, visitors = {}, set()
        for start in range(0, len(keys), LOOKUP_CHUNK):
            chunk = keys[start:start + LOOKUP_CHUNK]
            existing = Person.objects.filter(id_type__in={t for t, _i in chunk}, id_index__in=[i for _t, i in chunk])
            for pk, id_type, index, household_id, residency in existing.values_list(
                    "pk", "id_type", "id_index", "household_id", "residency"):
                if residency == Residency.VISITOR:
                    visitors.add(pk)
                if (id_type, index) in by_index:
                    found[pk] = by_index[(id_type, index)]
                    found[pk]["existing_household"] = household_id
        visible = set()
        ids = list(found)
        for start in range(0, len(ids), LOOKUP_CHUNK):
            visible.update(Person.objects.visible_to(self.user).filter(pk__in=ids[start:start + LOOKUP_CHUNK])
                           .values_list("pk", flat=True))
        for pk, row in found.items():
            if pk in visible or pk in visitors:
                row["existing"] = pk
            else:
                errors.add(row["number"], labels["id_number"], services.outside_scope_duplicate())
        # One head per household: in the file, and against the heads already registered.
        self.book = AddressBook({row["area"].pk for row in rows})
        merged = {row["existing"] for row in rows if row.get("existing")}
        heads_in_file, existing_households = {}, {}
        for row in rows:
            if row["household_role"] != HouseholdRole.HEAD:
                continue
            # A merged person without an address in the row stays in the household they are registered in.
            address = row["address"]
            key = address.household_key if address is not None else None
            household_id = self.book.existing_household(address) if key else row.get("existing_household")
            key = key or (("id", household_id) if household_id else None)
            if key is None:
                continue
            earlier = heads_in_file.setdefault(key, row["number"])
            if earlier != row["number"]:
                errors.add(row["number"], labels["household_role"], _("与第 %(n)d 行同为该户户主") % {"n": earlier})
            if household_id is not None:
                existing_households.setdefault(household_id, []).append(row)
        ids = list(existing_households)
        for start in range(0, len(ids), LOOKUP_CHUNK):
            heads = Person.objects.filter(household_role=HouseholdRole.HEAD,
                                          household_id__in=ids[start:start + LOOKUP_CHUNK])
            for household_id, pk, name in heads.values_list("household_id", "pk", "name"):
                # A head who is in the file (as head here, or moving on) is judged by their own row.
                if pk in merged:
                    continue
                for row in existing_households[household_id]:
                    errors.add(row["number"], labels["household_role"], services.head_taken(name))

    # --- saving -----------------------------------------------------------------------------------

    def save(self, rows):
        for row in rows:
            if row["address"] is not None:
                self.book.add(row["address"])
        created = self.book.save()
        new, merged = [], {}
        for row in rows:
            household_id = self.book.household_id(row["address"]) if row["address"] is not None else None
            if row.get("existing"):
                merged[row["existing"]] = (row, household_id)
            else:
                new.append((row, household_id))
        # Merges first: a head moving out must leave before the new head comes in (household_one_head).
        updated = self._merge(merged)
        self._create(new)
        summary = {_("新增人员"): len(new), _("更新人员"): updated}
        labels = {"compounds": _("新建小区"), "buildings": _("新建楼栋"), "units": _("新建单元"),
                  "households": _("新建住户")}
        summary.update({str(labels[key]): n for key, n in created.items()})
        return {str(key): n for key, n in summary.items()}

    def _create(self, new):
        """New persons, numbers set by Person.set_document / set_phone, by COPY (bench/ledger.py)."""
        from django.db import connection
        from django.utils import timezone

        now = timezone.now()
        person = Person()  # the model's own setters encrypt and index; one instance serves every row

        def values(row, household_id):
            person.set_document(row["id_type"], row["id_number"])
            person.set_phone(row["phone"])
            if row["id_type"] == DocumentType.RESIDENT_ID:
                born, sex = resident_id_facts(row["id_number"])
            else:
                born, sex = None, row["sex"]
            return {"name": row["name"], "sex": sex, "birth_date": born, "id_type": row["id_type"],
                    "id_number_encrypted": person.id_number_encrypted, "id_index": person.id_index,
                    "id_tail4_index": person.id_tail4_index, "id_tail6_index": person.id_tail6_index,
                    "phone_encrypted": person.phone_encrypted, "phone_index": person.phone_index,
                    "phone_tail4_index": person.phone_tail4_index, "area_id": row["area"].pk,
                    "household_id": household_id, "created_at": now, "updated_at": now,
                    **{field: row[field] for field in services.LEDGER_FIELDS}}

        records = (values(row, household_id) for row, household_id in new)
        first = next(records, None)
        if first is None:
            return
        columns = list(first)
        sql = f"COPY {Person._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for record in itertools.chain([first], records):
                copy.write_row([record[column] for column in columns])

    def _merge(self, merged: dict) -> int:
        ids = list(merged)
        for start in range(0, len(ids), LOOKUP_CHUNK):
            persons = list(Person.objects.filter(pk__in=ids[start:start + LOOKUP_CHUNK]))
            phones, renamed = [], []
            for person in persons:
                row, household_id = merged[person.pk]
                if person.is_visitor and person.name != row["name"]:
                    person.name = row["name"]  # a visitor's name was only ever what they declared
                    renamed.append(person)
                person.area = row["area"]
                if household_id is not None:
                    person.household_id = household_id
                for field in services.LEDGER_FIELDS:
                    setattr(person, field, row[field])
                if row["phone"] and row["phone"] != person.phone:
                    person.set_phone(row["phone"])
                    phones.append(person)
            Person.objects.bulk_update(persons, MERGED_FIELDS, batch_size=1000)
            if renamed:
                Person.objects.bulk_update(renamed, ["name"], batch_size=1000)
            if phones:
                Person.objects.bulk_update(phones, ["phone_encrypted", "phone_index", "phone_tail4_index"],
                                           batch_size=1000)
        if ids:
            # The import's own audit row counts them; this one says who was changed, and in which fields.
            audit.record(AuditAction.UPDATE, actor=self.user, object_type=Person._meta.label,
                         object_repr=_("台账导入更新 %(n)d 人") % {"n": len(ids)},
                         changes={"persons": ids[:10000], "fields": [*MERGED_FIELDS, "phone", "name"]})
        return len(ids)
