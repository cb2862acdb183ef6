"""With Redis down the cache degrades to per-process memory: pages render, nothing raises."""

import pytest
from django.core.cache import cache, caches
from django.urls import reverse

from villageaffairs import cache as resilient

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
