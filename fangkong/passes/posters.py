"""一区一码 posters: A4 PDFs in Chinese that print well in black and white.

Each page carries the place name large, its area, a QR code of the place's scan URL (10 cm wide,
drawn as vector rectangles so it stays sharp at any printer resolution, with the 4-module quiet
zone the standard asks for), three steps, the hotline, the issuing office, the date and a short
verification code. A CJK TrueType font is embedded so the poster looks the same on every printer
and viewer; only when no such font exists on the machine does it fall back to reportlab's
STSong-Light, which the viewer has to supply.
"""

import io

import segno
from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from fangkong.core.pdf import QUIET_MODULES, cjk_font, draw_qr, issuing_office
from fangkong.territory.models import Area, AreaLevel

QR_WIDTH = 100 * mm  # the code itself, without its quiet zone
MIN_QR_WIDTH = 80 * mm  # UX.md: at least 8 cm
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 12 * mm
STEPS = ["① 扫码", "② 首次填写健康申报", "③ 以后扫码一键通行"]
VERIFICATION_SALT = "fangkong.passes.poster"


def verification_code(place) -> str:
    """Six characters printed on the poster and shown to staff: a poster whose code differs is stale or forged."""
    return salted_hmac(VERIFICATION_SALT, place.code).hexdigest()[:6].upper()


