"""The scoped admin keeps the register whole: heads from their household, accounts linked only
to the village's villagers, numbers and roles through the services, every change audited."""

import pytest
from django.urls import reverse

from tests.core.admin_forms import admin_form_data
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory, member
from tests.loans.factories import BranchFactory, officer
from villageaffairs.models import (
    AuditEntry,
    Household,
    Region,
    Resident,
    Role,
    RoleAssignment,
    User,
    Village,
)


def _change(model, obj):
    return reverse(f"admin:villageaffairs_{model}_change", args=[obj.pk])


@pytest.fixture
def family(people):
    """A household of the village under test with two residents, and a neighbour's."""
    household = HouseholdFactory(village=people.here, house_number="H-100")
    father = ResidentFactory(household=household, name="父亲", phone="+8613800000031")
    daughter = ResidentFactory(household=household, name="女儿")
    household.head = father
    household.name = father.name
    household.save()
    neighbour = ResidentFactory(household=HouseholdFactory(village=people.here), name="邻居")
    return household, father, daughter, neighbour


def _unlinked_villager(village, **kwargs):
    user = UserFactory(**kwargs)
    RoleAssignment.objects.create(user=user, village=village, role=Role.VILLAGER)
    return user


# Heads of households


def test_cadre_makes_a_resident_of_the_household_its_head(client, people, family):
    household, father, daughter, _ = family
    client.force_login(people.cadre_here)
    data = admin_form_data(client.get(_change("household", household)))
    data["head"] = daughter.pk
    response = client.post(_change("household", household), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    household.refresh_from_db()
    assert household.head == daughter and household.name == "女儿"


def test_cadre_cannot_make_a_neighbour_the_head(client, people, family):
    household, father, _, neighbour = family
    client.force_login(people.cadre_here)
    url = _change("household", household)
    data = admin_form_data(client.get(url))
    assert str(neighbour.pk) not in [
        str(value) for value, _ in response_choices(client.get(url), "head")
    ]
    data["head"] = neighbour.pk
    response = client.post(url, data)
    assert response.status_code == 200
    assert "head" in response.context["adminform"].form.errors
    household.refresh_from_db()
    assert household.head == father


def response_choices(response, field):
    return list(response.context["adminform"].form.fields[field].choices)


def test_the_household_form_refuses_a_foreign_head_even_if_offered(people, family):
    from villageaffairs.admin import HouseholdForm

    household, father, _, neighbour = family
    form = HouseholdForm(
        instance=household,
        data={"village": people.here.pk, "house_number": "H-100", "head": neighbour.pk},
    )
    form.fields["head"].queryset = Resident.objects.all()
    assert not form.is_valid() and "head" in form.errors


def test_the_head_cannot_be_moved_to_another_household(client, people, family):
    household, father, _, neighbour = family
    client.force_login(people.cadre_here)
    url = _change("resident", father)
    data = admin_form_data(client.get(url))
    data["household"] = neighbour.household_id
    response = client.post(url, data)
    assert response.status_code == 200
    father.refresh_from_db()
    assert father.household == household


# Linking accounts


@pytest.mark.parametrize(
    "who", ["cadre_here", "operator", "officer_serving", "villager_elsewhere", "staff"]
)
def test_cadre_cannot_link_a_resident_to_an_account_that_is_no_villager_here(
    client, people, family, who
):
    _, _, daughter, _ = family
    if who == "staff":
        account = _unlinked_villager(people.here, is_staff=True)
    elif who == "officer_serving":
        account = officer(BranchFactory(villages=[people.here]))
        RoleAssignment.objects.create(user=account, village=people.here, role=Role.VILLAGER)
    else:
        account = getattr(people, who)
        Resident.objects.filter(user=account).update(user=None)
    client.force_login(people.cadre_here)
    url = _change("resident", daughter)
    data = admin_form_data(client.get(url))
    data["user"] = account.pk
    response = client.post(url, data)
    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors
    daughter.refresh_from_db()
    assert daughter.user is None
    assert not AuditEntry.objects.filter(action="resident.change").exists()


def test_cadre_links_a_resident_to_a_villager_account_of_the_village(client, people, family):
    _, _, daughter, _ = family
    account = _unlinked_villager(people.here)
    client.force_login(people.cadre_here)
    url = _change("resident", daughter)
    data = admin_form_data(client.get(url))
    data["user"] = account.pk
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    daughter.refresh_from_db()
    assert daughter.user == account
    entry = AuditEntry.objects.get(action="resident.change", object_id=str(daughter.pk))
    assert entry.actor == people.cadre_here and entry.changes["user_id"] == [None, account.pk]


def test_cadre_keeps_an_existing_link_to_a_cadre_when_editing_other_fields(client, people):
    resident = Resident.objects.get(user=people.cadre_here)
    client.force_login(people.cadre_here)
    url = _change("resident", resident)
    data = admin_form_data(client.get(url))
    data["year_of_birth"] = "1966"
    assert client.post(url, data).status_code == 302
    resident.refresh_from_db()
    assert resident.user == people.cadre_here and resident.year_of_birth == 1966


# Phone numbers


def test_resident_phone_is_normalised_and_a_new_number_ends_the_link(client, people):
    villager = people.villager_here
    resident = Resident.objects.get(user=villager)
    client.force_login(people.cadre_here)
    url = _change("resident", resident)
    data = admin_form_data(client.get(url))
    data["phone"] = "139 0000 0077"
    data["phone_owner"] = "on"
    assert client.post(url, data).status_code == 302
    resident.refresh_from_db()
    assert resident.phone == "+8613900000077" and resident.phone_owner
    assert resident.user is None
    assert not RoleAssignment.objects.filter(user=villager, village=people.here).exists()
    assert AuditEntry.objects.filter(action="resident.unlink", actor=people.cadre_here).exists()


def test_a_new_number_in_the_household_inline_ends_the_link_too(client, people):
    villager = people.villager_here
    resident = Resident.objects.get(user=villager)
    household = resident.household
    client.force_login(people.cadre_here)
    url = _change("household", household)
    data = admin_form_data(client.get(url))
    index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == resident.pk)
    data[f"residents-{index}-phone"] = "+86 139-0000-0078"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"]
    resident.refresh_from_db()
    assert resident.phone == "+8613900000078" and resident.user is None
    assert not RoleAssignment.objects.filter(user=villager, village=people.here).exists()


