"""Posters are real PDFs: rendered to an image with pdftoppm, the QR code decoded with zbarimg.

Needs poppler-utils and zbar-tools (both in .ci/run); without them the tests are skipped.
"""

import re
import shutil
import subprocess

import pytest

from fangkong.core import pdf as core_pdf
from fangkong.passes import posters
from fangkong.passes.models import Place, PlaceKind, PlaceState

TOOLS = ["pdftoppm", "zbarimg", "pdffonts", "pdftotext", "pdfinfo"]
needs_tools = pytest.mark.skipif(not all(shutil.which(tool) for tool in TOOLS),
                                 reason="poppler-utils and zbar-tools are needed to read the PDFs back")


def place_in(area, name, state=PlaceState.APPROVED):
    place = Place(area=area, name=name, kind=PlaceKind.COMPOUND_GATE, address="文化路12号", contact_name="王建军",
                  state=state)
    place.set_contact_phone("13903710001")
    place.save()
    return place


def decoded_qr_codes(pdf: bytes, tmp_path, page=1) -> list[str]:
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), str(path),
                    str(tmp_path / "page")], check=True)
    image = next(tmp_path.glob("page*.png"))
    result = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True)
    image.unlink()
    return result.stdout.split()


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdf_info(pdf: bytes, tmp_path, tool="pdfinfo") -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, str(path)], capture_output=True, text=True, check=True).stdout


@needs_tools
def test_the_poster_qr_code_decodes_to_the_scan_url(users, gate, client_for, tmp_path, settings):
    settings.FANGKONG_PUBLIC_URL = "https://fk.example.gov.cn"
    response = client_for(users.worker_a).get(f"/places/{gate.pk}/poster.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    assert decoded_qr_codes(response.content, tmp_path) == [gate.scan_url]
    assert gate.scan_url.startswith("https://fk.example.gov.cn/c/")


@needs_tools
def test_the_poster_embeds_a_cjk_font_and_says_what_it_should(users, gate, client_for, tmp_path, settings):
    settings.FANGKONG_HOTLINE = "0371-12345678"
    pdf = client_for(users.worker_a).get(f"/places/{gate.pk}/poster.pdf").content
    fonts = pdf_info(pdf, tmp_path, "pdffonts").splitlines()[2:]
    assert fonts, "the PDF names no font"
    # Columns: name type encoding emb sub uni object ID; every font used is embedded.
    assert all(re.search(r"\s+yes\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", line) for line in fonts), fonts
    text = pdf_text(pdf, tmp_path)
    for words in ("幸福里小区北门", "东风街道 · 幸福里社区", "扫码", "首次填写健康申报", "以后扫码一键通行",
                  "咨询电话：0371-12345678", "测试区疫情防控指挥部", posters.verification_code(gate)):
        assert words in text, words
    assert "Pages:           1" in pdf_info(pdf, tmp_path)
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", pdf_info(pdf, tmp_path))


def dark_runs(row: bytes, gap=40):
    """(first x, last x, number of dark pixels) of each run of dark pixels no more than `gap` apart."""
    runs = []
    for x, value in enumerate(row):
        if value >= 128:
            continue
        if runs and x - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], x, runs[-1][2] + 1)
        else:
            runs.append((x, x, 1))
    return runs


@needs_tools
def test_the_qr_code_is_at_least_8_cm_wide(gate, tmp_path):
    """Measured on the page rendered at 150 dpi, across the QR code's timing-pattern row.

    Dark pixels closer than 40 px (2.5 modules) belong to one run; the timing row has no white run longer
    than one module, so its run is the code's full width, while the frame lies a quiet zone (4 modules) away
    and its top and bottom lines are solid runs, left out.
    """
    path = tmp_path / "p.pdf"
    path.write_bytes(posters.poster_pdf(gate))
    # Rows 420-1080 hold the code on a poster with a one-line name (below the name, above the steps).
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-y", "420", "-W", "1241", "-H", "660", str(path),
                    str(tmp_path / "crop")], check=True)
    image = next(tmp_path.glob("crop*.pgm")).read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+\d+\s", image)
    width, height, pixels = int(header[1]), int(header[2]), image[header.end():]
    widest = 0
    for y in range(height):
        for first, last, dark in dark_runs(pixels[y * width:(y + 1) * width]):
            if dark < 0.97 * (last - first + 1):  # a solid run is a line of the frame, not the code
                widest = max(widest, last - first)
    centimetres = widest / 150 * 2.54
    assert 8.0 <= centimetres <= 10.5, centimetres


