import pytest
from django.urls import reverse

from tests.core.admin_forms import form_data
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


# Complete forms, as a browser posts them (inline formsets' management data included), read
# from the rendered admin page: without the scoping these posts would succeed.


def _page_data(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return form_data(response.content.decode())


def _change_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def furnished(people, households):
    """Both households with a resident each (so the change forms carry an inline row)."""
    mine, theirs = households
    ResidentFactory(household=mine, village=people.here, name="本村人")
    ResidentFactory(household=theirs, village=people.elsewhere, name="外村人")
    return mine, theirs


def test_a_complete_change_form_of_ones_own_household_is_saved(client, people, furnished):
    """The control: the same kind of post the next test makes does change an own object."""
    mine, _theirs = furnished
    client.force_login(people.cadre_here)
    data = _page_data(client, _change_url(mine))
    data["house_number"] = "H-009"
    response = client.post(_change_url(mine), data)
    assert response.status_code == 302, response.content.decode()[:1000]
    mine.refresh_from_db()
    assert mine.house_number == "H-009"


def test_a_complete_change_form_of_another_villages_household_changes_nothing(
    client, people, furnished
):
    _mine, theirs = furnished
    client.force_login(people.operator)
    data = _page_data(client, _change_url(theirs))
    assert data["residents-TOTAL_FORMS"] == "1" and data["residents-0-name"] == "外村人"
    data.update({"house_number": "X-1", "residents-0-name": "改名"})
    for village in (people.elsewhere, people.here):
        client.force_login(people.cadre_here)
        response = client.post(_change_url(theirs), {**data, "village": village.pk})
        # The admin answers an object outside the cadre's queryset as if it did not exist.
        assert response.status_code in (302, 404)
        if response.status_code == 302:
            assert response["Location"] == reverse("admin:index")
        theirs.refresh_from_db()
        assert theirs.house_number == "E-001" and theirs.village == people.elsewhere
        assert theirs.residents.get().name == "外村人"
    assert not AuditEntry.objects.filter(object_id=str(theirs.pk)).exists()


def test_a_cadre_cannot_move_an_own_household_to_another_village(client, people, furnished):
    mine, _theirs = furnished
    client.force_login(people.cadre_here)
    data = _page_data(client, _change_url(mine))
    response = client.post(_change_url(mine), {**data, "village": people.elsewhere.pk})
    assert response.status_code == 200  # the form again, with the error
    assert "village" in response.context["adminform"].form.errors
    mine.refresh_from_db()
    assert mine.village == people.here


def test_an_inline_row_cannot_take_another_villages_resident(client, people, furnished):
    mine, theirs = furnished
    stranger = theirs.residents.get()
    client.force_login(people.operator)  # the page with its inline rows
    data = _page_data(client, _change_url(mine))
    data.update({"residents-0-id": stranger.pk, "residents-0-name": "偷来的"})
    client.force_login(people.cadre_here)
    client.post(_change_url(mine), data)
    stranger.refresh_from_db()
    assert stranger.name == "外村人" and stranger.household == theirs


def test_a_complete_add_form_cannot_pick_another_village(client, people):
    add_url = reverse("admin:villageaffairs_household_add")
    client.force_login(people.cadre_here)
    data = _page_data(client, add_url)
    response = client.post(add_url, {**data, "village": people.elsewhere.pk, "house_number": "S"})
    assert response.status_code == 200
    assert "village" in response.context["adminform"].form.errors
    assert not Household.objects.filter(house_number="S").exists()
    # The control: the same form for the own village is saved.
    response = client.post(add_url, {**data, "village": people.here.pk, "house_number": "S"})
    assert response.status_code == 302
    assert Household.objects.get(house_number="S").village == people.here


def test_a_resident_cannot_be_added_to_another_villages_household(client, people, households):
    mine, theirs = households
    add_url = reverse("admin:villageaffairs_resident_add")
    client.force_login(people.cadre_here)
    data = _page_data(client, add_url)
    response = client.post(add_url, {**data, "household": theirs.pk, "name": "潜入者"})
    assert response.status_code == 200
    assert "household" in response.context["adminform"].form.errors
    assert not theirs.residents.exists()
    response = client.post(add_url, {**data, "household": mine.pk, "name": "新人"})
    assert response.status_code == 302
    assert mine.residents.get(name="新人").village == people.here
