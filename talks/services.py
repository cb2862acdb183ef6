"""Writes of the talks app. Keyword-only, one transaction each, audited, on the timeline.

A status change is a conditional UPDATE (``filter(pk=…, status__in=legal sources)``): the row
count says whether this request won, so two cadres acting at once cannot both move a topic.
A vote is closed the same way on ``closed_at``; the closer that wins counts the ballots and
publishes the one result. Ballots lock the vote row, so a ballot either commits before the
closer counts or sees the vote closed and is refused.
"""

import dataclasses
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, connection, router, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from talks import deadlines, states, tally
from talks.models import (
    COMMENT_MAX,
    REASON_MAX,
    TEXT_MAX,
    TITLE_MAX,
    AbuseReport,
    Ballot,
    Comment,
    Entrustment,
    Event,
    FollowUp,
    Notification,
    Participation,
    Photo,
    ProgressNote,
    Rating,
    Receipt,
    Reply,
    RollEntry,
    SecretBallot,
    Support,
    TalksSettings,
    Task,
    TaskAssignment,
    Topic,
    Vote,
)
from villageaffairs import assist, audit, bounds, outbox
from villageaffairs.models import Household, Resident, Village
from villageaffairs.permissions import village_perms, village_roles
from villageaffairs.prepared import Prepared

ADULT_AGE = 18
MAX_VOTE_DAYS = 60
# An SMS claim older than this belongs to a run that died; another run may send it.
SMS_LEASE = timedelta(minutes=2)
S = Topic.Status


class TalksError(ValidationError):
    """A request that breaks a rule of the talks; nothing was changed."""


# --- helpers -------------------------------------------------------------------------------


def _require(actor, village, flag: str) -> None:
    if flag not in village_perms(actor, village):
        raise TalksError(_("You may not do this in this village."), code="forbidden")


def _clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise TalksError({field: _("This cannot be empty.")}, code="empty")
    if len(value) > max_length:
        raise TalksError(
            {field: _("At most %(n)d characters.") % {"n": max_length}}, code="too_long"
        )
    return value


def _move(topic: Topic, action: str, *, locked: bool = False, **fields) -> str:
    """Apply a state transition with a conditional UPDATE; refuse it if it is illegal now.
    ``locked``: the topic was read with ``_locked`` in this transaction, so its status cannot
    have moved since."""
    new = states.target(action, topic.status) if topic.status in states.sources(action) else None
    if new is None:
        raise TalksError(
            _("This cannot be done while the matter is “%(status)s”.")
            % {"status": topic.get_status_display()},
            code="illegal_transition",
        )
    if new == topic.status and not fields:
        # Same status: still make sure nobody moved it meanwhile.
        if not locked and not Topic.objects.filter(pk=topic.pk, status=topic.status).exists():
            raise TalksError(_("The matter changed meanwhile. Reload the page."), code="stale")
        return new
    moved = Topic.objects.filter(pk=topic.pk, status=topic.status).update(status=new, **fields)
    if moved != 1:
        raise TalksError(_("The matter changed meanwhile. Reload the page."), code="stale")
    topic.status = new
    for name, value in fields.items():
        if not hasattr(value, "resolve_expression"):
            setattr(topic, name, value)
    return new


def _event(topic: Topic, kind: str, *, actor=None, detail: str = "", data=None, at=None) -> Event:
    return Event.objects.create(
        village_id=topic.village_id,
        topic=topic,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        detail=detail[:REASON_MAX],
        data=data or {},
        created_at=at or timezone.now(),
    )


def _topic_url(topic: Topic, village=None) -> str:
    slug = (village or topic.village).slug
    return reverse("talks:detail", kwargs={"village_slug": slug, "pk": topic.pk})


_PK_STAND_IN = 987654321


def _topic_urls(votes) -> dict[int, str]:
    """Each vote's topic page address, with one ``reverse`` per village (a beat run closing
    10,000 votes spent a fifth of its time in ``reverse``). The votes carry ``village_slug``
    (see ``_closing_votes``)."""
    shapes = {}
    for vote in votes:
        if vote.village_id not in shapes:
            kwargs = {"village_slug": vote.village_slug, "pk": _PK_STAND_IN}
            shapes[vote.village_id] = reverse("talks:detail", kwargs=kwargs)
    return {
        vote.pk: shapes[vote.village_id].replace(str(_PK_STAND_IN), str(vote.topic_id))
        for vote in votes
    }


def notify(*, users, village_id: int, kind: str, text: str, url: str = "", exclude=None) -> int:
    """Put a message in each user's inbox; SMS kinds are also texted (after the commit)."""
    user_ids = {getattr(u, "pk", u) for u in users if u is not None}
    if exclude is not None:
        user_ids.discard(getattr(exclude, "pk", exclude))
    if not user_ids:
        return 0
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                village_id=village_id,
                kind=kind,
                text=text[:300],
                url=url[:200],
                created_at=now,
            )
            for uid in sorted(user_ids)
        ]
    )
    if kind in Notification.SMS_KINDS:
        ids = [n.pk for n in rows if n.pk is not None]
        if not ids:  # backends that do not return ids from bulk_create
            ids = list(
                Notification.objects.filter(
                    user_id__in=user_ids, kind=kind, created_at=now
                ).values_list("pk", flat=True)
            )
        # One outbox row per event (its first notification names it): the texts go out after
        # the commit, or from the sweep if the broker is down, never twice per notification.
        outbox.enqueue("talks.tasks.send_notification_sms", args=[ids], key=f"talks.sms:{min(ids)}")
    return len(user_ids)


def _cadre_ids(village) -> list[int]:
    from villageaffairs.models import RoleAssignment
    from villageaffairs.permissions import ROLE_PERMISSIONS

    roles = [r for r, perms in ROLE_PERMISSIONS.items() if "talks.reply" in perms]
    return list(
        RoleAssignment.objects.filter(village=village, role__in=roles)
        .values_list("user_id", flat=True)
        .distinct()
    )


def settings_for(village) -> TalksSettings:
    found = TalksSettings.objects.filter(village=village).first()
    return found or TalksSettings(village=village)


def _save_photos(photos, *, topic: Topic, progress=None, follow_up=None) -> None:
    for photo in photos or ():
        Photo.objects.create(
            village_id=topic.village_id,
            topic=topic,
            progress=progress,
            follow_up=follow_up,
            image=photo.image,
            thumbnail=photo.thumbnail,
        )


# --- speak ---------------------------------------------------------------------------------


def _topic_fields(*, title: str, text: str, category: str, photos=(), errors=None):
    """A new matter's cleaned title and text, or TalksError naming every wrong field (with
    ``errors`` found before, such as the evidence of an assisted act)."""
    errors = dict(errors or {})
    try:
        title = _clean_text(title, field="title", max_length=TITLE_MAX)
    except TalksError as exc:
        errors.update(exc.message_dict)
    try:
        text = _clean_text(text, field="text", max_length=TEXT_MAX)
    except TalksError as exc:
        errors.update(exc.message_dict)
    if category not in Topic.Category.values:
        errors["category"] = [gettext("Choose a category.")]
    if len(photos or ()) > 6:
        errors["photos"] = [gettext("At most %(n)d photos.") % {"n": 6}]
    if errors:
        raise TalksError(errors, code="invalid")
    return title, text


@transaction.atomic
def topic_raise(
    *,
    actor,
    village: Village,
    title: str,
    text: str,
    category: str,
    photos=(),
    acted_for=None,
) -> Topic:
    """A villager raises a matter (or a cadre types it in for ``acted_for``)."""
    author = acted_for or actor
    _require(actor, village, "talks.speak")
    if acted_for is not None:
        _require(actor, village, "talks.handle")
        _require(acted_for, village, "talks.speak")
    title, text = _topic_fields(title=title, text=text, category=category, photos=photos)
    now = timezone.now()
    topic = Topic.objects.create(
        village=village,
        author=author,
        entered_by=actor if acted_for is not None else None,
        title=title,
        text=text,
        category=category,
        created_at=now,
        **deadlines.due_fields(village, category, now),
    )
    _save_photos(photos, topic=topic)
    _event(topic, Event.Kind.RAISED, actor=author, at=topic.created_at)
    audit.record(
        actor=actor,
        action="topic.raise",
        obj=topic,
        village=village,
        acted_for=acted_for,
        changes={"title": title, "category": category},
    )
    notify(
        users=_cadre_ids(village),
        village_id=village.pk,
        kind=Notification.Kind.STATUS,
        text=gettext("New matter raised: %(title)s") % {"title": title},
        url=_topic_url(topic),
        exclude=actor,
    )
    return topic


