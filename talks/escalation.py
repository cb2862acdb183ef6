"""Writes of deadlines, escalation to the town and the "still not fixed?" follow-up.

Services as in ``talks.services`` (keyword-only, one transaction each, on the timeline), kept
apart because that module is past its size budget (STYLE.md). Escalation marks a matter
(``escalated_to``/``escalated_at``, claimed with a conditional UPDATE) without moving its
status; the moves of the town official and of the follow-up's answer are in ``talks.states``.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from talks import deadlines, states
from talks.models import REASON_MAX, TEXT_MAX, Event, FollowUp, Notification, Rating, Reply, Topic
from talks.services import (
    TalksError,
    _cadre_ids,
    _clean_text,
    _event,
    _handled,
    _locked,
    _move,
    _save_photos,
    _task_create,
    _topic_url,
    _touch_stats,
    notify,
)
from villageaffairs import audit
from villageaffairs.regions import is_official_over, officials_of

S = Topic.Status
# How long the author has to answer "is it fixed?" once asked.
FOLLOW_UP_ANSWER_DAYS = 30
MAX_PHOTOS = 6

REPLY_OVERDUE = "reply_overdue"
HANDLE_OVERDUE = "handle_overdue"
DECLINED = "declined"


def _overdue(now):
    """Unresolved, not escalated, past a deadline: no official reply in time, or not handled."""
    return Topic.objects.filter(
        Q(first_reply_at__isnull=True, reply_due_at__lt=now) | Q(handle_due_at__lt=now),
        escalated_at__isnull=True,
        status__in=states.sources("escalate_overdue"),
    )


def is_overdue(topic: Topic, now=None) -> bool:
    """The same test as ``_overdue``, on a loaded topic (no query)."""
    now = now or timezone.now()
    if topic.escalated_at is not None or topic.status not in states.sources("escalate_overdue"):
        return False
    reply_late = topic.first_reply_at is None and topic.reply_due_at and topic.reply_due_at < now
    return bool(reply_late or (topic.handle_due_at and topic.handle_due_at < now))


def escalable(topic: Topic, now=None) -> bool:
    """Whether the author may take the matter to the town now: declined, or past a deadline."""
    if topic.escalated_at is not None:
        return False
    return states.allowed("escalate_declined", topic.status) or is_overdue(topic, now)


def _mark_escalated(topic: Topic, *, now, why: str, actor=None, reason: str = "") -> bool:
    """Claim the escalation with a conditional UPDATE; the winner records and notifies."""
    region_id = topic.village.region_id
    claimed = Topic.objects.filter(
        pk=topic.pk, escalated_at__isnull=True, status=topic.status
    ).update(escalated_to_id=region_id, escalated_at=now)
    if claimed != 1:
        return False
    topic.escalated_to_id, topic.escalated_at = region_id, now
    region = topic.village.region
    _event(topic, Event.Kind.ESCALATED, actor=actor, detail=reason, data={"why": why}, at=now)
    audit.record(
        actor=actor,
        action="topic.escalate",
        obj=topic,
        village=topic.village,
        changes={"to": region.name, "why": why, "reason": reason},
    )
    url = _topic_url(topic)
    notify(
        users=officials_of(region).values_list("pk", flat=True),
        village_id=topic.village_id,
        kind=Notification.Kind.ESCALATED,
        text=gettext("Escalated from %(village)s: %(title)s")
        % {"village": topic.village.name, "title": topic.title},
        url=url,
    )
    notify(
        users=[*_cadre_ids(topic.village), topic.author_id],
        village_id=topic.village_id,
        kind=Notification.Kind.STATUS,
        text=gettext("“%(title)s” was escalated to %(town)s.")
        % {"title": topic.title, "town": region.name},
        url=url,
        exclude=actor,
    )
    return True


# --- escalation ----------------------------------------------------------------------------


@transaction.atomic
def topic_escalate_overdue(*, topic_id: int) -> bool:
    """Escalate one matter past its deadline (the beat job; safe to run twice)."""
    now = timezone.now()
    topic = _overdue(now).select_related("village__region").filter(pk=topic_id).first()
    if topic is None:
        return False
    why = (
        REPLY_OVERDUE
        if topic.first_reply_at is None and topic.reply_due_at and topic.reply_due_at < now
        else HANDLE_OVERDUE
    )
    return _mark_escalated(topic, now=now, why=why)


def topics_escalate_due(*, limit: int = 1000) -> int:
    """Find the overdue matters in one query and escalate each in its own transaction."""
    ids = list(_overdue(timezone.now()).order_by("pk").values_list("pk", flat=True)[:limit])
    return sum(topic_escalate_overdue(topic_id=pk) for pk in ids)


@transaction.atomic
def topic_escalate(*, actor, topic: Topic, reason: str) -> Topic:
    """The author takes a declined (or overdue) matter to the town, saying why."""
    if actor.pk != topic.author_id:
        raise TalksError(_("Only the villager who raised it may escalate it."), code="forbidden")
    reason = _clean_text(reason, field="reason", max_length=REASON_MAX)
    topic = _locked(topic)
    if topic.escalated_at is not None:
        raise TalksError(_("This matter is already escalated."), code="already_escalated")
    now = timezone.now()
    if states.allowed("escalate_declined", topic.status):
        why = DECLINED
    elif is_overdue(topic, now):
        why = topic_deadline_missed(topic, now)
    else:
        # A status no escalation starts from is an illegal move; an open matter still within
        # its deadlines is merely not escalable yet.
        legal = states.allowed("escalate_overdue", topic.status)
        raise TalksError(
            _("Only a declined matter or one past its deadline can be escalated."),
            code="not_overdue" if legal else "illegal_transition",
        )
    if not _mark_escalated(topic, now=now, why=why, actor=actor, reason=reason):
        raise TalksError(_("The matter changed meanwhile. Reload the page."), code="stale")
    return topic


def topic_deadline_missed(topic: Topic, now) -> str:
    if topic.first_reply_at is None and topic.reply_due_at and topic.reply_due_at < now:
        return REPLY_OVERDUE
    return HANDLE_OVERDUE


# --- the town official ---------------------------------------------------------------------


def may_act_as_official(user, topic: Topic) -> bool:
    return topic.escalated_at is not None and is_official_over(user, topic.village)


def _require_official(actor, topic: Topic) -> None:
    if not is_official_over(actor, topic.village):
        raise TalksError(
            _("Only an official of the town or county over this village may do this."),
            code="forbidden",
        )
    if topic.escalated_at is None:
        raise TalksError(_("This matter has not been escalated."), code="not_escalated")


@transaction.atomic
def official_reply(*, actor, topic: Topic, text: str) -> Reply:
    """The official's reply counts as an official reply (the first reply time is kept)."""
    _require_official(actor, topic)
    text = _clean_text(text, field="text", max_length=TEXT_MAX)
    topic = _locked(topic)
    now = timezone.now()
    extra = {"first_reply_at": now} if topic.first_reply_at is None else {}
    _move(topic, "official_reply", **extra)
    reply = Reply.objects.create(
        village_id=topic.village_id,
        topic=topic,
        author=actor,
        role="official",
        text=text,
        created_at=now,
    )
    _event(topic, Event.Kind.REPLIED, actor=actor, at=now, data={"official": True})
    if extra:  # the first reply: the raise day's time-to-reply figure changes
        _touch_stats(topic)
    audit.record(actor=actor, action="topic.official_reply", obj=topic, village=topic.village)
    notify(
        users=[topic.author_id, *_cadre_ids(topic.village)],
        village_id=topic.village_id,
        kind=Notification.Kind.REPLY,
        text=gettext("%(town)s replied to “%(title)s”.")
        % {"town": topic.village.region.name, "title": topic.title},
        url=_topic_url(topic),
        exclude=actor,
    )
    return reply


