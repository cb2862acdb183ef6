"""Assisted entry (issue 13): a cadre or a grid worker acts for a resident, who may have no
account. Every act is audited with both people, shown on the pages that show the thing, can be
disputed (from the inbox, or in person through a cadre), and never for the actor's own
household or another village's resident."""

import uuid

import pytest
from django.urls import reverse

from loans.models import Branch, Consent
from points.models import Claim
from talks.models import Notification, Topic
from tests.factories import HouseholdFactory, ResidentFactory, member
from tests.points.factories import RuleFactory, jpeg_upload
from villageaffairs.models import AssistedAct, AuditEntry, Role


@pytest.fixture
def grid(people):
    """A grid worker of ``here``, an elderly resident without an account, and the villager
    (with an account) of the people fixture."""
    people.grid_worker_here = member(people.here, Role.GRID_WORKER, username="wang")
    people.grid_worker_here.display_name = "王网格"
    people.grid_worker_here.save(update_fields=["display_name"])
    household = HouseholdFactory(village=people.here, house_number="017")
    people.elder = ResidentFactory(household=household, village=people.here, name="李奶奶")
    return people


def _client(client, user):
    client.force_login(user)
    return client


def _topic_form(**extra):
    return {
        "title": "村口路灯坏了",
        "category": Topic.Category.ROADS_WATER,
        "text": "晚上看不见路。",
        "witness": "张三",
        **extra,
    }


def _raise(client, people, resident, **extra):
    url = reverse("talks:assist_topic", args=[people.here.slug, resident.pk])
    return client.post(url, _topic_form(**extra))


def test_grid_worker_raises_a_topic_for_a_resident_without_an_account(client, grid):
    response = _raise(_client(client, grid.grid_worker_here), grid, grid.elder)
    topic = Topic.objects.get()
    assert response.status_code == 302 and response["Location"] == topic.get_absolute_url()
    assert topic.for_resident == grid.elder
    assert topic.entered_by == grid.grid_worker_here
    act = topic.assisted_act
    assert act.resident == grid.elder and act.actor == grid.grid_worker_here
    assert act.actor_role == Role.GRID_WORKER and act.witness == "张三"
    assert act.url == topic.get_absolute_url()
    # Audited: the act and the topic, each naming the actor.
    actions = set(
        AuditEntry.objects.filter(actor=grid.grid_worker_here).values_list("action", flat=True)
    )
    assert {"assist.act", "topic.raise"} <= actions
    raised = AuditEntry.objects.get(action="topic.raise")
    assert raised.changes["for_resident"] == grid.elder.pk


def test_the_topic_page_and_list_say_who_entered_it_for_whom(client, grid):
    _raise(_client(client, grid.grid_worker_here), grid, grid.elder)
    topic = Topic.objects.get()
    client.logout()
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "由网格员 王网格 代 李奶奶 提交" in page
    listing = client.get(reverse("talks:list", args=[grid.here.slug])).content.decode()
    assert "由网格员 王网格 代 李奶奶 提交" in listing


def test_a_cadre_act_says_cadre(client, grid):
    _raise(_client(client, grid.cadre_here), grid, grid.elder)
    page = client.get(Topic.objects.get().get_absolute_url()).content.decode()
    assert "由村干部" in page and "代 李奶奶 提交" in page


def test_the_topic_list_does_not_grow_queries_with_assisted_topics(client, grid):
    _raise(_client(client, grid.grid_worker_here), grid, grid.elder)
    client.logout()
    url = reverse("talks:list", args=[grid.here.slug])
    one = _queries(client, url)
    for title, who in (("第二件", grid.grid_worker_here), ("第三件", grid.cadre_here)):
        _raise(_client(client, who), grid, grid.elder, title=title)
    client.logout()
    assert _queries(client, url) == one


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_no_evidence_is_a_form_error_and_changes_nothing(client, grid):
    response = _raise(_client(client, grid.grid_worker_here), grid, grid.elder, witness="")
    assert response.status_code == 400
    assert "signature" in response.content.decode()
    assert not Topic.objects.exists() and not AssistedAct.objects.exists()


