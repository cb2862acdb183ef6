"""One log format for Django, gunicorn and Celery: Asia/Shanghai time with its offset, the
request id, and phone numbers masked.

Times are ISO 8601 in Asia/Shanghai with the offset written out (``2026-11-29T11:23:45.120+08:00``)
because the villages, the cadres and the support desk all read Beijing time; the offset makes
the lines unambiguous next to any UTC tool.

The request id comes from the proxy's ``X-Request-ID`` when it looks safe, else it is made here
(villageaffairs.middleware.RequestIdMiddleware). It is kept in a contextvar so every log line of
the request (and of a Celery task it enqueued) carries it, and the 500 page shows it so a
villager can read it out on the phone.
"""

import contextvars
import logging
import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

LOG_TIME_ZONE = ZoneInfo("Asia/Shanghai")
LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# What a proxy may hand us: short, and only characters that cannot break a log line or a header.
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def new_request_id() -> str:
    return secrets.token_hex(8)  # 16 characters: short enough to read out on the phone


def clean_request_id(value: str | None) -> str:
    """The proxy's id if it is safe to log and echo back, else a new one."""
    if value and SAFE_REQUEST_ID.match(value):
        return value
    return new_request_id()


def get_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


# Phone numbers: E.164 (+8613800138000, +447700900123) and bare mainland mobiles (13800138000),
# also when written with spaces or dashes ("+86 138-0013-8000"). The lookarounds keep longer
# digit runs (ids, amounts, timestamps) alone.
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+[1-9](?:[ -]?\d){6,14}"  # E.164, optionally grouped
    r"|1[3-9]\d(?:[ -]?\d){8}"  # mainland mobile, 11 digits
    r")(?!\d)"
)


def _mask(match: re.Match) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    keep_end = 4
    keep_start = 6 if digits.startswith("+86") else (4 if digits.startswith("+") else 3)
    if len(digits) - keep_start - keep_end < 2:
        keep_start = max(1, len(digits) - keep_end - 4)
    hidden = len(digits) - keep_start - keep_end
    return digits[:keep_start] + "*" * hidden + digits[-keep_end:]


def mask_phones(text: str) -> str:
    """'+8613800138000' → '+86138****8000'; '13800138000' → '138****8000'."""
    if not text:
        return text
    return _PHONE.sub(_mask, text)


def _mask_value(value):
    if isinstance(value, str):
        return mask_phones(value)
    if isinstance(value, int | float | type(None) | bool):
        return value
    # Objects (users, households, exceptions) print through str(): mask what they print.
    text = str(value)
    masked = mask_phones(text)
    return value if masked == text else masked


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (``-`` outside a request or task)."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = get_request_id()
        return True


class MaskPhonesFilter(logging.Filter):
    """Masks phone numbers in the message and its arguments before any handler formats them."""

    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = mask_phones(record.msg)
        if isinstance(record.args, dict):
            # In place: gunicorn's access atoms are a dict subclass that answers "-" for
            # missing keys, which a plain copy would lose.
            for key, value in list(record.args.items()):
                record.args[key] = _mask_value(value)
        elif isinstance(record.args, tuple):
            record.args = tuple(_mask_value(a) for a in record.args)
        return True


class Formatter(logging.Formatter):
    """ISO 8601 time in Asia/Shanghai with the offset, milliseconds included.

    Also fills in ``request_id`` when a record reached the handler without passing the filter
    (third-party loggers that propagate to a handler the filter is not on), and masks phones in
    the rendered exception text, which the filter cannot reach.
    """

    def __init__(self, fmt=LOG_FORMAT, datefmt=None, style="%", validate=True, **kwargs):
        super().__init__(fmt=fmt, datefmt=datefmt, style=style, validate=validate, **kwargs)

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        moment = datetime.fromtimestamp(record.created, LOG_TIME_ZONE)
        if datefmt:
            return moment.strftime(datefmt)
        return moment.isoformat(timespec="milliseconds")

    def format(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = get_request_id()
        return mask_phones(super().format(record))


class GunicornAccessFilter(logging.Filter):
    """gunicorn's access line runs after the response, outside the request's context: take
    the request id from the response header the middleware set."""

    def filter(self, record):
        atoms = record.args if isinstance(record.args, dict) else {}
        record.request_id = atoms.get("{x-request-id}o") or "-"
        return True


# The gunicorn access line: no query string (%(U)s is the path only; %(r)s would log
# "?q=13800138000" from a lookup) and no referrer (it carries the previous page's query).
# Time and request id come from LOG_FORMAT.
GUNICORN_ACCESS_FORMAT = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


def gunicorn_logging_config(level: str = "INFO") -> dict:
    """logconfig_dict for deploy/gunicorn.conf.py: gunicorn's own lines in the same format."""
    config = logging_config(level)
    config["filters"]["gunicorn_access"] = {"()": "villageaffairs.logging.GunicornAccessFilter"}
    config["handlers"]["access"] = {
        "class": "logging.StreamHandler",
        "formatter": "plain",
        "filters": ["gunicorn_access", "mask_phones"],
        "stream": "ext://sys.stdout",
    }
    config["loggers"].update(
        {
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        }
    )
    return config


def logging_config(level: str = "INFO", celery_level: str = "INFO") -> dict:
    """The dictConfig shared by Django (settings.LOGGING), gunicorn and Celery. ``make run``
    passes WARNING for Celery, whose eager tasks would print a line each."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "villageaffairs.logging.RequestIdFilter"},
            "mask_phones": {"()": "villageaffairs.logging.MaskPhonesFilter"},
        },
        "formatters": {
            "plain": {"()": "villageaffairs.logging.Formatter", "format": LOG_FORMAT},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["request_id", "mask_phones"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "celery": {"level": celery_level},
            "kombu": {"level": celery_level},
            "pikepdf": {"level": "WARNING"},
        },
    }


def scrub_event(event, hint=None):
    """Sentry's before_send: phone numbers out of messages, exceptions, breadcrumbs, extras."""
    return _scrub(event)


def _scrub(value):
    if isinstance(value, str):
        return mask_phones(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value
