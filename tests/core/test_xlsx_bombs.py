"""An .xlsx is a zip: a file of a megabyte can unpack to a gigabyte of shared strings, or declare a sheet of a
million rows and sixteen thousand columns, and a reader that holds the sheet in memory takes a worker down.
What an upload unpacks to, and the rows and cells its sheets span, are checked before any reader sees it: the
upload is refused with a clear message, nothing is stored, nothing is imported.

The bombs are built here, as an attacker builds them: deflate blocks of one repeated piece, copied (each copy
unpacks to the same megabyte), in a zip whose headers may declare the truth or a small lie.
"""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.core import imports
from fangkong.core.models import ImportJob, JobStatus
from fangkong.core.xlsx import check_upload, read_rows
from fangkong.territory.models import Area

HEADER = ["区", "街道/镇", "社区/村", "网格", "小区/楼院", "楼栋", "单元", "门牌/房号", "楼层", "地址"]
MB = 1024 * 1024


def _deflate(data: bytes, final=False) -> bytes:
    """Raw deflate blocks of `data` that refer to nothing before them, so that copies of them can follow each other."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def zip_of(members) -> bytes:
    """A zip written by hand: [(name, deflated bytes, crc, real size, declared size)]."""
    out, directory = io.BytesIO(), []
    for name, deflated, crc, _size, declared in members:
        encoded = name.encode()
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(deflated), declared,
                              len(encoded), 0) + encoded + deflated)
        directory.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(deflated),
                                     declared, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(b"".join(directory))
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), out.tell() - start, start, 0))
    return out.getvalue()


def workbook_parts(xlsx) -> list:
    """The parts of a real workbook (openpyxl's) holding the template's header, deflated as they are."""
    with zipfile.ZipFile(io.BytesIO(xlsx.build([HEADER, ["测试区", "东风街道", "幸福里社区"]]))) as book:
        return [(info.filename, _deflate(book.read(info.filename), final=True), zlib.crc32(book.read(info.filename)),
                 info.file_size, info.file_size) for info in book.infolist()]


def shared_strings_bomb(unpacked: int, declared=None):
    """xl/sharedStrings.xml of `unpacked` bytes (about): one string, then a megabyte of strings again and again."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    unit = b"<si><t>" + b"A" * 1017 + b"</t></si>"  # 1 KiB
    unit *= 1024  # 1 MiB
    tail = b"</sst>"
    copies = unpacked // len(unit)
    crc = zlib.crc32(head)
    for _ in range(copies):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + copies * len(unit) + len(tail)
    deflated = _deflate(head) + _deflate(unit) * copies + _deflate(tail, final=True)
    return ("xl/sharedStrings.xml", deflated, crc, size, size if declared is None else declared)


def bomb(xlsx, unpacked=1024 * MB, declared=None) -> bytes:
    parts = [part for part in workbook_parts(xlsx) if part[0] != "xl/sharedStrings.xml"]
    return zip_of([*parts, shared_strings_bomb(unpacked, declared)])


def with_sheet(xlsx, sheet_xml: bytes) -> bytes:
    parts = [part for part in workbook_parts(xlsx) if part[0] != "xl/worksheets/sheet1.xml"]
    sheet = ("xl/worksheets/sheet1.xml", _deflate(sheet_xml, final=True), zlib.crc32(sheet_xml), len(sheet_xml),
             len(sheet_xml))
    return zip_of([*parts, sheet])


def sheet(dimension: str, cells: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml'
            f'/2006/main"><dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>').encode()


def test_a_megabyte_that_unpacks_to_a_gigabyte_is_refused_before_anything_is_stored(users, client_for, xlsx,
                                                                                     settings):
    content = bomb(xlsx)
    assert len(content) < 4 * MB  # small on disk, as the one that took a worker to 4.2 GB
    areas = Area.objects.count()
    response = client_for(users.admin).post("/territory/import/", {"file": SimpleUploadedFile("台账.xlsx", content)})
    assert response.status_code == 200
    [message] = response.context["form"].errors["file"]
    assert message.startswith("文件解压后过大（超过 256 MB）")
    assert message in response.content.decode()
    assert not ImportJob.objects.exists() and Area.objects.count() == areas
    assert not (settings.MEDIA_ROOT / "imports").exists()


def test_a_bomb_whose_headers_declare_a_small_size_is_measured_as_it_unpacks(xlsx):
    content = bomb(xlsx, declared=1000)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert sum(info.file_size for info in archive.infolist()) < 100_000  # what the headers say
    with pytest.raises(ValidationError, match="文件解压后过大"):
        check_upload(SimpleUploadedFile("台账.xlsx", content))


def test_the_unpacked_limit_is_a_setting_and_a_normal_workbook_passes_it(xlsx, settings):
    settings.FANGKONG_IMPORT_MAX_UNPACKED_MB = 8
    check_upload(SimpleUploadedFile("台账.xlsx", bomb(xlsx, unpacked=6 * MB)))
    with pytest.raises(ValidationError, match=r"文件解压后过大（超过 8 MB）"):
        check_upload(SimpleUploadedFile("台账.xlsx", bomb(xlsx, unpacked=9 * MB)))


@pytest.mark.parametrize(("sheet_xml", "message"), [
    # one cell at the last row and column Excel has, and a dimension that says so: a reader may allocate it all
    (sheet("A1:XFD1048576", '<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>'),
     "文件行数太多（1048576 行），一次最多导入 300000 行，请分成几个文件导入"),
    (sheet("A1:A1", '<row r="1"><c r="A1" t="n"><v>1</v></c></row><row r="200000"><c r="ZZZ200000"><v>1</v></c></row>'),
     "表格范围太大（200000 行 × 18278 列），请删除表格右侧和下方多余的列和行后重试"),
    (sheet("A1:XFD20000", '<row r="1"><c r="A1" t="n"><v>1</v></c></row>'),
     "表格范围太大（20000 行 × 16384 列），请删除表格右侧和下方多余的列和行后重试"),
])
def test_a_sheet_that_spans_too_many_rows_or_cells_is_refused(xlsx, sheet_xml, message):
    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile("台账.xlsx", with_sheet(xlsx, sheet_xml)))
    assert refused.value.messages == [message]


