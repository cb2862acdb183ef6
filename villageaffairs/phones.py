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
    """'+8613800138000' -> '+86 138****8000': enough for its owner to recognise."""
    if phone.startswith("+86") and len(phone) == 14:
        return f"+86 {phone[3:6]}****{phone[-4:]}"
    if len(phone) > 6:
        return phone[:4] + "*" * (len(phone) - 7) + phone[-3:]
    return "*" * len(phone)
