"""The scoped admin for region officials: they view the villages under their region, and
change nothing; operators appoint officials (villageaffairs.admin_scoping)."""

import pytest
from django.urls import reverse

from tests.factories import HouseholdFactory, RegionFactory, UserFactory, VillageFactory
from villageaffairs.models import AuditEntry, Household, Region, RegionOfficial


@pytest.fixture
def setting(db):
    county = RegionFactory(name="广汉市", level=Region.Level.COUNTY)
    sanshui = RegionFactory(name="三水镇", parent=county)
    other = RegionFactory(name="樊村镇")
    mine = HouseholdFactory(
        village=VillageFactory(region=sanshui), name="本镇户", house_number="H-001"
    )
    theirs = HouseholdFactory(
        village=VillageFactory(region=other), name="外镇户", house_number="E-001"
    )
    official = UserFactory(username="sanshui", is_staff=True)
    RegionOfficial.objects.create(user=official, region=sanshui, title="镇长")
    return {"official": official, "mine": mine, "theirs": theirs, "sanshui": sanshui}


def test_a_staff_official_lists_the_households_of_the_region_only(client, setting):
    client.force_login(setting["official"])
    body = client.get(reverse("admin:villageaffairs_household_changelist")).content.decode()
    assert "本镇户" in body and "外镇户" not in body
    assert reverse("admin:villageaffairs_household_add") not in body


def test_a_staff_official_views_but_cannot_change(client, setting):
    mine, theirs = setting["mine"], setting["theirs"]
    client.force_login(setting["official"])
    url = reverse("admin:villageaffairs_household_change", args=[mine.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()  # read only
    response = client.post(url, {"village": mine.village_id, "house_number": "X-1"})
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.house_number == "H-001"
    other = reverse("admin:villageaffairs_household_change", args=[theirs.pk])
    assert "外镇户" not in client.get(other, follow=True).content.decode()
    assert client.get(reverse("admin:villageaffairs_household_add")).status_code == 403


def test_a_staff_official_runs_no_action(client, setting):
    mine = setting["mine"]
    old = mine.code
    client.force_login(setting["official"])
    client.post(
        reverse("admin:villageaffairs_household_changelist"),
        {"action": "reissue_code", "_selected_action": [mine.pk]},
    )
    mine.refresh_from_db()
    assert mine.code == old
    assert not Household.objects.filter(house_number="X-1").exists()


def test_operators_appoint_officials_and_the_list_filters_by_region(client, setting):
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    url = reverse("admin:villageaffairs_regionofficial_changelist")
    body = client.get(url + f"?region__id__exact={setting['sanshui'].pk}").content.decode()
    assert "sanshui" in body or "用户" in body
    newcomer = UserFactory(username="guanghan")
    response = client.post(
        reverse("admin:villageaffairs_regionofficial_add"),
        {"user": newcomer.pk, "region": setting["sanshui"].pk, "title": "副镇长"},
    )
    assert response.status_code == 302
    appointed = RegionOfficial.objects.get(user=newcomer)
    assert AuditEntry.objects.filter(action="regionofficial.add", object_id=str(appointed.pk))


def test_an_official_cannot_appoint_officials(client, setting):
    client.force_login(setting["official"])
    url = reverse("admin:villageaffairs_regionofficial_changelist")
    assert client.get(url).status_code == 403
