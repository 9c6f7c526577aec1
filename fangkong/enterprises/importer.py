"""Spreadsheet imports of enterprises (the registry) and of an enterprise's roster (返岗职工台账).

All or nothing, row by row: every row is checked by the same rules as the form (enterprises.services) before
anything is written; errors are told as 第 12 行 统一社会信用代码校验位错误.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core.imports import column_positions, importer, start_import
from fangkong.core.xlsx import cell_text
from fangkong.territory.models import Area

from . import services
from .models import Employee, Enterprise, Lodging, Park, RosterImport, Sector, Size

ENTERPRISE_COLUMNS = [
    ("name", gettext_lazy("企业名称")),
    ("credit_code", gettext_lazy("统一社会信用代码")),
    ("sector", gettext_lazy("行业")),
    ("size", gettext_lazy("规模")),
    ("address", gettext_lazy("地址")),
    ("area", gettext_lazy("社区/村")),
    ("park", gettext_lazy("园区")),
    ("contact_name", gettext_lazy("联系人")),
    ("contact_phone", gettext_lazy("联系电话")),
    ("liaison_officer", gettext_lazy("党建指导员")),
]
ENTERPRISE_ALIASES = {"name": ["名称", "单位名称"], "credit_code": ["信用代码", "社会信用代码"],
                      "liaison_officer": ["联络员", "指导员"]}
ENTERPRISE_REQUIRED = {"name", "credit_code", "area"}


def _choice(choices, text):
    """A choice's value from its label or value; None for an unknown one, "" for a blank cell."""
    text = (text or "").strip()
    if not text:
        return ""
    for value, label in choices:
        if text in (value, str(label)):
            return value
    return None


def _missing(missing, columns, required):
    labels = {key: str(label) for key, label in columns}
    return [label for label in missing if label in {labels[key] for key in required}]


def _refuse_header(errors, required):
    names = "、".join(required)
    errors.add(1, names, _("缺少列：%(columns)s。请使用下载的模板") % {"columns": names})


@importer("enterprises", permission="enterprises.import_enterprise")
class EnterpriseImporter:
    columns = [label for _key, label in ENTERPRISE_COLUMNS]
    header_aliases = ENTERPRISE_ALIASES
    example_rows = [["郑州市示范食品有限公司", "91350100M000100Y43", "制造业", "中型", "文化路12号", "幸福里社区",
                     "", "张经理", "13903711234", "李明"]]

    def __init__(self, user):
        self.user = user

    def validate(self, header, body, errors, progress):
        position, missing = column_positions(header, ENTERPRISE_COLUMNS, ENTERPRISE_ALIASES)
        labels = {key: str(label) for key, label in ENTERPRISE_COLUMNS}
        required = _missing(missing, ENTERPRISE_COLUMNS, ENTERPRISE_REQUIRED)
        if required:
            return _refuse_header(errors, required)
        areas = {area.name: area for area in Area.objects.visible_to(self.user)}
        parks = {park.name: park for park in Park.objects.visible_to(self.user)}
        plan, seen = [], {}
        for done, (number, cells) in enumerate(body, start=1):
            row = {key: cell_text(cells[i]) if i < len(cells) else "" for key, i in position.items()}
            data = {key: row.get(key, "") for key in ("name", "credit_code", "address", "contact_name",
                                                      "contact_phone", "liaison_officer")}
            area = areas.get(row["area"])
            if area is None:
                errors.add(number, labels["area"], _("没有这个社区/村，或不在您的管辖范围内"))
                continue
            data["area"] = area
            for key, choices in (("sector", Sector.choices), ("size", Size.choices)):
                value = _choice(choices, row.get(key))
                if value is None:
                    errors.add(number, labels[key], _("“%(text)s”不是可选的%(column)s") % {
                        "text": row.get(key), "column": labels[key]})
                    value = ""
                data[key] = value or (Sector.OTHER if key == "sector" else Size.SMALL)
            if row.get("park"):
                data["park"] = parks.get(row["park"])
                if data["park"] is None:
                    errors.add(number, labels["park"], _("没有这个园区"))
            try:
                cleaned = services._clean_enterprise(data, self.user)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors.add(number, labels.get(field, field), " ".join(messages))
                continue
            code = cleaned["credit_code"]
            if code in seen:
                errors.add(number, labels["credit_code"], _("与第 %(n)d 行重复") % {"n": seen[code]})
                continue
            seen[code] = number
            plan.append(data)
            progress(done)
        return plan

    def save(self, plan):
        with transaction.atomic():
            for data in plan:
                services.create_enterprise(data, user=self.user)
        return {_("新登记企业"): len(plan)}


