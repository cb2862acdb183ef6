"""Writes of the points app. Keyword-only, one transaction each, audited.

Every service that writes a ledger entry first locks the household's balance row
(``SELECT … FOR UPDATE``), so the entries of one household are written one after another and the
balance row, changed with ``F()`` in the same transaction, always equals the sums of the entries.
"""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, router, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from points.models import (
    Balance,
    Claim,
    EvidencePhoto,
    Item,
    LedgerEntry,
    Objection,
    PointsSettings,
    RankingSnapshot,
    Redemption,
    Rule,
    RuleRevision,
    SignPrint,
    Suspension,
    YearScore,
)
from villageaffairs import assist, audit, outbox, printing
from villageaffairs.models import Household, Resident, Village
from villageaffairs.prepared import Prepared


class PointsError(ValidationError):
    """A request that breaks a rule of the points system; nothing was changed."""


RULE_FIELDS = (
    "category",
    "text",
    "points",
    "evidence_required",
    "limit_count",
    "limit_period",
    "in_force_from",
    "in_force_to",
    "position",
)
SCORE_KINDS = (LedgerEntry.Kind.AWARD, LedgerEntry.Kind.DEDUCTION)
RECOMPUTE_DELAY_SECONDS = 5


# --- helpers -------------------------------------------------------------------------------


def settings_for(village: Village) -> PointsSettings:
    found = PointsSettings.objects.filter(village=village).first()
    return found or PointsSettings(village=village)


def _balance_query(household_id: int):
    return Balance.objects.select_for_update().filter(household_id=household_id).order_by("pk")


# Every claim, award and redemption starts here: compiled once (prepared).
_locked_balance = Prepared(_balance_query, kinds=(int,))


def _lock_balance(household: Household) -> Balance:
    """The household's balance row, created if missing, locked until the transaction ends."""
    locked = _locked_balance.first(household.pk, using=router.db_for_write(Balance))
    if locked is not None:  # one query when the row exists, as it nearly always does
        return locked
    Balance.objects.get_or_create(
        household=household, defaults={"village_id": household.village_id}
    )
    return Balance.objects.select_for_update().get(household=household)


def _post(
    *,
    household: Household,
    kind: str,
    points: int,
    reason: str,
    actor,
    acted_for=None,
    rule=None,
    claim=None,
    reverses=None,
    redemption=None,
    year: int | None = None,
    in_score: bool | None = None,
) -> LedgerEntry:
    """Append one entry and move the balance row with it. The caller holds the balance lock."""
    now = timezone.now()
    if in_score is None:
        in_score = kind in SCORE_KINDS
    posted_until = None
    if in_score:
        days = settings_for(household.village).posting_days
        posted_until = now + timedelta(days=days)
    entry = LedgerEntry.objects.create(
        village_id=household.village_id,
        household=household,
        kind=kind,
        points=points,
        in_score=in_score,
        year=year or timezone.localdate(now).year,
        rule=rule,
        claim=claim,
        reverses=reverses,
        redemption=redemption,
        reason=reason[:300],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        acted_for=acted_for,
        created_at=now,
        posted_until=posted_until,
    )
    Balance.objects.filter(household=household).update(
        score=F("score") + (points if in_score else 0),
        balance=F("balance") + points,
        version=F("version") + 1,
    )
    if in_score:
        updated = YearScore.objects.filter(household=household, year=entry.year).update(
            score=F("score") + points
        )
        if not updated:
            YearScore.objects.create(
                household=household, village_id=household.village_id, year=entry.year, score=points
            )
        rankings_schedule(village_id=household.village_id)
    return entry


def _period_start(rule: Rule) -> datetime | None:
    today = timezone.localdate()
    if rule.limit_period == Rule.Period.MONTH:
        start = today.replace(day=1)
    elif rule.limit_period == Rule.Period.YEAR:
        start = today.replace(month=1, day=1)
    else:
        return None
    return timezone.make_aware(datetime.combine(start, datetime.min.time()))


