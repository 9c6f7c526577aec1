"""协查名单: lists of persons to check that come from the city, the police or another district.

Each row is matched to the ledger by identity number (blind index). Matched persons in the importing
user's scope become screenings (source 协查名单); a person already under control in that category is
counted, not doubled. Rows that are valid but match nobody in scope are listed as 未匹配 on the job page.
"""

from collections import Counter

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core import crypto
from fangkong.core.identity import DocumentType, mask_name, normalize_person_name, normalize_resident_id
from fangkong.core.imports import column_positions, importer
from fangkong.core.xlsx import cell_date, cell_text
from fangkong.people.models import ID_FULL, Person

from . import services
from .models import Category, Screening, Source

COLUMNS = [
    ("name", gettext_lazy("姓名")),
    ("id_number", gettext_lazy("证件号码")),
    ("phone", gettext_lazy("手机号")),
    ("category", gettext_lazy("类别")),
    ("origin", gettext_lazy("来源地/说明")),
    ("day", gettext_lazy("协查日期")),
]
CHUNK = 1000


@importer("assistance", permission="screening.import_assistance")
class AssistanceImporter:
    columns = [label for _key, label in COLUMNS]
    example_rows = [
        ["王秀英", "410999195603124281", "13903711234", "省外返回人员", "北京市朝阳区", "2022-03-06"],
        ["李建国", "410999197108305172", "", "close_contact", "市疾控协查（3月5日病例密接）", "2022-03-06"],
    ]
    # Valid rows that were not imported: shown on the job page and downloadable (core.imports).
    skipped_title = gettext_lazy("未匹配")
    skipped_header = [gettext_lazy("行号"), gettext_lazy("姓名"), gettext_lazy("原因")]

    def __init__(self, user):
        self.user = user
        self.skipped = []

    def validate(self, header, body, errors, progress):
        position, missing = column_positions(header, COLUMNS)
        required_missing = [label for label in missing if label != str(dict(COLUMNS)["phone"])]
        if required_missing:
            names = "、".join(required_missing)
            errors.add(1, names, _("缺少列：%(columns)s。请使用下载的模板") % {"columns": names})
            return []
        label = {key: str(text) for key, text in COLUMNS}
        categories = {}
        for category in Category.objects.all():
            categories[category.name] = categories[category.code] = categories[category.code.lower()] = category
        today = services.today()
        valid = []
        for done, (number, cells) in enumerate(body, start=1):
            row = {key: cells[i] if i < len(cells) else None for key, i in position.items()}
            before = len(errors.items)
            try:
                name = normalize_person_name(cell_text(row["name"]))
            except ValidationError as exc:
                errors.add(number, label["name"], exc.messages[0])
            try:
                id_number = normalize_resident_id(cell_text(row["id_number"]))
            except ValidationError as exc:
                errors.add(number, label["id_number"], exc.messages[0])
            text = cell_text(row["category"])
            category = categories.get(text) or categories.get(text.lower())
            if not text:
                errors.add(number, label["category"], _("请填写类别（名称或代码）"))
            elif category is None:
                errors.add(number, label["category"], _("没有“%(name)s”这个类别，请填写类别管理中的名称或代码") % {
                    "name": text[:40]})
            elif not category.active:
                errors.add(number, label["category"], _("类别“%(name)s”已停用") % {"name": category.name})
            origin = cell_text(row["origin"])
            if len(origin) > 100:
                errors.add(number, label["origin"], _("不能超过%(n)d个字") % {"n": 100})
            day = today
            if cell_text(row["day"]):
                try:
                    day = cell_date(row["day"])
                except ValueError:
                    errors.add(number, label["day"], _("日期格式不对，请写成 2022-03-06"))
                else:
                    if day > today:
                        errors.add(number, label["day"], _("协查日期不能晚于今天"))
            if len(errors.items) == before:
                valid.append({"number": number, "name": name, "id_number": id_number, "category": category,
                              "origin": origin, "day": day})
            progress(done)
        return valid

    def _persons(self, rows) -> dict[str, Person]:
        """{identity number: person} for the rows' numbers, by blind index, a thousand numbers a query."""
        found = {}
        numbers = list({row["id_number"] for row in rows})
        for start in range(0, len(numbers), CHUNK):
            by_index = {index: number for number in numbers[start:start + CHUNK]
                        for index in crypto.blind_indexes(ID_FULL, number)}
            persons = Person.objects.filter(id_type=DocumentType.RESIDENT_ID, id_index__in=list(by_index)) \
                .select_related("area", "household")
            for person in persons:
                found[by_index[person.id_index]] = person
        return found

    def save(self, rows):
        persons = self._persons(rows)
        ids = [person.pk for person in persons.values()]
        visible = set(Person.objects.visible_to(self.user).filter(pk__in=ids).values_list("pk", flat=True))
        open_now = set(Screening.objects.active().filter(person_id__in=ids).values_list("person_id", "category_id"))
        created, already = Counter(), Counter()
        for row in rows:
            person = persons.get(row["id_number"])
            reason = None
            if person is None:
                reason = _("人员台账中没有该证件号码")
            elif person.pk not in visible:
                reason = _("该人员不在您的管辖范围内（属于其他区、街道或社区），请转交其所在地处理")
            elif person.name != row["name"]:
                reason = _("姓名与人员台账不一致，请核实")
            if reason:
                self.skipped.append([row["number"], mask_name(row["name"]), str(reason)])
                continue
            key = (person.pk, row["category"].pk)
            if key in open_now:
                already[person.area.name] += 1
                continue
            services.open_screening(person, row["category"], user=self.user, source=Source.ASSISTANCE,
                                    reported_on=row["day"], origin=row["origin"])
            open_now.add(key)
            created[person.area.name] += 1
        summary = {_("新增重点人员"): sum(created.values()), _("已在管控（未重复登记）"): sum(already.values()),
                   _("未匹配"): len(self.skipped)}
        for community in sorted(set(created) | set(already)):
            summary[_("%(community)s 新增") % {"community": community}] = created[community]
            summary[_("%(community)s 已在管控") % {"community": community}] = already[community]
        return {str(key): value for key, value in summary.items()}
