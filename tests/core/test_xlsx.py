"""Spreadsheet helpers: formula-safe cells, upload checks before reading, cells read back as text."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.core.xlsx import Sheet, cell_text, check_upload, read_rows, write_workbook


def test_text_that_looks_like_a_formula_is_written_as_a_string_cell_as_it_is(xlsx):
    values = ["=1+1", "+1", "-1", "@SUM(A1)", "	=1", "=cmd|' /C calc'!A0", "王秀英", "4101**********1234", 12, None]
    out = io.BytesIO()
    write_workbook(out, [Sheet("x", [(str(n), 10) for n in range(len(values))], [values], filter=False)])
    # No apostrophe shown in front, and never a formula (xlsx.rows checks every cell's type).
    assert xlsx.rows(out.getvalue())[1][:len(values) - 1] == values[:-1]


@pytest.mark.parametrize(("value", "expected"), [(None, ""), (3.0, "3"), (3.5, "3.5"), (" 101 ", "101"), (7, "7")])
def test_cell_text(value, expected):
    assert cell_text(value) == expected


def test_check_upload_refuses_nothing_too_big_wrong_name_and_not_a_zip(settings, xlsx):
    content = xlsx.build([["区"], ["测试区"]])
    check_upload(SimpleUploadedFile("ok.XLSX", content))
    with pytest.raises(ValidationError, match="请选择要导入的文件"):
        check_upload(None)
    settings.FANGKONG_MAX_UPLOAD_BYTES = len(content) - 1
    with pytest.raises(ValidationError, match="文件太大"):
        check_upload(SimpleUploadedFile("ok.xlsx", content))
    settings.FANGKONG_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
    with pytest.raises(ValidationError, match=r"只能导入 Excel 文件"):
        check_upload(SimpleUploadedFile("ok.xlsx.csv", content))
    with pytest.raises(ValidationError, match="不是有效的 Excel"):
        check_upload(SimpleUploadedFile("fake.xlsx", b"just text"))


def test_read_rows_reads_what_openpyxl_wrote(xlsx):
    rows = read_rows(io.BytesIO(xlsx.build([["区", "楼层"], ["测试区", 3], [None, None], ["测试区", "abc"]])))
    assert [[cell_text(cell) for cell in row] for row in rows] == [["区", "楼层"], ["测试区", "3"], ["", ""],
                                                                    ["测试区", "abc"]]
    with pytest.raises(ValidationError, match="无法读取 Excel 文件|不是有效的 Excel"):
        read_rows(io.BytesIO(b"PK\x03\x04 broken"))
