"""One log format: Shanghai time with offset, the request id, phones masked; Sentry opt-in."""

import logging
import re
import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from villageaffairs import logging as va_logging
from villageaffairs.errors import server_error

log = logging.getLogger("villageaffairs.tests")


def logs_something(request):
    log.info("looked up %s", "13800138000")
    return HttpResponse("ok")


def fails(request):
    raise RuntimeError("boom for +8613800138000")


urlpatterns = [path("logs/", logs_something), path("fails/", fails)]
handler500 = server_error


def _record(msg, *args):
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, None)


def _format(record):
    """What the console handler of settings.LOGGING writes for a record."""
    handler = logging.StreamHandler()
    handler.setFormatter(va_logging.Formatter())
    handler.addFilter(va_logging.RequestIdFilter())
    handler.addFilter(va_logging.MaskPhonesFilter())
    for f in handler.filters:
        f.filter(record)
    return handler.format(record)


@pytest.fixture
def captured():
    """Records as the project's handler would see them (its filters applied)."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keep = Keep()
    keep.addFilter(va_logging.RequestIdFilter())
    keep.addFilter(va_logging.MaskPhonesFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(keep)
    root.setLevel(logging.INFO)
    yield records
    root.removeHandler(keep)
    root.setLevel(old_level)


@pytest.mark.urls(__name__)
def test_a_log_line_during_a_request_carries_the_request_id(db, captured):
    response = Client().get("/logs/")
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    record = next(r for r in captured if r.name == "villageaffairs.tests")
    assert record.request_id == request_id
    assert request_id in _format(record)


@pytest.mark.urls(__name__)
def test_a_safe_proxy_request_id_is_kept_and_an_unsafe_one_replaced(db):
    client = Client()
    assert client.get("/logs/", HTTP_X_REQUEST_ID="abc-123-def")["X-Request-ID"] == "abc-123-def"
    unsafe = client.get("/logs/", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=1 13800138000")
    assert re.fullmatch(r"[0-9a-f]{16}", unsafe["X-Request-ID"])


def test_outside_a_request_the_id_is_a_dash():
    assert _format(_record("idle")).split()[2] == "[-]"


@pytest.mark.urls(__name__)
def test_the_500_page_shows_the_request_id(db, captured):
    client = Client(raise_request_exception=False)
    response = client.get("/fails/", HTTP_X_REQUEST_ID="support-call-42")
    assert response.status_code == 500
    assert response["X-Request-ID"] == "support-call-42"
    assert "support-call-42" in response.content.decode()
    # The error's own log line carries the same id, with the phone masked.
    error = next(r for r in captured if r.name == "django.request")
    assert error.request_id == "support-call-42"
    assert "13800138000" not in _format(error)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+8613800138000", "+86138****8000"),
        ("13800138000", "138****8000"),
        ("+86 138-0013-8000", "+86138****8000"),
        ("+447700900123", "+447*****0123"),
    ],
)
def test_a_phone_in_a_log_message_is_masked(raw, masked):
    line = _format(_record(f"SMS to {raw}: your code"))
    assert masked in line and raw not in line
    line = _format(_record("SMS to %s: your code", raw))
    assert masked in line and raw not in line
    line = _format(_record("SMS to %(phone)s", {"phone": raw}))
    assert masked in line and raw not in line


def test_other_numbers_are_left_alone():
    text = "household 1234567 paid 12345678901234567 on 2026-11-29 order 20261129123456"
    assert va_logging.mask_phones(text) == text


def test_the_timestamp_is_iso_8601_in_shanghai_with_its_offset():
    record = _record("tick")
    record.created = 1_800_000_000.25  # 2027-01-15T08:00:00.250Z
    assert _format(record).startswith("2027-01-15T16:00:00.250+08:00 INFO [-] t tick")


def test_django_logging_uses_the_formatter_and_filters():
    console = settings.LOGGING["handlers"]["console"]
    assert settings.LOGGING["formatters"][console["formatter"]]["()"] == (
        "villageaffairs.logging.Formatter"
    )
    assert set(console["filters"]) == {"request_id", "mask_phones"}


def _gunicorn_conf():
    return runpy.run_path(str(Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"))


def test_gunicorn_access_log_has_no_query_string_nor_referrer():
    conf = _gunicorn_conf()
    access = conf["access_log_format"]
    assert "%(U)s" in access
    for atom in ("%(r)s", "%(q)s", "%(f)s", "{referer}i", "%(t)s"):
        assert atom not in access
    assert conf["accesslog"] is None  # only the logconfig_dict handler writes the line
    loggers = conf["logconfig_dict"]["loggers"]
    assert loggers["gunicorn.access"]["handlers"] == ["access"]
    assert loggers["gunicorn.error"]["handlers"] == ["console"]


def test_a_gunicorn_access_line_in_the_shared_format():
    from gunicorn.glogging import SafeAtoms

    conf = _gunicorn_conf()
    atoms = SafeAtoms(
        {
            "h": "10.0.0.1",
            "m": "GET",
            "U": "/bank/1/lookup/",
            "q": "q=13800138000",
            "H": "HTTP/1.1",
            "s": 200,
            "b": "512",
            "M": 12,
            "a": "Mozilla",
            "{x-request-id}o": "req-000123",
        }
    )
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, conf["access_log_format"], (atoms,), None
    )
    handler = logging.StreamHandler()
    handler.setFormatter(va_logging.Formatter())
    for f in (va_logging.GunicornAccessFilter(), va_logging.MaskPhonesFilter()):
        f.filter(record)
    line = handler.format(record)
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00 INFO \[req-000123\] ", line)
    assert '"GET /bank/1/lookup/ HTTP/1.1" 200' in line
    assert "13800138000" not in line


def test_the_compose_web_service_and_the_image_start_gunicorn_with_the_config():
    compose = (Path(settings.BASE_DIR) / "docker-compose.yml").read_text()
    dockerfile = (Path(settings.BASE_DIR) / "Dockerfile").read_text()
    assert "gunicorn --config deploy/gunicorn.conf.py" in compose
    assert '"gunicorn", "--config", "deploy/gunicorn.conf.py"' in dockerfile
    assert "--access-logfile" not in compose + dockerfile


def test_sentry_is_off_without_a_dsn(monkeypatch):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kw: calls.append(kw))
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    _reload_settings(monkeypatch)
    assert calls == []


def test_sentry_starts_with_a_dsn_without_personal_data(monkeypatch):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kw: calls.append(kw))
    monkeypatch.setenv("SENTRY_DSN", "http://public@127.0.0.1:9/1")
    _reload_settings(monkeypatch)
    (options,) = calls
    assert options["dsn"] == "http://public@127.0.0.1:9/1"
    assert options["send_default_pii"] is False
    names = {type(i).__name__ for i in options["integrations"]}
    assert {"DjangoIntegration", "CeleryIntegration"} <= names
    event = options["before_send"](
        {"message": "SMS to 13800138000 failed", "extra": {"to": ["+8613800138000"]}}, {}
    )
    assert event["message"] == "SMS to 138****8000 failed"
    assert event["extra"]["to"] == ["+86138****8000"]


def test_sentry_really_starts_with_a_dummy_dsn():
    """A real init (nothing is sent: no event is captured, the DSN points nowhere)."""
    import sentry_sdk

    from villageaffairs.sentry import sentry_init

    try:
        sentry_init(dsn="http://public@127.0.0.1:9/1", environment="test")
        assert sentry_sdk.get_client().is_active()
        assert sentry_sdk.get_client().options["send_default_pii"] is False
    finally:
        sentry_sdk.init(dsn=None)


def _reload_settings(monkeypatch):
    """Runs settings.py as a fresh module (the live settings are untouched)."""
    monkeypatch.setenv("TESTING", "1")
    runpy.run_path(str(Path(settings.BASE_DIR) / "villageaffairs" / "settings.py"))
