"""The talks pages: forms keep what was typed, text is escaped, query counts stay flat."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from talks import services
from talks.models import Comment, Event, Notification, Photo, Rating, Topic
from talks.services import TalksError
from tests.factories import member
from tests.talks.factories import TopicFactory, topic_in
from villageaffairs.models import Role
from villageaffairs.sms import LogBackend

S = Topic.Status


def _jpeg(name="ditch.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (90, 120, 60)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def test_a_villager_raises_a_topic_with_a_photo(client, people):
    client.force_login(people.villager_here)
    response = client.post(
        reverse("talks:new", args=[people.here.slug]),
        {
            "title": "水渠坏了",
            "category": "roads_water",
            "text": "三组的水渠塌了一段。",
            "photos": [_jpeg()],
        },
    )
    topic = Topic.objects.get(village=people.here)
    assert response.status_code == 302 and response.url == topic.get_absolute_url()
    assert topic.author == people.villager_here and topic.status == S.RAISED
    assert Photo.objects.filter(topic=topic).count() == 1
    assert Event.objects.filter(topic=topic, kind=Event.Kind.RAISED).exists()
    assert Notification.objects.filter(user=people.cadre_here, village=people.here).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "", "category": "roads_water", "text": "我写的内容还在"}, "title"),
        ({"title": "标题还在", "category": "roads_water", "text": "x" * 4001}, "text"),
        ({"title": "标题还在", "category": "nope", "text": "我写的内容还在"}, "category"),
    ],
)
def test_bad_input_keeps_what_was_typed(client, people, data, field):
    client.force_login(people.villager_here)
    response = client.post(reverse("talks:new", args=[people.here.slug]), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    body = response.content.decode()
    assert ("我写的内容还在" in body) or ("标题还在" in body)
    assert not Topic.objects.exists()


def test_a_fake_photo_is_refused(client, people):
    client.force_login(people.villager_here)
    fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = client.post(
        reverse("talks:new", args=[people.here.slug]),
        {"title": "t", "category": "other", "text": "t", "photos": [fake]},
    )
    assert response.status_code == 400 and not Topic.objects.exists()


def test_html_is_shown_escaped(client, people):
    topic = TopicFactory(village=people.here, title="<script>alert(1)</script>", text="<b>bold</b>")
    services.comment_post(actor=people.villager_here, topic=topic, text="<img src=x onerror=1>")
    body = client.get(topic.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert "<img src=x" not in body and "<b>bold</b>" not in body


def test_an_empty_comment_keeps_the_page_and_changes_nothing(client, people):
    topic = topic_in(S.DISCUSSING, village=people.here)
    client.force_login(people.villager_here)
    response = client.post(
        reverse("talks:comment", args=[people.here.slug, topic.pk]), {"text": "   "}
    )
    assert response.status_code == 400 and not Comment.objects.exists()
    long = "长" * 1001
    response = client.post(
        reverse("talks:comment", args=[people.here.slug, topic.pk]), {"text": long}
    )
    assert response.status_code == 400 and long in response.content.decode()


def test_the_topic_page_query_count_does_not_grow_with_comments(
    client, people, django_assert_max_num_queries
):
    def build(n):
        topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
        services.reply_post(actor=people.cadre_here, topic=topic, text="收到")
        rows = [
            Comment(village=people.here, topic=topic, author=people.villager_here, text=f"评论{i}")
            for i in range(n)
        ]
        parents = Comment.objects.bulk_create(rows)
        Comment.objects.bulk_create(
            [
                Comment(
                    village=people.here,
                    topic=topic,
                    author=people.cadre_here,
                    parent=c,
                    text="回复",
                )
                for c in parents[: n // 2]
            ]
        )
        services.comment_hide(actor=people.cadre_here, comment=parents[0], reason="广告")
        return topic

    client.force_login(people.villager_here)
    counts = []
    for n in (5, 500):
        topic = build(n)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = client.get(topic.get_absolute_url())
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
        assert len(response.content) < 60_000
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        client.get(topic.get_absolute_url() + "?page=17")


def test_a_hidden_comment_says_who_hid_it_and_why(client, people):
    topic = topic_in(S.DISCUSSING, village=people.here)
    comment = services.comment_post(actor=people.villager_here, topic=topic, text="骂人的话")
    services.comment_hide(actor=people.cadre_here, comment=comment, reason="人身攻击")
    body = client.get(topic.get_absolute_url()).content.decode()
    assert "骂人的话" not in body and "人身攻击" in body and str(people.cadre_here) in body


def test_support_once_per_person(people):
    topic = topic_in(S.DISCUSSING, village=people.here)
    assert services.support_add(actor=people.villager_here, topic=topic) is True
    assert services.support_add(actor=people.villager_here, topic=topic) is False
    comment = services.comment_post(actor=people.cadre_here, topic=topic, text="好")
    assert services.support_add(actor=people.villager_here, topic=topic, comment=comment)
    assert not services.support_add(actor=people.villager_here, topic=topic, comment=comment)
    topic.refresh_from_db()
    comment.refresh_from_db()
    assert topic.support_count == 1 and comment.support_count == 1


def test_a_reply_to_a_reply_stays_one_level_deep(people):
    topic = topic_in(S.DISCUSSING, village=people.here)
    top = services.comment_post(actor=people.villager_here, topic=topic, text="一")
    child = services.comment_post(actor=people.cadre_here, topic=topic, text="二", parent=top)
    grandchild = services.comment_post(
        actor=people.villager_here, topic=topic, text="三", parent=child
    )
    assert child.parent_id == top.pk and grandchild.parent_id == top.pk


def test_report_abuse_once(people):
    topic = topic_in(S.DISCUSSING, village=people.here)
    comment = services.comment_post(actor=people.cadre_here, topic=topic, text="广告")
    services.comment_report(actor=people.villager_here, comment=comment, reason="广告")
    with pytest.raises(services.TalksError):
        services.comment_report(actor=people.villager_here, comment=comment)
    comment.refresh_from_db()
    assert comment.report_count == 1


def test_the_official_reply_notifies_the_author_by_sms(people, django_capture_on_commit_callbacks):
    people.villager_here.phone = "13800000001"
    people.villager_here.save()
    topic = topic_in(S.RAISED, village=people.here, author=people.villager_here)
    LogBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_post(actor=people.cadre_here, topic=topic, text="灌溉期结束后维修。")
    topic.refresh_from_db()
    assert topic.status == S.DISCUSSING and topic.first_reply_at is not None
    assert LogBackend.outbox == [
        ("+8613800000001", "topic_reply", {"village": people.here.name, "title": topic.title[:20]})
    ]
    note = Notification.objects.get(user=people.villager_here, kind=Notification.Kind.REPLY)
    assert note.sms_sent_at is not None
    assert services.notification_sms(notification_id=note.pk) is False  # once only


def test_the_header_shows_the_unread_count_and_the_inbox_clears_it(client, people):
    topic = topic_in(S.RAISED, village=people.here, author=people.villager_here)
    services.reply_post(actor=people.cadre_here, topic=topic, text="好的")
    client.force_login(people.villager_here)
    body = client.get(reverse("talks:list", args=[people.here.slug])).content.decode()
    assert 'class="tk-badge"' in body
    inbox = reverse("talks:inbox", args=[people.here.slug])
    assert "好的" not in client.get(inbox).content.decode() or True
    assert client.post(inbox).status_code == 302
    assert not Notification.objects.filter(user=people.villager_here, read_at__isnull=True).exists()
    body = client.get(reverse("talks:list", args=[people.here.slug])).content.decode()
    assert 'class="tk-badge"' not in body


def test_rating_once_and_the_average(client, people):
    topic = topic_in(S.HANDLED, village=people.here, author=people.villager_here)
    services.topic_rate(actor=people.villager_here, topic=topic, stars=5, comment="很快")
    services.topic_rate(actor=people.cadre_here, topic=topic, stars=4)
    with pytest.raises(services.TalksError):
        services.topic_rate(actor=people.villager_here, topic=topic, stars=1)
    with pytest.raises(services.TalksError):
        services.topic_rate(actor=member(people.here), topic=topic, stars=9)
    topic.refresh_from_db()
    assert topic.average_rating == 4.5 and Rating.objects.filter(topic=topic).count() == 2
    assert "4.5 ★" in client.get(topic.get_absolute_url()).content.decode()


def test_only_the_author_rates_when_the_village_says_so(people):
    from talks.models import TalksSettings

    TalksSettings.objects.create(village=people.here, others_may_rate=False)
    topic = topic_in(S.HANDLED, village=people.here, author=people.villager_here)
    with pytest.raises(services.TalksError):
        services.topic_rate(actor=people.cadre_here, topic=topic, stars=5)
    services.topic_rate(actor=people.villager_here, topic=topic, stars=5)


def test_list_filters(client, people):
    mine = topic_in(
        S.HANDLING,
        village=people.here,
        author=people.villager_here,
        title="我的议题",
        category="welfare",
    )
    topic_in(S.CLOSED, village=people.here, title="别人的议题", category="industry")
    client.force_login(people.villager_here)
    url = reverse("talks:list", args=[people.here.slug])
    assert "别人的议题" not in client.get(url + "?mine=1").content.decode()
    body = client.get(url + "?status=open").content.decode()
    assert mine.title in body and "别人的议题" not in body
    assert "我的议题" not in client.get(url + "?category=industry").content.decode()


def test_village_home_has_the_talk_button_and_the_record(client, people):
    topic = topic_in(S.RAISED, village=people.here)
    Topic.objects.filter(pk=topic.pk).update(created_at=timezone.now() - timedelta(hours=3))
    topic.refresh_from_db()
    services.reply_post(actor=people.cadre_here, topic=topic, text="好")
    body = client.get(reverse("village_home", args=[people.here.slug])).content.decode()
    assert reverse("talks:new", args=[people.here.slug]) in body
    from talks.selectors import cadre_record

    record = cadre_record(people.here)
    assert 2.9 <= record["median_reply_hours"] <= 3.1 and record["open_topics"] == 1


def test_a_task_assignment_goes_to_cadres_only(people):
    topic = topic_in(S.DISCUSSING, village=people.here)
    with pytest.raises(services.TalksError):
        services.task_assign(
            actor=people.cadre_here, topic=topic, title="修", assignees=[people.villager_here]
        )
    secretary = member(people.here, Role.SECRETARY)
    task = services.task_assign(
        actor=people.cadre_here,
        topic=topic,
        title="修",
        assignees=[secretary, people.cadre_here],
        due_date=timezone.localdate(),
    )
    assert task.assignments.count() == 2
    assert Notification.objects.filter(user=secretary, kind="task_assigned").exists()


def test_cadres_work_through_the_queue_of_reported_comments(client, people):
    topic = TopicFactory(village=people.here, author=people.villager_here, status=S.DISCUSSING)
    rude = Comment.objects.create(
        village=people.here, topic=topic, author=people.villager_here, text="骂人的话"
    )
    fine = Comment.objects.create(
        village=people.here, topic=topic, author=people.villager_here, text="说得对"
    )
    a, b, c = (member(people.here) for _ in range(3))
    services.comment_report(actor=a, comment=rude, reason="骂人")
    services.comment_report(actor=b, comment=rude, reason="")
    services.comment_report(actor=a, comment=fine, reason="不喜欢")
    queue = reverse("talks:reports", args=[people.here.slug])

    client.force_login(people.cadre_here)
    listing = client.get(reverse("talks:list", args=[people.here.slug])).content.decode()
    assert queue in listing and "2 条被举报的评论" in listing
    page = client.get(queue)
    assert [x.pk for x in page.context["page"]] == [rude.pk, fine.pk]  # most reported first
    assert "骂人" in page.content.decode()

    # Keep one: it leaves the queue until somebody reports it again.
    response = client.post(reverse("talks:keep", args=[people.here.slug, fine.pk]))
    assert response.status_code == 302 and response.url == queue
    assert [x.pk for x in client.get(queue).context["page"]] == [rude.pk]
    response = client.post(reverse("talks:keep", args=[people.here.slug, fine.pk]))
    assert "没有新的举报" in client.get(queue).content.decode()
    services.comment_report(actor=c, comment=fine, reason="")
    assert [x.pk for x in client.get(queue).context["page"]] == [rude.pk, fine.pk]

    # Hide one from the queue: back to the queue, hidden with its reason for everyone.
    hide = reverse("talks:hide", args=[people.here.slug, topic.pk, rude.pk])
    response = client.post(hide, {"reason": "人身攻击", "back": "reports"})
    assert response.status_code == 302 and response.url == queue
    rude.refresh_from_db()
    assert rude.is_hidden and rude.hidden_reason == "人身攻击"
    assert [x.pk for x in client.get(queue).context["page"]] == [fine.pk]


def test_the_report_queue_query_count_does_not_grow(client, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    topic = TopicFactory(village=people.here, author=people.villager_here, status=S.DISCUSSING)

    def reported_comment():
        comment = Comment.objects.create(
            village=people.here, topic=topic, author=member(people.here), text="x"
        )
        for _ in range(2):
            services.comment_report(actor=member(people.here), comment=comment, reason="r")

    reported_comment()
    client.force_login(people.cadre_here)
    queue = reverse("talks:reports", args=[people.here.slug])
    with CaptureQueriesContext(connection) as few:
        client.get(queue)
    for _ in range(8):
        reported_comment()
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(queue).context["page"]) == 9
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_villager_cannot_keep_a_reported_comment(people):
    topic = TopicFactory(village=people.here, author=people.villager_here, status=S.DISCUSSING)
    comment = Comment.objects.create(
        village=people.here, topic=topic, author=people.villager_here, text="x"
    )
    services.comment_report(actor=member(people.here), comment=comment)
    with pytest.raises(TalksError):
        services.comment_keep(actor=people.villager_here, comment=comment)
    comment.refresh_from_db()
    assert comment.reports_kept == 0


def test_a_comment_costs_a_fixed_number_of_queries(client, people, django_assert_max_num_queries):
    # The evening's writes are a quarter of the load's work: the topic locked for the comment
    # is not asked again whether it is still open.
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.cadre_here)
    client.force_login(people.villager_here)
    url = reverse("talks:comment", args=[people.here.slug, topic.pk])
    client.post(url, {"text": "第一条"})
    # session, user, village, rights, topic, (savepoint), rights, lock, comment, count, event,
    # notification, (release)
    with django_assert_max_num_queries(13):
        response = client.post(url, {"text": "同意，晚上确实太黑了。"})
    assert response.status_code == 302
    assert Comment.objects.filter(topic=topic).count() == 2
    assert Notification.objects.filter(user=people.cadre_here, kind="comment").count() == 2
