"""SMS through the real provider SDKs, against a stand-in provider on 127.0.0.1 (no network)."""

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory
from villageaffairs.phones import mask_phone
from villageaffairs.sms import TEMPLATE_PARAMS, LogBackend, SmsError, Template, send_sms

PHONE = "+8613800138000"


class StandIn:
    """Answers as Aliyun or Tencent would; `reply` overrides the next answers."""

    def __init__(self):
        self.requests = []  # (path, headers, body)
        self.reply = None  # (status, JSON) or None for a success
        self.delay = 0.0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stand_in.requests.append((self.path, dict(self.headers), body))
                time.sleep(stand_in.delay)
                status, payload = stand_in.reply or stand_in.success(self.headers)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A client that gave up (the timeout test) leaves a broken pipe: not worth a traceback.
        self.server.handle_error = lambda request, client_address: None
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @staticmethod
    def success(headers):
        if headers.get("X-TC-Action"):
            status = {"SerialNo": "2640:1", "PhoneNumber": PHONE, "Code": "Ok", "Message": "ok"}
            return 200, {"Response": {"SendStatusSet": [status], "RequestId": "tc-req-1"}}
        return 200, {"Code": "OK", "Message": "OK", "RequestId": "ali-req-1", "BizId": "9^0"}


@pytest.fixture
def stand_in():
    server = StandIn()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TEMPLATE_IDS = {str(t): f"SMS_1000{i}" for i, t in enumerate(Template)}


def _provider(settings, name, endpoint):
    settings.SMS_BACKEND = name
    settings.SMS_ENDPOINT = endpoint
    settings.SMS_SIGN_NAME = "友谊村"
    settings.SMS_ACCESS_KEY_ID = "test-key-id"
    settings.SMS_ACCESS_KEY_SECRET = "test-key-secret"
    settings.SMS_SDK_APP_ID = "1400000001"
    settings.SMS_TEMPLATE_IDS = TEMPLATE_IDS
    settings.SMS_TIMEOUT = 2


@pytest.fixture
def aliyun(settings, stand_in):
    _provider(settings, "aliyun", stand_in.url)
    return stand_in


@pytest.fixture
def tencent(settings, stand_in):
    _provider(settings, "tencent", stand_in.url)
    return stand_in


def test_mask_phone_keeps_only_enough_to_tell_numbers_apart():
    assert mask_phone("+8613800138000") == "+86138****8000"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("+85261234567") == "+852****4567"
    assert mask_phone("+1234567") == "+*****67"
    assert mask_phone("") == ""


def test_every_template_declares_its_parameters():
    assert set(TEMPLATE_PARAMS) == set(Template)
    assert {"topic_escalated", "topic_follow_up", "login_code"} <= {str(t) for t in Template}


def test_aliyun_receives_send_sms_with_the_approved_template(aliyun):
    request_id = send_sms(PHONE, "login_code", {"code": "123456"})
    assert request_id == "ali-req-1"
    [(path, headers, _body)] = aliyun.requests
    query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
    assert headers["x-acs-action"] == "SendSms"
    assert headers["x-acs-version"] == "2017-05-25"
    assert headers["Authorization"].startswith("ACS3-HMAC-SHA256 Credential=test-key-id")
    assert query["PhoneNumbers"] == "13800138000"  # mainland numbers go without +86
    assert query["SignName"] == "友谊村"
    assert query["TemplateCode"] == TEMPLATE_IDS["login_code"]
    assert json.loads(query["TemplateParam"]) == {"code": "123456"}


def test_tencent_receives_send_sms_with_the_parameters_in_template_order(tencent):
    title = "村东头的水渠堵了，下雨就淹到路上，请尽快疏通"
    request_id = send_sms(PHONE, "topic_reply", {"title": title, "village": "友谊村"})
    assert request_id == "tc-req-1"
    [(_path, headers, body)] = tencent.requests
    assert headers["X-TC-Action"] == "SendSms"
    assert headers["X-TC-Version"] == "2021-01-11"
    assert headers["X-TC-Region"] == "ap-guangzhou"
    assert json.loads(body) == {
        "PhoneNumberSet": [PHONE],
        "SmsSdkAppId": "1400000001",
        "SignName": "友谊村",
        "TemplateId": TEMPLATE_IDS["topic_reply"],
        "TemplateParamSet": ["友谊村", title[:20]],  # {1} village, {2} title, cut to 20
    }


def _aliyun_error(code, status=200):
    return status, {"Code": code, "Message": "refused", "RequestId": "ali-err-1"}


