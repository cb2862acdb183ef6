"""The points pages: claims with photos, cadre review, posting and objections, supermarket,
ranking and household pages (query counts constant in the village's size), the admin."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from points import selectors, services
from points.models import Balance, Claim, EvidencePhoto, LedgerEntry, Objection, Redemption
from tests.factories import HouseholdFactory
from tests.points.factories import ItemFactory, RuleFactory, jpeg_upload
from villageaffairs.models import AuditEntry, Household


def _household(user, village):
    return Household.objects.get(village=village, residents__user=user)


@pytest.fixture
def rule(people):
    return RuleFactory(village=people.here, points=8, text="帮助邻居")


def _claim_post(client, people, rule, photos, key="6f1c8f52-7a8e-4a3a-9d7b-1f2e3d4c5b6a"):
    return client.post(
        reverse("points:claims", args=[people.here.slug]),
        {"rule": rule.pk, "note": "帮邻居收稻子", "photos": photos, "submission_key": key},
    )


def test_villager_claims_with_a_photo_stripped_of_gps(client, people, rule):
    from PIL.ExifTags import IFD, Base

    exif = Image.Exif()
    exif[Base.Make] = "PhoneCo"
    exif.get_ifd(IFD.GPSInfo)[2] = (30, 5, 0)
    client.force_login(people.villager_here)
    response = _claim_post(client, people, rule, [jpeg_upload(exif=exif.tobytes())])
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.household == _household(people.villager_here, people.here)
    photo = EvidencePhoto.objects.get(claim=claim)
    with Image.open(photo.image.path) as stored:
        assert not stored.getexif()
    assert photo.thumbnail.name


def test_a_double_submitted_claim_form_gives_one_claim(client, people, rule):
    client.force_login(people.villager_here)
    _claim_post(client, people, rule, [])
    _claim_post(client, people, rule, [])
    assert Claim.objects.count() == 1


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg"),
        "huge",
    ],
)
def test_a_bad_photo_is_refused_and_nothing_is_stored(client, people, rule, upload):
    if upload == "huge":
        out = io.BytesIO()
        Image.new("L", (5000, 10), 0).save(out, format="PNG")
        upload = SimpleUploadedFile("huge.png", out.getvalue(), content_type="image/png")
    client.force_login(people.villager_here)
    response = _claim_post(client, people, rule, [upload])
    assert response.status_code == 400
    assert response.context["form"].errors["photos"]
    assert not Claim.objects.exists() and not EvidencePhoto.objects.exists()


def test_a_rule_of_another_village_cannot_be_chosen(client, people):
    foreign = RuleFactory(village=people.elsewhere)
    client.force_login(people.villager_here)
    response = _claim_post(client, people, foreign, [])
    assert response.status_code == 400 and "rule" in response.context["form"].errors
    assert not Claim.objects.exists()


def test_villager_withdraws_own_claim_only(client, people, rule):
    household = _household(people.villager_here, people.here)
    claim = services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    client.force_login(people.cadre_here)  # another household of the village
    url = reverse("points:claim_withdraw", args=[people.here.slug, claim.pk])
    assert client.post(url).status_code == 404
    client.force_login(people.villager_here)
    assert client.post(url).status_code == 302
    claim.refresh_from_db()
    assert claim.state == Claim.State.WITHDRAWN


def test_cadre_review_page_approves_and_rejects(client, people, rule):
    household = _household(people.villager_here, people.here)
    first = services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    second = services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    client.force_login(people.cadre_here)
    page = client.get(reverse("points:review", args=[people.here.slug]))
    assert "帮助邻居" in page.content.decode()
    decide = reverse("points:review_decide", args=[people.here.slug, first.pk])
    client.post(decide, {"decision": "approve"})
    client.post(decide, {"decision": "approve"})  # a double click
    reject = reverse("points:review_decide", args=[people.here.slug, second.pk])
    response = client.post(reject, {"decision": "reject", "reason": ""}, follow=True)
    assert Claim.objects.get(pk=second.pk).state == Claim.State.SUBMITTED
    assert response.context["messages"]
    client.post(reject, {"decision": "reject", "reason": "重复申报"})
    assert LedgerEntry.objects.filter(claim=first).count() == 1
    assert Claim.objects.get(pk=second.pk).state == Claim.State.REJECTED
    assert AuditEntry.objects.filter(action__in=["claim.approve", "claim.reject"]).count() == 2


def test_a_cadre_of_another_village_cannot_decide(client, people, rule):
    household = _household(people.villager_here, people.here)
    claim = services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    client.force_login(people.cadre_elsewhere)
    url = reverse("points:review_decide", args=[people.elsewhere.slug, claim.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 404
    assert Claim.objects.get().state == Claim.State.SUBMITTED


def test_cadre_awards_directly_by_house_number(client, people, rule):
    household = _household(people.villager_here, people.here)
    client.force_login(people.cadre_here)
    url = reverse("points:award", args=[people.here.slug])
    response = client.post(
        url,
        {
            "house_number": household.house_number,
            "points": "-5",
            "reason": "垃圾未入桶",
            "confirmed_household": household.pk,  # the household confirmed (test_deduction.py)
            "confirm": "on",
            "submission_key": "6f1c8f52-7a8e-4a3a-9d7b-1f2e3d4c5b6b",
            "photos": [jpeg_upload()],
        },
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.points, entry.household) == ("deduction", -5, household)
    assert entry.photos.count() == 1
    response = client.post(url, {"house_number": "nope", "points": "5", "reason": "x"})
    assert response.status_code == 400 and LedgerEntry.objects.count() == 1


def test_posting_and_objection_flow(client, people):
    target = HouseholdFactory(village=people.here)
    entry = services.award_direct(
        actor=people.cadre_here, household=target, points=20, reason="建议"
    )
    page = client.get(reverse("points:posting", args=[people.here.slug])).content.decode()
    assert "建议" in page and "+20" in page
    client.force_login(people.villager_here)
    url = reverse("points:objection_new", args=[people.here.slug, entry.pk])
    client.post(url, {"text": "不是他提的"})
    objection = Objection.objects.get()
    client.force_login(people.cadre_here)
    resolve = reverse("points:objection_resolve", args=[people.here.slug, objection.pk])
    client.post(resolve, {"upheld": "1", "response": "核实撤销"})
    assert Balance.objects.get(household=target).score == 0
    assert LedgerEntry.objects.get(reverses=entry).points == -20


def test_shop_reserve_and_counter(client, people):
    household = _household(people.villager_here, people.here)
    services.award_direct(actor=people.cadre_here, household=household, points=25, reason="x")
    item = ItemFactory(village=people.here, cost=10, stock=3, name="食用油")
    client.force_login(people.villager_here)
    page = client.get(reverse("points:shop", args=[people.here.slug])).content.decode()
    assert "食用油" in page and "25" in page
    reserve = reverse("points:shop_reserve", args=[people.here.slug, item.pk])
    client.post(reserve, {"quantity": 1, "submission_key": "6f1c8f52-7a8e-4a3a-9d7b-1f2e3d4c5b6c"})
    client.post(reserve, {"quantity": 1, "submission_key": "6f1c8f52-7a8e-4a3a-9d7b-1f2e3d4c5b6c"})
    assert Redemption.objects.count() == 1
    response = client.post(
        reserve,
        {"quantity": 2, "submission_key": "6f1c8f52-7a8e-4a3a-9d7b-1f2e3d4c5b6d"},
        follow=True,
    )
    assert "需要" in response.content.decode() or "needs" in response.content.decode()
    assert Balance.objects.get(household=household).balance == 15
    client.force_login(people.cadre_here)
    reservation = Redemption.objects.get()
    client.post(
        reverse("points:counter_reservation", args=[people.here.slug, reservation.pk]),
        {"action": "collect"},
    )
    assert Redemption.objects.get().state == Redemption.State.COLLECTED
    client.post(
        reverse("points:counter", args=[people.here.slug]),
        {
            "house_number": household.house_number,
            "item": item.pk,
            "quantity": 1,
            "submission_key": "6f1c8f52-7a8e-4a3a-9d7b-1f2e3d4c5b6e",
        },
    )
    assert Balance.objects.get(household=household).balance == 5
    assert Balance.objects.get(household=household).score == 25


def _village_of(size, people, village):
    households = HouseholdFactory.create_batch(size, village=village)
    for i, household in enumerate(households[:10]):
        services.award_direct(actor=None, household=household, points=i + 1, reason="x")
    services.rankings_recompute(village_id=village.pk)
    return households


@pytest.mark.parametrize("size", [5, 60])
def test_ranking_page_queries_do_not_grow(client, people, size, django_assert_max_num_queries):
    _village_of(size, people, people.here)
    client.force_login(people.villager_here)
    url = reverse("points:ranking", args=[people.here.slug])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="pts-mine"' in body or "pts-mine-line" in body
    with django_assert_max_num_queries(12):
        assert client.get(url + "?period=year&q=0&page=2").status_code == 200


@pytest.mark.parametrize("size", [5, 60])
def test_household_page_queries_do_not_grow(client, people, size, django_assert_num_queries):
    households = _village_of(size, people, people.here)
    for _ in range(size // 5):
        services.award_direct(actor=None, household=households[0], points=1, reason="y")
    url = reverse("household_public", args=[households[0].code])
    # Cold: the household with its keys, the snapshots, the entries (the ranking was computed
    # once, so there is no previous snapshot to read).
    with django_assert_num_queries(3):
        client.get(url)
    with django_assert_num_queries(1):  # warm: the household with its keys, the figures cached
        response = client.get(url)
    standing = selectors.household_standing(households[0])
    assert f">{standing.score}<" in response.content.decode()


def test_ranking_highlights_and_searches(client, people):
    a = HouseholdFactory(village=people.here, name="谢启富", house_number="017")
    HouseholdFactory(village=people.here, name="文培力", house_number="058")
    services.award_direct(actor=None, household=a, points=483, reason="x")
    services.rankings_recompute(village_id=people.here.pk)
    url = reverse("points:ranking", args=[people.here.slug])
    body = client.get(url + "?q=谢启").content.decode()
    assert "谢启富" in body and "文培力" not in body
    body = client.get(url + "?q=058").content.decode()
    assert "文培力" in body


def test_household_page_shows_score_rank_and_stars(client, people):
    household = HouseholdFactory(village=people.here, name="谢启富")
    services.award_direct(actor=None, household=household, points=483, reason="参军")
    services.rankings_recompute(village_id=people.here.pk)
    body = client.get(reverse("household_public", args=[household.code])).content.decode()
    assert "483" in body and "★★★★★" in body
    assert "第 1 名" in body or "No. 1" in body


def test_admin_bulk_approves_pending_claims_in_own_village_only(client, people, rule):
    household = _household(people.villager_here, people.here)
    claims = [
        services.claim_submit(actor=people.villager_here, household=household, rule=rule)
        for _ in range(3)
    ]
    foreign_rule = RuleFactory(village=people.elsewhere)
    foreign = services.claim_submit(
        actor=people.villager_elsewhere,
        household=_household(people.villager_elsewhere, people.elsewhere),
        rule=foreign_rule,
    )
    client.force_login(people.cadre_here)
    changelist = client.get(reverse("admin:points_claim_changelist"))
    assert changelist.status_code == 200
    assert str(foreign.rule.text) not in changelist.content.decode()
    response = client.post(
        reverse("admin:points_claim_changelist"),
        {
            "action": "approve_selected",
            "_selected_action": [c.pk for c in claims] + [foreign.pk],
            "reason": "",
        },
    )
    assert response.status_code == 302
    assert Claim.objects.filter(state=Claim.State.APPROVED).count() == 3
    assert Claim.objects.get(pk=foreign.pk).state == Claim.State.SUBMITTED
    assert Balance.objects.get(household=household).score == 24


def test_admin_bulk_reject_needs_a_reason(client, people, rule):
    household = _household(people.villager_here, people.here)
    claim = services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    client.force_login(people.cadre_here)
    url = reverse("admin:points_claim_changelist")
    client.post(url, {"action": "reject_selected", "_selected_action": [claim.pk], "reason": ""})
    assert Claim.objects.get().state == Claim.State.SUBMITTED
    client.post(url, {"action": "reject_selected", "_selected_action": [claim.pk], "reason": "无"})
    assert Claim.objects.get().state == Claim.State.REJECTED


def test_admin_rule_edit_keeps_history(client, people, rule):
    client.force_login(people.cadre_here)
    url = reverse("admin:points_rule_change", args=[rule.pk])
    response = client.post(
        url,
        {
            "village": people.here.pk,
            "category": rule.category,
            "text": rule.text,
            "points": 10,
            "limit_period": "year",
            "in_force_from": rule.in_force_from.isoformat(),
            "position": 0,
            "note": "村民代表会议通过",
            "revisions-TOTAL_FORMS": 0,
            "revisions-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    revision = rule.revisions.get()
    assert revision.changes == {"points": [8, 10]} and revision.note == "村民代表会议通过"
    body = client.get(reverse("points:rules", args=[people.here.slug])).content.decode()
    assert "村民代表会议通过" in body


def test_a_claim_costs_a_fixed_number_of_queries(
    client, people, rule, django_assert_max_num_queries
):
    # The evening's writes are a quarter of the load's work: the village is read once (not
    # again for the audit entry), the balance row is locked in one query when it exists.
    client.force_login(people.villager_here)
    _claim_post(client, people, rule, [], key="0d9c6e1a-5b7f-4c3e-8a2d-9e1f0a3b4c5d")
    # session, user, village, rights, household, rule, (savepoint), lock, resubmission, limit,
    # claim, audit entry
    with django_assert_max_num_queries(12):
        response = _claim_post(client, people, rule, [])
    assert response.status_code == 302 and Claim.objects.count() == 2
