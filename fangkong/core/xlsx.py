"""Spreadsheets in and out: uploads checked before reading, cells safe against formula injection."""

import datetime
import io
import re
import shutil
import tempfile
import zipfile
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

# Formula injection: a name like =HYPERLINK(...) must not run in the officer's spreadsheet program. An xlsx
# string cell is never a formula (a formula is a cell with an <f> element), so text is always written as a
# string cell, as it is: no apostrophe in front, which Excel would show as part of the text. The writers are
# told never to guess (XlsxWriter would make "=..." a formula, "http..." a link and "0123" a number), and
# openpyxl, which makes any "=..." a formula, is given string cells (`text_cells`).
XLSXWRITER_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def text_cells(sheet, values) -> list:
    """A row for an openpyxl write-only `sheet`: text as string cells, other values as they are."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        cells.append(cell)
    return cells


# --- One-sheet exports of a million rows -----------------------------------------------------------

_CONTROL = re.compile(r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_EDGE_SPACE = re.compile(r"^\s|\s$")
_EPOCH = datetime.datetime(1899, 12, 30)  # Excel's day 0 (in the 1900 date system, for dates after Feb 1900)
_MAX_TEXT = 32767  # Excel's longest cell text, in UTF-16 units
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": f'<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_OOXML}.styles+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OOXML}.worksheet+xml"/></Types>',
    "_rels/.rels": f'<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>',
    # Style 1 is the date-time cells' format, the one style besides the default.
    "xl/styles.xml": f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
}


def text_cell(value) -> str:
    """A text cell (after its reference) for `StreamingSheet.append`: an inline string (never a formula), escaped.
    Costly next to writing it: callers keep the cells of values that repeat (names, places)."""
    text = str(value)
    if len(text) > _MAX_TEXT // 2:  # Excel counts UTF-16 units: a character beyond U+FFFF takes two
        text = text.encode("utf-16-le")[:2 * _MAX_TEXT].decode("utf-16-le", "ignore")
    # Escaped as Excel does: & < > as entities, control characters as _xHHHH_ (and a literal _xHHHH_ kept so).
    text = _CONTROL.sub(lambda m: "_x005F" + m[0] if len(m[0]) > 1 else f"_x{ord(m[0]):04X}_", escape(text))
    space = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


def number_cell(value) -> str:
    return f"><v>{value:.16G}</v></c>"


def moment_cell(moment: datetime.datetime) -> str:
    """A date-time cell from a naive local datetime, shown as 2022-03-01 08:30:00."""
    delta = moment - _EPOCH
    return f' s="1"><v>{delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400:.16G}</v></c>'


class StreamingSheet:
    """An .xlsx of one sheet written row by row in constant memory, for exports of a million rows.

    XlsxWriter checks, converts and escapes every cell (some 10 µs each here, most of a big export's time); an
    export repeats few distinct values, so here a value becomes a cell once (`text_cell`, kept by the caller)
    and a row is one string. Rows go to a temporary file; `close()` wraps them into the package (inline
    strings, so no shared-string table grows with the rows).

    With `header`, the first row is the table's header: it stays in view while scrolling (a frozen pane)
    and carries an autofilter over the table's columns, down to the row where `end_table()` was called
    (so that a footer below the table is neither sorted nor filtered), or to the last row.
    """

    def __init__(self, path, title: str, widths: dict[int, float] | None = None, *, header: bool = False):
        self.path, self.title, self.widths, self.header = path, title, widths or {}, header
        self.rows = self.header_width = 0
        self.table_rows = None  # the table's last row, when end_table() was called
        self.letters = []
        self._file = tempfile.TemporaryFile()
        self._text = io.TextIOWrapper(self._file, encoding="utf-8")

    def append(self, cells) -> None:
        """The next row: cells from text_cell/number_cell/moment_cell, None for an empty one ([] for a blank row)."""
        self.rows = row = self.rows + 1
        if row == 1:
            self.header_width = len(cells)
        if not cells:
            return
        while len(cells) > len(self.letters):
            self.letters.append(get_column_letter(len(self.letters) + 1))
        written = [f'<c r="{letter}{row}"{cell}' for letter, cell in zip(self.letters, cells, strict=False)
                   if cell is not None]
        self._text.write(f'<row r="{row}">{"".join(written)}</row>')

    def end_table(self) -> None:
        """The rows appended so far are the table; what follows (a footer) is outside its filter."""
        self.table_rows = self.rows

    def _filter_ref(self) -> str:
        """The autofilter's range, as $A$1:$N$68 (what Excel's defined name wants); "" without a header."""
        if not self.header or not self.rows or not self.letters:
            return ""
        width = self.header_width or len(self.letters)
        return f"$A$1:${self.letters[width - 1]}${max(1, self.table_rows or self.rows)}"

    def close(self) -> None:
        # Column widths as Excel stores them (XlsxWriter's arithmetic): 7-px digits plus 5 px of padding.
        cols = "".join(f'<col min="{c + 1}" max="{c + 1}" width="{(int(w * 7 + 0.5) + 5) * 256 // 7 / 256}" '
                       'customWidth="1"/>' for c, w in sorted(self.widths.items()))
        # The header row frozen (Excel's pane below row 1) and filtered, as XlsxWriter writes them.
        pane = ('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>') if self.header else ""
        head = (f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
                f'<dimension ref="A1:{self.letters[-1] if self.letters else "A"}{max(self.rows, 1)}"/>'
                f'<sheetViews><sheetView tabSelected="1" workbookViewId="0">{pane}</sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{cols}</cols>" if cols else ""}<sheetData>').encode()
        ref = self._filter_ref()
        autofilter = f'<autoFilter ref="{ref.replace("$", "")}"/>' if ref else ""
        tail = (f'</sheetData>{autofilter}'
                '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
                "</worksheet>").encode()
        title = escape(self.title, {'"': "&quot;"})
        # Excel keeps a filter's range in a hidden defined name too; the sheet name quoted, ' doubled.
        quoted = escape("'" + self.title.replace("'", "''") + "'")
        names = (f'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
                 f"{quoted}!{ref}</definedName></definedNames>") if ref else ""
        parts = {**_PARTS, "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
                 f'<sheet name="{title}" sheetId="1" r:id="rId1"/></sheets>{names}</workbook>'}
        self._text.flush()
        # ZIP64 only when the sheet needs it (over 2 GiB): some readers still stumble over it.
        big = len(head) + self._file.tell() + len(tail) > zipfile.ZIP64_LIMIT
        with zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED) as book:
            for name, xml in parts.items():
                book.writestr(name, _XML + xml)
            with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=big) as sheet:
                sheet.write(head)
                self._file.seek(0)
                shutil.copyfileobj(self._file, sheet, 1 << 20)
                sheet.write(tail)
        self._text.close()


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