def _rule_uses(household: Household, rule: Rule, *, approved_only: bool, exclude_claim=None) -> int:
    start = _period_start(rule)
    states = (
        [Claim.State.APPROVED] if approved_only else [Claim.State.SUBMITTED, Claim.State.APPROVED]
    )
    claims = Claim.objects.filter(household=household, rule=rule, state__in=states)
    direct = LedgerEntry.objects.filter(
        household=household, rule=rule, claim__isnull=True, kind__in=SCORE_KINDS
    ).exclude(reversals__isnull=False)
    if start is not None:
        claims = claims.filter(created_at__gte=start)
        direct = direct.filter(created_at__gte=start)
    if exclude_claim is not None:
        claims = claims.exclude(pk=exclude_claim.pk)
    return claims.count() + direct.count()


def _check_rule(household: Household, rule: Rule, *, approved_only=False, exclude_claim=None):
    if rule.village_id != household.village_id:
        raise PointsError(_("This rule belongs to another village."), code="other_village")
    if not rule.is_in_force:
        raise PointsError(_("This rule is not in force today."), code="not_in_force")
    if rule.limit_count is not None:
        used = _rule_uses(household, rule, approved_only=approved_only, exclude_claim=exclude_claim)
        if used >= rule.limit_count:
            raise PointsError(
                _("This household has reached the limit of this rule (%(n)d %(period)s)."),
                code="over_limit",
                params={"n": rule.limit_count, "period": rule.get_limit_period_display()},
            )


def _save_photos(photos, *, village_id, claim=None, entry=None) -> None:
    for photo in photos or ():
        EvidencePhoto.objects.create(
            village_id=village_id,
            claim=claim,
            entry=entry,
            image=photo.image,
            thumbnail=photo.thumbnail,
        )


# --- rules ---------------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    return value


def _revision(*, actor, rule, changes, note, adopted_by_topic) -> RuleRevision:
    kwargs = {}
    if adopted_by_topic is not None and _has_topic_link():
        topic_village = getattr(adopted_by_topic, "village_id", rule.village_id)
        if topic_village != rule.village_id:
            raise PointsError(_("The topic belongs to another village."), code="other_village")
        kwargs["adopted_by_topic"] = adopted_by_topic
    return RuleRevision.objects.create(
        rule=rule,
        village_id=rule.village_id,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        changes=changes,
        note=note[:300],
        **kwargs,
    )


def _has_topic_link() -> bool:
    return any(f.name == "adopted_by_topic" for f in RuleRevision._meta.get_fields())


def _validate_rule_fields(values: dict) -> None:
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown rule fields: {sorted(unknown)}")
    if "text" in values and not str(values["text"]).strip():
        raise PointsError(_("A rule needs a text."), code="empty")


@transaction.atomic
def rule_create(
    *,
    actor,
    village: Village,
    category: str,
    text: str,
    points: int,
    evidence_required: bool = False,
    note: str = "",
    adopted_by_topic=None,
    **extra,
) -> Rule:
    values = {
        "category": category,
        "text": text,
        "points": int(points),
        "evidence_required": evidence_required,
        **extra,
    }
    _validate_rule_fields(values)
    rule = Rule(village=village, **values)
    rule.full_clean()
    rule.save()
    _revision(
        actor=actor,
        rule=rule,
        changes={"created": {k: _plain(v) for k, v in values.items()}},
        note=note,
        adopted_by_topic=adopted_by_topic,
    )
    audit.record(actor=actor, action="rule.create", obj=rule, village=village, changes=values)
    return rule


@transaction.atomic
def rule_update(
    *, actor, rule: Rule, note: str = "", adopted_by_topic=None, **changes
) -> RuleRevision:
    _validate_rule_fields(changes)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    diff = {}
    for field, new in changes.items():
        old = getattr(rule, field)
        if old != new:
            diff[field] = [_plain(old), _plain(new)]
            setattr(rule, field, new)
    rule.full_clean()
    rule.save()
    revision = _revision(
        actor=actor, rule=rule, changes=diff, note=note, adopted_by_topic=adopted_by_topic
    )
    audit.record(
        actor=actor,
        action="rule.update",
        obj=rule,
        village=rule.village,
        changes={k: tuple(v) for k, v in diff.items()},
    )
    return revision


# --- claims --------------------------------------------------------------------------------


