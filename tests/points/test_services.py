"""The points services: claims, direct awards, reversals, objections, supermarket, rules."""

import datetime
import uuid

import pytest
from django.db.models import Sum
from django.utils import timezone

from points import selectors, services
from points.models import Balance, Claim, LedgerEntry, Objection, Redemption, Rule, YearScore
from points.services import PointsError
from tests.factories import HouseholdFactory, member
from tests.points.factories import ItemFactory, RuleFactory
from villageaffairs.images import clean_image
from villageaffairs.models import AuditEntry, Household, Role

from .factories import jpeg_upload


def _sums(household):
    entries = LedgerEntry.objects.filter(household=household)
    return (
        entries.filter(in_score=True).aggregate(s=Sum("points"))["s"] or 0,
        entries.aggregate(s=Sum("points"))["s"] or 0,
    )


def _household(user, village):
    return Household.objects.get(village=village, residents__user=user)


@pytest.fixture
def setup(people):
    household = _household(people.villager_here, people.here)
    rule = RuleFactory(village=people.here, points=8)
    return people, household, rule


def test_approving_a_claim_posts_one_award_and_moves_both_figures(setup):
    people, household, rule = setup
    claim = services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    entry = services.claim_approve(actor=people.cadre_here, claim=claim)
    again = services.claim_approve(actor=people.cadre_here, claim=claim)
    assert again.pk == entry.pk
    assert LedgerEntry.objects.filter(claim=claim).count() == 1
    balance = Balance.objects.get(household=household)
    assert (balance.score, balance.balance) == (8, 8)
    assert entry.kind == LedgerEntry.Kind.AWARD
    assert entry.posted_until > timezone.now()
    assert YearScore.objects.get(household=household).score == 8
    assert AuditEntry.objects.filter(action="claim.approve", object_id=str(claim.pk)).exists()


def test_a_rejected_claim_needs_a_reason_and_cannot_then_be_approved(setup):
    people, household, rule = setup
    claim = services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    with pytest.raises(PointsError):
        services.claim_reject(actor=people.cadre_here, claim=claim, reason="  ")
    services.claim_reject(actor=people.cadre_here, claim=claim, reason="没有证明")
    with pytest.raises(PointsError):
        services.claim_approve(actor=people.cadre_here, claim=claim)
    assert not LedgerEntry.objects.filter(household=household).exists()
    claim.refresh_from_db()
    assert claim.state == Claim.State.REJECTED and claim.decision_reason == "没有证明"


def test_a_withdrawn_claim_cannot_be_approved(setup):
    people, household, rule = setup
    claim = services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    services.claim_withdraw(actor=people.villager_here, claim=claim)
    with pytest.raises(PointsError):
        services.claim_approve(actor=people.cadre_here, claim=claim)
    assert not LedgerEntry.objects.exists()


def test_a_rule_of_another_village_is_refused(setup):
    people, household, _ = setup
    foreign = RuleFactory(village=people.elsewhere)
    with pytest.raises(PointsError) as err:
        services.claim_submit(actor=people.villager_here, household=household, rule=foreign)
    assert err.value.code == "other_village"
    assert not Claim.objects.exists()


def test_a_rule_out_of_force_is_refused(setup):
    people, household, _ = setup
    old = RuleFactory(
        village=people.here,
        in_force_from=datetime.date(2020, 1, 1),
        in_force_to=datetime.date(2020, 12, 31),
    )
    with pytest.raises(PointsError) as err:
        services.claim_submit(actor=people.villager_here, household=household, rule=old)
    assert err.value.code == "not_in_force"
    assert not Claim.objects.exists()


def test_a_claim_over_the_rules_limit_is_refused(setup):
    people, household, _ = setup
    rule = RuleFactory(village=people.here, limit_count=2, limit_period=Rule.Period.YEAR)
    services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    with pytest.raises(PointsError) as err:
        services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    assert err.value.code == "over_limit"
    assert Claim.objects.filter(household=household).count() == 2


def test_a_double_submitted_form_gives_one_claim(setup):
    people, household, rule = setup
    key = uuid.uuid4()
    first = services.claim_submit(
        actor=people.villager_here, household=household, rule=rule, submission_key=key
    )
    second = services.claim_submit(
        actor=people.villager_here, household=household, rule=rule, submission_key=key
    )
    assert first.pk == second.pk
    assert Claim.objects.count() == 1


