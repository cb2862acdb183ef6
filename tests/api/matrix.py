"""The API's endpoint × caller matrix. Every API endpoint joins it.

Like the page matrix (tests/matrix.py), each part of the API lists its endpoints as ``CASES``:
a URL name, a function building the URL from the ``all_people`` fixture, and the status each
caller gets. ``tests/api/test_matrix.py`` walks them and checks that every named URL under
``/api/`` has a case. Callers: an anonymous client, a villager's browser session (the API does
not take sessions: a villager is just another anonymous client there), and bank systems with
their tokens (``Authorization: Bearer``, with the officer responsible in ``X-Officer-Id``).
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse

API_ROLES = (
    "anonymous",
    "villager_session",
    "token_serving",  # a token of the branch serving the household's village (``here``)
    "token_other_branch",  # a valid token of a branch that does not serve it
    "token_revoked",  # the serving branch's, revoked
    "token_expired",  # the serving branch's, past its expiry
)


@dataclass(frozen=True)
class ApiCase:
    name: str
    url: Callable
    expect: dict[str, int]
    method: str = "get"
    data: dict = field(default_factory=dict)

    def __str__(self):
        return f"{self.name} {self.method.upper()}"


def open_to_all(**overrides) -> dict[str, int]:
    """Public: every caller, with or without a token (a public endpoint ignores tokens)."""
    return dict.fromkeys(API_ROLES, 200) | overrides


CORE_CASES = [
    ApiCase("api_root", lambda p: reverse("api_root"), open_to_all()),
    ApiCase("api_schema", lambda p: reverse("api_schema"), open_to_all()),
    ApiCase("api_docs", lambda p: reverse("api_docs"), open_to_all()),
]

# Each part of the API keeps its cases in its own module here (tests/api/<part>_matrix.py).
PARTS = ("open_matrix", "bank_matrix")


def _cases():
    cases = list(CORE_CASES)
    for part in PARTS:
        try:
            module = importlib.import_module(f"tests.api.{part}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.api.{part}":
                raise
            continue
        cases.extend(module.CASES)
    return cases


CASES = _cases()
