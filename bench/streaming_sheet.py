"""The hand-written streaming xlsx writer the exports used until bench/xlsx_writers.py measured it against the
maintained writers: kept only as that benchmark's yardstick."""

import datetime
import io
import re
import shutil
import tempfile
import zipfile
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from fangkong.core.xlsx import excel_text

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
    """A text cell (after its reference) for `StreamingSheet.append`: neutralised against formulas, escaped.
    Costly next to writing it: callers keep the cells of values that repeat (names, places)."""
    text = excel_text(str(value))
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
