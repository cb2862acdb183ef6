"""After seed_demo, Sanshui Town's dashboard shows the demo villages' real figures."""

import datetime

from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from talks.models import Topic
from villageaffairs.demo import STATS_DAYS
from villageaffairs.models import DailyStats, Household, Region


def test_sanshui_dashboard_shows_the_demo_figures(client, db):
    call_command("seed_demo", "--i-know-this-is-not-production", verbosity=0)
    town = Region.objects.get(name="三水镇")
    response = client.get(town.get_absolute_url() + "?period=year")
    assert response.status_code == 200
    board = response.context["board"]
    assert [line.village.slug for line in board.lines] == ["youyi"]
    topics = board.total.sums["topics_raised"]
    today = timezone.localdate()
    start = datetime.datetime.combine(
        today.replace(month=1, day=1), datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    direct = Topic.objects.filter(village__slug="youyi", created_at__gte=start).count()
    assert topics == direct
    # Over every day the demo counted (its matters go back 75 days): real, non-zero figures.
    since = today - datetime.timedelta(days=STATS_DAYS)
    counted = DailyStats.objects.filter(village__slug="youyi").aggregate(
        topics=Sum("topics_raised"), replied=Sum("replied")
    )
    rows = Topic.objects.filter(village__slug="youyi")
    assert counted["topics"] == rows.filter(created_at__date__gte=since).count() > 0
    assert counted["replied"] == rows.exclude(first_reply_at=None).count() > 0
    assert reverse("region_village", args=[town.slug, "youyi"]) in response.content.decode()
    # Points: the share of households with activity, over the households Youyi had; its trend
    # shows the demo's twelve months of points, not only this month.
    [line] = board.lines
    assert line.households == Household.objects.filter(village__slug="youyi").count()
    assert 0 < line.value("active") <= 1
    [chart] = [c for c in board.trend if c["figure"].key == "active"]
    assert sum(not bar["empty"] for bar in chart["bars"]) >= 10
    assert line.value("claims_in_time") is not None
    # Disclosure: the demo's months were published as a village would, by the 10th, one late.
    published = DailyStats.objects.filter(village__slug="youyi").aggregate(
        on_time=Sum("months_on_time"), late=Sum("months_late"), missing=Sum("months_missing")
    )
    assert published["late"] == 1 and published["missing"] == 0
    assert published["on_time"] >= 10
