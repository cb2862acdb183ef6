"""Read replicas against a real streaming standby (see conftest.py): what reads where.

The proof that a page was read from the standby is twofold: the queries run on the replica's
connection, and with the standby's replay paused the page shows the standby's older data.
"""

import re
import socket
import time

import psycopg2
import pytest
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connections, router
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from talks.models import Comment, Topic
from tests.factories import HouseholdFactory, VillageFactory, member
from tests.replicas.conftest import DATABASES, REPLICA, resume_replay, wait_for_replay
from tests.talks.factories import TopicFactory, topic_in
from villageaffairs import prepared, replicas
from villageaffairs.db_router import lsn_value, routing
from villageaffairs.models import Heartbeat, Role

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, databases=DATABASES),
]
PROBE = "pg_last_wal_replay_lsn"
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|TRUNCATE)", re.IGNORECASE)


def _queries(alias):
    return CaptureQueriesContext(connections[alias])


def _page_queries(captured):
    """The queries of the page itself, without the routing's probe of the replica."""
    sqls = [prepared.source(q["sql"]) for q in captured.captured_queries]
    return [sql for sql in sqls if PROBE not in sql]


def _only_the_village(captured):
    """The primary served no more than the tenancy's lookup of the village by its slug."""
    sqls = [prepared.source(q["sql"]) for q in captured.captured_queries]
    return len(sqls) <= 1 and all('FROM "villageaffairs_village"' in sql for sql in sqls)


@pytest.fixture
def village(standby):
    village = VillageFactory(slug="youyi", name="友谊村")
    topic_in(Topic.Status.DISCUSSING, village=village, title="修水渠")
    wait_for_replay()
    return village


def test_the_replica_alias_reaches_the_standby_and_the_same_test_database(standby):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port(), current_database()")
        in_recovery, port, name = cursor.fetchone()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port(), current_database()")
        primary = cursor.fetchone()
    assert in_recovery is True and primary[0] is False
    assert port == int(connections[REPLICA].settings_dict["PORT"]) != primary[1]
    assert name == primary[2] == connections["default"].settings_dict["NAME"]
    assert connections[REPLICA].settings_dict["ENGINE"] == "villageaffairs.standby"
    assert not connections[REPLICA].settings_dict["TEST"]["MIRROR"]


def test_the_standby_refuses_writes(standby):
    with pytest.raises(DatabaseError, match="read-only transaction"):
        Heartbeat.objects.using(REPLICA).create(name="x", at="2026-11-29T12:00:00Z")
    with (
        pytest.raises(DatabaseError, match="read-only transaction"),
        connections[REPLICA].cursor() as cursor,
    ):
        cursor.execute("INSERT INTO villageaffairs_heartbeat (name, at) VALUES ('y', now())")
    assert not Heartbeat.objects.exists()


