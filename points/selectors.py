"""Reads of the points app, used by views, the admin and other apps (loans, courtyard page)."""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.db import router
from django.db.models import F, JSONField, OuterRef, Q, Subquery, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from points.models import (
    DEFAULT_STAR_THRESHOLDS,
    Balance,
    Claim,
    Item,
    LedgerEntry,
    Objection,
    PointsSettings,
    Rank,
    RankingSnapshot,
    Redemption,
    Rule,
    RuleRevision,
    YearScore,
)
from villageaffairs import fragments, housenumbers
from villageaffairs import selectors as core_selectors
from villageaffairs.models import Household, Village
from villageaffairs.prepared import Prepared

RANKING_PAGE_SIZE = 50


@dataclass
class HouseholdStanding:
    household_id: int
    score: int  # all-time: awards and deductions
    balance: int  # spendable in the points supermarket
    year: int
    year_score: int
    rank: int | None  # all-time, from the latest snapshot
    year_rank: int | None
    movement: int  # places gained since the previous day's ranking (negative: lost)
    star_level: int  # 0-5
    households_ranked: int
    ranked_at: datetime | None


def star_level(score: int, thresholds: list[int] | None = None) -> int:
    thresholds = thresholds or DEFAULT_STAR_THRESHOLDS
    return min(5, sum(1 for t in thresholds if score >= t))


def star_thresholds(village_id: int) -> list[int]:
    found = PointsSettings.objects.filter(village_id=village_id).first()
    return found.thresholds if found else list(DEFAULT_STAR_THRESHOLDS)


def _thresholds(stored) -> list[int]:
    """A village's stored thresholds, as ``PointsSettings.thresholds`` reads them."""
    return PointsSettings(star_thresholds=stored or []).thresholds


# Up to two snapshots by id (the same id twice for one): the courtyard page's reads.
_snapshots = Prepared(
    lambda first, second: RankingSnapshot.objects.filter(pk__in=[first, second]), kinds=(int, int)
)


def _previous(snapshot, using=None) -> RankingSnapshot | None:
    """The snapshot before ``snapshot`` (read once per instance: a page may ask twice)."""
    if snapshot is None or snapshot.previous_id is None:
        return None
    if "_previous" not in snapshot.__dict__:
        using = using or router.db_for_read(RankingSnapshot)
        previous = _snapshots.first(snapshot.previous_id, snapshot.previous_id, using=using)
        snapshot.__dict__["_previous"] = previous
    return snapshot.__dict__["_previous"]


def attach_households(rows: list[Rank], using=None) -> list[Rank]:
    households = Household.objects.using(using).filter(pk__in=[row.household_id for row in rows])
    households = households.only("name", "house_number", "code", "villager_group", "village_id")
    by_id = {household.pk: household for household in households}
    for row in rows:
        row.household = by_id.get(row.household_id)
    return rows


def _latest(village_id, period: str):
    return RankingSnapshot.objects.filter(village_id=village_id, period=period).order_by(
        "-computed_at", "-pk"
    )


def latest_snapshot(village_id: int, period: str = RankingSnapshot.Period.ALL):
    return _latest(village_id, period).first()


_latest_head = Prepared(
    lambda village_id, period: _latest(village_id, period).defer("standings")[:1], kinds=(int, str)
)


def latest_snapshot_head(village_id: int, period: str, *, using=None):
    """The latest snapshot without its ranks (read when needed, from the same database)."""
    return _latest_head.first(
        village_id, period, using=using or router.db_for_read(RankingSnapshot)
    )


def household_standing(household: Household) -> HouseholdStanding:
    """Score, balance, this year's score, rank and star level of a household (5 queries)."""
    year = timezone.localdate().year
    row = Balance.objects.filter(household=household).values("score", "balance").first() or {
        "score": 0,
        "balance": 0,
    }
    year_score = (
        YearScore.objects.filter(household=household, year=year)
        .values_list("score", flat=True)
        .first()
        or 0
    )
    return _standing(
        household.pk,
        score=row["score"],
        balance=row["balance"],
        year=year,
        year_score=year_score,
        latest=latest_snapshot(household.village_id),
        latest_year=latest_snapshot(household.village_id, RankingSnapshot.Period.YEAR),
        thresholds=star_thresholds(household.village_id),
    )


