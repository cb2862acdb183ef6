import os
from dataclasses import dataclass

import pytest

from tests.factories import UserFactory, VillageFactory, member
from villageaffairs.models import Role

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API + live_server


def pytest_addoption(parser):
    parser.addoption(
        "--integration",
        action="store_true",
        default=False,
        help="run tests marked integration (PostgreSQL, Redis, a real Celery worker)",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--integration"):
        return
    skip = pytest.mark.skip(reason="needs --integration (PostgreSQL + Redis + Celery worker)")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@dataclass
class People:
    """The people of the permission matrix. ``here`` is the village under test."""

    here: object
    elsewhere: object
    villager_here: object
    villager_elsewhere: object
    cadre_here: object
    cadre_elsewhere: object
    operator: object
    officer_serving: object = None  # loan officer of a bank branch that serves ``here``
    officer_other: object = None  # loan officer of a branch that does not


@pytest.fixture
def people(db):
    here = VillageFactory(name="友谊村", name_en="Youyi Village", slug="youyi")
    elsewhere = VillageFactory(name="西前村", name_en="Xiqian Village", slug="xiqian")
    from tests.loans.factories import BranchFactory, officer

    serving = BranchFactory(name="三水支行", villages=[here])
    other = BranchFactory(bank=serving.bank, name="樊村支行", villages=[elsewhere])
    return People(
        here=here,
        elsewhere=elsewhere,
        villager_here=member(here, username="villager_here"),
        villager_elsewhere=member(elsewhere, username="villager_elsewhere"),
        cadre_here=member(here, Role.CADRE, username="cadre_here"),
        cadre_elsewhere=member(elsewhere, Role.CADRE, username="cadre_elsewhere"),
        operator=UserFactory(username="operator", is_staff=True, is_superuser=True),
        officer_serving=officer(serving, username="officer_serving"),
        officer_other=officer(other, username="officer_other"),
    )


@pytest.fixture
def celery_live_worker(transactional_db, settings):
    """A real Celery worker (in a thread) on the real broker. Integration tests only."""
    if not settings.CELERY_BROKER_URL:
        pytest.skip("no broker configured (REDIS_URL)")
    from celery.contrib.testing.worker import start_worker

    from villageaffairs.celery import app

    with start_worker(app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=20):
        yield app
