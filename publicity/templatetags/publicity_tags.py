from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yuan(value) -> str:
    """12345.6 → "12,345.60" (Decimal in, text out; never through float)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"
