"""Courtyard QR signs (door plates): a PNG per household and a printable A4 PDF of them.

The PDF is vector (villageaffairs.printing): the frame and the QR code are paths, the text is
an embedded subset of KurintoSansSC, so 2,000 signs are a few megabytes and print sharp on a
plate of any size. With ``figures`` each sign also carries the household's score, rank and
star level from the village's latest ranking, in the words of the plates
("积分483分，在村排名第17名，五星级积分贷用户"), and the month they are as of.

Every QR address is the public one (``printing.public_url``): with DEBUG off a local or
private address is refused before anything is drawn. The PNG preview is drawn with Pillow
from the same font, found through the installed ``weblate-fonts`` package.
"""

import io
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache

import qrcode
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from villageaffairs import printing

FONT_PATH = printing.FONT_DIR / "KurintoSansSC-Rg.ttf"
SIGN_SIZE = (600, 840)  # px of the PNG; the PDF draws the same layout at 90 × 126 mm
RED = (168, 24, 24)
GREY = (90, 90, 90)
# How often a long print writes its progress (one UPDATE per this many signs).
PROGRESS_EVERY = 50
# Chinese numerals for the star level on the plates ("五星级"); other languages use digits.
_ZH_NUMERALS = "零一二三四五六七八九十"


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def household_path(household) -> str:
    return reverse("household_public", kwargs={"code": household.code})


def household_url(household, *, base_url: str | None = None) -> str:
    """The public address in a household's QR code (raises printing.PrintAddressError)."""
    return printing.public_url(household_path(household), base=base_url)


def _stars(level: int) -> str:
    language = translation.get_language() or ""
    if language.startswith("zh") and 0 <= level < len(_ZH_NUMERALS):
        return _ZH_NUMERALS[level]
    return str(level)


def figures_text(figures) -> str:
    """A sign's line of figures (``figures``: a selectors.SignFigures)."""
    values = {"score": figures.score, "rank": figures.rank, "stars": _stars(figures.stars)}
    if figures.stars:
        return (
            _("%(score)s points, ranked %(rank)s in the village, %(stars)s-star point-loan user")
            % values
        )
    return _("%(score)s points, ranked %(rank)s in the village") % values


def as_of_text(when: datetime) -> str:
    month = formats.date_format(timezone.localtime(when), "YEAR_MONTH_FORMAT")
    return _("As of %(month)s") % {"month": month}


# -- the PNG preview ------------------------------------------------------------------------


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
        _centered(draw, 740, household.code, _font(24), GREY)
    return sign


def sign_png(household, url: str) -> bytes:
    out = io.BytesIO()
    sign_image(household, url).save(out, format="PNG", optimize=True)
    return out.getvalue()


# -- the vector PDF -------------------------------------------------------------------------


class _Plate:
    """One sign's box on the page, measured in the PNG's pixels (600 × 840) so that both
    drawings share one layout; ``top`` is the distance from the sign's top edge."""

    def __init__(self, canvas, x: float, y: float, width: float):
        self.c = canvas
        self.x, self.y = x, y
        self.k = width / SIGN_SIZE[0]
        self.top_y = y + SIGN_SIZE[1] * self.k

    def text(self, top: float, text: str, size: float, rgb=(0, 0, 0), font=printing.FONT):
        """Centred text whose glyphs start ``top`` px below the sign's top, shrunk to fit."""
        k = self.k
        if len(text) > 10:  # a short text always fits; measuring every one costs seconds
            while size > 12 and printing.text_width(text, size * k, font) > 560 * k:
                size -= 2
        self.c.setFillColorRGB(*(v / 255 for v in rgb))
        self.c.setFont(font, size * k)
        baseline = self.top_y - (top + size * 0.92) * k
        self.c.drawCentredString(self.x + 300 * k, baseline, text)

    def frame(self):
        k = self.k
        self.c.setStrokeColorRGB(*(v / 255 for v in RED))
        self.c.setLineWidth(6 * k)
        self.c.rect(self.x + 11 * k, self.y + 11 * k, 578 * k, 818 * k, stroke=1, fill=0)

    def qr(self, url: str, top: float, size: float):
        k = self.k
        left = self.x + (SIGN_SIZE[0] - size) / 2 * k
        printing.draw_qr(self.c, url, left, self.top_y - (top + size) * k, size * k, quiet=2)


