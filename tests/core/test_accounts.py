import re

import pytest
from django.urls import reverse

from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory
from villageaffairs.models import Role, RoleAssignment
from villageaffairs.sms import LogBackend


def _last_code(phone):
    for to, text in reversed(LogBackend.outbox):
        if to == phone:
            return re.search(r"(\d{6})", text).group(1)
    raise AssertionError(f"no SMS sent to {phone}")


@pytest.fixture
def registered_resident(db):
    """A resident the village registered with a phone, who has never signed in."""
    village = VillageFactory(slug="youyi")
    household = HouseholdFactory(village=village)
    return ResidentFactory(
        household=household,
        village=village,
        name="谢启富",
        phone="+8613800000011",
        phone_owner=True,
    )


def test_villager_signs_in_with_phone_and_sms_code(client, registered_resident):
    LogBackend.outbox.clear()
    response = client.post(reverse("account_request_login_code"), {"phone": "138 0000 0011"})
    assert response.status_code == 302
    code = _last_code("+8613800000011")

    response = client.post(reverse("account_confirm_login_code"), {"code": code}, follow=True)
    assert response.status_code == 200
    user = response.context["user"]
    assert user.is_authenticated
    assert user.phone == "+8613800000011"
    registered_resident.refresh_from_db()
    # The account was created for the registered resident and linked, with the villager role.
    assert registered_resident.user == user
    assert RoleAssignment.objects.filter(
        user=user, village=registered_resident.village, role=Role.VILLAGER
    ).exists()
    # Their own household page is now open to them.
    assert client.get(reverse("my_household", args=["youyi"])).status_code == 200


def test_unregistered_phone_gets_no_account(client, db):
    LogBackend.outbox.clear()
    client.post(reverse("account_request_login_code"), {"phone": "13900000099"})
    # Enumeration is prevented: the form looks the same, but the SMS says the number is unknown.
    assert LogBackend.outbox[-1][0] == "+8613900000099"
    assert "not registered" in LogBackend.outbox[-1][1] or "尚未登记" in LogBackend.outbox[-1][1]
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(phone="+8613900000099").exists()


def test_a_phone_number_that_is_not_one_is_refused(client, db):
    LogBackend.outbox.clear()
    response = client.post(reverse("account_request_login_code"), {"phone": "12ab"})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert LogBackend.outbox == []


def test_repeated_wrong_codes_are_rate_limited(client, registered_resident, settings):
    LogBackend.outbox.clear()
    client.post(reverse("account_request_login_code"), {"phone": "13800000011"})
    code = _last_code("+8613800000011")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        client.post(reverse("account_confirm_login_code"), {"code": wrong})
    # After the allowed attempts the code is spent: even the right code no longer signs in.
    response = client.post(reverse("account_confirm_login_code"), {"code": code}, follow=True)
    assert not response.context["user"].is_authenticated


def test_asking_for_code_after_code_is_throttled_per_phone(registered_resident):
    """Each request from a fresh session (as a script would do): the phone's limit holds,
    because it is counted in the shared cache, not in the session."""
    from django.test import Client

    LogBackend.outbox.clear()
    outcomes = []
    for _ in range(5):
        response = Client().post(reverse("account_request_login_code"), {"phone": "13800000011"})
        outcomes.append(response.status_code)
    assert outcomes[:3] == [302, 302, 302]
    assert outcomes[3:] == [200, 200]  # the form is shown again with an error
    assert len([to for to, _ in LogBackend.outbox if to == "+8613800000011"]) == 3


def test_staff_sign_in_with_username_and_password(client, db):
    from tests.factories import UserFactory

    UserFactory(username="shujun")
    response = client.post(
        reverse("account_login"), {"login": "shujun", "password": "pw"}, follow=True
    )
    assert response.context["user"].is_authenticated
    client.logout()
    response = client.post(reverse("account_login"), {"login": "shujun", "password": "nope"})
    assert not response.wsgi_request.user.is_authenticated
