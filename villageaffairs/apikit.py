"""The pieces every API view shares: problem details, cursor pages, rate limits, validators.

Each app exposes its resources in ``<app>/api.py`` (a ``urlpatterns`` list of DRF views that use
the app's own selectors and services); ``villageaffairs/api_urls.py`` mounts them under
``/api/v1/`` with the OpenAPI schema and its docs.

Errors are RFC 9457 problem details (``application/problem+json``)::

    {"type": "urn:villageaffairs:problem:token_revoked", "title": "The token was revoked.",
     "status": 401, "code": "token_revoked", "detail": "令牌已被撤销。",
     "message": {"en": "The token was revoked.", "zh-hans": "令牌已被撤销。"},
     "instance": "/api/v1/bank/...", "errors": {"purpose": ["..."]}}

``code`` is stable (clients switch on it); ``detail`` is in the request's language and
``message`` carries both.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from villageaffairs.clientip import client_ip

PROBLEM_TYPE = "urn:villageaffairs:problem:"
LANGUAGES = ("en", "zh-hans")

# Our wording for the errors DRF raises, keyed by the stable code we publish.
STANDARD = {
    "not_found": _("Not found."),
    "invalid": _("The request has invalid fields."),
    "malformed": _("The request body is not valid JSON."),
    "not_authenticated": _("A valid token is required."),
    "authentication_failed": _("The token is not valid."),
    "permission_denied": _("This token may not do that."),
    "method_not_allowed": _("This method is not allowed here."),
    "not_acceptable": _("The API answers only in JSON."),
    "unsupported_media_type": _("Send JSON."),
    "rate_limited": _("Too many requests. Try again later."),
    "bad_cursor": _("The cursor is malformed or expired; start again from the first page."),
}
_DRF_CODES = {
    exceptions.NotFound: "not_found",
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "malformed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}


class Problem(exceptions.APIException):
    """An API error with a stable code and a (lazily translated) message.

    ``errors`` names the fields at fault: ``Problem("purpose_missing", _("…"), status=400,
    errors={"purpose": [_("This field is required.")]})``.
    """

    def __init__(self, code: str, message, *, status: int = 400, errors=None, headers=None):
        self.problem_code = code
        self.message = message
        self.status_code = status
        self.errors = errors or {}
        self.headers = headers or {}
        super().__init__(detail=message, code=code)


def _both(message) -> dict[str, str]:
    out = {}
    for language in LANGUAGES:
        with translation.override(language):
            out[language] = str(message)
    return out


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {
            str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {}


def problem_response(request, problem: Problem) -> Response:
    body = problem_body(request, problem)
    response = Response(body, status=problem.status_code, headers=problem.headers)
    response.content_type = "application/problem+json"
    return response


def problem_body(request, problem: Problem) -> dict:
    messages = _both(problem.message)
    body = {
        "type": PROBLEM_TYPE + problem.problem_code,
        "title": messages["en"],
        "status": problem.status_code,
        "code": problem.problem_code,
        "detail": str(problem.message),
        "message": messages,
        "instance": request.path if request is not None else "",
    }
    if problem.errors:
        body["errors"] = {k: [str(m) for m in v] for k, v in problem.errors.items()}
    return body


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every API error as problem details."""
    # Imported here: rest_framework.views reads the throttle class below from the settings
    # when it is first imported, so this module must not import it at its top.
    from rest_framework.views import exception_handler as drf_exception_handler

    request = context.get("request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, Problem):
        return problem_response(request, exc)
    response = drf_exception_handler(exc, context)  # sets WWW-Authenticate and Retry-After
    if response is None:
        return None  # a real bug: Django's 500 handling and error reports take it
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
    code = code or (exc.default_code if isinstance(exc, exceptions.APIException) else "error")
    errors = _field_errors(exc.detail) if isinstance(exc, exceptions.ValidationError) else None
    if errors:
        message = _("Invalid fields: %(fields)s") % {"fields": ", ".join(errors)}
        problem = Problem(code, message, status=response.status_code, errors=errors)
    else:
        problem = Problem(code, STANDARD.get(code, exc.detail), status=response.status_code)
    out = problem_response(request, problem)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            out[header] = response[header]
    return out


PROBLEM = inline_serializer(
    "Problem",
    {
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "message": serializers.DictField(child=serializers.CharField()),
        "instance": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
    },
)


def problems(*statuses: int) -> dict[int, OpenApiResponse]:
    """Schema entries for an endpoint's errors: ``responses={200: X, **problems(404)}``."""
    return {s: OpenApiResponse(PROBLEM, description="problem details (RFC 9457)") for s in statuses}


class Cursor(CursorPagination):
    """Cursor pages: stable under inserts, and a malformed cursor is a 400, not a 404."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "limit"
    ordering = "-pk"

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise Problem(
                "bad_cursor",
                STANDARD["bad_cursor"],
                status=status.HTTP_400_BAD_REQUEST,
                errors={"cursor": [STANDARD["bad_cursor"]]},
            ) from None


class ClientRateThrottle(SimpleRateThrottle):
    """Per-client limit for the open data (settings.API_RATE_LIMIT, e.g. "120/min").

    The client is its address as our proxies report it (villageaffairs.clientip). The counts
    live in the cache, which degrades to per-process counts when Redis is down.
    """

    scope = "api"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


def etag_for(*parts) -> str:
    """A strong ETag from the version parts of a resource (ids, counters, timestamps)."""
    raw = "|".join(str(p) for p in parts)
    return quote_etag(hashlib.blake2b(raw.encode(), digest_size=12).hexdigest())


def not_modified(request, *, etag: str, last_modified=None) -> Response | None:
    """A 304 if the client already holds this version (If-None-Match / If-Modified-Since)."""
    from django.utils.cache import get_conditional_response

    response = get_conditional_response(
        request,
        etag=etag,
        last_modified=int(last_modified.timestamp()) if last_modified else None,
    )
    if response is None:
        return None
    out = Response(status=response.status_code)
    validators(out, etag=etag, last_modified=last_modified)
    return out


def validators(response, *, etag: str, last_modified=None, max_age: int = 60):
    """Set ETag, Last-Modified and a public cache lifetime on a response."""
    response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response