@transaction.atomic
def claim_submit(
    *,
    actor,
    household: Household,
    rule: Rule,
    note: str = "",
    photos=(),
    acted_for=None,
    submission_key=None,
) -> Claim:
    """A household claims points under a rule. A resubmitted form returns the first claim."""
    _lock_balance(household)  # one claim decision at a time per household (limits)
    if submission_key is not None:
        existing = Claim.objects.filter(household=household, submission_key=submission_key).first()
        if existing is not None:
            return existing
    _check_rule(household, rule)
    if rule.evidence_required and not photos:
        raise PointsError(_("This rule needs a photo as evidence."), code="evidence")
    if rule.points == 0:
        raise PointsError(_("This rule carries no points."), code="no_points")
    if rule.points < 0:
        # Deductions are recorded by the cadres (award_direct), never claimed.
        raise PointsError(_("A deduction cannot be claimed."), code="deduction")
    claim = Claim.objects.create(
        village_id=household.village_id,
        household=household,
        rule=rule,
        points=rule.points,
        note=note,
        claimant=actor,
        acted_for=acted_for,
        submission_key=submission_key,
    )
    _save_photos(photos, village_id=household.village_id, claim=claim)
    audit.record(
        actor=actor,
        action="claim.submit",
        obj=claim,
        village=household.village,
        acted_for=acted_for,
        changes={"rule": rule.pk, "points": rule.points, "photos": len(photos or ())},
    )
    return claim


@transaction.atomic
def claim_submit_assisted(
    *,
    actor,
    resident: Resident,
    rule: Rule,
    note: str = "",
    photos=(),
    signature=None,
    witness: str = "",
    submission_key=None,
) -> Claim:
    """A cadre or a grid worker claims points for a resident's household, with the evidence
    and the villager's agreement (signature photo or witness). Nothing is saved if refused."""
    household = resident.household
    village = household.village
    if submission_key is not None:
        existing = Claim.objects.filter(household=household, submission_key=submission_key).first()
        if existing is not None:
            return existing
    assist.check(actor=actor, village=village, resident_obj=resident)
    assist.clean_evidence(signature=signature, witness=witness)
    act = assist.act_record(
        actor=actor,
        village=village,
        resident_obj=resident,
        kind="points.claim",
        summary=gettext("Claimed %(points)+d points: %(rule)s")
        % {"points": rule.points, "rule": rule.text[:200]},
        signature=signature,
        witness=witness,
    )
    claim = claim_submit(
        actor=actor,
        household=household,
        rule=rule,
        note=note,
        photos=photos,
        acted_for=resident.user if resident.user_id else None,
        submission_key=submission_key,
    )
    Claim.objects.filter(pk=claim.pk).update(for_resident=resident, assisted_act=act)
    claim.for_resident, claim.assisted_act = resident, act
    return claim


def claim_disputed(act, actor) -> None:
    """A disputed assisted claim that still waits is withdrawn. One already approved stays (a
    cadre reverses it if the dispute holds), and its entry now says "disputed" on the household
    page: the balance version moves, so the page's cached figures are not served again."""
    claim = Claim.objects.filter(assisted_act=act).first()
    if claim is None:
        return
    Balance.objects.filter(household_id=claim.household_id).update(version=F("version") + 1)
    withdrawn = Claim.objects.filter(pk=claim.pk, state=Claim.State.SUBMITTED).update(
        state=Claim.State.WITHDRAWN,
        decided_at=timezone.now(),
        decided_by=actor,
        decision_reason=act.dispute_reason[:300],
    )
    if withdrawn:
        audit.record(
            actor=actor,
            action="claim.withdraw",
            obj=claim,
            village=claim.village,
            changes={"state": ("submitted", "withdrawn"), "disputed": act.pk},
        )


def _decide(claim: Claim, state: str, *, actor, reason: str = "") -> bool:
    """Move a submitted claim to ``state``; False if someone decided it first."""
    return bool(
        Claim.objects.filter(pk=claim.pk, state=Claim.State.SUBMITTED).update(
            state=state,
            decided_by=actor,
            decided_at=timezone.now(),
            decision_reason=reason[:300],
        )
    )