def _standing(
    household_id, *, score, balance, year, year_score, latest, latest_year, thresholds, using=None
) -> HouseholdStanding:
    mine = latest.rank_of(household_id) if latest else None
    mine_year = (
        latest_year.rank_of(household_id) if latest_year and latest_year.year == year else None
    )
    if mine is not None and (previous := _previous(latest, using)) is not None:
        before = previous.rank_of(household_id)
        mine.previous_rank = before.rank if before else None
    return HouseholdStanding(
        household_id=household_id,
        score=score,
        balance=balance,
        year=year,
        year_score=year_score,
        rank=mine.rank if mine else None,
        year_rank=mine_year.rank if mine_year else None,
        movement=mine.movement if mine else 0,
        star_level=star_level(score, thresholds),
        households_ranked=latest.households_ranked if mine else 0,
        ranked_at=latest.computed_at if mine else None,
    )


def _latest_id(period: str) -> Subquery:
    return Subquery(_latest(OuterRef("village_id"), period).values("pk")[:1])


def _household_page_query(code: str, year: int):
    return (
        core_selectors.households_by_code(code)
        .annotate(
            points_version=F("points_balance__version"),
            points_score=F("points_balance__score"),
            points_spendable=F("points_balance__balance"),
            points_year=Value(year),
            points_year_score=Subquery(
                YearScore.objects.filter(household_id=OuterRef("pk"), year=year).values("score")[:1]
            ),
            ranking_all_id=_latest_id(RankingSnapshot.Period.ALL),
            ranking_year_id=_latest_id(RankingSnapshot.Period.YEAR),
            points_thresholds=Subquery(
                PointsSettings.objects.filter(village_id=OuterRef("village_id")).values(
                    "star_thresholds"
                )[:1],
                output_field=JSONField(),
            ),
        )
        .order_by("pk")[:1]
    )


# The courtyard page's one query, asked on every scan of a sign: compiled once (prepared).
_household_page = Prepared(_household_page_query)


def household_page(code: str, *, using: str):
    """The household of a courtyard sign's code with the keys of its page's figures, in one
    query on ``using``: its village, the balance row's version and figures, this year's score,
    the ids of the village's latest snapshots and its star thresholds. None if unknown.

    Its figures (score, balance, this year's score) come from the same statement as the
    version, so they can never be older than the key they are cached under."""
    return _household_page.first(code, key=(timezone.localdate().year,), using=using)


def household_page_version(household) -> tuple:
    """What the figures of a household from ``household_page`` depend on."""
    return (
        household.pk,
        household.points_version,
        household.ranking_all_id,
        household.ranking_year_id,
        household.points_year,
        ",".join(map(str, _thresholds(household.points_thresholds))),
    )


def household_figures(household, *, using: str) -> dict:
    """The context of a household page's figures, from a ``household_page`` household (3
    queries on ``using``: the two snapshots, the previous one, the entries)."""
    ids = [pk for pk in (household.ranking_all_id, household.ranking_year_id) if pk]
    found = _snapshots(*(ids * 2)[:2], using=using) if ids else []
    snapshots = {s.pk: s for s in found}
    standing = _standing(
        household.pk,
        score=household.points_score or 0,
        balance=household.points_spendable or 0,
        year=household.points_year,
        year_score=household.points_year_score or 0,
        latest=snapshots.get(household.ranking_all_id),
        latest_year=snapshots.get(household.ranking_year_id),
        thresholds=_thresholds(household.points_thresholds),
        using=using,
    )
    return {
        "household": household,
        "standing": standing,
        "entries": public_entries(household, using=using),
    }


@dataclass(frozen=True)
class SignFigures:
    """What a household's courtyard sign says of it (points.signs, ``--figures``)."""

    score: int
    rank: int
    stars: int


def sign_figures(village_id: int) -> tuple[dict[int, SignFigures], datetime | None]:
    """Every ranked household's score, rank and star level, from the village's latest
    all-time ranking, and when that ranking was computed. Two queries for the whole village."""
    snapshot = latest_snapshot(village_id)
    if snapshot is None:
        return {}, None
    thresholds = star_thresholds(village_id)
    figures = {
        row.household_id: SignFigures(row.score, row.rank, star_level(row.score, thresholds))
        for row in snapshot.ranks()
    }
    return figures, snapshot.computed_at


