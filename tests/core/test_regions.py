import pytest

from villageaffairs.models import Region, RegionOfficial, Village
from villageaffairs.regions import is_official_over, official_region_ids, villages_under

pytestmark = pytest.mark.django_db


def _tree():
    province = Region.objects.create(name="四川省", level="province")
    city = Region.objects.create(name="德阳市", level="city", parent=province)
    county = Region.objects.create(name="广汉市", level="county", parent=city)
    town = Region.objects.create(name="三水镇", level="town", parent=county)
    other_town = Region.objects.create(name="向阳镇", level="town", parent=county)
    village = Village.objects.create(name="友谊村", slug="youyi", region=town)
    other = Village.objects.create(name="红星村", slug="hongxing", region=other_town)
    return county, town, other_town, village, other


def test_region_slugs_are_pinyin_and_unique():
    county, town, *_ = _tree()
    assert town.slug == "sanshuizhen"
    twin = Region.objects.create(name="三水镇", level="town", parent=county.parent)
    assert twin.slug == "sanshuizhen-2"


def test_town_official_oversees_its_villages_only(django_user_model):
    county, town, other_town, village, other = _tree()
    official = django_user_model.objects.create_user("zhen")
    RegionOfficial.objects.create(user=official, region=town)
    assert is_official_over(official, village)
    assert not is_official_over(official, other)
    assert official_region_ids(official) == {town.pk}


def test_county_official_oversees_every_village_below(django_user_model):
    county, town, other_town, village, other = _tree()
    official = django_user_model.objects.create_user("xian")
    RegionOfficial.objects.create(user=official, region=county)
    assert is_official_over(official, village) and is_official_over(official, other)
    assert set(villages_under(county)) == {village, other}
    assert official_region_ids(official) == {county.pk, town.pk, other_town.pk}