def _split(text: str, width: float, size: float) -> list[str]:
    """The line of figures on one line, or two broken after a comma (the plate's phrases)."""
    if printing.text_width(text, size, printing.FONT) <= width:
        return [text]
    for at in sorted({text.rfind(sep) for sep in ("，", ", ")}, reverse=True):
        head, tail = text[: at + 1].rstrip(), text[at + 1 :].strip()
        if at > 0 and printing.text_width(head, size, printing.FONT) <= width:
            return [head, tail]
    return printing.wrap(text, width, size, printing.FONT)[:2]


def _draw_common(plate: _Plate, village_name: str, figures: bool, as_of: str) -> None:
    """What every sign of a village shares: drawn once, as a form each sign refers to."""
    plate.frame()
    plate.text(36, village_name, 44, RED)
    if not figures:
        plate.text(680, _("Scan to see our points and rank"), 32)
        return
    if as_of:
        plate.text(658, as_of, 22, GREY)
    plate.text(700, _("Scan to see our points and rank"), 28)


def _draw_own(plate: _Plate, household, url: str, figures=None) -> None:
    """What is the household's own: its name, number, QR code, figures and code."""
    name = household.name or household.house_number
    plate.text(100, _("%(name)s household") % {"name": name}, 60)
    plate.text(180, _("House number %(number)s") % {"number": household.house_number}, 32)
    if figures is None:
        plate.qr(url, 240, 420)
        plate.text(740, household.code, 24, GREY)
        return
    plate.qr(url, 228, 340)
    lines = _split(figures_text(figures), 540 * plate.k, 28 * plate.k)
    top = 580 if len(lines) > 1 else 598
    for part in lines:
        plate.text(top, part, 28, RED)
        top += 38
    plate.text(752, household.code, 22, GREY)


def signs_pdf(
    households: Iterable,
    *,
    base_url: str | None = None,
    figures: dict | None = None,
    as_of: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    title: str = "",
) -> bytes:
    """A4 pages, four signs to a page, ready to print and cut.

    ``figures`` (household id → selectors.SignFigures, from ``selectors.sign_figures``) puts
    each ranked household's figures on its sign; ``progress(n)`` is called every
    PROGRESS_EVERY signs. Raises printing.PrintAddressError before drawing anything when the
    public address may not be printed."""
    from reportlab import rl_config

    base = printing.site_url(base_url)  # refused here, before the first page
    printing.register_font(printing.FONT)  # the PNG's face; the bold one would cost 25 MB
    a85, rl_config.useA85 = rl_config.useA85, 0  # binary streams: a quarter smaller, faster
    try:
        return _signs_pdf(households, base, figures, as_of, progress, title)
    finally:
        rl_config.useA85 = a85


def _signs_pdf(households, base, figures, as_of, progress, title) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setCreator("Village Affairs Platform")
    if title:
        pdf.setTitle(title)
    page_w, page_h = A4
    w, h = 90 * mm, 126 * mm
    slots = [
        (page_w / 2 - w - 5 * mm, page_h / 2 + 5 * mm),
        (page_w / 2 + 5 * mm, page_h / 2 + 5 * mm),
        (page_w / 2 - w - 5 * mm, page_h / 2 - h - 5 * mm),
        (page_w / 2 + 5 * mm, page_h / 2 - h - 5 * mm),
    ]
    count = 0
    forms: dict[tuple, str] = {}
    with translation.override("zh-hans"):  # the signs hang in Chinese villages
        month = as_of_text(as_of) if figures is not None and as_of else ""
        for household in households:
            if count and count % 4 == 0:
                pdf.showPage()
            x, y = slots[count % 4]
            mine = figures.get(household.pk) if figures is not None else None
            key = (household.village.name, mine is not None)
            if key not in forms:
                forms[key] = f"common{len(forms)}"
                pdf.beginForm(forms[key], 0, 0, w, h)
                _draw_common(_Plate(pdf, 0, 0, w), key[0], key[1], month)
                pdf.endForm()
            pdf.saveState()
            pdf.translate(x, y)
            pdf.doForm(forms[key])
            _draw_own(_Plate(pdf, 0, 0, w), household, base + household_path(household), mine)
            pdf.restoreState()
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
    if count == 0:
        pdf.drawString(20 * mm, page_h - 20 * mm, "-")
    pdf.showPage()
    pdf.save()
    if progress is not None:
        progress(count)
    return out.getvalue()
