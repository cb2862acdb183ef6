"""The bounds of every number a form or the admin accepts, in one place.

Forms check them (min_value/max_value, or the model fields' validators), the database enforces
them with CheckConstraints, and code that loops over a stored value clamps to them, so that a
value past them (typed into the admin, or into a JSON field) cannot make a page loop or fail.
They are generous for the domain: a real village never comes near them.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

# Points --------------------------------------------------------------------------------------
# A rule awards or deducts at most this many points (the claims, awards and deductions under it
# follow); villages use tens, a few hundred for honours.
RULE_POINTS = 10_000
# A ledger entry: a rule's points, or a redemption of up to REDEEM_QUANTITY items.
LEDGER_POINTS = 10_000_000
# A household's score and a policy's minimum score.
SCORE = 100_000_000
# The points supermarket.
ITEM_COST = 100_000
ITEM_STOCK = 100_000
REDEEM_QUANTITY = 50
# How often a household may score under one rule per period.
RULE_LIMIT_COUNT = 1_000
# Days a posting stays up for objections.
POSTING_DAYS = (1, 90)
STAR_LEVELS = 5

# Loans ---------------------------------------------------------------------------------------
LOAN_AMOUNT = Decimal("10000000")  # yuan, for an amount, a credit limit, an approved amount
TERM_MONTHS = (1, 360)
DEDUCTION_MONTHS = (0, 120)
RATE = Decimal("100")  # percent, for base, floor and reduction rates

# Publicity -----------------------------------------------------------------------------------
# A village's single finance entry, and a book's opening balance (what the columns hold).
FINANCE_AMOUNT = Decimal("9999999999.99")
FINANCE_BALANCE = Decimal("999999999999.99")

# Years of a date typed into a form (a finance entry, a disclosure's period, a task's due date):
# pages step a month or a year from them, which must stay within Python's dates.
YEARS = (2000, 2100)

# A database id (bigint in PostgreSQL, an 8-byte integer in SQLite); a hidden id field larger
# than this would overflow the query.
ID = 2**63 - 1


def between(lo, hi) -> list:
    """Validators for a model field: ``validators=between(-RULE_POINTS, RULE_POINTS)``."""
    return [MinValueValidator(lo), MaxValueValidator(hi)]


def validate_year(value) -> None:
    """A date (or datetime) within YEARS; for form date fields."""
    if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
        raise ValidationError(
            _("Enter a date between the years %(lo)s and %(hi)s."),
            code="year",
            params={"lo": YEARS[0], "hi": YEARS[1]},
        )
