"""Printed matter: the public address behind every printed QR code, and one A4 PDF frame.

A printed QR code outlives the request that printed it: a wooden courtyard sign hangs for
years, a notice stays on the board for weeks. So the address in it is always ``SITE_URL``,
never the host the printing request came in on, and with ``DEBUG`` off an address that no
phone in the village can reach (localhost, a private network, no address at all) is refused
before anything is drawn.

The PDFs are vector: QR codes are filled paths, text is drawn in an embedded subset of
KurintoSansSC (``weblate-fonts``, OFL), so a page stays a few kilobytes and prints sharp.
Every page carries the village's name, the title, the print time and "page n of N".
"""

from __future__ import annotations

import io
import ipaddress
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import weblate_fonts
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

FONT_DIR = Path(weblate_fonts.__file__).parent / "static/weblate_fonts/kurinto/ttf"
FONT = "KurintoSansSC"
FONT_BOLD = "KurintoSansSC-Bold"

BODY = 14  # pt: notices are read standing at a board, often by older villagers
SMALL = 11
TITLE = 22


class PrintAddressError(ValueError):
    """The address that printed QR codes would carry is not a public one."""


def address_problem(url: str) -> str | None:
    """Why ``url`` cannot go on paper, or None. Only a public http(s) address may."""
    if not url:
        return _("No public site address is configured (SITE_URL).")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("The site address %(url)s is not an http or https address.") % {"url": url}
    host = parts.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return _("The site address %(url)s is a local address.") % {"url": url}
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if "." not in host:
            return _("The site address %(url)s has no domain name.") % {"url": url}
        return None
    if not ip.is_global:
        return _("The site address %(url)s is a private or local address.") % {"url": url}
    return None


def site_url(base: str | None = None) -> str:
    """The public address for printed QR codes, without a trailing slash.

    ``base`` overrides SITE_URL (``print_signs --base-url``) and is held to the same rule:
    with DEBUG off it must be a public address (``PrintAddressError`` otherwise). With DEBUG
    on (a developer's machine) an unset address falls back to the local server, so that
    signs can be tried out; they say so in their address."""
    url = base if base else getattr(settings, "SITE_URL", "")
    url = (url or "").strip().rstrip("/")
    if settings.DEBUG:
        return url or "http://localhost:8000"
    problem = address_problem(url)
    if problem:
        raise PrintAddressError(problem)
    return url


def public_url(path: str, *, base: str | None = None) -> str:
    """The absolute public address of a path on this site, for paper."""
    return site_url(base) + path


# -- QR codes as vector paths ---------------------------------------------------------------


# zxing-cpp's pixels, 0 (dark) and 255 (light), as b"#" and b"." so that runs are a regex.
_DARK = bytes.maketrans(bytes(range(256)), b"#" * 128 + b"." * 128)
_RUN = re.compile(rb"#+")


def _qr_modules(data: str) -> tuple[int, bytes]:
    """The QR code of ``data`` (error correction M, best mask): its side in modules and its
    modules row by row, b"#" dark and b"." light.

    Encoded by zxing-cpp (C++, already here to read photographed signs): a fraction of a
    millisecond a code, where the pure-Python encoder spends 15 ms choosing its mask, which
    was most of the time of 2,000 courtyard signs."""
    import zxingcpp

    image = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(
        scale=1, add_quiet_zones=False
    )
    return image.shape[0], bytes(memoryview(image)).translate(_DARK)


def qr_matrix(data: str) -> list[list[bool]]:
    side, modules = _qr_modules(data)
    return [[modules[r * side + c] == 35 for c in range(side)] for r in range(side)]


def draw_qr(canvas, data: str, x: float, y: float, size: float, *, quiet: int = 4) -> None:
    """Draw the QR code of ``data`` as one filled path, lower-left corner at (x, y), ``size``
    points wide including a white quiet zone of ``quiet`` modules (a scanner needs it).

    Runs of dark modules on a row become one rectangle, so a code of 41 × 41 modules is a few
    hundred path operations rather than 1,681 squares or a raster image. The path is written
    in module units under a scaling transform: small integers, which keep the PDF small and
    spare reportlab formatting thousands of floats."""
    side, modules = _qr_modules(data)
    unit = size / (side + 2 * quiet)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.transform(unit, 0, 0, unit, x + quiet * unit, y + quiet * unit)
    ops = []
    for r in range(side):
        bottom = side - 1 - r
        row = modules[r * side : (r + 1) * side]
        # A hair of overlap so that viewers do not show seams between runs and rows.
        ops.extend(
            f"{run.start()} {bottom} {run.end() - run.start()}.01 1.01 re"
            for run in _RUN.finditer(row)
        )
    ops.append("f")
    canvas.addLiteral("\n".join(ops))
    canvas.restoreState()


