"""Reading numbers from query parameters without ever raising.

``str.isdigit()`` accepts characters that ``int()`` refuses (superscripts such as '²'), ``int()``
accepts other scripts' digits ('١٢' is 12) and numbers of any size, which overflow a database
column. Views read every integer query parameter through ``int_param`` instead: ASCII digits only,
within bounds, or the default.
"""

import re
from collections.abc import Mapping

_ASCII_INT = re.compile(r"-?[0-9]{1,18}")

# A page number past any real list; Paginator.get_page then shows the last page.
MAX_PAGE = 100_000
# A database id (bigint in PostgreSQL, 8-byte integer in SQLite).
MAX_ID = 2**63 - 1


def int_param(
    params: Mapping, name: str, *, default: int | None = None, lo: int = 0, hi: int = MAX_ID
) -> int | None:
    """``params[name]`` as an int in [lo, hi], or ``default`` when missing, malformed or out of
    bounds."""
    raw = params.get(name)
    if not isinstance(raw, str):
        return default
    raw = raw.strip()
    if not _ASCII_INT.fullmatch(raw):
        return default
    value = int(raw)
    return value if lo <= value <= hi else default


def page_param(params: Mapping, name: str = "page") -> int:
    """A page number: 1 when missing or malformed, clamped to MAX_PAGE when huge."""
    raw = params.get(name)
    if isinstance(raw, str) and re.fullmatch(r"[0-9]{7,}", raw.strip()):
        return MAX_PAGE
    return int_param(params, name, default=1, lo=1, hi=MAX_PAGE)


def text_param(params: Mapping, name: str, *, max_length: int = 60) -> str:
    """A search text: at most ``max_length`` characters, without NUL (PostgreSQL refuses it in a
    query) or surrounding spaces."""
    raw = params.get(name)
    if not isinstance(raw, str):
        return ""
    return raw.replace("\x00", "")[:max_length].strip()
