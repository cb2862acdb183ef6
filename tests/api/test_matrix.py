"""Every API endpoint × every kind of caller (tests/api/matrix.py)."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.matrix import API_ROLES, CASES

OFFICER = {"HTTP_X_OFFICER_ID": "A1024"}


def _api_url_names(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _api_url_names(entry, route, ns)
        elif isinstance(entry, URLPattern) and entry.name and route.startswith("api/"):
            yield namespace + entry.name


def test_every_api_url_is_in_the_api_matrix():
    names = set(_api_url_names())
    assert {"api_root", "api_schema", "api_docs"} <= names
    missing = sorted(names - {case.name for case in CASES})
    assert not missing, f"API endpoints missing from tests/api/matrix.py: {missing}"


def client_for(people, role) -> Client:
    """A client for the caller ``role``; bank token callers send ``Authorization: Bearer``."""
    if role.startswith("token_"):
        from tests.api.bank_matrix import token_for

        return Client(HTTP_AUTHORIZATION=f"Bearer {token_for(people, role)}", **OFFICER)
    client = Client()
    if role == "villager_session":
        client.force_login(people.villager_here)
    return client


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("role", API_ROLES)
def test_api_matrix(all_people, case, role):
    client = client_for(all_people, role)
    url = case.url(all_people)
    if case.method == "get":
        response = client.get(url, case.data)
    else:
        response = getattr(client, case.method)(url, case.data, content_type="application/json")
    expected = case.expect[role]
    assert response.status_code == expected, (
        f"{case} as {role}: got {response.status_code}, expected {expected}: "
        f"{response.content[:300]!r}"
    )
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
