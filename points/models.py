"""Points: village rules, claims, the append-only ledger, balances, rankings, the supermarket.

Invariants (DESIGN.md, "Points: invariants"):
- ``LedgerEntry`` rows are never updated or deleted; a mistake is corrected by a reversal
  entry that points at the entry it reverses (at most one reversal per entry).
- ``Balance`` holds ``score`` (awards, deductions and their reversals) and ``balance``
  (everything, redemptions included) and is changed in the same transaction as each entry.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from villageaffairs import bounds
from villageaffairs.bounds import between
from villageaffairs.media import private_photo_path
from villageaffairs.models import CleanPhoto, Household, village_key

DEFAULT_STAR_THRESHOLDS = [100, 200, 300, 400, 450]  # 483 points → five stars
DEFAULT_POSTING_DAYS = 3


class PointsSettings(models.Model):
    """A village's own settings of its points system."""

    village = models.OneToOneField(
        "villageaffairs.Village",
        verbose_name=_("village"),
        on_delete=models.CASCADE,
        related_name="points_settings",
    )
    posting_days = models.PositiveSmallIntegerField(
        _("public posting period (days)"),
        default=DEFAULT_POSTING_DAYS,
        validators=between(*bounds.POSTING_DAYS),
    )
    star_thresholds = models.JSONField(
        _("star thresholds"),
        default=list,
        blank=True,
        help_text=_("Five increasing scores: the score needed for one to five stars."),
    )

    class Meta:
        verbose_name = _("points settings")
        verbose_name_plural = _("points settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(posting_days__gte=bounds.POSTING_DAYS[0])
                & Q(posting_days__lte=bounds.POSTING_DAYS[1]),
                name="points_settings_posting_days_bounded",
            )
        ]

    def __str__(self):
        return str(self.village)

    def clean(self):
        super().clean()
        if self.star_thresholds and not valid_thresholds(self.star_thresholds):
            raise ValidationError(
                {
                    "star_thresholds": _(
                        "Give five whole numbers, each larger than the one before, "
                        "between 0 and %(max)s."
                    )
                    % {"max": bounds.SCORE}
                }
            )

    @property
    def thresholds(self) -> list[int]:
        # A stored value the admin's form did not check (edited in the database, say) falls back
        # to the defaults rather than break the ranking and household pages.
        if self.star_thresholds and valid_thresholds(self.star_thresholds):
            return list(self.star_thresholds)
        return list(DEFAULT_STAR_THRESHOLDS)


def valid_thresholds(value) -> bool:
    """Five increasing whole numbers within the score's bounds."""
    return (
        isinstance(value, list)
        and len(value) == bounds.STAR_LEVELS
        and all(type(v) is int and 0 <= v <= bounds.SCORE for v in value)
        and all(a < b for a, b in zip(value, value[1:], strict=False))
    )