@transaction.atomic
def claim_approve(*, actor, claim: Claim, acted_for=None) -> LedgerEntry:
    """Approve a claim: exactly one ledger entry however often and by however many cadres."""
    household = claim.household
    _lock_balance(household)
    claim = Claim.objects.select_related("rule", "household__village").get(pk=claim.pk)
    if claim.state == Claim.State.APPROVED:
        return claim.entries.exclude(kind=LedgerEntry.Kind.REVERSAL).get()
    if claim.state != Claim.State.SUBMITTED:
        raise PointsError(
            _("This claim was already %(state)s."),
            code="decided",
            params={"state": claim.get_state_display()},
        )
    _check_rule(claim.household, claim.rule, approved_only=True, exclude_claim=claim)
    if not _decide(claim, Claim.State.APPROVED, actor=actor):
        raise PointsError(_("Someone else decided this claim first."), code="race")
    kind = LedgerEntry.Kind.AWARD if claim.points > 0 else LedgerEntry.Kind.DEDUCTION
    entry = _post(
        household=claim.household,
        kind=kind,
        points=claim.points,
        reason=claim.rule.text,
        actor=actor,
        acted_for=acted_for,
        rule=claim.rule,
        claim=claim,
    )
    audit.record(
        actor=actor,
        action="claim.approve",
        obj=claim,
        village=claim.household.village,
        acted_for=acted_for,
        changes={"state": ("submitted", "approved"), "entry": entry.pk, "points": claim.points},
    )
    return entry


@transaction.atomic
def claim_reject(*, actor, claim: Claim, reason: str) -> Claim:
    reason = (reason or "").strip()
    if not reason:
        raise PointsError(_("Say why the claim is rejected."), code="reason")
    if not _decide(claim, Claim.State.REJECTED, actor=actor, reason=reason):
        claim.refresh_from_db()
        if claim.state == Claim.State.REJECTED:
            return claim
        raise PointsError(
            _("This claim was already %(state)s."),
            code="decided",
            params={"state": claim.get_state_display()},
        )
    claim.refresh_from_db()
    audit.record(
        actor=actor,
        action="claim.reject",
        obj=claim,
        village=claim.village,
        changes={"state": ("submitted", "rejected"), "reason": reason},
    )
    return claim


@transaction.atomic
def claim_withdraw(*, actor, claim: Claim) -> Claim:
    updated = Claim.objects.filter(pk=claim.pk, state=Claim.State.SUBMITTED).update(
        state=Claim.State.WITHDRAWN, decided_at=timezone.now(), decided_by=actor
    )
    claim.refresh_from_db()
    if not updated and claim.state != Claim.State.WITHDRAWN:
        raise PointsError(_("Only a claim that is still waiting can be withdrawn."), code="decided")
    if updated:
        audit.record(
            actor=actor,
            action="claim.withdraw",
            obj=claim,
            village=claim.village,
            changes={"state": ("submitted", "withdrawn")},
        )
    return claim


# --- direct entries and reversals ----------------------------------------------------------


@transaction.atomic
def award_direct(
    *,
    actor,
    household: Household,
    points: int,
    reason: str,
    rule: Rule | None = None,
    acted_for=None,
    photos=(),
) -> LedgerEntry:
    """A cadre records an award (points > 0) or a deduction (points < 0) directly."""
    points = int(points)
    if points == 0:
        raise PointsError(_("An award or deduction needs points."), code="zero")
    reason = (reason or "").strip() or (rule.text if rule else "")
    if not reason:
        raise PointsError(_("Say why the points are given or taken."), code="reason")
    _lock_balance(household)
    if rule is not None:
        _check_rule(household, rule, approved_only=True)
    kind = LedgerEntry.Kind.AWARD if points > 0 else LedgerEntry.Kind.DEDUCTION
    entry = _post(
        household=household,
        kind=kind,
        points=points,
        reason=reason,
        actor=actor,
        acted_for=acted_for,
        rule=rule,
    )
    _save_photos(photos, village_id=household.village_id, entry=entry)
    audit.record(
        actor=actor,
        action=f"ledger.{kind}",
        obj=entry,
        village=household.village,
        acted_for=acted_for,
        changes={"points": points, "reason": reason, "rule": rule.pk if rule else None},
    )
    return entry