def test_two_owners_of_one_number_are_refused_in_the_inline(client, people, family):
    household, father, daughter, _ = family
    Resident.objects.filter(pk=father.pk).update(phone_owner=True)
    client.force_login(people.cadre_here)
    url = _change("household", household)
    data = admin_form_data(client.get(url))
    index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == daughter.pk)
    data[f"residents-{index}-phone"] = "13800000031"
    data[f"residents-{index}-phone_owner"] = "on"
    assert client.post(url, data).status_code == 200
    daughter.refresh_from_db()
    assert daughter.phone == "" and not daughter.phone_owner


def test_operator_types_a_user_phone_with_spaces_and_it_is_stored_in_e164(client, people):
    secretary = member(people.here, Role.SECRETARY, username="secretary")
    client.force_login(people.operator)
    url = reverse("admin:villageaffairs_user_change", args=[secretary.pk])
    data = admin_form_data(client.get(url))
    data["phone"] = "138 0000 0001"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    secretary.refresh_from_db()
    assert secretary.phone == "+8613800000001"
    entry = AuditEntry.objects.get(action="user.change", object_id=str(secretary.pk))
    assert entry.actor == people.operator
    assert entry.changes["phone"] == [None, "+8613800000001"]


# Roles


def test_operator_grants_a_cadre_role_in_the_admin_and_the_user_gets_staff(client, people):
    villager = people.villager_here
    client.force_login(people.operator)
    response = client.post(
        reverse("admin:villageaffairs_roleassignment_add"),
        {"user": villager.pk, "village": people.here.pk, "role": Role.CADRE},
    )
    assert response.status_code == 302
    villager.refresh_from_db()
    assert villager.is_staff
    assignment = RoleAssignment.objects.get(user=villager, role=Role.CADRE)
    assert AuditEntry.objects.filter(
        action="role.assign", object_id=str(assignment.pk), actor=people.operator
    ).exists()

    response = client.post(
        reverse("admin:villageaffairs_roleassignment_delete", args=[assignment.pk]),
        {"post": "yes"},
    )
    assert response.status_code == 302
    villager.refresh_from_db()
    assert not villager.is_staff
    assert AuditEntry.objects.filter(action="role.revoke", actor=people.operator).exists()


