"""Phone numbers are stored in E.164 form; villagers type them the way they say them."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_E164 = re.compile(r"^\+[1-9]\d{5,14}$")
_MAINLAND = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(raw: str) -> str:
    """'138 0013 8000', '+86 138-0013-8000' and '008613800138000' all give '+8613800138000'."""
    value = re.sub(r"[\s\-()]", "", raw or "")
    if value.startswith("00"):
        value = "+" + value[2:]
    if _MAINLAND.match(value):
        value = "+86" + value
    if not _E164.match(value):
        raise ValidationError(
            _("Enter a mobile number such as 138 0013 8000 (or +country code and number)."),
            code="invalid_phone",
        )
    return value


def is_mainland_mobile(phone: str) -> bool:
    """An E.164 number of a mainland China mobile line (+86 1[3-9]…)."""
    return phone.startswith("+86") and bool(_MAINLAND.match(phone[3:]))


def mask_phone(phone: str) -> str:
    """'+8613800138000' gives '+86138****8000': enough to tell numbers apart in a log, no more.

    The last four digits stay, the four before them are hidden, the rest (country code and
    carrier prefix) stays. Short numbers keep only their last two digits.
    """
    if not phone:
        return ""
    plus = "+" if phone.startswith("+") else ""
    digits = phone[len(plus) :]
    if len(digits) < 9:
        return plus + "*" * max(len(digits) - 2, 0) + digits[-2:]
    return plus + digits[:-8] + "****" + digits[-4:]