def public_url_is_local(url: str | None = None) -> bool:
    """Whether FANGKONG_PUBLIC_URL (printed into every QR code) names this machine only (127.0.0.1,
    localhost, ::1, 0.0.0.0): no phone can open it, so posters printed now would not work."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(url if url is not None else settings.FANGKONG_PUBLIC_URL).hostname or "").lower()
    if host in ("", "localhost") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


class _Areas:
    """Area names for many posters with one query per distinct area, not one per place."""

    def __init__(self):
        self.cache = {}

    def chain(self, area) -> list[Area]:
        if area.pk not in self.cache:
            self.cache[area.pk] = [*area.ancestors(), area]
        return self.cache[area.pk]

    def district(self, area) -> Area | None:
        return next((a for a in self.chain(area) if a.level == AreaLevel.DISTRICT), None)

    def label(self, area) -> str:
        # The district is printed as the issuing office; the poster names the levels below it.
        names = [a.name for a in self.chain(area) if a.level != AreaLevel.DISTRICT]
        return " · ".join(names or [area.name])


def poster_pdf(place) -> bytes:
    return posters_pdf([place])


def posters_pdf(places) -> bytes:
    """One A4 page per place, in the order given."""
    out = io.BytesIO()
    font, _embedded = cjk_font()
    # The initial font would otherwise be Helvetica, listed in the PDF although never used.
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1, initialFontName=font)
    pdf.setAuthor("fangkong")
    pdf.setCreator("fangkong 一区一码")
    areas = _Areas()
    today = timezone.localdate()
    count = 0
    for place in places:
        if count == 0:
            pdf.setTitle(f"{place.name} 场所码")
        _draw_page(pdf, font, place, areas, today)
        pdf.showPage()
        count += 1
    if count > 1:
        pdf.setTitle(f"场所码海报 {count} 张")
    pdf.save()
    return out.getvalue()


def _fit(text, font, size, min_size, width):
    """The largest font size from `size` down to `min_size` at which `text` fits `width`."""
    while size > min_size and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 1
    return size


def _wrap(text, font, size, width, max_lines=2):
    """Chinese text wraps between any two characters; the last line ends with … when cut."""
    lines, line = [], ""
    for char in text:
        if pdfmetrics.stringWidth(line + char, font, size) > width and line:
            lines.append(line)
            line = ""
        line += char
    lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def _centered(pdf, text, font, size, y, bold=False):
    pdf.setFont(font, size)
    if bold:
        # One regular weight is embedded; stroking the outline as well gives a print-safe bold.
        pdf.setLineWidth(size / 30)
        text_object = pdf.beginText()
        text_object.setTextRenderMode(2)
        text_object.setFont(font, size)
        text_object.setTextOrigin((PAGE_WIDTH - pdfmetrics.stringWidth(text, font, size)) / 2, y)
        text_object.textOut(text)
        text_object.setTextRenderMode(0)  # the render mode outlives the text object in PDF
        pdf.drawText(text_object)
    else:
        pdf.drawCentredString(PAGE_WIDTH / 2, y, text)


def _draw_steps(pdf, font, y):
    """① 扫码 → ② 首次填写健康申报 → ③ 以后扫码一键通行, in boxes joined by arrows."""
    size, gap = 15, 8 * mm
    widths = [pdfmetrics.stringWidth(step, font, size) + 8 * mm for step in STEPS]
    x = (PAGE_WIDTH - sum(widths) - gap * (len(STEPS) - 1)) / 2
    pdf.setLineWidth(1.2)
    pdf.setFont(font, size)
    for index, (step, width) in enumerate(zip(STEPS, widths, strict=True)):
        pdf.roundRect(x, y - 3.5 * mm, width, 11 * mm, 2 * mm)
        pdf.drawCentredString(x + width / 2, y, step)
        x += width
        if index < len(STEPS) - 1:
            pdf.drawCentredString(x + gap / 2, y, "→")
            x += gap


def _draw_page(pdf, font, place, areas, today):
    inner = PAGE_WIDTH - 2 * MARGIN
    pdf.setFillGray(0)
    pdf.setStrokeGray(0)

    # Frame, and a black band with the call to action in white: readable from a distance in any printer.
    pdf.setLineWidth(1.5)
    pdf.roundRect(MARGIN / 2, MARGIN / 2, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - MARGIN, 4 * mm)
    band_top = PAGE_HEIGHT - MARGIN
    band_height = 22 * mm
    pdf.rect(MARGIN, band_top - band_height, inner, band_height, stroke=0, fill=1)
    pdf.setFillGray(1)
    pdf.setStrokeGray(1)
    _centered(pdf, "扫码登记  出入通行", font, 30, band_top - band_height + 7.5 * mm, bold=True)
    pdf.setFillGray(0)
    pdf.setStrokeGray(0)

    # The place name, as large as fits (two lines at most), then where it is.
    y = band_top - band_height - 17 * mm
    size = _fit(place.name, font, 40, 26, inner)
    lines = _wrap(place.name, font, size, inner)
    for line in lines:
        _centered(pdf, line, font, size, y, bold=True)
        y -= size * 1.2
    y += size * 1.2 - 11 * mm
    area_line = f"{areas.label(place.area)} · {place.get_kind_display()}"
    _centered(pdf, area_line, font, _fit(area_line, font, 16, 10, inner), y)

    # The lower half is laid out from the footer up, so that a long name only ever shrinks the
    # room around the QR code, never pushes text into the footer.
    notes = ["进入和离开都请扫码" if place.records_exit else "进入时请扫码"]
    if place.measures_temperature:
        notes.append("请配合工作人员测量体温")
    notes.append("有发热、咳嗽等症状请主动告知工作人员")
    hotline_y = MARGIN + 20 * mm
    _centered(pdf, f"咨询电话：{settings.FANGKONG_HOTLINE}", font, 20, hotline_y, bold=True)
    note_y = hotline_y + 12 * mm
    for note in reversed(notes):
        _centered(pdf, note, font, 13, note_y)
        note_y += 7 * mm
    steps_y = note_y + 7 * mm
    _draw_steps(pdf, font, steps_y)
    hint_y = steps_y + 16 * mm
    _centered(pdf, "请用手机相机或微信“扫一扫”扫描上方二维码", font, 15, hint_y)

    # The QR code with its quiet zone, centred in the room left; a thin frame marks where the white
    # zone ends. 100 mm wide when there is room, never below 80 mm.
    matrix = segno.make(place.scan_url, error="q", micro=False).matrix
    room_bottom, room_top = hint_y + 7 * mm, y - 6 * mm
    framed = len(matrix) + 2 * QUIET_MODULES
    width = max(MIN_QR_WIDTH, min(QR_WIDTH, (room_top - room_bottom) * len(matrix) / framed))
    quiet = QUIET_MODULES * width / len(matrix)
    qr_x = (PAGE_WIDTH - width) / 2
    qr_y = (room_top + room_bottom) / 2 - width / 2
    draw_qr(pdf, matrix, qr_x, qr_y, width)
    pdf.setLineWidth(0.8)
    pdf.roundRect(qr_x - quiet, qr_y - quiet, width + 2 * quiet, width + 2 * quiet, 3 * mm)

    # Footer: who issued it, when, and the code that tells a current poster from a stale one.
    footer_y = MARGIN + 3 * mm
    pdf.setLineWidth(0.5)
    pdf.line(MARGIN, footer_y + 8 * mm, PAGE_WIDTH - MARGIN, footer_y + 8 * mm)
    pdf.setFont(font, 11)
    pdf.drawString(MARGIN + 2 * mm, footer_y + 2 * mm, f"发布单位：{issuing_office(areas.district(place.area))}")
    pdf.drawRightString(PAGE_WIDTH - MARGIN - 2 * mm, footer_y + 2 * mm,
                        f"日期：{today.year}年{today.month}月{today.day}日    校验码：{verification_code(place)}")
