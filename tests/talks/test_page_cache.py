"""A topic page read by signed-out phones comes from the cache (villageaffairs.fragments
``anonymous_page``), and whatever anyone does on the topic shows to them at once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from talks import selectors, services
from talks.models import Comment, Event, Topic
from tests.factories import member
from tests.talks.factories import topic_in
from villageaffairs.prepared import source

S = Topic.Status


def _read(client, topic, **params):
    response = client.get(topic.get_absolute_url(), params)
    assert response.status_code == 200
    return response, response.content.decode()


def test_a_signed_out_reader_gets_the_page_from_the_cache(client, people):
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    first, body = _read(client, topic)
    assert first.templates
    again, again_body = _read(client.__class__(), topic)
    assert again.templates == []  # nothing rendered
    assert topic.title in again_body


def test_what_people_do_on_the_topic_shows_to_signed_out_readers_at_once(client, people):
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    _read(client, topic)
    services.comment_post(actor=people.villager_here, topic=topic, text="三组的水渠也漏了")
    assert "三组的水渠也漏了" in _read(client, topic)[1]
    # A support on the topic is a step of the thread's kind, but its count is in the frame.
    assert "0 人支持" in _read(client, topic)[1].split('class="tk-comments"')[0]
    services.support_add(actor=people.cadre_here, topic=topic)
    assert "1 人支持" in _read(client, topic)[1].split('class="tk-comments"')[0]

    services.reply_post(actor=people.cadre_here, topic=topic, text="下周一派人修。")
    assert "下周一派人修。" in _read(client, topic)[1]

    comment = Comment.objects.get(topic=topic)
    services.comment_hide(actor=people.cadre_here, comment=comment, reason="重复")
    assert "三组的水渠也漏了" not in _read(client, topic)[1]

    vote = services.vote_open(
        actor=people.cadre_here,
        topic=Topic.objects.get(pk=topic.pk),
        question="修水渠，同意吗？",
        closes_at=timezone.now() + timedelta(days=5),
    )
    body = _read(client, topic)[1]
    assert "修水渠，同意吗？" in body
    size = vote.electorate_size
    assert f"{size} 人中 0 人已投票" in body
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    assert f"{size} 人中 1 人已投票" in _read(client, topic)[1]  # the turnout moved


def test_signed_in_readers_always_get_their_own_rendering(client, people):
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    _read(client, topic)
    _read(client, topic)
    client.force_login(member(people.here))
    assert _read(client, topic)[0].templates


def test_the_copy_lasts_no_longer_than_its_bound(client, people, settings):
    """What the version does not cover (a countdown) shows within TOPIC_PAGE_SECONDS: the copy
    is stored with that timeout."""
    from django.core.cache import cache

    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    stored = []
    real_set = cache.set

    def spy(key, value, timeout=None, *args, **kwargs):
        if key.startswith(("frag:page:", "frag:topic-frame:")):
            stored.append(timeout)
        return real_set(key, value, timeout, *args, **kwargs)

    cache.set = spy
    try:
        _read(client, topic)
    finally:
        cache.set = real_set
    assert stored == [selectors.TOPIC_PAGE_SECONDS] * 2  # the frame, and the whole page


def _rendered(response) -> list[str]:
    return [t.name for t in response.templates]


def test_a_comment_on_another_page_leaves_the_first_pages_thread_unrendered(client, people):
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    authors = [member(people.here) for _ in range(3)]
    Comment.objects.bulk_create(
        Comment(village=people.here, topic=topic, author=authors[i % 3], text=f"第{i}条意见")
        for i in range(selectors.COMMENTS_PER_PAGE)
    )
    first, body = _read(client, topic)
    assert "talks/_comment.html" in _rendered(first) and "第0条意见" in body
    services.comment_post(actor=people.villager_here, topic=topic, text="落在第二页")
    with CaptureQueriesContext(connection) as seen:
        again, again_body = _read(client, topic)
    # The page's version moved (the count of comments is on it), so the page is put together
    # again: its frame (all but the comments) and its first page of comments are as they were,
    # taken from the cache, not rendered; the comments themselves are not read (only the page
    # count and the rows the thread's key is made of). Only the comments section is rendered.
    sqls = [source(q["sql"]) for q in seen.captured_queries]
    comment_reads = [sql for sql in sqls if "talks_comment" in sql]
    assert len(comment_reads) == 2 and "COUNT(" in comment_reads[0].upper()
    # Nor is the topic: its heading's count comes with the version, the one read of the topic.
    assert len([sql for sql in sqls if 'FROM "talks_topic"' in sql]) == 1
    assert _rendered(again) == ["talks/_comments_section.html"]
    count = Topic.objects.get(pk=topic.pk).comment_count
    assert f"{count} 条评论" in again_body and f"{count} 条评论" not in body
    frame = body.split('<section class="tk-comments"')[0]
    assert again_body.split('<section class="tk-comments"')[0] == frame
    assert (
        again_body.split('<ul class="tk-thread">')[1].split("</ul>\n")[0]
        == body.split('<ul class="tk-thread">')[1].split("</ul>\n")[0]
    )
    assert "落在第二页" in _read(client, topic, page=2)[1]
    # A page past the last is the last, as the paginator gives it, whatever the address says.
    past, past_body = _read(client, topic, page=99)
    assert "落在第二页" in past_body and "第0条意见" not in past_body


def test_what_a_comment_shows_moving_renders_its_page_of_the_thread_again(client, people):
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    comment = services.comment_post(actor=people.villager_here, topic=topic, text="路灯不亮")
    assert "0 人支持" in _read(client, topic)[1]
    services.support_add(actor=people.cadre_here, topic=topic, comment=comment)
    again, body = _read(client, topic)
    assert "talks/_comment.html" in _rendered(again) and "1 人支持" in body
    reply = services.comment_post(
        actor=people.cadre_here, topic=topic, text="明天就修", parent=comment
    )
    assert "明天就修" in _read(client, topic)[1]
    services.comment_hide(actor=people.cadre_here, comment=reply, reason="重复")
    body = _read(client, topic)[1]
    assert "明天就修" not in body and "重复" in body


def test_a_renamed_author_shows_in_the_cached_thread(client, people):
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    services.comment_post(actor=people.cadre_here, topic=topic, text="路灯明天修")
    assert "路灯明天修" in _read(client, topic)[1]
    people.cadre_here.display_name = "村主任王强"
    people.cadre_here.save()
    services.support_add(actor=people.villager_here, topic=topic)  # the page's version moves
    again, body = _read(client, topic)
    assert "talks/_comment.html" in _rendered(again) and "村主任王强" in body


def test_a_cached_copy_costs_the_village_and_the_version_only(
    client, people, django_assert_num_queries
):
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    _read(client, topic)
    with django_assert_num_queries(2):  # the village of the address, the topic's version
        again, body = _read(client.__class__(), topic)
    assert again.templates == [] and topic.title in body


def test_a_signed_out_reader_finds_no_topic_of_another_village(client, people):
    elsewhere = topic_in(S.DISCUSSING, village=people.elsewhere, author=people.villager_elsewhere)
    here = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    _read(client, here)
    url = here.get_absolute_url().replace(f"/{here.pk}/", f"/{elsewhere.pk}/")
    assert client.get(url).status_code == 404
    assert client.get(url.replace(f"/{elsewhere.pk}/", f"/{2**70}/")).status_code == 404


def test_an_event_is_a_step_unless_it_is_a_comment_or_a_support(people):
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    Event.objects.bulk_create(
        Event(village=people.here, topic=topic, kind=kind) for kind in Event.Kind.values
    )
    steps = dict(Event.objects.filter(topic=topic).values_list("kind", "step"))
    assert {kind for kind, step in steps.items() if not step} == {"commented", "supported"}
    assert set(steps) == set(Event.Kind.values)


def test_the_frame_is_keyed_by_the_last_step_before_any_number_of_comments(people):
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    last_step = Event.objects.create(village=people.here, topic=topic, kind=Event.Kind.REPLIED)
    for n in range(3):
        services.comment_post(actor=people.villager_here, topic=topic, text=f"意见{n}")
    comment = Comment.objects.filter(topic=topic).first()
    services.support_add(actor=people.cadre_here, topic=topic, comment=comment)
    found = selectors.topic_page_version(people.here, topic.pk, using="default")
    assert found[6] == last_step.pk  # the frame's key: unmoved by comments and supports
    assert found[7] == Event.objects.filter(topic=topic).latest("pk").pk != last_step.pk


def _plan(sql: str, params, table: str) -> dict:
    """PostgreSQL's plan of ``sql`` as it ran, after ANALYZE of ``table`` (as autovacuum or the
    migration runs it); skipped on other databases."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plan")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
        return cursor.fetchone()[0][0]["Plan"]


