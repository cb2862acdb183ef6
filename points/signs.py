"""Courtyard QR signs: a PNG per household and a printable A4 PDF of a village's signs.

The Chinese text is drawn with KurintoSansSC from the ``weblate-fonts`` package (OFL), found
through the installed package; nothing is downloaded at run time.
"""

import io
from functools import cache
from pathlib import Path

import qrcode
import weblate_fonts
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

FONT_PATH = (
    Path(weblate_fonts.__file__).parent / "static/weblate_fonts/kurinto/ttf/KurintoSansSC-Rg.ttf"
)
SIGN_SIZE = (600, 840)  # px; prints at about 10 × 14 cm
RED = (168, 24, 24)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def household_url(household, *, request=None, base_url: str | None = None) -> str:
    path = reverse("household_public", kwargs={"code": household.code})
    if request is not None:
        return request.build_absolute_uri(path)
    base = base_url or getattr(settings, "SITE_URL", "") or "http://localhost:8000"
    return base.rstrip("/") + path


def _centered(draw, y, text, font, fill):
    width = draw.textlength(text, font=font)
    draw.text(((SIGN_SIZE[0] - width) / 2, y), text, font=font, fill=fill)


def sign_image(household, url: str) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=10)
    qr.add_data(url)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").convert("RGB")
    code = code.resize((420, 420), Image.NEAREST)
    sign = Image.new("RGB", SIGN_SIZE, "white")
    draw = ImageDraw.Draw(sign)
    draw.rectangle([8, 8, SIGN_SIZE[0] - 9, SIGN_SIZE[1] - 9], outline=RED, width=6)
    with translation.override("zh-hans"):  # the signs hang in Chinese villages
        _centered(draw, 36, household.village.name, _font(44), RED)
        name = household.name or household.house_number
        _centered(draw, 100, _("%(name)s household") % {"name": name}, _font(60), "black")
        _centered(
            draw,
            180,
            _("House number %(number)s") % {"number": household.house_number},
            _font(32),
            "black",
        )
        sign.paste(code, ((SIGN_SIZE[0] - 420) // 2, 240))
        _centered(draw, 680, _("Scan to see our points and rank"), _font(32), "black")
        _centered(draw, 740, household.code, _font(24), (90, 90, 90))
    return sign


def sign_png(household, url: str) -> bytes:
    out = io.BytesIO()
    sign_image(household, url).save(out, format="PNG", optimize=True)
    return out.getvalue()


def signs_pdf(households, url_for) -> bytes:
    """A4 pages, four signs to a page, ready to print and cut."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    page_w, page_h = A4
    w, h = 90 * mm, 126 * mm
    slots = [
        (page_w / 2 - w - 5 * mm, page_h / 2 + 5 * mm),
        (page_w / 2 + 5 * mm, page_h / 2 + 5 * mm),
        (page_w / 2 - w - 5 * mm, page_h / 2 - h - 5 * mm),
        (page_w / 2 + 5 * mm, page_h / 2 - h - 5 * mm),
    ]
    count = 0
    for household in households:
        if count and count % 4 == 0:
            pdf.showPage()
        x, y = slots[count % 4]
        pdf.drawImage(ImageReader(sign_image(household, url_for(household))), x, y, w, h)
        count += 1
    if count == 0:
        pdf.drawString(20 * mm, page_h - 20 * mm, "-")
    pdf.showPage()
    pdf.save()
    return out.getvalue()
