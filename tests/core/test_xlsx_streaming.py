"""StreamingSheet, the writer of big exports: what openpyxl and calamine read back is what XlsxWriter's file gave."""

import datetime
import io
import re
import zipfile

import xlsxwriter
from openpyxl import load_workbook

from fangkong.core.xlsx import StreamingSheet, moment_cell, number_cell, read_rows, text_cell

TEXTS = ["王秀英", "=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "a<b>&c\"'", " 前后空格 ", "x\x01y",
         "_x0041_", "\u3000全角空格", "line\nbreak", "", "𠀀 beyond the BMP", "x" * 40_000, "𠀀" * 20_000]
MOMENT = datetime.datetime(2022, 3, 1, 8, 30, 15, 123456)
WIDTHS = {0: 19, 1: 24, 5: 20}


def streaming(path, header=False):
    sheet = StreamingSheet(path, "出入&记录", WIDTHS, header=header)
    sheet.append([text_cell("时间"), text_cell("文字"), None, text_cell("体温")])
    for text in TEXTS:
        sheet.append([moment_cell(MOMENT), text_cell(text), None, number_cell(36.6)])
    sheet.end_table()
    sheet.append([])
    sheet.append([text_cell("共 17 条")])
    sheet.close()


def with_xlsxwriter(path, header=False):
    """The same sheet as the passage export wrote it with XlsxWriter before (the reference)."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_urls": False,
                                      "strings_to_formulas": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("出入&记录")
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for column, width in WIDTHS.items():
        sheet.set_column(column, column, width)
    for column, title in ((0, "时间"), (1, "文字"), (3, "体温")):
        sheet.write_string(0, column, title)
    for row, text in enumerate(TEXTS, 1):
        sheet.write_datetime(row, 0, MOMENT, when)
        sheet.write_string(row, 1, text)
        sheet.write_number(row, 3, 36.6)
    sheet.write_string(len(TEXTS) + 2, 0, "共 17 条")
    if header:
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, len(TEXTS), 3)
    book.close()


def read(path, read_only):
    book = load_workbook(path, read_only=read_only)
    sheet = book.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    if read_only:
        return book.sheetnames, rows
    widths = {key: dim.width for key, dim in sheet.column_dimensions.items() if dim.customWidth}
    return book.sheetnames, rows, sheet.dimensions, widths, [cell.number_format for cell in sheet[2]]


def test_the_streamed_sheet_reads_back_like_xlsxwriters(tmp_path):
    ours, reference = tmp_path / "ours.xlsx", tmp_path / "reference.xlsx"
    streaming(ours)
    with_xlsxwriter(reference)
    for read_only in (False, True):
        assert read(ours, read_only) == read(reference, read_only)
    assert read_rows(ours) == read_rows(reference)  # calamine
    names, rows, dimensions, widths, formats = read(ours, False)
    assert names == ["出入&记录"] and dimensions == "A1:D20"
    assert widths == {"A": 19.7109375, "B": 24.7109375, "F": 20.7109375}
    assert formats == ["yyyy-mm-dd hh:mm:ss", "General", "General", "General"]
    assert rows[1][0] == datetime.datetime(2022, 3, 1, 8, 30, 15, 123000) and rows[1][3] == 36.6
    texts = [row[1] for row in rows[1:len(TEXTS) + 1]]
    # Text that looks like a formula stays text as it is: a string cell is never a formula.
    assert texts[:6] == ["王秀英", "=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)", "\tx"]
    # Excel decodes its _xHHHH_ escapes (control characters, and a literal "_x0041_" kept so); openpyxl does not.
    assert texts[6:11] == ["_x000D_x", "a<b>&c\"'", " 前后空格 ", "x_x0001_y", "_x005F_x0041_"]
    package = zipfile.ZipFile(ours).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in package and "<f " not in package
    assert texts[13] == "" and len(texts[15]) == 32767 and len(texts[16]) == 16383  # Excel's longest text
    assert rows[-2] == [None] * 4 and rows[-1][0] == "共 17 条"


def test_a_sheet_is_a_plain_zip_with_the_parts_excel_needs(tmp_path):
    path = tmp_path / "empty.xlsx"
    StreamingSheet(path, "空").close()
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                "xl/styles.xml", "xl/worksheets/sheet1.xml"} == set(package.namelist())
    assert load_workbook(io.BytesIO(path.read_bytes())).worksheets[0].title == "空"


def test_a_header_is_frozen_and_filters_the_table_like_xlsxwriters(tmp_path):
    ours, reference = tmp_path / "ours.xlsx", tmp_path / "reference.xlsx"
    streaming(ours, header=True)
    with_xlsxwriter(reference, header=True)
    assert read(ours, False) == read(reference, False)
    sheets = [load_workbook(path).worksheets[0] for path in (ours, reference)]
    assert [s.freeze_panes for s in sheets] == ["A2", "A2"]
    assert [s.auto_filter.ref for s in sheets] == ["A1:D18", "A1:D18"]  # the footer (row 20) is not in it
    with zipfile.ZipFile(ours) as package, zipfile.ZipFile(reference) as theirs:
        assert "_xlnm._FilterDatabase" in package.read("xl/workbook.xml").decode()
        name = re.search(r"<definedName[^>]*>([^<]*)<", theirs.read("xl/workbook.xml").decode())[1]
        assert f">{name}<" in package.read("xl/workbook.xml").decode()  # the same range, quoted the same way


def test_a_sheet_without_a_header_has_no_pane_and_no_filter(tmp_path):
    path = tmp_path / "plain.xlsx"
    streaming(path)
    sheet = load_workbook(path).worksheets[0]
    assert sheet.freeze_panes is None and sheet.auto_filter.ref is None
