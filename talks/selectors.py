"""Reads of the talks app. Every page's query count is constant in the size of the village and
in the number of comments (comments are paginated; children, supports and authors are fetched
for the whole page at once)."""

from statistics import median

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import connections, router
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from talks import states, tally
from talks.models import (
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
    Support,
    Task,
    TaskAssignment,
    Topic,
    Vote,
)
from villageaffairs.prepared import Prepared

TOPICS_PER_PAGE = 20
COMMENTS_PER_PAGE = 20
EVENTS_PER_PAGE = 50
BALLOTS_PER_PAGE = 100
ROLL_PER_PAGE = 100
RECEIPTS_PER_PAGE = 300


def topics(village, *, status="", category="", mine=None, page=None):
    rows = topic_rows(village, status=status, category=category, mine=mine)
    return Paginator(rows.order_by("-created_at", "-pk"), TOPICS_PER_PAGE).get_page(page)


def topic_rows(village, *, status="", category="", mine=None):
    """The village's topics as the list page filters them (the open data API pages them too)."""
    rows = Topic.objects.filter(village=village).select_related(
        "author", "assisted_act__actor", "assisted_act__resident"
    )
    if status == "open":
        rows = rows.filter(status__in=states.UNRESOLVED)
    elif status in Topic.Status.values:
        rows = rows.filter(status=status)
    if category in Topic.Category.values:
        rows = rows.filter(category=category)
    if mine is not None:
        rows = rows.filter(author=mine)
    rows = rows.only(
        "pk",
        "title",
        "category",
        "status",
        "created_at",
        "support_count",
        "comment_count",
        "rating_count",
        "rating_sum",
        "author__display_name",
        "author__username",
        "author__first_name",
        "author__last_name",
        # The "submitted on behalf of" line (villageaffairs/_on_behalf.html).
        "assisted_act__actor_role",
        "assisted_act__disputed_at",
        "assisted_act__resident__name",
        "assisted_act__actor__display_name",
        "assisted_act__actor__username",
        "assisted_act__actor__first_name",
        "assisted_act__actor__last_name",
    )
    return rows


def _topic_query(village_id: int, pk: int):
    return (
        Topic.objects.filter(village_id=village_id, pk=pk)
        .select_related(
            "author",
            "entered_by",
            "duplicate_of",
            "village",
            "escalated_to",
            "assisted_act__actor",
            "assisted_act__resident",
        )
        .order_by("pk")[:1]
    )


# Every page of a topic reads it first: compiled once (prepared).
_topic = Prepared(_topic_query, kinds=(int, int))


def topic(village, pk, *, using: str | None = None) -> Topic | None:
    return _topic.first(village.pk, pk, using=using or router.db_for_read(Topic))


# How long a signed-out reader's copy of a topic page lasts at most: what its version does not
# cover (a vote's countdown, an adoption) shows within this time.
TOPIC_PAGE_SECONDS = 10


