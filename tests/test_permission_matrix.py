import importlib

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.matrix import ROLES

APPS = ("core", "points", "talks", "loans", "publicity")
# Third-party and framework pages with their own access rules.
EXEMPT_NAMESPACES = {"admin"}
EXEMPT_PREFIXES = ("accounts/", "i18n/", "admin/", "media/", "static/")


def _cases():
    cases = []
    for app in APPS:
        try:
            module = importlib.import_module(f"tests.{app}.matrix")
        except ModuleNotFoundError:
            continue
        cases.extend(module.CASES)
    return cases


CASES = _cases()


def _named_urls(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace in EXEMPT_NAMESPACES or route.startswith(EXEMPT_PREFIXES):
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_urls(entry, route, ns)
        elif isinstance(entry, URLPattern) and entry.name and not route.startswith(EXEMPT_PREFIXES):
            yield namespace + entry.name


def test_every_named_url_is_in_the_matrix():
    covered = {case.name for case in CASES}
    missing = sorted(set(_named_urls()) - covered)
    assert not missing, f"views missing from the permission matrix: {missing}"


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_matrix(client, people, case, role):
    url = case.url(people)
    user = getattr(people, role, None)
    if user is not None:
        client.force_login(user)
    response = getattr(client, case.method)(url, data=case.data)
    assert response.status_code == case.expect[role], (
        f"{case} as {role}: got {response.status_code}, expected {case.expect[role]}"
    )
