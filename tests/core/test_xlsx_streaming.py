"""The one xlsx writer of every export (core.xlsx.write_workbook): its files read back the same with two
independent readers, openpyxl (Python) and python-calamine (Rust), as a spreadsheet program would open them."""

import datetime
import zipfile

from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from fangkong.core.xlsx import Sheet, write_workbook

TEXTS = ["王秀英", "=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "a<b>&c\"'", " 前后空格 ", "x\x01y",
         "_x0041_", "\u3000全角空格", "line\nbreak", "𠀀 beyond the BMP", "x" * 40_000, "𠀀" * 20_000]
# What a reader gets back: "=" and the like as they are (string cells), "\r" as a line break, text cut at Excel's
# 32,767 UTF-16 units.
EXPECTED = ["王秀英", "=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)", "\tx", "\nx", "a<b>&c\"'", " 前后空格 ",
            "x\x01y", "_x0041_", "\u3000全角空格", "line\nbreak", "𠀀 beyond the BMP", "x" * 32767, "𠀀" * 16383]
MOMENT = datetime.datetime(2022, 3, 1, 8, 30, 15)
COLUMNS = [("时间", 19), ("文字", 24), ("空", 6), ("体温", 8)]


def passages_like(path):
    rows = [(MOMENT, text, None, 36.6) for text in TEXTS]
    write_workbook(path, [Sheet("出入&记录", COLUMNS, iter(rows), footer="导出人：王 共 16 条")])


def calamine_rows(path, sheet=0):
    """Rows as calamine reads them; an empty cell is "" there, None here."""
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_index(sheet).to_python(skip_empty_area=False)
    return [[None if cell == "" else cell for cell in row] for row in rows]


def openpyxl_rows(path, sheet=0, read_only=False):
    book = load_workbook(path, read_only=read_only)
    return [list(row) for row in book.worksheets[sheet].iter_rows(values_only=True)]


def test_a_table_reads_back_alike_with_openpyxl_and_calamine(tmp_path):
    path = tmp_path / "passages.xlsx"
    passages_like(path)
    ours = calamine_rows(path)
    assert ours[0] == ["时间", "文字", "空", "体温"]
    assert [row[1] for row in ours[1:17]] == EXPECTED
    assert all(row[0] == MOMENT and row[2] is None and row[3] == 36.6 for row in ours[1:17])
    assert ours[17] == ["导出人：王 共 16 条", None, None, None] and len(ours) == 18
    # openpyxl reads the same, except that it leaves Excel's _xHHHH_ escapes (of control characters, and of a
    # text that looks like one) undecoded, where calamine and Excel decode them.
    escaped = {"'\rx": "'_x000D_x", "x\x01y": "x_x0001_y", "_x0041_": "_x005F_x0041_"}
    as_openpyxl = [[escaped.get(cell, cell) for cell in row] for row in ours]
    assert openpyxl_rows(path) == openpyxl_rows(path, read_only=True) == as_openpyxl


def test_no_cell_is_a_formula_and_the_header_stays_in_view_filtering_the_table_only(tmp_path):
    path = tmp_path / "passages.xlsx"
    passages_like(path)
    book = load_workbook(path)
    sheet = book.worksheets[0]
    assert book.sheetnames == ["出入&记录"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None and "<f>" not in package.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D17"  # the header and 16 rows; the footer (row 18) is left out
    assert sheet["A2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert [round(sheet.column_dimensions[letter].width) for letter in "ABCD"] == [20, 25, 7, 9]


def test_sheets_with_a_heading_and_a_bold_totals_row_and_no_filter(tmp_path):
    path = tmp_path / "daily.xlsx"
    columns = [("社区", 18), ("新增", 10), ("是否上报", 10)]
    write_workbook(path, [
        Sheet("汇总", columns, [("幸福里社区", 1, "未上报"), ("=李庄村", 2, "已上报")], heading="日报 汇总",
              totals=("合计", 3, "1/2"), freeze_columns=1, filter=False),
        Sheet("省外/返回:人员", columns, [], heading="省外", totals=("合计", 0, "1/2"), filter=False),
    ])
    book = load_workbook(path)
    assert book.sheetnames == ["汇总", "省外 返回 人员"]  # what Excel refuses in a name becomes a space
    summary = book["汇总"]
    expected = [["日报 汇总", None, None], ["社区", "新增", "是否上报"], ["幸福里社区", 1, "未上报"],
                ["=李庄村", 2, "已上报"], ["合计", 3, "1/2"]]
    assert openpyxl_rows(path) == calamine_rows(path) == expected
    assert summary["A1"].font.b and summary["A5"].font.b and summary["B5"].font.b and not summary["A3"].font.b
    assert summary.freeze_panes == "B3" and summary.auto_filter.ref is None
    # An empty table keeps its header (over a blank row) and its totals.
    assert openpyxl_rows(path, 1) == calamine_rows(path, 1) == [
        ["省外", None, None], ["社区", "新增", "是否上报"], [None, None, None], ["合计", 0, "1/2"]]
