"""House numbers as people type them.

A village writes its numbers its own way ("017" on the door plates), a cadre types "17", a phone
keyboard in Chinese mode types full-width digits ("１７"), a pasted number brings spaces, and
some add the 号 of "17号". All of these name the same house. Numbers are stored as the village
writes them; a lookup tries every spelling of the same number, so it still uses the
(village, house_number) index.
"""

import re
import unicodedata

from django.db.models import Q

from villageaffairs.models import Household

MAX_LENGTH = Household._meta.get_field("house_number").max_length
SUFFIX = "号"
_NUMBER = re.compile(rf"0*([0-9]+){SUFFIX}?")


def clean(value: str) -> str:
    """A typed house number as it is stored: full-width characters made ASCII (NFKC, so "１７"
    is "17" and the ideographic space a space) and surrounding spaces dropped."""
    return unicodedata.normalize("NFKC", value or "").strip()


def spellings(value: str) -> list[str]:
    """Every stored spelling the typed number may stand for: itself, and for a plain number
    (with or without 号) the same number with any leading zeros, with and without 号."""
    typed = clean(value)
    if not typed:
        return []
    match = _NUMBER.fullmatch(typed)
    if match is None:
        return [typed]
    digits = match.group(1).lstrip("0") or "0"
    padded = ["0" * zeros + digits for zeros in range(MAX_LENGTH - len(digits) + 1)]
    found = [typed, *padded, *(p + SUFFIX for p in padded)]
    return list(dict.fromkeys(s for s in found if len(s) <= MAX_LENGTH))


def matching(value: str, field: str = "house_number") -> Q:
    """A filter for the households whose number is the typed one (nothing when empty)."""
    return Q(**{f"{field}__in": spellings(value)})