def _pages(plan: dict) -> int:
    return plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]


def _widest(plan: dict) -> int:
    """The most rows any step of the plan went through."""
    steps = [plan]
    for step in steps:
        steps.extend(step.get("Plans", ()))
    return max(step["Actual Rows"] * step["Actual Loops"] for step in steps)


@pytest.mark.integration
def test_a_topic_with_thousands_of_comments_keeps_its_version_a_few_pages_read(people):
    """The frame's last step is found by the (topic, step, id) index, not by walking back
    through every comment's timeline entry (PostgreSQL's plan, after ANALYZE as autovacuum
    or the migration runs it)."""
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    Event.objects.bulk_create(
        Event(village=people.here, topic=topic, kind=Event.Kind.COMMENTED, actor=people.cadre_here)
        for _ in range(3000)
    )
    query = selectors._topic_page_version_query(people.here.pk, topic.pk).query
    plan = _plan(*query.sql_with_params(), "talks_event")
    assert _pages(plan) < 40, plan


@pytest.mark.integration
def test_the_threads_key_reads_its_page_not_the_villages_other_comments(people):
    """The rows a page of the thread is keyed by are found by their indexes: neither a long
    thread elsewhere in the village nor the village's size is read (PostgreSQL's plan)."""
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    busy = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    first = Comment.objects.create(
        village=people.here, topic=topic, author=people.cadre_here, text="路灯"
    )
    Comment.objects.create(
        village=people.here, topic=topic, author=people.villager_here, text="同意", parent=first
    )
    Comment.objects.bulk_create(
        Comment(village=people.here, topic=busy, author=people.cadre_here, text=f"别的事 {n}")
        for n in range(10000)
    )
    plan = _plan(*selectors.thread_shown_sql(topic.pk, people.here.pk, 1), "talks_comment")
    assert _pages(plan) < 40, plan
    rows = selectors.thread_shown(topic.pk, people.here.pk, 1, using="default")
    assert [(row[0], row[1]) for row in rows] == [(first.pk, None), (rows[1][0], first.pk)]


@pytest.mark.integration
def test_the_first_page_of_a_long_thread_reads_its_page_not_the_thread(people):
    """A page of a topic's comments is found in order by the (village, topic, time) index of
    top-level comments: the first page of 6,000 reads its 20 (PostgreSQL's plan)."""
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    start = timezone.now()
    Comment.objects.bulk_create(
        Comment(
            village=people.here,
            topic=topic,
            author=people.cadre_here,
            text=f"意见 {n}",
            created_at=start + timedelta(seconds=n),
        )
        for n in range(6000)
    )
    plan = _plan(*selectors.thread_shown_sql(topic.pk, people.here.pk, 1), "talks_comment")
    # No step of the plan goes through more than a page's rows (without the index: all 6,000).
    assert _widest(plan) <= 20, plan
    rows = selectors.thread_shown(topic.pk, people.here.pk, 1, using="default")
    assert [row[3] for row in rows] == [f"意见 {n}" for n in range(20)]
