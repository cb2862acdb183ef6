"""The talks app's printed notices: a vote's announcement (and its result once closed) and a
topic's handling result, for the village notice board (公开栏)."""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from talks import tally
from talks.models import Entrustment, ProgressNote, Reply, Task, Topic, Vote
from villageaffairs.printing import Column, Notice, public_url

HANDLED = (Topic.Status.HANDLED, Topic.Status.CLOSED)
LISTED = 5


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


def _topic_url(topic_or_id, village) -> str:
    pk = getattr(topic_or_id, "pk", topic_or_id)
    return public_url(reverse("talks:detail", args=[village.slug, pk]))


def available(request) -> list[dict]:
    """The latest votes (announcement or result) and handled topics (two queries)."""
    village = request.village
    items = []
    for vote in Vote.objects.filter(village=village).order_by("-opens_at", "-pk")[:LISTED]:
        closed = vote.closed_at is not None
        items.append(
            {
                "title": (_("Result of the vote: %(q)s") if closed else _("Vote: %(q)s"))
                % {"q": vote.question},
                "url": reverse("talks:vote_notice", args=[village.slug, vote.pk]),
                "note": _("%(opens)s to %(closes)s")
                % {"opens": _when(vote.opens_at), "closes": _when(vote.closes_at)},
            }
        )
    handled = Topic.objects.filter(village=village, status__in=HANDLED).order_by(
        "-handled_at", "-pk"
    )
    for topic in handled.only("pk", "title", "handled_at")[:LISTED]:
        items.append(
            {
                "title": _("Handling result: %(title)s") % {"title": topic.title},
                "url": reverse("talks:topic_notice", args=[village.slug, topic.pk]),
                "note": _when(topic.handled_at) if topic.handled_at else "",
            }
        )
    return items


def vote(village, pk: int) -> bytes | None:
    """A vote's announcement: the question, the dates, how to vote and how to entrust; once
    closed, its result too. None if the village has no such vote."""
    found = Vote.objects.filter(village=village, pk=pk).select_related("topic").first()
    if found is None:
        return None
    closed = found.closed_at is not None
    notice = Notice(
        village_name=village.name,
        title=_("Result of a village vote") if closed else _("Announcement of a village vote"),
        url=_topic_url(found.topic_id, village),
        subtitle=found.question,
    )
    notice.paragraph(_("Topic: %(title)s") % {"title": found.topic.title})
    notice.paragraph(
        _("Voting opens %(opens)s and closes %(closes)s.")
        % {"opens": _when(found.opens_at), "closes": _when(found.closes_at)},
        bold=True,
    )
    notice.paragraph(_("Who votes: %(who)s.") % {"who": found.get_electorate_display()})
    notice.paragraph(
        _("Valid if: %(quorum)s; adopted with %(threshold)s.")
        % {"quorum": found.get_quorum_display(), "threshold": found.get_threshold_display()}
    )
    if found.secret:
        notice.paragraph(_("Secret ballot: nobody can see who chose what."))
    notice.heading(_("Choices"))
    for i, option in enumerate(found.options, start=1):
        notice.paragraph(f"{i}. {option}")
    if not closed:
        notice.heading(_("How to vote"))
        notice.paragraph(
            _(
                "Scan the QR code, sign in with your phone number and vote on the topic's "
                "page. Without a phone, vote in person at the village committee office, "
                "where a cadre records your ballot."
            )
        )
        notice.heading(_("How to entrust"))
        relations = "、".join(str(label) for _value, label in Entrustment.Relation.choices)
        notice.paragraph(
            _(
                "If you cannot vote yourself, you may entrust a close relative on the same "
                "roll (%(relations)s) to vote for you: on the vote's page, or at the office "
                "with a signed paper. A person may carry at most %(max)d entrustments. You "
                "may withdraw yours until your proxy has voted."
            )
            % {"relations": relations, "max": Entrustment.MAX_PER_PROXY}
        )
        return notice.finish()
    notice.heading(_("Result"))
    counts = list(found.counts or [])
    total = sum(counts)
    notice.table(
        [Column(_("Choice"), 0.55), Column(_("Ballots"), 0.2, "right"), Column("%", 0.25, "right")],
        (
            (
                option,
                counts[i] if i < len(counts) else 0,
                f"{(counts[i] * 100 / total):.1f}%" if total and i < len(counts) else "-",
            )
            for i, option in enumerate(found.options)
        ),
    )
    turnout = tally.turnout(found.ballots_cast, found.electorate_size)
    notice.paragraph(
        _("Ballots cast: %(ballots)d of %(electorate)d on the roll (turnout %(turnout)s).")
        % {
            "ballots": found.ballots_cast,
            "electorate": found.electorate_size,
            "turnout": f"{turnout}%" if turnout is not None else "-",
        }
    )
    if found.quorum_met is False:
        notice.paragraph(_("The quorum was not met: the vote is not valid."), bold=True)
    elif found.passed:
        notice.paragraph(_("Adopted."), bold=True)
    elif found.passed is False:
        notice.paragraph(_("Not adopted."), bold=True)
    notice.paragraph(_("Closed %(when)s.") % {"when": _when(found.closed_at)})
    return notice.finish()


def topic(village, pk: int) -> bytes | None:
    """A handled topic's result: the matter, the official replies, the tasks and how they
    ended, the villagers' rating. None unless the topic is handled (or closed after it)."""
    found = (
        Topic.objects.filter(village=village, pk=pk, status__in=HANDLED)
        .select_related("author")
        .first()
    )
    if found is None:
        return None
    notice = Notice(
        village_name=village.name,
        title=_("Result of a villagers' matter"),
        url=_topic_url(found, village),
        subtitle=found.title,
    )
    notice.paragraph(
        _("Raised %(when)s · %(category)s · %(status)s")
        % {
            "when": _when(found.created_at),
            "category": found.get_category_display(),
            "status": found.get_status_display(),
        }
    )
    notice.paragraph(found.text)
    replies = list(
        Reply.objects.filter(topic=found, village_id=village.pk)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    notice.heading(_("Official reply"))
    for reply in replies:
        role = f" ({reply.role})" if reply.role else ""
        notice.paragraph(f"{reply.author}{role} · {_when(reply.created_at)}", bold=True)
        notice.paragraph(reply.text)
    if not replies:
        notice.paragraph(_("No official reply."))
    tasks = list(Task.objects.filter(topic=found, village_id=village.pk).order_by("pk"))
    if tasks:
        notes = {}
        for note in ProgressNote.objects.filter(task__in=tasks, village_id=village.pk).order_by(
            "created_at", "pk"
        ):
            notes[note.task_id] = note  # the latest one of each task
        notice.heading(_("Handling"))
        for task in tasks:
            state = (
                _("done %(when)s") % {"when": _when(task.done_at)}
                if task.done_at
                else _("not done")
            )
            notice.paragraph(f"{task.title} · {state}", bold=True)
            if task.pk in notes:
                notice.paragraph(notes[task.pk].text)
    if found.handled_at:
        notice.paragraph(_("Handled %(when)s.") % {"when": _when(found.handled_at)})
    notice.heading(_("Villagers' rating"))
    if found.rating_count:
        notice.paragraph(
            ngettext(
                "%(average)s of 5 stars, from %(count)d rating.",
                "%(average)s of 5 stars, from %(count)d ratings.",
                found.rating_count,
            )
            % {"average": found.average_rating, "count": found.rating_count}
        )
    else:
        notice.paragraph(_("Not rated yet."))
    return notice.finish()
