"""No input gives a server error: every view of the permission matrix, fuzzed.

For each case of the permission matrix (tests/*/matrix.py), signed in as someone the page is for
(a villager for members' pages, a cadre for cadres' pages, a loan officer for bank pages), the
test sends generated data: every form field of the page's app, some missing, as strings of any
script, numbers that are huge, negative, fractional or written in other scripts' digits ('١٢',
'²'), over-long text, and ids of another village's objects. GET pages get the same treatment in
their query parameters. No response may be a server error.

Budget: the "fuzz-ci" hypothesis profile runs FUZZ_EXAMPLES generated examples per view (6 unless
the environment says otherwise) plus 7 fixed ones (every parameter or field at once set to a value
that once gave a 500, and an empty form): 76 views x 13 = about 990 requests. At the 0.15 s a
request took on a loaded 2-CPU machine (SQLite) that is about two and a half minutes, less in CI.
``FUZZ_EXAMPLES=200`` digs deeper by hand; the examples are derandomized, so a failure in CI
reproduces locally.
"""

import importlib
import os
from functools import cache

import pytest
from django import forms
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.test_permission_matrix import (
    CASES,
    _public_site_address,  # noqa: F401 (autouse fixture)
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
settings.register_profile(
    "fuzz-ci",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples every run: CI failures reproduce
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
FUZZ = settings.get_profile("fuzz-ci")

# Who fuzzes a page: the first of these roles the matrix lets through.
ROLE_ORDER = ("villager_here", "cadre_here", "officer_serving", "operator", "anonymous")

QUERY_PARAMS = (
    "page",
    "q",
    "period",
    "status",
    "category",
    "mine",
    "state",
    "kind",
    "ask",
    "reply",
    "date",
    "year",
    "purpose",
)


def _one_case_per_view():
    seen, cases = set(), []
    for case in CASES:
        if case.name not in seen:
            seen.add(case.name)
            cases.append(case)
    return cases


def _role(case) -> str | None:
    """Someone the page is for: 405 (a POST-only page asked with GET) lets them through too."""
    for role in ROLE_ORDER:
        status = case.expect[role]
        if status == 404 or (role == "anonymous" and status == 302):
            continue
        return role
    return None


@cache
def _field_names(app: str) -> tuple[str, ...]:
    """Every field name of every form of the app (what its pages may read from a POST)."""
    module_name = "villageaffairs.forms" if app == "core" else f"{app}.forms"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return ()
    names = set()
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, forms.BaseForm):
            names.update(getattr(value, "base_fields", {}))
    if app == "loans":
        names.update(f"limit_{star}" for star in range(1, 6))
    return tuple(sorted(names))


NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "0",
            "-1",
            "99999999999999999999",
            "9223372036854775808",
            "-9223372036854775809",
            "1e309",
            "NaN",
            "Infinity",
            "-0.001",
            "0.005",
            "3.14159",
            "１２",  # full-width digits
            "١٢",  # Arabic-Indic digits
            "²",
            "½",
            "12,5",
            "¥300",
            "1 000",
        ]
    ),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)
DATES = st.sampled_from(
    [
        "2026-01-15",
        "0001-01-01",
        "9999-12-31",
        "99999-01-01",
        "2026-02-30",
        "2026-13",
        "2026-01",
        "2026-01-15T25:00",
        "2026-01-15T10:00",
        "9999-12-31T23:59",
        "",
    ]
)
TEXT = st.one_of(
    st.text(max_size=40),
    st.text(min_size=1, max_size=5).map(lambda s: s * 4000),  # far over any max_length
    st.just(""),
    st.just("\x00"),
    st.sampled_from(["<script>alert(1)</script>", '=HYPERLINK("x")', "' OR 1=1 --", "  "]),
)


def _values(other_ids):
    return st.one_of(
        NUMBERS, DATES, TEXT, st.sampled_from(other_ids).map(str), st.booleans().map(str)
    )


def _other_village_ids(people) -> list[int]:
    """Ids of objects of the other village, for the pages to refuse politely."""
    from talks.models import Topic
    from tests.points.factories import ItemFactory, RuleFactory
    from tests.talks.factories import TopicFactory

    ids = [people.elsewhere.pk, people.villager_elsewhere.pk, people.cadre_elsewhere.pk]
    ids.append(
        TopicFactory(
            village=people.elsewhere,
            author=people.villager_elsewhere,
            status=Topic.Status.DISCUSSING,
        ).pk
    )
    ids.append(RuleFactory(village=people.elsewhere).pk)
    ids.append(ItemFactory(village=people.elsewhere).pk)
    from villageaffairs.models import Resident

    ids.extend(
        Resident.objects.filter(village=people.elsewhere).values_list("household_id", flat=True)
    )
    return ids


FUZZED = [c for c in _one_case_per_view() if _role(c) is not None]


def _client(people, role) -> Client:
    client = Client(raise_request_exception=True)
    user = getattr(people, role, None)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("case", FUZZED, ids=lambda case: case.name)
def test_no_input_gives_a_server_error(people, case):
    url = case.url(people)
    client = _client(people, _role(case))
    other_ids = _other_village_ids(people)
    app = case.name.split(":")[0] if ":" in case.name else "core"
    fields = sorted(set(_field_names(app)) | set(case.data))
    values = _values(other_ids)
    post = st.tuples(st.just("post"), st.dictionaries(st.sampled_from(fields), values))
    get = st.tuples(st.just("get"), st.dictionaries(st.sampled_from(QUERY_PARAMS), values))

    @FUZZ
    @given(request=st.one_of(post, get) if fields else get)
    # Always tried, whatever hypothesis draws: every parameter or field at once set to a value
    # that once gave a 500 somewhere, and a form with nothing in it.
    @example(request=("get", dict.fromkeys(QUERY_PARAMS, "²")))
    @example(request=("get", dict.fromkeys(QUERY_PARAMS, "99999999999999999999")))
    @example(request=("post", {}))
    @example(request=("post", dict.fromkeys(fields, "²")))
    @example(request=("post", dict.fromkeys(fields, "99999999999999999999")))
    @example(request=("post", dict.fromkeys(fields, "x" * 20000)))
    @example(request=("post", dict.fromkeys(fields, str(other_ids[-1]))))
    def fuzz(request):
        method, data = request
        response = getattr(client, method)(url, data=data)
        assert response.status_code < 500, f"{method} {case.name} {data!r}"

    fuzz()
