"""The client's address behind our own proxies: one function for every limit.

In production a request passes the HTTPS proxy and then nginx, and each appends the address it
received the connection from to ``X-Forwarded-For``. Only the last ``TRUSTED_PROXY_COUNT``
entries were written by proxies we run; anything to their left came from the client and can be
forged. So the client is the entry ``TRUSTED_PROXY_COUNT`` places from the right, and with no
trusted proxies the header is ignored and the connection's own address is used.
"""

import ipaddress

from django.conf import settings


def _clean(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.5:51234"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The client's address, never chosen by the client (see the module docstring)."""
    remote = _clean(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"  # noqa: S104
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if not forwarded:
        return remote
    # Fewer entries than trusted hops: the request skipped a proxy (a health check from inside
    # the stack, say). The leftmost entry is then the oldest one a trusted proxy wrote.
    index = -hops if len(forwarded) >= hops else 0
    return _clean(forwarded[index]) or remote
