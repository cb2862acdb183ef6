"""Villagers talk: topics, official replies, comments, support, votes, tasks, ratings, timeline.

The four steps (speak → discuss → handle → evaluate) are the topic's ``status``; the legal
moves between them live in ``talks.states`` and are applied by ``talks.services`` with a
conditional UPDATE, so two cadres acting at once cannot both move a topic.

Talks never points at the points app's tables (points refers to ``talks.Topic`` from its rule
history); an adopted rule is remembered here by its id only.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from villageaffairs import bounds
from villageaffairs.media import private_photo_path
from villageaffairs.models import CleanPhoto, village_key

TITLE_MAX = 120
TEXT_MAX = 4000
COMMENT_MAX = 1000
REASON_MAX = 300
REPLY_DAYS_MAX = 60
HANDLE_DAYS_MAX = 365
FOLLOW_UP_DAYS_MAX = 90


class TalksSettings(models.Model):
    """A village's own choices about its talks."""

    village = models.OneToOneField(
        "villageaffairs.Village",
        verbose_name=_("village"),
        on_delete=models.CASCADE,
        related_name="talks_settings",
    )
    others_may_rate = models.BooleanField(
        _("other villagers may rate"),
        default=True,
        help_text=_("If off, only the villager who raised a matter rates how it was handled."),
    )
    # The Organic Law of Villagers' Committees: a villagers' meeting is announced ten days ahead.
    rule_vote_notice_days = models.PositiveSmallIntegerField(
        _("notice before a vote on the village rules (days)"),
        default=10,
        validators=[MaxValueValidator(60)],
    )
    # Deadlines in calendar days (talks.deadlines), unless a category has its own.
    reply_days = models.PositiveSmallIntegerField(
        _("days to reply"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(REPLY_DAYS_MAX)],
        help_text=_("An official reply is due within this many calendar days."),
    )
    handle_days = models.PositiveSmallIntegerField(
        _("days to handle"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(HANDLE_DAYS_MAX)],
        help_text=_("The matter is to be handled within this many calendar days."),
    )
    follow_up_days = models.PositiveSmallIntegerField(
        _("days before asking whether it is fixed"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(FOLLOW_UP_DAYS_MAX)],
    )

    class Meta:
        verbose_name = _("talks settings")
        verbose_name_plural = _("talks settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(rule_vote_notice_days__lte=60), name="talks_notice_days_bounded"
            ),
            models.CheckConstraint(
                condition=Q(reply_days__gte=1, reply_days__lte=REPLY_DAYS_MAX),
                name="talks_reply_days_bounded",
            ),
            models.CheckConstraint(
                condition=Q(handle_days__gte=1, handle_days__lte=HANDLE_DAYS_MAX),
                name="talks_handle_days_bounded",
            ),
            models.CheckConstraint(
                condition=Q(follow_up_days__gte=1, follow_up_days__lte=FOLLOW_UP_DAYS_MAX),
                name="talks_follow_up_days_bounded",
            ),
        ]

    def __str__(self):
        return str(self.village)