def test_a_signature_photo_is_enough_and_stays_private(client, grid):
    url = reverse("talks:assist_topic", args=[grid.here.slug, grid.elder.pk])
    form = _topic_form(witness="")
    form["signature"] = jpeg_upload("签字.jpg")
    response = _client(client, grid.grid_worker_here).post(url, form)
    assert response.status_code == 302
    act = AssistedAct.objects.get()
    assert act.signature.name.startswith("private/villageaffairs/")
    assert "签字" not in act.signature.name  # renamed
    signature = reverse("assist_signature", args=[grid.here.slug, act.pk])
    assert client.get(signature).status_code == 200
    client.force_login(grid.villager_here)  # not for them
    assert client.get(signature).status_code == 404


def test_a_grid_worker_cannot_act_for_their_own_household(client, grid):
    own = ResidentFactory(
        household=grid.grid_worker_here.resident.household, village=grid.here, name="王家老人"
    )
    client = _client(client, grid.grid_worker_here)
    page = client.get(reverse("assist_resident", args=[grid.here.slug, own.pk]))
    assert "您不能为自己家代办" in page.content.decode()
    response = _raise(client, grid, own)
    assert response.status_code == 400
    assert "您不能为自己家代办" in response.content.decode()
    assert not Topic.objects.exists()


def test_a_cadre_cannot_act_for_their_own_household(client, grid):
    own = ResidentFactory(
        household=grid.cadre_here.resident.household, village=grid.here, name="干部家人"
    )
    response = _raise(_client(client, grid.cadre_here), grid, own)
    assert response.status_code == 400
    assert not Topic.objects.exists()


def test_acting_for_another_villages_resident_is_not_found(client, grid):
    other = ResidentFactory(household=HouseholdFactory(village=grid.elsewhere), name="外村人")
    client = _client(client, grid.grid_worker_here)
    assert _raise(client, grid, other).status_code == 404
    url = reverse("assist_resident", args=[grid.here.slug, other.pk])
    assert client.get(url).status_code == 404
    assert not Topic.objects.exists()


def test_search_finds_residents_by_name_and_by_house_number(client, grid):
    client = _client(client, grid.grid_worker_here)
    url = reverse("assist", args=[grid.here.slug])
    assert "李奶奶" in client.get(url, {"q": "李奶"}).content.decode()
    assert "李奶奶" in client.get(url, {"q": "17号"}).content.decode()
    ResidentFactory(household=HouseholdFactory(village=grid.elsewhere), name="李奶奶外村")
    assert "李奶奶外村" not in client.get(url, {"q": "李奶"}).content.decode()


def test_the_villager_sees_it_in_the_inbox_and_disputes_it(client, grid):
    resident = grid.villager_here.resident
    _raise(_client(client, grid.grid_worker_here), grid, resident)
    topic = Topic.objects.get()
    assert topic.author == grid.villager_here  # their account is the author
    note = Notification.objects.get(user=grid.villager_here, kind=Notification.Kind.ASSISTED)
    assert "王网格" in note.text
    act = topic.assisted_act
    assert note.url == reverse("assist_act", args=[grid.here.slug, act.pk])
    client.force_login(grid.villager_here)
    assert "不是您要办的事？" in client.get(note.url).content.decode()
    response = client.post(note.url, {"reason": "我没有提这件事"})
    assert response.status_code == 302
    act.refresh_from_db()
    topic.refresh_from_db()
    assert act.disputed_by == grid.villager_here and act.dispute_reason == "我没有提这件事"
    assert topic.status == Topic.Status.WITHDRAWN
    assert AuditEntry.objects.filter(action="assist.dispute", actor=grid.villager_here).exists()
    # The cadres are told; the dispute shows on the act and on the topic.
    assert Notification.objects.filter(user=grid.cadre_here, kind=Notification.Kind.DISPUTED)
    assert "我没有提这件事" in client.get(note.url).content.decode()
    assert "有异议" in client.get(topic.get_absolute_url()).content.decode()


