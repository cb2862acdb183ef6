"""Cadres see that their accounts are late; operators see every late village; villagers do not
see the warning."""

from datetime import date

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