def _reverse(*, actor, entry: LedgerEntry, reason: str) -> LedgerEntry:
    if entry.kind == LedgerEntry.Kind.REVERSAL:
        raise PointsError(_("A reversal cannot itself be reversed."), code="reversal")
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise PointsError(_("This entry was already reversed."), code="reversed")
    return _post(
        household=entry.household,
        kind=LedgerEntry.Kind.REVERSAL,
        points=-entry.points,
        reason=reason,
        actor=actor,
        rule=entry.rule,
        claim=entry.claim,
        reverses=entry,
        redemption=entry.redemption,
        year=entry.year,
        in_score=entry.in_score,
    )


@transaction.atomic
def entry_reverse(*, actor, entry: LedgerEntry, reason: str) -> LedgerEntry:
    """Correct a mistaken entry with a reversal entry pointing at it."""
    reason = (reason or "").strip()
    if not reason:
        raise PointsError(_("Say why the entry is reversed."), code="reason")
    _lock_balance(entry.household)
    reversal = _reverse(actor=actor, entry=entry, reason=reason)
    audit.record(
        actor=actor,
        action="ledger.reverse",
        obj=reversal,
        village=entry.household.village,
        changes={"reverses": entry.pk, "points": reversal.points, "reason": reason},
    )
    return reversal


# --- public posting and objections ---------------------------------------------------------


@transaction.atomic
def objection_raise(*, actor, entry: LedgerEntry, text: str) -> Objection:
    text = (text or "").strip()
    if not text:
        raise PointsError(_("Write what is wrong with this entry."), code="empty")
    if entry.kind not in SCORE_KINDS or not entry.is_posted:
        raise PointsError(_("The posting period of this entry is over."), code="closed")
    if entry.reversals.exists():
        raise PointsError(_("This entry was already corrected."), code="reversed")
    objection, created = Objection.objects.get_or_create(
        entry=entry,
        raised_by=actor,
        defaults={"village_id": entry.village_id, "text": text[:1000]},
    )
    if created:
        audit.record(
            actor=actor,
            action="objection.raise",
            obj=objection,
            village=entry.household.village,
            changes={"entry": entry.pk},
        )
    return objection


@transaction.atomic
def objection_resolve(*, actor, objection: Objection, upheld: bool, response: str) -> Objection:
    """A cadre answers an objection; an upheld one is corrected by a reversal entry."""
    response = (response or "").strip()
    if not response:
        raise PointsError(_("Write an answer to the objection."), code="empty")
    state = Objection.State.UPHELD if upheld else Objection.State.DISMISSED
    updated = Objection.objects.filter(pk=objection.pk, state=Objection.State.OPEN).update(
        state=state, resolved_by=actor, resolved_at=timezone.now(), response=response[:500]
    )
    objection.refresh_from_db()
    if not updated:
        raise PointsError(_("This objection was already resolved."), code="resolved")
    if upheld:
        entry = objection.entry
        _lock_balance(entry.household)
        if not entry.reversals.exists():
            _reverse(actor=actor, entry=entry, reason=response)
    audit.record(
        actor=actor,
        action="objection.resolve",
        obj=objection,
        village=objection.village,
        changes={"state": ("open", state), "response": response},
    )
    return objection


# --- points supermarket --------------------------------------------------------------------


