"""Sign-in a village can trust: client addresses behind the proxy, limits per number and per
client, the admin's limit, the 429 page, landing by role, the pages and the session lengths."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.factories import HouseholdFactory, ResidentFactory, UserFactory, VillageFactory, member
from tests.loans.factories import BranchFactory, officer
from villageaffairs.clientip import client_ip
from villageaffairs.landing import landing_url, landings
from villageaffairs.models import Role
from villageaffairs.sms import LogBackend

NGINX = "172.18.0.5"  # the address gunicorn sees: the nginx container
HTTPS_PROXY = "10.0.0.2"  # the HTTPS proxy in front of nginx


def _last_code(phone):
    for sent in reversed(LogBackend.outbox):
        if sent.phone == phone and sent.template == "login_code":
            return sent.params["code"]
    raise AssertionError(f"no SMS sent to {phone}")


def _via_proxy(client_address, *, forged=""):
    """What gunicorn receives for a client behind the HTTPS proxy and nginx: each proxy
    appended the address it was connected from; ``forged`` is what the client sent itself."""
    chain = [part for part in (forged, client_address, HTTPS_PROXY) if part]
    return {"REMOTE_ADDR": NGINX, "HTTP_X_FORWARDED_FOR": ", ".join(chain)}


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 2


@pytest.fixture
def villager(db):
    village = VillageFactory(slug="youyi")
    household = HouseholdFactory(village=village)
    resident = ResidentFactory(
        household=household, village=village, phone="+8613800000011", phone_owner=True
    )
    return resident


# --- client_ip ------------------------------------------------------------------------------


def _request(meta):
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = _request({"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "1.2.3.4"})
    assert client_ip(request) == "203.0.113.7"


def test_behind_two_proxies_the_client_is_the_entry_the_https_proxy_wrote(behind_proxy):
    assert client_ip(_request(_via_proxy("203.0.113.7"))) == "203.0.113.7"


def test_a_forged_forwarded_for_does_not_choose_the_address(behind_proxy):
    for forged in ("1.1.1.1", "1.1.1.1, 2.2.2.2", "not-an-address", "::1"):
        assert client_ip(_request(_via_proxy("203.0.113.7", forged=forged))) == "203.0.113.7"


def test_malformed_or_short_headers_fall_back_safely(behind_proxy):
    assert client_ip(_request({"REMOTE_ADDR": NGINX, "HTTP_X_FORWARDED_FOR": "garbage, x"})) == (
        NGINX
    )
    # One entry only: it was written by nginx, the one proxy the request passed.
    request = _request({"REMOTE_ADDR": NGINX, "HTTP_X_FORWARDED_FOR": "198.51.100.9"})
    assert client_ip(request) == "198.51.100.9"
    assert client_ip(_request({"REMOTE_ADDR": NGINX, "HTTP_X_FORWARDED_FOR": ""})) == NGINX
    assert client_ip(_request(_via_proxy("[2001:db8::1]:443"))) == "2001:db8::1"


# --- limits through a simulated proxy -------------------------------------------------------


@pytest.fixture
def tight_limits(settings, behind_proxy):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "request_login_code": "5/m/ip,1/m/key",
        "confirm_login_code": "50/m/ip,4/h/key",
    }


def test_one_client_flooding_does_not_lock_out_another(db, tight_limits):
    LogBackend.outbox.clear()
    answers = [  # a script: a fresh session for each made-up number
        Client(**_via_proxy("203.0.113.66")).post(
            reverse("account_request_login_code"), {"phone": f"1390000{n:04d}"}
        )
        for n in range(8)
    ]
    assert [a.status_code for a in answers[:5]] == [302] * 5
    # The flooder's sixth number gets the form again with an error, and no SMS.
    assert all(a.status_code == 200 for a in answers[5:])
    assert len(LogBackend.outbox) == 5
    # A villager behind the same proxy, from another address, is served.
    neighbour = Client(**_via_proxy("198.51.100.20"))
    response = neighbour.post(reverse("account_request_login_code"), {"phone": "13800000011"})
    assert response.status_code == 302
    assert LogBackend.outbox[-1][0] == "+8613800000011"


def test_one_number_flooded_from_many_addresses_is_still_limited(villager, tight_limits):
    LogBackend.outbox.clear()
    statuses = [
        Client(**_via_proxy(f"203.0.113.{n}"))
        .post(reverse("account_request_login_code"), {"phone": "13800000011"})
        .status_code
        for n in range(1, 6)
    ]
    assert statuses == [302, 200, 200, 200, 200]
    assert len(LogBackend.outbox) == 1


def test_code_tries_are_limited_per_number_over_all_codes(villager, tight_limits, settings):
    """Three wrong tries spend a code; asking for new codes does not give unlimited tries."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "request_login_code": None}
    LogBackend.outbox.clear()
    for n in range(3):
        client = Client(**_via_proxy(f"203.0.113.{n + 1}"))
        client.post(reverse("account_request_login_code"), {"phone": "13800000011"})
        code = _last_code("+8613800000011")
        wrong = "000000" if code != "000000" else "111111"
        client.post(reverse("account_confirm_login_code"), {"code": wrong})
        client.post(reverse("account_confirm_login_code"), {"code": wrong})
    # Six tries used, four allowed in the hour: the right code of a fresh request is refused.
    client = Client(**_via_proxy("203.0.113.99"))
    client.post(reverse("account_request_login_code"), {"phone": "13800000011"})
    response = client.post(
        reverse("account_confirm_login_code"), {"code": _last_code("+8613800000011")}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200
    assert "Too many tries" in response.content.decode() or "尝试次数过多" in (
        response.content.decode()
    )


def test_resend_counts_against_the_number(villager, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "request_login_code": "1/m/key",
    }
    LogBackend.outbox.clear()
    client = Client()
    client.post(reverse("account_request_login_code"), {"phone": "13800000011"})
    response = client.post(reverse("account_confirm_login_code"), {"action": "resend"}, follow=True)
    assert len(LogBackend.outbox) == 1  # the resend within the minute sent nothing
    assert response.status_code == 200
    assert response.context["messages"]


def test_admin_login_is_throttled(db, behind_proxy, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "admin_login": "3/5m/key"}
    UserFactory(username="shujun", is_staff=True)
    statuses = []
    for n in range(5):
        client = Client(**_via_proxy(f"203.0.113.{n + 1}"))
        response = client.post(
            reverse("admin:login"), {"username": "shujun", "password": f"guess{n}"}
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429, 429]
    # Even the right password is refused while the limit holds.
    client = Client(**_via_proxy("203.0.113.50"))
    response = client.post(reverse("admin:login"), {"username": "shujun", "password": "pw"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_login_works_within_the_limit(db):
    UserFactory(username="operator1", is_staff=True, is_superuser=True)
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "operator1", "password": "pw"})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_rate_limited_step_answers_a_clear_429_not_a_500(db):
    """Found on the production stack: a second password sign-in within 30 s of a staff user
    whose phone is unverified raised allauth's RateLimited (phone verification)."""
    UserFactory(username="cadre1", phone="+8613800000001", phone_verified=False, is_staff=True)
    for _ in range(2):
        client = Client(raise_request_exception=False)
        response = client.post(reverse("account_login"), {"login": "cadre1", "password": "pw"})
        assert response.status_code in (200, 302, 429)
    response = Client(raise_request_exception=False).post(
        reverse("account_login"), {"login": "cadre1", "password": "pw"}
    )
    assert response.status_code != 500


def test_the_429_page_is_a_page(db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "admin_login": "1/5m/key"}
    client = Client()
    client.post(reverse("admin:login"), {"username": "x", "password": "y"})
    response = client.post(reverse("admin:login"), {"username": "x", "password": "y"})
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert "请稍候" in response.content.decode()


# --- landing by role ------------------------------------------------------------------------


def test_landings_follow_the_documented_precedence():
    names = [name for _, name in landings()]
    assert names.index("operator") < names.index("village staff") < names.index("bank staff")
    assert names.index("bank staff") < names.index("villager")


def test_each_role_lands_on_its_work(db):
    here = VillageFactory(slug="youyi")
    villager_user = member(here)
    cadre = member(here, Role.SECRETARY)
    accountant = member(here, Role.ACCOUNTANT)
    finance = member(here, Role.FINANCE_GROUP)
    branch = BranchFactory(villages=[here])
    bank = officer(branch)
    operator = UserFactory(is_staff=True, is_superuser=True)
    assert landing_url(villager_user) == "/v/youyi/me/"
    assert landing_url(finance) == "/v/youyi/me/"
    assert landing_url(cadre) == "/v/youyi/work/"
    assert landing_url(accountant) == "/v/youyi/work/"
    assert landing_url(bank) == f"/bank/{branch.pk}/"
    assert landing_url(operator) == "/admin/"
    assert landing_url(UserFactory()) == "/"


def test_sign_in_lands_by_role_unless_next_is_given(db):
    here = VillageFactory(slug="youyi")
    cadre = member(here, Role.CADRE, username="cadre1")
    response = Client().post(reverse("account_login"), {"login": "cadre1", "password": "pw"})
    assert response["Location"] == "/v/youyi/work/"
    response = Client().post(
        reverse("account_login"), {"login": "cadre1", "password": "pw", "next": "/v/youyi/talks/"}
    )
    assert response["Location"] == "/v/youyi/talks/"
    assert cadre.is_staff


def test_villager_lands_on_household_page_with_no_stale_messages(villager):
    LogBackend.outbox.clear()
    client = Client()
    client.post(reverse("account_request_login_code"), {"phone": "138 0000 0011"})
    response = client.post(
        reverse("account_confirm_login_code"),
        {"code": _last_code("+8613800000011")},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/v/youyi/me/"
    assert response.status_code == 200
    assert list(response.context["messages"]) == []


# --- the cadre work page --------------------------------------------------------------------


def test_cadre_work_page_counts_what_waits(db, django_assert_max_num_queries):
    from points.services import claim_submit
    from talks.services import topic_raise
    from tests.points.factories import RuleFactory

    here = VillageFactory(slug="youyi")
    cadre = member(here, Role.SECRETARY)
    villager_user = member(here)
    rule = RuleFactory(village=here, points=8)
    household = villager_user.resident.household
    for _ in range(2):
        claim_submit(actor=villager_user, household=household, rule=rule)
    topic_raise(
        actor=villager_user, village=here, title="水渠坏了", text="二组水渠漏水", category="other"
    )
    client = Client()
    client.force_login(cadre)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("cadre_work", args=["youyi"]))
    assert response.status_code == 200
    waiting = {str(item["label"]): item["count"] for item in response.context["waiting"]}
    assert waiting["待审核的积分申请"] == 2
    assert waiting["等待正式答复的事项"] == 1
    client.force_login(villager_user)
    assert client.get(reverse("cadre_work", args=["youyi"])).status_code == 404


# --- the pages ------------------------------------------------------------------------------


def test_login_page_is_phone_first(db):
    page = Client().get(reverse("account_login")).content.decode()
    assert 'name="phone"' in page and 'type="tel"' in page
    assert 'name="password"' not in page
    assert "method=password" in page
    assert reverse("account_signup") not in page  # sign-up is closed: no dead-end link
    assert "验证码" in page and "代码" not in page.replace("验证码", "")
    staff = Client().get(reverse("account_login") + "?method=password").content.decode()
    assert 'name="password"' in staff and 'autocomplete="username"' in staff
    assert "email" not in staff


def test_code_page_brings_up_the_digit_keyboard(villager):
    client = Client()
    client.post(reverse("account_request_login_code"), {"phone": "13800000011"})
    page = client.get(reverse("account_confirm_login_code")).content.decode()
    assert 'inputmode="numeric"' in page
    assert 'autocomplete="one-time-code"' in page
    assert 'name="action" value="resend"' in page
    assert "+86138****0011" in page
    assert 'data-wait="' in page


def test_full_width_digits_are_accepted_as_the_code(villager):
    LogBackend.outbox.clear()
    client = Client()
    client.post(reverse("account_request_login_code"), {"phone": "13800000011"})
    code = _last_code("+8613800000011")
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)
    client.post(reverse("account_confirm_login_code"), {"code": f" {wide} "})
    assert "_auth_user_id" in client.session


