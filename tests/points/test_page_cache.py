"""The ranking and household pages at the speed of the snapshot (villageaffairs.fragments):
fragments cached by version are never stale, never shared across languages or viewers, and
a phone that has the page gets a 304.

These run on the test settings' cache (per-process memory) and, with --integration, on Redis
(REDIS_URL): the same assertions hold on both.
"""

import gzip
import re
import time
import uuid
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from points import services
from points.models import Balance, Claim, RankingSnapshot
from talks.models import Notification
from tests import faults
from tests.factories import HouseholdFactory, member
from tests.points.factories import RuleFactory
from villageaffairs import assist, fragments
from villageaffairs.models import AssistedAct, Household, Role

EN = {"va_language": "en"}


def _household(user, village):
    return Household.objects.get(village=village, residents__user=user)


def _page(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, response.status_code
    return response, response.content.decode()


@pytest.fixture
def village(people):
    """Two households with points, ranked; the villager's household is first."""
    mine = _household(people.villager_here, people.here)
    other = HouseholdFactory(village=people.here, name="文培力")
    services.award_direct(actor=people.cadre_here, household=mine, points=30, reason="参军")
    services.award_direct(actor=people.cadre_here, household=other, points=20, reason="修路")
    services.rankings_recompute(village_id=people.here.pk)
    people.mine, people.other = mine, other
    return people


def test_approving_a_claim_changes_the_pages_and_their_etags(client, village):
    people = village
    household_url = reverse("household_public", args=[people.other.code])
    ranking_url = reverse("points:ranking", args=[people.here.slug])
    before, body = _page(client, household_url)
    assert 'class="pts-score">20<' in body and "第 2 名" in body
    ranking_before, ranking_body = _page(client, ranking_url)
    assert ranking_body.index(people.mine.name) < ranking_body.index("文培力")

    claim = services.claim_submit(
        actor=people.cadre_here,
        household=people.other,
        rule=RuleFactory(village=people.here, points=25),
    )
    services.claim_approve(actor=people.cadre_here, claim=claim)
    points = Balance.objects.get(household=people.other).score
    after, body = _page(client, household_url)
    assert f'class="pts-score">{points}<' in body and points > 30
    assert after["ETag"] != before["ETag"]
    # The ranking moves when the recompute writes a snapshot, not before.
    unchanged, _ = _page(client, ranking_url)
    assert unchanged["ETag"] == ranking_before["ETag"]

    services.rankings_recompute(village_id=people.here.pk)
    ranking_after, ranking_body = _page(client, ranking_url)
    assert ranking_after["ETag"] != ranking_before["ETag"]
    assert ranking_body.index("文培力") < ranking_body.index(people.mine.name)
    ranked, body = _page(client, household_url)
    assert "第 1 名" in body and ranked["ETag"] != after["ETag"]


def test_a_phone_with_the_page_gets_a_304_without_rendering(
    client, village, django_assert_num_queries
):
    people = village
    household_url = reverse("household_public", args=[people.other.code])
    ranking_url = reverse("points:ranking", args=[people.here.slug])
    for url, queries in ((household_url, 1), (ranking_url, 2)):  # 2: the village, the snapshot
        first = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        etag = first["ETag"]
        assert etag.startswith('W/"')  # weak: GZipMiddleware leaves it as it is
        assert first["Content-Encoding"] == "gzip"
        assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]
        with django_assert_num_queries(queries):
            again = client.get(url, HTTP_IF_NONE_MATCH=etag, HTTP_ACCEPT_ENCODING="gzip")
        assert again.status_code == 304 and again.content == b""
        assert again["ETag"] == etag
    other_page = client.get(ranking_url + "?period=year", HTTP_IF_NONE_MATCH=etag)
    assert other_page.status_code == 200


def test_languages_never_share_a_fragment(client, village):
    people = village
    for url, chinese, english in [
        (reverse("household_public", args=[people.other.code]), "积分", "Rank in the village"),
        (reverse("points:ranking", args=[people.here.slug]), "名次", "Rank"),
    ]:
        zh, zh_body = _page(client, url)
        client.cookies.load(EN)
        en, en_body = _page(client, url)
        client.cookies.load({"va_language": "zh-hans"})
        zh_again, zh_again_body = _page(client, url)
        assert english in en_body and english not in zh_body and english not in zh_again_body
        assert chinese in zh_body and chinese in zh_again_body
        assert en["ETag"] != zh["ETag"]
        assert client.get(url, HTTP_IF_NONE_MATCH=en["ETag"]).status_code == 200


