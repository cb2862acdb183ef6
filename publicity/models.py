"""Three-affairs disclosure: party, village and finance items, the village's books (entries by
month, checked by the villager finance group, then published), questions, and late notices.

Money is ``Decimal`` yuan to the fen (two places). A month's figures are frozen on the month row
when the finance group checks it: from then on its entries and every earlier month are locked, so
the frozen opening balance, totals and closing balance stay equal to the sums of the entries.
"""

import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from villageaffairs import bounds
from villageaffairs.models import Village, village_key

ZERO = Decimal("0.00")


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


class Disclosure(models.Model):
    """A published item on the village's blackboard."""

    class Kind(models.TextChoices):
        PARTY = "party", _("party affairs")
        VILLAGE = "village", _("village affairs")
        FINANCE = "finance", _("finance")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    village = village_key(related_name="disclosures")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    amended_at = models.DateTimeField(_("amended"), null=True, blank=True)

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(
                fields=["village", "status", "kind", "-published_at"], name="disclosure_list"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="disclosure_period_order",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("publicity:item", args=[self.village.slug, self.pk])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class DisclosureRevision(models.Model):
    """The text an item had before an edit after publication: kept and shown ("amended on")."""

    village = village_key()
    disclosure = models.ForeignKey(
        Disclosure,
        verbose_name=_("disclosure"),
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    reason = models.CharField(_("reason for the change"), max_length=200)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("editor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    amended_at = models.DateTimeField(_("amended"), auto_now_add=True)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["-amended_at", "-pk"]
        indexes = [models.Index(fields=["village", "disclosure"], name="revision_disclosure")]

    def __str__(self):
        return f"{self.title} ({self.amended_at:%Y-%m-%d})"


def _attachment_path(instance, filename):
    # Under private/: attachments and receipts are served by a view that checks the viewer
    # (drafts and unpublished months to insiders only). Unguessable names all the same.
    return f"private/publicity/{instance.village_id}/{uuid.uuid4().hex}{filename[-8:]}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("photo")
        PDF = "pdf", _("PDF document")

    village = village_key()
    disclosure = models.ForeignKey(
        Disclosure,
        verbose_name=_("disclosure"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=_attachment_path, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]
        indexes = [models.Index(fields=["village", "disclosure"], name="attachment_disclosure")]

    def __str__(self):
        return self.name


class FinanceBook(models.Model):
    """Where a village's books on the platform begin: the first month and its opening balance."""

    village = models.OneToOneField(
        Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="finance_book"
    )
    starts_on = models.DateField(_("first month"))  # always the 1st of a month
    opening_balance = models.DecimalField(
        _("opening balance"),
        max_digits=14,
        decimal_places=2,
        # The form asks for a balance of zero or more; a book brought over in debt stays possible.
        validators=[
            MinValueValidator(-bounds.FINANCE_BALANCE),
            MaxValueValidator(bounds.FINANCE_BALANCE),
        ],
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("finance book")
        verbose_name_plural = _("finance books")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opening_balance__gte=-bounds.FINANCE_BALANCE)
                & models.Q(opening_balance__lte=bounds.FINANCE_BALANCE),
                name="book_opening_balance_bounded",
            )
        ]

    def __str__(self):
        return f"{self.village} · {month_key(self.starts_on)}"


class FinanceMonth(models.Model):
    """One month of a village's books: open (entries may change) → checked → published."""

    class Status(models.TextChoices):
        OPEN = "open", _("being recorded")
        CHECKED = "checked", _("checked by the finance group")
        PUBLISHED = "published", _("published")

    village = village_key(related_name="finance_months")
    month = models.DateField(_("month"))  # the 1st of the month
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    # Frozen when checked (see the module docstring).
    opening_balance = models.DecimalField(
        _("opening balance"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    income = models.DecimalField(
        _("income"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    expense = models.DecimalField(
        _("expense"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    closing_balance = models.DecimalField(
        _("closing balance"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    entry_count = models.PositiveIntegerField(_("entries"), default=0)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    check_note = models.CharField(_("finance group's note"), max_length=300, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # The finance group's latest "send back": why the month went back to the accountant. Shown
    # to the accountant while the month is open again; the audit trail keeps every one.
    return_note = models.CharField(
        _("finance group's reason for sending back"), max_length=300, blank=True
    )
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent back by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    returned_at = models.DateTimeField(_("sent back"), null=True, blank=True)

    class Meta:
        verbose_name = _("finance month")
        verbose_name_plural = _("finance months")
        ordering = ["village", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["village", "month"], name="finance_month_unique"),
        ]

    def __str__(self):
        return f"{self.village} · {self.key}"

    def get_absolute_url(self):
        return reverse("publicity:month", args=[self.village.slug, self.key])

    @property
    def key(self) -> str:
        return month_key(self.month)

    @property
    def is_locked(self) -> bool:
        return self.status != self.Status.OPEN

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_sent_back(self) -> bool:
        """Sent back by the finance group and not checked since: the accountant's to correct."""
        return self.status == self.Status.OPEN and self.returned_at is not None


class Direction(models.TextChoices):
    INCOME = "income", _("income")
    EXPENSE = "expense", _("expense")


class Category(models.TextChoices):
    """The finance disclosure categories of a village collective's books."""

    CONTRACT = "contract", _("contracting and lease income")
    OPERATING = "operating", _("operating income")
    SUBSIDY = "subsidy", _("subsidies from government")
    INVESTMENT = "investment", _("investment income")
    OTHER_INCOME = "other_income", _("other income")
    PUBLIC_WORKS = "public_works", _("public works (roads, ditches, lights)")
    MANAGEMENT = "management", _("management (allowances, office)")
    OPERATING_COST = "operating_cost", _("operating costs")
    WELFARE = "welfare", _("welfare and relief")
    LAND_COMPENSATION = "land_compensation", _("land compensation paid out")
    OTHER_EXPENSE = "other_expense", _("other expense")


INCOME_CATEGORIES = frozenset(
    {
        Category.CONTRACT,
        Category.OPERATING,
        Category.SUBSIDY,
        Category.INVESTMENT,
        Category.OTHER_INCOME,
    }
)


def category_direction(category: str) -> str:
    return Direction.INCOME if category in INCOME_CATEGORIES else Direction.EXPENSE


class FinanceEntry(models.Model):
    """One income or expense of the village collective."""

    village = village_key(related_name="finance_entries")
    date = models.DateField(_("date"))
    direction = models.CharField(_("income or expense"), max_length=10, choices=Direction.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(bounds.FINANCE_AMOUNT)],
    )
    counterparty = models.CharField(_("paid to / received from"), max_length=80)
    voucher_no = models.CharField(_("voucher number"), max_length=30, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    receipt = models.FileField(_("receipt photo"), upload_to=_attachment_path, blank=True)
    receipt_thumbnail = models.FileField(_("thumbnail"), upload_to=_attachment_path, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    import_batch = models.ForeignKey(
        "EntryImport",
        verbose_name=_("imported from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entries",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("finance entry")
        verbose_name_plural = _("finance entries")
        ordering = ["date", "pk"]
        indexes = [models.Index(fields=["village", "date", "id"], name="entry_village_date")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="entry_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(amount__lte=bounds.FINANCE_AMOUNT), name="entry_amount_bounded"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.get_direction_display()} {self.amount} {self.counterparty}"

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.direction == Direction.INCOME else -self.amount


class EntryImport(models.Model):
    """An uploaded sheet of entries: previewed first, imported all at once or not at all."""

    village = village_key()
    filename = models.CharField(_("file name"), max_length=120)
    # The sheet as CSV text (Excel sheets are converted when uploaded), kept until confirmed.
    data = models.TextField(_("data"))
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)

    class Meta:
        verbose_name = _("entry import")
        verbose_name_plural = _("entry imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.filename


class Question(models.Model):
    """A villager's question about an item, a month's accounts or one entry; a cadre answers.
    Both are public, with names and times."""

    village = village_key()
    disclosure = models.ForeignKey(
        Disclosure,
        verbose_name=_("disclosure"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="questions",
    )
    month = models.ForeignKey(
        FinanceMonth,
        verbose_name=_("month"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="questions",
    )
    entry = models.ForeignKey(
        FinanceEntry,
        verbose_name=_("entry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("question"), max_length=1000)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["village", "disclosure"], name="question_disclosure"),
            models.Index(fields=["village", "month"], name="question_month"),
            models.Index(fields=["village", "answered_at"], name="question_open"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(disclosure__isnull=False) | models.Q(month__isnull=False),
                name="question_has_subject",
            )
        ]

    def __str__(self):
        return self.text[:60]


class OverdueNotice(models.Model):
    """Last month's accounts were not published by the 10th (marked by a beat job)."""

    village = village_key()
    month = models.DateField(_("month"))
    marked_at = models.DateTimeField(_("marked"), auto_now_add=True)
    cleared_at = models.DateTimeField(_("published late on"), null=True, blank=True)

    class Meta:
        verbose_name = _("overdue accounts")
        verbose_name_plural = _("overdue accounts")
        ordering = ["month", "village"]
        constraints = [
            models.UniqueConstraint(fields=["village", "month"], name="overdue_unique"),
        ]
        indexes = [models.Index(fields=["cleared_at", "month"], name="overdue_open")]

    def __str__(self):
        return f"{self.village} · {month_key(self.month)}"

    @property
    def key(self) -> str:
        return month_key(self.month)