class Topic(models.Model):
    class Category(models.TextChoices):
        ROADS_WATER = "roads_water", _("roads and water")
        ENVIRONMENT = "environment", _("environment")
        CUSTOMS = "customs", _("customs")
        INDUSTRY = "industry", _("industry")
        WELFARE = "welfare", _("welfare")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        RAISED = "raised", pgettext_lazy("topic status", "raised")
        DISCUSSING = "discussing", pgettext_lazy("topic status", "under discussion")
        HANDLING = "handling", pgettext_lazy("topic status", "being handled")
        HANDLED = "handled", pgettext_lazy("topic status", "handled")
        CLOSED = "closed", pgettext_lazy("topic status", "closed")
        DECLINED = "declined", pgettext_lazy("topic status", "declined")
        WITHDRAWN = "withdrawn", pgettext_lazy("topic status", "withdrawn")
        MERGED = "merged", pgettext_lazy("topic status", "merged as duplicate")

    village = models.ForeignKey(
        "villageaffairs.Village",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="topics",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.PROTECT,
        related_name="topics",
    )
    # Assisted entry: the cadre who typed it in for the author, if any.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Assisted entry (villageaffairs.assist): the resident it was raised for, who may have no
    # account (then ``author`` is the one who entered it), and the act with the evidence.
    for_resident = models.ForeignKey(
        "villageaffairs.Resident",
        verbose_name=_("raised for"),
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
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    text = models.TextField(_("text"), max_length=TEXT_MAX)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RAISED
    )
    status_reason = models.CharField(_("reason"), max_length=REASON_MAX, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    first_reply_at = models.DateTimeField(_("first reply"), null=True, blank=True)
    # The first time it was handled; a reopened matter handled again keeps it and moves
    # ``last_handled_at`` (each handling is a "handled" event on the timeline).
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    last_handled_at = models.DateTimeField(_("last handled"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Deadlines, fixed when the matter is raised from the village's settings (calendar days):
    # an official reply by ``reply_due_at``, handled by ``handle_due_at``. Overdue matters are
    # escalated to the village's town (``escalated_to``).
    reply_due_at = models.DateTimeField(_("reply due"), null=True, blank=True)
    handle_due_at = models.DateTimeField(_("handling due"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        "villageaffairs.Region",
        verbose_name=_("escalated to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalated_topics",
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    # Times a handled matter was reopened because the villager said it is not fixed.
    reopened_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    # Counters kept by the services with F() updates so lists need no aggregation.
    support_count = models.PositiveIntegerField(_("support"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    rating_count = models.PositiveIntegerField(_("ratings"), default=0)
    rating_sum = models.PositiveIntegerField(_("sum of stars"), default=0)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["village", "-created_at"], name="topic_village_time"),
            models.Index(fields=["village", "status", "-created_at"], name="topic_village_status"),
            models.Index(fields=["village", "author"], name="topic_village_author"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="topic_title_not_empty"),
            models.CheckConstraint(
                condition=~Q(duplicate_of=models.F("pk")), name="topic_not_own_duplicate"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("talks:detail", kwargs={"village_slug": self.village.slug, "pk": self.pk})

    @property
    def average_rating(self):
        if not self.rating_count:
            return None
        return round(self.rating_sum / self.rating_count, 1)


class CategoryDeadline(models.Model):
    """A village's own deadlines for one category of matters (calendar days)."""

    village = village_key()
    category = models.CharField(_("category"), max_length=20, choices=Topic.Category.choices)
    reply_days = models.PositiveSmallIntegerField(
        _("days to reply"), validators=[MinValueValidator(1), MaxValueValidator(REPLY_DAYS_MAX)]
    )
    handle_days = models.PositiveSmallIntegerField(
        _("days to handle"),
        validators=[MinValueValidator(1), MaxValueValidator(HANDLE_DAYS_MAX)],
    )

    class Meta:
        verbose_name = _("deadline of a category")
        verbose_name_plural = _("deadlines of categories")
        constraints = [
            models.UniqueConstraint(
                fields=["village", "category"], name="deadline_one_per_category"
            ),
            models.CheckConstraint(
                condition=Q(reply_days__gte=1, reply_days__lte=REPLY_DAYS_MAX),
                name="deadline_reply_days_bounded",
            ),
            models.CheckConstraint(
                condition=Q(handle_days__gte=1, handle_days__lte=HANDLE_DAYS_MAX),
                name="deadline_handle_days_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.village} · {self.get_category_display()}"


def _photo_path(instance, filename):
    """Kept for the early migrations; photos are filed by villageaffairs.models.CleanPhoto."""
    return f"talks/{instance.village_id}/{timezone.now():%Y/%m}/{filename}"


class Photo(CleanPhoto):
    """A cleaned photo (villageaffairs.images) of a topic or of a progress note."""

    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="photos"
    )
    progress = models.ForeignKey(
        "ProgressNote",
        verbose_name=_("progress note"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    follow_up = models.ForeignKey(
        "FollowUp",
        verbose_name=_("follow-up"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )

    class Meta(CleanPhoto.Meta):
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        indexes = [models.Index(fields=["village", "topic"], name="talkphoto_village_topic")]


class Reply(models.Model):
    """An official reply by the secretary or a cadre, shown apart from the comments."""

    village = village_key()
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField(pgettext_lazy("job title", "role"), max_length=20, blank=True)
    text = models.TextField(_("reply"), max_length=TEXT_MAX)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("official reply")
        verbose_name_plural = _("official replies")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["village", "topic"], name="reply_village_topic")]

    def __str__(self):
        return self.text[:60]


class Comment(models.Model):
    village = village_key()
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="comments"
    )
    # One level of replies: a reply's parent is always a top-level comment (see services).
    parent = models.ForeignKey(
        "self",
        verbose_name=_("in reply to"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("comment"), max_length=COMMENT_MAX)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    support_count = models.PositiveIntegerField(_("support"), default=0)
    report_count = models.PositiveIntegerField(_("reports"), default=0)
    # Reports a cadre has looked at and kept the comment for; more reports bring it back.
    reports_kept = models.PositiveIntegerField(_("reports reviewed"), default=0)
    hidden_at = models.DateTimeField(_("hidden"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hidden by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    hidden_reason = models.CharField(_("reason for hiding"), max_length=REASON_MAX, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["village", "topic", "parent", "created_at"], name="comment_thread"
            ),
            models.Index(fields=["village", "report_count"], name="comment_reports"),
            # A page of a topic's comments (replies come by their parent) and their count, in
            # order, without reading the topic's other comments.
            models.Index(
                fields=["village", "topic", "created_at", "id"],
                name="comment_page",
                condition=Q(parent__isnull=True),
            ),
        ]

    def __str__(self):
        return self.text[:60]

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Support(models.Model):
    """One person's support of a topic or of a comment (one each, enforced by the database)."""

    village = village_key()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="supports"
    )
    comment = models.ForeignKey(
        Comment,
        verbose_name=_("comment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="supports",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("support")
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "user"],
                condition=Q(comment__isnull=True),
                name="support_one_per_topic",
            ),
            models.UniqueConstraint(fields=["comment", "user"], name="support_one_per_comment"),
        ]
        indexes = [models.Index(fields=["village", "topic", "user"], name="support_lookup")]

    def __str__(self):
        return f"{self.user} · {self.topic_id}"


class AbuseReport(models.Model):
    village = village_key()
    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=REASON_MAX, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("abuse report")
        verbose_name_plural = _("abuse reports")
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="report_one_per_person")
        ]

    def __str__(self):
        return f"{self.reporter} · {self.comment_id}"


class Vote(models.Model):
    class Electorate(models.TextChoices):
        RESIDENTS = "residents", _("every adult resident on the register")
        HOUSEHOLDS = "households", _("one vote per household")

    class Quorum(models.TextChoices):
        NONE = "none", _("no quorum")
        HALF = "half", _("more than half of the electorate")
        TWO_THIRDS_HOUSEHOLDS = "households_2_3", _("two thirds of households")

    class Threshold(models.TextChoices):
        MAJORITY = "majority", _("a majority of ballots cast")
        TWO_THIRDS = "two_thirds", _("two thirds of ballots cast")

    class Adoption(models.TextChoices):
        NONE = "", _("nothing")
        NEW_RULE = "new_rule", _("a new village rule")
        CHANGE_RULE = "change_rule", _("a change to a village rule")

    village = village_key()
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="votes"
    )
    question = models.CharField(pgettext_lazy("vote", "question"), max_length=300)
    # Option 0 is the one that passes ("for"); the rest are against / abstain or alternatives.
    options = models.JSONField(_("options"), default=list)
    electorate = models.CharField(
        _("electorate"), max_length=12, choices=Electorate.choices, default=Electorate.RESIDENTS
    )
    quorum = models.CharField(
        _("quorum"), max_length=16, choices=Quorum.choices, default=Quorum.HALF
    )
    threshold = models.CharField(
        _("pass threshold"), max_length=12, choices=Threshold.choices, default=Threshold.MAJORITY
    )
    secret = models.BooleanField(_("secret ballot"), default=False)
    live_results = models.BooleanField(_("results shown while open"), default=True)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    # Snapshot of the electorate when the vote was opened (quorum is measured against it).
    electorate_size = models.PositiveIntegerField(_("electorate size"), default=0)
    household_count = models.PositiveIntegerField(pgettext_lazy("count", "households"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Rule adoption: what a passed vote changes in the village rules (points app, by id only).
    adoption = models.CharField(
        _("adopts"), max_length=12, choices=Adoption.choices, default="", blank=True
    )
    adoption_rule_id = models.PositiveIntegerField(_("rule"), null=True, blank=True)
    adoption_data = models.JSONField(_("rule text"), default=dict, blank=True)
    adopted_at = models.DateTimeField(_("adopted"), null=True, blank=True)
    # Why a passed vote's change could not be written into the rules (the rule was deleted, or
    # the change breaks a rule's bounds): the vote stays closed and passed, and is not retried.
    adoption_error = models.CharField(_("adoption failed"), max_length=300, blank=True)
    # Result, written once by the closer that wins the conditional UPDATE on closed_at.
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=list, blank=True)
    ballots_cast = models.PositiveIntegerField(_("ballots cast"), default=0)
    households_voted = models.PositiveIntegerField(_("households voted"), default=0)
    quorum_met = models.BooleanField(_("quorum met"), null=True)
    passed = models.BooleanField(_("passed"), null=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["-opens_at", "-pk"]
        indexes = [
            # The beat job's query: open votes whose time is up.
            models.Index(
                fields=["closes_at"], condition=Q(closed_at__isnull=True), name="vote_due"
            ),
            models.Index(fields=["village", "topic"], name="vote_village_topic"),
            models.Index(fields=["village", "-closed_at"], name="vote_village_closed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="vote_closes_after_opening"
            ),
        ]

    def __str__(self):
        return self.question

    def clean(self):
        """What the admin's JSON fields may hold: the same as the vote form allows."""
        super().clean()
        options = self.options
        if not (
            isinstance(options, list)
            and 2 <= len(options) <= 20
            and all(isinstance(o, str) and o.strip() and len(o) <= 60 for o in options)
            and len(set(options)) == len(options)
        ):
            raise ValidationError({"options": _("Give at least two different options.")})
        points = (
            (self.adoption_data or {}).get("points", 0)
            if isinstance(self.adoption_data, dict)
            else None
        )
        if points is None or type(points) is not int or abs(points) > bounds.RULE_POINTS:
            raise ValidationError(
                {
                    "adoption_data": _("A rule carries between -%(max)s and %(max)s points.")
                    % {"max": bounds.RULE_POINTS}
                }
            )

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def is_open_at(self, when) -> bool:
        return self.closed_at is None and self.opens_at <= when < self.closes_at

    @property
    def is_open(self) -> bool:
        return self.is_open_at(timezone.now())


class RollEntry(models.Model):
    """One person on a vote's electoral roll, written when the vote is opened. Casting checks
    the roll only. A correction while the vote is open adds a person or removes one who has
    not voted (``removed_at``); the row stays, so the correction can be read back."""

    village = village_key()
    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="roll"
    )
    resident = models.ForeignKey(
        "villageaffairs.Resident",
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    household = models.ForeignKey(
        "villageaffairs.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The name as on the register when the roll was written (the roll is published as names).
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    added_at = models.DateTimeField(_("added"), default=timezone.now)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("roll entry")
        verbose_name_plural = _("electoral roll")
        constraints = [
            models.UniqueConstraint(fields=["vote", "resident"], name="roll_one_per_resident"),
        ]
        indexes = [models.Index(fields=["village", "vote", "name"], name="roll_village_vote")]

    def __str__(self):
        return self.name


class Entrustment(models.Model):
    """Written entrustment (委托投票) for one vote: a person on the roll entrusts a close
    relative (近亲属) on the same roll to cast their ballot. Made in the app by the person, or
    recorded by a cadre with a photo of the signed paper. A proxy carries at most
    ``MAX_PER_PROXY``; it can be withdrawn until the proxy has voted (``withdrawn_at``; the row
    stays). Published to members as names, never with a choice."""

    MAX_PER_PROXY = 3

    class Relation(models.TextChoices):
        # What the proxy is to the person who entrusts (Civil Code art. 1045: 近亲属).
        SPOUSE = "spouse", _("spouse")
        PARENT = "parent", _("father or mother")
        CHILD = "child", _("son or daughter")
        SIBLING = "sibling", _("brother or sister")
        GRANDPARENT = "grandparent", _("grandparent")
        GRANDCHILD = "grandchild", _("grandchild")

    village = village_key()
    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="entrustments"
    )
    entry = models.ForeignKey(
        RollEntry,
        verbose_name=_("entrusted by"),
        on_delete=models.CASCADE,
        related_name="entrustments",
    )
    proxy = models.ForeignKey(
        RollEntry, verbose_name=_("proxy"), on_delete=models.CASCADE, related_name="carries"
    )
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices)
    # Set when a cadre recorded a signed paper; None when the person entrusted in the app.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paper = models.ImageField(_("signed paper"), upload_to=private_photo_path, blank=True)
    made_at = models.DateTimeField(_("made"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("entrustment")
        verbose_name_plural = _("entrustments")
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(withdrawn_at__isnull=True),
                name="entrustment_one_active",
            ),
            models.CheckConstraint(
                condition=~Q(entry=models.F("proxy")), name="entrustment_not_self"
            ),
        ]
        indexes = [models.Index(fields=["village", "vote"], name="entrustment_village_vote")]

    def __str__(self):
        return f"{self.entry} → {self.proxy}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class Participation(models.Model):
    """That a person on the roll voted, never what they chose. One per roll entry, enforced by
    the unique ``entry``, written in the same transaction as the (anonymous) ballot. Only the
    day is kept: a time would line up with nothing, but the day is all anyone needs."""

    village = village_key()
    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="participations"
    )
    entry = models.OneToOneField(
        RollEntry, verbose_name=_("roll entry"), on_delete=models.CASCADE, related_name="voted"
    )
    # Who cast it when the person did not: the proxy's entrustment, or, at the office, the
    # cadre who confirmed the person's identity and the helper the person chose (if any).
    # Never the choice.
    entrustment = models.OneToOneField(
        Entrustment,
        verbose_name=_("entrustment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="used",
    )
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("identity confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    helper = models.ForeignKey(
        "villageaffairs.Resident",
        verbose_name=_("helper"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    voted_on = models.DateField(_("voted on"))

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participation")
        indexes = [models.Index(fields=["village", "vote"], name="participation_village_vote")]

    def __str__(self):
        return f"{self.vote_id} · {self.entry_id}"


class SecretBallot(models.Model):
    """A secret vote's ballot: the choice and nothing else. A random key (no sequence orders
    the ballots), no time, nothing that points at a person or a receipt."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    village = village_key()
    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="secret_ballots"
    )
    choice = models.PositiveSmallIntegerField(_("choice"))

    class Meta:
        verbose_name = _("secret ballot")
        verbose_name_plural = _("secret ballots")
        indexes = [models.Index(fields=["vote", "choice"], name="secretballot_vote_choice")]

    def __str__(self):
        return str(self.vote_id)


class Receipt(models.Model):
    """A receipt code of a secret vote: proves that a ballot was counted, never which. Shown
    once to the voter, stored against no one, published sorted when the vote closes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    village = village_key()
    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="receipts"
    )
    code = models.CharField(_("receipt code"), max_length=8)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(fields=["vote", "code"], name="receipt_unique_code"),
        ]

    def __str__(self):
        return self.code


class Ballot(models.Model):
    """One ballot of an open (not secret) vote. ``voter_key`` is "u<user id>" or
    "h<household id>" (per the vote's electorate), so one unique constraint enforces one ballot
    per voter or per household."""

    village = village_key()
    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="ballots"
    )
    # The voter's account; None for a person on the roll without one (entrusted, or at the
    # office). ``entry`` names them either way (older ballots predate the roll).
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entry = models.ForeignKey(
        RollEntry,
        verbose_name=_("roll entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    household = models.ForeignKey(
        "villageaffairs.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Assisted entry: the cadre who cast it by proxy, if any.
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cast by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    voter_key = models.CharField(_("voter key"), max_length=24)
    choice = models.PositiveSmallIntegerField(_("choice"))
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["vote", "voter_key"], name="ballot_one_per_voter"),
        ]
        indexes = [models.Index(fields=["vote", "choice"], name="ballot_vote_choice")]

    def __str__(self):
        return f"{self.vote_id} · {self.voter_key}"

    @property
    def option_label(self) -> str:
        options = self.vote.options
        return options[self.choice] if self.choice < len(options) else str(self.choice)


class Task(models.Model):
    """A piece of handling work on a topic, assigned to one or more cadres."""

    village = village_key()
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(_("task"), max_length=200)
    due_date = models.DateField(_("due"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("assigned"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["village", "topic"], name="task_village_topic")]

    def __str__(self):
        return self.title


class TaskAssignment(models.Model):
    village = village_key()
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("assignee")
        verbose_name_plural = _("assignees")
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="task_assignee_once")]
        indexes = [models.Index(fields=["village", "user"], name="assignment_village_user")]

    def __str__(self):
        return f"{self.task} · {self.user}"


class ProgressNote(models.Model):
    village = village_key()
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("progress"), max_length=TEXT_MAX)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.text[:60]


class Rating(models.Model):
    village = village_key()
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="ratings"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    stars = models.PositiveSmallIntegerField(_("stars"))
    comment = models.CharField(_("comment"), max_length=COMMENT_MAX, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    # Ratings of a reopened matter are kept but not counted until it is handled again.
    set_aside = models.BooleanField(_("set aside"), default=False)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "user"], name="rating_one_per_person"),
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="rating_stars_1_to_5"
            ),
        ]
        indexes = [models.Index(fields=["village", "topic"], name="rating_village_topic")]

    def __str__(self):
        return f"{self.topic_id} · {self.stars}"


class Event(models.Model):
    """The public timeline of a topic: who did what, when. Append-only."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("raised the matter")
        REPLIED = "replied", _("replied officially")
        COMMENTED = "commented", _("commented")
        HIDDEN = "hidden", _("hid a comment")
        SUPPORTED = "supported", _("supported")
        VOTE_OPENED = "vote_opened", _("opened a vote")
        VOTE_CLOSED = "vote_closed", _("vote closed")
        RULE_ADOPTED = "rule_adopted", _("rule adopted")
        TASK_ASSIGNED = "task_assigned", _("assigned a task")
        PROGRESS = "progress", _("reported progress")
        TASK_DONE = "task_done", _("finished a task")
        HANDLED = "handled", _("marked as handled")
        RATED = "rated", _("rated the handling")
        CLOSED = "closed", _("closed the matter")
        DECLINED = "declined", _("declined the matter")
        WITHDRAWN = "withdrawn", _("withdrew the matter")
        MERGED = "merged", _("merged as a duplicate")
        VOTE_ANNOUNCED = "vote_announced", _("announced a vote")
        ROLL_CORRECTED = "roll_corrected", _("corrected the electoral roll")
        ESCALATED = "escalated", _("escalated the matter")
        TAKEN_OVER = "taken_over", _("took over the matter")
        FOLLOW_UP = "follow_up", _("asked whether it is fixed")
        FIXED = "fixed", _("confirmed it is fixed")
        REOPENED = "reopened", _("reopened: not fixed")

    village = village_key()
    # Indexed with the id below: the topic page's version reads a topic's last event.
    topic = models.ForeignKey(
        Topic,
        verbose_name=_("topic"),
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    detail = models.CharField(_("detail"), max_length=REASON_MAX, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    # A step of the matter: anything but the many comments and supports (kept by the database).
    # Indexed with the topic and the id: the topic page's frame is keyed by the last step,
    # found at once however many comments came after it.
    step = models.GeneratedField(
        expression=Case(
            When(kind__in=[Kind.COMMENTED, Kind.SUPPORTED], then=Value(False)),
            default=Value(True),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["village", "topic", "created_at"], name="event_topic_time"),
            models.Index(fields=["topic", "id"], name="event_topic_last"),
            models.Index(fields=["topic", "step", "id"], name="event_topic_step"),
        ]

    def __str__(self):
        return f"{self.topic_id} · {self.kind}"


class Notification(models.Model):
    """An in-app inbox message; the important kinds also go out by SMS."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("official reply")
        COMMENT = "comment", _("new comment")
        VOTE_OPENED = "vote_opened", _("vote opened")
        VOTE_CLOSED = "vote_closed", _("vote result")
        VOTE_NOTICE = "vote_notice", _("notice of a vote")
        ENTRUSTED = "entrusted", _("ballot entrusted to you")
        TASK_ASSIGNED = "task_assigned", _("task assigned")
        STATUS = "status", _("status changed")
        HIDDEN = "hidden", _("comment hidden")
        ASSISTED = "assisted", _("entered on your behalf")
        DISPUTED = "disputed", _("assisted entry disputed")
        ESCALATED = "escalated", _("matter escalated")
        FOLLOW_UP = "follow_up", _("is it fixed?")
        REOPENED = "reopened", _("matter reopened")

    SMS_KINDS = frozenset(
        {Kind.REPLY, Kind.VOTE_OPENED, Kind.TASK_ASSIGNED, Kind.ESCALATED, Kind.FOLLOW_UP}
    )

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="talk_notifications",
    )
    village = models.ForeignKey(
        "villageaffairs.Village",
        verbose_name=_("village"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # The SMS is claimed (with a lease) before it is sent and marked sent after: at least once.
    sms_claimed_at = models.DateTimeField(_("SMS claimed"), null=True, blank=True)
    sms_sent_at = models.DateTimeField(_("SMS sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(fields=["user", "village", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self):
        return self.text[:60]


class FollowUp(models.Model):
    """ "Still not fixed?": a handled matter's author is asked ``ask_at`` (the village's delay
    after the handling) whether it is fixed, and answers once before ``expires_at``."""

    village = village_key()
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    ask_at = models.DateTimeField(_("to ask"))
    asked_at = models.DateTimeField(_("asked"), null=True, blank=True)
    expires_at = models.DateTimeField(_("answer by"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    fixed = models.BooleanField(_("fixed"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=REASON_MAX, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["ask_at", "pk"]
        indexes = [
            models.Index(
                fields=["ask_at"], condition=Q(asked_at__isnull=True), name="followup_to_ask"
            ),
            models.Index(fields=["village", "topic"], name="followup_village_topic"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(fixed__isnull=False),
                name="followup_answer_says_fixed",
            ),
        ]

    def __str__(self):
        return f"{self.topic_id} · {self.ask_at:%Y-%m-%d}"

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.asked_at is not None
            and self.answered_at is None
            and self.expires_at is not None
            and now < self.expires_at
        )