def test_an_empty_dispute_is_refused(client, grid):
    _raise(_client(client, grid.grid_worker_here), grid, grid.villager_here.resident)
    act = AssistedAct.objects.get()
    client.force_login(grid.villager_here)
    response = client.post(reverse("assist_act", args=[grid.here.slug, act.pk]), {"reason": " "})
    assert response.status_code == 400
    act.refresh_from_db()
    assert act.disputed_at is None


def test_a_cadre_records_a_dispute_made_in_person(client, grid):
    _raise(_client(client, grid.grid_worker_here), grid, grid.elder)
    act = AssistedAct.objects.get()
    url = reverse("assist_act", args=[grid.here.slug, act.pk])
    # The grid worker who entered it cannot dispute it for the villager: a cadre does.
    assert client.post(url, {"reason": "不对"}).status_code == 404
    client.force_login(grid.cadre_here)
    assert "登记村民当面提出的异议" in client.get(url).content.decode()
    assert client.post(url, {"reason": "老人说她没有要反映"}).status_code == 302
    act.refresh_from_db()
    assert act.disputed_by == grid.cadre_here
    entry = AuditEntry.objects.get(action="assist.dispute")
    assert entry.changes["in_person"] is True
    assert Topic.objects.get().status == Topic.Status.WITHDRAWN


def test_the_slip_names_what_whom_who_and_when(client, grid):
    _raise(_client(client, grid.grid_worker_here), grid, grid.elder)
    act = AssistedAct.objects.get()
    page = client.get(reverse("assist_slip", args=[grid.here.slug, act.pk])).content.decode()
    for text in ("村口路灯坏了", "李奶奶", "017", "王网格", "张三", "村民签字"):
        assert text in page
    # Printed on A5 by a stylesheet of our own (the CSP would block an inline <style>).
    assert "css/slip" in page and "<style" not in page
    from pathlib import Path

    from django.contrib.staticfiles import finders

    assert "size: A5" in Path(finders.find("css/slip.css")).read_text(encoding="utf-8")


# --- points claims ---------------------------------------------------------------------------


def _claim(client, people, resident, rule, **extra):
    url = reverse("points:assist_claim", args=[people.here.slug, resident.pk])
    data = {"rule": rule.pk, "note": "帮邻居修了水渠", "submission_key": str(uuid.uuid4())}
    return client.post(url, {**data, "witness": "张三", **extra})


def test_grid_worker_claims_points_for_a_household(client, grid):
    rule = RuleFactory(village=grid.here, points=5)
    response = _claim(_client(client, grid.grid_worker_here), grid, grid.elder, rule)
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert claim.household == grid.elder.household and claim.for_resident == grid.elder
    assert claim.claimant == grid.grid_worker_here and claim.state == Claim.State.SUBMITTED
    assert claim.assisted_act.resident == grid.elder
    assert AuditEntry.objects.filter(action="claim.submit", actor=grid.grid_worker_here)
    assert AuditEntry.objects.filter(action="assist.act", changes__kind="points.claim")
    # The cadres' review list says who entered it for whom.
    client.force_login(grid.cadre_here)
    page = client.get(reverse("points:review", args=[grid.here.slug])).content.decode()
    assert "由网格员 王网格 代 李奶奶 提交" in page


def test_the_household_sees_the_assisted_claim_on_its_pages(client, grid):
    rule = RuleFactory(village=grid.here, points=5)
    _claim(_client(client, grid.grid_worker_here), grid, grid.villager_here.resident, rule)
    client.force_login(grid.villager_here)
    line = "由网格员 王网格 代"
    assert line in client.get(reverse("points:claims", args=[grid.here.slug])).content.decode()
    assert line in client.get(reverse("my_household", args=[grid.here.slug])).content.decode()


