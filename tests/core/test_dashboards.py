"""Daily statistics (the job, touch, backfill) and the public region dashboards /r/<region>/."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from talks.models import Event, Rating, Topic
from tests.factories import HouseholdFactory, RegionFactory, UserFactory, VillageFactory
from villageaffairs import dashboards, stats
from villageaffairs.models import DailyStats, MonthlyStats, Region, StatsDirty


def _day_at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _topic(village, raised, reply_hours=None, **kwargs):
    author = UserFactory()
    return Topic.objects.create(
        village=village,
        author=author,
        title="水渠",
        text="x",
        category="other",
        created_at=raised,
        first_reply_at=None
        if reply_hours is None
        else raised + datetime.timedelta(hours=reply_hours),
        **kwargs,
    )


@pytest.fixture
def county(db):
    county = Region.objects.create(name="广汉市", name_en="Guanghan", level="county")
    town = Region.objects.create(name="三水镇", name_en="Sanshui", level="town", parent=county)
    other = Region.objects.create(name="向阳镇", name_en="Xiangyang", level="town", parent=county)
    return county, town, other


def _wait_for(condition, seconds=60):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _rows():
    return sorted(
        (r.village_id, r.day, r.topics_raised, r.replied, r.rating_sum, r.rating_count)
        for r in DailyStats.objects.all()
    )


def test_the_job_is_idempotent_and_replaces_whole_days(county):
    _county, town, _other = county
    village = VillageFactory(region=town)
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    _topic(village, _day_at(yesterday, 9), reply_hours=2)
    _topic(village, _day_at(yesterday, 11))
    assert stats.run(today=today) == 1
    first = _rows()
    assert first == [(village.pk, yesterday, 2, 1, 0, 0)]
    assert stats.run(today=today) == 1
    assert _rows() == first
    # A topic removed (merged away by hand, say) disappears from the day on the next run.
    Topic.objects.filter(first_reply_at=None).delete()
    stats.run(today=today)
    assert _rows() == [(village.pk, yesterday, 1, 1, 0, 0)]


def test_touch_re_aggregates_an_old_day(county):
    _county, town, _other = county
    village = VillageFactory(region=town)
    today = timezone.localdate()
    old = today - datetime.timedelta(days=40)
    topic = _topic(village, _day_at(old, 8), reply_hours=1)
    rating = Rating.objects.create(
        village=village, topic=topic, user=UserFactory(), stars=2, created_at=_day_at(old, 20)
    )
    stats.backfill(old, old)
    assert _rows() == [(village.pk, old, 1, 1, 2, 1)]
    # Reopened: the rating is set aside. The nightly run does not look 40 days back...
    Rating.objects.filter(pk=rating.pk).update(set_aside=True)
    stats.run(today=today)
    assert _rows() == [(village.pk, old, 1, 1, 2, 1)]
    # ...until the change touches the day.
    stats.touch(village_id=village.pk, days=[rating.created_at])
    assert StatsDirty.objects.count() == 1
    stats.run(today=today)
    assert _rows() == [(village.pk, old, 1, 1, 0, 0)]
    assert StatsDirty.objects.count() == 0
    # The month's sums the dashboards read were rewritten with the day.
    month = MonthlyStats.objects.get(village=village, month=old.replace(day=1))
    assert (month.topics_raised, month.rating_sum, month.rating_count) == (1, 0, 0)


def test_the_task_runs_the_job(county, eager_tasks):
    from villageaffairs.tasks import stats_aggregate

    _county, town, _other = county
    village = VillageFactory(region=town)
    _topic(village, timezone.now() - datetime.timedelta(days=1))
    stats_aggregate.delay()
    assert DailyStats.objects.filter(village=village).exists()


@pytest.mark.integration
def test_a_real_worker_aggregates(celery_live_worker):
    from villageaffairs.tasks import stats_aggregate

    town = RegionFactory()
    village = VillageFactory(region=town)
    _topic(village, timezone.now() - datetime.timedelta(days=1))
    stats_aggregate.delay()
    assert _wait_for(lambda: DailyStats.objects.filter(village=village).exists())
    StatsDirty.objects.create(village=village, day=timezone.localdate() - datetime.timedelta(1))
    stats_aggregate.delay()  # again: the touch is consumed, and the same single row stays
    assert _wait_for(lambda: not StatsDirty.objects.exists())
    assert DailyStats.objects.filter(village=village).count() == 1
    assert DailyStats.objects.get(village=village).topics_raised == 1


def test_backfill_command(county):
    _county, town, _other = county
    village = VillageFactory(region=town)
    day = timezone.localdate() - datetime.timedelta(days=20)
    _topic(village, _day_at(day))
    out = io.StringIO()
    call_command("stats_backfill", "--from", str(day), "--to", str(day), stdout=out)
    assert "1 rows" in out.getvalue()
    assert DailyStats.objects.get(village=village, day=day).topics_raised == 1


def test_late_accounts_touch_their_due_day(county):
    from publicity import services as publicity
    from publicity.models import FinanceMonth

    _county, town, _other = county
    village = VillageFactory(region=town)
    cadre = UserFactory()
    month = dashboards.add_months(timezone.localdate().replace(day=1), -2)
    FinanceMonth.objects.create(village=village, month=month, status="checked")
    publicity.month_publish(actor=cadre, village=village, month=month)
    due = dashboards.add_months(month, 1).replace(day=10)
    assert list(StatsDirty.objects.values_list("village_id", "day")) == [(village.pk, due)]


def _board(county, n=3):
    """Villages in two towns with figures this year."""
    county_region, town, other = county
    today = timezone.localdate()
    first = today.replace(month=1, day=1)
    villages = []
    for i in range(n):
        village = VillageFactory(region=town if i % 2 == 0 else other, name=f"村{i}")
        HouseholdFactory(village=village)
        villages.append(village)
        for k in range(i + 1):
            _topic(village, _day_at(first, 8), reply_hours=(i + 1) * 3 + k)
    stats.backfill(first, today)
    return villages


def test_dashboard_shows_the_villages_and_totals(client, county):
    county_region, town, _other = county
    villages = _board(county)
    response = client.get(reverse("region_home", args=[county_region.slug]) + "?period=year")
    assert response.status_code == 200
    board = response.context["board"]
    assert [line.village.name for line in board.lines] == ["村0", "村1", "村2"]
    assert board.total.sums["topics_raised"] == 6
    assert board.total.sums["replied"] == 6
    assert {c.figure.key: c.value for c in board.total.cells}["topics"] == 6
    content = response.content.decode()
    assert "<svg" in content and 'style="' not in content
    assert reverse("region_village", args=[county_region.slug, villages[0].slug]) in content
    assert town.get_absolute_url() in content  # the towns below


def test_sorting_by_a_figure_and_junk_is_ignored(client, county):
    county_region, _town, _other = county
    _board(county)
    url = reverse("region_home", args=[county_region.slug])
    names = lambda r: [line.village.name for line in r.context["board"].lines]  # noqa: E731
    assert names(client.get(url + "?period=year&sort=topics")) == ["村2", "村1", "村0"]
    # Faster replies first: 村0 replied in 3-4 hours, 村2 in 9-11.
    assert names(client.get(url + "?period=year&sort=reply_median")) == ["村0", "村1", "村2"]
    assert names(client.get(url + "?period=year&sort=-reply_median")) == ["村2", "村1", "村0"]
    for junk in ("nonsense", "-", "--topics", "\x00", "name;drop", "%ff"):
        response = client.get(url, {"sort": junk, "period": junk, "page": junk})
        assert response.status_code == 200
        assert response.context["sort"] == "name"
        assert response.context["board"].period == "month"


def test_the_period_changes_the_figures(client, county):
    county_region, town, _other = county
    village = VillageFactory(region=town)
    today = timezone.localdate()
    _topic(village, _day_at(today.replace(month=1, day=1)))
    _topic(village, _day_at(today))
    stats.backfill(today.replace(month=1, day=1), today)
    url = reverse("region_home", args=[county_region.slug])
    year = client.get(url + "?period=year").context["board"].total.sums["topics_raised"]
    month = client.get(url + "?period=month").context["board"].total.sums["topics_raised"]
    assert (year, month) == (2, 1) or (today.month == 1 and today.day == 1 and year == month == 2)


def test_csv_export(client, county, settings):
    county_region, _town, _other = county
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _board(county)
    Region.objects.filter(pk=county_region.pk)  # the export has the same rows as the page
    url = reverse("region_export", args=[county_region.slug]) + "?period=year&sort=topics"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [r[0] for r in rows[1:]] == ["村2", "村1", "村0", "Total"]
    header = rows[0]
    assert rows[-1][header.index("Matters raised")] == "6"


def test_csv_escapes_formulas(client, county):
    _county_region, town, _other = county
    VillageFactory(region=town, name="=HYPERLINK(1)")
    response = client.get(reverse("region_export", args=[town.slug]))
    assert "'=HYPERLINK(1)" in response.content.decode()


def test_unknown_region_is_404(client, db):
    assert client.get(reverse("region_home", args=["nowhere"])).status_code == 404
    assert client.get(reverse("region_export", args=["nowhere"])).status_code == 404


def test_a_village_outside_the_region_is_404(client, county):
    county_region, town, other = county
    village = VillageFactory(region=other)
    assert client.get(reverse("region_village", args=[town.slug, village.slug])).status_code == 404
    response = client.get(reverse("region_village", args=[county_region.slug, village.slug]))
    assert response.status_code == 200
    # Each figure links down to the village page behind it.
    content = response.content.decode()
    assert f'<dd><a href="{reverse("talks:list", args=[village.slug])}">' in content
    assert f'<dd><a href="{reverse("publicity:index", args=[village.slug])}">' in content
    assert f'<dd><a href="{reverse("points:ranking", args=[village.slug])}">' in content


def _queries(client, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_villages(client, county, django_assert_num_queries):
    county_region, _town, _other = county
    _board(county, n=2)
    url = reverse("region_home", args=[county_region.slug]) + "?period=year"
    client.get(url)
    # Session-less page: region, villages, sums, households (of the period, and of each month
    # of the trend), trend sums, children... a fixed number, whatever the villages.
    with django_assert_num_queries(9) as captured:
        client.get(url)
    _board(county, n=12)
    with django_assert_num_queries(len(captured)):
        response = client.get(url)
    assert len(response.context["board"].lines) == 14


def test_region_index_and_directory_link_to_dashboards(client, county):
    county_region, town, _other = county
    province = Region.objects.create(name="四川省", level="province")
    Region.objects.filter(pk=county_region.pk).update(parent=province)
    response = client.get(reverse("region_index"))
    assert province.get_absolute_url() in response.content.decode()
    VillageFactory(region=town)
    response = client.get(reverse("directory"))
    assert town.get_absolute_url() in response.content.decode()


def test_median_bucket():
    assert stats.median_bucket([0] * stats.STATS_BUCKETS) is None
    assert stats.median_bucket([1, 0, 3] + [0] * 9) == 2
    assert stats.median_bucket([2, 0, 2] + [0] * 9) == 0  # the lower median
    assert stats.bucket_of_hours(0.5) == 0 and stats.bucket_of_hours(3) == 2
    assert stats.bucket_of_hours(5000) == stats.STATS_BUCKETS - 1


def test_reopen_rate_counts_events(county):
    _county, town, _other = county
    village = VillageFactory(region=town)
    day = timezone.localdate() - datetime.timedelta(days=1)
    topic = _topic(village, _day_at(day, 8))
    for kind in ("handled", "handled", "reopened"):
        Event.objects.create(village=village, topic=topic, kind=kind, created_at=_day_at(day, 9))
    stats.backfill(day, day)
    row = DailyStats.objects.get(village=village)
    assert (row.handled_events, row.reopened_events) == (2, 1)
    figure = next(f for f in stats.figures() if f.key == "reopen_rate")
    assert (
        figure.value(dashboards._empty() | {"handled_events": 2, "reopened_events": 1}, {}) == 0.5
    )


def test_region_factory_still_gets_a_slug(db):
    assert RegionFactory().slug


def test_the_share_of_active_households_divides_by_the_households_of_the_period(county):
    """A village of 4 households in February that has 8 today: 2 active households in
    February are half of it, not a quarter."""
    from points.models import LedgerEntry
    from villageaffairs.models import Household

    _county, town, _other = county
    village = VillageFactory(region=town)
    old = [HouseholdFactory(village=village) for _ in range(4)]
    new = [HouseholdFactory(village=village) for _ in range(4)]
    Household.objects.filter(pk__in=[h.pk for h in old]).update(
        created_at=_day_at(datetime.date(2026, 1, 5))
    )
    Household.objects.filter(pk__in=[h.pk for h in new]).update(
        created_at=_day_at(datetime.date(2026, 5, 5))
    )
    for household in old[:2]:
        LedgerEntry.objects.create(
            village=village,
            household=household,
            kind="award",
            points=5,
            in_score=True,
            year=2026,
            reason="巡逻",
            created_at=_day_at(datetime.date(2026, 2, 9)),
        )
    stats.backfill(datetime.date(2026, 1, 1), datetime.date(2026, 6, 30))

    board = dashboards.dashboard(town, "month", "name", today=datetime.date(2026, 2, 20))
    [line] = board.lines
    assert line.households == 4
    assert line.value("active") == 0.5
    # In June, the trend's February bar still divides by February's households.
    june = dashboards.dashboard(town, "month", "name", today=datetime.date(2026, 6, 20))
    assert june.lines[0].households == 8
    [chart] = [c for c in june.trend if c["figure"].key == "active"]
    bars = {bar["month"]: bar for bar in chart["bars"]}
    assert bars[datetime.date(2026, 2, 1)]["text"] == dashboards.display(chart["figure"], 0.5)
    # Before the village had households, there is no share to show.
    assert bars[datetime.date(2025, 12, 1)]["empty"]
