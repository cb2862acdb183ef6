"""Rankings are recomputed by a real Celery worker after a change commits."""

import time

import pytest

from points import selectors, services
from points.schedule import SCHEDULE
from tests.factories import HouseholdFactory, UserFactory, VillageFactory


def test_nightly_recompute_is_in_the_beat_schedule():
    from villageaffairs.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "points.tasks.recompute_all_rankings" in tasks
    assert set(SCHEDULE) <= set(app.conf.beat_schedule)


@pytest.mark.integration
def test_a_live_worker_ranks_the_household_after_an_award(celery_live_worker):
    village = VillageFactory()
    household = HouseholdFactory(village=village)
    HouseholdFactory(village=village)
    services.award_direct(actor=UserFactory(), household=household, points=9, reason="巡逻")
    deadline = time.monotonic() + 30  # the task is queued with a short countdown
    while time.monotonic() < deadline:
        if selectors.household_standing(household).rank == 1:
            break
        time.sleep(0.5)
    standing = selectors.household_standing(household)
    assert (standing.rank, standing.households_ranked) == (1, 2)


@pytest.mark.django_db
def test_recompute_rankings_command(people):
    from django.core.management import call_command

    household = HouseholdFactory(village=people.here)
    services.award_direct(actor=None, household=household, points=3, reason="x")
    call_command("recompute_rankings", "--village", people.here.slug)
    assert selectors.household_standing(household).rank == 1
    other = HouseholdFactory(village=people.elsewhere)
    assert selectors.household_standing(other).rank is None
    call_command("recompute_rankings")
    assert selectors.household_standing(other).rank == 1
