"""The isolation notice (隔离告知书) and the release certificate (解除隔离证明): A4 PDFs in Chinese.

Black on white with the shared CJK font, the person's masked name and number large, the dates, the issuing
office, and a verification code with a QR code of the public verification page (isolation:verify), where
anyone holding the paper can check that the order exists and what state it is in.
"""

import io

import segno
from django.conf import settings
from django.utils import formats
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from fangkong.core.pdf import QUIET_MODULES, cjk_font, draw_qr, wrap
from fangkong.passes.posters import issuing_office
from fangkong.territory.models import AreaLevel

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 22 * mm
QR_WIDTH = 80 * mm  # at least 8 cm, as every printout of fangkong (UX.md)


def _day(day) -> str:
    return formats.date_format(day, "Y年n月j日") if day else ""


def verify_url(order) -> str:
    return f"{settings.FANGKONG_PUBLIC_URL}/isolation/verify/?code={order.verification_code}"


def _document(order, title, paragraphs) -> bytes:
    font, _embedded = cjk_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1, initialFontName=font)
    pdf.setTitle(f"{title} {order.verification_code}")
    pdf.setAuthor("fangkong")
    y = PAGE_HEIGHT - MARGIN - 10 * mm
    pdf.setFont(font, 24)
    pdf.drawCentredString(PAGE_WIDTH / 2, y, title)
    y -= 16 * mm
    pdf.setFont(font, 20)
    person = order.person
    pdf.drawString(MARGIN, y, f"{person.name_masked}  {person.id_number_masked}")
    y -= 12 * mm
    pdf.setFont(font, 13)
    for paragraph in paragraphs:
        for line in wrap(paragraph, font, 13, PAGE_WIDTH - 2 * MARGIN):
            pdf.drawString(MARGIN, y, line)
            y -= 7.5 * mm
        y -= 3 * mm
    matrix = segno.make(verify_url(order), error="q", micro=False).matrix
    width = QR_WIDTH * len(matrix) / (len(matrix) + 2 * QUIET_MODULES)
    qr_y = MARGIN + 28 * mm
    draw_qr(pdf, matrix, (PAGE_WIDTH - width) / 2, qr_y, width)
    pdf.setFont(font, 14)
    pdf.drawCentredString(PAGE_WIDTH / 2, qr_y - 9 * mm, f"核验码 {order.verification_code}（扫码或在核验页面输入）")
    pdf.setFont(font, 13)
    district = next((a for a in [*order.area.ancestors(), order.area] if a.level == AreaLevel.DISTRICT), None)
    office = issuing_office(district)
    pdf.drawRightString(PAGE_WIDTH - MARGIN, MARGIN + 6 * mm, f"{office}  {_day(order.ended_on or order.start)}")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def notice(order) -> bytes:
    """隔离告知书: what is ordered, from when to when, where, and what the person must do."""
    place = f"{order.site.name}{(' ' + order.room.number + '房间') if order.room_id else ''}" if order.site_id \
        else "居住地"
    return _document(order, "隔离告知书", [
        f"根据疫情防控要求，对您实施{order.get_kind_display()}。",
        f"原因：{order.reason}",
        f"隔离地点：{place}",
        f"隔离期限：自{_day(order.start)}起，至{_day(order.planned_end)}止（计划），期满经核酸检测阴性后解除。",
        "隔离期间请每天上午、下午各测量并报告体温一次，不外出、不接触他人；出现发热、咳嗽等症状请立即报告。",
        "隔离期间健康码为非绿码，各卡点、场所将不予通行。",
    ])


def certificate(order) -> bytes:
    """解除隔离证明: the order ended by release, with its dates."""
    return _document(order, "解除隔离证明", [
        f"兹证明该人员于{_day(order.start)}至{_day(order.ended_on)}期间接受{order.get_kind_display()}，"
        f"已于{_day(order.ended_on)}解除。",
        "特此证明。",
    ])
