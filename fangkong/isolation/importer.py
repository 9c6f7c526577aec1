"""An isolation list as a spreadsheet (xlsx or CSV): identity number, name, kind, reason, start, planned end.

All or nothing, row by row: every number is checked and found in the user's scope, every row is checked by the
same rules as one order (isolation.services), before any order is written.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core.identity import DocumentType, normalize_resident_id
from fangkong.core.imports import column_positions, importer
from fangkong.core.xlsx import cell_text

from . import services
from .models import IsolationOrder, Kind, Source

COLUMNS = [
    ("id_number", gettext_lazy("身份证号码")),
    ("name", gettext_lazy("姓名")),
    ("kind", gettext_lazy("隔离类型")),
    ("reason", gettext_lazy("隔离原因")),
    ("start", gettext_lazy("开始日期")),
    ("planned_end", gettext_lazy("计划解除日期")),
]
ALIASES = {"id_number": ["证件号码", "身份证号"], "kind": ["类型", "管控措施"], "reason": ["原因"],
           "start": ["开始时间", "隔离开始"], "planned_end": ["解除日期", "结束日期"]}
OPTIONAL = {"name", "planned_end"}


def _day(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(cell_text(value).replace("/", "-"))
    except ValueError:
        return None


@importer("isolation_orders", permission="isolation.add_isolationorder")
class IsolationImporter:
    accepts_csv = True
    columns = [label for _key, label in COLUMNS]
    header_aliases = ALIASES
    example_rows = [["410105195603124286", "王秀英", "居家隔离", "密切接触者", "2022-03-06", ""]]

    def __init__(self, user):
        self.user = user

    def validate(self, header, body, errors, progress):
        from fangkong.people.models import Person

        position, missing = column_positions(header, COLUMNS, ALIASES)
        labels = {key: str(label) for key, label in COLUMNS}
        required = [label for label in missing if label not in {labels[key] for key in OPTIONAL}]
        if required:
            names = "、".join(required)
            errors.add(1, names, _("缺少列：%(columns)s。请使用下载的模板") % {"columns": names})
            return None
        kinds = {str(label): value for value, label in Kind.choices}
        days = services.kind_days()
        plan, seen = [], {}
        for done, (number, cells) in enumerate(body, start=1):
            row = {key: cells[i] if i < len(cells) else None for key, i in position.items()}
            try:
                id_number = normalize_resident_id(cell_text(row["id_number"]))
            except ValidationError as exc:
                errors.add(number, labels["id_number"], " ".join(exc.messages))
                continue
            person = Person.objects.visible_to(self.user).with_document(DocumentType.RESIDENT_ID, id_number).first()
            if person is None:
                errors.add(number, labels["id_number"], _("没有这个人员，或不在您的管辖范围内"))
                continue
            name = cell_text(row.get("name"))
            if name and name != person.name:
                errors.add(number, labels["name"], _("姓名与台账不一致"))
                continue
            if person.pk in seen:
                errors.add(number, labels["id_number"], _("与第 %(n)d 行重复") % {"n": seen[person.pk]})
                continue
            seen[person.pk] = number
            kind = kinds.get(cell_text(row["kind"]), cell_text(row["kind"]))
            start = _day(row["start"])
            planned_end = _day(row["planned_end"]) if cell_text(row.get("planned_end")) else None
            if start is None:
                errors.add(number, labels["start"], _("日期格式应为 2022-03-06"))
                continue
            found = services._check(person, kind=kind, reason=cell_text(row["reason"]), source=Source.SCREENING,
                                    start=start, planned_end=planned_end, site=None, room=None, user=self.user,
                                    days=days)
            for field, message in found.items():
                errors.add(number, labels.get(field, labels["id_number"]), message)
            plan.append((person, kind, cell_text(row["reason"]), start, planned_end))
            if done % 500 == 0 or done == len(body):
                progress(done)
        return plan

    def save(self, plan):
        with transaction.atomic():
            for person, kind, reason, start, planned_end in plan:
                services.order_isolation(person, kind=kind, user=self.user, reason=reason, start=start,
                                         planned_end=planned_end)
        return {_("下达隔离"): len(plan), _("在管隔离"): IsolationOrder.objects.visible_to(self.user).active().count()}