def test_a_bomb_stored_before_these_checks_fails_its_job_unread(users, xlsx):
    """A file already stored (an older upload, a file put there by hand) is checked again by the worker."""
    job = ImportJob.objects.create(kind="territory", created_by=users.admin, file_name="台账.xlsx",
                                   file=SimpleUploadedFile("台账.xlsx", bomb(xlsx)))
    areas = Area.objects.count()
    imports.run(job)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.errors[0][2].startswith("文件解压后过大")
    assert Area.objects.count() == areas


def test_a_csv_of_too_many_rows_is_refused(settings):
    settings.FANGKONG_IMPORT_MAX_ROWS = 10
    read_rows(io.BytesIO("姓名\n".encode() + "王秀英\n".encode() * 9), csv=True)
    with pytest.raises(ValidationError, match="文件行数太多（11 行），一次最多导入 10 行"):
        read_rows(io.BytesIO("姓名\n".encode() + "王秀英\n".encode() * 10), csv=True)


MEASURE = """
import resource, sys
import django
django.setup()
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from fangkong.core.xlsx import check_upload
content = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    check_upload(SimpleUploadedFile("台账.xlsx", content))
except ValidationError as exc:
    print(exc.messages[0])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_checking_a_gigabyte_bomb_takes_a_few_megabytes_of_memory(xlsx, tmp_path):
    """Peak memory of a real process checking the bomb: unpacked a megabyte at a time, never held whole."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb(xlsx))
    result = subprocess.run([sys.executable, "-c", MEASURE, str(path)], cwd=settings.BASE_DIR, env=os.environ,
                            capture_output=True, text=True, timeout=300)
    message, grown_mb = result.stdout.split("\n")[:2]
    assert message.startswith("文件解压后过大"), result.stderr
    assert int(grown_mb) < 64  # the bomb unpacks to 1024 MB