def _topic_page_version_query(village_id: int, topic_id: int):
    last = Event.objects.filter(topic_id=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    voted = (
        Participation.objects.filter(vote__topic_id=OuterRef("pk"))
        .values("vote__topic_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # The last step the page's frame shows (all but the thread: comments and supports).
    shown = (
        Event.objects.filter(topic_id=OuterRef("pk"), step=True).order_by("-pk").values("pk")[:1]
    )
    return Topic.objects.filter(pk=topic_id, village_id=village_id).values_list(
        "status",
        "escalated_to_id",
        Subquery(voted),
        "support_count",
        Subquery(shown),
        Subquery(last),
        "comment_count",
    )


_topic_page_version = Prepared(_topic_page_version_query, kinds=(int, int))


def topic_page_version(village, pk: int, *, using: str) -> tuple | None:
    """What a signed-out reader's topic page depends on, in one query: its status, the ballots
    cast in its votes, its support count, the last step of its timeline but comments and
    supports (what its frame shows), its very last step (every comment, support, reply,
    vote, task and rating writes one) and its count of comments (the comments section's
    heading). None if the village has no such topic. A page found in the cache under it is
    served without reading the topic itself, and after a comment only its comments section is
    put together again, still without the topic (``thread_page``)."""
    found = _topic_page_version(village.pk, pk, using=using)
    return (pk, village.pk, *found[0]) if found else None


#: How many leading parts of ``topic_page_version`` the page's frame depends on: all but the
#: last step of the timeline, which a comment or a support moves (the frame shows neither but
#: the topic's own support count, a part of its own).
FRAME_PARTS = 7


def assist_actions(village, resident) -> list[dict]:
    """What a cadre or a grid worker can do for this resident in the talks (villageaffairs
    assist page): raise a matter, and record a signed entrustment for each open vote whose
    roll has them."""
    kwargs = {"village_slug": village.slug, "resident_pk": resident.pk}
    actions = [{"label": _("Raise a matter"), "url": reverse("talks:assist_topic", kwargs=kwargs)}]
    now = timezone.now()
    open_votes = (
        Vote.objects.filter(
            village=village,
            closed_at__isnull=True,
            opens_at__lte=now,
            closes_at__gt=now,
            roll__resident=resident,
            roll__removed_at__isnull=True,
        )
        .select_related("topic")
        .order_by("closes_at")
    )
    for vote in open_votes:
        url = reverse(
            "talks:entrust_paper",
            kwargs={"village_slug": village.slug, "pk": vote.topic_id, "vote_pk": vote.pk},
        )
        label = _("Record a signed entrustment: %(question)s") % {"question": vote.question}
        actions.append({"label": label, "url": f"{url}?person={resident.pk}"})
    return actions


def live_tallies(votes) -> dict[int, dict[int, int]]:
    """vote id → {choice: ballots} of the open votes that show results while open (one query).
    Secret votes never show a running tally: it would move right after someone votes."""
    open_ids = [v.pk for v in votes if v.closed_at is None and not v.secret and v.live_results]
    live = {}
    if not open_ids:
        return live
    for row in (
        Ballot.objects.filter(vote_id__in=open_ids)
        .values("vote_id", "choice")
        .annotate(n=Count("id"))
        .order_by()
    ):
        live.setdefault(row["vote_id"], {})[row["choice"]] = row["n"]
    return live


def public_counts(vote: Vote, live: dict) -> list[int] | None:
    """The counts a vote shows anyone: final once closed, the live tally while open if the vote
    says so, else none (the topic page and the open data API)."""
    if vote.closed_at is not None:
        return list(vote.counts or [])
    if not vote.live_results:
        return None
    by_choice = live.get(vote.pk, {})
    return [by_choice.get(i, 0) for i in range(len(vote.options))]


def _vote_rows(topic: Topic, viewer, now):
    votes = list(Vote.objects.filter(topic=topic, village_id=topic.village_id).order_by("pk"))
    if not votes:
        return []
    ids = [v.pk for v in votes]
    live = live_tallies(votes)
    turnout = dict(
        Participation.objects.filter(vote_id__in=[v.pk for v in votes if v.closed_at is None])
        .values("vote_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("vote_id", "n")
    )
    mine, voted, on_roll = {}, set(), set()
    if getattr(viewer, "is_authenticated", False):
        on_roll = set(
            RollEntry.objects.filter(
                vote_id__in=ids, resident__user=viewer, removed_at__isnull=True
            ).values_list("vote_id", flat=True)
        )
        mine = dict(
            Ballot.objects.filter(vote_id__in=ids, voter=viewer).values_list("vote_id", "choice")
        )
        voted = set(
            Participation.objects.filter(vote_id__in=ids, entry__resident__user=viewer).values_list(
                "vote_id", flat=True
            )
        )
    # Entrustments are published to members as names (the template checks membership); the
    # viewer sees the one they made, and the ballots entrusted to them still to cast.
    entrusted = {}
    for found in (
        Entrustment.objects.filter(vote_id__in=ids, withdrawn_at__isnull=True)
        .select_related("entry__resident", "proxy__resident")
        .annotate(cast=Exists(Participation.objects.filter(entry_id=OuterRef("entry_id"))))
        .order_by("entry__name", "pk")
    ):
        entrusted.setdefault(found.vote_id, []).append(found)
    viewer_id = viewer.pk if getattr(viewer, "is_authenticated", False) else None
    rows = []
    for vote in votes:
        given = entrusted.get(vote.pk, [])
        ballots = vote.ballots_cast if vote.closed_at is not None else turnout.get(vote.pk, 0)
        # Secret ballots never show who chose what; counts show live only if the vote says so.
        counts = public_counts(vote, live)
        show = counts is not None
        rows.append(
            {
                "vote": vote,
                "is_open": vote.is_open_at(now),
                "due": vote.closed_at is None and now >= vote.closes_at,
                "results": [
                    {
                        "option": option,
                        "count": counts[i],
                        "percent": round(counts[i] * 100 / sum(counts)) if sum(counts) else 0,
                    }
                    for i, option in enumerate(vote.options)
                ]
                if show
                else None,
                "ballots": ballots,
                "turnout": tally.turnout(ballots, vote.electorate_size),
                "voted": vote.pk in voted or vote.pk in mine,
                "my_choice": mine.get(vote.pk),
                "my_option": vote.options[mine[vote.pk]] if vote.pk in mine else None,
                "on_roll": vote.pk in on_roll,
                "entrustments": given,
                "my_entrustment": next(
                    (e for e in given if viewer_id and e.entry.resident.user_id == viewer_id),
                    None,
                ),
                "to_cast": [
                    e
                    for e in given
                    if viewer_id and e.proxy.resident.user_id == viewer_id and not e.cast
                ],
            }
        )
    return rows


def _comments_query(topic_id: int, village_id: int, using: str | None = None):
    return (
        Comment.objects.using(using)
        .filter(topic_id=topic_id, village_id=village_id, parent__isnull=True)
        .select_related("author", "hidden_by")
        .prefetch_related(
            Prefetch(
                "children",
                queryset=Comment.objects.filter(village_id=village_id)
                .select_related("author", "hidden_by")
                .order_by("created_at", "pk"),
            )
        )
        .order_by("created_at", "pk")
    )


def topic_comments(topic: Topic, *, page=None):
    """One page of a topic's comments, each with its replies (read when iterated)."""
    comments_qs = _comments_query(topic.pk, topic.village_id)
    return Paginator(comments_qs, COMMENTS_PER_PAGE).get_page(page)


def _top_level_count_query(topic_id: int, village_id: int):
    return (
        Comment.objects.filter(topic_id=topic_id, village_id=village_id, parent__isnull=True)
        .values("topic_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )


_top_level_count = Prepared(_top_level_count_query, kinds=(int, int))


class _Deferred:
    """A page's slice of a queryset, built only when the page's comments are iterated (the
    section of a signed-out reader's page mostly takes its thread from the cache)."""

    def __init__(self, build, key=None):
        self.build, self.key, self.rows = build, key, None

    def __getitem__(self, key):
        return _Deferred(self.build, key)

    def _rows(self) -> list:
        if self.rows is None:
            self.rows = list(self.build()[self.key])
        return self.rows

    def __iter__(self):
        return iter(self._rows())

    def __len__(self):
        return len(self._rows())


def thread_page(topic_id: int, village_id: int, *, page=None, using: str):
    """The page ``page`` of a topic's comments, as ``topic_comments`` gives it, without the
    topic: the count of its comments in one prepared query on ``using``; the comments and
    their replies are read (and their queryset built) only when the page is iterated."""
    found = _top_level_count(topic_id, village_id, using=using)
    paginator = Paginator(
        _Deferred(lambda: _comments_query(topic_id, village_id, using)), COMMENTS_PER_PAGE
    )
    paginator.count = found[0] if found else 0  # what Paginator would count (cached_property)
    return paginator.get_page(page)


def topic_page(topic: Topic, viewer, *, page=None) -> dict:
    """Everything the topic page shows, in a fixed number of queries."""
    now = timezone.now()
    comments = topic_comments(topic, page=page)
    supported = set()
    supported_topic = False
    my_rating = None
    if getattr(viewer, "is_authenticated", False):
        ids = [c.pk for c in comments] + [ch.pk for c in comments for ch in c.children.all()]
        marks = list(
            Support.objects.filter(topic=topic, user=viewer)
            .filter(Q(comment__isnull=True) | Q(comment_id__in=ids))
            .values_list("comment_id", flat=True)
        )
        supported = {m for m in marks if m is not None}
        supported_topic = None in marks
        my_rating = Rating.objects.filter(topic=topic, user=viewer).first()
    tasks = list(
        Task.objects.filter(topic=topic, village_id=topic.village_id)
        .select_related("done_by")
        .prefetch_related(
            Prefetch("assignments", queryset=TaskAssignment.objects.select_related("user")),
            Prefetch(
                "notes",
                queryset=ProgressNote.objects.select_related("author").prefetch_related("photos"),
            ),
        )
    )
    return {
        "topic": topic,
        "photos": list(
            Photo.objects.filter(
                topic=topic,
                village_id=topic.village_id,
                progress__isnull=True,
                follow_up__isnull=True,
            )
        ),
        "replies": list(
            Reply.objects.filter(topic=topic, village_id=topic.village_id).select_related("author")
        ),
        "comments": comments,
        "supported": supported,
        "supported_topic": supported_topic,
        "votes": _vote_rows(topic, viewer, now),
        "tasks": tasks,
        "ratings": list(
            Rating.objects.filter(topic=topic, village_id=topic.village_id)
            .select_related("user")
            .order_by("-created_at", "-pk")[:20]
        ),
        "my_rating": my_rating,
        "events": topic_events(topic),
        "step": states.STEP_OF[topic.status],
        "steps": states.STEPS,
    }


def thread_shown(topic_id: int, village_id: int, number: int, *, using: str | None = None) -> list:
    """What page ``number`` of the thread shows a reader without the comment forms, as plain
    rows: each comment and reply of the page with its author's and hider's names (every column
    ``str(user)`` reads), time, text, support and hidden state. One query, no model built: the
    key of the page's cached fragment, read before (and instead of) the comments themselves.
    Read through indexes, whatever the village's size: the page's comments among the topic's,
    their replies by their parent."""
    sql, params = thread_shown_sql(topic_id, village_id, number)
    with connections[using or router.db_for_read(Comment)].cursor() as cursor:
        cursor.execute(sql, params)
        return [list(row) for row in cursor.fetchall()]


def thread_shown_sql(topic_id: int, village_id: int, number: int) -> tuple[str, list]:
    """The SQL and parameters of ``thread_shown``."""
    comment, user = Comment._meta.db_table, get_user_model()._meta.db_table
    names = "{0}.display_name, {0}.first_name, {0}.last_name, {0}.username"
    sql = f"""
        WITH page AS (
            SELECT id FROM {comment}
            WHERE topic_id = %s AND village_id = %s AND parent_id IS NULL
            ORDER BY created_at, id LIMIT %s OFFSET %s
        ), shown AS (
            SELECT id FROM page
            UNION ALL
            SELECT id FROM {comment}
            WHERE parent_id IN (SELECT id FROM page) AND village_id = %s
        )
        SELECT c.id, c.parent_id, c.created_at, c.text, c.support_count, c.hidden_at,
               c.hidden_reason, c.author_id, {names.format("a")}, {names.format("h")}
        FROM shown
        JOIN {comment} c ON c.id = shown.id
        JOIN {user} a ON a.id = c.author_id
        LEFT JOIN {user} h ON h.id = c.hidden_by_id
        ORDER BY c.created_at, c.id
    """  # noqa: S608 - table names from the models, values as parameters
    offset = (max(number, 1) - 1) * COMMENTS_PER_PAGE
    return sql, [topic_id, village_id, COMMENTS_PER_PAGE, offset, village_id]


def topic_events(topic: Topic, limit: int = 100) -> list[Event]:
    """The topic page's timeline: every step but the many comments and supports."""
    return list(
        Event.objects.filter(topic=topic, village_id=topic.village_id, step=True)
        .select_related("actor")
        .order_by("created_at", "pk")[:limit]
    )


def reported_comments(village, *, page=None):
    """Visible comments with reports a cadre has not looked at yet, most reported first."""
    rows = (
        Comment.objects.filter(
            village=village, hidden_at__isnull=True, report_count__gt=F("reports_kept")
        )
        .select_related("author", "topic")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=AbuseReport.objects.select_related("reporter").order_by("created_at"),
            )
        )
        .order_by("-report_count", "created_at", "pk")
    )
    return Paginator(rows, 20).get_page(page)


def reported_count(village) -> int:
    return Comment.objects.filter(
        village=village, hidden_at__isnull=True, report_count__gt=F("reports_kept")
    ).count()


def open_ballots(vote: Vote, *, page=None):
    """Who chose what in an open ballot, by option (the caller checks that it is open)."""
    rows = (
        Ballot.objects.filter(vote=vote, village_id=vote.village_id)
        .select_related("vote", "voter", "entry", "household", "cast_by")
        .order_by("choice", "created_at", "pk")
    )
    return Paginator(rows, BALLOTS_PER_PAGE).get_page(page)


def roll(vote: Vote, *, page=None, q: str = ""):
    """A vote's roll as names (never choices), by name; paginated, searchable."""
    rows = RollEntry.objects.filter(vote=vote, village_id=vote.village_id, removed_at__isnull=True)
    if q:
        rows = rows.filter(name__icontains=q[:60])
    rows = rows.select_related("household").only(
        "name", "resident_id", "household__house_number", "household__name"
    )
    return Paginator(rows.order_by("name", "pk"), ROLL_PER_PAGE).get_page(page)


def participants(vote: Vote, *, page=None):
    """The names of those who voted (no choices, no times), by name."""
    rows = Participation.objects.filter(vote=vote, village_id=vote.village_id).select_related(
        "entry"
    )
    return Paginator(
        rows.only("entry__name").order_by("entry__name", "entry_id"), ROLL_PER_PAGE
    ).get_page(page)


def receipts(vote: Vote, *, page=None):
    """The receipt codes counted, sorted (their order says nothing about the order of votes)."""
    rows = Receipt.objects.filter(vote=vote, village_id=vote.village_id).order_by("code")
    return Paginator(rows.values_list("code", flat=True), RECEIPTS_PER_PAGE).get_page(page)


def receipt_exists(vote: Vote, code: str) -> bool:
    return Receipt.objects.filter(vote=vote, village_id=vote.village_id, code=code).exists()


def vote_figures(vote: Vote) -> dict:
    """The three figures anyone can check against each other once a vote is closed."""
    return {
        "participants": Participation.objects.filter(vote=vote).count(),
        "receipts": Receipt.objects.filter(vote=vote).count(),
        "ballots": sum(vote.counts or []),
    }


def timeline(topic: Topic, *, page=None):
    rows = (
        Event.objects.filter(topic=topic, village_id=topic.village_id)
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    return Paginator(rows, EVENTS_PER_PAGE).get_page(page)


def cadre_record(village, *, recent: int = 200) -> dict:
    """The village's handling record: median hours to the first official reply (over the
    latest ``recent`` replied matters), average rating, matters still open."""
    waits = [
        (replied - raised).total_seconds()
        for raised, replied in Topic.objects.filter(village=village, first_reply_at__isnull=False)
        .order_by("-created_at")
        .values_list("created_at", "first_reply_at")[:recent]
    ]
    sums = Topic.objects.filter(village=village).aggregate(
        stars=Sum("rating_sum"),
        ratings=Sum("rating_count"),
        open=Count("pk", filter=Q(status__in=states.UNRESOLVED)),
        reopened=Sum("reopened_count"),
    )
    ratings = sums["ratings"] or 0
    return {
        "median_reply_hours": round(median(waits) / 3600, 1) if waits else None,
        "average_rating": round(sums["stars"] / ratings, 1) if ratings else None,
        "rating_count": ratings,
        "open_topics": sums["open"],
        # A handling the villager said did not fix it counts against the record.
        "reopened": sums["reopened"] or 0,
    }


def recent_results(village, *, limit: int = 3) -> list[Vote]:
    return list(
        Vote.objects.filter(village=village, closed_at__isnull=False)
        .select_related("topic")
        .order_by("-closed_at", "-pk")[:limit]
    )


def open_votes(village, *, limit: int = 3) -> list[Vote]:
    now = timezone.now()
    return list(
        Vote.objects.filter(
            village=village, closed_at__isnull=True, opens_at__lte=now, closes_at__gt=now
        )
        .select_related("topic")
        .order_by("closes_at")[:limit]
    )


def village_home_context(request) -> dict:
    village = request.village
    return {
        "talks_record": cadre_record(village),
        "talks_results": recent_results(village),
        "talks_open_votes": open_votes(village),
    }


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def inbox(user, village, *, page=None):
    rows = Notification.objects.filter(user=user, village=village).order_by("-created_at", "-pk")
    return Paginator(rows, 30).get_page(page)


def handling_cadres(village):
    from django.contrib.auth import get_user_model

    from talks.services import _cadre_ids

    return get_user_model().objects.filter(pk__in=_cadre_ids(village)).order_by("username")


def cadre_work_items(village) -> list[dict]:
    """The cadre work page's talks section: matters awaiting a reply or being handled, and
    reported comments (one query for the matters, one for the reports)."""
    counts = Topic.objects.filter(village=village).aggregate(
        raised=Count("pk", filter=Q(status=Topic.Status.RAISED)),
        handling=Count("pk", filter=Q(status=Topic.Status.HANDLING)),
    )
    talks = reverse("talks:list", kwargs={"village_slug": village.slug})
    return [
        {
            "label": _("Matters awaiting an official reply"),
            "count": counts["raised"],
            "url": f"{talks}?status={Topic.Status.RAISED}",
        },
        {
            "label": _("Matters being handled"),
            "count": counts["handling"],
            "url": f"{talks}?status={Topic.Status.HANDLING}",
        },
        {
            "label": _("Reported comments"),
            "count": reported_count(village),
            "url": reverse("talks:reports", kwargs={"village_slug": village.slug}),
        },
    ]


def my_household_context(household) -> dict:
    """The talks part of a villager's home base: matters raised by the household's members,
    newest first (one query)."""
    rows = (
        Topic.objects.filter(village_id=household.village_id, author__resident__household=household)
        .only("pk", "title", "status", "created_at", "comment_count", "support_count")
        .order_by("-created_at", "-pk")
    )
    return {"talks_household_topics": list(rows[:5])}


ESCALATED_PER_PAGE = 30


def escalated_for(user, *, page=None, open_only: bool = True):
    """The matters escalated to the regions a town or county official oversees, newest
    escalation first (two queries: the official's regions, then the page). None if the user is
    no official."""
    from villageaffairs.regions import official_region_ids

    region_ids = official_region_ids(user)
    if not region_ids:
        return None
    rows = (
        Topic.objects.filter(escalated_to_id__in=region_ids)
        .select_related("village", "escalated_to")
        .only(
            "pk",
            "title",
            "status",
            "category",
            "created_at",
            "escalated_at",
            "reply_due_at",
            "handle_due_at",
            "village__name",
            "village__name_en",
            "village__slug",
            "escalated_to__name",
            "escalated_to__name_en",
        )
        .order_by("-escalated_at", "-pk")
    )
    if open_only:
        rows = rows.filter(status__in=(*states.UNRESOLVED, Topic.Status.DECLINED))
    return Paginator(rows, ESCALATED_PER_PAGE).get_page(page)


def open_follow_up(topic: Topic):
    """The follow-up question now waiting for the author's answer, if any."""
    now = timezone.now()
    return (
        FollowUp.objects.filter(
            topic=topic,
            village_id=topic.village_id,
            asked_at__isnull=False,
            answered_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by("-asked_at")
        .first()
    )


def follow_ups(topic: Topic) -> list:
    """The answered follow-ups of a topic with their photos (two queries)."""
    return list(
        FollowUp.objects.filter(topic=topic, village_id=topic.village_id, answered_at__isnull=False)
        .prefetch_related("photos")
        .order_by("answered_at", "pk")
    )