def _csrf_tokens(body):
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)


def test_a_viewers_name_and_token_are_never_served_to_another(client, village):
    people = village
    people.cadre_here.display_name = "谢启富的账号"  # a cadre's header shows their name
    people.cadre_here.save()
    anonymous = client.__class__()
    anonymous.get(reverse("home"))
    for url in [
        reverse("household_public", args=[people.other.code]),
        reverse("points:ranking", args=[people.here.slug]),
    ]:
        client.force_login(people.cadre_here)
        signed_in, body = _page(client, url)
        assert "谢启富的账号" in body
        seen, other_body = _page(anonymous, url)
        assert "谢启富的账号" not in other_body
        assert seen["ETag"] != signed_in["ETag"]
        assert anonymous.get(url, HTTP_IF_NONE_MATCH=signed_in["ETag"]).status_code == 200
        # The cadre's page carries their token (the sign-out form); the shared one none at all.
        assert _csrf_tokens(body) and not _csrf_tokens(other_body)
        assert "csrftoken" not in anonymous.cookies
        client.logout()


def test_the_villagers_own_row_is_marked_in_a_copy_of_its_own(client, village):
    people = village
    url = reverse("points:ranking", args=[people.here.slug])
    assert "pts-mine" not in _page(client, url)[1]  # the shared table is cached unmarked first
    client.force_login(people.villager_here)
    body = _page(client, url)[1]
    assert 'class="pts-mine"' in body and "pts-mine-line" in body
    client.logout()
    assert "pts-mine" not in _page(client, url)[1]


def test_a_new_message_in_the_inbox_changes_the_etag(client, village):
    people = village
    client.force_login(people.villager_here)
    url = reverse("household_public", args=[people.mine.code])
    first, _ = _page(client, url)
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    Notification.objects.create(
        user=people.villager_here, village=people.here, kind="reply", text="回复了"
    )
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_a_dispute_of_an_approved_claim_shows_on_the_household_page(client, village):
    people = village
    grid_worker = member(people.here, Role.GRID_WORKER, username="wang")
    resident = people.villager_here.resident
    client.force_login(grid_worker)
    client.post(
        reverse("points:assist_claim", args=[people.here.slug, resident.pk]),
        {
            "rule": RuleFactory(village=people.here, points=5).pk,
            "note": "帮邻居修了水渠",
            "submission_key": str(uuid.uuid4()),
            "witness": "张三",
        },
    )
    services.claim_approve(actor=people.cadre_here, claim=Claim.objects.get())
    client.logout()
    url = reverse("household_public", args=[people.mine.code])
    before = _page(client, url)[1]
    assert "代" in before and "有异议" not in before  # entered on behalf, not disputed
    assist.act_dispute(
        actor=people.villager_here, act_obj=AssistedAct.objects.get(), reason="不是我家做的"
    )
    assert "有异议" in _page(client, url)[1]  # "disputed", in the same language as before


def test_query_counts_of_the_three_pages(client, village, django_assert_num_queries):
    people = village
    household_url = reverse("household_public", args=[people.other.code])
    # Cold: the household with its keys, the two snapshots, the entries.
    with django_assert_num_queries(3):
        client.get(household_url)
    with django_assert_num_queries(1):
        client.get(household_url)
    RankingSnapshot.objects.update(computed_at=timezone.now() - timedelta(days=1))
    services.rankings_recompute(village_id=people.here.pk)  # now with yesterday's before it
    with django_assert_num_queries(4):
        client.get(household_url)
    ranking_url = reverse("points:ranking", args=[people.here.slug])
    # Cold: the village, the snapshot's head, its ranks, the previous snapshot, the households.
    with django_assert_num_queries(5):
        client.get(ranking_url)
    with django_assert_num_queries(2):
        client.get(ranking_url)
    home_url = reverse("village_home", args=[people.here.slug])
    client.get(home_url)
    with django_assert_num_queries(2):  # the village, the points section's snapshot id
        assert client.get(home_url).status_code == 200


def test_the_home_shows_a_new_ranking_at_once(client, village):
    people = village
    home_url = reverse("village_home", args=[people.here.slug])
    body = _page(client, home_url)[1]
    assert body.index(people.mine.name) < body.index("文培力")
    services.award_direct(actor=people.cadre_here, household=people.other, points=50, reason="x")
    services.rankings_recompute(village_id=people.here.pk)
    body = _page(client, home_url)[1]
    assert body.index("文培力") < body.index(people.mine.name)


DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


def test_with_redis_down_the_pages_render_with_fresh_figures(client, village, settings):
    people = village
    settings.CACHES = {
        "default": {
            "BACKEND": "villageaffairs.cache.ResilientRedisCache",
            "LOCATION": DOWN,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    household_url = reverse("household_public", args=[people.other.code])
    for url in (household_url, reverse("points:ranking", args=[people.here.slug])):
        first, _ = _page(client, url)
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    services.award_direct(actor=people.cadre_here, household=people.other, points=7, reason="x")
    assert 'class="pts-score">27<' in _page(client, household_url)[1]


# The integration run's private Redis (tests/faults.py), stopped and started mid-test.
private_redis = faults.private_redis
on_private_redis = faults.on_private_redis


@pytest.mark.integration
def test_nothing_stale_is_served_when_redis_comes_back(client, village, on_private_redis):
    people = village
    url = reverse("household_public", args=[people.other.code])
    assert 'class="pts-score">20<' in _page(client, url)[1]  # cached in Redis
    assert len(_fragment_keys(on_private_redis)) == 1
    on_private_redis.pause()  # hung: it keeps the fragment of 20 points
    services.award_direct(actor=people.cadre_here, household=people.other, points=7, reason="x")
    assert 'class="pts-score">27<' in _page(client, url)[1]  # rendered, kept in memory
    on_private_redis.resume()
    caches["default"]._paused_until = 0.0  # the cache's pause after a failure is over
    fragments.clear_local()  # another process: nothing of this page in its memory
    assert 'class="pts-score">27<' in _page(client, url)[1]  # not the 20 Redis still holds
    assert len(_fragment_keys(on_private_redis)) == 2  # the new version's, stored in Redis


def _fragment_keys(redis) -> list[str]:
    return [k for k in redis._cli("--scan").stdout.split() if ":frag:household:" in k]


# --- the anonymous page (villageaffairs.fragments.anonymous_page) ---------------------------------


def _anonymous_urls(people):
    return [
        reverse("household_public", args=[people.other.code]),
        reverse("points:ranking", args=[people.here.slug]),
        reverse("village_home", args=[people.here.slug]),
    ]


def test_a_signed_out_viewer_gets_the_page_without_rendering_it_again(client, village):
    for url in _anonymous_urls(village):
        first, body = _page(client, url)
        assert first.templates  # rendered once
        for phone in (client, client.__class__()):  # the same phone, and another
            again, again_body = _page(phone, url)
            assert again.templates == [], url  # from the cache: no template rendered
            # The same page but its form's CSRF token, fresh for this response.
            assert _CSRF.sub("", again_body) == _CSRF.sub("", body)


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def test_a_signed_out_page_is_the_same_gzipped_bytes_for_every_phone(village):
    from django.test import Client

    url = reverse("household_public", args=[village.other.code])
    first = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")  # rendered, compressed on the way out
    rendered = gzip.decompress(first.content)
    phones = [Client(enforce_csrf_checks=True) for _ in range(2)]
    copies = [phone.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate") for phone in phones]
    for copy in copies:
        assert copy.templates == []  # from the cache
        assert copy["Content-Encoding"] == "gzip"
        assert {"Accept-Encoding", "Cookie"} <= {v.strip() for v in copy["Vary"].split(",")}
        assert gzip.decompress(copy.content) == rendered
        assert not copy.cookies  # no CSRF cookie, nothing of the phone's own
    assert copies[0].content == copies[1].content  # compressed once, the same bytes
    plain = Client().get(url)  # a phone that takes no gzip gets the page as it is
    assert "Content-Encoding" not in plain and plain.content == rendered
    assert not _csrf_tokens(rendered.decode())
    # Its one form, the language switch, works without a token from the page itself.
    switched = phones[0].post(
        reverse("set_language"),
        {"language": "en", "next": url},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert switched.status_code == 302 and switched["Location"] == url
    assert "Rank in the village" in _page(phones[0], url)[1]


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},  # another subdomain is another site's page
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
    ],
)
def test_the_language_switch_refuses_a_form_from_another_site(db, headers):
    from django.test import Client

    phone = Client(enforce_csrf_checks=True)
    response = phone.post(reverse("set_language"), {"language": "en", "next": "/"}, **headers)
    assert response.status_code == 403
    assert "va_language" not in response.cookies


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "same-origin"},
        {"HTTP_ORIGIN": "http://testserver"},
        {},  # no browser's cross-site form: neither header
    ],
)
def test_the_language_switch_takes_a_form_from_our_own_pages(db, headers):
    from django.test import Client

    phone = Client(enforce_csrf_checks=True)
    response = phone.post(reverse("set_language"), {"language": "en", "next": "/"}, **headers)
    assert response.status_code == 302
    assert response.cookies["va_language"].value == "en"


