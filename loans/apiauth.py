"""How a bank system proves itself to the bank API: ``Authorization: Bearer <token>``.

A token is a branch's (``BankToken``): the branch's systems see what its officers see on the
/bank/ pages, scope by scope. Each failure has its own stable code (token_missing,
token_invalid, token_expired, token_revoked), all 401.
"""

import hmac
import re

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from loans import selectors, services
from villageaffairs.apikit import Problem

_TOKEN = re.compile(r"va_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="bank"'}


def _refuse(code: str, message) -> Problem:
    return Problem(code, message, status=401, headers=CHALLENGE)


class BankTokenAuthentication(BaseAuthentication):
    """Finds the token by its public prefix and compares the digest in constant time."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _sep, plain = header.partition(" ")
        found = _TOKEN.fullmatch(plain.strip()) if scheme.lower() == "bearer" else None
        token = found and selectors.token_by_prefix(found.group(1))
        if not token or not hmac.compare_digest(token.digest, services.token_digest(plain.strip())):
            raise _refuse("token_invalid", _("The token is not valid."))
        if token.revoked_at is not None:
            raise _refuse("token_revoked", _("The token was revoked."))
        if token.expires_at <= timezone.now():
            raise _refuse("token_expired", _("The token has expired."))
        return AnonymousUser(), token

    def authenticate_header(self, request):
        return CHALLENGE["WWW-Authenticate"]


def scoped(scope: str) -> type[BasePermission]:
    """A permission class: a valid token of a branch, holding ``scope``."""

    class HasScope(BasePermission):
        def has_permission(self, request, view):
            if request.auth is None:
                raise _refuse("token_missing", _("A bank API token is required."))
            if scope not in request.auth.scope_list:
                raise Problem("token_scope", _("This token may not do that."), status=403)
            return True

    HasScope.scope = scope
    return HasScope


class BankTokenThrottle(SimpleRateThrottle):
    """Per-token limit (settings.BANK_API_RATE_LIMIT): one bank system cannot crowd out the
    others, whatever address its calls come from."""

    scope = "bank"

    def get_rate(self):
        return settings.BANK_API_RATE_LIMIT

    def get_cache_key(self, request, view):
        if request.auth is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class BankTokenScheme(OpenApiAuthenticationExtension):
    target_class = "loans.apiauth.BankTokenAuthentication"
    name = "bankToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A branch's token, made on /bank/<branch>/tokens/ or with "
            "`manage.py bank_token create`.",
        }
