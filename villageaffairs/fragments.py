"""Rendered fragments cached by version, and conditional GET (ETag), for the hot public pages.

A fragment is the expensive part of a page (a ranking table, a household's figures), never a
whole response: pages carry a CSRF token, the viewer's name and inbox count, and their language.
Its key names everything its HTML depends on: the village, the version of the data (a ranking
snapshot id, a balance version), the language, the page's parameters, and the release (a hash of
the templates, so a deploy never serves HTML of the templates before it).

**Consistency.** Read the version first and the content after it, on one database alias chosen
once per request (``read_alias``). Within one alias the content is then at least as new as the
version: a write in between stores newer content under the older key, which is harmless (the
version has moved on, so the key is not looked up again except by readers that are older still).
Reading them from two aliases (a primary and a lagging replica) could store old content under a
new key, kept until the next change: so every read of a fragment goes through the one alias.

**Anonymous pages.** A signed-out viewer with no session sees what every other signed-out
viewer sees, except the CSRF token of the page's forms (the language switch). For them
``anonymous_page`` keeps the page's HTML under the same kind of key, with a hole where the
token goes, and fills the hole with a fresh token per response: the frame is not rendered again
until the version moves. Signed-in viewers (their name, inbox count and rights are on the page)
always get the frame rendered, around the cached fragments.

The cache is Django's default cache: in production ``villageaffairs.cache.ResilientRedisCache``,
which falls back to per-process memory when Redis is down, so a request never fails for it.
"""

import hashlib
import re
from collections.abc import Callable
from functools import cache as memoize
from pathlib import Path

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import router
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control

from villageaffairs import timing

# Bump when what a fragment's context means changes without a template change.
SCHEMA = 1
# A bound on how long a fragment lives even when its version never moves (what a version does
# not cover, such as a renamed household in a ranking, shows within this time).
TIMEOUT = 24 * 3600

#: Callables ``(request) -> str`` adding what a signed-in viewer's header shows to the ETag
#: (the talks app registers the unread count of the inbox), so the core imports no app.
viewer_state_parts: list[Callable] = []


@memoize
def release() -> str:
    """A short hash of every template the project ships (read once per process)."""
    digest = hashlib.blake2b(str(SCHEMA).encode(), digest_size=6)
    roots = [Path(settings.BASE_DIR) / "templates"]
    for app in ("villageaffairs", "points", "talks", "loans", "publicity"):
        roots.append(Path(settings.BASE_DIR) / app / "templates")
    for root in roots:
        for path in sorted(root.rglob("*.html")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def read_alias(request, model) -> str:
    """The database alias every read of one page's versioned content uses: chosen once per
    request (a router may pick among replicas), then the same for the version and the content."""
    chosen = request.__dict__.setdefault("_fragment_aliases", {})
    label = model._meta.label
    if label not in chosen:
        chosen[label] = router.db_for_read(model) or "default"
    return chosen[label]


def key(name: str, *parts) -> str:
    """The cache key of fragment ``name``: its parts, the language and the release."""
    raw = ":".join(str(part) for part in (*parts, translation.get_language(), release()))
    return f"frag:{name}:{hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()}"


def get_or_render(fragment_key: str, render: Callable, timeout: int = TIMEOUT):
    """What is cached under ``fragment_key`` (HTML, or HTML with what it shows), or
    ``render()`` stored under it."""
    found = cache.get(fragment_key)
    timing.cache_lookup(found is not None, found is None)
    if found is None:
        found = render()
        cache.set(fragment_key, found, timeout)
    return found


#: What ``{% csrf_token %}`` renders; the token is replaced by a hole in a cached page.
_CSRF_FIELD = re.compile(r'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(">)')
_CSRF_HOLE = "\x00csrf\x00"
#: Longer addresses are rendered each time, not cached (nobody's sign links to them).
_PAGE_PATH_MAX = 200


def anonymous(request) -> bool:
    """A viewer shown what every signed-out viewer is shown: a GET without a session (so no
    messages in it) and without a messages cookie."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and not request.user.is_authenticated
    )


def anonymous_page(request, parts, render: Callable, *, params=(), timeout: int = TIMEOUT):
    """The response of ``render()``, or for an anonymous viewer the same page from the cache:
    keyed by ``parts`` (the versions of everything the page shows, as for a fragment, or a
    callable giving them, asked only for such a viewer), the address and the language, with a
    fresh CSRF token in each form. Pages with other query parameters than ``params`` are
    rendered each time (no key for every made-up address)."""
    path = request.get_full_path()
    if not anonymous(request) or len(path) > _PAGE_PATH_MAX or set(request.GET) - set(params):
        return render()
    page_key = key("page", path, *(parts() if callable(parts) else parts))
    html = cache.get(page_key)
    timing.cache_lookup(html is not None, html is None)
    if html is not None:
        if _CSRF_HOLE in html:
            html = html.replace(_CSRF_HOLE, get_token(request))
        return HttpResponse(html)
    response = render()
    if (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and response.get("Content-Type", "").startswith("text/html")
    ):
        html = response.content.decode(response.charset)
        cache.set(page_key, _CSRF_FIELD.sub(rf"\g<1>{_CSRF_HOLE}\g<2>", html), timeout)
    return response


def _viewer(request) -> list:
    """What a page's frame shows of the viewer: nothing but the CSRF secret when signed out."""
    # The CSRF secret the page's masked tokens were made from (from the cookie, or the one
    # a rendering made): a phone that lost its cookie must not be told to reuse a page with
    # tokens it can no longer send back.
    secret = request.META.get("CSRF_COOKIE", "")
    parts = [hashlib.blake2b(secret.encode(), digest_size=4).hexdigest()]
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return [*parts, "anon"]
    perms = ",".join(sorted(getattr(request, "village_perms", ())))
    parts += [f"u{user.pk}", str(user), perms]
    parts += [part(request) for part in viewer_state_parts]
    return parts


def etag(request, *parts) -> str:
    """A weak ETag (GZipMiddleware would weaken a strong one) of ``parts``, the language, the
    release and the viewer (signed in or not, who, their rights, their header's state)."""
    raw = ":".join(
        str(part) for part in (*parts, translation.get_language(), release(), *_viewer(request))
    )
    return f'W/"{hashlib.blake2b(raw.encode(), digest_size=10).hexdigest()}"'


def not_modified(request, page_etag: Callable[[], str]):
    """A 304 if the client holds the page already (If-None-Match), else None. The ETag is
    computed only when asked about."""
    if request.method not in ("GET", "HEAD") or "HTTP_IF_NONE_MATCH" not in request.META:
        return None
    page_etag = page_etag()
    response = get_conditional_response(request, etag=page_etag)
    if response is not None:
        response.headers["ETag"] = page_etag
        _revalidate(response)
    return response


def finish(request, response, page_etag: Callable[[], str]):
    """Mark a rendered page with its ETag, computed after rendering (a first visit's CSRF
    secret is made while rendering), to be asked for again on every visit."""
    if response.status_code == 200:
        response.headers["ETag"] = page_etag()
        _revalidate(response)
    return response


def _revalidate(response) -> None:
    # Private: it may carry a signed-in viewer's name. no-cache: a phone keeps the page but asks
    # each time, and a 304 costs a few hundred bytes on a weak signal.
    patch_cache_control(response, private=True, no_cache=True)
