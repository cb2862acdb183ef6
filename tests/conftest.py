import os
from dataclasses import dataclass

import pytest

from loans.models import BranchRole
from tests.factories import UserFactory, VillageFactory, member
from villageaffairs.models import Household, Role

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
def _site_language(settings):
    """Each test starts in the site's language. A request activates the language of its visitor
    (villageaffairs.middleware.LanguageMiddleware) and leaves it active in the thread, so what a
    test writes in the language of the thread (a vote's default options) would otherwise depend
    on the last request of whichever test ran before it in the same process."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from villageaffairs import fragments

    cache.clear()
    fragments.clear_local()
    yield
    cache.clear()
    fragments.clear_local()


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
    # The other roles with rights (tests/matrix.py, LIKE): all of ``here`` or its branch.
    secretary_here: object = None
    accountant_here: object = None
    finance_here: object = None
    resident_here: object = None  # lives in villager_here's household, is not its head
    manager_serving: object = None
    grid_worker_here: object = None  # 网格员 of ``here``, head of a household of their own
    # Region officials (tests/matrix.py, OFFICIALS), made by ``all_people``.
    official_here: object = None  # of here's town
    official_elsewhere: object = None  # of elsewhere's town
    official_county: object = None  # of the county above here's town

    def swapped(self):
        """The same people with the two villages (and their branches) exchanged: builders
        run with it make another village's objects, for the cross-village cases."""
        return People(
            here=self.elsewhere,
            elsewhere=self.here,
            villager_here=self.villager_elsewhere,
            villager_elsewhere=self.villager_here,
            cadre_here=self.cadre_elsewhere,
            cadre_elsewhere=self.cadre_here,
            operator=self.operator,
            officer_serving=self.officer_other,
            officer_other=self.officer_serving,
            official_here=self.official_elsewhere,
            official_elsewhere=self.official_here,
        )


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
def all_people(people):
    """``people`` and every other role with rights (the permission matrix). Apart, because
    they count: a vote's electorate, a ranking's households."""
    from tests.loans.factories import officer, serving_branch

    here = people.here
    people.secretary_here = member(here, Role.SECRETARY, username="secretary_here")
    people.accountant_here = member(here, Role.ACCOUNTANT, username="accountant_here")
    people.finance_here = member(here, Role.FINANCE_GROUP, username="finance_here")
    people.resident_here = member(
        here,
        household=Household.objects.get(residents__user=people.villager_here),
        username="resident_here",
    )
    people.supervisor_here = member(
        here,
        Role.SUPERVISOR,
        household=Household.objects.get(residents__user=people.villager_here),
        username="supervisor_here",
    )
    people.grid_worker_here = member(here, Role.GRID_WORKER, username="grid_worker_here")
    people.manager_serving = officer(
        serving_branch(people), BranchRole.Role.MANAGER, username="manager_serving"
    )
    people.official_here, people.official_elsewhere, people.official_county = officials_of(people)
    return people


def officials_of(people):
    """An official of here's town, one of elsewhere's, and one of a county above here's town."""
    from tests.factories import RegionFactory
    from villageaffairs.models import Region, RegionOfficial

    county = RegionFactory(name="广汉市", name_en="Guanghan", level=Region.Level.COUNTY)
    town = people.here.region
    town.parent = county
    town.save(update_fields=["parent"])
    made = []
    for username, region in (
        ("official_here", town),
        ("official_elsewhere", people.elsewhere.region),
        ("official_county", county),
    ):
        user = UserFactory(username=username)
        RegionOfficial.objects.create(user=user, region=region, title="干部")
        made.append(user)
    return made


@pytest.fixture
def celery_live_worker(transactional_db, settings):
    """A real Celery worker (in a thread) on the real broker. Integration tests only."""
    if not settings.CELERY_BROKER_URL:
        pytest.skip("no broker configured (REDIS_URL)")
    from celery.contrib.testing.worker import start_worker
    from django.db import connections

    from villageaffairs.celery import app

    # The solo pool sends worker_process_init in this thread, and Celery's Django fixup then
    # closes the descriptors of this thread's open database sockets under the driver (meant for
    # a forked child): a socket opened later by another thread could take the same number and
    # two connections would share it. Closed first, there is nothing open for it to close.
    connections.close_all()
    with start_worker(app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=20):
        yield app


@pytest.fixture
def eager_tasks(monkeypatch):
    """Run enqueued tasks in-process even when a broker is configured (--integration)."""
    from villageaffairs.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