def test_evidence_is_required_when_the_rule_says_so(setup):
    people, household, _ = setup
    rule = RuleFactory(village=people.here, evidence_required=True)
    with pytest.raises(PointsError):
        services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    claim = services.claim_submit(
        actor=people.villager_here,
        household=household,
        rule=rule,
        photos=[clean_image(jpeg_upload())],
    )
    photo = claim.photos.get()
    assert photo.thumbnail.name and photo.image.name.endswith(".jpg")


def test_direct_award_and_deduction_and_reversal(setup):
    people, household, _ = setup
    services.award_direct(actor=people.cadre_here, household=household, points=100, reason="参军")
    fight = services.award_direct(
        actor=people.cadre_here, household=household, points=-50, reason="打架"
    )
    assert fight.kind == LedgerEntry.Kind.DEDUCTION
    services.entry_reverse(actor=people.cadre_here, entry=fight, reason="记错了")
    with pytest.raises(PointsError):
        services.entry_reverse(actor=people.cadre_here, entry=fight, reason="again")
    balance = Balance.objects.get(household=household)
    assert (balance.score, balance.balance) == (100, 100) == _sums(household)


def test_zero_points_or_no_reason_is_refused(setup):
    people, household, _ = setup
    with pytest.raises(PointsError):
        services.award_direct(actor=people.cadre_here, household=household, points=0, reason="x")
    with pytest.raises(PointsError):
        services.award_direct(actor=people.cadre_here, household=household, points=5, reason="")
    assert not LedgerEntry.objects.exists()


def test_ledger_has_no_update_or_delete_path(setup):
    people, household, _ = setup
    entry = services.award_direct(
        actor=people.cadre_here, household=household, points=5, reason="巡逻"
    )
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).update(points=500)
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.get(pk=entry.pk).points == 5


def test_an_upheld_objection_is_corrected_by_a_reversal(setup):
    people, household, _ = setup
    neighbour = _household(people.cadre_here, people.here)
    entry = services.award_direct(
        actor=people.cadre_here, household=neighbour, points=20, reason="建议被采纳"
    )
    objection = services.objection_raise(
        actor=people.villager_here, entry=entry, text="这条建议是别人提的"
    )
    services.objection_resolve(
        actor=people.cadre_here, objection=objection, upheld=True, response="核实后撤销"
    )
    assert Objection.objects.get().state == Objection.State.UPHELD
    reversal = LedgerEntry.objects.get(reverses=entry)
    assert reversal.points == -20
    assert Balance.objects.get(household=neighbour).score == 0
    with pytest.raises(PointsError):
        services.objection_resolve(
            actor=people.cadre_here, objection=objection, upheld=True, response="again"
        )
    assert LedgerEntry.objects.filter(reverses=entry).count() == 1


def test_a_dismissed_objection_changes_no_points(setup):
    people, household, _ = setup
    entry = services.award_direct(
        actor=people.cadre_here, household=household, points=10, reason="巡逻"
    )
    objection = services.objection_raise(actor=people.cadre_here, entry=entry, text="不对")
    services.objection_resolve(
        actor=people.cadre_here, objection=objection, upheld=False, response="属实"
    )
    assert Balance.objects.get(household=household).score == 10
    assert not LedgerEntry.objects.filter(reverses=entry).exists()


def test_no_objection_after_the_posting_period(setup, settings):
    people, household, _ = setup
    entry = services.award_direct(
        actor=people.cadre_here, household=household, points=10, reason="巡逻"
    )
    later = timezone.now() + datetime.timedelta(days=4)
    from unittest import mock

    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        pytest.raises(PointsError),
    ):
        services.objection_raise(actor=people.villager_here, entry=entry, text="不对")
    assert not Objection.objects.exists()


def test_redemption_spends_balance_never_score(setup):
    people, household, _ = setup
    services.award_direct(actor=people.cadre_here, household=household, points=30, reason="巡逻")
    item = ItemFactory(village=people.here, cost=12, stock=3)
    services.redemption_create(
        actor=people.cadre_here, household=household, item=item, quantity=2, at_counter=True
    )
    balance = Balance.objects.get(household=household)
    assert (balance.score, balance.balance) == (30, 6)
    item.refresh_from_db()
    assert item.stock == 1
    assert selectors.household_standing(household).score == 30