def test_once_approved_the_points_still_say_who_entered_the_claim(client, grid):
    """The courtyard page, My household and the public posting show the ledger entry of an
    approved assisted claim with the same line, joined into the same queries."""
    from points.services import claim_approve

    household = grid.elder.household
    rule = RuleFactory(village=grid.here, points=5)
    courtyard = reverse("household_public", args=[household.code])
    posting = reverse("points:posting", args=[grid.here.slug])

    def approve_one(note):
        _claim(_client(client, grid.grid_worker_here), grid, grid.elder, rule, note=note)
        claim_approve(actor=grid.cadre_here, claim=Claim.objects.get(note=note))
        client.logout()

    approve_one("修水渠")
    line = "由网格员 王网格 代 李奶奶 提交"
    assert line in client.get(courtyard).content.decode()
    assert line in client.get(posting).content.decode()

    def cold_queries():
        # The courtyard page's figures are a cached fragment: compare renders, not cache hits.
        from django.core.cache import cache

        from villageaffairs.fragments import clear_local

        cache.clear()
        clear_local()
        return _queries(client, courtyard), _queries(client, posting)

    one = cold_queries()
    approve_one("扶老人过河")
    assert cold_queries() == one


def test_a_claim_without_agreement_or_under_a_bad_rule_changes_nothing(client, grid):
    rule = RuleFactory(village=grid.here, points=5)
    client = _client(client, grid.grid_worker_here)
    assert _claim(client, grid, grid.elder, rule, witness="").status_code == 400
    needs_photo = RuleFactory(village=grid.here, points=5, evidence_required=True)
    assert _claim(client, grid, grid.elder, needs_photo).status_code == 400
    assert not Claim.objects.exists() and not AssistedAct.objects.exists()


def test_a_claim_for_the_actors_own_household_is_refused(client, grid):
    rule = RuleFactory(village=grid.here, points=5)
    own = grid.grid_worker_here.resident
    response = _claim(_client(client, grid.grid_worker_here), grid, own, rule)
    assert response.status_code == 400 and not Claim.objects.exists()


def test_a_disputed_claim_that_waits_is_withdrawn(client, grid):
    rule = RuleFactory(village=grid.here, points=5)
    _claim(_client(client, grid.grid_worker_here), grid, grid.villager_here.resident, rule)
    act = AssistedAct.objects.get()
    note = Notification.objects.get(user=grid.villager_here, kind=Notification.Kind.ASSISTED)
    client.force_login(grid.villager_here)
    assert client.post(note.url, {"reason": "不是我家做的"}).status_code == 302
    claim = Claim.objects.get()
    assert claim.state == Claim.State.WITHDRAWN and claim.decision_reason == "不是我家做的"
    assert AuditEntry.objects.filter(action="claim.withdraw", changes__disputed=act.pk)


# --- loan consent ------------------------------------------------------------------------------


def _consent(client, people, resident, **extra):
    branch = Branch.objects.get(name="三水支行")
    url = reverse("loans_village:assist_consent", args=[people.here.slug, resident.pk])
    data = {"branch": branch.pk, "signature": jpeg_upload("同意书.jpg"), **extra}
    return client.post(url, data)


def test_grid_worker_records_a_heads_signed_consent(client, grid):
    head = grid.villager_here.resident
    response = _consent(_client(client, grid.grid_worker_here), grid, head)
    consent = Consent.objects.get()
    assert response.status_code == 302
    assert consent.household == head.household and consent.for_resident == head
    assert consent.granted_by == grid.grid_worker_here and consent.assisted_act.signature
    assert AuditEntry.objects.filter(action="loans.consent.grant", acted_for=grid.villager_here)
    client.force_login(grid.villager_here)
    page = client.get(reverse("loans_village:credit", args=[grid.here.slug])).content.decode()
    assert "由网格员 王网格 代" in page
    # The serving branch's officer sees the full profile, and who recorded the paper consent.
    client.force_login(grid.officer_serving)
    url = reverse("loans:profile", args=[consent.branch_id, head.household.code])
    page = client.get(url + "?purpose=application").content.decode()
    assert "由网格员 王网格 代" in page


