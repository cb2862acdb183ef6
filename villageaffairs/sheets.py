"""Reading the spreadsheets villages keep: Excel (.xlsx) or CSV, as rows of cells.

Apps map the header row to their own columns (finance entries, the household register,
division codes); this module only gets the cells out, whatever the file's origin: Excel's
date cells become ISO dates, and a CSV saved by Excel on a Chinese Windows (GB18030) reads as
well as UTF-8.
"""

import csv
import io
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class SheetError(ValidationError):
    pass


def read_rows(raw: bytes, name: str = "") -> list[list]:
    """The non-empty rows of the first sheet, the header row first, each padded to the
    header's width. Raises SheetError for a file that is not a readable sheet, or is empty."""
    if raw.startswith(b"PK\x03\x04") or name.lower().endswith(".xlsx"):
        rows = _xlsx_rows(raw)
    else:
        rows = _csv_rows(raw)
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise SheetError(_("The sheet is empty."), code="empty")
    width = len(rows[0])
    return [(r + [""] * width)[:width] for r in rows]


def _xlsx_rows(raw: bytes) -> list[list]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        rows = [[_cell(c) for c in r] for r in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
    except Exception:  # noqa: BLE001 - any broken workbook is the same to the user
        raise SheetError(
            _("This file is not an Excel workbook (.xlsx) we can read."), code="format"
        ) from None
    return rows


def _cell(value):
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    return value


def _csv_rows(raw: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError(_("The file's text encoding is not readable."), code="encoding")
    if "\x00" in text:
        raise SheetError(_("This file is not a CSV sheet."), code="format")
    return list(csv.reader(io.StringIO(text)))
