"""Spreadsheets in and out: uploads checked before reading, cells safe against formula injection."""

import datetime
import itertools
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook
from rustpy_xlsxwriter import Format, write_worksheets

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_MAX_TEXT = 32767  # Excel's longest cell text, in UTF-16 units


def safe_cell(value):
    """A value to write into an export: text that looks like a formula is kept as text, text too long for a
    cell is cut where Excel would cut it."""
    if isinstance(value, str):
        if value.startswith(FORMULA_PREFIXES):
            value = "'" + value
        if len(value) > _MAX_TEXT // 2:  # Excel counts UTF-16 units: a character beyond U+FFFF takes two
            value = value.encode("utf-16-le")[:2 * _MAX_TEXT].decode("utf-16-le", "ignore")
    return value


# --- Exports ---------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """One sheet of an export: a header of `columns` ((title, width) pairs) and `rows` of plain values (text,
    numbers, naive local date-times, None for an empty cell), streamed. Optionally a bold `heading` line above
    the header, a bold `totals` row under the table, and a `footer` line under everything (outside the filter).
    """

    title: str
    columns: Sequence[tuple[str, float]]
    rows: Iterable[Sequence]
    heading: str = ""
    totals: Sequence | None = None
    footer: str = ""
    freeze_columns: int = 0
    filter: bool = True


def _value(value):
    if isinstance(value, str):
        return safe_cell(value) if value else None
    if value is None or isinstance(value, (int, float, datetime.date)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return safe_cell(str(value))  # lazy translations, model instances


def sheet_name(title, used: set) -> str:
    """`title` as Excel accepts a sheet's name (no []:*?/\\, at most 31 characters), unique in the book."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(title)).strip("'")[:28] or "-"
    candidate, n = cleaned, 2
    while candidate.lower() in used:
        candidate, n = f"{cleaned[:26]}{n}", n + 1
    used.add(candidate.lower())
    return candidate


def write_workbook(target, sheets: Iterable[Sheet]) -> None:
    """Write `sheets` into an .xlsx at `target` (a path or a binary file) with rustpy-xlsxwriter, in constant
    memory: rows go to the file as they come (bench/xlsx_writers.py measured it against the alternatives).
    Every text stays text (no formula, number or link guessing), with "=" and the like neutralised."""
    bold = Format().set_bold()
    entries, used = [], set()
    options = {key: {} for key in ("header_row", "merge_ranges", "row_formats", "freeze_panes", "column_widths",
                                   "autofilter", "totals_label")}
    for sheet in sheets:
        name = sheet_name(sheet.title, used)
        headers = [str(title) for title, _width in sheet.columns]
        top = 1 if sheet.heading else 0  # the heading's row, above the header
        rows = (dict(zip(headers, map(_value, row), strict=True)) for row in sheet.rows)
        first = next(rows, None)  # the header comes from the first row's keys: an empty table gets a blank row
        rows = itertools.chain([first or dict.fromkeys(headers)], rows)
        if sheet.totals is not None:  # a small table: its length places the bold totals row
            rows = [*rows, dict(zip(headers, map(_value, sheet.totals), strict=True))]
            options["row_formats"][name] = {top + len(rows): bold}
        entries.append((name, rows))
        options["column_widths"][name] = [float(width) for _title, width in sheet.columns]
        options["freeze_panes"][name] = {"row": top + 1, "col": sheet.freeze_columns}
        options["autofilter"][name] = sheet.filter
        if sheet.heading:
            options["header_row"][name] = top
            options["merge_ranges"][name] = [(0, 0, 0, max(1, len(headers) - 1), safe_cell(str(sheet.heading)),
                                              bold)]
        if sheet.footer:
            options["totals_label"][name] = safe_cell(str(sheet.footer))
    write_worksheets(entries, target, bold_headers=True, datetime_format="yyyy-mm-dd hh:mm:ss",
                     **{key: value for key, value in options.items() if value})


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