@pytest.mark.parametrize(
    ("cost", "stock", "suspend", "code"),
    [(40, 5, False, "balance"), (5, 0, False, "stock"), (5, 5, True, "suspended")],
)
def test_a_short_balance_or_stock_or_a_suspension_refuses_and_changes_nothing(
    setup, cost, stock, suspend, code
):
    people, household, _ = setup
    services.award_direct(actor=people.cadre_here, household=household, points=30, reason="巡逻")
    if suspend:
        services.suspension_create(actor=people.cadre_here, household=household, reason="打架")
    item = ItemFactory(village=people.here, cost=cost, stock=stock)
    with pytest.raises(PointsError) as err:
        services.redemption_create(actor=people.villager_here, household=household, item=item)
    assert err.value.code == code
    assert Balance.objects.get(household=household).balance == 30
    item.refresh_from_db()
    assert item.stock == stock
    assert not Redemption.objects.exists()


def test_a_reservation_cancelled_gives_points_and_stock_back(setup):
    people, household, _ = setup
    services.award_direct(actor=people.cadre_here, household=household, points=30, reason="巡逻")
    item = ItemFactory(village=people.here, cost=10, stock=2)
    reservation = services.redemption_create(
        actor=people.villager_here, household=household, item=item
    )
    assert reservation.state == Redemption.State.RESERVED
    assert Balance.objects.get(household=household).balance == 20
    services.redemption_cancel(actor=people.cadre_here, redemption=reservation)
    item.refresh_from_db()
    assert item.stock == 2
    balance = Balance.objects.get(household=household)
    assert (balance.score, balance.balance) == (30, 30) == _sums(household)


def test_a_reservation_is_collected_once(setup):
    people, household, _ = setup
    services.award_direct(actor=people.cadre_here, household=household, points=30, reason="巡逻")
    item = ItemFactory(village=people.here, cost=10, stock=2)
    reservation = services.redemption_create(
        actor=people.villager_here, household=household, item=item
    )
    services.redemption_collect(actor=people.cadre_here, redemption=reservation)
    services.redemption_collect(actor=people.cadre_here, redemption=reservation)
    with pytest.raises(PointsError):
        services.redemption_cancel(actor=people.cadre_here, redemption=reservation)
    assert Balance.objects.get(household=household).balance == 20


def test_an_item_of_another_village_cannot_be_redeemed(setup):
    people, household, _ = setup
    services.award_direct(actor=people.cadre_here, household=household, points=30, reason="巡逻")
    item = ItemFactory(village=people.elsewhere, cost=1)
    with pytest.raises(PointsError):
        services.redemption_create(actor=people.villager_here, household=household, item=item)


def test_rules_keep_their_history(people):
    rule = services.rule_create(
        actor=people.cadre_here,
        village=people.here,
        category=Rule.Category.CIVILITY,
        text="婚前不办酒席",
        points=0,
    )
    revision = services.rule_update(
        actor=people.cadre_here, rule=rule, note="村民大会修改", points=5, limit_count=1
    )
    assert revision.changes == {"points": [0, 5], "limit_count": [None, 1]}
    assert revision.actor == people.cadre_here
    assert rule.revisions.count() == 2
    rule.refresh_from_db()
    assert rule.points == 5
    with pytest.raises(TypeError):
        services.rule_update(actor=people.cadre_here, rule=rule, village=people.elsewhere)


def test_a_rule_without_points_cannot_be_claimed(people):
    rule = RuleFactory(village=people.here, points=0)
    household = _household(people.villager_here, people.here)
    with pytest.raises(PointsError):
        services.claim_submit(actor=people.villager_here, household=household, rule=rule)


def test_rankings_use_standard_competition_ranking(people):
    village = people.here
    scores = [50, 30, 30, 10]
    households = [HouseholdFactory(village=village) for _ in scores]
    for household, points in zip(households, scores, strict=True):
        services.award_direct(
            actor=people.cadre_here, household=household, points=points, reason="x"
        )
    services.rankings_recompute(village_id=village.pk)
    ranks = [selectors.household_standing(h).rank for h in households]
    assert ranks == [1, 2, 2, 4]
    standing = selectors.household_standing(households[1])
    total = Household.objects.filter(village=village).count()
    assert standing.households_ranked == total
    assert standing.year_rank == 2 and standing.year_score == 30
    # A household without entries ranks after everyone with points.
    others = [h for h in Household.objects.filter(village=village) if h not in households]
    assert all(selectors.household_standing(h).rank == 5 for h in others)


