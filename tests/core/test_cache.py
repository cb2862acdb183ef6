"""With Redis down the cache degrades to per-process memory: pages render, nothing raises."""

import pytest
from django.core.cache import cache, caches
from django.urls import reverse

from tests import faults
from villageaffairs import cache as resilient

# The private Redis of the fault-injection fixtures (tests/faults.py), used by name below.
private_redis = faults.private_redis
on_private_redis = faults.on_private_redis

DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "villageaffairs.cache.ResilientRedisCache",
            "LOCATION": DOWN,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_calls_fall_back_to_local_memory(redis_down):
    assert cache.get("k", "default") == "default"
    cache.set("k", 1)
    assert cache.get("k") == 1  # served by the per-process fallback
    assert cache.add("n", 1) is True
    assert cache.incr("n") == 2
    cache.delete("k")
    assert cache.get_many(["k", "n"]) == {"n": 2}
    assert cache.is_up() is False


def test_after_a_failure_redis_is_left_alone_for_a_while(redis_down, monkeypatch):
    cache.get("warm")
    calls = []
    monkeypatch.setattr(resilient.RedisCache, "get", lambda *a, **k: calls.append(a))
    cache.get("k")
    assert calls == []  # paused: the fallback answered
    caches["default"]._paused_until = 0.0  # the pause is over
    cache.get("k")
    assert len(calls) == 1


def test_pages_and_sign_in_work_with_redis_down(client, redis_down, people):
    assert client.get(reverse("village_home", args=[people.here.slug])).status_code == 200
    assert client.get(reverse("points:ranking", args=[people.here.slug])).status_code == 200
    # allauth's rate limits use the cache: the sign-in page answers, it does not 500.
    response = client.post(reverse("account_login"), {"login": "13800000009", "password": "x"})
    assert response.status_code in (200, 302)


def test_one_redis_client_per_pool_is_kept(redis_down):
    # Django's own client builds a redis.Redis per call; ours reuses it (and still falls back).
    client = caches["default"]._cache
    assert client.get_client() is client.get_client()
    assert client.get_client(write=True) is client.get_client(write=True)
    assert cache.get("k", "fallback") == "fallback"


@pytest.mark.integration
def test_the_kept_client_survives_redis_stopped_and_started_again(on_private_redis):
    import redis as redis_py

    direct = redis_py.Redis.from_url(on_private_redis.url)
    cache.set("before", 1)
    assert cache.get("before") == 1
    on_private_redis.stop()  # stopped mid-use: the fallback answers, nothing raises
    assert cache.get("before") is None
    cache.set("during", 2)
    assert cache.get("during") == 2
    on_private_redis.start()
    caches["default"]._paused_until = 0.0  # the pause after a failure is over
    cache.set("after", 3)
    assert cache.get("after") == 3
    assert any(key.endswith(b":after") for key in direct.keys("*"))  # in Redis, not in memory