def test_a_process_keeps_the_pages_it_served_in_its_own_memory(client, village):
    from django.core.cache import cache

    url = reverse("household_public", args=[village.other.code])
    _page(client, url)
    cache.clear()  # the shared cache lost it (Redis restarted): this process still has it
    assert _page(client, url)[0].templates == []
    fragments.clear_local()
    assert _page(client, url)[0].templates  # from neither: rendered
    assert _page(client, url)[0].templates == []
    # A change moves the version: the kept page is never served for it.
    cadre, other = village.cadre_here, village.other
    services.award_direct(actor=cadre, household=other, points=7, reason="扫雪")
    changed, body = _page(client, url)
    assert changed.templates and 'class="pts-score">27<' in body


def test_a_kept_page_lasts_no_longer_than_its_copy_in_the_cache(client, village, monkeypatch):
    url = reverse("household_public", args=[village.other.code])
    _page(client, url)
    [page_key] = [k for k in fragments._recent.entries if k.startswith("frag:page:")]
    caches["default"].delete(page_key)  # the cache's copy expired, and at the same moment:
    now = time.time()
    monkeypatch.setattr(fragments.time, "time", lambda: now + fragments.TIMEOUT + 1)
    assert _page(client, url)[0].templates  # the kept one is gone too: rendered again


def test_the_pages_kept_in_memory_are_bounded_in_bytes():
    recent = fragments._Recent(limit=640)
    later = time.time() + 60
    for n in range(100):
        recent.put(f"k{n}", (later, b"x" * 9, False))
    assert recent.size == 71 * 9 and recent.get("k28") is None and recent.get("k29")
    recent.get("k40")  # used: kept ahead of older ones
    for n in range(100, 120):
        recent.put(f"k{n}", (later, b"x" * 9, False))
    assert recent.get("k40") and recent.get("k41") is None and recent.get("k119")
    recent.put("big", (later, b"x" * 11, False))  # over 1/64 of the bound: not kept
    assert recent.get("big") is None


def test_signed_in_viewers_and_flash_messages_never_get_the_shared_page(client, village):
    people = village
    for url in _anonymous_urls(people):
        _page(client, url)
        _page(client, url)  # cached now
        client.force_login(people.villager_here)
        assert _page(client, url)[0].templates  # rendered for them, with their header
        client.logout()
        client.cookies.pop("sessionid", None)
        client.cookies.load({"messages": "x"})  # a message waits: the page is rendered
        assert _page(client, url)[0].templates
        client.cookies.pop("messages", None)


def test_made_up_query_strings_and_searches_are_rendered_each_time(client, village):
    people = village
    ranking = reverse("points:ranking", args=[people.here.slug])
    for url in (ranking + "?utm=abc", ranking + "?q=文", ranking + "?page=1&x=1"):
        _page(client, url)
        assert _page(client, url)[0].templates, url
    _page(client, ranking + "?page=1")
    assert _page(client, ranking + "?page=1")[0].templates == []


def test_the_shared_page_moves_with_its_data(client, village):
    people = village
    household_url, ranking_url, home_url = _anonymous_urls(people)
    for url in (household_url, ranking_url, home_url):
        _page(client, url)
    services.award_direct(actor=people.cadre_here, household=people.other, points=50, reason="x")
    score = Balance.objects.get(household=people.other).score
    assert f'class="pts-score">{score}<' in _page(client, household_url)[1]
    services.rankings_recompute(village_id=people.here.pk)
    for url in (ranking_url, home_url):
        body = _page(client, url)[1]
        assert body.index("文培力") < body.index(people.mine.name), url
    people.here.name = "新名字村"
    people.here.save()
    for url in (household_url, ranking_url, home_url):
        assert "新名字村" in _page(client, url)[1], url