def _tencent_error(code):
    return 200, {"Response": {"Error": {"Code": code, "Message": "refused"}, "RequestId": "tc-1"}}


def _tencent_status(code):
    status = {"PhoneNumber": PHONE, "Code": code, "Message": "refused"}
    return 200, {"Response": {"SendStatusSet": [status], "RequestId": "tc-err-1"}}


@pytest.mark.parametrize(
    ("provider", "reply", "kind"),
    [
        ("aliyun", _aliyun_error("isv.BUSINESS_LIMIT_CONTROL"), SmsError.RATE_LIMITED),
        ("aliyun", _aliyun_error("Throttling.User", status=400), SmsError.RATE_LIMITED),
        ("aliyun", _aliyun_error("isv.MOBILE_NUMBER_ILLEGAL"), SmsError.INVALID_NUMBER),
        ("aliyun", _aliyun_error("isv.OUT_OF_SERVICE"), SmsError.UNAVAILABLE),
        ("aliyun", _aliyun_error("ServiceUnavailable", status=503), SmsError.UNAVAILABLE),
        ("tencent", _tencent_error("LimitExceeded.PhoneNumberDailyLimit"), SmsError.RATE_LIMITED),
        ("tencent", _tencent_status("LimitExceeded.PhoneNumberOneHourLimit"), "rate_limited"),
        (
            "tencent",
            _tencent_error("InvalidParameterValue.IncorrectPhoneNumber"),
            SmsError.INVALID_NUMBER,
        ),
        ("tencent", _tencent_status("FailedOperation.PhoneNumberParseFail"), "invalid_number"),
        ("tencent", _tencent_error("InternalError.Timeout"), SmsError.UNAVAILABLE),
        ("tencent", (502, {"html": "Bad Gateway"}), SmsError.UNAVAILABLE),
    ],
)
def test_provider_refusals_map_to_one_error_kind(settings, stand_in, provider, reply, kind):
    _provider(settings, provider, stand_in.url)
    stand_in.reply = reply
    with pytest.raises(SmsError) as caught:
        send_sms(PHONE, "login_code", {"code": "123456"})
    assert caught.value.kind == kind
    assert caught.value.message == SmsError.MESSAGES[kind]
    # The SDK's own message repeats the request (the code in it): it is not chained on.
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_provider_that_is_down_is_unavailable(settings, provider):
    _provider(settings, provider, f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(SmsError) as caught:
        send_sms(PHONE, "login_code", {"code": "123456"})
    assert caught.value.kind == SmsError.UNAVAILABLE


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_provider_that_does_not_answer_times_out_quickly(settings, stand_in, provider):
    _provider(settings, provider, stand_in.url)
    settings.SMS_TIMEOUT = 1
    stand_in.delay = 4
    started = time.monotonic()
    with pytest.raises(SmsError) as caught:
        send_sms(PHONE, "login_code", {"code": "123456"})
    assert caught.value.kind == SmsError.UNAVAILABLE
    assert time.monotonic() - started < 3.5


def test_the_log_line_names_the_request_and_a_masked_number_never_the_code(aliyun, caplog):
    caplog.set_level(logging.INFO, logger="villageaffairs.sms")
    send_sms(PHONE, "login_code", {"code": "987654"})
    aliyun.reply = _aliyun_error("isv.BUSINESS_LIMIT_CONTROL")
    with pytest.raises(SmsError):
        send_sms(PHONE, "login_code", {"code": "876543"})
    sent, failed = (r.getMessage() for r in caplog.records if r.name == "villageaffairs.sms")
    assert "provider=aliyun" in sent and "template=login_code" in sent
    assert "request_id=ali-req-1" in sent and "to=+86138****8000" in sent
    assert "kind=rate_limited" in failed and "code=isv.BUSINESS_LIMIT_CONTROL" in failed
    assert "request_id=ali-err-1" in failed
    assert not any(s in caplog.text for s in ("987654", "876543", "13800138000"))


def test_the_log_backend_shows_the_code_only_in_debug(settings, caplog):
    caplog.set_level(logging.INFO, logger="villageaffairs.sms")
    LogBackend.outbox.clear()
    settings.DEBUG = False
    send_sms(PHONE, "login_code", {"code": "246810"})
    assert "246810" not in caplog.text and "+86138****8000" in caplog.text
    assert LogBackend.outbox[-1] == (PHONE, "login_code", {"code": "246810"})
    settings.DEBUG = True
    send_sms(PHONE, "login_code", {"code": "135790"})
    assert "135790" in caplog.text


def test_parameters_must_match_the_template_and_are_cut_short(db):
    LogBackend.outbox.clear()
    with pytest.raises(ValueError, match="takes"):
        send_sms(PHONE, "login_code", {"code": "1", "text": "free text is not sent"})
    with pytest.raises(ValueError):
        send_sms(PHONE, "no_such_template", {})
    send_sms(PHONE, "vote_opened", {"village": "友谊村", "title": "  " + "修" * 30})
    assert LogBackend.outbox[-1].params == {"village": "友谊村", "title": "修" * 20}


def test_a_number_that_is_not_one_is_not_sent(aliyun):
    with pytest.raises(SmsError) as caught:
        send_sms("12ab", "login_code", {"code": "123456"})
    assert caught.value.kind == SmsError.INVALID_NUMBER
    send_sms("138 0013 8000", "login_code", {"code": "123456"})  # typed by hand: tidied
    assert [parse_qs(urlsplit(r[0]).query)["PhoneNumbers"] for r in aliyun.requests] == [
        ["13800138000"]
    ]


def test_a_template_without_a_provider_id_is_not_sent(aliyun, settings):
    settings.SMS_TEMPLATE_IDS = {"login_code": "SMS_1"}
    with pytest.raises(SmsError) as caught:
        send_sms(PHONE, "vote_opened", {"village": "友谊村", "title": "修路"})
    assert caught.value.kind == SmsError.UNAVAILABLE
    assert aliyun.requests == []


# --- sign-in: a refused text reaches the villager as a message, not a server error ------------


@pytest.fixture
def resident(db):
    village = VillageFactory(slug="youyi")
    household = HouseholdFactory(village=village)
    return ResidentFactory(household=household, village=village, phone=PHONE)


def test_sign_in_code_goes_out_through_the_provider(aliyun, client, resident):
    response = client.post(reverse("account_request_login_code"), {"phone": "138 0013 8000"})
    assert response.status_code == 302
    [(path, _headers, _body)] = aliyun.requests
    code = json.loads(parse_qs(urlsplit(path).query)["TemplateParam"][0])["code"]
    response = client.post(reverse("account_confirm_login_code"), {"code": code}, follow=True)
    assert response.context["user"].is_authenticated


@pytest.mark.parametrize(
    ("reply", "text"),
    [
        (_aliyun_error("isv.BUSINESS_LIMIT_CONTROL"), "短信太多了"),
        (_aliyun_error("isv.MOBILE_NUMBER_ILLEGAL"), "收不到短信"),
        (_aliyun_error("ServiceUnavailable", status=503), "短信发送失败，请稍后再试"),
    ],
)
def test_a_refused_sign_in_code_is_shown_on_the_form(aliyun, client, resident, reply, text):
    aliyun.reply = reply
    url = reverse("account_request_login_code")
    response = client.post(url, {"phone": "13800138000"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(url, 302)]
    assert text in response.content.decode()
    # Nothing was kept: no code is waiting to be confirmed.
    assert client.get(reverse("account_confirm_login_code")).status_code == 302


def test_a_provider_that_is_down_does_not_break_sign_in(settings, client, resident):
    _provider(settings, "tencent", f"http://127.0.0.1:{_closed_port()}")
    response = client.post(
        reverse("account_request_login_code"), {"phone": "13800138000"}, follow=True
    )
    assert response.status_code == 200
    assert "短信发送失败，请稍后再试" in response.content.decode()


def test_checks_name_what_a_provider_is_missing(settings):
    from villageaffairs.checks import check_sms_backend_in_production, check_sms_settings

    _provider(settings, "aliyun", "")
    settings.DEBUG = False
    assert check_sms_settings(None) == [] and check_sms_backend_in_production(None) == []
    settings.SMS_TEMPLATE_IDS = {**TEMPLATE_IDS, "login": "SMS_9"}
    settings.SMS_SIGN_NAME = ""
    assert [e.id for e in check_sms_settings(None)] == [
        "villageaffairs.E103",  # no sign name
        "villageaffairs.E105",  # a key that is not one of ours
    ]
    settings.SMS_BACKEND = "villageaffairs.sms.NoSuchBackend"
    assert [e.id for e in check_sms_settings(None)] == ["villageaffairs.E102"]
    settings.SMS_BACKEND = "log"
    assert check_sms_settings(None) == []
    assert [e.id for e in check_sms_backend_in_production(None)] == ["villageaffairs.E101"]
    settings.DEBUG = True
    assert check_sms_backend_in_production(None) == []