def test_a_malformed_number_gets_a_clear_error_and_no_sms(db):
    LogBackend.outbox.clear()
    for junk in ("12ab", "1" * 40, "١٣٨٠٠٠٠٠٠١١", "", "+0 123"):
        response = Client().post(reverse("account_request_login_code"), {"phone": junk})
        assert response.status_code == 200
        assert response.context["form"].errors
    assert LogBackend.outbox == []


# --- sessions -------------------------------------------------------------------------------


def test_staff_sessions_expire_after_twelve_idle_hours_villagers_stay(db):
    here = VillageFactory(slug="youyi")
    cadre = member(here, Role.CADRE)
    villager_user = member(here)
    client = Client()
    client.force_login(cadre)
    client.get(reverse("village_home", args=["youyi"]))
    assert client.session.get_expiry_age() == 12 * 3600
    client = Client()
    client.force_login(villager_user)
    client.get(reverse("village_home", args=["youyi"]))
    assert client.session.get_expiry_age() == 60 * 24 * 3600


# --- the demo password ----------------------------------------------------------------------


def test_seed_demo_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", verbosity=0)
    assert not get_user_model().objects.filter(username="shujun").exists()


def test_the_compose_stack_trusts_two_proxies():
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).parents[2] / "docker-compose.yml").read_text())
    assert compose["services"]["web"]["environment"]["TRUSTED_PROXY_COUNT"].endswith(":-2}")


