"""Point loans: banks, branches and their staff, versioned rate policies, consent, lookups and
loan applications."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from loans import rates
from villageaffairs import bounds
from villageaffairs.bounds import between
from villageaffairs.models import village_key


class Bank(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank")
        verbose_name_plural = _("banks")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Branch(models.Model):
    """A branch of a bank; it lends in the villages it serves."""

    bank = models.ForeignKey(
        Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="branches"
    )
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    villages = models.ManyToManyField(
        "villageaffairs.Village",
        verbose_name=_("villages served"),
        blank=True,
        related_name="bank_branches",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["bank", "name"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "name"], name="branch_unique_name_in_bank")
        ]

    def __str__(self):
        return f"{self.bank.name} {self.name}"


class BranchRole(models.Model):
    """A user's role at a bank branch (the bank's side of RoleAssignment)."""

    class Role(models.TextChoices):
        OFFICER = "officer", _("loan officer")
        MANAGER = "manager", _("branch manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="branch_roles",
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="staff"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("branch role")
        verbose_name_plural = _("branch roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "branch", "role"], name="branch_role_unique")
        ]

    def __str__(self):
        return f"{self.user} · {self.branch} · {self.get_role_display()}"


class RatePolicy(models.Model):
    """One version of a branch's lending terms, in force from its effective date until the next
    version's. A version is never edited once created: a change is a new version, so a quote
    can always say which terms it was computed from."""

    class Mode(models.TextChoices):
        PRO_RATA = rates.PRO_RATA, _("pro rata")
        STEPS = rates.STEPS, _("whole 100-point steps")

    class Rounding(models.TextChoices):
        HALF_UP = "half_up", _("half up")
        HALF_EVEN = "half_even", _("half to even")
        DOWN = "down", _("down")
        UP = "up", _("up")

    STEP_CHOICES = [(Decimal("0.01"), "0.01"), (Decimal("0.001"), "0.001")]

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="policies"
    )
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("in force from"))
    base_rate = models.DecimalField(
        _("base annual rate (%)"), max_digits=5, decimal_places=2, help_text=_("e.g. 5.00")
    )
    reduction_per_100 = models.DecimalField(
        _("reduction per 100 points (percentage points)"),
        max_digits=5,
        decimal_places=3,
        help_text=_("e.g. 0.10"),
    )
    reduction_mode = models.CharField(
        _("counting"), max_length=10, choices=Mode.choices, default=Mode.PRO_RATA
    )
    rounding_step = models.DecimalField(
        _("round to (percentage points)"),
        max_digits=4,
        decimal_places=3,
        choices=STEP_CHOICES,
        default=Decimal("0.01"),
    )
    rounding_mode = models.CharField(
        _("rounding"), max_length=10, choices=Rounding.choices, default=Rounding.HALF_UP
    )
    max_reduction = models.DecimalField(
        _("maximum reduction (percentage points)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=between(0, bounds.RATE),
    )
    floor_rate = models.DecimalField(_("floor rate (%)"), max_digits=5, decimal_places=2)
    min_score = models.IntegerField(
        _("minimum score"), default=0, validators=between(-bounds.SCORE, bounds.SCORE)
    )
    min_star_level = models.PositiveSmallIntegerField(
        _("minimum star level"), default=0, validators=between(0, bounds.STAR_LEVELS)
    )
    deduction_months = models.PositiveSmallIntegerField(
        _("no deductions in the last N months"),
        default=0,
        validators=between(*bounds.DEDUCTION_MONTHS),
        help_text=_("0: recent deductions do not matter."),
    )
    deduction_rules = models.ManyToManyField(
        "points.Rule",
        verbose_name=_("deductions under these rules"),
        blank=True,
        related_name="+",
        help_text=_("Empty: a deduction under any rule counts."),
    )
    min_term_months = models.PositiveSmallIntegerField(
        _("shortest term (months)"), default=1, validators=between(*bounds.TERM_MONTHS)
    )
    max_term_months = models.PositiveSmallIntegerField(
        _("longest term (months)"), default=36, validators=between(*bounds.TERM_MONTHS)
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rate policy")
        verbose_name_plural = _("rate policies")
        ordering = ["branch", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "version"], name="policy_unique_version"),
            models.CheckConstraint(
                condition=Q(floor_rate__lte=F("base_rate")), name="policy_floor_not_above_base"
            ),
            models.CheckConstraint(
                condition=Q(base_rate__gt=0) & Q(floor_rate__gte=0) & Q(reduction_per_100__gte=0),
                name="policy_rates_positive",
            ),
            models.CheckConstraint(
                condition=Q(min_term_months__gte=1) & Q(min_term_months__lte=F("max_term_months")),
                name="policy_term_range",
            ),
            models.CheckConstraint(
                condition=Q(base_rate__lt=bounds.RATE)
                & Q(reduction_per_100__lte=bounds.RATE)
                & (
                    Q(max_reduction__isnull=True)
                    | (Q(max_reduction__gte=0) & Q(max_reduction__lte=bounds.RATE))
                )
                & Q(max_term_months__lte=bounds.TERM_MONTHS[1])
                & Q(deduction_months__lte=bounds.DEDUCTION_MONTHS[1])
                & Q(min_star_level__lte=bounds.STAR_LEVELS)
                & Q(min_score__gte=-bounds.SCORE)
                & Q(min_score__lte=bounds.SCORE),
                name="policy_numbers_bounded",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "-effective_from", "-version"], name="policy_in_force")
        ]

    def __str__(self):
        return f"{self.branch} v{self.version}"

    def quote(self, score: int) -> rates.RateQuote:
        return rates.rate_for(self, score)


class StarTier(models.Model):
    """The credit line a star level opens under one policy version."""

    policy = models.ForeignKey(
        RatePolicy, verbose_name=_("rate policy"), on_delete=models.CASCADE, related_name="tiers"
    )
    star_level = models.PositiveSmallIntegerField(_("star level"))
    credit_limit = models.DecimalField(
        _("credit limit (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=between(Decimal("0.01"), bounds.LOAN_AMOUNT),
    )

    class Meta:
        verbose_name = _("star tier")
        verbose_name_plural = _("star tiers")
        ordering = ["policy", "star_level"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "star_level"], name="tier_unique_star"),
            models.CheckConstraint(
                condition=Q(star_level__lte=5) & Q(credit_limit__gt=0), name="tier_valid"
            ),
            models.CheckConstraint(
                condition=Q(credit_limit__lte=bounds.LOAN_AMOUNT), name="tier_limit_bounded"
            ),
        ]

    def __str__(self):
        return f"★{self.star_level}: {self.credit_limit}"


class Consent(models.Model):
    """The household head lets a branch see the full credit profile, until revoked."""

    village = village_key()
    household = models.ForeignKey(
        "villageaffairs.Household",
        verbose_name=_("household"),
        on_delete=models.CASCADE,
        related_name="credit_consents",
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="consents"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    # Assisted entry (villageaffairs.assist): the head it was granted for, who may have no
    # account (``granted_by`` is then the cadre or grid worker), and the act with the photo of
    # the signed consent form.
    for_resident = models.ForeignKey(
        "villageaffairs.Resident",
        verbose_name=_("granted for"),
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
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "branch"],
                condition=Q(revoked_at__isnull=True),
                name="consent_one_active",
            )
        ]
        indexes = [models.Index(fields=["village", "household"], name="consent_village_household")]

    def __str__(self):
        return f"{self.household} → {self.branch}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class BankToken(models.Model):
    """A branch's key for its own systems (the bank API): shown once, stored as a SHA-256 digest.

    The token reads ``va_<prefix>_<secret>``: the prefix (public, unique) finds the row, the
    digest of the whole token proves it. The secret has 256 bits, so a fast hash is enough.
    """

    class Scope(models.TextChoices):
        LOOKUP = "lookup", pgettext_lazy("token scope", "household lookup")
        CREDIT = "credit", pgettext_lazy("token scope", "credit profile")
        APPLICATIONS = "applications", pgettext_lazy("token scope", "loan applications")

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="tokens"
    )
    name = models.CharField(_("system"), max_length=60, help_text=_("e.g. 信贷系统"))
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    scopes = models.CharField(_("scopes"), max_length=60)  # space separated, as in OAuth
    expires_at = models.DateTimeField(_("expires"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank API token")
        verbose_name_plural = _("bank API tokens")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["branch", "-created_at"], name="token_branch_time")]

    def __str__(self):
        return f"{self.branch} {self.name} ({self.prefix})"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def get_scopes_display(self) -> list[str]:
        labels = dict(self.Scope.choices)
        return [str(labels.get(s, s)) for s in self.scope_list]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Lookup(models.Model):
    """One look at a household's credit by bank staff. Append-only; the household sees it."""

    class Purpose(models.TextChoices):
        APPLICATION = "application", _("loan application")
        ENQUIRY = "enquiry", _("enquiry by the household")
        REVIEW = "review", _("review of an existing loan")
        VISIT = "visit", _("visit to the village")

    village = village_key()
    household = models.ForeignKey(
        "villageaffairs.Household",
        verbose_name=_("household"),
        on_delete=models.CASCADE,
        related_name="credit_lookups",
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="lookups"
    )
    # A page lookup names the signed-in officer; a bank API call names the branch's system (its
    # token) and the bank's own id of the officer responsible, who has no account here.
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    token = models.ForeignKey(
        BankToken,
        verbose_name=_("system"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lookups",
    )
    bank_officer = models.CharField(_("bank officer id"), max_length=64, blank=True)
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    full_profile = models.BooleanField(_("full profile shown"))
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("credit lookup")
        verbose_name_plural = _("credit lookups")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(officer__isnull=False) | (Q(token__isnull=False) & ~Q(bank_officer="")),
                name="lookup_names_who",
            )
        ]
        indexes = [
            models.Index(fields=["village", "household", "-created_at"], name="lookup_household"),
            models.Index(fields=["branch", "-created_at"], name="lookup_branch_time"),
        ]

    def __str__(self):
        who = self.officer if self.officer_id else f"{self.token.name} {self.bank_officer}"
        return f"{self.created_at:%Y-%m-%d %H:%M} {who} → {self.household}"


