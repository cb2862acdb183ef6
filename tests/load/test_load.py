"""`make load` (tests/load/): the mix, the summary's arithmetic, the empty view's switch and the
writers' pre-made sessions. The load run itself is CI's smoke (.ci/run)."""

import importlib
import random
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import clear_url_caches, resolve

from points import services as points_services
from points.models import Claim
from talks import services as talks_services
from tests.factories import HouseholdFactory, VillageFactory, member
from tests.load import data, mix, run, summary
from villageaffairs.models import Household

# --- the mix --------------------------------------------------------------------------------


def test_mix_weights_sum_to_100_and_every_kind_has_its_views():
    assert sum(mix.MIX.values()) == 100
    assert mix.MIX == {
        "household": 60,
        "ranking": 20,
        "topic": 10,
        "village_home": 5,
        "write": 5,
    }
    assert set(mix.VIEWS) == set(mix.MIX)
    assert set(mix.EXPECTED_STATUS) == set(mix.MIX) | {"empty"}


def test_pick_kind_follows_the_weights():
    rng = random.Random(1)
    draws = [mix.pick_kind(rng) for _ in range(20_000)]
    for kind, percent in mix.MIX.items():
        assert abs(100 * draws.count(kind) / len(draws) - percent) < 1.5, kind


@pytest.fixture
def village_with_talks():
    village = VillageFactory()
    villager = member(village)
    HouseholdFactory(village=village)
    topic = talks_services.topic_raise(
        actor=villager, village=village, title="路灯", text="路灯不亮", category="roads_water"
    )
    rule = points_services.rule_create(
        actor=villager, village=village, category="civility", text="义务劳动", points=5
    )
    return SimpleNamespace(village=village, villager=villager, topic=topic, rule=rule)


@pytest.mark.django_db
def test_url_pools_resolve_to_the_views_of_their_kind(village_with_talks):
    v = village_with_talks
    pools = data.url_pools(
        [v.village], list(v.village.households.all()), [v.topic], ranking_pages=3
    )
    pools["write"] = [u for urls in data.write_urls(v.village, [v.topic]).values() for u in urls]
    assert set(pools) == set(mix.MIX)
    for kind, urls in pools.items():
        assert urls, kind
        for url in urls:
            assert resolve(url.split("?")[0]).view_name in mix.VIEWS[kind], (kind, url)
    assert len(pools["ranking"]) == 3 and pools["ranking"][2].endswith("?page=3")


# --- the writers' sessions ------------------------------------------------------------------


@pytest.mark.django_db
def test_writers_are_villagers_with_a_household_on_every_run():
    # A second run asking for more writers must not hand out the secretary (who shares the
    # users' prefix and has no household: its claims answered 404 under load).
    big = VillageFactory()
    for _ in range(6):
        HouseholdFactory(village=big)
    for wanted in (2, 5, 3):
        users, _rule, _topics = data._ensure_extras(big, "t", wanted)
        assert len(users) == wanted == len({u.pk for u in users})
        for user in users:
            assert user.username != "load-t-secretary"
            assert Household.objects.filter(village=big, residents__user=user).count() == 1


@pytest.mark.django_db
def test_a_writer_session_posts_a_comment_and_a_claim_past_csrf(settings, village_with_talks):
    v = village_with_talks
    writer = data._session(v.villager)
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = writer["session"]
    client.cookies[settings.CSRF_COOKIE_NAME] = writer["csrf"]
    urls = data.write_urls(v.village, [v.topic])
    token = {"csrfmiddlewaretoken": writer["csrf"]}

    response = client.post(urls["comment"][0], {"text": "同意", **token})
    assert response.status_code == mix.EXPECTED_STATUS["write"]
    assert v.topic.comments.filter(author=v.villager, text="同意").exists()
    response = client.post(
        urls["claim"][0],
        {"rule": v.rule.pk, "note": "", "submission_key": "5f1c0b3e-7a4c-4a8e-9e2f-0c1d2e3f4a5b"}
        | token,
    )
    assert response.status_code == mix.EXPECTED_STATUS["write"]
    assert Claim.objects.filter(village=v.village, claimant=v.villager).count() == 1

    data.drop_sessions({"writers": [writer]})
    response = client.post(urls["comment"][0], {"text": "again", **token})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_without_the_csrf_secret_a_write_is_refused(settings, village_with_talks):
    v = village_with_talks
    writer = data._session(v.villager)
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = writer["session"]
    url = data.write_urls(v.village, [v.topic])["comment"][0]
    assert client.post(url, {"text": "同意"}).status_code == 403


