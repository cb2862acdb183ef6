"""Open data of the talks: topics with their timeline, votes and their results, receipts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from talks import selectors, services
from talks.models import Ballot, Topic
from tests.api.open_data import closed_secret_vote
from tests.api.open_helpers import assert_bad_cursor, assert_bad_date, assert_revalidates, walk
from tests.talks.factories import TopicFactory, VoteFactory, topic_in

pytestmark = pytest.mark.django_db
S = Topic.Status


def _raise(people, title="村口水渠坏了", text="请修一修。"):
    return services.topic_raise(
        actor=people.villager_here,
        village=people.here,
        title=title,
        text=text,
        category=Topic.Category.ROADS_WATER,
    )


def test_the_topics_are_the_talks_pages(client, people):
    mine = _raise(people)
    topic_in(S.WITHDRAWN, village=people.here, title="撤回的事")
    TopicFactory(village=people.elsewhere, title="别村的事")
    url = reverse("api_village_topics", args=[people.here.slug])
    rows = walk(client, url)
    page = selectors.topics(people.here, page=1)
    assert [r["id"] for r in rows] == [t.pk for t in page.object_list]
    assert "别村的事" not in str(rows)
    first = next(r for r in rows if r["id"] == mine.pk)
    assert first["title"] == "村口水渠坏了" and first["status"] == S.RAISED
    assert first["url"].endswith(f"/topics/{mine.pk}/")
    assert [r["title"] for r in walk(client, url, status="withdrawn")] == ["撤回的事"]
    assert str(people.villager_here) not in client.get(url).content.decode()


def test_the_topics_page_filter_and_revalidate(client, people):
    old = TopicFactory(village=people.here, created_at=timezone.now() - timedelta(days=30))
    for _ in range(4):
        TopicFactory(village=people.here)
    url = reverse("api_village_topics", args=[people.here.slug])
    first = client.get(url, {"limit": 3}).json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == 3 and len(second["results"]) == 2
    assert second["results"][-1]["id"] == old.pk
    assert_bad_cursor(client, url)
    day = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert [r["id"] for r in walk(client, url, until=day)] == [old.pk]
    assert old.pk not in [r["id"] for r in walk(client, url, since=timezone.localdate())]
    assert_bad_date(client, url)
    etag = assert_revalidates(client, url)["ETag"]
    # A step on a topic (an official reply) is a new version of the list.
    services.reply_post(actor=people.cadre_here, topic=old, text="马上修。")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize("size", [2, 25])
def test_the_topics_queries_do_not_grow(client, people, size, django_assert_num_queries):
    TopicFactory.create_batch(size, village=people.here)
    url = reverse("api_village_topics", args=[people.here.slug])
    with django_assert_num_queries(4):  # village, version, events' newest, page
        assert client.get(url).status_code == 200


def test_a_topic_has_its_public_timeline_and_nothing_hidden(client, people):
    topic = _raise(people)
    services.reply_post(actor=people.cadre_here, topic=topic, text="我们下周去看。")
    comment = services.comment_post(actor=people.villager_here, topic=topic, text="骂人的话")
    services.comment_hide(actor=people.cadre_here, comment=comment, reason="不文明")
    url = reverse("api_village_topic", args=[people.here.slug, topic.pk])
    response = assert_revalidates(client, url)
    body = response.json()
    assert body["text"] == "请修一修。" and body["comment_count"] == topic_comments(topic)
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds == [e.kind for e in selectors.topic_events(topic)]
    assert "raised" in kinds and "replied" in kinds and "commented" not in kinds
    text = response.content.decode()
    assert "骂人的话" not in text
    for person in (people.villager_here, people.cadre_here):
        assert str(person) not in text and person.username not in text


def topic_comments(topic):
    topic.refresh_from_db()
    return topic.comment_count


def test_another_villages_or_an_unknown_topic_is_a_404(client, people):
    theirs = TopicFactory(village=people.elsewhere)
    for pk in (theirs.pk, 999999):
        response = client.get(reverse("api_village_topic", args=[people.here.slug, pk]))
        assert response.status_code == 404 and response.json()["code"] == "topic_not_found"


def test_votes_show_results_as_the_topic_page_does(client, people):
    topic = topic_in(S.DISCUSSING, village=people.here)
    live = VoteFactory(topic=topic, live_results=True)
    hidden = VoteFactory(topic=topic, live_results=False)
    secret_open = VoteFactory(topic=topic, secret=True, live_results=False)
    closed = closed_secret_vote(people.here)
    for choice in (0, 0, 1):
        Ballot.objects.create(
            vote=live,
            village=people.here,
            voter=None,
            household=None,
            voter_key=f"k{choice}{Ballot.objects.count()}",
            choice=choice,
        )
    VoteFactory(topic=TopicFactory(village=people.elsewhere))
    url = reverse("api_village_votes", args=[people.here.slug])
    rows = {r["id"]: r for r in walk(client, url)}
    assert set(rows) == {live.pk, hidden.pk, secret_open.pk, closed.pk}
    assert [r["count"] for r in rows[live.pk]["results"]] == [2, 1, 0]
    assert rows[hidden.pk]["results"] is None and rows[secret_open.pk]["results"] is None
    assert [r["count"] for r in rows[closed.pk]["results"]] == [2, 0, 0]
    assert rows[closed.pk]["receipts"].endswith(f"/votes/{closed.pk}/receipts/")
    assert rows[secret_open.pk]["receipts"] is None and rows[live.pk]["receipts"] is None
    # The page shows the same counts.
    shown = {r["vote"].pk: r["results"] for r in selectors.topic_page(topic, None)["votes"]}
    assert [r["count"] for r in shown[live.pk]] == [2, 1, 0] and shown[hidden.pk] is None
    assert_bad_date(client, url)
    assert_bad_cursor(client, url)
    assert_revalidates(client, url)


@pytest.mark.parametrize("size", [1, 12])
def test_the_votes_queries_do_not_grow(client, people, size, django_assert_num_queries):
    topic = topic_in(S.DISCUSSING, village=people.here)
    VoteFactory.create_batch(size, topic=topic, live_results=True)
    url = reverse("api_village_votes", args=[people.here.slug])
    with django_assert_num_queries(5):  # village, version, ballots' newest, page, live tallies
        assert client.get(url).status_code == 200


def test_the_receipts_of_a_closed_secret_vote_and_a_code_check(client, people):
    vote = closed_secret_vote(people.here, codes=("ZZZZ2222", "AAAA3333", "MMMM4444"))
    url = reverse("api_village_vote_receipts", args=[people.here.slug, vote.pk])
    assert [r["code"] for r in walk(client, url)] == ["AAAA3333", "MMMM4444", "ZZZZ2222"]
    first = client.get(url, {"limit": 2}).json()
    assert len(first["results"]) == 2 and client.get(first["next"]).json()["results"] == [
        {"code": "ZZZZ2222"}
    ]
    assert walk(client, url, code="mmmm-4444") == [{"code": "MMMM4444"}]
    assert walk(client, url, code="NOPE9999") == []
    assert_bad_cursor(client, url)
    assert_revalidates(client, url)


def test_receipts_are_published_only_once_a_secret_vote_closes(client, people):
    still_open = closed_secret_vote(people.here, closed=False)
    open_ballot = VoteFactory(topic=topic_in(S.DISCUSSING, village=people.here))
    theirs = closed_secret_vote(people.elsewhere)
    for vote, code in (
        (still_open, "receipts_not_published"),
        (open_ballot, "receipts_not_published"),
        (theirs, "vote_not_found"),
    ):
        response = client.get(
            reverse("api_village_vote_receipts", args=[people.here.slug, vote.pk])
        )
        assert response.status_code == 404 and response.json()["code"] == code
