"""Phones in E.164 form, one owner per number, role grants that give and take the admin."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import HouseholdFactory, ResidentFactory, UserFactory, VillageFactory, member
from tests.loans.factories import BranchFactory, officer
from villageaffairs import services
from villageaffairs.models import AuditEntry, Resident, Role, RoleAssignment, User


@pytest.fixture
def village(db):
    return VillageFactory(slug="youyi")


def test_a_user_phone_typed_with_spaces_is_stored_in_e164(db):
    user = UserFactory(phone="138 0000 0001")
    user.full_clean()
    assert user.phone == "+8613800000001"


def test_a_user_phone_that_is_no_number_is_refused(db):
    user = UserFactory(phone="12ab")
    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert "phone" in error.value.message_dict


def test_a_resident_phone_is_normalised_in_clean(village):
    resident = ResidentFactory(household=HouseholdFactory(village=village), phone="138-0000-0011")
    resident.full_clean()
    assert resident.phone == "+8613800000011"


def test_sign_in_with_a_number_a_user_has_is_that_user(village):
    """The secretary's number was typed in the admin; SMS sign-in finds that account."""
    secretary = member(village, Role.SECRETARY, phone="+8613800000001")
    ResidentFactory(
        household=HouseholdFactory(village=village), phone="+8613800000001", phone_owner=True
    )
    before = User.objects.count()
    assert services.user_for_phone(phone="+8613800000001") == secretary
    assert User.objects.count() == before


def test_a_shared_number_signs_in_as_its_owner_only(village):
    household = HouseholdFactory(village=village)
    ResidentFactory(household=household, name="父亲", phone="+8613800000011")
    owner = ResidentFactory(
        household=household, name="女儿", phone="+8613800000011", phone_owner=True
    )
    user = services.user_for_phone(phone="+8613800000011")
    owner.refresh_from_db()
    assert owner.user == user and user.display_name == "女儿"
    assert Resident.objects.filter(user=user).count() == 1
    assert RoleAssignment.objects.filter(user=user, village=village, role=Role.VILLAGER).exists()


def test_a_number_no_resident_owns_gets_no_account(village):
    ResidentFactory(household=HouseholdFactory(village=village), phone="+8613800000011")
    assert services.user_for_phone(phone="+8613800000011") is None
    assert not User.objects.filter(phone="+8613800000011").exists()


def test_an_owner_already_linked_signs_in_as_the_linked_account(village):
    user = member(village)  # linked resident, no phone on the account
    Resident.objects.filter(user=user).update(phone="+8613800000011", phone_owner=True)
    assert services.user_for_phone(phone="+8613800000011") == user


def test_at_most_one_resident_owns_a_number(village):
    household = HouseholdFactory(village=village)
    ResidentFactory(household=household, phone="+8613800000011", phone_owner=True)
    other = ResidentFactory.build(
        household=household, village=village, phone="+8613800000011", phone_owner=True
    )
    with pytest.raises(ValidationError):
        other.validate_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentFactory(household=household, phone="+8613800000011", phone_owner=True)


def test_a_new_number_ends_the_account_link_and_the_villager_role(village):
    user = member(village, phone="+8613800000011")
    resident = Resident.objects.get(user=user)
    cadre = member(village, Role.CADRE)
    services.resident_update(actor=cadre, resident=resident, phone="139 0000 0022")
    resident.refresh_from_db()
    assert resident.phone == "+8613900000022"
    assert resident.user is None
    assert not RoleAssignment.objects.filter(user=user, village=village).exists()
    entry = AuditEntry.objects.get(action="resident.unlink")
    assert entry.actor == cadre and entry.changes["user"] == [user.pk, None]
    change = AuditEntry.objects.get(action="resident.change")
    assert change.changes["phone"] == ["", "+8613900000022"]


def test_a_recycled_number_does_not_open_the_old_account(village):
    """The account gives the old number up, so its next holder signs in as a stranger."""
    from villageaffairs.services import user_for_phone

    user = member(village, phone="+8613800000011")
    resident = Resident.objects.get(user=user)
    Resident.objects.filter(pk=resident.pk).update(phone="+8613800000011", phone_owner=True)
    resident.refresh_from_db()
    services.resident_update(actor=None, resident=resident, phone="13900000022")
    user.refresh_from_db()
    assert user.phone is None
    assert AuditEntry.objects.filter(action="account.release_phone", object_id=str(user.pk))
    assert user_for_phone(phone="+8613800000011") is None  # nobody owns it now
    # The resident signs in with the new number and gets an account of their own again.
    assert user_for_phone(phone="+8613900000022").resident == resident


def test_other_changes_keep_the_account_link(village):
    user = member(village)
    resident = Resident.objects.get(user=user)
    services.resident_update(actor=None, resident=resident, name="新名字")
    resident.refresh_from_db()
    assert resident.user == user
    assert RoleAssignment.objects.filter(user=user, village=village).exists()


def test_granting_a_cadre_role_gives_staff_and_removing_the_last_takes_it(village):
    user = member(village)
    services.role_assign(actor=None, user=user, village=village, role=Role.CADRE)
    services.role_assign(actor=None, user=user, village=village, role=Role.ACCOUNTANT)
    user.refresh_from_db()
    assert user.is_staff
    services.role_revoke(actor=None, user=user, village=village, role=Role.CADRE)
    user.refresh_from_db()
    assert user.is_staff  # still the accountant
    services.role_revoke(actor=None, user=user, village=village, role=Role.ACCOUNTANT)
    user.refresh_from_db()
    assert not user.is_staff
    assert AuditEntry.objects.filter(action="user.staff").count() == 2


def test_villager_and_finance_group_roles_give_no_staff(village):
    user = member(village)
    services.role_assign(actor=None, user=user, village=village, role=Role.FINANCE_GROUP)
    user.refresh_from_db()
    assert not user.is_staff


def test_an_operator_keeps_staff_when_losing_a_role(village):
    operator = UserFactory(is_staff=True, is_superuser=True)
    services.role_assign(actor=None, user=operator, village=village, role=Role.CADRE)
    services.role_revoke(actor=None, user=operator, village=village, role=Role.CADRE)
    operator.refresh_from_db()
    assert operator.is_staff


def test_a_bank_officer_needs_no_staff_for_the_bank_pages(village):
    """Bank staff work on /bank/, not in the admin, so losing a village role takes staff."""
    user = officer(BranchFactory(villages=[village]))
    services.role_assign(actor=None, user=user, village=village, role=Role.CADRE)
    services.role_revoke(actor=None, user=user, village=village, role=Role.CADRE)
    user.refresh_from_db()
    assert not user.is_staff


def test_demo_residents_with_phones_own_their_numbers(db):
    from villageaffairs.demo import seed

    seed()
    with_phone = Resident.objects.exclude(phone="")
    assert with_phone.exists()
    assert not with_phone.filter(phone_owner=False).exists()
    assert services.user_for_phone(phone="+8613800000011").username == "xieqifu"