def redeem_suspended(household: Household, day: date | None = None) -> Suspension | None:
    day = day or timezone.localdate()
    return (
        Suspension.objects.filter(household=household, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .first()
    )


@transaction.atomic
def suspension_create(*, actor, household: Household, reason: str, ends_on=None) -> Suspension:
    suspension = Suspension.objects.create(
        village_id=household.village_id,
        household=household,
        reason=reason,
        ends_on=ends_on,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="redeem.suspend",
        obj=suspension,
        village=household.village,
        changes={"until": ends_on},
    )
    return suspension


@transaction.atomic
def redemption_create(
    *,
    actor,
    household: Household,
    item: Item,
    quantity: int = 1,
    at_counter: bool = False,
    acted_for=None,
    submission_key=None,
) -> Redemption:
    """Spend balance on an item: handed over at the counter, or reserved to collect later.

    Refused, with nothing changed, when stock or balance is short or redemption is suspended.
    """
    quantity = int(quantity)
    if quantity < 1:
        raise PointsError(_("Choose at least one."), code="quantity")
    balance = _lock_balance(household)
    if submission_key is not None:
        existing = Redemption.objects.filter(
            household=household, submission_key=submission_key
        ).first()
        if existing is not None:
            return existing
    item = Item.objects.select_for_update().get(pk=item.pk)
    if item.village_id != household.village_id or not item.is_active:
        raise PointsError(_("This item is not on sale in this village."), code="other_village")
    suspension = redeem_suspended(household)
    if suspension is not None:
        raise PointsError(
            _("This household may not redeem points at present: %(reason)s"),
            code="suspended",
            params={"reason": suspension.reason},
        )
    if item.stock < quantity:
        raise PointsError(
            _("Only %(stock)d left in stock."), code="stock", params={"stock": item.stock}
        )
    cost = item.cost * quantity
    if balance.balance < cost:
        raise PointsError(
            _("This needs %(cost)d points; the household has %(balance)d to spend."),
            code="balance",
            params={"cost": cost, "balance": balance.balance},
        )
    now = timezone.now()
    redemption = Redemption.objects.create(
        village_id=household.village_id,
        household=household,
        item=item,
        quantity=quantity,
        points=cost,
        state=Redemption.State.COLLECTED if at_counter else Redemption.State.RESERVED,
        requested_by=actor,
        handed_over_by=actor if at_counter else None,
        collected_at=now if at_counter else None,
        submission_key=submission_key,
        created_at=now,
    )
    Item.objects.filter(pk=item.pk).update(stock=F("stock") - quantity)
    _post(
        household=household,
        kind=LedgerEntry.Kind.REDEMPTION,
        points=-cost,
        reason=f"{item.name} × {quantity}",
        actor=actor,
        acted_for=acted_for,
        redemption=redemption,
    )
    audit.record(
        actor=actor,
        action="redemption.counter" if at_counter else "redemption.reserve",
        obj=redemption,
        village=household.village,
        acted_for=acted_for,
        changes={"item": item.pk, "quantity": quantity, "points": cost},
    )
    return redemption


@transaction.atomic
def redemption_collect(*, actor, redemption: Redemption) -> Redemption:
    updated = Redemption.objects.filter(pk=redemption.pk, state=Redemption.State.RESERVED).update(
        state=Redemption.State.COLLECTED, handed_over_by=actor, collected_at=timezone.now()
    )
    redemption.refresh_from_db()
    if not updated and redemption.state != Redemption.State.COLLECTED:
        raise PointsError(_("This reservation was cancelled."), code="cancelled")
    if updated:
        audit.record(actor=actor, action="redemption.collect", obj=redemption)
    return redemption


@transaction.atomic
def redemption_cancel(*, actor, redemption: Redemption, reason: str = "") -> Redemption:
    """Cancel a reservation: the points come back (a reversal entry) and so does the stock."""
    _lock_balance(redemption.household)
    updated = Redemption.objects.filter(pk=redemption.pk, state=Redemption.State.RESERVED).update(
        state=Redemption.State.CANCELLED
    )
    redemption.refresh_from_db()
    if not updated:
        if redemption.state == Redemption.State.CANCELLED:
            return redemption
        raise PointsError(_("This item was already collected."), code="collected")
    Item.objects.filter(pk=redemption.item_id).update(stock=F("stock") + redemption.quantity)
    entry = redemption.entries.get(kind=LedgerEntry.Kind.REDEMPTION)
    _reverse(actor=actor, entry=entry, reason=reason or str(_("reservation cancelled")))
    audit.record(actor=actor, action="redemption.cancel", obj=redemption)
    return redemption


# --- rankings ------------------------------------------------------------------------------


def rankings_schedule(*, village_id: int) -> None:
    """Ask for a recompute after this transaction commits, at most one pending per village.

    The request is an outbox row written in this transaction, so a broker outage delays the
    recompute (the sweep runs it) but never loses it or fails the request.
    """
    outbox.enqueue(
        "points.tasks.recompute_village_rankings",
        args=[village_id],
        key=f"points.rankings:{village_id}",
        countdown=RECOMPUTE_DELAY_SECONDS,
    )


def _today_start() -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))