def viewer_household_id(user, village: Village) -> int | None:
    if not user.is_authenticated:
        return None
    return (
        Household.objects.filter(village=village, residents__user=user)
        .values_list("pk", flat=True)
        .first()
    )


def ranking_rows(village: Village, *, period: str) -> tuple[RankingSnapshot | None, list[Rank]]:
    """The village's latest ranking of the period, best first (ties by household): what the
    ranking page pages through and the open data API publishes (one query)."""
    snapshot = latest_snapshot(village.pk, period)
    return snapshot, (snapshot.ranks() if snapshot is not None else [])


def ranking(
    village: Village,
    *,
    period: str,
    q: str = "",
    page=1,
    viewer_household_id=None,
    snapshot=None,
    using=None,
):
    """One page of a village's ranking from its latest snapshot (or ``snapshot``, read on its
    own database), and the viewer's own row."""
    if snapshot is None:
        snapshot = latest_snapshot(village.pk, period)
    if snapshot is None:
        return {"snapshot": None, "page": None, "mine": None}
    using = snapshot._state.db
    rows = snapshot.ranks()
    q = (q or "").strip()
    if q:
        matching = set(
            Household.objects.using(using)
            .filter(village=village)
            .filter(
                Q(name__icontains=q)
                | Q(house_number__icontains=housenumbers.clean(q))
                | housenumbers.matching(q)
            )
            .values_list("pk", flat=True)
        )
        rows = [row for row in rows if row.household_id in matching]
    paged = Paginator(rows, RANKING_PAGE_SIZE).get_page(page)
    mine = snapshot.rank_of(viewer_household_id) if viewer_household_id is not None else None
    shown = [*paged.object_list, *([mine] if mine else [])]
    previous = _previous(snapshot, using)
    if previous is not None:
        before = previous.rank_map()
        for row in shown:
            row.previous_rank = before.get(row.household_id)
    attach_households(list(paged.object_list), using)
    return {"snapshot": snapshot, "page": paged, "mine": mine}


def ranking_mine(snapshot, household_id: int) -> Rank | None:
    """The viewer's own place in ``snapshot`` (read on its database), with its movement."""
    mine = snapshot.rank_of(household_id)
    if mine is not None and (previous := _previous(snapshot, snapshot._state.db)) is not None:
        before = previous.rank_of(household_id)
        mine.previous_rank = before.rank if before else None
    return mine


def rules_of(village: Village):
    return Rule.objects.filter(village=village).order_by("category", "position", "pk")


def rule_history(village: Village, limit: int = 30):
    related = ["rule", "actor"]
    if any(f.name == "adopted_by_topic" for f in RuleRevision._meta.get_fields()):
        related.append("adopted_by_topic")
    return RuleRevision.objects.filter(village=village).select_related(*related)[:limit]


# An entry from a claim that a grid worker or a cadre entered for a villager says so (issue 13):
# joined in the same query, so the pages keep their query counts.
_ASSISTED = (
    "claim__assisted_act__actor_role",
    "claim__assisted_act__disputed_at",
    "claim__assisted_act__actor__display_name",
    "claim__assisted_act__actor__first_name",
    "claim__assisted_act__actor__last_name",
    "claim__assisted_act__actor__username",
    "claim__assisted_act__resident__name",
)


def _with_assisted(entries):
    return entries.select_related(
        "claim__assisted_act__actor", "claim__assisted_act__resident"
    ).only(*_ASSISTED)


def _public_entries_query(household_id: int, limit: int):
    return (
        _with_assisted(LedgerEntry.objects.filter(household_id=household_id, in_score=True))
        .only("kind", "points", "reason", "created_at", "household_id", "village_id", *_ASSISTED)
        .order_by("-created_at", "-pk")[:limit]
    )


_public_entries = Prepared(_public_entries_query, kinds=(int,))


def public_entries(household: Household, limit: int = 10, using=None):
    """What the courtyard page shows: score changes (not what was bought), newest first."""
    using = using or router.db_for_read(LedgerEntry)
    return _public_entries(household.pk, key=(limit,), using=using)


def posting(village: Village, page=1):
    """The public list of approved changes, newest first, with open objections counted."""
    qs = (
        _with_assisted(LedgerEntry.objects.filter(village=village, in_score=True))
        .select_related("household")
        .only(
            "kind",
            "points",
            "reason",
            "created_at",
            "posted_until",
            "reverses_id",
            "household__name",
            "household__house_number",
            "household__code",
            *_ASSISTED,
        )
        .order_by("-created_at", "-pk")
    )
    return Paginator(qs, 30).get_page(page)


