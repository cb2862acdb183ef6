"""Sending text messages: approved templates with parameters, through a pluggable backend.

Chinese SMS providers send only templates approved in their console, filled with short
parameters; never free text. So callers name one of our `Template` keys and pass its
parameters, and each provider backend maps our keys to its own template ids
(settings.SMS_TEMPLATE_IDS, from the environment; see README "SMS in production").
"""

import enum
import json
import logging
import uuid
from functools import cache
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from villageaffairs.phones import mask_phone, normalize_phone

logger = logging.getLogger("villageaffairs.sms")


class Template(enum.StrEnum):
    """Every text the platform sends: one approved provider template each."""

    LOGIN_CODE = "login_code"
    TOPIC_REPLY = "topic_reply"
    VOTE_OPENED = "vote_opened"
    TASK_ASSIGNED = "task_assigned"
    LOAN_DECISION = "loan_decision"
    TOPIC_ESCALATED = "topic_escalated"
    TOPIC_FOLLOW_UP = "topic_follow_up"
    CADRE_INVITATION = "cadre_invitation"


# The parameters of each template, in the order of Tencent's numbered placeholders ({1}, {2},
# ...); Aliyun's templates use the names (${code}). The wording submitted for approval must use
# exactly these (README lists a suggested wording for each).
TEMPLATE_PARAMS: dict[Template, tuple[str, ...]] = {
    Template.LOGIN_CODE: ("code",),
    Template.TOPIC_REPLY: ("village", "title"),
    Template.VOTE_OPENED: ("village", "title"),
    Template.TASK_ASSIGNED: ("village", "title"),
    Template.LOAN_DECISION: ("bank", "amount", "state"),
    Template.TOPIC_ESCALATED: ("village", "title"),
    Template.TOPIC_FOLLOW_UP: ("village", "title"),
    # ``site``: the host of SITE_URL; the approved wording adds the sign-in path after it.
    Template.CADRE_INVITATION: ("village", "role", "site"),
}

# Providers cap each parameter (Aliyun at 35 characters, Tencent lower for some kinds) and
# review long variable text by hand; a village name or a title cut to 20 characters passes.
PARAM_MAX = 20

BACKENDS = {
    "log": "villageaffairs.sms.LogBackend",
    "aliyun": "villageaffairs.sms.AliyunBackend",
    "tencent": "villageaffairs.sms.TencentBackend",
}


class SmsError(Exception):
    """A text could not be sent; `kind` says why, `message` says it to the user."""

    RATE_LIMITED = "rate_limited"
    INVALID_NUMBER = "invalid_number"
    UNAVAILABLE = "unavailable"

    MESSAGES = {
        RATE_LIMITED: _("Too many text messages to this number. Please try again later."),
        INVALID_NUMBER: _("This number cannot receive text messages. Please check the number."),
        UNAVAILABLE: _("The text message could not be sent. Please try again later."),
    }

    def __init__(self, kind: str, *, code: str = "", request_id: str = ""):
        super().__init__(f"{kind} ({code or 'no code'}, request {request_id or '-'})")
        self.kind = kind
        self.code = code  # the provider's error code, for the log
        self.request_id = request_id

    @property
    def message(self):
        return self.MESSAGES[self.kind]


def _clean_params(template: Template, params: dict) -> dict[str, str]:
    names = TEMPLATE_PARAMS[template]
    if set(params) != set(names):
        raise ValueError(f"SMS template {template} takes {names}, not {sorted(params)}.")
    return {name: str(params[name]).strip()[:PARAM_MAX] for name in names}


class SentSms(NamedTuple):
    phone: str
    template: str
    params: dict


class LogBackend:
    """Development and tests: writes to the log and keeps the latest texts in memory."""

    name = "log"
    outbox: list[SentSms] = []

    def send(self, *, phone: str, template: Template, params: dict[str, str]) -> str:
        self.outbox.append(SentSms(phone, str(template), params))
        del self.outbox[:-200]
        # The parameters hold sign-in codes: only a developer's console may show them.
        if settings.DEBUG:
            logger.info("SMS (log backend) %s to %s: %s", template, phone, params)
        return f"log-{uuid.uuid4().hex[:12]}"


class ProviderBackend:
    """A real provider: needs a sign name, keys and a template id for every template."""

    name = ""
    default_endpoint = ""
    needs_app_id = False

    def __init__(self):
        self.sign_name = settings.SMS_SIGN_NAME
        self.template_ids = settings.SMS_TEMPLATE_IDS
        # SMS_ENDPOINT may carry a scheme (tests use http://127.0.0.1:port); the default is https.
        endpoint = settings.SMS_ENDPOINT or self.default_endpoint
        parts = urlsplit(endpoint if "//" in endpoint else f"https://{endpoint}")
        self.scheme, self.host = parts.scheme, parts.netloc
        self.timeout = settings.SMS_TIMEOUT

    def template_id(self, template: Template) -> str:
        template_id = self.template_ids.get(str(template))
        if not template_id:
            # The deploy check reports this too; here the text is dropped, not the request.
            logger.error("SMS template %s has no %s id (SMS_TEMPLATE_IDS)", template, self.name)
            raise SmsError(SmsError.UNAVAILABLE, code="no-template-id")
        return template_id

    @staticmethod
    def kind_of(code: str) -> str:
        raise NotImplementedError

    def send(self, *, phone: str, template: Template, params: dict[str, str]) -> str:
        raise NotImplementedError


