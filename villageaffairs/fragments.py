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
viewer sees: the pages' only form for them is the language switch, which takes no CSRF token
(``villageaffairs.views.set_language``). For them ``anonymous_page`` keeps the whole page under
the same kind of key, gzipped once, and serves those bytes as they are, from this process's
memory or the cache: the frame is not rendered again until the version moves. (A page with a
token in it keeps a hole there instead, filled per response.) Signed-in viewers (their name,
inbox count and rights are on the page) always get the frame rendered, around the cached
fragments.

The cache is Django's default cache: in production ``villageaffairs.cache.ResilientRedisCache``,
which falls back to per-process memory when Redis is down, so a request never fails for it.
"""

import gzip
import hashlib
import re
import threading
import time
from collections import OrderedDict
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
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

from villageaffairs import timing

# Bump when what a fragment's context means changes without a template change.
SCHEMA = 2
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
#: How many bytes of pages each process keeps in its own memory, before the cache.
PAGE_MEMORY_BYTES = 16 * 1024 * 1024
#: GZipMiddleware's own test of Accept-Encoding.
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def anonymous(request) -> bool:
    """A viewer shown what every signed-out viewer is shown: a GET without a session (so no
    messages in it) and without a messages cookie."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and not request.user.is_authenticated
    )


class _Recent:
    """The anonymous pages this process served last, in its own memory, before the cache.

    Never stale for the same reason as the cache: a key names the versions of everything its
    page shows, and each request reads them from the database before it looks. An entry carries
    the time its copy in the cache expires, so it lasts no longer than that copy. Bounded in
    bytes, least recently used first out; a lock, because a process may serve in threads."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self.entries: OrderedDict[str, tuple] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, page_key: str):
        with self.lock:
            entry = self.entries.get(page_key)
            if entry is None:
                return None
            if entry[0] <= time.time():
                self._drop(page_key)
                return None
            self.entries.move_to_end(page_key)
            return entry

    def put(self, page_key: str, entry: tuple) -> None:
        weight = len(entry[1])
        if weight > self.limit // 64:
            return
        with self.lock:
            if page_key in self.entries:
                self._drop(page_key)
            self.entries[page_key] = entry
            self.size += weight
            while self.size > self.limit:
                self._drop(next(iter(self.entries)))

    def _drop(self, page_key: str) -> None:
        self.size -= len(self.entries.pop(page_key)[1])

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


_recent = _Recent(PAGE_MEMORY_BYTES)


def clear_local() -> None:
    """Forget the pages kept in this process (with ``cache.clear()``: tests, benchmarks)."""
    _recent.clear()


def anonymous_page(request, parts, render: Callable, *, params=(), timeout: int = TIMEOUT):
    """The response of ``render()``, or for an anonymous viewer the same page from the cache:
    keyed by ``parts`` (the versions of everything the page shows, as for a fragment, or a
    callable giving them, asked only for such a viewer), the address and the language. Pages
    with other query parameters than ``params`` are rendered each time (no key for every
    made-up address).

    A page without a CSRF token (every page's own forms are only the language switch, which
    needs none) is the same bytes for every phone: it is kept gzipped, compressed once, and
    served as it is. A page with a token keeps a hole for it, filled with a fresh token per
    response."""
    path = request.get_full_path()
    if not anonymous(request) or len(path) > _PAGE_PATH_MAX or set(request.GET) - set(params):
        return render()
    page_key = key("page", path, *(parts() if callable(parts) else parts))
    entry = _recent.get(page_key)
    if entry is None:
        entry = cache.get(page_key)
        if entry is not None:
            _recent.put(page_key, entry)
    timing.cache_lookup(entry is not None, entry is None)
    if entry is not None:
        return _from_entry(request, entry)
    response = render()
    if (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and response.get("Content-Type", "").startswith("text/html")
    ):
        html = response.content.decode(response.charset)
        expires = time.time() + timeout
        if _CSRF_FIELD.search(html):
            entry = (expires, _CSRF_FIELD.sub(rf"\g<1>{_CSRF_HOLE}\g<2>", html), True)
        else:
            entry = (expires, gzip.compress(response.content, compresslevel=9, mtime=0), False)
        cache.set(page_key, entry, timeout)
        _recent.put(page_key, entry)
    return response


def _from_entry(request, entry) -> HttpResponse:
    _expires, body, holed = entry
    if holed:
        return HttpResponse(body.replace(_CSRF_HOLE, get_token(request)))
    if _ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        response = HttpResponse(body)
        # No secret in it (no token, nobody's name): compressing it once is safe from BREACH.
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(body))
    patch_vary_headers(response, ("Accept-Encoding",))
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