def assist_actions(village: Village, resident) -> list[dict]:
    """What a cadre or a grid worker can do for this resident in the points (the assist page)."""
    url = reverse(
        "points:assist_claim", kwargs={"village_slug": village.slug, "resident_pk": resident.pk}
    )
    return [{"label": _("Claim points"), "url": url}]


def claims_of_household(household: Household, limit: int = 30):
    return list(
        Claim.objects.filter(household=household)
        .select_related("rule", "assisted_act__actor", "assisted_act__resident")
        .prefetch_related("photos")
        .order_by("-created_at", "-pk")[:limit]
    )


def claimable_rules(village: Village):
    today = timezone.localdate()
    return (
        Rule.objects.filter(village=village, in_force_from__lte=today)
        .filter(Q(in_force_to__isnull=True) | Q(in_force_to__gte=today))
        .exclude(points=0)
        .order_by("category", "position", "pk")
    )


def pending_claims(village: Village, page=1):
    qs = (
        Claim.objects.filter(village=village, state=Claim.State.SUBMITTED)
        .select_related(
            "household", "rule", "claimant", "assisted_act__actor", "assisted_act__resident"
        )
        .prefetch_related("photos")
        .order_by("created_at", "pk")
    )
    return Paginator(qs, 20).get_page(page)


def open_objections(village: Village):
    return list(
        Objection.objects.filter(village=village, state=Objection.State.OPEN)
        .select_related("entry__household", "raised_by")
        .order_by("created_at", "pk")[:50]
    )


def shop_items(village: Village):
    return list(Item.objects.filter(village=village, is_active=True).order_by("cost", "name"))


def reservations(village: Village):
    return list(
        Redemption.objects.filter(village=village, state=Redemption.State.RESERVED)
        .select_related("household", "item")
        .order_by("created_at", "pk")[:100]
    )


def household_redemptions(household: Household, limit: int = 20):
    return list(
        Redemption.objects.filter(household=household)
        .select_related("item")
        .order_by("-created_at", "-pk")[:limit]
    )


def village_home_version(request):
    """The key of the village home's points section: the latest all-time snapshot (read on
    the alias its content is read from, before it)."""
    using = fragments.read_alias(request, RankingSnapshot)
    head = latest_snapshot_head(request.village.pk, RankingSnapshot.Period.ALL, using=using)
    return head.pk if head is not None else None


def village_home_context(request) -> dict:
    """The points section of the village home: the top of the ranking."""
    using = fragments.read_alias(request, RankingSnapshot)
    snapshot = _latest(request.village.pk, RankingSnapshot.Period.ALL).using(using).first()
    top = attach_households(snapshot.ranks()[:5], using) if snapshot is not None else []
    return {"points_top": top}


def cadre_work_items(village: Village) -> list[dict]:
    """The cadre work page's points section: what waits for a decision."""
    claims = Claim.objects.filter(village=village, state=Claim.State.SUBMITTED).count()
    objections = Objection.objects.filter(village=village, state=Objection.State.OPEN).count()
    review = reverse("points:review", kwargs={"village_slug": village.slug})
    return [
        {"label": _("Point claims to review"), "count": claims, "url": review},
        {"label": _("Objections to points to resolve"), "count": objections, "url": review},
    ]


def my_household_context(household: Household) -> dict:
    """The points part of a villager's home base: the standing, the latest entries and the
    claims still waiting for a decision (a fixed number of queries)."""
    return {
        "points_standing": household_standing(household),
        "points_entries": public_entries(household, limit=5),
        "points_open_claims": list(
            Claim.objects.filter(household=household, state=Claim.State.SUBMITTED)
            .select_related("rule", "assisted_act__actor", "assisted_act__resident")
            .only(
                "points",
                "state",
                "created_at",
                "rule__text",
                "household_id",
                "assisted_act__actor_role",
                "assisted_act__disputed_at",
                "assisted_act__resident__name",
                "assisted_act__actor__display_name",
                "assisted_act__actor__username",
                "assisted_act__actor__first_name",
                "assisted_act__actor__last_name",
            )
            .order_by("-created_at", "-pk")[:5]
        ),
    }
