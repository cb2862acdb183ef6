"""A topic page read by signed-out phones comes from the cache (villageaffairs.fragments
``anonymous_page``), and whatever anyone does on the topic shows to them at once."""

from datetime import timedelta

from django.utils import timezone

from talks import selectors, services
from talks.models import Comment, Topic
from tests.factories import member
from tests.talks.factories import topic_in

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
        if key.startswith("frag:page:"):
            stored.append(timeout)
        return real_set(key, value, timeout, *args, **kwargs)

    cache.set = spy
    try:
        _read(client, topic)
    finally:
        cache.set = real_set
    assert stored == [selectors.TOPIC_PAGE_SECONDS]
