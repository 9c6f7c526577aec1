"""Lab results as a spreadsheet (xlsx or CSV): tube barcode, result (阴性/阳性), time, lab.

All or nothing: every row is parsed and every tube looked up before anything is written; the same file
twice changes nothing (a tube's repeated result is no change, a contradicting one is a row error).
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core.imports import column_positions, importer
from fangkong.core.xlsx import cell_text

from . import services

COLUMNS = [
    ("barcode", gettext_lazy("试管条码")),
    ("result", gettext_lazy("检测结果")),
    ("at", gettext_lazy("检测时间")),
    ("lab", gettext_lazy("检测机构")),
]
ALIASES = {"barcode": ["条码", "条码号", "试管编号", "管码", "barcode", "tube"],
           "result": ["结果", "result"], "at": ["时间", "报告时间", "结果时间", "time", "at"],
           "lab": ["检测单位", "实验室", "lab"]}


@importer("lab_results", permission="testing.import_results")
class LabResultImporter:
    accepts_csv = True
    columns = [label for _key, label in COLUMNS]
    header_aliases = ALIASES
    example_rows = [["T20220306-000001", "阴性", "2022-03-06 18:30", "市疾控中心实验室"],
                    ["T20220306-000002", "阳性", "2022-03-06 18:30", "市疾控中心实验室"]]

    def __init__(self, user):
        self.user = user

    def validate(self, header, body, errors, progress):
        position, missing = column_positions(header, COLUMNS, ALIASES)
        required = [label for label in missing if label != str(dict(COLUMNS)["lab"])]
        if required:
            names = "、".join(required)
            errors.add(1, names, _("缺少列：%(columns)s。请使用下载的模板") % {"columns": names})
            return None
        labels = {key: str(label) for key, label in COLUMNS}
        found, parsed = [], []
        times = {}  # a lab's file repeats a few result times: each text is parsed once
        for done, (number, cells) in enumerate(body, start=1):
            row = {key: cells[i] if i < len(cells) else None for key, i in position.items()}
            at = row["at"]
            if isinstance(at, str):
                at = at.strip()
                if at not in times:
                    times[at] = services.parse_time(at)
                at = times[at] or at  # a text that is no time stays text, for the row's error
            parsed_row = services.parse_result_row(number, cell_text(row["barcode"]), cell_text(row["result"]), at,
                                                   cell_text(row.get("lab")), found, labels)
            if parsed_row is not None:
                parsed.append(parsed_row)
            if done % 500 == 0 or done == len(body):
                progress(done)
        plan, more = services.check_results(parsed, self.user, labels)
        for number, column, message in sorted(found + more, key=lambda e: e[0]):
            errors.add(number, column, message)
        return plan

    def save(self, plan):
        summary = services.save_results(plan, self.user, reference=_("导入"))
        names = {"tubes": _("出结果试管"), "negative": _("阴性管"), "positive_pools": _("阳性混管"),
                 "positive_singles": _("阳性单管"), "persons": _("涉及人数"), "retests_opened": _("新增复检任务"),
                 "retests_resolved": _("完成复检"), "unchanged": _("重复结果（未变更）")}
        return {str(names[key]): value for key, value in summary.items()}
