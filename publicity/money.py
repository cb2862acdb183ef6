"""Amounts of money as typed by people: yuan to the fen, never negative, never guessed."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from villageaffairs import bounds

FEN = Decimal("0.01")
MAX_AMOUNT = bounds.FINANCE_AMOUNT  # fits max_digits=12
_SEPARATORS = re.compile(r"[,\s，¥￥]|元$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")  # digits only: no "1e3", "NaN", "Infinity"


def quantize(value: Decimal) -> Decimal:
    """Round to the fen (only sums and figures computed by us; typed amounts are never rounded)."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def parse_amount(value) -> Decimal:
    """Parse a typed amount such as "1,250.50" or "¥300"; refuse rather than round.

    Raises ValidationError with a message a village accountant can act on.
    """
    if isinstance(value, Decimal | int):
        text = str(value)
    elif isinstance(value, float):
        # A spreadsheet cell: its float is what the accountant saw, printed with at most 2 places.
        text = repr(value)
    else:
        text = _SEPARATORS.sub("", str(value or "").strip())
    if not text:
        raise ValidationError(_("Enter the amount in yuan."), code="required")
    if not isinstance(value, float) and not _PLAIN.match(text):
        raise ValidationError(
            _("“%(value)s” is not an amount. Write it in yuan with digits, e.g. 1250.50."),
            code="invalid",
            params={"value": str(value)[:30]},
        )
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError(
            _("“%(value)s” is not an amount. Write it in yuan with digits, e.g. 1250.50."),
            code="invalid",
            params={"value": str(value)[:30]},
        ) from None
    if not amount.is_finite():
        raise ValidationError(
            _("“%(value)s” is not an amount. Write it in yuan with digits, e.g. 1250.50."),
            code="invalid",
            params={"value": str(value)[:30]},
        )
    if amount < 0:
        raise ValidationError(
            _("The amount cannot be negative. Record money paid out as an expense."),
            code="negative",
        )
    if amount == 0:
        raise ValidationError(_("The amount must be more than 0."), code="zero")
    if amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):
        raise ValidationError(
            _("At most two decimals: yuan and fen (e.g. 1250.50)."), code="decimals"
        )
    if amount > MAX_AMOUNT:
        raise ValidationError(_("The amount is too large."), code="too_large")
    return amount.quantize(FEN)
