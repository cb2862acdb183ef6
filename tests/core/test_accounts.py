import pytest
from django.urls import reverse

from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory
from villageaffairs.models import Role, RoleAssignment
from villageaffairs.sms import LogBackend


def _last_code(phone):
    for sent in reversed(LogBackend.outbox):
        if sent.phone == phone and sent.template == "login_code":
            return sent.params["code"]
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


def test_unregistered_mainland_number_gets_a_code_and_an_account_without_role(client, db):
    from django.contrib.auth import get_user_model

    LogBackend.outbox.clear()
    response = client.post(reverse("account_request_login_code"), {"phone": "13900000099"})
    # Known and unknown numbers get the same answer: a code, and the code page.
    assert response.status_code == 302
    code = _last_code("+8613900000099")
    client.post(reverse("account_confirm_login_code"), {"code": code})
    user = get_user_model().objects.get(phone="+8613900000099")
    assert client.session["_auth_user_id"] == str(user.pk)
    # Signed in, but no village role until a village confirms the person.
    assert not user.village_roles.exists()
    assert not user.is_staff


def test_unknown_foreign_number_gets_the_same_answer_but_no_sms(client, db):
    from django.contrib.auth import get_user_model

    LogBackend.outbox.clear()
    response = client.post(reverse("account_request_login_code"), {"phone": "+44 7700 900123"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_confirm_login_code"))
    assert LogBackend.outbox == []
    assert not get_user_model().objects.filter(phone="+447700900123").exists()


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
    for _ in range(3):
        response = Client().post(reverse("account_request_login_code"), {"phone": "13800000011"})
        outcomes.append(response.status_code)
    assert outcomes == [302, 200, 200]  # one code a minute; then the form with an error
    assert len([e for e in LogBackend.outbox if e[0] == "+8613800000011"]) == 1


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