@transaction.atomic
def topic_raise_assisted(
    *,
    actor,
    village: Village,
    resident: Resident,
    title: str,
    text: str,
    category: str,
    photos=(),
    signature=None,
    witness: str = "",
) -> Topic:
    """A cadre or a grid worker raises a matter for a resident who came to the office or was
    visited at home. The resident's account (if any) is the author; without one, the one who
    entered it is, and the topic names the resident. Nothing is saved if any field is wrong."""
    assist.check(actor=actor, village=village, resident_obj=resident)
    errors = {}
    try:
        assist.clean_evidence(signature=signature, witness=witness)
    except assist.AssistError as exc:
        errors.update(exc.message_dict)
    title, text = _topic_fields(
        title=title, text=text, category=category, photos=photos, errors=errors
    )
    act = assist.act_record(
        actor=actor,
        village=village,
        resident_obj=resident,
        kind="talks.topic",
        summary=gettext("Raised the matter “%(title)s”") % {"title": title},
        signature=signature,
        witness=witness,
    )
    author = resident.user if resident.user_id else actor
    now = timezone.now()
    topic = Topic.objects.create(
        village=village,
        author=author,
        entered_by=actor,
        for_resident=resident,
        assisted_act=act,
        title=title,
        text=text,
        category=category,
        created_at=now,
        **deadlines.due_fields(village, category, now),
    )
    _save_photos(photos, topic=topic)
    _event(topic, Event.Kind.RAISED, actor=actor, at=topic.created_at)
    assist.act_url(act, _topic_url(topic, village))
    audit.record(
        actor=actor,
        action="topic.raise",
        obj=topic,
        village=village,
        acted_for=resident.user if resident.user_id else None,
        changes={"title": topic.title, "category": category, "for_resident": resident.pk},
    )
    notify(
        users=_cadre_ids(village),
        village_id=village.pk,
        kind=Notification.Kind.STATUS,
        text=gettext("New matter raised: %(title)s") % {"title": topic.title},
        url=_topic_url(topic),
        exclude=actor,
    )
    return topic


def topic_disputed(act, actor) -> None:
    """A disputed assisted topic is withdrawn while nobody has begun to handle it."""
    topic = Topic.objects.filter(assisted_act=act).first()
    if topic is None or topic.status not in states.sources("withdraw"):
        return
    _end(
        actor=actor,
        topic=topic,
        action="withdraw",
        kind=Event.Kind.WITHDRAWN,
        reason=act.dispute_reason,
    )


def assisted_act_notice(act) -> None:
    """The villager with an account finds each act done for them in their inbox."""
    if not act.resident.user_id:
        return
    who = act.actor
    text = (
        gettext("Grid worker %(who)s entered this for you: %(what)s")
        if act.by_grid_worker
        else gettext("Cadre %(who)s entered this for you: %(what)s")
    ) % {"who": who, "what": act.summary}
    notify(
        users=[act.resident.user_id],
        village_id=act.village_id,
        kind=Notification.Kind.ASSISTED,
        text=text,
        url=reverse("assist_act", kwargs={"village_slug": act.village.slug, "pk": act.pk}),
    )


def assisted_dispute_notice(act) -> None:
    """The cadres learn of a dispute of something entered for a villager."""
    notify(
        users=_cadre_ids(act.village),
        village_id=act.village_id,
        kind=Notification.Kind.DISPUTED,
        text=gettext("%(name)s disputes: %(what)s. Reason: %(reason)s")
        % {"name": act.resident.name, "what": act.summary, "reason": act.dispute_reason},
        url=reverse("assist_act", kwargs={"village_slug": act.village.slug, "pk": act.pk}),
        exclude=act.disputed_by,
    )


def _locked_query(pk: int):
    # The topic's row only: the village is read with it (its name), never written by the talks.
    return Topic.objects.select_for_update(of=("self",)).select_related("village").filter(pk=pk)


# Every write on a topic starts here: compiled once (prepared).
_locked_topic = Prepared(_locked_query, kinds=(int,))


def _locked(topic: Topic) -> Topic:
    """The topic read again and locked until the transaction ends (DoesNotExist if gone)."""
    found = _locked_topic.first(topic.pk, using=router.db_for_write(Topic))
    if found is None:
        raise Topic.DoesNotExist("No such topic.")
    return found


# --- discuss -------------------------------------------------------------------------------


@transaction.atomic
def reply_post(*, actor, topic: Topic, text: str) -> Reply:
    """The secretary's or a cadre's official reply; the author is told (also by SMS)."""
    _require(actor, topic.village, "talks.reply")
    text = _clean_text(text, field="text", max_length=TEXT_MAX)
    topic = _locked(topic)
    now = timezone.now()
    extra = {"first_reply_at": now} if topic.first_reply_at is None else {}
    _move(topic, "reply", **extra)
    roles = village_roles(actor, topic.village)
    role = next((r for r in ("secretary", "accountant", "cadre") if r in roles), "")
    reply = Reply.objects.create(
        village_id=topic.village_id, topic=topic, author=actor, role=role, text=text, created_at=now
    )
    _event(topic, Event.Kind.REPLIED, actor=actor, at=now)
    audit.record(actor=actor, action="topic.reply", obj=topic, changes={"reply": reply.pk})
    notify(
        users=[topic.author_id],
        village_id=topic.village_id,
        kind=Notification.Kind.REPLY,
        text=gettext("%(village)s replied to “%(title)s”.")
        % {"village": topic.village.name, "title": topic.title},
        url=_topic_url(topic),
        exclude=actor,
    )
    return reply


@transaction.atomic
def comment_post(*, actor, topic: Topic, text: str, parent: Comment | None = None) -> Comment:
    _require(actor, topic.village, "talks.comment")
    text = _clean_text(text, field="text", max_length=COMMENT_MAX)
    topic = _locked(topic)
    _move(topic, "comment", locked=True)
    if parent is not None:
        if parent.topic_id != topic.pk:
            raise TalksError(_("That comment belongs to another matter."), code="other_topic")
        # One level of replies: answering a reply answers its top-level comment.
        if parent.parent_id is not None:
            parent = Comment.objects.get(pk=parent.parent_id)
    comment = Comment.objects.create(
        village_id=topic.village_id, topic=topic, parent=parent, author=actor, text=text
    )
    Topic.objects.filter(pk=topic.pk).update(comment_count=F("comment_count") + 1)
    _event(topic, Event.Kind.COMMENTED, actor=actor, at=comment.created_at)
    notify(
        users=[topic.author_id, parent.author_id if parent else None],
        village_id=topic.village_id,
        kind=Notification.Kind.COMMENT,
        text=gettext("New comment on “%(title)s”.") % {"title": topic.title},
        url=_topic_url(topic),
        exclude=actor,
    )
    return comment


@transaction.atomic
def comment_hide(*, actor, comment: Comment, reason: str) -> Comment:
    topic = comment.topic
    _require(actor, topic.village, "talks.moderate")
    reason = _clean_text(reason, field="reason", max_length=REASON_MAX)
    now = timezone.now()
    hidden = Comment.objects.filter(pk=comment.pk, hidden_at__isnull=True).update(
        hidden_at=now, hidden_by=actor, hidden_reason=reason
    )
    if hidden != 1:
        raise TalksError(_("This comment is already hidden."), code="already_hidden")
    comment.hidden_at, comment.hidden_by, comment.hidden_reason = now, actor, reason
    _event(topic, Event.Kind.HIDDEN, actor=actor, detail=reason, data={"comment": comment.pk})
    audit.record(
        actor=actor,
        action="comment.hide",
        obj=comment,
        village=topic.village,
        changes={"reason": reason},
    )
    notify(
        users=[comment.author_id],
        village_id=topic.village_id,
        kind=Notification.Kind.HIDDEN,
        text=gettext("Your comment on “%(title)s” was hidden: %(reason)s")
        % {"title": topic.title, "reason": reason},
        url=_topic_url(topic),
        exclude=actor,
    )
    return comment


@transaction.atomic
def comment_report(*, actor, comment: Comment, reason: str = "") -> AbuseReport:
    _require(actor, comment.topic.village, "talks.comment")
    reason = _clean_text(reason, field="reason", max_length=REASON_MAX, required=False)
    try:
        with transaction.atomic():
            report = AbuseReport.objects.create(
                village_id=comment.village_id, comment=comment, reporter=actor, reason=reason
            )
    except IntegrityError:
        raise TalksError(_("You have already reported this comment."), code="duplicate") from None
    Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
    notify(
        users=_cadre_ids(comment.topic.village),
        village_id=comment.village_id,
        kind=Notification.Kind.STATUS,
        text=gettext("A comment on “%(title)s” was reported.") % {"title": comment.topic.title},
        url=_topic_url(comment.topic) + f"#c{comment.pk}",
        exclude=actor,
    )
    return report


@transaction.atomic
def comment_keep(*, actor, comment: Comment) -> Comment:
    """A cadre looked at the reports of a comment and keeps it visible (until new reports)."""
    _require(actor, comment.topic.village, "talks.moderate")
    kept = Comment.objects.filter(
        pk=comment.pk, hidden_at__isnull=True, report_count__gt=F("reports_kept")
    ).update(reports_kept=F("report_count"))
    if kept != 1:
        raise TalksError(_("There is no new report on this comment."), code="no_reports")
    comment.refresh_from_db(fields=["report_count", "reports_kept"])
    audit.record(
        actor=actor,
        action="comment.keep",
        obj=comment,
        village=comment.topic.village,
        changes={"reports": comment.report_count},
    )
    return comment


@transaction.atomic
def support_add(*, actor, topic: Topic, comment: Comment | None = None) -> bool:
    """Support a topic or a comment, once per person. False if already supported."""
    _require(actor, topic.village, "talks.comment")
    if not states.allowed("support", topic.status):
        raise TalksError(_("This matter is closed."), code="illegal_transition")
    if comment is not None and comment.topic_id != topic.pk:
        raise TalksError(_("That comment belongs to another matter."), code="other_topic")
    try:
        with transaction.atomic():
            Support.objects.create(
                village_id=topic.village_id, user=actor, topic=topic, comment=comment
            )
    except IntegrityError:
        return False
    if comment is None:
        Topic.objects.filter(pk=topic.pk).update(support_count=F("support_count") + 1)
        _event(topic, Event.Kind.SUPPORTED, actor=actor)
    else:
        Comment.objects.filter(pk=comment.pk).update(support_count=F("support_count") + 1)
        # A step of the full timeline, and what moves the topic page's version: the count of
        # support under the comment changes on the page.
        _event(topic, Event.Kind.SUPPORTED, actor=actor, data={"comment": comment.pk})
    return True


