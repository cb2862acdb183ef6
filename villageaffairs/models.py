"""Core models: regions, villages, households, residents, users, roles and the audit trail."""

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from villageaffairs.media import private_photo_path


class User(AbstractUser):
    """A person who signs in. Villagers usually have only a phone number."""

    phone = models.CharField(_("phone"), max_length=20, unique=True, null=True, blank=True)
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_operator(self) -> bool:
        return self.is_superuser

    def clean(self):
        super().clean()
        self.phone = clean_phone_field(self.phone) or None


def clean_phone_field(value: str | None) -> str:
    """A phone field's value in E.164 form ('' when empty); a field error when it is no number."""
    from django.core.exceptions import ValidationError

    from villageaffairs.phones import normalize_phone

    if not value:
        return ""
    try:
        return normalize_phone(value)
    except ValidationError as error:
        raise ValidationError({"phone": error}) from error


division_code_validator = RegexValidator(
    r"^\d{12}$", _("A division code is 12 digits."), code="division_code"
)


class Region(models.Model):
    """Province, city, county or town; each region's parent is the level above."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        COUNTY = "county", _("county")
        TOWN = "town", _("town")

    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    # The official 12-digit statistical division code (统计用区划代码): the key for imports.
    code = models.CharField(
        _("division code"),
        max_length=12,
        unique=True,
        null=True,
        blank=True,
        validators=[division_code_validator],
        help_text=_("The official 12-digit statistical division code (统计用区划代码)."),
    )
    # The region's address in /r/<slug>/ (its dashboard): pinyin of the name, unique.
    slug = models.SlugField(_("slug"), max_length=60, unique=True, null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="region_unique_name_in_parent")
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            from villageaffairs.divisions import unique_region_slug

            self.slug = unique_region_slug(self.name, self.name_en, exclude_pk=self.pk)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "slug"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("region_home", kwargs={"region_slug": self.slug})

    def clean(self):
        super().clean()
        from villageaffairs.divisions import hierarchy_problem

        problem = hierarchy_problem(
            level=self.level,
            code=self.code or "",
            parent_level=self.parent.level if self.parent_id else None,
            parent_code=(self.parent.code or "") if self.parent_id else "",
        )
        if problem:
            raise ValidationError({"parent": problem})
        if self.pk and self.parent_id and self.pk in {r.pk for r in self.parent.path()}:
            raise ValidationError({"parent": _("A region cannot lie inside itself.")})

    def path(self) -> list["Region"]:
        """From the province down to this region."""
        chain, node, seen = [], self, set()
        while node is not None and node.pk not in seen:  # a cycle edited into the admin ends
            seen.add(node.pk)
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


def village_key(related_name: str = "+", **kwargs) -> models.ForeignKey:
    """The village a row belongs to: every village-scoped model of every app has one, and the
    tenancy checks and the scoped admin filter on it."""
    return models.ForeignKey(
        "villageaffairs.Village",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name=related_name,
        **kwargs,
    )


def photo_path(instance, filename):
    return f"{instance._meta.app_label}/{instance.village_id}/{timezone.now():%Y/%m}/{filename}"


class CleanPhoto(models.Model):
    """Abstract: a photo cleaned by ``villageaffairs.images.clean_image`` (re-encoded without
    metadata, randomly named) and its thumbnail, filed under ``<app>/<village>/<yyyy>/<mm>/``."""

    village = village_key()
    image = models.ImageField(
        _("photo"), upload_to=photo_path, width_field="width", height_field="height"
    )
    thumbnail = models.ImageField(_("thumbnail"), upload_to=photo_path)
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["pk"]

    def __str__(self):
        return self.image.name


class Village(models.Model):
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    region = models.ForeignKey(
        Region, verbose_name=_("town"), on_delete=models.PROTECT, related_name="villages"
    )
    code = models.CharField(
        _("division code"),
        max_length=12,
        unique=True,
        null=True,
        blank=True,
        validators=[division_code_validator],
        help_text=_("The official 12-digit statistical division code (统计用区划代码)."),
    )
    # Denormalised text of the region path so the directory search is one indexed query.
    region_path = models.CharField(_("region"), max_length=255, blank=True, editable=False)
    introduction = models.TextField(_("introduction"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("village_home", kwargs={"village_slug": self.slug})

    def clean(self):
        super().clean()
        from villageaffairs.divisions import hierarchy_problem

        if self.region_id:
            problem = hierarchy_problem(
                level="village",
                code=self.code or "",
                parent_level=self.region.level,
                parent_code=self.region.code or "",
            )
            if problem:
                raise ValidationError({"region": problem})


def new_household_code() -> str:
    # 12 URL-safe characters, 72 bits: a sign's code cannot be guessed or enumerated.
    return secrets.token_urlsafe(9)


class Household(models.Model):
    village = models.ForeignKey(
        Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="households"
    )
    code = models.CharField(
        _("sign code"), max_length=24, unique=True, default=new_household_code, editable=False
    )
    house_number = models.CharField(_("house number"), max_length=20)
    villager_group = models.CharField(_("villager group"), max_length=30, blank=True)
    head = models.ForeignKey(
        "Resident",
        verbose_name=_("head of household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The member the head names to vote for the household (one vote per household); the head
    # when empty.
    representative = models.ForeignKey(
        "Resident",
        verbose_name=_("votes for the household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The head's name, kept with the household so lists and signs need no join.
    name = models.CharField(_("household name"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["village", "house_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "house_number"], name="household_unique_house_number"
            )
        ]
        indexes = [models.Index(fields=["village", "name"], name="household_village_name")]

    def __str__(self):
        return self.name or self.house_number

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("household_public", kwargs={"code": self.code})


class Relation(models.TextChoices):
    """A resident's relation to the head of household, as the register (户籍) writes it."""

    HEAD = "head", pgettext_lazy("relation to the head", "head")
    SPOUSE = "spouse", pgettext_lazy("relation to the head", "spouse")
    SON = "son", pgettext_lazy("relation to the head", "son")
    DAUGHTER = "daughter", pgettext_lazy("relation to the head", "daughter")
    PARENT = "parent", pgettext_lazy("relation to the head", "parent")
    GRANDCHILD = "grandchild", pgettext_lazy("relation to the head", "grandchild")
    SIBLING = "sibling", pgettext_lazy("relation to the head", "brother or sister")
    DAUGHTER_IN_LAW = "daughter_in_law", pgettext_lazy("relation to the head", "daughter-in-law")
    SON_IN_LAW = "son_in_law", pgettext_lazy("relation to the head", "son-in-law")
    OTHER = "other", pgettext_lazy("relation to the head", "other")