# -- fonts and text -------------------------------------------------------------------------


_FONT_FILES = {FONT: "KurintoSansSC-Rg.ttf", FONT_BOLD: "KurintoSansSC-Bd.ttf"}


@cache
def register_font(name: str) -> None:
    """Register one of the CJK fonts with reportlab once per process (loading one takes
    ~0.3 s and ~25 MB: a print that needs only the regular face loads only that)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / _FONT_FILES[name])))


def register_fonts() -> None:
    """Register both faces of the CJK font (regular and bold)."""
    for name in _FONT_FILES:
        register_font(name)


def text_width(text: str, size: float, font: str = FONT) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    register_font(font)
    return stringWidth(text, font, size)


def wrap(text: str, width: float, size: float, font: str = FONT) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: Chinese anywhere between characters,
    other scripts at spaces where possible. Newlines in the text are kept."""
    lines: list[str] = []
    for paragraph in str(text).splitlines() or [""]:
        line = ""
        for char in paragraph:
            if text_width(line + char, size, font) <= width or not line:
                line += char
                continue
            space = line.rfind(" ")
            if char != " " and space > 0 and line[-1].isascii() and char.isascii():
                lines.append(line[:space])
                line = line[space + 1 :] + char
            else:
                lines.append(line.rstrip())
                line = char.lstrip()
        lines.append(line)
    return lines


# -- the page frame -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # share of the text width; the shares of a table add up to 1
    align: str = "left"  # left, right or center