class AliyunBackend(ProviderBackend):
    """Alibaba Cloud SMS (dysmsapi 2017-05-25, SendSms)."""

    name = "aliyun"
    default_endpoint = "dysmsapi.aliyuncs.com"
    RATE_LIMITED_CODES = frozenset(
        {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling", "Throttling.User"}
    )
    INVALID_NUMBER_CODES = frozenset({"isv.MOBILE_NUMBER_ILLEGAL"})

    def __init__(self):
        super().__init__()
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.models import Config

        self.client = Client(
            Config(
                access_key_id=settings.SMS_ACCESS_KEY_ID,
                access_key_secret=settings.SMS_ACCESS_KEY_SECRET,
                endpoint=self.host,
                protocol=self.scheme,
                region_id=settings.SMS_REGION or "cn-hangzhou",
                connect_timeout=int(self.timeout * 1000),
                read_timeout=int(self.timeout * 1000),
            )
        )

    @classmethod
    def kind_of(cls, code: str) -> str:
        if code in cls.RATE_LIMITED_CODES:
            return SmsError.RATE_LIMITED
        if code in cls.INVALID_NUMBER_CODES:
            return SmsError.INVALID_NUMBER
        return SmsError.UNAVAILABLE

    def send(self, *, phone: str, template: Template, params: dict[str, str]) -> str:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest
        from Tea.exceptions import TeaException

        request = SendSmsRequest(
            # Mainland numbers without +86, others as country code and number (Aliyun's form).
            phone_numbers=phone[3:] if phone.startswith("+86") else phone.lstrip("+"),
            sign_name=self.sign_name,
            template_code=self.template_id(template),
            template_param=json.dumps(params, ensure_ascii=False, separators=(",", ":")),
        )
        try:
            body = self.client.send_sms(request).body
        except TeaException as exc:
            # `from None`: the SDK's message repeats the request URL, parameters (a code) included.
            code = str(getattr(exc, "code", "") or type(exc).__name__)
            request_id = str(getattr(exc, "request_id", "") or "")
            raise SmsError(self.kind_of(code), code=code, request_id=request_id) from None
        request_id = body.request_id or ""
        if body.code != "OK":
            raise SmsError(self.kind_of(body.code), code=body.code, request_id=request_id)
        return request_id


class TencentBackend(ProviderBackend):
    """Tencent Cloud SMS (API 2021-01-11, SendSms)."""

    name = "tencent"
    default_endpoint = "sms.tencentcloudapi.com"
    needs_app_id = True  # Tencent's SmsSdkAppId
    INVALID_NUMBER_CODES = frozenset(
        {
            "InvalidParameterValue.IncorrectPhoneNumber",
            "FailedOperation.PhoneNumberParseFail",
            "FailedOperation.PhoneNumberInBlacklist",
        }
    )

    def __init__(self):
        super().__init__()
        from tencentcloud.common.credential import Credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111.sms_client import SmsClient

        profile = HttpProfile(endpoint=self.host, reqTimeout=max(int(self.timeout), 1))
        profile.scheme = self.scheme
        self.app_id = settings.SMS_SDK_APP_ID
        self.client = SmsClient(
            Credential(settings.SMS_ACCESS_KEY_ID, settings.SMS_ACCESS_KEY_SECRET),
            settings.SMS_REGION or "ap-guangzhou",
            ClientProfile(httpProfile=profile),
        )

    @classmethod
    def kind_of(cls, code: str) -> str:
        if code.startswith(("LimitExceeded.", "RequestLimitExceeded")):
            return SmsError.RATE_LIMITED
        if code in cls.INVALID_NUMBER_CODES:
            return SmsError.INVALID_NUMBER
        return SmsError.UNAVAILABLE

    def send(self, *, phone: str, template: Template, params: dict[str, str]) -> str:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.sms.v20210111.models import SendSmsRequest

        request = SendSmsRequest()
        request.PhoneNumberSet = [phone]
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = self.template_id(template)
        request.TemplateParamSet = [params[name] for name in TEMPLATE_PARAMS[template]]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = exc.code or "TencentCloudSDKException"
            raise SmsError(self.kind_of(code), code=code, request_id=exc.requestId or "") from None
        # A whole request can succeed while the one number in it fails: check its status.
        status = (response.SendStatusSet or [None])[0]
        code = status.Code if status is not None else "NoSendStatus"
        if code != "Ok":
            raise SmsError(self.kind_of(code), code=code, request_id=response.RequestId or "")
        return response.RequestId or ""


def backend_path(name: str) -> str:
    return BACKENDS.get(name, name)


@cache
def get_backend():
    return import_string(backend_path(settings.SMS_BACKEND))()


@receiver(setting_changed)
def _forget_backend(*, setting, **kwargs):
    # Tests change SMS_* settings; the next send builds a backend from the new ones.
    if setting.startswith("SMS_"):
        get_backend.cache_clear()


def send_sms(phone: str, template_key: str, params: dict) -> str:
    """Send one approved template; returns the provider's request id, or raises SmsError.

    The log line names the provider, the template, the request id and a masked number, never
    the parameters (a sign-in code is one).
    """
    template = Template(template_key)
    params = _clean_params(template, params)
    backend = get_backend()
    try:
        # Stored numbers are E.164 already; older rows typed by hand are tidied, not refused.
        try:
            phone = normalize_phone(phone)
        except ValidationError:
            raise SmsError(SmsError.INVALID_NUMBER, code="not-a-phone-number") from None
        request_id = backend.send(phone=phone, template=template, params=params)
    except SmsError as error:
        logger.warning(
            "SMS failed: provider=%s template=%s to=%s kind=%s code=%s request_id=%s",
            backend.name,
            template,
            mask_phone(phone),
            error.kind,
            error.code,
            error.request_id or "-",
        )
        raise
    logger.info(
        "SMS sent: provider=%s template=%s to=%s request_id=%s",
        backend.name,
        template,
        mask_phone(phone),
        request_id or "-",
    )
    return request_id
