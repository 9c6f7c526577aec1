"""The enterprise's printouts: the approval letter of a reopening (复工复产批准通知书), an A4 PDF in Chinese with the
enterprise's name large, the approvals of each step, the issuing office, the date and a verification code with its
QR code; and the employees' check-in cards, one QR code per employee opening their personal phone check-in."""

import io

import segno
from django.conf import settings
from django.utils import formats, timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from fangkong.core.pdf import QUIET_MODULES, cjk_font, draw_qr, issuing_office, wrap
from fangkong.territory.models import AreaLevel

from .models import Decision

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 22 * mm
QR_WIDTH = 80 * mm  # at least 8 cm, as every printout (UX.md)


def _day(value) -> str:
    return formats.date_format(timezone.localtime(value), "Y年n月j日") if value else ""


def approval_letter(application) -> bytes:
    enterprise = application.enterprise
    font, _embedded = cjk_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1, initialFontName=font)
    title = "复工复产批准通知书"
    pdf.setTitle(f"{title} {application.verification_code}")
    pdf.setAuthor("fangkong")
    y = PAGE_HEIGHT - MARGIN - 10 * mm
    pdf.setFont(font, 24)
    pdf.drawCentredString(PAGE_WIDTH / 2, y, title)
    y -= 18 * mm
    pdf.setFont(font, 20)
    for line in wrap(enterprise.name, font, 20, PAGE_WIDTH - 2 * MARGIN):
        pdf.drawString(MARGIN, y, line)
        y -= 10 * mm
    pdf.setFont(font, 13)
    steps = [f"{event.get_step_display()}：{_day(event.at)} 通过" for event in application.events.select_related("by")
             if event.decision == Decision.APPROVE]
    paragraphs = [
        f"统一社会信用代码：{enterprise.credit_code}",
        f"经审核，你单位复工复产申请材料齐全，“六个一”“七抓七到位”等防控措施已落实，"
        f"同意自{_day(application.approved_at)}起复工复产。",
        *steps,
        "复工后请严格落实职工每日健康打卡、进出测温扫码、消毒通风等防控措施，发现异常及时报告。",
    ]
    for paragraph in paragraphs:
        for line in wrap(paragraph, font, 13, PAGE_WIDTH - 2 * MARGIN):
            pdf.drawString(MARGIN, y, line)
            y -= 7.5 * mm
        y -= 3 * mm
    url = f"{settings.FANGKONG_PUBLIC_URL}/enterprises/applications/{application.pk}/"
    matrix = segno.make(url, error="q", micro=False).matrix
    width = QR_WIDTH * len(matrix) / (len(matrix) + 2 * QUIET_MODULES)
    qr_y = MARGIN + 28 * mm
    draw_qr(pdf, matrix, (PAGE_WIDTH - width) / 2, qr_y, width)
    pdf.setFont(font, 14)
    pdf.drawCentredString(PAGE_WIDTH / 2, qr_y - 9 * mm, f"核验码 {application.verification_code}")
    pdf.setFont(font, 13)
    area = enterprise.area
    district = next((a for a in [*area.ancestors(), area] if a.level == AreaLevel.DISTRICT), None)
    pdf.drawRightString(PAGE_WIDTH - MARGIN, MARGIN + 6 * mm,
                        f"{issuing_office(district)}  {_day(application.approved_at)}")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


# Check-in cards: 2 x 3 on an A4 page, each cut along the dashed lines and handed to its employee. The QR code
# keeps the 8 cm of every printout (UX.md), its quiet zone included.
CARD_COLUMNS, CARD_ROWS = 2, 3
CARD_MARGIN = 6 * mm
CARD_HEADER = 6 * mm


def _card(pdf, font, employee, x, y, width, height):
    """One employee's card with (x, y) its lower left: the QR code, the masked name, the department."""
    matrix = segno.make(employee.checkin_url, error="m", micro=False).matrix
    qr_width = QR_WIDTH * len(matrix) / (len(matrix) + 2 * QUIET_MODULES)
    quiet = (QR_WIDTH - qr_width) / 2
    draw_qr(pdf, matrix, x + (width - qr_width) / 2, y + height - quiet - qr_width, qr_width)
    text_y = y + height - QR_WIDTH  # below the quiet zone
    pdf.setFont(font, 16)
    pdf.drawCentredString(x + width / 2, text_y - 5.5 * mm, employee.person.name_masked)
    pdf.setFont(font, 11)
    line = " · ".join(part for part in (employee.department, "扫码每日健康打卡") if part)
    pdf.drawCentredString(x + width / 2, text_y - 10.5 * mm, line)


def checkin_cards(enterprise, employees) -> bytes:
    """The employees' personal check-in QR codes (masked name and department on each), several per A4 page."""
    font, _embedded = cjk_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1, initialFontName=font)
    title = f"{enterprise.name} 职工健康打卡二维码"
    pdf.setTitle(title)
    pdf.setAuthor("fangkong")
    per_page = CARD_COLUMNS * CARD_ROWS
    width = (PAGE_WIDTH - 2 * CARD_MARGIN) / CARD_COLUMNS
    height = (PAGE_HEIGHT - 2 * CARD_MARGIN - CARD_HEADER) / CARD_ROWS
    employees = list(employees)
    pages = max(1, -(-len(employees) // per_page))
    printed = formats.date_format(timezone.localdate(), "Y年n月j日")
    for page in range(pages):
        pdf.setFont(font, 11)
        pdf.drawString(CARD_MARGIN, PAGE_HEIGHT - CARD_MARGIN - 4 * mm, title)
        pdf.drawRightString(PAGE_WIDTH - CARD_MARGIN, PAGE_HEIGHT - CARD_MARGIN - 4 * mm,
                            f"{printed}  第 {page + 1}/{pages} 页  仅限本人使用")
        pdf.setDash(3, 3)
        pdf.setLineWidth(0.3)
        for column in range(1, CARD_COLUMNS):
            pdf.line(CARD_MARGIN + column * width, CARD_MARGIN, CARD_MARGIN + column * width,
                     PAGE_HEIGHT - CARD_MARGIN - CARD_HEADER)
        for row in range(1, CARD_ROWS):
            pdf.line(CARD_MARGIN, CARD_MARGIN + row * height, PAGE_WIDTH - CARD_MARGIN, CARD_MARGIN + row * height)
        pdf.setDash()
        for index, employee in enumerate(employees[page * per_page:(page + 1) * per_page]):
            row, column = divmod(index, CARD_COLUMNS)
            _card(pdf, font, employee, CARD_MARGIN + column * width,
                  PAGE_HEIGHT - CARD_MARGIN - CARD_HEADER - (row + 1) * height, width, height)
        pdf.showPage()
    pdf.save()
    return out.getvalue()
