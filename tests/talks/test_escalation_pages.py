"""The pages of escalation and of "still not fixed?": the official's actions on the topic
page, the list of matters escalated to the official's region, the author's answer."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from talks.models import Event, FollowUp, Photo, Reply, Task, Topic
from tests.factories import RegionFactory
from tests.talks.escalation_helpers import asked, escalated, official_over
from tests.talks.factories import topic_in

S = Topic.Status


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (90, 120, 60)).save(out, format="JPEG")
    return SimpleUploadedFile("loushui.jpg", out.getvalue(), content_type="image/jpeg")


def _escalated(people, status=S.RAISED):
    return escalated(topic_in(status, village=people.here, author=people.villager_here))


def test_the_topic_page_says_where_it_was_escalated(client, people):
    region = people.here.region
    region.name, region.name_en = "三水镇", "Sanshui Town"
    region.save()
    topic = _escalated(people)
    html = client.get(topic.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已上报三水镇" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(topic.get_absolute_url()).content.decode()
    assert "Escalated to Sanshui Town" in html
    assert 'id="official"' not in html  # a visitor sees no official's actions


def test_the_official_sees_the_actions_and_the_village_does_not(client, people):
    official = official_over(people.here)
    topic = _escalated(people)
    client.force_login(official)
    html = client.get(topic.get_absolute_url()).content.decode()
    assert reverse("talks:official_task", args=[people.here.slug, topic.pk]) in html
    assert reverse("talks:take_over", args=[people.here.slug, topic.pk]) in html
    client.force_login(people.cadre_here)
    html = client.get(topic.get_absolute_url()).content.decode()
    assert reverse("talks:take_over", args=[people.here.slug, topic.pk]) not in html


def test_the_official_replies_from_the_topic_page(client, people):
    official = official_over(people.here)
    topic = _escalated(people)
    client.force_login(official)
    url = reverse("talks:official_reply", args=[people.here.slug, topic.pk])
    response = client.post(url, {"text": "镇里督办，三天内答复。"})
    assert response.status_code == 302
    reply = Reply.objects.get(topic=topic)
    assert reply.author == official and reply.role == "official"
    html = client.get(topic.get_absolute_url()).content.decode()
    assert "镇里督办" in html


def test_an_empty_official_reply_comes_back_with_the_error(client, people):
    official = official_over(people.here)
    topic = _escalated(people)
    client.force_login(official)
    url = reverse("talks:official_reply", args=[people.here.slug, topic.pk])
    response = client.post(url, {"text": ""})
    assert response.status_code == 400
    assert not Reply.objects.filter(topic=topic).exists()


def test_the_official_assigns_a_task_to_the_villages_cadres(client, people):
    official = official_over(people.here)
    topic = _escalated(people, S.DECLINED)
    client.force_login(official)
    url = reverse("talks:official_task", args=[people.here.slug, topic.pk])
    page = client.get(url)
    assert page.status_code == 200 and str(people.cadre_here) in page.content.decode()
    response = client.post(url, {"title": "修好水渠", "assignees": [people.cadre_here.pk]})
    assert response.status_code == 302
    task = Task.objects.get(topic=topic)
    assert task.created_by == official
    topic.refresh_from_db()
    assert topic.status == S.HANDLING
    # The village sees it among the matters being handled on its work page.
    client.force_login(people.cadre_here)
    work = client.get(reverse("cadre_work", args=[people.here.slug])).content.decode()
    assert f"?status={S.HANDLING}" in work


def test_an_official_of_another_town_gets_404_and_nothing_changes(client, people):
    stranger = official_over(people.elsewhere, username="stranger")
    topic = _escalated(people)
    client.force_login(stranger)
    for name, data in (
        ("official_reply", {"text": "我来"}),
        ("take_over", {}),
        ("official_task", {"title": "修", "assignees": [people.cadre_here.pk]}),
        ("official_handled", {"note": "好了"}),
    ):
        url = reverse(f"talks:{name}", args=[people.here.slug, topic.pk])
        assert client.post(url, data).status_code == 404
    assert not Event.objects.filter(topic=topic).exists()
    topic.refresh_from_db()
    assert topic.status == S.RAISED


def test_a_matter_not_escalated_is_not_the_officials(client, people):
    official = official_over(people.here)
    topic = topic_in(S.RAISED, village=people.here, author=people.villager_here)
    client.force_login(official)
    url = reverse("talks:take_over", args=[people.here.slug, topic.pk])
    assert client.post(url).status_code == 404
    assert not Event.objects.filter(topic=topic).exists()


def test_the_official_takes_over_and_marks_handled_from_the_page(client, people):
    official = official_over(people.here)
    topic = _escalated(people, S.DISCUSSING)
    client.force_login(official)
    slug = people.here.slug
    client.post(reverse("talks:take_over", args=[slug, topic.pk]), {"note": "镇里来办"})
    html = client.get(topic.get_absolute_url()).content.decode()
    assert reverse("talks:official_handled", args=[slug, topic.pk]) in html
    client.post(reverse("talks:official_handled", args=[slug, topic.pk]), {"note": "修好了"})
    topic.refresh_from_db()
    assert topic.status == S.HANDLED
    assert FollowUp.objects.filter(topic=topic).count() == 1


def test_the_escalated_list_shows_the_officials_region_only(
    client, people, django_assert_max_num_queries
):
    official = official_over(people.here)
    mine = [_escalated(people) for _ in range(3)]
    elsewhere = escalated(topic_in(S.RAISED, village=people.elsewhere))
    client.force_login(official)
    url = reverse("talks_official:escalated")
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    html = response.content.decode()
    assert all(t.title in html for t in mine) and elsewhere.title not in html
    for _ in range(20):
        _escalated(people)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_a_county_official_sees_the_towns_below(client, people):
    county = RegionFactory(name="广汉市", level="county")
    people.here.region.parent = county
    people.here.region.save()
    from tests.factories import UserFactory
    from villageaffairs.models import RegionOfficial

    official = UserFactory(username="county")
    RegionOfficial.objects.create(user=official, region=county)
    topic = _escalated(people)
    client.force_login(official)
    assert topic.title in client.get(reverse("talks_official:escalated")).content.decode()


def test_the_author_escalates_a_declined_matter_from_the_page(client, people):
    topic = topic_in(S.DECLINED, village=people.here, author=people.villager_here)
    client.force_login(people.villager_here)
    html = client.get(topic.get_absolute_url()).content.decode()
    url = reverse("talks:escalate", args=[people.here.slug, topic.pk])
    assert url in html
    assert client.post(url, {"reason": ""}).status_code == 400
    topic.refresh_from_db()
    assert topic.escalated_at is None
    assert client.post(url, {"reason": "村里拒绝得没有道理"}).status_code == 302
    topic.refresh_from_db()
    assert topic.escalated_at is not None


def test_the_author_answers_not_fixed_with_a_photo(client, people):
    topic = topic_in(S.HANDLED, village=people.here, author=people.villager_here)
    question = asked(topic)
    client.force_login(people.villager_here)
    assert "follow-up" in client.get(topic.get_absolute_url()).content.decode()
    url = reverse("talks:follow_up", args=[people.here.slug, topic.pk, question.pk])
    response = client.post(url, {"fixed": "no", "note": "", "photos": [_jpeg()]})
    assert response.status_code == 400  # "not fixed" says what is wrong
    response = client.post(url, {"fixed": "no", "note": "还在漏水", "photos": [_jpeg()]})
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.status == S.HANDLING and topic.reopened_count == 1
    assert Photo.objects.filter(follow_up=question).count() == 1
    again = client.post(url, {"fixed": "yes"})
    assert again.status_code == 400 and "这个问题已经回答过了" in again.content.decode()


def test_someone_else_cannot_answer(client, people):
    topic = topic_in(S.HANDLED, village=people.here, author=people.villager_here)
    question = asked(topic)
    client.force_login(people.cadre_here)
    url = reverse("talks:follow_up", args=[people.here.slug, topic.pk, question.pk])
    response = client.post(url, {"fixed": "yes"})
    assert response.status_code == 403
    question.refresh_from_db()
    assert question.answered_at is None