# --- the empty view -------------------------------------------------------------------------


def _reload_urls():
    import villageaffairs.urls

    importlib.reload(villageaffairs.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_the_empty_view_is_absent_by_default(client, settings):
    assert settings.LOAD_EMPTY_VIEW is False
    assert client.get("/_empty").status_code == 404


@pytest.mark.django_db
def test_the_empty_view_is_mounted_only_with_its_setting(client, settings):
    settings.LOAD_EMPTY_VIEW = True
    try:
        _reload_urls()
        response = client.get("/_empty")
        assert response.status_code == 200 and response.content == b"ok"
        assert client.post("/_empty").status_code == 200  # nothing to refuse: it does nothing
    finally:
        settings.LOAD_EMPTY_VIEW = False
        _reload_urls()
    assert client.get("/_empty").status_code == 404


# --- the summary ----------------------------------------------------------------------------


def _phase(name, target, mode, users, rps, p50, p95, failures=0, rate=None, cpu=20.0):
    return {
        "name": name,
        "target": target,
        "mode": mode,
        "users": users,
        "rate": rate,
        "seconds": 10.0,
        "requests": int(rps * 10),
        "failures": failures,
        "rps": rps,
        "p50_ms": p50,
        "p95_ms": p95,
        "kinds": {
            "household": {"requests": int(rps * 6), "failures": 0, "p50_ms": p50, "p95_ms": p95}
        },
        "errors": {},
        "client_cpu": cpu,
    }


PHASES = [
    _phase("empty-50", "empty", "closed", 50, 400.0, 100, 150),
    _phase("mix-20", "mix", "closed", 20, 180.0, 90, 200),
    _phase("mix-50", "mix", "closed", 50, 220.0, 200, 400),
    _phase("mix-open-50", "mix", "open", 50, 49.8, 40, 80, rate=50.0, cpu=90.0),
]


def test_ratios_are_the_mix_over_the_empty_view_and_p95_over_its_target():
    rows = summary.figures(PHASES)
    empty, mix20, mix50, open_loop = rows
    assert empty.ratio is None and empty.ok is None
    assert mix20.ratio == pytest.approx(0.45) and mix20.ok is None  # not the saturation row
    assert mix50.ratio == pytest.approx(0.55) and mix50.ok is True
    assert open_loop.ratio == pytest.approx(0.80) and open_loop.ok is True


def _rounds(target, rps_each, p50s):
    return [
        _phase(f"{target}-50-round{n}", target, "closed", 50, rps, p50, p50 * 2)
        for n, (rps, p50) in enumerate(zip(rps_each, p50s, strict=True), 1)
    ]


def test_rounds_combine_into_one_phase_over_all_their_requests():
    combined = summary.combine(_rounds("mix", [500.0, 600.0, 560.0], [90, 120, 100]), "mix-50")
    assert combined["name"] == "mix-50" and combined["users"] == 50
    assert combined["requests"] == 16600 and combined["seconds"] == 30.0
    assert combined["rps"] == pytest.approx(16600 / 30)
    assert combined["p50_ms"] == 100 and combined["p95_ms"] == 200  # the rounds' medians
    assert combined["kinds"]["household"]["requests"] == 3000 + 3600 + 3360
    assert combined["rounds_rps"] == [500.0, 600.0, 560.0]


def test_the_saturation_ratio_is_the_median_of_the_rounds_own():
    # The machine slowed in the first round and sped up in the second: each round's mix is
    # compared with the empty view measured beside it, not with the whole run's.
    empty = summary.combine(_rounds("empty", [1000.0, 1500.0, 1200.0], [30] * 3), "empty-50")
    mix = summary.combine(_rounds("mix", [500.0, 600.0, 560.0], [90] * 3), "mix-50")
    assert summary.paired_ratios(mix, empty) == pytest.approx([0.5, 0.4, 560 / 1200])
    rows = summary.figures([empty, PHASES[1], mix])
    assert rows[2].ratio == pytest.approx(560 / 1200) and rows[2].ok is False
    assert rows[1].ratio == pytest.approx(180.0 / empty["rps"])  # a single phase: plain
    # Without rounds (or with rounds that do not pair up) the ratio is the plain one.
    assert summary.paired_ratios(PHASES[2], empty) == []
    lopsided = summary.combine(_rounds("mix", [500.0, 600.0], [90, 90]), "mix-50")
    assert summary.figures([empty, lopsided])[1].ratio == pytest.approx(550.0 / empty["rps"])


def test_targets_missed_are_marked():
    slow = [dict(p) for p in PHASES]
    slow[2]["rps"] = 150.0  # 37.5% of the empty view
    slow[3]["p95_ms"] = 130
    rows = summary.figures(slow)
    assert rows[2].ok is False and rows[2].ratio == pytest.approx(0.375)
    assert rows[3].ok is False and rows[3].ratio == pytest.approx(1.3)
    assert summary.summary(slow, {})["targets_met"] is False


def test_table_and_json():
    text = summary.table(summary.figures(PHASES))
    lines = text.splitlines()
    assert lines[0].startswith("| figure | users | req/s | p50 ms | p95 ms | failures |")
    assert "| evening mix, closed loop | 50 | 220.0 | 200 | 400 | 0 |" in text
    assert "| 0.55 | yes |" in lines[4]
    assert "open loop at 50 req/s" in lines[5] and "| 0.80 | yes |" in lines[5]
    result = summary.summary(PHASES, {"scale": "small"})
    assert result["failures"] == 0 and result["targets_met"] is True
    assert result["client_cpu_bound"] == ["mix-open-50"]
    assert result["open_loop_short"] == []
    short = [dict(p) for p in PHASES]
    short[3]["rps"] = 17.3
    assert summary.summary(short, {})["open_loop_short"] == ["mix-open-50"]
    assert [f["figure"] for f in result["figures"]][0] == "empty view, closed loop"
    failing = [dict(p) for p in PHASES]
    failing[1]["failures"] = 3
    assert summary.summary(failing, {})["failures"] == 3
    assert "| household | 2400 | 60% | 100 | 150 | 0 |" in summary.kinds_table(PHASES[0])


# --- the server's environment ---------------------------------------------------------------


def test_the_server_runs_the_production_settings_on_loopback(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/va_load_test")
    monkeypatch.setenv("TESTING", "1")
    args = SimpleNamespace(port=8091, redis_url="redis://127.0.0.1:6379/10", workers=5)
    env = run.server_env(args)
    assert env["DEBUG"] == "false" and "TESTING" not in env
    assert env["GUNICORN_BIND"] == "127.0.0.1:8091" and env["ALLOWED_HOSTS"] == "127.0.0.1"
    assert env["SECURE_SSL_REDIRECT"] == "false" and env["LOAD_EMPTY_VIEW"] == "true"
    assert len(env["SECRET_KEY"]) >= 50 and env["WEB_CONCURRENCY"] == "5"
    assert run.default_workers() == 2 * (__import__("os").cpu_count() or 1) + 1


def test_a_port_in_use_is_refused():
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert run.port_free(port) is False
    assert run.port_free(port) is True


# --- priming ----------------------------------------------------------------------------------


def test_priming_visits_every_read_url_of_the_pools_once():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        pools = {
            "household": [f"/h/{n}/" for n in range(30)],
            "ranking": ["/v/a/ranking/", "/v/a/ranking/?page=2"],
            "topic": ["/v/a/talks/1/"],
            "village_home": ["/v/a/"],
        }
        count, _seconds = run.prime(f"http://127.0.0.1:{server.server_port}", {"pools": pools})
    finally:
        server.shutdown()
    expected = [url for urls in pools.values() for url in urls]
    assert count == len(expected) and sorted(seen) == sorted(expected)
