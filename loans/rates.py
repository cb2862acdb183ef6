"""The rate math of point loans, pure and independent of the points app.

``rate_for(policy, score)`` turns a rate policy and a household's all-time score into a quote;
``repayment_schedule(principal, annual_rate, months)`` makes the equal-instalment schedule.
Everything is ``Decimal`` with an explicit quantize and rounding mode; nothing here touches
the database, so the bank's arithmetic can be read and tested on its own.
"""

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal, localcontext

from django.utils.translation import gettext as _

PRO_RATA = "pro_rata"
STEPS = "steps"
ROUNDING_MODES = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "down": ROUND_DOWN,
    "up": ROUND_UP,
}
FEN = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class RateTerms:
    """The parts of a rate policy the math needs (``RatePolicy`` has the same attributes)."""

    base_rate: Decimal  # annual, in percent: 5.00 means 5.00 %
    reduction_per_100: Decimal  # percentage points off per 100 points
    floor_rate: Decimal
    reduction_mode: str = PRO_RATA
    max_reduction: Decimal | None = None
    rounding_step: Decimal = FEN  # of the percentage: 0.01 percentage point
    rounding_mode: str = "half_up"


@dataclass(frozen=True)
class RateQuote:
    score: int
    base_rate: Decimal
    reduction_per_100: Decimal
    reduction_mode: str
    raw_reduction: Decimal  # before the cap and rounding
    reduction: Decimal  # applied: capped and rounded
    rate: Decimal  # annual, in percent
    floor_rate: Decimal
    max_reduction: Decimal | None
    capped: bool
    floored: bool
    steps: int | None = None  # whole hundreds counted (step mode)
    notes: list[str] = field(default_factory=list)

    @property
    def working(self) -> str:
        """The arithmetic in one line: '5.00% − 583 × 0.10 / 100 = 4.42%'."""
        base = f"{pct(self.base_rate)}%"
        per = pct(self.reduction_per_100)
        if self.reduction_mode == STEPS:
            off = f"{self.steps} × {per}"
        else:
            off = f"{max(self.score, 0)} × {per} / 100"
        if self.capped:
            off = f"min({off}, {pct(self.max_reduction)})"
        formula = f"{base} − {off}"
        if self.floored:
            formula = f"max({formula}, {pct(self.floor_rate)}%)"
        return f"{formula} = {pct(self.rate)}%"


def pct(value: Decimal | None, min_places: int = 2) -> str:
    """A rate as written by a bank: at least two decimals, more only if the value has them."""
    if value is None:
        return ""
    value = Decimal(value)
    exponent = value.normalize().as_tuple().exponent
    places = max(min_places, -exponent if isinstance(exponent, int) else 0)
    return f"{value:.{places}f}"


def _round(value: Decimal, step: Decimal, mode: str) -> Decimal:
    # normalize: a database column gives 0.010 for 0.01, and the places must not grow.
    return value.quantize(Decimal(step).normalize(), rounding=ROUNDING_MODES[mode])


def rate_for(policy, score: int) -> RateQuote:
    """The annual rate (percent) a policy gives a household with ``score`` points.

    The reduction is base − (points × per-100 / 100) pro rata, or whole hundreds only in step
    mode; it is capped at ``max_reduction``, rounded to ``rounding_step`` with
    ``rounding_mode``, and the rate never goes below the floor nor above the base (a negative
    score earns no reduction and costs nothing extra).
    """
    score = int(score)
    counted = max(score, 0)
    base = Decimal(policy.base_rate)
    per = Decimal(policy.reduction_per_100)
    floor = Decimal(policy.floor_rate)
    cap = None if policy.max_reduction is None else Decimal(policy.max_reduction)
    step, mode = Decimal(policy.rounding_step), policy.rounding_mode
    steps = None
    if policy.reduction_mode == STEPS:
        steps = counted // 100
        raw = steps * per
    else:
        raw = Decimal(counted) * per / HUNDRED
    reduction = raw
    capped = cap is not None and reduction > cap
    if capped:
        reduction = cap
    reduction = _round(reduction, step, mode)
    rate = _round(base - reduction, step, mode)
    floored = rate < floor
    if floored:
        rate = _round(floor, step, mode)
    quote = RateQuote(
        score=score,
        base_rate=base,
        reduction_per_100=per,
        reduction_mode=policy.reduction_mode,
        raw_reduction=raw,
        reduction=reduction,
        rate=rate,
        floor_rate=floor,
        max_reduction=cap,
        capped=capped,
        floored=floored,
        steps=steps,
    )
    quote.notes.extend(_notes(quote))
    return quote


