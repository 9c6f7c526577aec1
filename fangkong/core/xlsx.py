"""Spreadsheets in and out: uploads checked before reading, cells safe against formula injection."""

import datetime
import re
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value to write into an export: text that looks like a formula is kept as text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def check_upload(upload, allow_csv=False):
    """Refuse what is not an .xlsx file (or, where `allow_csv`, a .csv file) or is too large, before reading it."""
    if upload is None:
        raise ValidationError(_("请选择要导入的文件"))
    if upload.size > settings.FANGKONG_MAX_UPLOAD_BYTES:
        raise ValidationError(_("文件太大（%(size)d MB），最大 %(max)d MB") % {
            "size": upload.size // (1024 * 1024), "max": settings.FANGKONG_MAX_UPLOAD_BYTES // (1024 * 1024)})
    if allow_csv and upload.name.lower().endswith(".csv"):
        upload.seek(0)
        return
    if not upload.name.lower().endswith(".xlsx"):
        if allow_csv:
            raise ValidationError(_("只能导入 Excel 文件（.xlsx）或 CSV 文件（.csv），请用下载的模板填写"))
        raise ValidationError(_("只能导入 Excel 文件（.xlsx），请用下载的模板填写"))
    upload.seek(0)
    if not zipfile.is_zipfile(upload):
        raise ValidationError(_("文件不是有效的 Excel（.xlsx）文件，可能已损坏"))
    upload.seek(0)


def read_rows(path_or_file, csv=False) -> list[list]:
    """All rows of the first sheet as lists of cell values (python-calamine: fast, read-only).

    With `csv`, the file is CSV text instead: UTF-8 (with or without the BOM Excel writes) or, failing
    that, GBK (what Excel on a Chinese Windows saves); every cell is text.
    """
    if csv:
        return _read_csv(path_or_file)
    try:
        workbook = CalamineWorkbook.from_filelike(path_or_file) if hasattr(path_or_file, "read") \
            else CalamineWorkbook.from_path(str(path_or_file))
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for unreadable files
        raise ValidationError(_("无法读取 Excel 文件：%(error)s") % {"error": str(exc)[:200]}) from exc


def cell_text(value) -> str:
    """A cell as text: whole numbers without ".0" (Excel stores typed numbers as floats)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_csv(path_or_file) -> list[list]:
    import csv
    import io

    if hasattr(path_or_file, "read"):
        data = path_or_file.read()
    else:
        with open(path_or_file, "rb") as fh:
            data = fh.read()
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("无法读取 CSV 文件：请保存为 UTF-8 或 GBK 编码"))
    return [row for row in csv.reader(io.StringIO(text, newline=""))]


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def cell_date(value) -> datetime.date | None:
    """A date from a date cell, an Excel serial number or text such as 2022-03-01, 2022/3/1, 2022年3月1日;
    None for an empty cell, ValueError for anything else."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and 20000 < value < 80000:
        return datetime.date(1899, 12, 30) + datetime.timedelta(days=int(value))
    text = re.sub(r"\s+", "", cell_text(value))
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)