ROSTER_COLUMNS = [
    ("name", gettext_lazy("姓名")),
    ("id_number", gettext_lazy("证件号码")),
    ("phone", gettext_lazy("手机号")),
    ("department", gettext_lazy("部门")),
    ("shift", gettext_lazy("班次")),
    ("returned_from", gettext_lazy("从何地返岗")),
    ("returned_on", gettext_lazy("返岗日期")),
    ("return_risk", gettext_lazy("返岗来源风险")),
    ("lodging", gettext_lazy("住宿")),
]
ROSTER_ALIASES = {"returned_from": ["从何地返回", "返回地", "来源地"], "returned_on": ["返回日期", "返岗时间"],
                  "return_risk": ["来源风险", "风险地区"], "lodging": ["宿舍/住家", "住宿情况"],
                  "department": ["部门/车间", "车间"]}
ROSTER_REQUIRED = {"name", "id_number"}


def _day(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value).replace("/", "-")
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return False


def start_roster_import(upload, enterprise, user):
    with transaction.atomic():  # the job runs on commit, with its enterprise saved
        job = start_import("roster", upload, user)
        RosterImport.objects.create(job=job, enterprise=enterprise)
    return job


@importer("roster", permission="enterprises.add_employee")
class RosterImporter:
    # A roster belongs to one enterprise: started from the enterprise's page (start_roster_import), which names it,
    # never from /api/imports/, which takes only a kind and a file.
    generic = False
    accepts_csv = True
    columns = [label for _key, label in ROSTER_COLUMNS]
    header_aliases = ROSTER_ALIASES
    example_rows = [["王秀英", "410105195603124286", "13903711234", "包装车间", "白班", "郑州市", "2022-03-06",
                     "无", "住家"]]

    def __init__(self, user):
        self.user = user

    def validate(self, header, body, errors, progress):
        from fangkong.core.identity import DocumentType
        from fangkong.people.services import find_duplicate

        enterprise = Enterprise.objects.visible_to(self.user).filter(
            pk__in=RosterImport.objects.filter(job=self.job).values("enterprise_id")).first()
        if enterprise is None:
            errors.add(0, "", _("没有这个企业，或不在您的管辖范围内"))
            return None
        self.enterprise = enterprise
        position, missing = column_positions(header, ROSTER_COLUMNS, ROSTER_ALIASES)
        labels = {key: str(label) for key, label in ROSTER_COLUMNS}
        required = _missing(missing, ROSTER_COLUMNS, ROSTER_REQUIRED)
        if required:
            return _refuse_header(errors, required)
        risks = {str(label): value for value, label in services.RETURN_RISKS.items()}
        lodgings = {str(label): value for value, label in Lodging.choices}
        on_roster = set(Employee.objects.filter(enterprise=enterprise, active=True).values_list("person_id", flat=True))
        plan, seen = [], {}
        for done, (number, cells) in enumerate(body, start=1):
            raw = {key: cells[i] if i < len(cells) else None for key, i in position.items()}
            data = {key: cell_text(raw.get(key)) for key in ("name", "id_number", "phone", "department", "shift",
                                                             "returned_from")}
            day = _day(raw.get("returned_on"))
            if day is False:
                errors.add(number, labels["returned_on"], _("日期格式应为 2022-03-06"))
                continue
            data["returned_on"] = day
            data["return_risk"] = risks.get(cell_text(raw.get("return_risk")), cell_text(raw.get("return_risk")))
            data["lodging"] = lodgings.get(cell_text(raw.get("lodging")), cell_text(raw.get("lodging")))
            try:
                row = services.clean_employee(data)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors.add(number, labels.get(field, field), " ".join(messages))
                continue
            if row.id_number in seen:
                errors.add(number, labels["id_number"], _("与第 %(n)d 行重复") % {"n": seen[row.id_number]})
                continue
            seen[row.id_number] = number
            person = find_duplicate(DocumentType.RESIDENT_ID, row.id_number)
            if person is not None and person.pk in on_roster:
                errors.add(number, labels["id_number"], _("已在本企业名册上，请勿重复导入"))
                continue
            if person is not None and person.name != row.name:
                errors.add(number, labels["name"], _("姓名与该证件号码登记的姓名不一致，请核对"))
                continue
            plan.append(row)
            progress(done)
        return plan

    def save(self, plan):
        with transaction.atomic():
            for row in plan:
                services.add_employee(self.enterprise, row, user=self.user)
        flagged = Employee.objects.filter(enterprise=self.enterprise, active=True).exclude(duplicate_note="").count()
        return {_("新增职工"): len(plan), _("名册人数"): Employee.objects.filter(
            enterprise=self.enterprise, active=True).count(), _("重复提示"): flagged}