@transaction.atomic
def official_assign(*, actor, topic: Topic, title: str, assignees, due_date=None):
    """The official sends the matter back to the village as a task for its cadres."""
    _require_official(actor, topic)
    task = _task_create(
        actor=actor,
        topic=topic,
        title=title,
        assignees=assignees,
        due_date=due_date,
        action="official_assign",
        closed_at=None,
        status_reason="",
    )
    audit.record(actor=actor, action="topic.official_assign", obj=topic, village=topic.village)
    return task


@transaction.atomic
def topic_take_over(*, actor, topic: Topic, note: str = "") -> Topic:
    """The official takes the matter over and handles it (then may mark it handled)."""
    _require_official(actor, topic)
    note = _clean_text(note, field="note", max_length=REASON_MAX, required=False)
    topic = _locked(topic)
    if Event.objects.filter(topic=topic, kind=Event.Kind.TAKEN_OVER).exists():
        raise TalksError(_("This matter is already taken over."), code="already_taken_over")
    _move(topic, "take_over", closed_at=None, status_reason="")
    _event(topic, Event.Kind.TAKEN_OVER, actor=actor, detail=note)
    audit.record(actor=actor, action="topic.take_over", obj=topic, village=topic.village)
    notify(
        users=[topic.author_id, *_cadre_ids(topic.village)],
        village_id=topic.village_id,
        kind=Notification.Kind.STATUS,
        text=gettext("%(town)s took over “%(title)s”.")
        % {"town": topic.village.region.name, "title": topic.title},
        url=_topic_url(topic),
        exclude=actor,
    )
    return topic


def taken_over(topic: Topic) -> bool:
    return Event.objects.filter(topic=topic, kind=Event.Kind.TAKEN_OVER).exists()


@transaction.atomic
def official_mark_handled(*, actor, topic: Topic, note: str) -> Topic:
    """The official who took a matter over marks it handled."""
    _require_official(actor, topic)
    if not taken_over(topic):
        raise TalksError(
            _("Take the matter over before marking it handled."), code="not_taken_over"
        )
    return _handled(actor=actor, topic=topic, note=note)


# --- "still not fixed?" --------------------------------------------------------------------