class Sex(models.TextChoices):
    MALE = "m", pgettext_lazy("sex", "male")
    FEMALE = "f", pgettext_lazy("sex", "female")


class Resident(models.Model):
    village = models.ForeignKey(
        Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="residents"
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.CASCADE,
        related_name="residents",
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Families share a number; it signs in as the one resident whose own number it is.
    phone_owner = models.BooleanField(
        _("own number"),
        default=False,
        help_text=_(
            "This number is this resident's own: signing in with it links to this resident. "
            "At most one resident owns a number."
        ),
    )
    year_of_birth = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    # The exact date when the register has it: who turns 18 on a vote's opening date.
    born_on = models.DateField(_("date of birth"), null=True, blank=True)
    # Set from the household register (户籍): only residents registered here are on a roll.
    relation = models.CharField(
        _("relation to the head"), max_length=20, choices=Relation.choices, blank=True
    )
    sex = models.CharField(
        pgettext_lazy("person", "sex"), max_length=1, choices=Sex.choices, blank=True
    )
    registered = models.BooleanField(
        _("registered in the village"),
        default=True,
        help_text=_("On the village's household register; only registered residents vote."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident",
    )

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["household", "name"]
        indexes = [
            models.Index(fields=["village", "phone"], name="resident_village_phone"),
            models.Index(fields=["phone"], name="resident_phone"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(phone_owner=True),
                name="resident_one_owner_per_phone",
                violation_error_message=_("Another resident already owns this number."),
            ),
            models.CheckConstraint(
                condition=Q(phone_owner=False) | ~Q(phone=""),
                name="resident_owner_has_phone",
                violation_error_message=_("Only a resident with a number can own it."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        self.phone = clean_phone_field(self.phone)

    @property
    def is_head(self) -> bool:
        return self.household.head_id == self.pk


class Role(models.TextChoices):
    VILLAGER = "villager", _("villager")
    CADRE = "cadre", _("cadre")
    SECRETARY = "secretary", _("party branch secretary")
    ACCOUNTANT = "accountant", _("accountant")
    FINANCE_GROUP = "finance_group", _("finance group member")
    # 村务监督委员会: checks the village's affairs, and may recount a secret vote's ballots.
    SUPERVISOR = "supervisor", _("supervisory committee member")
    # 网格员: visits the households of a grid and enters what a villager asks for on their behalf.
    GRID_WORKER = "grid_worker", _("grid worker")


class RoleAssignment(models.Model):
    """A user's role in a village. Bank branch roles live in the loans app."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="village_roles",
    )
    village = models.ForeignKey(
        Village, verbose_name=_("village"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "village", "role"], name="role_unique")
        ]
        indexes = [models.Index(fields=["village", "role"], name="role_village_role")]

    def __str__(self):
        return f"{self.user} · {self.village} · {self.get_role_display()}"


class RegionOfficial(models.Model):
    """A township or county official (乡镇/县级干部), scoped to a region and everything under it.

    Officials see the cadre pages of the villages under their region read-only and act only on
    matters escalated to their region (``villageaffairs.regions``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="region_roles",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="officials"
    )
    title = models.CharField(pgettext_lazy("official position", "title"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("region official")
        verbose_name_plural = _("region officials")
        constraints = [
            models.UniqueConstraint(fields=["user", "region"], name="region_official_once")
        ]

    def __str__(self):
        return f"{self.user} · {self.region}"


class AuditEntry(models.Model):
    """Who changed what, when: append-only, written by services and the admin."""

    village = models.ForeignKey(
        Village,
        verbose_name=_("village"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Assisted entry: a cadre acting for a villager records both.
    acted_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acted for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["village", "-created_at"], name="audit_village_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(action=""), name="audit_action_not_empty")
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"


class AssistedAct(models.Model):
    """Something a cadre or a grid worker entered for a resident (who may have no account):
    who acted, for whom, with the villager's agreement (a photo of their signature, or a named
    witness), and any dispute of it. The thing itself (topic, claim, consent) lives in its app
    and points here; ``kind`` names it (``talks.topic``), and ``villageaffairs.assist`` asks the
    app what a dispute does to it."""

    village = village_key()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The actor's role when they acted: the pages say "grid worker" or "cadre".
    actor_role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("acted for"),
        on_delete=models.PROTECT,
        related_name="assisted_acts",
    )
    kind = models.CharField(_("kind"), max_length=30)
    summary = models.CharField(_("what was done"), max_length=300)
    url = models.CharField(_("link"), max_length=200, blank=True)
    signature = models.ImageField(_("signature photo"), upload_to=private_photo_path, blank=True)
    witness = models.CharField(_("witness"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    disputed_at = models.DateTimeField(_("disputed"), null=True, blank=True)
    dispute_reason = models.CharField(_("reason for the dispute"), max_length=300, blank=True)
    # The villager themself (from the inbox) or the cadre who wrote down a dispute in person.
    disputed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispute recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("assisted act")
        verbose_name_plural = _("assisted acts")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["village", "-created_at"], name="assisted_village_time"),
            models.Index(fields=["resident", "-created_at"], name="assisted_resident_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(signature="") | ~Q(witness=""), name="assisted_has_evidence"
            ),
            models.CheckConstraint(
                condition=Q(disputed_at__isnull=True) | ~Q(dispute_reason=""),
                name="assisted_dispute_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.resident} · {self.summary[:60]}"

    @property
    def by_grid_worker(self) -> bool:
        return self.actor_role == Role.GRID_WORKER


class Outbox(models.Model):
    """Work that must follow a commit, written in the same transaction as the change.

    The enqueue after the commit is best effort; the beat sweep runs what is still pending
    (``villageaffairs.outbox``). One row per dedupe ``key``: asking again re-arms the row.
    """

    task = models.CharField(_("task name"), max_length=100)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    key = models.CharField(_("dedupe key"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Bumped each time the work is asked for again; a run marks the row done only if no new
    # request came in while it ran.
    version = models.PositiveIntegerField(_("version"), default=1)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When the row may next be run: the requested time, then the lease of a running attempt,
    # then the back-off after a failure.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox")
        ordering = ["next_attempt_at", "pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(done_at__isnull=True),
                name="outbox_pending",
            )
        ]

    def __str__(self):
        return self.key


class Heartbeat(models.Model):
    """The last time a periodic process showed it was alive (the beat sweep writes ``beat``)."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"


class JoinRequest(models.Model):
    """An account asking to be a resident already on the register (issue 13). It never makes a
    resident: it names one of the household's, by name and birth date, who has no account, and
    waits for a cadre or the household's head to confirm (``villageaffairs.joining``)."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("join request state", "waiting")
        CONFIRMED = "confirmed", pgettext_lazy("join request state", "confirmed")
        REFUSED = "refused", pgettext_lazy("join request state", "refused")
        WITHDRAWN = "withdrawn", pgettext_lazy("join request state", "withdrawn")

    village = village_key(related_name="join_requests")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="join_requests",
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="+"
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident claimed"),
        on_delete=models.CASCADE,
        related_name="join_requests",
    )
    # As the person typed them, for the cadre to compare with the register.
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    born_on = models.DateField(_("date of birth"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["village", "created_at"],
                condition=Q(state="pending"),
                name="joinrequest_pending",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(state="pending"),
                name="joinrequest_one_pending_per_user",
                violation_error_message=_("You already have a request waiting."),
            ),
            models.CheckConstraint(
                condition=~Q(state="refused") | ~Q(reason=""),
                name="joinrequest_refusal_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.name} · {self.get_state_display()}"


# --- daily statistics (villageaffairs.stats) ------------------------------------------------------

# Bucket edges in hours of the reply-time and handling-time histograms: [0, 1), [1, 2), [2, 4),
# … doubling, and the last bucket open ended (1,024 hours and more, about six weeks). Buckets of
# many days and villages merge by summing, so a median over any period is exact to one bucket.
STATS_BUCKET_EDGES_HOURS = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
STATS_BUCKETS = len(STATS_BUCKET_EDGES_HOURS)


# The figure columns, all counts or sums (so rows of many days and villages add up):
STATS_COLUMNS = (
    # talks, keyed on the day of the event counted
    "topics_raised",
    "replied",  # first official replies (and reply_b<i>: their reply-time buckets)
    "handled",  # first handlings (and handle_b<i>: their handling-time buckets)
    "handled_in_time",
    "rating_sum",  # counted ratings only (not set aside)
    "rating_count",
    "handled_events",
    "reopened_events",
    # publicity, keyed on the month's due day (the 10th of the month after)
    "months_on_time",
    "months_late",
    "months_missing",
    # points: households active that day for the first time in its month, quarter and year,
    # so the distinct households of a calendar month, quarter or year are a plain sum
    "active_new_month",
    "active_new_quarter",
    "active_new_year",
    "claims_decided",
    "claims_decided_in_time",
    # participation, keyed on the day a vote closed
    "votes_closed",
    "vote_participations",
    "vote_roll",
    *(f"reply_b{i}" for i in range(STATS_BUCKETS)),
    *(f"handle_b{i}" for i in range(STATS_BUCKETS)),
)


class DailyStats(models.Model):
    """One village's figures of one day (Asia/Shanghai), written by ``villageaffairs.stats``
    from what each app contributes (``<app>/stats.py``): the columns of STATS_COLUMNS (added
    below). Days with nothing are not stored."""

    village = village_key()
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("daily statistics")
        verbose_name_plural = _("daily statistics")
        constraints = [
            models.UniqueConstraint(fields=["village", "day"], name="dailystats_village_day")
        ]

    def __str__(self):
        return f"{self.village_id} · {self.day}"


class MonthlyStats(models.Model):
    """The sums of a village's DailyStats rows of one calendar month (``month`` is its 1st),
    rewritten with them. The dashboards' periods (this month, quarter, year) and their trend
    are whole calendar months, so they read these: 12 rows a village instead of 365."""

    village = village_key()
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("monthly statistics")
        verbose_name_plural = _("monthly statistics")
        constraints = [
            models.UniqueConstraint(fields=["village", "month"], name="monthlystats_village_month")
        ]

    def __str__(self):
        return f"{self.village_id} · {self.month}"


for _name in STATS_COLUMNS:
    DailyStats.add_to_class(_name, models.PositiveIntegerField(default=0))
    MonthlyStats.add_to_class(_name, models.PositiveIntegerField(default=0))


class StatsDirty(models.Model):
    """A (village, day) whose figures changed after the day was aggregated (a reopened matter,
    accounts published late): the next aggregation run recomputes that day."""

    village = village_key()
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("day to re-aggregate")
        verbose_name_plural = _("days to re-aggregate")

    def __str__(self):
        return f"{self.village_id} · {self.day}"


# Roles a cadre invitation may give: every village role but the plain villager's (villagers
# join by the register or a join request).
INVITABLE_ROLES = [role for role in Role.values if role != Role.VILLAGER]


class CadreInvitation(models.Model):
    """A region official or an operator invites a cadre of a village by mobile number and role.

    The invitation is accepted when that number signs in by SMS code (``villageaffairs.
    officials.invitations_accept``): the account gets the role. Expired or revoked ones do
    nothing. At most one open invitation per number and village.
    """

    village = village_key(related_name="cadre_invitations")
    phone = models.CharField(_("mobile number"), max_length=20)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The text telling the number of the invitation (villageaffairs.officials.invitation_sms).
    sms_sent_at = models.DateTimeField(_("text sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cadre invitation")
        verbose_name_plural = _("cadre invitations")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["village", "created_at"], name="invitation_village"),
            models.Index(
                fields=["phone"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_open_phone",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "phone"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open",
                violation_error_message=_("This number already has an open invitation."),
            ),
            models.CheckConstraint(
                condition=Q(role__in=INVITABLE_ROLES), name="invitation_cadre_role"
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
        ]

    def __str__(self):
        return f"{self.village} · {self.phone} · {self.get_role_display()}"

    def state(self, now=None) -> str:
        now = now or timezone.now()
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= now else "open"

    STATE_LABELS = {
        "open": pgettext_lazy("invitation state", "open"),
        "accepted": pgettext_lazy("invitation state", "accepted"),
        "revoked": pgettext_lazy("invitation state", "revoked"),
        "expired": pgettext_lazy("invitation state", "expired"),
    }

    @property
    def state_label(self):
        return self.STATE_LABELS[self.state()]
