"""The bank manager's new policy version opens on today's date, which the date picker shows."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone


def test_a_new_policy_version_shows_today_as_its_first_day(client, bank):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(bank.manager)
    url = reverse("loans:policy_new", kwargs={"branch_id": bank.branch.pk})
    body = client.get(url).content.decode()
    today = timezone.localdate()
    assert f'value="{today.isoformat()}"' in body
    assert today.strftime("%Y/%m/%d") not in body