def test_the_verification_code_changes_with_the_code(gate):
    from fangkong.passes import services

    before = posters.verification_code(gate)
    assert re.fullmatch(r"[0-9A-F]{6}", before)
    services.rotate_code(gate, user=None)
    assert posters.verification_code(gate) != before


def test_a_poster_of_a_place_not_approved_explains_why(users, district, client_for):
    pending = place_in(district.community_a, "待审核的超市", PlaceState.PENDING)
    response = client_for(users.worker_a).get(f"/places/{pending.pk}/poster.pdf")
    assert response.status_code == 409
    assert "待审核，只有已启用的场所才能下载海报" in response.content.decode()


def test_another_communitys_poster_is_not_found(users, district, client_for):
    village = place_in(district.community_b, "李庄村卡点")
    assert client_for(users.worker_a).get(f"/places/{village.pk}/poster.pdf").status_code == 404
    assert client_for(users.worker_b).get(f"/places/{village.pk}/poster.pdf").status_code == 200


@needs_tools
def test_an_area_batch_has_one_page_per_approved_place_in_scope(users, district, client_for, tmp_path):
    a1, a2 = place_in(district.community_a, "北门"), place_in(district.community_a, "南门")
    place_in(district.community_a, "待审核", PlaceState.PENDING)
    place_in(district.community_c, "新华社区卡点")
    place_in(district.community_b, "李庄村卡点")
    officer = client_for(users.officer)

    response = officer.get("/places/posters.pdf", {"area": district.community_a.pk})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Pages:           2" in pdf_info(response.content, tmp_path)
    first, second = (decoded_qr_codes(response.content, tmp_path, page) for page in (1, 2))
    assert {first[0], second[0]} == {a1.scan_url, a2.scan_url}

    whole = officer.get("/places/posters.pdf")  # the officer's own area: 东风街道
    assert "Pages:           3" in pdf_info(whole.content, tmp_path)
    assert officer.get("/places/posters.pdf", {"area": district.community_b.pk}).status_code == 404
    assert officer.get("/places/posters.pdf", {"area": "x"}).status_code == 404


def test_an_area_without_approved_places_gets_a_message(users, district, client_for):
    response = client_for(users.worker_a).get("/places/posters.pdf", {"area": district.community_a.pk})
    assert response.status_code == 404
    assert "幸福里社区没有已启用的场所" in response.content.decode()


@needs_tools
def test_without_a_truetype_cjk_font_the_poster_falls_back_to_stsong(gate, settings, monkeypatch, tmp_path):
    settings.FANGKONG_POSTER_FONT = "/nonexistent/font.ttf"
    monkeypatch.setattr(core_pdf, "FONT_CANDIDATES", [])
    core_pdf.cjk_font.cache_clear()
    try:
        assert core_pdf.cjk_font() == ("STSong-Light", False)
        pdf = posters.poster_pdf(gate)
        assert "STSong-Light" in pdf_info(pdf, tmp_path, "pdffonts")
        assert decoded_qr_codes(pdf, tmp_path) == [gate.scan_url]
    finally:
        core_pdf.cjk_font.cache_clear()


@needs_tools
def test_the_configured_font_is_used(gate, settings, tmp_path):
    found = next((path for path in core_pdf.FONT_CANDIDATES if __import__("os").path.isfile(path)), None)
    if found is None:
        pytest.skip("no TrueType CJK font on this machine")
    settings.FANGKONG_POSTER_FONT = found
    core_pdf.cjk_font.cache_clear()
    try:
        assert core_pdf.cjk_font() == (core_pdf.EMBEDDED_FONT, True)
        assert " yes " in pdf_info(posters.poster_pdf(gate), tmp_path, "pdffonts")
    finally:
        core_pdf.cjk_font.cache_clear()