def test_movement_compares_with_the_previous_days_snapshot(people):
    from points.models import RankingSnapshot

    village = people.here
    a, b = HouseholdFactory(village=village), HouseholdFactory(village=village)
    services.award_direct(actor=people.cadre_here, household=a, points=10, reason="x")
    services.rankings_recompute(village_id=village.pk)
    RankingSnapshot.objects.filter(village=village).update(
        computed_at=timezone.now() - datetime.timedelta(days=1)
    )
    services.award_direct(actor=people.cadre_here, household=b, points=20, reason="x")
    services.rankings_recompute(village_id=village.pk)
    services.rankings_recompute(village_id=village.pk)  # same day: compares with yesterday
    assert selectors.household_standing(b).movement == 1
    assert selectors.household_standing(a).movement == -1
    assert RankingSnapshot.objects.filter(village=village, period="all").count() == 3
    # Pruning keeps the day's last snapshot and yesterday's; running it again removes nothing.
    latest = selectors.latest_snapshot(village.pk)
    assert services.rankings_prune(village_id=village.pk) == 2  # one per period
    assert services.rankings_prune() == 0
    kept = RankingSnapshot.objects.filter(village=village, period="all")
    assert kept.count() == 2 and latest in kept
    assert selectors.household_standing(b).movement == 1


def test_star_levels_follow_village_thresholds(people):
    assert selectors.star_level(483) == 5
    assert selectors.star_level(0) == 0
    assert selectors.star_level(250, [10, 20, 300, 400, 500]) == 2


def test_recompute_of_one_village_leaves_others_alone(people):
    a = HouseholdFactory(village=people.here)
    b = HouseholdFactory(village=people.elsewhere)
    services.award_direct(actor=people.cadre_here, household=a, points=5, reason="x")
    services.rankings_recompute(village_id=people.here.pk)
    assert selectors.household_standing(a).rank == 1
    assert selectors.household_standing(b).rank is None
    services.rankings_recompute()
    assert selectors.household_standing(b).rank == 1


def test_ranking_is_queued_once_per_village_after_commit(
    people, django_capture_on_commit_callbacks
):
    from unittest import mock

    from villageaffairs.models import Outbox

    household = _household(people.villager_here, people.here)
    with mock.patch("villageaffairs.tasks.outbox_run.apply_async") as enqueue:
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(3):
                services.award_direct(
                    actor=people.cadre_here, household=household, points=1, reason="x"
                )
        assert enqueue.call_count == 1
    row = Outbox.objects.get(key=f"points.rankings:{people.here.pk}")
    assert enqueue.call_args.args[0] == (row.pk,)
    assert (row.task, row.args, row.done_at) == (
        "points.tasks.recompute_village_rankings",
        [people.here.pk],
        None,
    )


def test_eager_task_recomputes_after_commit(people, django_capture_on_commit_callbacks, settings):
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("a broker is configured; tests/points/test_tasks.py covers the live worker")
    household = _household(people.villager_here, people.here)
    with django_capture_on_commit_callbacks(execute=True):
        services.award_direct(actor=people.cadre_here, household=household, points=7, reason="x")
    assert selectors.household_standing(household).rank == 1


def test_member_role_is_enough_to_claim(people):
    other = member(people.here, Role.VILLAGER)
    household = _household(other, people.here)
    rule = RuleFactory(village=people.here)
    claim = services.claim_submit(actor=other, household=household, rule=rule)
    assert claim.claimant == other


def test_a_rule_adopted_by_a_vote_links_its_topic(client, people):
    from talks.models import Topic

    topic = Topic.objects.create(
        village=people.here,
        author=people.villager_here,
        title="婚前不办酒席",
        text="建议写入村规民约",
        category=Topic.Category.choices[0][0],
    )
    rule = services.rule_create(
        actor=people.cadre_here,
        village=people.here,
        category=Rule.Category.CIVILITY,
        text="婚前不办酒席",
        points=0,
        adopted_by_topic=topic,
    )
    revision = rule.revisions.get()
    assert revision.adopted_by_topic == topic
    body = client.get(f"/v/{people.here.slug}/rules/").content.decode()
    assert f"第 {topic.pk} 号议题" in body or f"topic {topic.pk}" in body
    foreign = Topic.objects.create(
        village=people.elsewhere,
        author=people.villager_elsewhere,
        title="x",
        text="x",
        category=Topic.Category.choices[0][0],
    )
    with pytest.raises(PointsError):
        services.rule_update(actor=None, rule=rule, points=5, adopted_by_topic=foreign)
