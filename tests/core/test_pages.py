import pytest
from django.urls import reverse

from tests.factories import HouseholdFactory, RegionFactory, ResidentFactory, VillageFactory


@pytest.fixture
def villages(db):
    town = RegionFactory(name="三水镇", name_en="Sanshui Town")
    youyi = VillageFactory(
        name="友谊村",
        name_en="Youyi Village",
        slug="youyi",
        region=town,
        region_path="四川省 Sichuan 广汉市 Guanghan 三水镇 Sanshui Town",
    )
    xiqian = VillageFactory(
        name="西前村",
        name_en="Xiqian Village",
        slug="xiqian",
        region_path="山西省 Shanxi 樊村镇 Fancun Town",
    )
    return youyi, xiqian


def test_directory_searches_by_name_and_by_region(client, villages):
    body = client.get(reverse("directory"), {"q": "友谊"}).content.decode()
    assert "友谊村" in body and "西前村" not in body
    body = client.get(reverse("directory"), {"q": "Guanghan"}).content.decode()
    assert "友谊村" in body and "西前村" not in body
    body = client.get(reverse("directory"), {"q": "山西"}).content.decode()
    assert "西前村" in body and "友谊村" not in body


def test_directory_says_when_nothing_matches(client, villages):
    response = client.get(reverse("directory"), {"q": "不存在的村"})
    assert "没有找到村庄" in response.content.decode()


def test_unknown_village_is_404_with_a_helpful_page(client, villages):
    response = client.get("/v/no-such-village/")
    assert response.status_code == 404
    assert "找不到页面" in response.content.decode()


def test_inactive_village_is_404(client, villages):
    youyi, _ = villages
    youyi.is_active = False
    youyi.save()
    assert client.get(reverse("village_home", args=["youyi"])).status_code == 404


def test_outsider_gets_404_on_another_villages_private_page(client, people):
    client.force_login(people.villager_elsewhere)
    assert client.get(reverse("my_household", args=[people.here.slug])).status_code == 404
    client.force_login(people.cadre_elsewhere)
    assert client.get(reverse("household_register", args=[people.here.slug])).status_code == 404
    # while their own village's pages are open to them
    assert (
        client.get(reverse("household_register", args=[people.elsewhere.slug])).status_code == 200
    )


def test_register_shows_only_this_villages_households(client, people):
    HouseholdFactory(village=people.here, name="本村户")
    HouseholdFactory(village=people.elsewhere, name="外村户")
    client.force_login(people.cadre_here)
    body = client.get(reverse("household_register", args=["youyi"])).content.decode()
    assert "本村户" in body and "外村户" not in body


def test_household_public_page_by_code_and_not_by_number(client, villages):
    household = HouseholdFactory(village=villages[0], name="谢启富", house_number="017")
    assert len(household.code) >= 12
    response = client.get(reverse("household_public", args=[household.code]))
    assert response.status_code == 200 and "谢启富" in response.content.decode()
    assert client.get("/h/017/").status_code == 404
    assert client.get(f"/h/{household.pk}/").status_code == 404


def test_village_home_query_count_does_not_grow_with_households(
    client, villages, django_assert_max_num_queries
):
    youyi, _ = villages
    url = reverse("village_home", args=["youyi"])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(40):
        ResidentFactory(household=HouseholdFactory(village=youyi))
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_register_query_count_does_not_grow(client, people, django_assert_max_num_queries):
    url = reverse("household_register", args=["youyi"])
    client.force_login(people.cadre_here)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(60):
        household = HouseholdFactory(village=people.here)
        ResidentFactory(household=household)
        ResidentFactory(household=household)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert "第 1 页" in response.content.decode()  # paginated


def test_healthz_reports_database(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_healthz_names_each_dependency(client, db):
    checks = client.get(reverse("healthz")).json()["checks"]
    assert set(checks) == {"database", "cache", "broker", "worker", "beat"}


def test_healthz_stays_up_when_the_broker_is_unreachable(client, db, settings, monkeypatch):
    from villageaffairs.celery import app

    # Read first: Celery loads its configuration lazily from the Django settings, and a first
    # load under the broken URL would keep it for every later test.
    old = app.conf.broker_url
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        response = client.get(reverse("healthz"))
    finally:
        app.conf.broker_url = old
    # Web and the database work: alive (compose and the proxy keep web), the rest reported.
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"] == "down"
    assert body["checks"]["worker"] == "down"


def test_healthz_fails_when_the_database_is_down(client, db, monkeypatch):
    from villageaffairs import health

    monkeypatch.setattr(health, "database", lambda: health.DOWN)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_healthz_reports_beat_by_its_heartbeat(client, db, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from villageaffairs import health
    from villageaffairs.models import Heartbeat

    monkeypatch.setattr(health, "broker", lambda: health.OK)
    monkeypatch.setattr(health, "worker", lambda: health.OK)
    assert client.get(reverse("healthz")).json()["checks"]["beat"] == "down"  # never beat
    Heartbeat.objects.create(name="beat", at=timezone.now() - timedelta(minutes=10))
    assert client.get(reverse("healthz")).json()["checks"]["beat"] == "down"  # stale
    Heartbeat.objects.filter(name="beat").update(at=timezone.now())
    body = client.get(reverse("healthz")).json()
    assert body["checks"]["beat"] == "ok"
    assert body["status"] == "ok"


def test_pages_fit_the_budget(client, villages):
    for url in ["/", reverse("village_home", args=["youyi"])]:
        assert len(client.get(url).content) < 60 * 1024


def test_pages_link_the_icon_and_favicon_ico_leads_to_it(client, db):
    from django.contrib.staticfiles import finders

    body = client.get(reverse("home")).content.decode()
    assert 'rel="icon"' in body and "img/favicon-32" in body
    assert 'rel="apple-touch-icon"' in body
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG") and "max-age=604800" in response["Cache-Control"]
    for name in ("img/favicon-32.png", "img/apple-touch-icon.png"):
        assert finders.find(name), name
