"""The landlord's commitment letter (出租房屋疫情防控承诺书): an A4 PDF to print, sign and upload again.

Black on white, the CJK font of the place posters (fangkong.core.pdf.cjk_font, embedded
when the machine has one), the landlord's name and the address filled in, the commitments
numbered, and lines for the landlord's signature, the date and the community's stamp.
"""

import io

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from fangkong.core.identity import mask_phone
from fangkong.core.pdf import cjk_font, issuing_office, wrap
from fangkong.territory.models import AreaLevel

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 22 * mm


def commitment_letter_pdf(rental) -> bytes:
    from .rentals import COMMITMENTS

    household = rental.household
    area = household.area
    chain = [*area.ancestors(), area]
    district = next((a for a in chain if a.level == AreaLevel.DISTRICT), None)
    place = " ".join(a.name for a in chain if a.level != AreaLevel.DISTRICT)
    font, _embedded = cjk_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1, initialFontName=font)
    pdf.setTitle(f"出租房屋疫情防控承诺书 {household.address}")
    pdf.setAuthor("fangkong")
    pdf.setCreator("fangkong 出租屋")
    inner = PAGE_WIDTH - 2 * MARGIN

    y = PAGE_HEIGHT - MARGIN - 8 * mm
    pdf.setFont(font, 22)
    pdf.drawCentredString(PAGE_WIDTH / 2, y, "出租房屋疫情防控承诺书")
    y -= 16 * mm

    pdf.setFont(font, 13)
    facts = [
        ("房东姓名", rental.landlord_name),
        ("联系电话", mask_phone(rental.landlord_phone) if rental.landlord_phone else ""),
        ("出租房屋地址", household.address),
        ("所属社区（村）", place),
    ]
    for label, value in facts:
        pdf.drawString(MARGIN, y, f"{label}：")
        label_width = pdfmetrics.stringWidth(f"{label}：", font, 13)
        for index, line in enumerate(wrap(value or "", font, 13, inner - label_width) or [""]):
            if index:
                y -= 7 * mm
            pdf.drawString(MARGIN + label_width, y, line)
        pdf.setLineWidth(0.4)
        pdf.line(MARGIN + label_width, y - 1.5 * mm, PAGE_WIDTH - MARGIN, y - 1.5 * mm)
        y -= 10 * mm

    y -= 2 * mm
    intro = "为做好疫情防控工作，落实出租房屋管理责任，本人作为上述房屋的出租人，郑重承诺："
    size, leading = 13, 7.5 * mm
    for line in wrap(intro, font, size, inner):
        pdf.drawString(MARGIN, y, line)
        y -= leading
    y -= 2 * mm
    for number, text in enumerate(COMMITMENTS, start=1):
        prefix = f"{number}. "
        indent = pdfmetrics.stringWidth(prefix, font, size)
        lines = wrap(text, font, size, inner - indent)
        pdf.drawString(MARGIN, y, prefix)
        for line in lines:
            pdf.drawString(MARGIN + indent, y, line)
            y -= leading
        y -= 2 * mm

    # Signature block: written by hand, so generous lines.
    y = max(y - 8 * mm, MARGIN + 48 * mm)
    half = PAGE_WIDTH / 2
    pdf.setFont(font, 14)
    pdf.drawString(half - 10 * mm, y, "承诺人（签字）：")
    pdf.line(half + 28 * mm, y - 1.5 * mm, PAGE_WIDTH - MARGIN, y - 1.5 * mm)
    y -= 14 * mm
    pdf.drawString(half - 10 * mm, y, "日期：        年      月      日")
    y -= 20 * mm
    pdf.drawString(MARGIN, y, "社区（村）经办人：")
    pdf.line(MARGIN + 42 * mm, y - 1.5 * mm, half - 14 * mm, y - 1.5 * mm)
    pdf.drawString(half - 10 * mm, y, "社区（村）盖章：")

    today = timezone.localdate()
    pdf.setFont(font, 10)
    pdf.setLineWidth(0.5)
    pdf.line(MARGIN, MARGIN + 6 * mm, PAGE_WIDTH - MARGIN, MARGIN + 6 * mm)
    pdf.drawString(MARGIN, MARGIN, f"{issuing_office(district)}  制")
    pdf.drawRightString(PAGE_WIDTH - MARGIN, MARGIN,
                        f"打印日期：{today.year}年{today.month}月{today.day}日  编号：CZ{rental.pk:06d}")
    pdf.showPage()
    pdf.save()
    return out.getvalue()
