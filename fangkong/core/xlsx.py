"""Spreadsheets in and out: uploads checked before reading, cells safe against formula injection."""

import collections
import datetime
import itertools
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook
from rustpy_xlsxwriter import Format, write_worksheets

# Formula injection: a name like =HYPERLINK(...) must not run in the officer's spreadsheet program. An xlsx
# string cell is never a formula (a formula is a cell with an <f> element), and the writer writes every text as
# a string cell (an inline string), as it is: no apostrophe in front, which Excel would show as part of the text.
_MAX_TEXT = 32767  # Excel's longest cell text, in UTF-16 units


def excel_text(value):
    """A text to write into an export: line breaks as Excel writes them ("\n": a bare "\r" would be stored
    escaped, and read back so by some readers), cut where Excel would cut it."""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        if len(value) > _MAX_TEXT // 2:  # a character beyond U+FFFF takes two units
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
        return excel_text(value) if value else None
    if value is None or isinstance(value, (int, float, datetime.date)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return excel_text(str(value))  # lazy translations, model instances


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
    Every text stays text: an inline string cell, never a formula, number or link."""
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
            options["merge_ranges"][name] = [(0, 0, 0, max(1, len(headers) - 1), excel_text(str(sheet.heading)),
                                              bold)]
        if sheet.footer:
            options["totals_label"][name] = excel_text(str(sheet.footer))
    write_worksheets(entries, target, bold_headers=True, datetime_format="yyyy-mm-dd hh:mm:ss",
                     **{key: value for key, value in options.items() if value})


def check_upload(upload, allow_csv=False):
    """Refuse what is not an .xlsx file (or, where `allow_csv`, a .csv file), is too large, or would grow too
    large when unpacked (check_archive), before reading it."""
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
    check_archive(upload)
    upload.seek(0)


# --- Unpacked size: an .xlsx is a zip, and 1 MB of it can unpack to gigabytes -----------------------------

_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})(\d{1,7})\"")
_ROW_REF = re.compile(rb"\br=\"(\d{1,7})\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"[A-Z]{0,3}\d{0,7}:?([A-Z]{1,3})(\d{1,7})\"")
_CHUNK = 1 << 20
MAX_PARTS = 1000  # a workbook of a few sheets has some twenty
_LONGEST_TAG = 1 << 20  # text between two ">" longer than this is no spreadsheet's (a cell holds 32,767 characters)


class _TooBig(Exception):
    pass


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


class _Budget:
    def __init__(self, limit: int):
        self.left = limit

    def spend(self, data: bytes) -> bytes:
        self.left -= len(data)
        if self.left < 0:
            raise _TooBig
        return data


def _unpacked_chunks(info, file, budget: _Budget):
    """The member's bytes as they really unpack, chunk by chunk, whatever its header declares; _TooBig once
    the archive's members together pass the budget. Read from the raw deflate stream, since zipfile stops at
    the declared size (a lie a bomb may tell) while other readers do not."""
    file.seek(info.header_offset)
    header = file.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(info.filename)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    file.seek(info.header_offset + 30 + name_length + extra_length)
    if info.compress_type == zipfile.ZIP_STORED:
        inflate = None
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    else:
        raise zipfile.BadZipFile(info.filename)  # Excel writes deflate or stored, nothing else
    left = info.compress_size
    while left > 0 and not (inflate and inflate.eof):
        raw = file.read(min(_CHUNK, left))
        if not raw:
            break
        left -= len(raw)
        if inflate is None:
            yield budget.spend(raw)
            continue
        while raw and not inflate.eof:  # at most one chunk unpacked at a time, however far it expands
            data = inflate.decompress(raw, _CHUNK)
            raw = inflate.unconsumed_tail
            yield budget.spend(data)


def _sheet_extent(chunks) -> tuple[int, int]:
    """(rows, columns) that a sheet's XML spans: its largest row and column references, its row count, and the
    dimension it declares (which readers may allocate at once)."""
    rows = columns = count = 0
    carry = b""
    for chunk in chunks:
        text = carry + chunk
        cut = text.rfind(b">") + 1
        text, carry = text[:cut], text[cut:]
        if len(carry) > _LONGEST_TAG:
            raise _TooBig
        for match in _ROW.finditer(text):
            count += 1
            ref = _ROW_REF.search(match[1])
            if ref:
                rows = max(rows, int(ref[1]))
        for letters, number in _CELL_REF.findall(text):
            rows, columns = max(rows, int(number)), max(columns, _column_number(letters))
        for letters, number in _DIMENSION.findall(text):
            rows, columns = max(rows, int(number)), max(columns, _column_number(letters))
    return max(rows, count), columns


def check_archive(file):
    """Refuse an .xlsx whose parts would unpack past FANGKONG_IMPORT_MAX_UNPACKED_MB in all (each part's
    declared size, then its real size while unpacking in bounded chunks), or whose sheets span more than
    FANGKONG_IMPORT_MAX_ROWS rows or FANGKONG_IMPORT_MAX_CELLS cells, before any reader sees it: readers keep a
    sheet and its shared strings in memory, so the file's own size says nothing of what reading it costs."""
    limit = settings.FANGKONG_IMPORT_MAX_UNPACKED_MB * 1024 * 1024
    too_big = ValidationError(
        _("文件解压后过大（超过 %(max)d MB），不像是要导入的表格，请只保留需要导入的工作表和数据后重试")
        % {"max": settings.FANGKONG_IMPORT_MAX_UNPACKED_MB})
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
        if len(members) > MAX_PARTS or sum(info.file_size for info in members) > limit:
            raise too_big
        budget = _Budget(limit)
        for info in members:
            chunks = _unpacked_chunks(info, file, budget)
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                check_extent(*_sheet_extent(chunks))
            else:
                collections.deque(chunks, maxlen=0)  # unpacked only to be measured
    except _TooBig:
        raise too_big from None
    except (zipfile.BadZipFile, zlib.error, struct.error, EOFError):
        raise ValidationError(_("文件不是有效的 Excel（.xlsx）文件，可能已损坏")) from None


def check_extent(rows: int, columns: int):
    """Refuse a table of more rows, or more cells (the rectangle up to its last row and column), than an
    import reads."""
    if rows > settings.FANGKONG_IMPORT_MAX_ROWS:
        raise ValidationError(_("文件行数太多（%(rows)d 行），一次最多导入 %(max)d 行，请分成几个文件导入") % {
            "rows": rows, "max": settings.FANGKONG_IMPORT_MAX_ROWS})
    if rows * columns > settings.FANGKONG_IMPORT_MAX_CELLS:
        raise ValidationError(_("表格范围太大（%(rows)d 行 × %(columns)d 列），请删除表格右侧和下方多余的列和行后重试")
                              % {"rows": rows, "columns": columns})


def read_rows(path_or_file, csv=False) -> list[list]:
    """All rows of the first sheet as lists of cell values (python-calamine: fast, read-only), once the file
    has been found to unpack to a bounded size and span bounded rows and cells (check_archive, check_extent).

    With `csv`, the file is CSV text instead: UTF-8 (with or without the BOM Excel writes) or, failing
    that, GBK (what Excel on a Chinese Windows saves); every cell is text.
    """
    if csv:
        rows = _read_csv(path_or_file)
        check_extent(len(rows), max(map(len, rows), default=0))
        return rows
    try:
        if hasattr(path_or_file, "read"):
            check_archive(path_or_file)  # before calamine holds the sheet and its strings in memory
            path_or_file.seek(0)
            workbook = CalamineWorkbook.from_filelike(path_or_file)
        else:
            with open(path_or_file, "rb") as file:
                check_archive(file)
            workbook = CalamineWorkbook.from_path(str(path_or_file))
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except ValidationError:
        raise
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