def _notes(q: RateQuote) -> list[str]:
    """The working in words, for the officer and the household."""
    values = {
        "base": pct(q.base_rate),
        "per": pct(q.reduction_per_100),
        "score": max(q.score, 0),
        "raw": pct(q.raw_reduction),
        "reduction": pct(q.reduction),
        "cap": pct(q.max_reduction),
        "floor": pct(q.floor_rate),
        "rate": pct(q.rate),
        "steps": q.steps,
    }
    if q.reduction_mode == STEPS:
        first = _(
            "Base rate %(base)s%%. Every full 100 points take %(per)s percentage points off: "
            "%(score)s points are %(steps)s full hundreds, %(raw)s points off."
        )
    else:
        first = _(
            "Base rate %(base)s%%. Every 100 points take %(per)s percentage points off, pro "
            "rata: %(score)s points take %(raw)s points off."
        )
    notes = [first % values]
    if q.capped:
        notes.append(_("The reduction is capped at %(cap)s percentage points.") % values)
    if not q.capped and q.raw_reduction != q.reduction:
        notes.append(_("Rounded to %(reduction)s percentage points.") % values)
    if q.floored:
        notes.append(_("The rate never goes below the floor of %(floor)s%%.") % values)
    notes.append(_("Annual rate: %(rate)s%%.") % values)
    return notes


@dataclass(frozen=True)
class Instalment:
    number: int
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal  # left after this payment


@dataclass(frozen=True)
class Schedule:
    principal: Decimal
    annual_rate: Decimal
    months: int
    instalment: Decimal  # the equal monthly payment (the last one may differ by a few fen)
    rows: list[Instalment]

    @property
    def total_interest(self) -> Decimal:
        return sum((r.interest for r in self.rows), Decimal("0.00"))

    @property
    def total_paid(self) -> Decimal:
        return sum((r.payment for r in self.rows), Decimal("0.00"))


def _instalments(principal: Decimal, monthly: Decimal, months: int, payment: Decimal):
    rows, balance = [], principal
    for number in range(1, months + 1):
        interest = (balance * monthly).quantize(FEN, rounding=ROUND_HALF_UP)
        if number == months:
            part = balance
        else:
            part = min(max(payment - interest, Decimal("0.00")), balance)
        balance -= part
        rows.append(Instalment(number, interest + part, interest, part, balance))
    return rows


def repayment_schedule(principal: Decimal, annual_rate: Decimal, months: int) -> Schedule:
    """Equal monthly instalments (annuity), every amount rounded half up to the fen.

    Interest each month is the balance × annual rate / 12, rounded to the fen; the last
    instalment takes whatever principal is left, so the payments add up exactly to the
    principal plus the interest charged. A fen rounded up compounds over a long term: where
    that would repay a small loan before its last month, the instalment is rounded down
    instead, and the last one is a little larger.
    """
    principal = Decimal(principal).quantize(FEN, rounding=ROUND_HALF_UP)
    months = int(months)
    if months < 1:
        raise ValueError("A schedule needs at least one month.")
    with localcontext() as ctx:
        ctx.prec = 34
        monthly = Decimal(annual_rate) / HUNDRED / 12
        if monthly == 0:
            exact = principal / months
        else:
            exact = principal * monthly / (1 - (1 + monthly) ** -months)
        for rounding in (ROUND_HALF_UP, ROUND_DOWN):
            payment = exact.quantize(FEN, rounding=rounding)
            rows = _instalments(principal, monthly, months, payment)
            if all(row.payment == payment for row in rows[:-1]):
                break
    return Schedule(principal, Decimal(annual_rate), months, payment, rows)