def test_accounts_of_numbers_that_never_signed_in_are_pruned(db):
    from datetime import timedelta

    from django.utils import timezone

    from villageaffairs.services import unregistered_accounts_prune, user_for_unregistered_phone

    User = get_user_model()
    old = timezone.now() - timedelta(days=3)
    never = user_for_unregistered_phone(phone="+8613900000001")
    signed_in = user_for_unregistered_phone(phone="+8613900000002")
    fresh = user_for_unregistered_phone(phone="+8613900000003")
    User.objects.filter(pk__in=[never.pk, signed_in.pk]).update(date_joined=old)
    User.objects.filter(pk=signed_in.pk).update(last_login=old, phone_verified=True)
    villager_user = member(VillageFactory(), phone="+8613900000004")
    User.objects.filter(pk=villager_user.pk).update(date_joined=old)

    assert unregistered_accounts_prune() == 1
    assert set(User.objects.values_list("pk", flat=True)) >= {
        signed_in.pk,
        fresh.pk,
        villager_user.pk,
    }
    assert not User.objects.filter(pk=never.pk).exists()


def test_the_wechat_link_shows_only_when_wechat_sign_in_is_on(db, settings):
    assert "/accounts/weixin/login/" not in Client().get(reverse("account_login")).content.decode()
    settings.WECHAT_LOGIN_ENABLED = True
    page = Client().get(reverse("account_login") + "?next=/v/youyi/").content.decode()
    assert "/accounts/weixin/login/?next=/v/youyi/" in page