class Application(models.Model):
    """A loan application with the quote frozen when it was made."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("loan state", "submitted")
        APPROVED = "approved", pgettext_lazy("loan state", "approved")
        DECLINED = "declined", pgettext_lazy("loan state", "declined")
        DISBURSED = "disbursed", pgettext_lazy("loan state", "disbursed")
        WITHDRAWN = "withdrawn", pgettext_lazy("loan state", "withdrawn")

    village = village_key()
    household = models.ForeignKey(
        "villageaffairs.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="loan_applications",
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="applications"
    )
    amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=between(Decimal("0.01"), bounds.LOAN_AMOUNT),
    )
    term_months = models.PositiveSmallIntegerField(
        _("term (months)"), validators=between(*bounds.TERM_MONTHS)
    )
    purpose = models.CharField(_("purpose of the loan"), max_length=300)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.SUBMITTED
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
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
    # The quote, frozen: later points or a new policy version do not change this application.
    policy = models.ForeignKey(
        RatePolicy, verbose_name=_("rate policy"), on_delete=models.PROTECT, related_name="+"
    )
    policy_version = models.PositiveIntegerField(_("policy version"))
    score = models.IntegerField(_("score"))
    star_level = models.PositiveSmallIntegerField(_("star level"))
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    rate = models.DecimalField(_("annual rate (%)"), max_digits=5, decimal_places=3)
    credit_limit = models.DecimalField(_("credit limit (yuan)"), max_digits=12, decimal_places=2)
    working = models.CharField(_("working"), max_length=200)
    created_at = models.DateTimeField(_("applied"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    approved_amount = models.DecimalField(
        _("approved amount (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    decline_reason = models.CharField(_("reason"), max_length=300, blank=True)
    disbursed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("disbursed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    disbursed_at = models.DateTimeField(_("disbursed"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    # The state the household was last told about by SMS (so a retried task sends once).
    notified_state = models.CharField(max_length=10, blank=True, editable=False)

    class Meta:
        verbose_name = _("loan application")
        verbose_name_plural = _("loan applications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(amount__lte=F("credit_limit")),
                name="application_amount_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | (Q(approved_amount__gt=0) & Q(approved_amount__lte=F("credit_limit"))),
                name="application_approved_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(amount__lte=bounds.LOAN_AMOUNT)
                & Q(term_months__gte=bounds.TERM_MONTHS[0])
                & Q(term_months__lte=bounds.TERM_MONTHS[1]),
                name="application_amount_term_bounded",
            ),
        ]
        indexes = [
            models.Index(fields=["village", "household", "-created_at"], name="app_household"),
            models.Index(fields=["branch", "state", "-created_at"], name="app_branch_state"),
        ]

    def __str__(self):
        return f"{self.household} · {self.amount} · {self.get_state_display()}"

    def schedule(self) -> rates.Schedule:
        return rates.repayment_schedule(
            self.approved_amount or self.amount, self.rate, self.term_months
        )