def _recompute(village_id: int | None, period: str, year: int | None, now) -> int:
    """Set-based: one INSERT … SELECT of a snapshot per village, its ranks computed by
    RANK() OVER (PARTITION BY village …) and folded into the snapshot's ``standings`` column
    (its formats: ``RankingSnapshot``).

    Only inserts: a day's earlier snapshots are pruned by ``rankings_prune``.
    """
    # Raw SQL: times go to the database the way Django stores them (UTC text on SQLite).
    today = connection.ops.adapt_datetimefield_value(_today_start())
    now = connection.ops.adapt_datetimefield_value(now)
    if village_id is None:
        where = "h.village_id IN (SELECT id FROM villageaffairs_village WHERE is_active = %s)"
        where_params = [True]
    else:
        where, where_params = "h.village_id = %s", [village_id]
    same_year = "p.year IS NULL" if year is None else "p.year = %s"
    year_params = [] if year is None else [year]
    if period == RankingSnapshot.Period.ALL:
        score_join = "LEFT JOIN points_balance b ON b.household_id = h.id"
        join_params = []
    else:
        score_join = "LEFT JOIN points_yearscore b ON b.household_id = h.id AND b.year = %s"
        join_params = [year]
    postgres = connection.vendor == "postgresql"
    if postgres:
        # Best first, without the rank (RankingSnapshot reads it from the order): converting
        # and concatenating a third number per household was a third of the statement.
        fold = "STRING_AGG(r.household_id || ':' || r.score, ',' ORDER BY r.score DESC)"
    else:
        # SQLite's GROUP_CONCAT has no ORDER BY before 3.44: keep the rank in each entry.
        fold = "GROUP_CONCAT(r.household_id || ':' || r.rank || ':' || r.score, ',')"
    with connection.cursor() as cursor:
        if postgres:
            # One sort of every household by village and score: keep it in memory.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # The correlated previous-snapshot subquery inflates the estimated cost far past
            # the JIT thresholds, and compiling with inlining and optimisation then took about
            # 0.3 s a statement at 250,000 households, more than it saves on this simple work.
            cursor.execute("SET LOCAL jit = off")
        # The previous snapshot is the village's last one before today: arrows show the
        # movement since yesterday.
        cursor.execute(
            f"""
            INSERT INTO points_rankingsnapshot
                (village_id, period, year, computed_at, households_ranked, previous_id,
                 standings)
            SELECT r.village_id, %s, %s, %s, COUNT(*),
                   (SELECT MAX(p.id) FROM points_rankingsnapshot p
                    WHERE p.village_id = r.village_id AND p.period = %s AND {same_year}
                      AND p.computed_at < %s),
                   {fold}
            FROM (
                SELECT h.village_id, h.id AS household_id, COALESCE(b.score, 0) AS score,
                       RANK() OVER (
                           PARTITION BY h.village_id ORDER BY COALESCE(b.score, 0) DESC
                       ) AS rank
                FROM villageaffairs_household h {score_join}
                WHERE {where}
            ) r
            GROUP BY r.village_id
            """,  # noqa: S608 - only fixed fragments are formatted in
            [period, year, now, period, *year_params, today, *join_params, *where_params],
        )
        return cursor.rowcount


@transaction.atomic
def rankings_prune(*, village_id: int | None = None) -> int:
    """Keep one snapshot per village, period and local day (the day's last), so the history
    stays daily. Returns the number of snapshots removed; running it twice removes nothing more.
    """
    day = TruncDate("computed_at")  # in the current time zone (Asia/Shanghai)
    later = (
        RankingSnapshot.objects.annotate(day=day)
        .filter(village_id=OuterRef("village_id"), period=OuterRef("period"), day=OuterRef("day"))
        .filter(
            Q(computed_at__gt=OuterRef("computed_at"))
            | Q(computed_at=OuterRef("computed_at"), pk__gt=OuterRef("pk"))
        )
    )
    stale = RankingSnapshot.objects.annotate(day=day).filter(Exists(later))
    if village_id is not None:
        stale = stale.filter(village_id=village_id)
    removed, _by_model = stale.delete()
    return removed


@transaction.atomic
def rankings_recompute(*, village_id: int | None = None) -> int:
    """Recompute the all-time and this year's rankings of one village (or of all villages).

    Returns the number of snapshots written. Computed in the database with a window function.
    """
    now = timezone.now()
    year = timezone.localdate(now).year
    written = _recompute(village_id, RankingSnapshot.Period.ALL, None, now)
    written += _recompute(village_id, RankingSnapshot.Period.YEAR, year, now)
    return written


