import importlib
import re

import pytest
from django.conf import settings
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.matrix import ROLES, status_for

APPS = ("core", "points", "talks", "loans", "publicity")
# Third-party and framework pages with their own access rules.
EXEMPT_NAMESPACES = {"admin"}
# The API has its own matrix of callers (tokens, not sessions): tests/api/test_matrix.py.
EXEMPT_PREFIXES = ("accounts/", "i18n/", "admin/", "media/", "static/", "api/")


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


@pytest.fixture(autouse=True)
def _public_site_address(settings):
    """Printed notices refuse to print a QR code to a local address (DEBUG is off in tests)."""
    settings.SITE_URL = "https://cun.example.cn"


def _named_urls(resolver=None, prefix="", namespace=""):
    for name, _route in _named_routes(resolver, prefix, namespace):
        yield name


def _named_routes(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace in EXEMPT_NAMESPACES or route.startswith(EXEMPT_PREFIXES):
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_routes(entry, route, ns)
        elif isinstance(entry, URLPattern) and entry.name and not route.startswith(EXEMPT_PREFIXES):
            yield namespace + entry.name, route


def test_every_named_url_is_in_the_matrix():
    covered = {case.name for case in CASES}
    missing = sorted(set(_named_urls()) - covered)
    assert not missing, f"views missing from the permission matrix: {missing}"


def _client_for(people, role):
    """A client that checks CSRF as a browser would meet it, signed in as ``role``."""
    client = Client(enforce_csrf_checks=True)
    user = getattr(people, role, None)
    if user is not None:
        client.force_login(user)
    return client


def _ask(client, method, url, data):
    if method == "get":
        return client.get(url, data=data)
    # A real form post: the CSRF cookie and the form's token, as the page would give them.
    request = RequestFactory().get("/")
    token = get_token(request)
    client.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    return client.post(url, data={**data, "csrfmiddlewaretoken": token})


def _check(response, expected, case, role):
    assert response.status_code == expected, (
        f"{case} as {role}: got {response.status_code}, expected {expected}"
    )
    if response.status_code == 302:
        to_login = response["Location"].startswith(reverse("account_login"))
        # Anonymous visitors are sent to sign in; a signed-in role's 302 is the view's own
        # redirect after doing the work, never a way out of a refusal.
        assert to_login == (role == "anonymous"), f"{case} as {role}: {response['Location']}"


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_matrix(all_people, case, role):
    people = all_people
    url = case.url(people)
    response = _ask(_client_for(people, role), case.method, url, case.data)
    _check(response, status_for(case.expect, role), case, role)


# Path arguments that are not object ids: the tenant, the branch, a month, a (public) region.
NOT_OBJECT_IDS = {"village_slug", "branch_id", "period", "region_slug"}


def _foreign_url(people, case):
    """The case's URL in ``here`` (or the serving branch), with the object ids of an object
    the same builder makes in the other village (or for the other branch)."""
    here_match = resolve(case.url(people).split("?")[0])
    foreign_url = case.url(people.swapped())
    match = resolve(foreign_url.split("?")[0])
    if not set(match.kwargs) - NOT_OBJECT_IDS:
        return None
    kwargs = {**match.kwargs, **{k: v for k, v in here_match.kwargs.items() if k in NOT_OBJECT_IDS}}
    query = foreign_url.partition("?")[2]
    return reverse(match.view_name, kwargs=kwargs) + (f"?{query}" if query else "")


def _has_object_ids(name):
    routes = [route for n, route in _named_routes() if n == name]
    params = {p for route in routes for p in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)}
    return bool({a or b for a, b in params} - NOT_OBJECT_IDS)


CASES_WITH_IDS = [c for c in CASES if c.foreign and _has_object_ids(c.name)]


# Public by design whatever its village: the courtyard sign's page (its code is the key).
NOT_VILLAGE_SCOPED = {"household_public"}


def test_every_url_with_an_object_id_is_tried_with_another_villages_object():
    names = {name for name, _route in _named_routes() if _has_object_ids(name)}
    missing = sorted(names - NOT_VILLAGE_SCOPED - {c.name for c in CASES_WITH_IDS})
    assert not missing, f"no cross-village case for: {missing}"


@pytest.mark.parametrize("case", CASES_WITH_IDS, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_another_villages_object_is_not_found(all_people, case, role):
    """Every URL with an object id, given the id of another village's object: 404 for every
    role (anonymous visitors of a private page are sent to sign in first)."""
    people = all_people
    url = _foreign_url(people, case)
    assert url is not None, f"{case} has no object id: set foreign=False"
    response = _ask(_client_for(people, role), case.method, url, case.data)
    private = status_for(case.expect, "anonymous") == 302
    _check(response, 302 if role == "anonymous" and private else 404, case, role)


def test_a_post_without_the_csrf_token_is_refused(people):
    from tests.talks.matrix import _url

    client = _client_for(people, "villager_here")
    response = client.post(_url("support", people))
    assert response.status_code == 403
