"""Money and rates written the way a bank writes them, whatever the language."""

from decimal import Decimal

from django import template

from loans import rates

register = template.Library()


@register.filter
def pct(value) -> str:
    """4.420 → '4.42' (at least two places, more only if they carry a digit)."""
    return "" if value in (None, "") else rates.pct(Decimal(value))


@register.filter
def yuan(value, places=None) -> str:
    """300000 → '300,000'; 25602.58 → '25,602.58'. ``yuan:2`` always shows the fen."""
    if value in (None, ""):
        return ""
    value = Decimal(value)
    if places is None and value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.2f}"