# --- votes ---------------------------------------------------------------------------------

# Receipt codes: eight characters read aloud without doubt (no 0/O, no 1/I). 32**8 ≈ 10**12.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 8


def _adult_on(day: date) -> date:
    """The latest birth date of someone 18 or over on ``day`` (29 February counts as 28)."""
    try:
        return day.replace(year=day.year - ADULT_AGE)
    except ValueError:
        return day.replace(year=day.year - ADULT_AGE, day=28)


def electorate_residents(village, now=None):
    """Residents on a resident vote's roll: registered in the village and 18 or over on the
    opening date, with or without an account. With only the year of birth on the register one
    counts from 1 January of that year; with none, one counts until the roll is corrected
    (the register is being completed, and leaving people off silently is worse)."""
    day = timezone.localtime(now or timezone.now()).date()
    return Resident.objects.filter(village=village, registered=True).filter(
        Q(born_on__lte=_adult_on(day))
        | Q(born_on__isnull=True, year_of_birth__lte=day.year - ADULT_AGE)
        | Q(born_on__isnull=True, year_of_birth__isnull=True)
    )


def household_representatives(village, now=None) -> list[Resident]:
    """One person per household for a household vote: the member the head names, else the
    head, if on the register and of age on the opening date."""
    adults = {r.pk: r for r in electorate_residents(village, now).only("pk", "name", "household")}
    chosen = []
    for home in Household.objects.filter(village=village).only("pk", "head", "representative"):
        for pk in (home.representative_id, home.head_id):
            person = adults.get(pk)
            if person is not None and person.household_id == home.pk:
                chosen.append(person)
                break
    return chosen


def _roll_people(village, electorate: str, opens_at) -> list[Resident]:
    if electorate == Vote.Electorate.HOUSEHOLDS:
        return household_representatives(village, opens_at)
    return list(electorate_residents(village, opens_at).only("pk", "name", "household"))


def _roll_size(vote: Vote) -> None:
    """The quorum base follows the roll: people, and the households they stand for."""
    active = RollEntry.objects.filter(vote=vote, removed_at__isnull=True)
    vote.electorate_size = active.count()
    vote.household_count = active.values("household_id").distinct().count()
    Vote.objects.filter(pk=vote.pk).update(
        electorate_size=vote.electorate_size, household_count=vote.household_count
    )


def default_options() -> list[str]:
    return [gettext("For"), gettext("Against"), gettext("Abstain")]


def _adoption_fields(adoption: str, rule_id, data: dict, village) -> dict:
    """Check what a passed vote will change in the rules at the opening, so that a passed vote
    can always be adopted: the text, the category and the points in range."""
    if not adoption:
        return {"adoption": "", "adoption_rule_id": None, "adoption_data": {}}
    if adoption not in Vote.Adoption.values:
        raise TalksError({"adoption": _("Choose what the vote adopts.")}, code="invalid")
    from points.models import Rule

    data = dict(data or {})
    clean = {}
    if "text" in data or adoption == Vote.Adoption.NEW_RULE:
        clean["text"] = _clean_text(data.get("text", ""), field="rule_text", max_length=300)
    if "category" in data or adoption == Vote.Adoption.NEW_RULE:
        if data.get("category") not in Rule.Category.values:
            raise TalksError({"rule_category": _("Choose a rule category.")}, code="invalid")
        clean["category"] = data["category"]
    if "points" in data or adoption == Vote.Adoption.NEW_RULE:
        try:
            clean["points"] = int(data.get("points") or 0)
        except (TypeError, ValueError, OverflowError):
            raise TalksError(
                {"rule_points": _("Points must be a whole number.")}, code="invalid"
            ) from None
        # The rule's bounds, checked now: a vote that passes must be adoptable.
        if abs(clean["points"]) > bounds.RULE_POINTS:
            raise TalksError(
                {
                    "rule_points": _("A rule carries between -%(max)s and %(max)s points.")
                    % {"max": bounds.RULE_POINTS}
                },
                code="invalid",
            )
    if adoption == Vote.Adoption.CHANGE_RULE:
        if not Rule.objects.filter(village=village, pk=rule_id or 0).exists():
            raise TalksError({"adoption_rule": _("Choose a rule of this village.")}, code="invalid")
        if not clean:
            raise TalksError({"rule_text": _("Say what changes in the rule.")}, code="invalid")
    else:
        rule_id = None
    return {"adoption": adoption, "adoption_rule_id": rule_id, "adoption_data": clean}


