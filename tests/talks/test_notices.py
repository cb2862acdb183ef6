"""Talks notices: a vote's announcement and result, a handled topic's result."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from talks.models import ProgressNote, Reply, Task, Topic
from tests.printing_helpers import pdf_qr_codes, pdf_text
from tests.talks.factories import TopicFactory, VoteFactory

SITE = "https://cun.example.cn"
pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def _topic(people, **kwargs):
    kwargs.setdefault("status", Topic.Status.DISCUSSING)
    return TopicFactory(village=people.here, author=people.villager_here, **kwargs)


def test_an_open_vote_is_announced_with_its_dates_and_how_to_vote_and_entrust(client, people):
    topic = _topic(people, title="修建村口文化广场")
    vote = VoteFactory(topic=topic, created_by=people.cadre_here, question="同意修建广场吗？")
    response = client.get(reverse("talks:vote_notice", args=["youyi", vote.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'inline; filename="youyi-vote-{vote.pk}.pdf"'
    text = pdf_text(response.content)
    assert "同意修建广场吗？" in text and "修建村口文化广场" in text
    assert "赞成" in text and "反对" in text
    opens = timezone.localtime(vote.opens_at).strftime("%Y-%m-%d %H:%M")
    closes = timezone.localtime(vote.closes_at).strftime("%Y-%m-%d %H:%M")
    assert opens in text and closes in text
    assert ("entrust" in text) or ("委托" in text)
    assert pdf_qr_codes(response.content) == [f"{SITE}/v/youyi/talks/{topic.pk}/"]


def test_a_closed_vote_prints_its_counts_and_turnout(client, people):
    vote = VoteFactory(
        topic=_topic(people),
        created_by=people.cadre_here,
        closed_at=timezone.now(),
        counts=[6, 2, 1],
        ballots_cast=9,
        electorate_size=12,
        quorum_met=True,
        passed=True,
    )
    text = pdf_text(client.get(reverse("talks:vote_notice", args=["youyi", vote.pk])).content)
    assert "赞成 6 66.7%" in text.splitlines()
    assert "75.0%" in text  # 9 of 12 on the roll
    assert "9" in text and "12" in text


def test_a_handled_topic_prints_its_reply_tasks_and_rating(client, people):
    topic = _topic(
        people,
        title="村东路灯不亮",
        status=Topic.Status.HANDLED,
        handled_at=timezone.now(),
        rating_count=2,
        rating_sum=9,
    )
    Reply.objects.create(
        village=people.here, topic=topic, author=people.cadre_here, text="已联系电工维修。"
    )
    task = Task.objects.create(
        village=people.here,
        topic=topic,
        title="更换灯泡",
        created_by=people.cadre_here,
        done_at=timezone.now(),
    )
    ProgressNote.objects.create(
        village=people.here, task=task, author=people.cadre_here, text="三盏灯已全部换好"
    )
    response = client.get(reverse("talks:topic_notice", args=["youyi", topic.pk]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    for part in ("村东路灯不亮", "已联系电工维修。", "更换灯泡", "三盏灯已全部换好", "4.5"):
        assert part in text
    assert pdf_qr_codes(response.content) == [f"{SITE}/v/youyi/talks/{topic.pk}/"]


@pytest.mark.parametrize(
    "status", [Topic.Status.DISCUSSING, Topic.Status.HANDLING, Topic.Status.WITHDRAWN]
)
def test_a_topic_not_handled_is_not_found(client, people, status):
    topic = _topic(people, status=status)
    client.force_login(people.cadre_here)
    assert client.get(reverse("talks:topic_notice", args=["youyi", topic.pk])).status_code == 404


def test_another_villages_vote_and_topic_are_not_found(client, people):
    theirs = TopicFactory(
        village=people.elsewhere, author=people.villager_elsewhere, status=Topic.Status.HANDLED
    )
    vote = VoteFactory(topic=theirs, created_by=people.cadre_elsewhere)
    assert client.get(reverse("talks:vote_notice", args=["youyi", vote.pk])).status_code == 404
    assert client.get(reverse("talks:topic_notice", args=["youyi", theirs.pk])).status_code == 404


def test_the_topic_notice_reads_a_fixed_number_of_queries(
    client, people, django_assert_num_queries
):
    topic = _topic(people, status=Topic.Status.HANDLED, handled_at=timezone.now())
    url = reverse("talks:topic_notice", args=["youyi", topic.pk])

    def add():
        Reply.objects.create(village=people.here, topic=topic, author=people.cadre_here, text="好")
        task = Task.objects.create(
            village=people.here, topic=topic, title="办", created_by=people.cadre_here
        )
        ProgressNote.objects.create(village=people.here, task=task, author=people.cadre_here)

    add()
    client.get(url)
    with django_assert_num_queries(5) as few:  # village, topic, replies, tasks, notes
        client.get(url)
    for _ in range(5):
        add()
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_notices_page_lists_votes_and_handled_topics(client, people):
    handled = _topic(people, title="已办结的事", status=Topic.Status.HANDLED)
    _topic(people, title="还在讨论的事")
    vote = VoteFactory(
        topic=_topic(people), created_by=people.cadre_here, closes_at=timezone.now() + timedelta(1)
    )
    body = client.get(reverse("notices", args=["youyi"])).content.decode()
    assert f'href="/v/youyi/notices/talks/{handled.pk}.pdf"' in body
    assert f'href="/v/youyi/notices/votes/{vote.pk}.pdf"' in body
    assert "还在讨论的事" not in body


@override_settings(DEBUG=False, SITE_URL="")
def test_without_a_site_address_a_vote_is_not_printed(client, people):
    vote = VoteFactory(topic=_topic(people), created_by=people.cadre_here)
    response = client.get(reverse("talks:vote_notice", args=["youyi", vote.pk]))
    assert response.status_code == 503