def test_sign_in_codes_never_go_through_the_outbox_nor_out_late(villager):
    """A code is sent while the villager waits, or not at all: a failed send is not kept for
    the sweep (it would arrive after it expired), and no code is ever written to the outbox."""
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    from villageaffairs import outbox
    from villageaffairs.models import Outbox
    from villageaffairs.sms import SmsError

    LogBackend.outbox.clear()
    down = mock.patch.object(LogBackend, "send", side_effect=SmsError(SmsError.UNAVAILABLE))
    with down:
        response = Client().post(reverse("account_request_login_code"), {"phone": "13800000011"})
    assert response.status_code == 302  # back to the form, with the provider's message
    assert not Outbox.objects.exists()
    assert outbox.sweep(now=timezone.now() + timedelta(hours=1)) == 0
    assert LogBackend.outbox == []

    other = ResidentFactory(
        household=villager.household, village=villager.village, phone="+8613800000012"
    )
    Client().post(reverse("account_request_login_code"), {"phone": "13800000012"})
    assert _last_code(other.phone)  # sent at once, synchronously
    assert not Outbox.objects.exists()
    assert "code" not in str(list(Outbox.objects.values_list("args", flat=True)))


def test_a_code_is_good_once_for_its_own_number_and_not_after_it_expires(villager, settings):
    ResidentFactory(
        household=villager.household,
        village=villager.village,
        phone="+8613800000012",
        phone_owner=True,
    )
    LogBackend.outbox.clear()
    # A code sent to another number does not sign this one in.
    mine, theirs = Client(), Client()
    mine.post(reverse("account_request_login_code"), {"phone": "13800000011"})
    theirs.post(reverse("account_request_login_code"), {"phone": "13800000012"})
    mine.post(reverse("account_confirm_login_code"), {"code": _last_code("+8613800000012")})
    if _last_code("+8613800000012") != _last_code("+8613800000011"):
        assert "_auth_user_id" not in mine.session
    # Used once, a code cannot be used again in another session.
    code = _last_code("+8613800000011")
    mine.post(reverse("account_confirm_login_code"), {"code": code})
    assert "_auth_user_id" in mine.session
    again = Client()
    response = again.post(reverse("account_confirm_login_code"), {"code": code})
    assert "_auth_user_id" not in again.session
    assert response.status_code == 302  # no code pending here: back to the number form
    # An expired code is refused even when right.
    settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 0
    late = Client()
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "request_login_code": None}
    late.post(reverse("account_request_login_code"), {"phone": "13800000012"})
    late.post(reverse("account_confirm_login_code"), {"code": _last_code("+8613800000012")})
    assert "_auth_user_id" not in late.session
