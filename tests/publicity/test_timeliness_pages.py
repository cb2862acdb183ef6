"""Cadres see that their accounts are late; operators see every late village; villagers do not
see the warning."""

from datetime import date, timedelta

from publicity import services
from tests.factories import UserFactory, VillageFactory
from tests.publicity.factories import book


def test_cadres_see_the_warning_and_operators_the_list(client, staff, youyi):
    book(youyi, starts_on=date(2026, 1, 1))
    other = VillageFactory(name="西前村", slug="xiqian")
    book(other, starts_on=date(2026, 1, 1))
    services.overdue_mark(today=date(2026, 6, 10))

    client.force_login(staff.secretary)
    for url in ("/v/youyi/open/", "/v/youyi/"):
        assert "2026-05 的账目已逾期" in client.get(url).content.decode()
    client.force_login(staff.villager)
    assert "已逾期" not in client.get("/v/youyi/open/").content.decode()
    assert client.get("/operator/overdue/").status_code == 404

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    body = client.get("/operator/overdue/").content.decode()
    assert "友谊村" in body and "西前村" in body and "2026-05" in body


def test_a_village_that_never_opened_its_books_is_overdue(client, youyi):
    """No finance book at all is late too (it used to count as on time); a village created this
    month owes nothing yet."""
    from django.utils import timezone

    from publicity.models import OverdueNotice

    today = timezone.localdate()
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=10)
    services.overdue_mark(today=today.replace(day=10))
    assert not OverdueNotice.objects.filter(village=youyi).exists()
    assert services.overdue_mark(today=next_month) >= 1
    assert OverdueNotice.objects.filter(village=youyi, month=today.replace(day=1)).exists()
    assert services.overdue_mark(today=next_month) == 0  # idempotent

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert youyi.name in client.get("/operator/overdue/").content.decode()