def _member_ids(village) -> list[int]:
    """Every member of the village with an account: residents and role holders."""
    from villageaffairs.models import RoleAssignment

    ids = set(
        Resident.objects.filter(village=village, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    ids.update(RoleAssignment.objects.filter(village=village).values_list("user_id", flat=True))
    return sorted(ids)


@transaction.atomic
def vote_open(
    *,
    actor,
    topic: Topic,
    question: str,
    closes_at: datetime,
    opens_at: datetime | None = None,
    options: list[str] | None = None,
    electorate: str = Vote.Electorate.RESIDENTS,
    quorum: str = Vote.Quorum.HALF,
    threshold: str = Vote.Threshold.MAJORITY,
    secret: bool = False,
    live_results: bool = True,
    adoption: str = "",
    adoption_rule_id: int | None = None,
    adoption_data: dict | None = None,
) -> Vote:
    """Open (or, with a later ``opens_at``, announce) a vote and write its roll: who is on it
    is decided as of the opening date. A vote on the village rules is announced at least the
    village's notice days ahead, on the topic and in every member's inbox."""
    village = topic.village
    _require(actor, village, "talks.open_vote")
    question = _clean_text(question, field="question", max_length=300)
    now = timezone.now()
    opens_at = opens_at or now
    options = [o.strip()[:60] for o in (options or default_options()) if o and o.strip()]
    if len(options) < 2 or len(set(options)) != len(options):
        raise TalksError({"options": _("Give at least two different options.")}, code="invalid")
    if electorate not in Vote.Electorate.values:
        raise TalksError({"electorate": _("Choose the electorate.")}, code="invalid")
    if quorum not in Vote.Quorum.values or threshold not in Vote.Threshold.values:
        raise TalksError({"quorum": _("Choose the quorum and threshold.")}, code="invalid")
    if closes_at <= opens_at or closes_at <= now:
        raise TalksError({"closes_at": _("The vote must close after it opens.")}, code="invalid")
    if closes_at - opens_at > timedelta(days=MAX_VOTE_DAYS):
        raise TalksError(
            {"closes_at": _("A vote runs at most %(n)d days.") % {"n": MAX_VOTE_DAYS}},
            code="invalid",
        )
    adopt = _adoption_fields(adoption, adoption_rule_id, adoption_data or {}, village)
    notice_days = settings_for(village).rule_vote_notice_days if adopt["adoption"] else 0
    if notice_days and opens_at < now + timedelta(days=notice_days) - timedelta(minutes=5):
        raise TalksError(
            {
                "opens_at": _(
                    "A vote on the village rules is announced %(n)d days before it opens."
                )
                % {"n": notice_days}
            },
            code="notice",
        )
    topic = _locked(topic)
    _move(topic, "open_vote")
    people = _roll_people(village, electorate, opens_at)
    vote = Vote.objects.create(
        village=village,
        topic=topic,
        question=question,
        options=options,
        electorate=electorate,
        quorum=quorum,
        threshold=threshold,
        secret=secret,
        live_results=live_results and not secret,
        opens_at=opens_at,
        closes_at=closes_at,
        electorate_size=len(people),
        household_count=len({p.household_id for p in people}),
        created_by=actor,
        created_at=now,
        **adopt,
    )
    RollEntry.objects.bulk_create(
        [
            RollEntry(
                village=village,
                vote=vote,
                resident_id=p.pk,
                household_id=p.household_id,
                name=p.name,
                added_at=now,
            )
            for p in people
        ],
        batch_size=1000,
    )
    _event(topic, Event.Kind.VOTE_OPENED, actor=actor, detail=question, data={"vote": vote.pk})
    audit.record(
        actor=actor,
        action="vote.open",
        obj=vote,
        village=village,
        changes={
            "question": question,
            "opens_at": opens_at.isoformat(),
            "closes_at": closes_at.isoformat(),
            "roll": len(people),
        },
    )
    opens = timezone.localtime(opens_at).strftime("%Y-%m-%d %H:%M")
    closes = timezone.localtime(closes_at).strftime("%Y-%m-%d %H:%M")
    if notice_days:
        text = gettext(
            "Notice: a vote on the village rules opens %(opens)s and closes %(closes)s: "
            "%(question)s"
        ) % {"opens": opens, "closes": closes, "question": question}
        _event(
            topic,
            Event.Kind.VOTE_ANNOUNCED,
            actor=actor,
            detail=text[:REASON_MAX],
            data={"vote": vote.pk},
        )
        notify(
            users=_member_ids(village),
            village_id=village.pk,
            kind=Notification.Kind.VOTE_NOTICE,
            text=text,
            url=_topic_url(topic),
        )
    notify(
        users=[p.user_id for p in Resident.objects.filter(pk__in=[p.pk for p in people])],
        village_id=village.pk,
        kind=Notification.Kind.VOTE_OPENED,
        text=gettext("Vote open until %(closes)s: %(question)s")
        % {"closes": closes, "question": question},
        url=_topic_url(topic),
    )
    return vote


def roll_entry_of(vote: Vote, user) -> RollEntry:
    """The roll entry of ``user`` in ``vote``, or TalksError if not on the roll."""
    entry = (
        RollEntry.objects.select_related("resident")
        .filter(vote=vote, village_id=vote.village_id, resident__user=user, removed_at__isnull=True)
        .first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if entry is None:
        raise TalksError(_("You are not on the roll of this vote."), code="not_eligible")
    return entry


def _receipt_code() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _i in range(RECEIPT_LENGTH))


def normal_receipt_code(code: str) -> str:
    """What a voter types or reads back: case, spaces and dashes do not matter."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[: RECEIPT_LENGTH * 2]


@dataclass(frozen=True)
class Cast:
    """What casting gives back: the open ballot, or a secret vote's receipt code (shown once
    to the voter and kept nowhere that names them)."""

    ballot: Ballot | None = None
    receipt: str = ""


def _locked_open_vote(vote: Vote, now) -> Vote:
    """The vote row, locked (casting, entrusting and withdrawing on one vote take turns, and a
    closer counting at the same time waits); refused once it has closed."""
    vote = Vote.objects.select_for_update().select_related("topic").get(pk=vote.pk)
    if vote.closed_at is not None or now >= vote.closes_at:
        raise TalksError(_("This vote is closed."), code="closed")
    return vote


def _valid_choice(vote: Vote, choice) -> int:
    try:
        choice = int(choice)
    except (TypeError, ValueError, OverflowError):
        choice = -1
    if not 0 <= choice < len(vote.options):
        raise TalksError({"choice": _("Choose one of the options.")}, code="invalid")
    return choice


def _active_entrustment(entry: RollEntry) -> Entrustment | None:
    return (
        Entrustment.objects.filter(entry=entry, withdrawn_at__isnull=True)
        .select_related("proxy")
        .first()
    )


def _write_ballot(
    *, vote: Vote, entry: RollEntry, choice: int, now, cast_by=None, **participation
) -> Cast:
    """One participation (unique per roll entry) and, in the same transaction, the ballot: an
    anonymous one and a separate receipt for a secret vote, a named one for an open vote."""
    ballot, code = None, ""
    resident = entry.resident
    try:
        with transaction.atomic():
            Participation.objects.create(
                village_id=vote.village_id,
                vote=vote,
                entry=entry,
                cast_by=cast_by,
                voted_on=timezone.localtime(now).date(),
                **participation,
            )
            if vote.secret:
                SecretBallot.objects.create(village_id=vote.village_id, vote=vote, choice=choice)
            else:
                if vote.electorate == Vote.Electorate.HOUSEHOLDS:
                    key = f"h{entry.household_id}"
                elif resident.user_id is not None:
                    key = f"u{resident.user_id}"
                else:
                    key = f"r{resident.pk}"
                ballot = Ballot.objects.create(
                    village_id=vote.village_id,
                    vote=vote,
                    voter_id=resident.user_id,
                    entry=entry,
                    household_id=entry.household_id,
                    cast_by=cast_by,
                    voter_key=key,
                    choice=choice,
                    created_at=now,
                )
    except IntegrityError:
        if vote.electorate == Vote.Electorate.HOUSEHOLDS:
            message = _("This household has already voted.")
        else:
            message = _("%(name)s has already voted.") % {"name": entry.name}
        raise TalksError(message, code="duplicate") from None
    if vote.secret:
        for _attempt in range(10):  # a clash is one in 10**12; try again rather than fail
            code = _receipt_code()
            try:
                with transaction.atomic():
                    Receipt.objects.create(village_id=vote.village_id, vote=vote, code=code)
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover - would need ten clashes in a row
            raise TalksError(_("Please try again."), code="receipt")
    return Cast(ballot=ballot, receipt=code)


@transaction.atomic
def ballot_cast(*, actor, vote: Vote, choice: int, entrustment: int | None = None) -> Cast:
    """Cast one ballot: one's own, or, with ``entrustment``, one entrusted to ``actor`` (each
    entrusted ballot is cast separately and gets its own receipt). Refused off the roll, twice,
    through a withdrawn entrustment, by someone who has entrusted their own vote, before the
    opening or after the close."""
    now = timezone.now()
    vote = _locked_open_vote(vote, now)
    if now < vote.opens_at:
        raise TalksError(_("This vote has not opened yet."), code="not_open")
    choice = _valid_choice(vote, choice)
    if entrustment is None:
        entry = roll_entry_of(vote, actor)
        given = _active_entrustment(entry)
        if given is not None:
            raise TalksError(
                _(
                    "You have entrusted your vote to %(name)s. Withdraw the entrustment to vote "
                    "yourself."
                )
                % {"name": given.proxy.name},
                code="entrusted",
            )
        return _write_ballot(vote=vote, entry=entry, choice=choice, now=now)
    found = (
        Entrustment.objects.select_related("entry__resident", "proxy__resident")
        .filter(vote=vote, pk=entrustment if isinstance(entrustment, int) else entrustment.pk)
        .first()
    )
    if found is None or found.proxy.resident.user_id != getattr(actor, "pk", None):
        raise TalksError(_("Nobody entrusted you with this ballot."), code="not_proxy")
    if found.withdrawn_at is not None:
        raise TalksError(_("This entrustment was withdrawn."), code="withdrawn")
    if found.entry.removed_at is not None or found.proxy.removed_at is not None:
        raise TalksError(_("This person is not on the roll."), code="not_eligible")
    cast = _write_ballot(
        vote=vote, entry=found.entry, choice=choice, now=now, entrustment=found, cast_by=actor
    )
    audit.record(
        actor=actor,
        action="ballot.entrusted",
        obj=vote,
        village=vote.village,
        changes={"entry": found.entry_id, "entrustment": found.pk},
    )
    return cast


def _roll_person(vote: Vote, resident_id, *, field: str) -> RollEntry:
    entry = (
        RollEntry.objects.select_related("resident")
        .filter(vote=vote, resident_id=resident_id, removed_at__isnull=True)
        .first()
    )
    if entry is None:
        raise TalksError({field: _("This person is not on the roll.")}, code="not_eligible")
    return entry


@transaction.atomic
def entrust(
    *,
    actor,
    vote: Vote,
    proxy_resident_id: int,
    relation: str,
    resident_id: int | None = None,
    paper=None,
) -> Entrustment:
    """Entrust one's vote to a close relative on the roll (``resident_id`` None), or record a
    signed paper entrustment as a cadre (``resident_id`` of the person, ``paper`` a cleaned
    photo of the paper). A proxy carries at most three; nobody entrusts themselves, twice, after
    voting, or to someone who has entrusted their own vote."""
    now = timezone.now()
    vote = _locked_open_vote(vote, now)
    if resident_id is None:
        entry = roll_entry_of(vote, actor)
        recorded_by = None
    else:
        # Recorded by a cadre or a grid worker, never for their own household.
        _require(actor, vote.village, "village.assist")
        entry = _roll_person(vote, resident_id, field="person")
        assist.check(actor=actor, village=vote.village, resident_obj=entry.resident)
        if paper is None:
            raise TalksError(
                {"paper": _("Add a photo of the signed entrustment.")}, code="no_paper"
            )
        recorded_by = actor
    if relation not in Entrustment.Relation.values:
        raise TalksError(
            {"relation": _("Say how the proxy is related to the voter.")}, code="invalid"
        )
    proxy = _roll_person(vote, proxy_resident_id, field="proxy")
    if proxy.pk == entry.pk:
        raise TalksError({"proxy": _("A vote cannot be entrusted to oneself.")}, code="self")
    if Participation.objects.filter(entry=entry).exists():
        raise TalksError(_("%(name)s has already voted.") % {"name": entry.name}, code="voted")
    given = _active_entrustment(entry)
    if given is not None:
        raise TalksError(
            _("%(name)s has already entrusted the vote to %(proxy)s.")
            % {"name": entry.name, "proxy": given.proxy.name},
            code="duplicate",
        )
    if Entrustment.objects.filter(proxy=entry, withdrawn_at__isnull=True).exists():
        raise TalksError(
            _("%(name)s carries entrusted ballots and cannot entrust their own vote.")
            % {"name": entry.name},
            code="chain",
        )
    if _active_entrustment(proxy) is not None:
        raise TalksError(
            {
                "proxy": _("%(name)s has entrusted their own vote and cannot be a proxy.")
                % {"name": proxy.name}
            },
            code="chain",
        )
    carried = Entrustment.objects.filter(proxy=proxy, withdrawn_at__isnull=True).count()
    if carried >= Entrustment.MAX_PER_PROXY:
        raise TalksError(
            {
                "proxy": _("%(name)s already carries %(n)d entrustments, the most allowed.")
                % {"name": proxy.name, "n": Entrustment.MAX_PER_PROXY}
            },
            code="too_many",
        )
    found = Entrustment.objects.create(
        village_id=vote.village_id,
        vote=vote,
        entry=entry,
        proxy=proxy,
        relation=relation,
        recorded_by=recorded_by,
        made_at=now,
    )
    if paper is not None:
        found.paper.save(paper.image.name, paper.image, save=True)
    audit.record(
        actor=actor,
        action="vote.entrust",
        obj=vote,
        village=vote.village,
        changes={"entry": entry.pk, "proxy": proxy.pk, "relation": relation},
    )
    if proxy.resident.user_id:
        notify(
            users=[proxy.resident.user_id],
            village_id=vote.village_id,
            kind=Notification.Kind.ENTRUSTED,
            text=gettext("%(name)s entrusted you with their ballot: %(question)s")
            % {"name": entry.name, "question": vote.question},
            url=_topic_url(vote.topic),
        )
    return found


@transaction.atomic
def entrustment_withdraw(*, actor, entrustment: Entrustment) -> Entrustment:
    """Withdraw an entrustment (the person who made it, or a cadre), until the proxy votes."""
    now = timezone.now()
    vote = _locked_open_vote(entrustment.vote, now)
    found = (
        Entrustment.objects.select_for_update()
        .select_related("entry__resident")
        .get(pk=entrustment.pk)
    )
    own = found.entry.resident.user_id is not None and found.entry.resident.user_id == getattr(
        actor, "pk", None
    )
    if not own:
        _require(actor, vote.village, "talks.handle")
    if found.withdrawn_at is not None:
        raise TalksError(_("This entrustment was withdrawn."), code="withdrawn")
    if Participation.objects.filter(entry=found.entry).exists():
        raise TalksError(
            _("The ballot has been cast; the entrustment can no longer be withdrawn."),
            code="voted",
        )
    found.withdrawn_at = now
    found.save(update_fields=["withdrawn_at"])
    audit.record(
        actor=actor,
        action="vote.entrust_withdraw",
        obj=vote,
        village=vote.village,
        changes={"entrustment": found.pk, "entry": found.entry_id},
    )
    return found


def assisted_check(*, actor, vote: Vote, resident_id, helper_id=None, now=None):
    """Who votes at the office, and who helps: the person is on the roll, has not voted and
    has not entrusted the vote; the helper (optional) is a resident of the village chosen by
    the person, neither the person, nor the cadre at the desk, nor a party to the matter (the
    one who raised it). Returns (entry, helper)."""
    _require(actor, vote.village, "talks.handle")
    now = now or timezone.now()
    if vote.closed_at is not None or now >= vote.closes_at:
        raise TalksError(_("This vote is closed."), code="closed")
    if now < vote.opens_at:
        raise TalksError(_("This vote has not opened yet."), code="not_open")
    entry = _roll_person(vote, resident_id, field="person")
    if Participation.objects.filter(entry=entry).exists():
        raise TalksError({"person": _("%(name)s has already voted.") % {"name": entry.name}})
    given = _active_entrustment(entry)
    if given is not None:
        raise TalksError(
            {
                "person": _(
                    "%(name)s has entrusted the vote to %(proxy)s: withdraw the entrustment first."
                )
                % {"name": entry.name, "proxy": given.proxy.name}
            },
            code="entrusted",
        )
    helper = None
    if helper_id:
        helper = Resident.objects.filter(village_id=vote.village_id, pk=helper_id).first()
        if helper is None:
            raise TalksError({"helper": _("Choose a resident of this village.")}, code="invalid")
        if helper.pk == entry.resident_id:
            raise TalksError({"helper": _("The helper is someone else.")}, code="invalid")
        if helper.user_id is not None and helper.user_id == getattr(actor, "pk", None):
            raise TalksError(
                {"helper": _("The cadre who checks identity cannot be the helper.")},
                code="invalid",
            )
        topic = vote.topic
        if helper.user_id is not None and helper.user_id == topic.author_id:
            raise TalksError(
                {"helper": _("The helper must not be a party to the matter.")}, code="party"
            )
    return entry, helper


@transaction.atomic
def ballot_cast_assisted(*, actor, vote: Vote, resident_id, choice, helper_id=None) -> Cast:
    """A ballot at the village committee office, on the office's device: the cadre confirmed
    the person's identity; the person (with the helper they chose, if any) chose in private.
    The cadre and the helper are recorded, never the choice."""
    now = timezone.now()
    vote = _locked_open_vote(vote, now)
    entry, helper = assisted_check(
        actor=actor, vote=vote, resident_id=resident_id, helper_id=helper_id, now=now
    )
    choice = _valid_choice(vote, choice)
    cast = _write_ballot(
        vote=vote, entry=entry, choice=choice, now=now, cast_by=actor, helper=helper
    )
    audit.record(
        actor=actor,
        action="ballot.assisted",
        obj=vote,
        village=vote.village,
        changes={"entry": entry.pk, "helper": helper.pk if helper else None},
    )
    return cast


def _roll_change(*, actor, vote: Vote, reason: str) -> tuple[Vote, str]:
    _require(actor, vote.village, "talks.open_vote")
    reason = _clean_text(reason, field="reason", max_length=REASON_MAX)
    vote = Vote.objects.select_for_update().select_related("topic").get(pk=vote.pk)
    if vote.closed_at is not None or timezone.now() >= vote.closes_at:
        raise TalksError(_("This vote is closed."), code="closed")
    return vote, reason


def _roll_record(*, actor, vote: Vote, entry: RollEntry, action: str, reason: str) -> None:
    _roll_size(vote)
    if action == "add":
        detail = gettext("Added %(name)s to the roll: %(reason)s")
    else:
        detail = gettext("Removed %(name)s from the roll: %(reason)s")
    detail = detail % {"name": entry.name, "reason": reason}
    _event(
        vote.topic,
        Event.Kind.ROLL_CORRECTED,
        actor=actor,
        detail=detail[:REASON_MAX],
        data={"vote": vote.pk, "entry": entry.pk, "roll": vote.electorate_size},
    )
    audit.record(
        actor=actor,
        action=f"vote.roll_{action}",
        obj=vote,
        village=vote.village,
        changes={"resident": entry.resident_id, "reason": reason, "roll": vote.electorate_size},
    )


@transaction.atomic
def roll_add(*, actor, vote: Vote, resident: Resident, reason: str) -> RollEntry:
    """Correct the roll while the vote is open: add a person (audited, on the timeline; the
    quorum base grows by one)."""
    vote, reason = _roll_change(actor=actor, vote=vote, reason=reason)
    if resident.village_id != vote.village_id or not resident.registered:
        raise TalksError(
            _("Only a resident registered in the village can be added."), code="invalid"
        )
    active = RollEntry.objects.filter(vote=vote, removed_at__isnull=True)
    if active.filter(resident=resident).exists():
        raise TalksError(_("This person is already on the roll."), code="duplicate")
    if (
        vote.electorate == Vote.Electorate.HOUSEHOLDS
        and active.filter(household_id=resident.household_id).exists()
    ):
        raise TalksError(_("This household is already on the roll."), code="duplicate")
    entry, created = RollEntry.objects.get_or_create(
        vote=vote,
        resident=resident,
        defaults={
            "village_id": vote.village_id,
            "household_id": resident.household_id,
            "name": resident.name,
        },
    )
    if not created:  # back on the roll after a removal
        entry.removed_at = None
        entry.save(update_fields=["removed_at"])
    _roll_record(actor=actor, vote=vote, entry=entry, action="add", reason=reason)
    return entry


@transaction.atomic
def roll_remove(*, actor, vote: Vote, resident: Resident, reason: str) -> RollEntry:
    """Correct the roll while the vote is open: remove a person who has not voted."""
    vote, reason = _roll_change(actor=actor, vote=vote, reason=reason)
    entry = RollEntry.objects.filter(
        vote=vote, resident_id=resident.pk, removed_at__isnull=True
    ).first()
    if entry is None:
        raise TalksError(_("This person is not on the roll."), code="invalid")
    if Participation.objects.filter(entry=entry).exists():
        raise TalksError(
            _("This person has voted and cannot be removed from the roll."), code="voted"
        )
    entry.removed_at = timezone.now()
    entry.save(update_fields=["removed_at"])
    _roll_record(actor=actor, vote=vote, entry=entry, action="remove", reason=reason)
    return entry


def vote_recount(*, actor, vote: Vote) -> list[int]:
    """The supervisory committee's recount of a closed vote from its ballots (anonymous ones
    for a secret vote), by option; audited. It must equal the published counts."""
    _require(actor, vote.village, "talks.recount")
    if vote.closed_at is None:
        raise TalksError(_("A vote is recounted after it closes."), code="not_closed")
    counts = _count_ballots([vote])[vote.pk]
    audit.record(
        actor=actor,
        action="vote.recount",
        obj=vote,
        village=vote.village,
        changes={"recount": counts, "published": vote.counts},
    )
    return counts


def _claim_close(ids: list[int], now, *, early: bool) -> list[int]:
    """The conditional UPDATE: mark open votes closed; the ids returned are this closer's."""
    if not ids:
        return []
    table = connection.ops.quote_name(Vote._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    due = "" if early else " AND closes_at <= %s"
    # Only placeholders and the quoted table name are interpolated; values go as parameters.
    setting = "closed_at = %s, closes_at = %s" if early else "closed_at = %s"
    sql = f"UPDATE {table} SET {setting} WHERE id IN ({marks}) AND closed_at IS NULL{due} RETURNING id"  # noqa: S608, E501
    at = connection.ops.adapt_datetimefield_value(now)
    params = [at] + ([at] if early else []) + list(ids) + ([] if early else [at])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _write_results(votes: list) -> None:
    """One UPDATE … FROM (VALUES …) on PostgreSQL (Django's bulk_update builds a CASE per row
    and field, which costs most of a 10,000-vote beat run); bulk_update elsewhere."""
    fields = ["counts", "households_voted", "ballots_cast", "quorum_met", "passed"]
    if connection.vendor != "postgresql":
        # The beat's votes are values (_DueVote), not models: the fields are copied over.
        rows = [Vote(pk=v.pk, **{name: getattr(v, name) for name in fields}) for v in votes]
        Vote.objects.bulk_update(rows, fields, batch_size=500)
        return
    table = connection.ops.quote_name(Vote._meta.db_table)
    for start in range(0, len(votes), 1000):
        chunk = votes[start : start + 1000]
        rows = ", ".join(["(%s, %s::jsonb, %s, %s, %s, %s)"] * len(chunk))
        params = []
        for v in chunk:
            params += [v.pk, json.dumps(v.counts), v.households_voted, v.ballots_cast]
            params += [v.quorum_met, v.passed]
        # Placeholders only are interpolated; the values are parameters.
        update = f"UPDATE {table} AS v SET counts = d.counts, households_voted = d.hv, "  # noqa: S608
        sql = (
            update + "ballots_cast = d.bc, quorum_met = d.qm, passed = d.p "
            "FROM (VALUES " + rows + ") AS d(id, counts, hv, bc, qm, p) WHERE v.id = d.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _count_ballots(votes: list) -> dict[int, list[int]]:
    """Ballots by option: the anonymous ones for secret votes, the named ones otherwise."""
    raw: dict[int, dict[int, int]] = {}
    for model, ids in (
        (SecretBallot, [v.pk for v in votes if v.secret]),
        (Ballot, [v.pk for v in votes if not v.secret]),
    ):
        if not ids:
            continue
        rows = model.objects.filter(vote_id__in=ids).values("vote_id", "choice")
        for row in rows.annotate(n=Count("pk")).order_by():
            raw.setdefault(row["vote_id"], {})[row["choice"]] = row["n"]
    return {v.pk: [raw.get(v.pk, {}).get(i, 0) for i in range(len(v.options))] for v in votes}


def _reshuffle(votes: list) -> None:
    """Rewrite a closed secret vote's ballots and receipts in random order with new keys, so
    not even where the rows lie on disk follows the order people voted in (the old row
    versions go at the next vacuum)."""
    ids = [v.pk for v in votes if v.secret]
    if not ids:
        return
    rng = secrets.SystemRandom()
    for model, field in ((SecretBallot, "choice"), (Receipt, "code")):
        rows = list(model.objects.filter(vote_id__in=ids).values("village_id", "vote_id", field))
        rng.shuffle(rows)
        model.objects.filter(vote_id__in=ids).delete()
        model.objects.bulk_create([model(**row) for row in rows], batch_size=1000)


@dataclass(slots=True)
class _DueVote:
    """What the beat reads of a vote to close it, and its results: a model instance per vote
    (10,000 in a run) cost more than the values."""

    pk: int
    village_id: int
    topic_id: int
    question: str
    options: list
    electorate_size: int
    household_count: int
    quorum: str
    threshold: str
    secret: bool
    adoption: str
    topic_author_id: int
    village_slug: str
    counts: list = dataclasses.field(default_factory=list)
    households_voted: int = 0
    ballots_cast: int = 0
    quorum_met: bool | None = None
    passed: bool | None = None
    closed_at: datetime | None = None


# The columns read, in order: the fields without a default.
_DUE_FIELDS = [
    f.name
    for f in dataclasses.fields(_DueVote)
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
]


def _closing_votes(won: list[int], *, whole: bool) -> list:
    """The votes a closer won, with their topic's author and village's slug. ``whole``: Vote
    instances with their topic and village (one vote closed and handed back); else _DueVote."""
    votes = Vote.objects.filter(pk__in=won).order_by("pk")
    votes = votes.annotate(topic_author_id=F("topic__author_id"), village_slug=F("village__slug"))
    if whole:
        return list(votes.select_related("topic", "village"))
    return [_DueVote(*row) for row in votes.values_list(*_DUE_FIELDS)]


def _publish(votes: list, now) -> list:
    """Count the ballots of the votes this closer won; write their results, their timeline
    events and their authors' notifications."""
    _reshuffle(votes)
    counts = _count_ballots(votes)
    won = [v.pk for v in votes]
    homes = dict(
        Participation.objects.filter(vote_id__in=won)
        .values("vote_id")
        .annotate(h=Count("entry__household", distinct=True))
        .order_by()
        .values_list("vote_id", "h")
    )
    urls = _topic_urls(votes)
    # The beat's language does not change during a run: translate once, not per vote.
    outcomes = {True: gettext("passed"), False: gettext("not passed")}
    closed_text = gettext("Vote closed (%(outcome)s): %(question)s")
    closing = []
    for vote in votes:
        vote.counts = counts[vote.pk]
        vote.households_voted = homes.get(vote.pk, 0)
        result = tally.tally(
            counts=vote.counts,
            electorate=vote.electorate_size,
            households=vote.household_count,
            households_voted=vote.households_voted,
            quorum=vote.quorum,
            threshold=vote.threshold,
        )
        vote.ballots_cast = result.ballots
        vote.quorum_met = result.quorum_met
        vote.passed = result.passed
        vote.closed_at = now
        outcome = outcomes[bool(result.passed)]
        closing.append(
            _Closing(
                vote=vote,
                turnout=str(result.turnout) if result.turnout is not None else None,
                text=(closed_text % {"outcome": outcome, "question": vote.question})[:300],
                url=urls[vote.pk],
            )
        )
    if _native_close():
        _write_closing_postgresql(closing, now)
    else:
        _write_results(votes)
        Event.objects.bulk_create([_closed_event(c, now) for c in closing], batch_size=1000)
        notes = [_closed_notification(c, now) for c in closing]
        Notification.objects.bulk_create(notes, batch_size=1000)
    adopt = [v.pk for v in votes if v.passed and v.adoption]
    for pk in adopt:
        outbox.enqueue("talks.tasks.adopt_vote", args=[pk], key=f"talks.adopt:{pk}")
    return votes


@dataclass
class _Closing:
    """A vote being closed, with what its event and notification say beyond the vote row."""

    vote: Vote | _DueVote
    turnout: str | None
    text: str
    url: str


def _closed_event(c: _Closing, now) -> Event:
    vote = c.vote
    return Event(
        village_id=vote.village_id,
        topic_id=vote.topic_id,
        kind=Event.Kind.VOTE_CLOSED,
        detail=vote.question[:REASON_MAX],
        data={
            "vote": vote.pk,
            "counts": vote.counts,
            "options": vote.options,
            "ballots": vote.ballots_cast,
            "turnout": c.turnout,
            "quorum_met": vote.quorum_met,
            "passed": vote.passed,
        },
        created_at=now,
    )


def _closed_notification(c: _Closing, now) -> Notification:
    return Notification(
        user_id=c.vote.topic_author_id,
        village_id=c.vote.village_id,
        kind=Notification.Kind.VOTE_CLOSED,
        text=c.text,
        url=c.url,
        created_at=now,
    )


def _native_close() -> bool:
    return connection.vendor == "postgresql"


# The PostgreSQL path of closing, one statement per 1,000 votes: the results UPDATE returns the
# vote rows, from which the events and notifications are inserted. Building 10,000 events and
# 10,000 notifications as models for bulk_create (every value prepared field by field, the
# event data sent as JSON) cost most of a beat run. It writes every column of both tables, as
# _closed_event and _closed_notification do; tests/talks/test_close_rows.py compares the rows.
_CLOSE_SQL = """
WITH d (id, counts, hv, bc, qm, p, turnout, author, note, url) AS (VALUES {rows}),
closed AS (
    UPDATE {vote} AS v SET counts = d.counts, households_voted = d.hv, ballots_cast = d.bc,
        quorum_met = d.qm, passed = d.p
    FROM d WHERE v.id = d.id
    RETURNING v.id, v.village_id, v.topic_id, v.question, v.options, d.counts, d.bc, d.qm,
        d.p, d.turnout, d.author, d.note, d.url
),
events AS (
    INSERT INTO {event} (village_id, topic_id, actor_id, kind, detail, data, created_at)
    SELECT village_id, topic_id, NULL, %s, left(question, %s), jsonb_build_object(
        'vote', id, 'counts', counts, 'options', options, 'ballots', bc, 'turnout', turnout,
        'quorum_met', qm, 'passed', p), %s
    FROM closed ORDER BY id
)
INSERT INTO {notification} (user_id, village_id, kind, text, url, created_at, read_at,
    sms_claimed_at, sms_sent_at)
SELECT author, village_id, %s, note, url, %s, NULL, NULL, NULL FROM closed ORDER BY id
"""
_CLOSE_ROW = "(%s, %s::jsonb, %s, %s, %s::boolean, %s::boolean, %s::text, %s, %s, %s)"


def _write_closing_postgresql(closing: list[_Closing], now) -> None:
    names = {
        "vote": Vote._meta.db_table,
        "event": Event._meta.db_table,
        "notification": Notification._meta.db_table,
    }
    names = {key: connection.ops.quote_name(table) for key, table in names.items()}
    tail = [Event.Kind.VOTE_CLOSED.value, REASON_MAX, now]
    tail += [Notification.Kind.VOTE_CLOSED.value, now]
    for start in range(0, len(closing), 1000):
        chunk = closing[start : start + 1000]
        params = []
        for c in chunk:
            v = c.vote
            params += [v.pk, json.dumps(v.counts), v.households_voted, v.ballots_cast]
            params += [v.quorum_met, v.passed, c.turnout, v.topic_author_id, c.text, c.url]
        # Only placeholders and quoted table names are interpolated; values are parameters.
        sql = _CLOSE_SQL.format(rows=", ".join([_CLOSE_ROW] * len(chunk)), **names)
        with connection.cursor() as cursor:
            cursor.execute(sql, params + tail)


def vote_close(*, vote: Vote, actor=None, now=None) -> Vote | None:
    """Close one vote. Without ``actor`` only a due vote closes (the beat path); a cadre may
    close an open vote early (a vote taken at a meeting). None if someone else closed it."""
    now = now or timezone.now()
    if actor is not None:
        _require(actor, vote.village, "talks.open_vote")
        if now <= vote.opens_at:
            raise TalksError(_("This vote has not opened yet."), code="not_open")
    with transaction.atomic():
        won = _claim_close([vote.pk], now, early=actor is not None)
        if not won:
            return None
        closed = _publish(_closing_votes(won, whole=True), now)[0]
        if actor is not None:
            audit.record(actor=actor, action="vote.close", obj=closed, village=closed.village)
    return closed


def votes_close_due(*, now=None, batch: int = 2000) -> int:
    """The beat job: close every vote whose time is up. Safe to run twice or on two workers at
    once (each vote is won by exactly one closer); returns how many this run closed."""
    now = now or timezone.now()
    closed = 0
    last = 0
    while True:
        ids = list(
            Vote.objects.filter(closed_at__isnull=True, closes_at__lte=now, pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return closed
        last = ids[-1]
        with transaction.atomic():
            won = _claim_close(ids, now, early=False)
            if won:
                _publish(_closing_votes(won, whole=False), now)
        closed += len(won)


def votes_adopt_pending() -> int:
    """Ask again for the adoption of passed votes not yet adopted (the outbox key dedupes: a
    pending adoption is not doubled). A safety net beside the outbox row written at closing."""
    ids = list(
        Vote.objects.filter(passed=True, adopted_at__isnull=True, closed_at__isnull=False)
        .exclude(adoption="")
        .filter(adoption_error="")  # a failed adoption is recorded, not retried
        .values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            outbox.enqueue("talks.tasks.adopt_vote", args=[pk], key=f"talks.adopt:{pk}")
    return len(ids)


def _adoption_failed(vote: Vote, exc: Exception) -> None:
    """Record why a passed vote could not change the rules; the cadres see it on the topic."""
    if isinstance(exc, ValidationError):
        reason = "; ".join(str(m) for m in exc.messages)
    elif isinstance(exc, ObjectDoesNotExist):
        reason = gettext("The rule to change no longer exists.")
    elif isinstance(exc, IntegrityError):
        reason = gettext("The rule change could not be made.")
    else:
        reason = gettext("The rule change the vote carries is incomplete.")
    reason = (reason or gettext("The rule change could not be made."))[:300]
    Vote.objects.filter(pk=vote.pk).update(adopted_at=None, adoption_error=reason)
    audit.record(
        actor=None,
        action="vote.adoption_failed",
        obj=vote,
        village=vote.village,
        changes={"error": reason},
    )


@transaction.atomic
def vote_adopt(*, vote_id: int):
    """Write a passed vote's rule change into the village rules, once (safe to run twice)."""
    from points import services as points_services
    from points.models import Rule

    now = timezone.now()
    claimed = (
        Vote.objects.filter(
            pk=vote_id,
            passed=True,
            adopted_at__isnull=True,
            closed_at__isnull=False,
            adoption_error="",
        )
        .exclude(adoption="")
        .update(adopted_at=now)
    )
    if claimed != 1:
        return None
    vote = Vote.objects.select_related("topic", "village", "created_by").get(pk=vote_id)
    topic, data = vote.topic, dict(vote.adoption_data)
    note = gettext("Adopted by vote on topic %(n)d") % {"n": topic.pk}
    try:
        # A savepoint: a change the rules refuse leaves them as they were, and the vote closed.
        with transaction.atomic():
            if vote.adoption == Vote.Adoption.CHANGE_RULE:
                rule = Rule.objects.get(village=vote.village, pk=vote.adoption_rule_id)
                points_services.rule_update(
                    actor=vote.created_by, rule=rule, note=note, adopted_by_topic=topic, **data
                )
            else:
                rule = points_services.rule_create(
                    actor=vote.created_by,
                    village=vote.village,
                    category=data["category"],
                    text=data["text"],
                    points=data.get("points", 0),
                    note=note,
                    adopted_by_topic=topic,
                )
                Vote.objects.filter(pk=vote.pk).update(adoption_rule_id=rule.pk)
    except (
        ValidationError,
        IntegrityError,
        Rule.DoesNotExist,
        KeyError,
        TypeError,
        ValueError,
    ) as exc:
        _adoption_failed(vote, exc)
        return None
    _event(
        topic, Event.Kind.RULE_ADOPTED, detail=rule.text, data={"rule": rule.pk, "vote": vote.pk}
    )
    return rule


# --- handle --------------------------------------------------------------------------------


@transaction.atomic
def task_assign(*, actor, topic: Topic, title: str, assignees, due_date=None) -> Task:
    _require(actor, topic.village, "talks.handle")
    return _task_create(
        actor=actor, topic=topic, title=title, assignees=assignees, due_date=due_date
    )


def _task_create(
    *, actor, topic: Topic, title: str, assignees, due_date=None, action: str = "assign", **fields
) -> Task:
    """A task for cadres of the topic's village (by a cadre, or sent back by a town official)."""
    village = topic.village
    title = _clean_text(title, field="title", max_length=200)
    assignees = list({u.pk: u for u in assignees}.values())
    if not assignees:
        raise TalksError({"assignees": _("Choose at least one cadre.")}, code="invalid")
    cadres = set(_cadre_ids(village))
    if any(u.pk not in cadres for u in assignees):
        raise TalksError({"assignees": _("Tasks go to cadres of this village.")}, code="invalid")
    topic = _locked(topic)
    _move(topic, action, **fields)
    task = Task.objects.create(
        village=village, topic=topic, title=title, due_date=due_date, created_by=actor
    )
    TaskAssignment.objects.bulk_create(
        [TaskAssignment(village=village, task=task, user=u) for u in assignees]
    )
    names = ", ".join(str(u) for u in assignees)
    _event(
        topic,
        Event.Kind.TASK_ASSIGNED,
        actor=actor,
        detail=f"{title} → {names}",
        data={"task": task.pk, "due": due_date.isoformat() if due_date else None},
    )
    audit.record(
        actor=actor, action="task.assign", obj=task, village=village, changes={"to": names}
    )
    notify(
        users=assignees,
        village_id=village.pk,
        kind=Notification.Kind.TASK_ASSIGNED,
        text=gettext("Task for you: %(task)s (%(title)s)") % {"task": title, "title": topic.title},
        url=_topic_url(topic),
    )
    notify(
        users=[topic.author_id],
        village_id=village.pk,
        kind=Notification.Kind.STATUS,
        text=gettext("“%(title)s” is being handled.") % {"title": topic.title},
        url=_topic_url(topic),
        exclude=actor,
    )
    return task


@transaction.atomic
def progress_add(*, actor, task: Task, text: str, photos=()) -> ProgressNote:
    topic = task.topic
    _require(actor, topic.village, "talks.handle")
    text = _clean_text(text, field="text", max_length=TEXT_MAX)
    if task.done_at is not None:
        raise TalksError(_("This task is done."), code="illegal_transition")
    topic = _locked(topic)
    _move(topic, "progress")
    note = ProgressNote.objects.create(
        village_id=topic.village_id, task=task, author=actor, text=text
    )
    _save_photos(photos, topic=topic, progress=note)
    _event(topic, Event.Kind.PROGRESS, actor=actor, detail=text, data={"task": task.pk})
    return note


@transaction.atomic
def task_done(*, actor, task: Task) -> Task:
    topic = task.topic
    _require(actor, topic.village, "talks.handle")
    if not states.allowed("progress", topic.status):
        raise TalksError(_("This matter is not being handled."), code="illegal_transition")
    now = timezone.now()
    if (
        Task.objects.filter(pk=task.pk, done_at__isnull=True).update(done_at=now, done_by=actor)
        != 1
    ):
        raise TalksError(_("This task is already done."), code="already_done")
    task.done_at, task.done_by = now, actor
    _event(topic, Event.Kind.TASK_DONE, actor=actor, detail=task.title, data={"task": task.pk})
    return task


@transaction.atomic
def topic_mark_handled(*, actor, topic: Topic, note: str) -> Topic:
    """The villager learns what was done: the note is required."""
    _require(actor, topic.village, "talks.handle")
    return _handled(actor=actor, topic=topic, note=note)


def _handled(*, actor, topic: Topic, note: str) -> Topic:
    """Mark a matter handled (by a cadre, or by the town official who took it over).

    The first handling time stays; a matter handled again after it was reopened moves
    ``last_handled_at``, counts its set-aside ratings again and gets a new follow-up.
    """
    note = _clean_text(note, field="note", max_length=REASON_MAX)
    topic = _locked(topic)
    if Task.objects.filter(topic=topic, done_at__isnull=True).exists():
        raise TalksError(_("Some tasks are not done yet."), code="tasks_open")
    now = timezone.now()
    first = {"handled_at": now} if topic.handled_at is None else {}
    _move(topic, "handled", last_handled_at=now, status_reason=note, **first)
    if Rating.objects.filter(topic=topic, set_aside=True).update(set_aside=False):
        # Handled again after a reopening: the ratings set aside count again, which changes
        # the figures of the days they were made on (and of the raise and handling days).
        _count_ratings(topic)
        _touch_stats(
            topic, now, *Rating.objects.filter(topic=topic).values_list("created_at", flat=True)
        )
    _schedule_follow_up(topic, now)
    _event(topic, Event.Kind.HANDLED, actor=actor, detail=note, at=now)
    audit.record(actor=actor, action="topic.handled", obj=topic)
    notify(
        users=[topic.author_id],
        village_id=topic.village_id,
        kind=Notification.Kind.STATUS,
        text=gettext("“%(title)s” has been handled. Please rate it.") % {"title": topic.title},
        url=_topic_url(topic),
        exclude=actor,
    )
    return topic


def _touch_stats(topic: Topic, *times) -> None:
    """After the commit, have the daily statistics of the days a change touched aggregated
    again: the raise day, the handling days, the given times' days and today."""
    from villageaffairs import stats

    moments = (topic.created_at, topic.handled_at, topic.last_handled_at, *times)
    days = sorted({timezone.localdate(t) for t in moments if t} | {timezone.localdate()})
    village_id = topic.village_id
    transaction.on_commit(lambda: stats.touch(village_id=village_id, days=days))


def _count_ratings(topic: Topic) -> None:
    """The topic's rating counters from the ratings that count (not set aside)."""
    sums = Rating.objects.filter(topic=topic, set_aside=False).aggregate(
        n=Count("pk"), stars=Sum("stars")
    )
    Topic.objects.filter(pk=topic.pk).update(
        rating_count=sums["n"] or 0, rating_sum=sums["stars"] or 0
    )


def _schedule_follow_up(topic: Topic, handled_at: datetime) -> FollowUp:
    """Ask the author later whether it is fixed (the topic row is locked by the caller)."""
    ask_at = handled_at + timedelta(days=deadlines.follow_up_days(topic.village))
    pending = FollowUp.objects.filter(topic=topic, asked_at__isnull=True).first()
    if pending is not None:
        FollowUp.objects.filter(pk=pending.pk).update(ask_at=ask_at)
        pending.ask_at = ask_at
        return pending
    return FollowUp.objects.create(village_id=topic.village_id, topic=topic, ask_at=ask_at)


# --- evaluate and end ----------------------------------------------------------------------


def may_rate(user, topic: Topic) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk == topic.author_id:
        return True
    return settings_for(topic.village).others_may_rate and "talks.rate" in village_perms(
        user, topic.village
    )


@transaction.atomic
def topic_rate(*, actor, topic: Topic, stars: int, comment: str = "") -> Rating:
    if actor.pk != topic.author_id:
        _require(actor, topic.village, "talks.rate")
        if not settings_for(topic.village).others_may_rate:
            raise TalksError(
                _("In this village only the villager who raised the matter rates it."),
                code="forbidden",
            )
    try:
        stars = int(stars)
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        raise TalksError({"stars": _("Choose one to five stars.")}, code="invalid")
    comment = _clean_text(comment, field="comment", max_length=COMMENT_MAX, required=False)
    topic = _locked(topic)
    _move(topic, "rate")
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                village_id=topic.village_id, topic=topic, user=actor, stars=stars, comment=comment
            )
    except IntegrityError:
        raise TalksError(_("You have already rated this matter."), code="duplicate") from None
    Topic.objects.filter(pk=topic.pk).update(
        rating_count=F("rating_count") + 1, rating_sum=F("rating_sum") + stars
    )
    _event(topic, Event.Kind.RATED, actor=actor, detail=comment, data={"stars": stars})
    return rating


def _end(*, actor, topic: Topic, action: str, kind: str, reason: str = "", **fields) -> Topic:
    topic = _locked(topic)
    _move(topic, action, closed_at=timezone.now(), status_reason=reason, **fields)
    _event(topic, kind, actor=actor, detail=reason)
    audit.record(actor=actor, action=f"topic.{action}", obj=topic, changes={"reason": reason})
    notify(
        users=[topic.author_id],
        village_id=topic.village_id,
        kind=Notification.Kind.STATUS,
        text=gettext("“%(title)s”: %(status)s")
        % {"title": topic.title, "status": topic.get_status_display()},
        url=_topic_url(topic),
        exclude=actor,
    )
    return topic


@transaction.atomic
def topic_close(*, actor, topic: Topic, reason: str) -> Topic:
    """The villager learns why their matter ends: the reason is required."""
    _require(actor, topic.village, "talks.handle")
    reason = _clean_text(reason, field="reason", max_length=REASON_MAX)
    return _end(actor=actor, topic=topic, action="close", kind=Event.Kind.CLOSED, reason=reason)


@transaction.atomic
def topic_decline(*, actor, topic: Topic, reason: str) -> Topic:
    _require(actor, topic.village, "talks.handle")
    reason = _clean_text(reason, field="reason", max_length=REASON_MAX)
    return _end(actor=actor, topic=topic, action="decline", kind=Event.Kind.DECLINED, reason=reason)


def entered_for_someone_else(topic: Topic) -> bool:
    """Raised for a resident without an account: the one who entered it stands in as the
    author, but the matter is the resident's (they withdraw it by a dispute, through a cadre)."""
    return topic.for_resident_id is not None and topic.author_id == topic.entered_by_id


@transaction.atomic
def topic_withdraw(*, actor, topic: Topic) -> Topic:
    if actor.pk != topic.author_id or entered_for_someone_else(topic):
        raise TalksError(_("Only the villager who raised it may withdraw it."), code="forbidden")
    return _end(actor=actor, topic=topic, action="withdraw", kind=Event.Kind.WITHDRAWN)


@transaction.atomic
def topic_merge(*, actor, topic: Topic, into: Topic, note: str = "") -> Topic:
    """The reason names the matter it continues in; a note from the cadre may follow."""
    _require(actor, topic.village, "talks.handle")
    note = _clean_text(note, field="reason", max_length=REASON_MAX, required=False)
    if into.village_id != topic.village_id or into.pk == topic.pk:
        raise TalksError({"into": _("Choose another matter of this village.")}, code="invalid")
    if into.status == S.MERGED:
        raise TalksError({"into": _("That matter is itself a duplicate.")}, code="invalid")
    if note:  # the note in full; the page links the other matter, title and all
        reason = gettext("Duplicate of #%(n)d: %(note)s") % {"n": into.pk, "note": note}
    else:
        reason = gettext("Duplicate of #%(n)d %(title)s") % {"n": into.pk, "title": into.title}
    return _end(
        actor=actor,
        topic=topic,
        action="merge",
        kind=Event.Kind.MERGED,
        reason=reason[:REASON_MAX],
        duplicate_of=into,
    )


# --- inbox ---------------------------------------------------------------------------------


def notifications_mark_read(*, user, village, ids=None) -> int:
    rows = Notification.objects.filter(user=user, village=village, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())


class SmsBusy(Exception):
    """Another run holds this notification's SMS claim; the outbox tries again later."""


def notification_sms(*, notification_id: int) -> bool:
    """Text one notification, at least once and in practice once.

    A conditional UPDATE claims the SMS with a lease (``sms_claimed_at``); it is marked sent
    only after the send succeeded. A failed send releases the claim and raises, so the outbox
    retries it; a run that died mid-send is retried once the lease is over. A claim held by a
    live run raises SmsBusy, so the outbox row stays pending rather than done.
    """
    from villageaffairs.sms import send_sms

    now = timezone.now()
    unsent = Notification.objects.filter(pk=notification_id, sms_sent_at__isnull=True)
    claimed = unsent.filter(
        Q(sms_claimed_at__isnull=True) | Q(sms_claimed_at__lt=now - SMS_LEASE)
    ).update(sms_claimed_at=now)
    if claimed != 1:
        if unsent.exists():
            raise SmsBusy(notification_id)
        return False  # sent already
    note = Notification.objects.select_related("user", "village").get(pk=notification_id)
    phone = note.user.phone or (
        Resident.objects.filter(user=note.user)
        .exclude(phone="")
        .values_list("phone", flat=True)
        .first()
    )
    if phone:
        try:
            send_sms(
                phone,
                _SMS_TEMPLATES[note.kind],
                {"village": note.village.name, "title": _notification_topic_title(note)},
            )
        except Exception:
            unsent.filter(sms_claimed_at=now).update(sms_claimed_at=None)
            raise
    # Without a phone there is nothing to send, now or later.
    unsent.update(sms_sent_at=timezone.now())
    return bool(phone)


# The texted kinds and their approved SMS templates (villageaffairs.sms.Template).
_SMS_TEMPLATES = {
    Notification.Kind.REPLY: "topic_reply",
    Notification.Kind.VOTE_OPENED: "vote_opened",
    Notification.Kind.TASK_ASSIGNED: "task_assigned",
    Notification.Kind.ESCALATED: "topic_escalated",
    Notification.Kind.FOLLOW_UP: "topic_follow_up",
}


def _notification_topic_title(note: Notification) -> str:
    """The title of the topic the notification links to: the texted kinds all link to one."""
    try:
        topic_id = resolve(note.url).kwargs["pk"]
    except (Resolver404, KeyError):
        return ""
    title = Topic.objects.filter(pk=topic_id, village_id=note.village_id).values_list("title")
    return (title.first() or ("",))[0]
