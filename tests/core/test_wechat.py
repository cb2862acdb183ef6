"""WeChat sign-in against a local stand-in of WeChat's OAuth endpoints."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory
from villageaffairs import services
from villageaffairs.models import AuditEntry, RoleAssignment


class _WeChat(BaseHTTPRequestHandler):
    calls: list = []

    def do_GET(self):  # noqa: N802 - http.server's name
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.calls.append((url.path, query))
        if url.path == "/sns/oauth2/access_token" and query.get("code") == "good-code":
            body = {"access_token": "token-1", "expires_in": 7200, "openid": "openid-1"}
        elif url.path == "/sns/userinfo" and query.get("access_token") == "token-1":
            body = {"openid": "openid-1", "nickname": "谢启富", "headimgurl": ""}
        else:
            body = {"errcode": 40029, "errmsg": "invalid code"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def wechat(settings, monkeypatch):
    """WeChat switched on, its token and user-info endpoints served on 127.0.0.1."""
    server = HTTPServer(("127.0.0.1", 0), _WeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    settings.WECHAT_LOGIN_ENABLED = True
    weixin = dict(settings.SOCIALACCOUNT_PROVIDERS["weixin"])
    weixin.update(
        {
            "ACCESS_TOKEN_URL": f"{base}/sns/oauth2/access_token",
            "PROFILE_URL": f"{base}/sns/userinfo",
            "APP": {"client_id": "wx-app", "secret": "wx-secret"},
        }
    )
    settings.SOCIALACCOUNT_PROVIDERS = {**settings.SOCIALACCOUNT_PROVIDERS, "weixin": weixin}
    _WeChat.calls = []
    yield _WeChat.calls
    server.shutdown()
    server.server_close()


def _sign_in_with_wechat(client, code="good-code"):
    response = client.post(reverse("weixin_login"))
    assert response.status_code == 302
    authorize = urlparse(response["Location"])
    assert authorize.netloc == "open.weixin.qq.com"
    state = parse_qs(authorize.query)["state"][0]
    return client.get(reverse("weixin_callback"), {"code": code, "state": state}, follow=True)


def test_wechat_pages_are_not_there_unless_enabled(client, db, settings):
    settings.WECHAT_LOGIN_ENABLED = False
    assert client.get(reverse("weixin_login")).status_code == 404
    assert client.get(reverse("weixin_callback"), {"code": "x", "state": "y"}).status_code == 404


def test_wechat_sign_in_creates_an_account_with_no_village_role(client, db, wechat):
    response = _sign_in_with_wechat(client)
    assert [path for path, _ in wechat] == ["/sns/oauth2/access_token", "/sns/userinfo"]
    assert wechat[0][1]["appid"] == "wx-app" and wechat[0][1]["code"] == "good-code"
    account = SocialAccount.objects.get(provider="weixin", uid="openid-1")
    user = response.context["user"]
    assert user.is_authenticated and user == account.user
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert not hasattr(user, "resident") or user.resident is None

    # The same WeChat account signs in as the same user next time.
    client.logout()
    assert _sign_in_with_wechat(client).context["user"] == account.user
    assert SocialAccount.objects.count() == 1


def test_a_bad_code_signs_no_one_in(client, db, wechat):
    response = _sign_in_with_wechat(client, code="stolen")
    assert not response.context["user"].is_authenticated
    assert not SocialAccount.objects.exists()


def test_confirming_an_owned_number_links_the_wechat_account_to_the_resident(client, db, wechat):
    village = VillageFactory(slug="youyi")
    household = HouseholdFactory(village=village)
    ResidentFactory(household=household, name="家人", phone="+8613800000011")
    owner = ResidentFactory(
        household=household, name="谢启富", phone="+8613800000011", phone_owner=True
    )
    user = _sign_in_with_wechat(client).context["user"]

    from allauth.account.adapter import get_adapter

    get_adapter().set_phone_verified(user, "+8613800000011")
    owner.refresh_from_db()
    assert owner.user == user
    assert RoleAssignment.objects.filter(user=user, village=village, role="villager").exists()
    assert AuditEntry.objects.filter(action="account.confirm_phone", actor=user).exists()


def test_confirming_a_number_no_resident_owns_gives_no_role(db):
    from tests.factories import UserFactory

    village = VillageFactory()
    ResidentFactory(household=HouseholdFactory(village=village), phone="+8613800000011")
    user = UserFactory()
    assert services.user_confirm_phone(user=user, phone="+8613800000011") is None
    assert not RoleAssignment.objects.filter(user=user).exists()