def test_operator_grants_and_removes_roles_in_the_user_inline(client, people):
    villager = people.villager_here
    client.force_login(people.operator)
    url = reverse("admin:villageaffairs_user_change", args=[villager.pk])
    data = admin_form_data(client.get(url))
    total = int(data["village_roles-TOTAL_FORMS"])
    data.update(
        {
            "village_roles-TOTAL_FORMS": str(total + 1),
            f"village_roles-{total}-village": people.here.pk,
            f"village_roles-{total}-role": Role.SECRETARY,
            f"village_roles-{total}-user": villager.pk,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"]
    villager.refresh_from_db()
    assert villager.is_staff
    assert AuditEntry.objects.filter(action="role.assign", actor=people.operator).exists()

    data = admin_form_data(client.get(url))
    secretary = RoleAssignment.objects.get(user=villager, role=Role.SECRETARY)
    index = next(
        k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == secretary.pk
    )
    data[f"village_roles-{index}-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    villager.refresh_from_db()
    assert not villager.is_staff
    assert RoleAssignment.objects.filter(user=villager, role=Role.VILLAGER).exists()


# The audit trail


def test_user_changes_never_put_a_password_in_the_trail(client, people):
    client.force_login(people.operator)
    response = client.post(
        reverse("admin:villageaffairs_user_add"),
        {
            "username": "newcomer",
            "usable_password": "true",
            "password1": "a-Long-pass-1234",
            "password2": "a-Long-pass-1234",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    entry = AuditEntry.objects.get(action="user.add", object_id=str(user.pk))
    assert entry.actor == people.operator
    assert "password" not in str(entry.changes) and user.password not in str(entry.changes)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "b-Long-pass-5678", "password2": "b-Long-pass-5678"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    entry = AuditEntry.objects.get(action="user.password_change")
    assert entry.actor == people.operator and entry.changes == {}


def test_region_and_village_changes_are_audited(client, people):
    client.force_login(people.operator)
    county = Region.objects.create(name="广汉市", level="county")
    response = client.post(
        reverse("admin:villageaffairs_region_add"), {"name": "新镇", "level": "town"}
    )
    assert response.status_code == 200  # a town lies in a county
    assert not Region.objects.filter(name="新镇").exists()
    response = client.post(
        reverse("admin:villageaffairs_region_add"),
        {"name": "新镇", "level": "town", "parent": county.pk},
    )
    assert response.status_code == 302
    region = Region.objects.get(name="新镇")
    assert AuditEntry.objects.get(action="region.add", object_id=str(region.pk)).changes[
        "name"
    ] == ("新镇")

    url = _change("village", people.here)
    data = admin_form_data(client.get(url))
    data["name"] = "友谊新村"
    assert client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(action="village.change", object_id=str(people.here.pk))
    assert entry.changes == {"name": ["友谊村", "友谊新村"]}
    assert entry.actor == people.operator and entry.village == people.here

    response = client.post(
        reverse("admin:villageaffairs_region_delete", args=[region.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Region.objects.filter(pk=region.pk).exists()
    assert AuditEntry.objects.filter(action="region.delete", object_id=str(region.pk)).exists()


def test_household_inline_resident_changes_are_audited(client, people, family):
    household, father, daughter, _ = family
    client.force_login(people.cadre_here)
    url = _change("household", household)
    data = admin_form_data(client.get(url))
    index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == daughter.pk)
    data[f"residents-{index}-name"] = "小女儿"
    assert client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(action="resident.change", object_id=str(daughter.pk))
    assert entry.changes == {"name": ["女儿", "小女儿"]} and entry.actor == people.cadre_here
    assert Household.objects.get(pk=household.pk).head == father
    assert Village.objects.filter(pk=people.here.pk).exists()
