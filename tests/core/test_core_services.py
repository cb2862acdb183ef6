import pytest
from django.core.exceptions import ValidationError

from tests.factories import HouseholdFactory, UserFactory, VillageFactory
from villageaffairs import services
from villageaffairs.models import AuditEntry
from villageaffairs.phones import normalize_phone


@pytest.mark.parametrize(
    "raw",
    ["13800138000", "138 0013 8000", "+86 138-0013-8000", "008613800138000", "(138)00138000"],
)
def test_phone_numbers_are_normalised(raw):
    assert normalize_phone(raw) == "+8613800138000"


@pytest.mark.parametrize("raw", ["", "12345", "abc", "2380013800"])
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_reissuing_a_code_retires_the_old_sign_and_is_audited(client, db):
    household = HouseholdFactory()
    cadre = UserFactory()
    old = household.code
    new = services.household_reissue_code(actor=cadre, household=household)
    assert new != old
    assert client.get(f"/h/{old}/").status_code == 404
    assert client.get(f"/h/{new}/").status_code == 200
    entry = AuditEntry.objects.get(action="household.reissue_code")
    assert entry.actor == cadre and entry.village == household.village
    assert old not in str(entry.changes)  # the full old code is not kept in the trail


def test_household_create_with_head(db):
    village = VillageFactory()
    household = services.household_create(
        actor=None,
        village=village,
        house_number="017",
        head_name="谢启富",
        head_phone="13800000011",
    )
    assert household.head.name == "谢启富"
    assert household.head.phone == "+8613800000011"
    assert household.head.is_head
    assert household.head.village == village


def test_role_assign_gives_cadres_the_admin_and_is_idempotent(db):
    village, user = VillageFactory(), UserFactory()
    services.role_assign(actor=None, user=user, village=village, role="cadre")
    services.role_assign(actor=None, user=user, village=village, role="cadre")
    user.refresh_from_db()
    assert user.is_staff
    assert user.village_roles.count() == 1
    assert AuditEntry.objects.filter(action="role.assign").count() == 1
