"""What every PDF of fangkong shares: the embedded CJK font, Chinese line breaking and vector QR codes.

A CJK TrueType font is embedded so a document looks the same on every printer and viewer; only when no
such font exists on the machine does it fall back to reportlab's STSong-Light, which the viewer has to
supply. QR codes are drawn as rectangles, so they stay sharp at any printer resolution.
"""

import logging
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

# TrueType CJK fonts of the usual Linux packages (and Windows, for a desktop deployment). Noto CJK
# is not listed: its outlines are PostScript (CFF), which reportlab cannot embed.
FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/msyh.ttc",
]
EMBEDDED_FONT = "FangkongCJK"
FALLBACK_FONT = "STSong-Light"
QUIET_MODULES = 4  # ISO/IEC 18004 quiet zone


def issuing_office(district) -> str:
    """Who issues the district's documents: its epidemic prevention and control headquarters."""
    return f"{district.name}疫情防控指挥部" if district else "疫情防控指挥部"


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, bool]:
    """(font name registered with reportlab, whether it is embedded)."""
    configured = settings.FANGKONG_POSTER_FONT
    for path in ([configured] if configured else []) + FONT_CANDIDATES:
        if not Path(path).is_file():
            if path == configured:
                log.warning("FANGKONG_POSTER_FONT %s does not exist; looking for a system font", path)
            continue
        try:
            pdfmetrics.registerFont(TTFont(EMBEDDED_FONT, path, subfontIndex=0))
        except (TTFError, OSError) as exc:
            log.warning("cannot use %s as the PDF font: %s", path, exc)
            continue
        return EMBEDDED_FONT, True
    log.warning("no TrueType CJK font found: PDFs use %s, which is not embedded", FALLBACK_FONT)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT, False


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Chinese text breaks between any two characters."""
    lines, line = [], ""
    for char in text:
        if line and pdfmetrics.stringWidth(line + char, font, size) > width:
            lines.append(line)
            line = ""
        line += char
    return lines + [line] if line else lines


def draw_qr(pdf, matrix, x, y, width):
    """The QR code as filled rectangles, one per horizontal run of dark modules; (x, y) is its lower left.

    Drawn in module units (one module = 1) under a scale, so coordinates are small integers.
    """
    size = len(matrix)
    pdf.saveState()
    pdf.translate(x, y + width)
    pdf.scale(width / size, -width / size)
    path = pdf.beginPath()
    for row_index, row in enumerate(matrix):
        start = None
        for col, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                path.rect(start, row_index, col - start, 1)
                start = None
    pdf.drawPath(path, stroke=0, fill=1)
    pdf.restoreState()