def _numbered_canvas_class():
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        """Keeps each page until the end, so the footer can say "page n of N"."""

        def __init__(self, *args, footer=None, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []
            self._footer = footer

        def showPage(self):  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                if self._footer:
                    self._footer(self, self._pageNumber, total)
                super().showPage()
            super().save()

    return NumberedCanvas


class Notice:
    """An A4 notice for the village notice board.

    The first page opens with the title and a QR code of ``url`` (the live page); every page
    has the village's name and the title at the top and the print time and page numbers at
    the bottom. Write into it with ``heading``, ``paragraph``, ``table`` and ``spacer``, then
    take the bytes from ``finish()``.
    """

    def __init__(self, *, village_name: str, title: str, url: str, subtitle: str = ""):
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm

        register_fonts()
        self.village_name = village_name
        self.title = title
        self.url = url
        self.printed_at = timezone.localtime()
        self.page_w, self.page_h = A4
        self.margin = 16 * mm
        self.left = self.margin
        self.right = self.page_w - self.margin
        self.width = self.right - self.left
        self.top = self.page_h - self.margin - 8 * mm  # below the running head
        self.bottom = self.margin + 10 * mm  # above the footer
        self._out = io.BytesIO()
        self.canvas = _numbered_canvas_class()(
            self._out, pagesize=A4, footer=self._footer, pageCompression=1
        )
        self.canvas.setTitle(f"{village_name} · {title}")
        self.canvas.setCreator("Village Affairs Platform")
        self._table_header = None
        self._first_page(subtitle)

    # The frame.
    def _running_head(self) -> None:
        c = self.canvas
        c.setFont(FONT, SMALL)
        c.setFillColorRGB(0.25, 0.25, 0.25)
        c.drawString(self.left, self.page_h - self.margin, self.village_name)
        c.drawRightString(self.right, self.page_h - self.margin, self.title)
        c.setLineWidth(0.5)
        c.line(self.left, self.page_h - self.margin - 4, self.right, self.page_h - self.margin - 4)
        c.setFillColorRGB(0, 0, 0)

    def _footer(self, canvas, number: int, total: int) -> None:
        canvas.setFont(FONT, SMALL)
        canvas.setFillColorRGB(0.25, 0.25, 0.25)
        printed = formats.date_format(self.printed_at, "DATETIME_FORMAT")
        canvas.drawString(self.left, self.margin, _("Printed %(time)s") % {"time": printed})
        canvas.drawRightString(
            self.right,
            self.margin,
            _("Page %(number)d of %(total)d") % {"number": number, "total": total},
        )

    def _first_page(self, subtitle: str) -> None:
        from reportlab.lib.units import mm

        self._running_head()
        qr_size = 38 * mm
        draw_qr(self.canvas, self.url, self.right - qr_size, self.top - qr_size, qr_size)
        c = self.canvas
        c.setFont(FONT, SMALL)
        c.drawCentredString(
            self.right - qr_size / 2, self.top - qr_size - 12, _("Scan for the live page")
        )
        text_w = self.width - qr_size - 6 * mm
        self.y = self.top - TITLE
        for line in wrap(self.village_name + " " + self.title, text_w, TITLE, FONT_BOLD):
            c.setFont(FONT_BOLD, TITLE)
            c.drawString(self.left, self.y, line)
            self.y -= TITLE * 1.35
        for line in wrap(subtitle, text_w, BODY) if subtitle else []:
            c.setFont(FONT, BODY)
            c.drawString(self.left, self.y, line)
            self.y -= BODY * 1.5
        for line in wrap(self.url, text_w, SMALL):
            c.setFont(FONT, SMALL)
            c.drawString(self.left, self.y, line)
            self.y -= SMALL * 1.4
        self.y = min(self.y, self.top - qr_size - 12 - SMALL * 2)

    def new_page(self) -> None:
        self.canvas.showPage()
        self._running_head()
        self.y = self.top - BODY
        if self._table_header:
            self._draw_table_header(*self._table_header)

    def _room(self, height: float) -> None:
        if self.y - height < self.bottom:
            self.new_page()

    # Content.
    def spacer(self, height: float = BODY) -> None:
        self.y -= height

    def heading(self, text: str, size: float = 17) -> None:
        self._table_header = None
        self._room(size * 3)
        self.y -= size * 0.6
        for line in wrap(text, self.width, size, FONT_BOLD):
            self.canvas.setFont(FONT_BOLD, size)
            self.canvas.drawString(self.left, self.y, line)
            self.y -= size * 1.4

    def paragraph(self, text: str, size: float = BODY, *, bold: bool = False) -> None:
        self._table_header = None
        font = FONT_BOLD if bold else FONT
        for line in wrap(text, self.width, size, font):
            self._room(size * 1.5)
            self.canvas.setFont(font, size)
            self.canvas.drawString(self.left, self.y, line)
            self.y -= size * 1.5

    def _draw_table_header(self, columns: list[Column], size: float) -> None:
        self._draw_row([col.title for col in columns], columns, size, FONT_BOLD)
        # The rule sits under the header's descenders, with room above the first row's glyphs.
        rule = self.y + size * 1.2
        self.canvas.setLineWidth(0.8)
        self.canvas.line(self.left, rule, self.right, rule)
        self.y -= size * 0.3

    def _draw_row(self, cells, columns: list[Column], size: float, font: str = FONT) -> None:
        # One text object per row, not one per cell: a 2,000-row ranking is 10,000 cells.
        from reportlab.pdfbase.pdfmetrics import stringWidth

        text_object = self.canvas.beginText()
        text_object.setFont(font, size)
        x = self.left
        for cell, col in zip(cells, columns, strict=True):
            w = col.width * self.width
            text = str(cell)
            width = stringWidth(text, font, size)
            while len(text) > 1 and width > w - 4:  # never spills over
                text = text[:-2] + "…"
                width = stringWidth(text, font, size)
            if col.align == "right":
                start = x + w - 4 - width
            elif col.align == "center":
                start = x + (w - width) / 2
            else:
                start = x + 2
            if text:
                text_object.setTextOrigin(start, self.y)
                text_object.textOut(text)
            x += w
        self.canvas.drawText(text_object)
        self.y -= size * 1.6

    def table(self, columns: list[Column], rows, size: float = BODY) -> int:
        """Rows of cells under a header that repeats on every page. Returns the row count."""
        self._room(size * 4)
        self._table_header = (columns, size)
        self._draw_table_header(columns, size)
        count = 0
        for row in rows:
            self._room(size * 1.6)
            self._draw_row(row, columns, size)
            count += 1
        self._table_header = None
        return count

    def finish(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self._out.getvalue()