@transaction.atomic
def follow_up_ask(*, follow_up_id: int) -> bool:
    """Ask the author whether it is fixed (the beat job; safe to run twice)."""
    now = timezone.now()
    claimed = FollowUp.objects.filter(
        pk=follow_up_id,
        asked_at__isnull=True,
        ask_at__lte=now,
        topic__status__in=states.sources("reopen"),
    ).update(asked_at=now, expires_at=now + timedelta(days=FOLLOW_UP_ANSWER_DAYS))
    if claimed != 1:
        return False
    follow_up = FollowUp.objects.select_related("topic__village").get(pk=follow_up_id)
    topic = follow_up.topic
    _event(topic, Event.Kind.FOLLOW_UP, at=now, data={"follow_up": follow_up.pk})
    notify(
        users=[topic.author_id],
        village_id=topic.village_id,
        kind=Notification.Kind.FOLLOW_UP,
        text=gettext("Is “%(title)s” fixed? Please tell the village.") % {"title": topic.title},
        url=follow_up_url(follow_up, topic),
    )
    return True


def follow_ups_ask_due(*, limit: int = 1000) -> int:
    ids = list(
        FollowUp.objects.filter(
            asked_at__isnull=True,
            ask_at__lte=timezone.now(),
            topic__status__in=states.sources("reopen"),
        )
        .order_by("ask_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(follow_up_ask(follow_up_id=pk) for pk in ids)


def follow_up_url(follow_up: FollowUp, topic: Topic) -> str:
    from django.urls import reverse

    return reverse(
        "talks:follow_up",
        kwargs={"village_slug": topic.village.slug, "pk": topic.pk, "fu_pk": follow_up.pk},
    )


@transaction.atomic
def follow_up_answer(
    *, actor, follow_up: FollowUp, fixed: bool, note: str = "", photos=()
) -> FollowUp:
    """The author says whether it is fixed, once, before the question expires. "Not fixed"
    (with a note) reopens the matter for a new handling; its ratings are set aside."""
    topic = follow_up.topic
    if actor.pk != topic.author_id:
        raise TalksError(_("Only the villager who raised the matter answers."), code="forbidden")
    now = timezone.now()
    _check_open(FollowUp.objects.get(pk=follow_up.pk), now)
    note = _clean_text(note, field="note", max_length=REASON_MAX, required=not fixed)
    if len(photos or ()) > MAX_PHOTOS:
        raise TalksError({"photos": _("At most %(n)d photos.") % {"n": MAX_PHOTOS}}, code="invalid")
    topic = _locked(topic)
    claimed = FollowUp.objects.filter(
        pk=follow_up.pk, asked_at__isnull=False, answered_at__isnull=True, expires_at__gt=now
    ).update(answered_at=now, fixed=fixed, note=note)
    if claimed != 1:  # answered meanwhile (a double click): say why
        _check_open(FollowUp.objects.get(pk=follow_up.pk), now)
        raise TalksError(_("The matter changed meanwhile. Reload the page."), code="stale")
    follow_up.answered_at, follow_up.fixed, follow_up.note = now, fixed, note
    if fixed:
        _move(topic, "confirm_fixed")
        _event(topic, Event.Kind.FIXED, actor=actor, detail=note, at=now)
        audit.record(actor=actor, action="topic.fixed", obj=topic, village=topic.village)
        return follow_up
    _reopen(actor=actor, topic=topic, follow_up=follow_up, note=note, photos=photos, now=now)
    return follow_up


def _check_open(question: FollowUp, now) -> None:
    if question.answered_at is not None:
        raise TalksError(_("This question is already answered."), code="answered")
    if question.asked_at is None:
        raise TalksError(_("This question has not been asked yet."), code="not_asked")
    if question.expires_at is None or question.expires_at <= now:
        raise TalksError(_("The time to answer this question is over."), code="expired")


def _reopen(*, actor, topic: Topic, follow_up: FollowUp, note: str, photos, now) -> None:
    _, handle_days = deadlines.deadlines_for(topic.village).get(
        topic.category, (deadlines.DEFAULT_REPLY_DAYS, deadlines.DEFAULT_HANDLE_DAYS)
    )
    # A new handling with its own deadline; the first reply and first handling times stay.
    _move(
        topic,
        "reopen",
        reopened_count=F("reopened_count") + 1,
        closed_at=None,
        status_reason=note,
        handle_due_at=deadlines.due_after(now, handle_days),
        rating_count=0,
        rating_sum=0,
    )
    Rating.objects.filter(topic=topic, set_aside=False).update(set_aside=True)
    _save_photos(photos, topic=topic, follow_up=follow_up)
    _event(topic, Event.Kind.REOPENED, actor=actor, detail=note, at=now)
    audit.record(actor=actor, action="topic.reopen", obj=topic, village=topic.village)
    notify(
        users=_cadre_ids(topic.village),
        village_id=topic.village_id,
        kind=Notification.Kind.REOPENED,
        text=gettext("Not fixed, reopened: %(title)s") % {"title": topic.title},
        url=_topic_url(topic),
        exclude=actor,
    )
    _touch_stats(topic)  # the raise day, the handling days and today