def test_an_anonymous_public_page_reads_from_the_standby(village, paused_replay):
    TopicFactory(village=village, title="修路灯")  # on the primary only: replay is paused
    with _queries(REPLICA) as on_replica, _queries("default") as on_primary:
        response = Client().get(reverse("talks:list", args=[village.slug]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "修水渠" in body and "修路灯" not in body  # the standby's older copy
    assert len(_page_queries(on_replica)) >= 2  # the village and its topics
    assert _only_the_village(on_primary)


def test_every_public_page_can_be_read_from_the_standby(village, standby):
    topic = Topic.objects.get(village=village)
    household = HouseholdFactory(village=village)
    wait_for_replay()
    urls = [
        reverse("household_public", args=[household.code]),
        reverse("home"),
        reverse("village_home", args=[village.slug]),
        reverse("points:ranking", args=[village.slug]),
        reverse("talks:list", args=[village.slug]),
        reverse("talks:detail", args=[village.slug, topic.pk]),
        reverse("publicity:index", args=[village.slug]),
    ]
    for url in urls:
        with _queries(REPLICA) as on_replica, _queries("default") as on_primary:
            response = Client().get(url)
        assert response.status_code == 200, url
        assert _page_queries(on_replica), url
        assert _only_the_village(on_primary), url


def test_a_signed_in_visitor_reads_from_the_primary(village, paused_replay):
    TopicFactory(village=village, title="修路灯")
    client = Client()
    client.force_login(member(village, username="villager"))
    with _queries(REPLICA) as on_replica:
        response = client.get(reverse("talks:list", args=[village.slug]))
    assert "修路灯" in response.content.decode()
    assert on_replica.captured_queries == []


def test_a_write_and_the_writers_next_read_go_to_the_primary(village, paused_replay):
    topic = Topic.objects.get(village=village)
    writer = Client()
    writer.force_login(member(village, username="writer"))
    url = reverse("talks:detail", args=[village.slug, topic.pk])
    with _queries(REPLICA) as on_replica, _queries("default") as on_primary:
        response = writer.post(
            reverse("talks:comment", args=[village.slug, topic.pk]), {"text": "我同意修"}
        )
    assert response.status_code == 302
    assert Comment.objects.filter(topic=topic, text="我同意修").exists()
    assert any(WRITES.match(q["sql"]) for q in on_primary.captured_queries)
    assert on_replica.captured_queries == []  # the write, and everything else, on the primary
    pin = writer.cookies[replicas.PIN_COOKIE].value
    assert pin

    # Signed out but with the pin, the writer still sees their comment: the standby is behind.
    del writer.cookies[settings.SESSION_COOKIE_NAME]
    with _queries(REPLICA) as on_replica:
        assert "我同意修" in writer.get(url).content.decode()
    assert _page_queries(on_replica) == []  # only the probe: it had not replayed the pin
    # Anyone else reads the standby, which has not replayed the comment yet.
    assert "我同意修" not in Client().get(url).content.decode()

    # Once the standby has replayed past the pinned position, the writer reads from it too.
    resume_replay()
    with _queries(REPLICA) as on_replica, _queries("default") as on_primary:
        assert "我同意修" in writer.get(url).content.decode()
    assert _page_queries(on_replica) and _only_the_village(on_primary)


def test_the_pin_holds_the_primarys_position_after_the_write(village, standby):
    client = Client()
    client.force_login(member(village, username="writer"))
    topic = Topic.objects.get(village=village)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (before,) = cursor.fetchone()
    client.post(reverse("talks:comment", args=[village.slug, topic.pk]), {"text": "好"})
    request = RequestFactory().get("/")
    request.COOKIES = {key: morsel.value for key, morsel in client.cookies.items()}
    pinned = replicas.pinned_lsn(request)
    assert lsn_value(pinned) > lsn_value(before)
    morsel = client.cookies[replicas.PIN_COOKIE]
    assert morsel["max-age"] == settings.DATABASE_REPLICA_PIN_SECONDS and morsel["httponly"]


def test_the_pin_expires_after_a_few_seconds(village, paused_replay, settings):
    settings.DATABASE_REPLICA_PIN_SECONDS = 1
    TopicFactory(village=village, title="修路灯")  # the standby is now behind the primary
    client = Client()
    client.post(reverse("set_language"), {"language": "en"})  # an anonymous POST pins
    assert client.cookies[replicas.PIN_COOKIE].value
    url = reverse("talks:list", args=[village.slug])
    with _queries(REPLICA) as on_replica:
        assert "修路灯" in client.get(url).content.decode()
    assert _page_queries(on_replica) == []  # pinned, and the paused standby is behind
    time.sleep(2.1)
    with _queries(REPLICA) as on_replica, _queries("default") as on_primary:
        assert "修路灯" not in client.get(url).content.decode()  # the standby, still behind
    assert _page_queries(on_replica) and _only_the_village(on_primary)


def test_a_write_is_never_sent_to_the_standby(village, paused_replay):
    # The router: every model, while reads go to the replica.
    for model in apps.get_models():
        with routing(REPLICA):
            assert router.db_for_read(model) == REPLICA, model
            assert router.db_for_write(model) == "default", model
            assert router.db_for_read(model) == "default", model  # reads follow the write
    # The ORM inside a replica block: the row lands on the primary.
    with _queries(REPLICA) as on_replica, replicas.use_replica() as state:
        assert state.replica == REPLICA
        Heartbeat.objects.create(name="in-replica-block", at="2026-11-29T12:00:00Z")
    assert not any(WRITES.match(q["sql"]) for q in on_replica.captured_queries)
    assert Heartbeat.objects.using("default").filter(name="in-replica-block").exists()
    # End to end: an anonymous POST and a signed-in POST leave the replica untouched.
    villager = Client()
    villager.force_login(member(village, username="villager"))
    with _queries(REPLICA) as on_replica:
        Client().post(reverse("set_language"), {"language": "en"})
        villager.post(reverse("talks:new", args=[village.slug]), {"title": "t", "text": "t"})
    assert on_replica.captured_queries == []


@pytest.mark.urls("tests.replicas.urls")
def test_a_public_page_that_writes_reads_from_the_primary_after_the_write(
    village, paused_replay, monkeypatch
):
    eligible = replicas.REPLICA_VIEWS | {"test_write_then_read"}
    monkeypatch.setattr(replicas, "REPLICA_VIEWS", eligible)
    Heartbeat.objects.create(name="before-pause-is-not-replayed", at="2026-11-29T12:00:00Z")
    client = Client()
    with _queries(REPLICA) as on_replica:
        counts = client.get("/test/write-then-read/", {"name": "page"}).json()
    # Before the write it read the paused standby (no heartbeat yet); after it, the primary.
    assert counts == {"before": 0, "after": 2}
    assert _page_queries(on_replica) and not any(WRITES.match(q) for q in _page_queries(on_replica))
    assert client.cookies[replicas.PIN_COOKIE].value  # and the client is pinned


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_replica_falls_back_to_the_primary(village, paused_replay):
    TopicFactory(village=village, title="修路灯")
    replica = connections[REPLICA]
    replica.close()
    real_port = replica.settings_dict["PORT"]
    replica.settings_dict["PORT"] = str(_free_port())  # nothing listens there
    try:
        with _queries("default") as on_primary:
            response = Client().get(reverse("talks:list", args=[village.slug]))
        assert response.status_code == 200
        assert "修路灯" in response.content.decode()  # from the primary
        assert on_primary.captured_queries
        assert REPLICA in replicas._down_until  # and left alone for a while
        started = time.monotonic()
        assert Client().get(reverse("talks:list", args=[village.slug])).status_code == 200
        assert time.monotonic() - started < 1.0
    finally:
        replica.close()
        replica.settings_dict["PORT"] = real_port


def test_a_replica_lost_in_the_middle_of_a_page_falls_back_to_the_primary(village, paused_replay):
    """The standby's server process for our connection is terminated after the probe."""
    TopicFactory(village=village, title="修路灯")
    replica = connections[REPLICA]
    config = replica.settings_dict
    killed = []

    def terminate_after_the_probe(execute, sql, params, many, context):
        if PROBE not in sql and not killed:
            pid = replica.connection.get_backend_pid()
            other = psycopg2.connect(
                host=config["HOST"], port=config["PORT"], user=config["USER"], dbname="postgres"
            )
            try:
                with other.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            finally:
                other.close()
            killed.append(pid)
            time.sleep(0.2)
        return execute(sql, params, many, context)

    with replica.execute_wrapper(terminate_after_the_probe):
        response = Client().get(reverse("talks:list", args=[village.slug]))
    assert killed
    assert response.status_code == 200
    assert "修路灯" in response.content.decode()  # from the primary
    assert REPLICA in replicas._down_until


def test_without_a_role_a_cadre_page_is_not_read_from_the_standby(village, standby):
    """Pages outside REPLICA_VIEWS (the admin, cadre pages) never read from the standby."""
    cadre = Client()
    cadre.force_login(member(village, Role.CADRE, username="cadre"))
    with _queries(REPLICA) as on_replica:
        Client().get(reverse("admin:login"))
        Client().get(reverse("points:review", args=[village.slug]))
        cadre.get(reverse("points:review", args=[village.slug]))
    assert on_replica.captured_queries == []
