"""The passage export's cells read back typed: local date-times, numbers, joined reasons, neutralised text."""

from datetime import UTC, datetime
from decimal import Decimal

from office_helpers import exported_rows, make_place, passage

from fangkong.passes.models import Channel, Direction, Verdict


def label(choice) -> str:
    return str(choice.label)



def test_exported_cells_keep_their_types_and_stay_text(district, users):
    gate = make_place(district.community_a, "幸福里<北门> & 东门")
    reasons = ["体温 37.9℃ 偏高", "=cmd|' /C calc'!A0"]
    fever = passage(district.person_a, gate, at=datetime(2022, 3, 1, 0, 30, 15, 250000, tzinfo=UTC),
                    temperature=Decimal("37.9"), verdict=Verdict.DENY, reasons=reasons, channel=Channel.VEHICLE,
                    vehicle_plate="豫A12345", recorder=users.worker_a)
    passage(district.person_a, gate, at=datetime(2022, 3, 1, 0, 32, tzinfo=UTC), temperature=None,
            direction=Direction.OUT, reasons=["-2+3"], vehicle_plate="@A1", corrects=fever)
    rows = exported_rows(users.worker_a)
    header, later, first = rows[:3]
    assert header == ["时间", "场所", "社区/村", "姓名", "证件类型", "证件号码", "方向", "体温（℃）", "结果", "原因",
                      "方式", "车牌", "登记人", "更正记录"]
    person = [gate.name, "幸福里社区", "王秀英", "居民身份证", district.numbers["a"]]
    # Asia/Shanghai is UTC+8; the cell keeps the second it shows (yyyy-mm-dd hh:mm:ss), its fraction dropped.
    assert first == [datetime(2022, 3, 1, 8, 30, 15), *person, label(Direction.IN), 37.9,
                     label(Verdict.DENY), "；".join(reasons), label(Channel.VEHICLE), "豫A12345", str(users.worker_a),
                     None]
    assert later == [datetime(2022, 3, 1, 8, 32), *person, label(Direction.OUT), None, label(Verdict.ALLOW), "-2+3",
                     label(Channel.SCAN), "@A1", None, f"更正第 {fever.pk} 条"]
    assert rows[3][0].startswith("导出人：worker_a") and "共 2 条" in rows[3][0] and rows[3][1:] == [None] * 13


def test_the_header_stays_in_view_and_filters_the_passages_but_not_the_footer(district, users):
    """Frozen first row and an autofilter over the header, down to the last passage (the footer is left out)."""
    import io

    from openpyxl import load_workbook

    from fangkong.core.models import ExportJob
    from fangkong.core.tasks import run_export

    gate = make_place(district.community_a)
    for minute in range(3):
        passage(district.person_a, gate, at=datetime(2022, 3, 1, 0, minute, tzinfo=UTC))
    job = ExportJob.objects.create(kind="passages", created_by=users.worker_a, params={})
    run_export(job.pk)
    job.refresh_from_db()
    with job.file.open("rb") as fh:
        sheet = load_workbook(io.BytesIO(fh.read())).worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:N4"  # 14 columns; the header and three passages
    assert sheet["A5"].value.startswith("导出人：worker_a")  # the footer, below the table, outside the filter