class Rule(models.Model):
    class Category(models.TextChoices):
        LAW = "law", _("patriotism and law-abiding")
        CIVILITY = "civility", _("rural civility")
        ECOLOGY = "ecology", _("ecological livability")
        INDUSTRY = "industry", _("prosperous industries")
        GOVERNANCE = "governance", _("joint construction and governance")
        HONOURS = "honours", _("honours")
        OTHER = "other", _("other")

    class Period(models.TextChoices):
        MONTH = "month", _("per month")
        YEAR = "year", _("per year")
        EVER = "ever", _("in total")

    village = models.ForeignKey(
        "villageaffairs.Village",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="points_rules",
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    text = models.CharField(_("rule"), max_length=300)
    points = models.IntegerField(
        _("points"),
        default=0,
        help_text=_("Positive for an award, negative for a deduction."),
        validators=between(-bounds.RULE_POINTS, bounds.RULE_POINTS),
    )
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    limit_count = models.PositiveSmallIntegerField(
        _("limit per household"),
        null=True,
        blank=True,
        validators=between(1, bounds.RULE_LIMIT_COUNT),
        help_text=_("How many times a household may score under this rule per period."),
    )
    limit_period = models.CharField(
        _("limit period"), max_length=10, choices=Period.choices, default=Period.YEAR
    )
    in_force_from = models.DateField(_("in force from"), default=timezone.localdate)
    in_force_to = models.DateField(_("in force until"), null=True, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["village", "category", "position", "pk"]
        indexes = [models.Index(fields=["village", "category"], name="rule_village_category")]
        constraints = [
            models.CheckConstraint(
                condition=Q(in_force_to__isnull=True)
                | Q(in_force_to__gte=models.F("in_force_from")),
                name="rule_force_range",
            ),
            models.CheckConstraint(
                condition=Q(points__gte=-bounds.RULE_POINTS) & Q(points__lte=bounds.RULE_POINTS),
                name="rule_points_bounded",
            ),
            models.CheckConstraint(
                condition=Q(limit_count__isnull=True)
                | (Q(limit_count__gte=1) & Q(limit_count__lte=bounds.RULE_LIMIT_COUNT)),
                name="rule_limit_count_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.text} ({self.points:+d})"

    def in_force_on(self, day) -> bool:
        return self.in_force_from <= day and (self.in_force_to is None or day <= self.in_force_to)

    @property
    def is_in_force(self) -> bool:
        return self.in_force_on(timezone.localdate())


class RuleRevision(models.Model):
    """The history of a rule: who changed what, when, and optionally which vote adopted it."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="revisions"
    )
    village = village_key()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # The talk whose passed vote adopted this change (the talks app never imports points).
    adopted_by_topic = models.ForeignKey(
        "talks.Topic",
        verbose_name=_("adopted by the vote of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("rule revision")
        verbose_name_plural = _("rule history")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["village", "-created_at"], name="rulerev_village_time")]

    def __str__(self):
        return f"{self.rule} · {self.created_at:%Y-%m-%d}"

    @property
    def is_creation(self) -> bool:
        return "created" in self.changes


class Claim(models.Model):
    class State(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("claim state", "submitted")
        APPROVED = "approved", pgettext_lazy("claim state", "approved")
        REJECTED = "rejected", pgettext_lazy("claim state", "rejected")
        WITHDRAWN = "withdrawn", pgettext_lazy("claim state", "withdrawn")

    village = village_key()
    household = models.ForeignKey(
        "villageaffairs.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="points_claims",
    )
    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="claims"
    )
    points = models.IntegerField(
        _("points"), validators=between(-bounds.RULE_POINTS, bounds.RULE_POINTS)
    )
    note = models.TextField(_("note"), max_length=1000, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.SUBMITTED
    )
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acted_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on behalf of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Assisted entry (villageaffairs.assist): the resident it was claimed for, who may have no
    # account, and the act with the evidence of their agreement.
    for_resident = models.ForeignKey(
        "villageaffairs.Resident",
        verbose_name=_("claimed for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assisted_act = models.OneToOneField(
        "villageaffairs.AssistedAct",
        verbose_name=_("assisted act"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A form carries a one-time key: submitting it twice gives one claim.
    submission_key = models.UUIDField(_("submission key"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("submitted"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["village", "state", "created_at"], name="claim_village_state"),
            models.Index(fields=["household", "rule", "state"], name="claim_household_rule"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "submission_key"], name="claim_unique_submission"
            ),
            models.CheckConstraint(
                condition=~Q(state="rejected") | ~Q(decision_reason=""),
                name="claim_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(points__gte=-bounds.RULE_POINTS) & Q(points__lte=bounds.RULE_POINTS),
                name="claim_points_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.household} · {self.rule.text[:40]} ({self.points:+d})"


def _photo_path(instance, filename):
    """Kept for the early migrations; photos are filed by villageaffairs.models.CleanPhoto."""
    return f"points/{instance.village_id}/{timezone.now():%Y/%m}/{filename}"


class EvidencePhoto(CleanPhoto):
    """A cleaned photo (see villageaffairs.images) attached to a claim or a direct entry."""

    claim = models.ForeignKey(
        Claim,
        verbose_name=_("claim"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="photos",
    )
    entry = models.ForeignKey(
        "LedgerEntry",
        verbose_name=_("ledger entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="photos",
    )

    # Evidence is shown only to the household and the village's cadres (points.views.photo),
    # so it is filed under private/, which nginx does not serve.
    image = models.ImageField(
        _("photo"), upload_to=private_photo_path, width_field="width", height_field="height"
    )
    thumbnail = models.ImageField(_("thumbnail"), upload_to=private_photo_path)

    class Meta(CleanPhoto.Meta):
        verbose_name = _("evidence photo")
        verbose_name_plural = _("evidence photos")


class LedgerQuerySet(models.QuerySet):
    """No update or delete path: corrections are reversal entries."""

    def update(self, **kwargs):
        raise TypeError("The points ledger is append-only.")

    def delete(self):
        raise TypeError("The points ledger is append-only.")

    _raw_delete = delete


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        AWARD = "award", _("award")
        DEDUCTION = "deduction", _("deduction")
        REDEMPTION = "redemption", _("redemption")
        REVERSAL = "reversal", _("reversal")

    village = village_key()
    household = models.ForeignKey(
        "villageaffairs.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Signed change of the balance; of the score too when ``in_score``.
    points = models.IntegerField(_("points"))
    # Awards, deductions and their reversals count in the score; redemptions (and their
    # reversals) only in the spendable balance.
    in_score = models.BooleanField(_("counts in score"))
    # The scoring year (Asia/Shanghai); a reversal counts in the year of the entry it reverses.
    year = models.PositiveSmallIntegerField(_("year"))
    rule = models.ForeignKey(
        Rule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    claim = models.ForeignKey(
        Claim,
        verbose_name=_("claim"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
    )
    redemption = models.ForeignKey(
        "Redemption",
        verbose_name=_("redemption"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    reason = models.CharField(_("reason"), max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acted_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on behalf of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    posted_until = models.DateTimeField(_("publicly posted until"), null=True, blank=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["village", "-created_at"], name="ledger_village_time"),
            models.Index(fields=["household", "-created_at"], name="ledger_household_time"),
        ]
        constraints = [
            # One approval of a claim gives one entry, whoever clicks and however often.
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(claim__isnull=False) & ~Q(kind="reversal"),
                name="ledger_one_entry_per_claim",
            ),
            models.UniqueConstraint(
                fields=["reverses"], condition=Q(reverses__isnull=False), name="ledger_one_reversal"
            ),
            models.CheckConstraint(
                condition=(
                    (Q(kind="award") & Q(points__gt=0) & Q(in_score=True))
                    | (Q(kind="deduction") & Q(points__lt=0) & Q(in_score=True))
                    | (Q(kind="redemption") & Q(points__lt=0) & Q(in_score=False))
                    | (Q(kind="reversal") & Q(reverses__isnull=False))
                ),
                name="ledger_kind_sign",
            ),
            models.CheckConstraint(
                condition=Q(points__gte=-bounds.LEDGER_POINTS)
                & Q(points__lte=bounds.LEDGER_POINTS),
                name="ledger_points_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.household} {self.points:+d} ({self.get_kind_display()})"

    def save(self, *args, **kwargs):
        # A guard, not logic: the ledger has no update path.
        if not self._state.adding:
            raise TypeError("The points ledger is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The points ledger is append-only.")

    @property
    def is_posted(self) -> bool:
        return self.posted_until is not None and timezone.now() < self.posted_until


class Balance(models.Model):
    """Per household: the sums of its ledger entries, kept in step with every entry."""

    household = models.OneToOneField(
        "villageaffairs.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="points_balance",
    )
    village = village_key()
    score = models.IntegerField(_("score"), default=0)
    balance = models.IntegerField(pgettext_lazy("points", "balance"), default=0)
    # One more with every change of what the household's public page shows (each entry, and
    # a dispute of an entry's claim), in the same transaction: the key of its cached figures.
    version = models.PositiveBigIntegerField(_("version"), default=0, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("points", "balance")
        verbose_name_plural = pgettext_lazy("points", "balances")
        indexes = [models.Index(fields=["village", "-score"], name="balance_village_score")]

    def __str__(self):
        return f"{self.household}: {self.score} / {self.balance}"


class YearScore(models.Model):
    """A household's score in one calendar year, kept with the balance."""

    household = models.ForeignKey(
        "villageaffairs.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    village = village_key()
    year = models.PositiveSmallIntegerField(_("year"))
    score = models.IntegerField(_("score"), default=0)

    class Meta:
        verbose_name = _("score of a year")
        verbose_name_plural = _("scores per year")
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="yearscore_unique")
        ]
        indexes = [models.Index(fields=["village", "year"], name="yearscore_village_year")]

    def __str__(self):
        return f"{self.household} {self.year}: {self.score}"


class Objection(models.Model):
    """A villager's objection to a publicly posted entry, resolved by a cadre."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        UPHELD = "upheld", _("upheld")
        DISMISSED = "dismissed", _("dismissed")

    village = village_key()
    entry = models.ForeignKey(
        LedgerEntry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="objections"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("objection"), max_length=1000)
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    response = models.CharField(_("response"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["village", "state"], name="objection_village_state")]
        constraints = [
            models.UniqueConstraint(fields=["entry", "raised_by"], name="objection_one_per_person")
        ]

    def __str__(self):
        return f"{self.entry} · {self.text[:40]}"


@dataclass
class Rank:
    """One household's place in a snapshot (standard competition ranking: 1, 2, 2, 4)."""

    household_id: int
    rank: int
    score: int
    previous_rank: int | None = None  # in the previous day's snapshot, when shown
    household: object = None  # the Household, when a page shows it

    @property
    def movement(self) -> int:
        """Places gained (positive) or lost (negative) since the previous day's ranking."""
        if self.previous_rank is None:
            return 0
        return self.previous_rank - self.rank


class RankingSnapshot(models.Model):
    """One recomputation of a village's ranking (all-time or one year), ranks included.

    The ranks are one compact text column written by one INSERT … SELECT … RANK() OVER (…) …
    GROUP BY village: a recompute of every village writes one row per village and period, not
    one per household (a village's ranks are a few thousand entries at most, read whole and
    parsed in well under a millisecond). Two formats, told apart by the first entry:

    - ``household_id:score`` joined by commas, best first (PostgreSQL writes this one, ordered
      by ``STRING_AGG(… ORDER BY score DESC)``). The rank is not stored: it follows from the
      order, a household's rank being 1 + the number of entries before the first one with its
      score (standard competition ranking). Leaving it out makes the recompute's text fold
      much cheaper.
    - ``household_id:rank:score`` joined by commas, in any order: snapshots stored before, and
      SQLite's (its GROUP_CONCAT cannot be ordered before SQLite 3.44).
    """

    class Period(models.TextChoices):
        ALL = "all", _("all time")
        YEAR = "year", _("this year")

    village = village_key()
    period = models.CharField(_("period"), max_length=4, choices=Period.choices)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)
    households_ranked = models.PositiveIntegerField(_("households ranked"), default=0)
    # The village's last snapshot of the same period before this one's day (for movement).
    previous_id = models.BigIntegerField(null=True, blank=True, editable=False)
    standings = models.TextField(_("ranks"), default="", editable=False)

    class Meta:
        verbose_name = _("ranking snapshot")
        verbose_name_plural = _("ranking snapshots")
        indexes = [
            models.Index(fields=["village", "period", "-computed_at"], name="snapshot_latest"),
        ]

    def __str__(self):
        return f"{self.village} {self.get_period_display()} {self.computed_at:%Y-%m-%d %H:%M}"

    def _places(self):
        """(household id, rank, score) of every entry, in the stored order."""
        items = self.standings.split(",") if self.standings else []
        if items and items[0].count(":") == 2:  # household_id:rank:score
            for item in items:
                household_id, rank, score = item.split(":")
                yield int(household_id), int(rank), int(score)
            return
        rank, previous = 0, None  # household_id:score, best first
        for position, item in enumerate(items, 1):
            household_id, score = item.split(":")
            score = int(score)
            if score != previous:
                rank, previous = position, score
            yield int(household_id), rank, score

    def ranks(self) -> list[Rank]:
        """Every household's place, best first (ties by household)."""
        rows = [Rank(*place) for place in self._places()]
        rows.sort(key=lambda row: (row.rank, row.household_id))
        return rows

    def rank_map(self) -> dict[int, int]:
        """household id → rank."""
        return {household_id: rank for household_id, rank, _score in self._places()}

    def rank_of(self, household_id: int) -> Rank | None:
        """One household's place, found without parsing the whole table."""
        table = "," + self.standings + ","
        start = table.find(f",{household_id}:")
        if start < 0:
            return None
        fields = table[start + 1 : table.find(",", start + 1)].split(":")
        if len(fields) == 3:  # household_id:rank:score
            return Rank(household_id, int(fields[1]), int(fields[2]))
        # household_id:score, best first: the rank is one more than the number of entries
        # before the first with the same score. ":<score>," matches only a whole score field
        # (a household id follows a comma), and the leading comma counts as the "one more".
        first = table.find(f":{fields[1]},")
        return Rank(household_id, table.count(",", 0, first), int(fields[1]))


class Suspension(models.Model):
    """A penalty that suspends a household's right to redeem points for a while."""

    village = village_key()
    household = models.ForeignKey(
        "villageaffairs.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="redeem_suspensions",
    )
    reason = models.CharField(_("reason"), max_length=300)
    starts_on = models.DateField(_("from"), default=timezone.localdate)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("suspension of redemption")
        verbose_name_plural = _("suspensions of redemption")
        ordering = ["-starts_on"]

    def __str__(self):
        return f"{self.household}: {self.reason}"


def _item_path(instance, filename):
    return f"points/shop/{instance.village_id}/{filename}"


class Item(models.Model):
    """A good of the points supermarket (积分超市)."""

    village = models.ForeignKey(
        "villageaffairs.Village",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="shop_items",
    )
    name = models.CharField(_("name"), max_length=80)
    cost = models.PositiveIntegerField(_("cost in points"), validators=between(1, bounds.ITEM_COST))
    stock = models.PositiveIntegerField(
        _("stock"), default=0, validators=between(0, bounds.ITEM_STOCK)
    )
    photo = models.ImageField(_("photo"), upload_to=_item_path, blank=True)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=_item_path, blank=True)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("supermarket item")
        verbose_name_plural = _("supermarket items")
        ordering = ["village", "cost", "name"]
        indexes = [models.Index(fields=["village", "is_active"], name="item_village_active")]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gt=0), name="item_cost_positive"),
            models.CheckConstraint(
                condition=Q(cost__lte=bounds.ITEM_COST) & Q(stock__lte=bounds.ITEM_STOCK),
                name="item_cost_stock_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.cost})"


class Redemption(models.Model):
    class State(models.TextChoices):
        RESERVED = "reserved", _("reserved")
        COLLECTED = "collected", _("collected")
        CANCELLED = "cancelled", _("cancelled")

    village = village_key()
    household = models.ForeignKey(
        "villageaffairs.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="redemptions",
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="redemptions"
    )
    quantity = models.PositiveSmallIntegerField(
        _("quantity"), default=1, validators=between(1, bounds.REDEEM_QUANTITY)
    )
    points = models.PositiveIntegerField(_("points"), validators=between(0, bounds.LEDGER_POINTS))
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submission_key = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    collected_at = models.DateTimeField(_("collected"), null=True, blank=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["village", "state"], name="redemption_village_state")]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "submission_key"], name="redemption_unique_submission"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1)
                & Q(quantity__lte=bounds.REDEEM_QUANTITY)
                & Q(points__lte=bounds.LEDGER_POINTS),
                name="redemption_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.household} · {self.item.name} × {self.quantity}"