# -- courtyard sign prints ------------------------------------------------------------------

SIGN_PRINT_TASK = "points.tasks.print_signs"


def _sign_print_enqueue(job: SignPrint) -> None:
    outbox.enqueue(SIGN_PRINT_TASK, args=[job.pk], key=f"points.signprint:{job.pk}")


@transaction.atomic
def sign_print_request(*, actor, village: Village, figures: bool, household_ids=None) -> SignPrint:
    """Ask a worker to print a village's signs (``household_ids``: a selection; None for the
    whole village). The job and its outbox row are written together, so a broker outage
    delays the print but never loses it. Raises printing.PrintAddressError, and writes
    nothing, when the QR codes would carry an address that is not public."""
    printing.site_url()
    ids = sorted(
        Household.objects.filter(village=village, pk__in=household_ids).values_list("pk", flat=True)
        if household_ids is not None
        else []
    )
    if household_ids is not None and not ids:
        raise PointsError(_("None of the selected signs is in this village."))
    job = SignPrint.objects.create(
        village=village, requested_by=actor, figures=figures, household_ids=ids
    )
    audit.record(
        actor=actor,
        action="signprint.request",
        obj=job,
        changes={"figures": figures, "signs": len(ids) or "village"},
    )
    _sign_print_enqueue(job)
    return job


@transaction.atomic
def sign_print_retry(*, actor, job: SignPrint) -> SignPrint:
    """Queue a failed print again."""
    printing.site_url()
    if not SignPrint.objects.filter(pk=job.pk, state=SignPrint.State.FAILED).update(
        state=SignPrint.State.QUEUED, done=0, error="", finished_at=None
    ):
        raise PointsError(_("Only a failed print can be tried again."))
    audit.record(actor=actor, action="signprint.retry", obj=job)
    _sign_print_enqueue(job)
    job.refresh_from_db()
    return job


def sign_print_run(*, job_id: int) -> bool:
    """Render a queued print (the worker's side; safe to run twice). A done or failed job is
    left as it is; a job left running by a killed worker is rendered again from the start,
    into the same file name, so a job never has more than one file. True if it printed."""
    from points import selectors, signs

    claimed = SignPrint.objects.filter(
        pk=job_id, state__in=[SignPrint.State.QUEUED, SignPrint.State.RUNNING]
    ).update(state=SignPrint.State.RUNNING, done=0)
    if not claimed:
        return False
    job = SignPrint.objects.select_related("village").get(pk=job_id)
    households = (
        Household.objects.filter(village_id=job.village_id)
        .select_related("village")
        .only("pk", "code", "name", "house_number", "village__name")
        .order_by("house_number", "pk")
    )
    if job.household_ids:
        households = households.filter(pk__in=job.household_ids)
    households = list(households)
    SignPrint.objects.filter(pk=job.pk).update(total=len(households))

    def progress(done: int) -> None:
        SignPrint.objects.filter(pk=job.pk).update(done=min(done, len(households)))

    try:
        table, as_of = selectors.sign_figures(job.village_id) if job.figures else (None, None)
        pdf = signs.signs_pdf(
            households, figures=table, as_of=as_of, progress=progress, title=str(job.village)
        )
    except printing.PrintAddressError as exc:
        SignPrint.objects.filter(pk=job.pk).update(
            state=SignPrint.State.FAILED, error=str(exc)[:500], finished_at=timezone.now()
        )
        return False
    storage = job.file.storage
    name = job.file.field.generate_filename(job, "signs.pdf")
    if storage.exists(name):  # a previous run that died after writing its file
        storage.delete(name)
    stored = storage.save(name, ContentFile(pdf))
    SignPrint.objects.filter(pk=job.pk, state=SignPrint.State.RUNNING).update(
        state=SignPrint.State.DONE, file=stored, finished_at=timezone.now()
    )
    return True


def sign_print_fail(*, job_id: int, error: str) -> None:
    """Record that a print could not be made (the task's last resort)."""
    SignPrint.objects.filter(
        pk=job_id, state__in=[SignPrint.State.QUEUED, SignPrint.State.RUNNING]
    ).update(state=SignPrint.State.FAILED, error=error[:500], finished_at=timezone.now())
