import pytest
from django.urls import reverse

from tests.factories import HouseholdFactory, ResidentFactory
from villageaffairs.models import AuditEntry, Household


@pytest.fixture
def households(people):
    return (
        HouseholdFactory(village=people.here, name="本村户", house_number="H-001"),
        HouseholdFactory(village=people.elsewhere, name="外村户", house_number="E-001"),
    )


def test_cadre_lists_only_own_villages_households(client, people, households):
    client.force_login(people.cadre_here)
    body = client.get(reverse("admin:villageaffairs_household_changelist")).content.decode()
    assert "本村户" in body and "外村户" not in body


def test_cadre_cannot_open_or_change_another_villages_household(client, people, households):
    mine, theirs = households
    client.force_login(people.cadre_here)
    change_url = reverse("admin:villageaffairs_household_change", args=[theirs.pk])
    response = client.get(change_url)
    assert response.status_code in (302, 404)  # Django admin redirects to the index
    assert "外村户" not in client.get(change_url, follow=True).content.decode()
    response = client.post(change_url, {"village": people.here.pk, "house_number": "X-1"})
    theirs.refresh_from_db()
    assert theirs.house_number == "E-001"


def test_cadre_form_offers_only_own_village(client, people, households):
    client.force_login(people.cadre_here)
    body = client.get(reverse("admin:villageaffairs_household_add")).content.decode()
    assert f'value="{people.here.pk}"' in body
    assert f'value="{people.elsewhere.pk}"' not in body


def test_cadre_cannot_add_a_household_to_another_village(client, people):
    client.force_login(people.cadre_here)
    client.post(
        reverse("admin:villageaffairs_household_add"),
        {
            "village": people.elsewhere.pk,
            "house_number": "SNEAK",
            "villager_group": "",
            "residents-TOTAL_FORMS": "0",
            "residents-INITIAL_FORMS": "0",
        },
    )
    assert not Household.objects.filter(house_number="SNEAK").exists()


def test_bulk_action_touches_only_own_village(client, people, households):
    mine, theirs = households
    old_mine, old_theirs = mine.code, theirs.code
    client.force_login(people.cadre_here)
    client.post(
        reverse("admin:villageaffairs_household_changelist"),
        {"action": "reissue_code", "_selected_action": [mine.pk, theirs.pk]},
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.code != old_mine
    assert theirs.code == old_theirs


def test_admin_changes_are_audited(client, people, households):
    mine, _ = households
    client.force_login(people.cadre_here)
    response = client.post(
        reverse("admin:villageaffairs_household_change", args=[mine.pk]),
        {
            "village": people.here.pk,
            "house_number": "H-002",
            "villager_group": "2组",
            "head": "",
            "residents-TOTAL_FORMS": "0",
            "residents-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="household.change", object_id=str(mine.pk))
    assert entry.actor == people.cadre_here
    assert entry.village == people.here
    assert entry.changes["house_number"] == ["H-001", "H-002"]


def test_villager_cannot_enter_the_admin(client, people):
    client.force_login(people.villager_here)
    response = client.get(reverse("admin:villageaffairs_household_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_cadre_does_not_see_platform_objects(client, people):
    client.force_login(people.cadre_here)
    body = client.get(reverse("admin:index")).content.decode()
    assert "/admin/villageaffairs/household/" in body
    assert "/admin/villageaffairs/village/" not in body
    assert client.get(reverse("admin:villageaffairs_village_changelist")).status_code == 403


def test_residents_admin_scoped(client, people):
    ResidentFactory(household=HouseholdFactory(village=people.elsewhere), name="外村人")
    client.force_login(people.cadre_here)
    body = client.get(reverse("admin:villageaffairs_resident_changelist")).content.decode()
    assert "外村人" not in body