class Sign(Household):
    """A household seen as its courtyard QR sign (admin: print the signs, re-issue a code)."""

    class Meta:
        proxy = True
        verbose_name = _("courtyard sign")
        verbose_name_plural = _("courtyard signs")


def _sign_print_path(instance, filename):
    """``private/points/<village>/signs/signs-<job>.pdf``: one name per job, so a second run
    of the job replaces its file rather than adding one (served by points.views.sign_print_file
    after a check; nginx never serves private/)."""
    return f"private/points/{instance.village_id}/signs/signs-{instance.pk}.pdf"


class SignPrint(models.Model):
    """A print of a village's courtyard signs, rendered by a worker (points.tasks.print_signs)
    and downloaded from its page when done. Large selections go this way, so that no request
    waits for 2,000 signs."""

    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("print state", "queued")
        RUNNING = "running", pgettext_lazy("print state", "printing")
        DONE = "done", pgettext_lazy("print state", "done")
        FAILED = "failed", pgettext_lazy("print state", "failed")

    village = village_key()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    figures = models.BooleanField(_("with figures"), default=False)
    # The households chosen; empty for the whole village.
    household_ids = models.JSONField(_("households"), default=list, blank=True, editable=False)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(_("signs drawn"), default=0)
    total = models.PositiveIntegerField(_("signs"), default=0)
    file = models.FileField(_("file"), upload_to=_sign_print_path, blank=True, max_length=200)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign print")
        verbose_name_plural = _("sign prints")
        indexes = [models.Index(fields=["village", "-created_at"], name="signprint_village_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="signprint_done_within_total"
            ),
        ]

    def __str__(self):
        return f"{self.village} · {self.created_at:%Y-%m-%d %H:%M} · {self.get_state_display()}"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0
