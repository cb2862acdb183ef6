"""The cadre's action on a matter: nothing chosen for them, a note for the villager, a
deliberate confirmation; a refusal changes nothing and is announced at the top of the page."""

import pytest
from django.urls import reverse

from talks import services
from talks.models import Event, Notification, Topic
from talks.services import TalksError
from tests.factories import member
from tests.talks.factories import topic_in

S = Topic.Status


@pytest.fixture
def author(people):
    return member(people.here, username="author")


def _post(client, people, topic, data):
    client.force_login(people.cadre_here)
    return client.post(reverse("talks:manage", args=[people.here.slug, topic.pk]), data)


def _unchanged(topic, status, events):
    topic.refresh_from_db()
    assert topic.status == status
    assert Event.objects.filter(topic=topic).count() == events


REFUSED = [
    # nothing chosen: there is no default action
    ({"reason": "修好了", "confirm": "on"}, "action"),
    ({"action": "", "reason": "修好了", "confirm": "on"}, "action"),
    # no note where the villager deserves a reason
    ({"action": "decline", "confirm": "on"}, "reason"),
    ({"action": "decline", "reason": "   ", "confirm": "on"}, "reason"),
    # not confirmed
    ({"action": "decline", "reason": "不归村里管"}, "confirm"),
    # a merge without the other matter's number
    ({"action": "merge", "confirm": "on"}, "into"),
    # a merge into a matter that does not exist here
    ({"action": "merge", "into": "999999", "confirm": "on"}, "into"),
    # an action this status does not allow is not even offered
    ({"action": "close", "reason": "办结", "confirm": "on"}, "action"),
]


@pytest.mark.parametrize(("data", "field"), REFUSED)
def test_a_refused_action_changes_nothing_and_is_summed_up_at_the_top(
    client, people, author, data, field
):
    topic = topic_in(S.DISCUSSING, village=people.here, author=author)
    events = Event.objects.filter(topic=topic).count()
    response = _post(client, people, topic, data)
    assert response.status_code == 400
    form = response.context["manage_form"]
    assert field in form.errors
    _unchanged(topic, S.DISCUSSING, events)
    assert not Notification.objects.filter(user=author).exists()
    html = response.content.decode()
    # The summary comes before the matter itself, links to the field, and is announced.
    summary = html.index('id="error-summary"')
    assert summary < html.index("<h1>")
    assert 'role="alert"' in html[summary - 40 : summary]
    assert f'href="#{form[field].auto_id}_error"' in html
    assert f'id="{form[field].auto_id}_error"' in html  # the error by the field
    # What was typed is kept.
    if data.get("reason", "").strip():
        assert data["reason"] in html


def test_the_menu_has_no_default_and_offers_only_what_the_status_allows(client, people, author):
    topic = topic_in(S.HANDLING, village=people.here, author=author)
    client.force_login(people.cadre_here)
    response = client.get(reverse("talks:detail", args=[people.here.slug, topic.pk]))
    form = response.context["manage_form"]
    assert [value for value, _ in form.fields["action"].choices] == ["", "handled"]
    html = response.content.decode()
    assert 'name="confirm"' in html and "checked" not in html.split('id="manage"')[1]
    assert 'id="error-summary"' not in html


@pytest.mark.parametrize(
    ("status", "data", "after", "kind"),
    [
        (S.HANDLING, {"action": "handled", "reason": "水渠已修复"}, S.HANDLED, "handled"),
        (S.HANDLED, {"action": "close", "reason": "村民满意，办结"}, S.CLOSED, "closed"),
        (S.RAISED, {"action": "decline", "reason": "不归村里管"}, S.DECLINED, "declined"),
    ],
)
def test_a_confirmed_action_with_a_note_is_done_and_the_villager_learns_why(
    client, people, author, status, data, after, kind
):
    topic = topic_in(status, village=people.here, author=author)
    response = _post(client, people, topic, {**data, "confirm": "on"})
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.status == after and topic.status_reason == data["reason"]
    assert Event.objects.get(topic=topic, kind=kind).detail == data["reason"]
    assert Notification.objects.filter(user=author).exists()


def test_a_merge_names_the_other_matter_and_keeps_the_note(client, people, author):
    other = topic_in(S.DISCUSSING, village=people.here, author=author)
    topic = topic_in(S.RAISED, village=people.here, author=author)
    data = {"action": "merge", "into": str(other.pk), "confirm": "on"}
    assert _post(client, people, topic, data).status_code == 302
    topic.refresh_from_db()
    assert topic.status == S.MERGED and topic.duplicate_of == other
    assert str(other.pk) in topic.status_reason and other.title in topic.status_reason
    topic = topic_in(S.RAISED, village=people.here, author=author)
    assert _post(client, people, topic, {**data, "reason": "同一段水渠"}).status_code == 302
    topic.refresh_from_db()
    assert str(other.pk) in topic.status_reason and "同一段水渠" in topic.status_reason


def test_a_service_refusal_is_shown_by_the_field_too(client, people, author):
    """The service has the last word (open tasks): the page comes back with the summary."""
    topic = topic_in(S.DISCUSSING, village=people.here, author=author)
    services.task_assign(
        actor=people.cadre_here, topic=topic, title="修渠", assignees=[people.cadre_here]
    )
    events = Event.objects.filter(topic=topic).count()
    data = {"action": "handled", "reason": "修好了", "confirm": "on"}
    response = _post(client, people, topic, data)
    assert response.status_code == 400
    assert 'id="error-summary"' in response.content.decode()
    _unchanged(topic, S.HANDLING, events)


@pytest.mark.parametrize(
    "call",
    [
        lambda cadre, topic: services.topic_mark_handled(actor=cadre, topic=topic, note=" "),
        lambda cadre, topic: services.topic_close(actor=cadre, topic=topic, reason=""),
    ],
)
def test_the_services_want_a_reason_too(people, author, call):
    topic = topic_in(S.HANDLED, village=people.here, author=author)
    with pytest.raises(TalksError) as exc:
        call(people.cadre_here, topic)
    assert {"note", "reason"} & set(exc.value.message_dict)
    assert Topic.objects.get(pk=topic.pk).status == S.HANDLED
    assert not Event.objects.filter(topic=topic).exists()