def test_a_consent_needs_the_photo_and_the_head(client, grid):
    client = _client(client, grid.grid_worker_here)
    head = grid.villager_here.resident
    assert _consent(client, grid, head, signature="").status_code == 400
    member_not_head = ResidentFactory(household=head.household, village=grid.here)
    assert _consent(client, grid, member_not_head).status_code == 400
    assert not Consent.objects.exists() and not AssistedAct.objects.exists()


def test_a_disputed_consent_ends(client, grid):
    _consent(_client(client, grid.grid_worker_here), grid, grid.villager_here.resident)
    act = AssistedAct.objects.get()
    client.force_login(grid.villager_here)
    url = reverse("assist_act", args=[grid.here.slug, act.pk])
    assert client.post(url, {"reason": "我没签"}).status_code == 302
    assert Consent.objects.get().revoked_at is not None


# --- the role ----------------------------------------------------------------------------------


def test_the_grid_worker_role_assists_but_does_not_manage(people):
    from villageaffairs import services
    from villageaffairs.permissions import village_perms

    user = member(people.here, username="new_grid")
    services.role_assign(
        actor=people.operator, user=user, village=people.here, role=Role.GRID_WORKER
    )
    perms = village_perms(user, people.here)
    assert "village.assist" in perms and "points.claim" in perms
    assert "village.manage" not in perms and "talks.handle" not in perms
    assert "village.assist" in village_perms(people.cadre_here, people.here)
    assert "village.assist" not in village_perms(people.villager_here, people.here)
    assert not village_perms(user, people.elsewhere)
    user.refresh_from_db()
    assert not user.is_staff  # the grid worker does not work in the admin


def test_the_grid_worker_does_not_own_the_matter_they_entered(client, grid):
    from talks import services
    from talks.services import TalksError

    _raise(_client(client, grid.grid_worker_here), grid, grid.elder)
    topic = Topic.objects.get()
    assert topic.author == grid.grid_worker_here  # stands in: the resident has no account
    page = client.get(topic.get_absolute_url()).content.decode()
    assert reverse("talks:withdraw", args=[grid.here.slug, topic.pk]) not in page
    with pytest.raises(TalksError):
        services.topic_withdraw(actor=grid.grid_worker_here, topic=topic)


# --- entrustment on paper ------------------------------------------------------------------


def test_a_grid_worker_records_a_signed_entrustment_as_a_cadre_does(client, grid):
    from talks.models import Entrustment
    from tests.talks.test_entrust import _paper, _url, _vote

    home = grid.villager_here.resident.household
    grandma = ResidentFactory(household=home, village=grid.here, name="奶奶", year_of_birth=1940)
    vote = _vote(grid)
    client = _client(client, grid.grid_worker_here)
    menu = client.get(reverse("assist_resident", args=[grid.here.slug, grandma.pk]))
    assert _url("entrust_paper", vote) in menu.content.decode()
    data = {
        "person_0": "奶奶",
        "proxy_0": grid.villager_here.resident.name,
        "relation": Entrustment.Relation.CHILD,
        "paper": _paper(),
    }
    assert client.post(_url("entrust_paper", vote), data).status_code == 302
    found = Entrustment.objects.get(vote=vote)
    assert found.entry.resident == grandma and found.recorded_by == grid.grid_worker_here
    assert AuditEntry.objects.filter(action="vote.entrust", actor=grid.grid_worker_here)


def test_nobody_records_an_entrustment_for_their_own_household(client, grid):
    from talks.models import Entrustment
    from tests.talks.test_entrust import _paper, _url, _vote

    home = grid.grid_worker_here.resident.household
    ResidentFactory(household=home, village=grid.here, name="王奶奶", year_of_birth=1940)
    vote = _vote(grid)
    data = {
        "person_0": "王奶奶",
        "proxy_0": grid.grid_worker_here.resident.name,
        "relation": Entrustment.Relation.CHILD,
        "paper": _paper(),
    }
    response = _client(client, grid.grid_worker_here).post(_url("entrust_paper", vote), data)
    assert response.status_code == 400
    assert not Entrustment.objects.filter(vote=vote).exists()
