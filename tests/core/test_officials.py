"""Region officials: read-only oversight of the villages under their region, their own page,
and the cadre invitations they send (villageaffairs.officials)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import RegionFactory, UserFactory, VillageFactory, member, pending_join_request
from villageaffairs import officials
from villageaffairs.landing import landing_url
from villageaffairs.models import (
    AuditEntry,
    CadreInvitation,
    JoinRequest,
    Region,
    RegionOfficial,
    Role,
    RoleAssignment,
)
from villageaffairs.permissions import MEMBER, OVERSEE, village_perms
from villageaffairs.sms import LogBackend

PHONE = "+8613800000053"


@pytest.fixture
def towns(db):
    """广汉市 with 三水镇 (友谊村) and 南丰镇 (青林村), and 河津市's 樊村镇 (西前村)."""
    county = RegionFactory(name="广汉市", name_en="Guanghan", level=Region.Level.COUNTY)
    sanshui = RegionFactory(name="三水镇", name_en="Sanshui Town", parent=county)
    nanfeng = RegionFactory(name="南丰镇", name_en="Nanfeng Town", parent=county)
    fancun = RegionFactory(name="樊村镇", name_en="Fancun Town")
    return {
        "county": county,
        "youyi": VillageFactory(slug="youyi", name="友谊村", region=sanshui),
        "qinglin": VillageFactory(slug="qinglin", name="青林村", region=nanfeng),
        "xiqian": VillageFactory(slug="xiqian", name="西前村", region=fancun),
        "sanshui": sanshui,
        "fancun": fancun,
    }


def _official(region, username):
    user = UserFactory(username=username)
    RegionOfficial.objects.create(user=user, region=region, title="镇长")
    return user


@pytest.fixture
def town_official(towns):
    return _official(towns["sanshui"], "sanshui")


@pytest.fixture
def county_official(towns):
    return _official(towns["county"], "guanghan")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


# --- rights ---------------------------------------------------------------------------------


def test_an_official_oversees_the_villages_under_the_region_and_is_no_villager(
    towns, town_official, county_official
):
    perms = village_perms(town_official, towns["youyi"])
    assert OVERSEE in perms and "village.invite" in perms
    assert not perms & MEMBER  # no claim, vote, speech
    assert "village.manage" not in perms
    assert village_perms(town_official, towns["qinglin"]) == frozenset()
    assert village_perms(town_official, towns["xiqian"]) == frozenset()
    assert OVERSEE in village_perms(county_official, towns["youyi"])
    assert OVERSEE in village_perms(county_official, towns["qinglin"])
    assert village_perms(county_official, towns["xiqian"]) == frozenset()


def test_the_rights_cost_one_query_whoever_asks(towns, town_official, django_assert_num_queries):
    cadre = member(towns["youyi"], Role.CADRE)
    for user in (town_official, cadre, UserFactory()):
        with django_assert_num_queries(1):
            village_perms(user, towns["youyi"])
    # A cadre who is also an official of the town keeps the cadre's rights, and gains oversight.
    RegionOfficial.objects.create(user=cadre, region=towns["sanshui"])
    assert {"village.manage", OVERSEE} <= village_perms(cadre, towns["youyi"])


def test_an_official_lands_on_their_page(town_official):
    assert landing_url(town_official) == reverse("officials")


def test_an_official_may_sign_in_with_a_password_and_lands_on_their_page(town_official):
    response = Client().post(reverse("account_login"), {"login": "sanshui", "password": "pw"})
    assert response["Location"] == "/officials/"


# --- read-only pages ------------------------------------------------------------------------


def test_the_work_page_is_read_only_for_an_official(towns, town_official):
    join_request = pending_join_request(towns["youyi"])
    response = _client(town_official).get(reverse("cadre_work", args=["youyi"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="read-only-note"' in html
    assert join_request.name in html
    assert reverse("join_decide", args=["youyi", join_request.pk]) not in html
    assert '<form method="post" action="/v/youyi' not in html


def test_a_post_by_an_official_is_refused_with_the_reason_and_changes_nothing(towns, town_official):
    join_request = pending_join_request(towns["youyi"])
    client = _client(town_official)
    response = client.post(reverse("cadre_work", args=["youyi"]))
    assert response.status_code == 403
    assert "只有本村干部" in response.content.decode() or "read" in response.content.decode()
    # The write page itself is not open to oversight: not found.
    response = client.post(
        reverse("join_decide", args=["youyi", join_request.pk]), {"decision": "confirm"}
    )
    assert response.status_code == 404
    join_request.refresh_from_db()
    assert join_request.state == JoinRequest.State.PENDING


def test_the_register_hides_the_import_for_an_official(towns, town_official):
    html = _client(town_official).get(reverse("household_register", args=["youyi"]))
    assert reverse("household_import", args=["youyi"]) not in html.content.decode()
    cadre = member(towns["youyi"], Role.CADRE)
    html = _client(cadre).get(reverse("household_register", args=["youyi"]))
    assert reverse("household_import", args=["youyi"]) in html.content.decode()


def test_the_review_queue_shows_no_decision_to_an_official(towns, town_official):
    from points import services as points
    from tests.points.factories import RuleFactory

    villager = member(towns["youyi"])
    rule = RuleFactory(village=towns["youyi"])
    claim = points.claim_submit(actor=villager, household=villager.resident.household, rule=rule)
    response = _client(town_official).get(reverse("points:review", args=["youyi"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="claim-{claim.pk}"' in html
    assert reverse("points:review_decide", args=["youyi", claim.pk]) not in html


def test_an_official_of_another_town_gets_404(towns, town_official):
    client = _client(town_official)
    for name in ("cadre_work", "household_register", "cadre_invitations"):
        assert client.get(reverse(name, args=["qinglin"])).status_code == 404
        assert client.get(reverse(name, args=["xiqian"])).status_code == 404


def test_the_officials_page_lists_the_villages_under_the_regions(
    towns, county_official, django_assert_num_queries
):
    client = _client(county_official)
    response = client.get(reverse("officials"))
    html = response.content.decode()
    assert "友谊村" in html and "青林村" in html and "西前村" not in html
    assert f'href="/r/{towns["county"].slug}/"' in html
    assert reverse("cadre_invitations", args=["qinglin"]) in html
    for n in range(10):
        VillageFactory(region=towns["sanshui"], name=f"新村{n}")
    # Constant in the number of villages: session, user, posts, region levels, count, page.
    with django_assert_num_queries(len(_queries(client))):
        client.get(reverse("officials"))
    assert "西前村" not in client.get(reverse("officials") + "?q=友谊").content.decode()


def _queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("officials"))
    return captured.captured_queries


def test_the_officials_page_is_not_found_for_others(towns):
    cadre = member(towns["youyi"], Role.CADRE)
    assert _client(cadre).get(reverse("officials")).status_code == 404


# --- invitations ----------------------------------------------------------------------------


def test_an_official_invites_a_cadre_by_phone(towns, town_official):
    client = _client(town_official)
    response = client.post(
        reverse("cadre_invitations", args=["youyi"]),
        {"phone": "138 0000 0053", "role": Role.ACCOUNTANT},
    )
    assert response.status_code == 302
    invitation = CadreInvitation.objects.get()
    assert (invitation.village, invitation.phone, invitation.role) == (
        towns["youyi"],
        PHONE,
        Role.ACCOUNTANT,
    )
    assert invitation.invited_by == town_official
    assert invitation.expires_at > timezone.now() + timedelta(days=13)
    assert AuditEntry.objects.filter(action="invitation.create", object_id=str(invitation.pk))
    page = client.get(reverse("cadre_invitations", args=["youyi"])).content.decode()
    assert PHONE in page


@pytest.mark.parametrize(
    "data",
    [
        {"phone": "12345", "role": Role.CADRE},
        {"phone": "138 0000 0053", "role": Role.VILLAGER},
        {"phone": "138 0000 0053", "role": "mayor"},
        {"phone": "", "role": Role.CADRE},
    ],
)
def test_bad_input_gets_an_error_and_saves_nothing(towns, town_official, data):
    response = _client(town_official).post(reverse("cadre_invitations", args=["youyi"]), data)
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert not CadreInvitation.objects.exists()


def test_a_second_open_invitation_of_the_number_is_refused(towns, town_official):
    client = _client(town_official)
    url = reverse("cadre_invitations", args=["youyi"])
    assert client.post(url, {"phone": "13800000053", "role": Role.CADRE}).status_code == 302
    response = client.post(url, {"phone": "+86 138-0000-0053", "role": Role.SECRETARY})
    assert response.status_code == 400
    assert CadreInvitation.objects.count() == 1


def test_an_expired_invitation_gives_way_to_a_new_one(towns, town_official):
    old = officials.invitation_create(
        actor=town_official, village=towns["youyi"], phone=PHONE, role=Role.CADRE
    )
    CadreInvitation.objects.filter(pk=old.pk).update(expires_at=timezone.now())
    new = officials.invitation_create(
        actor=town_official, village=towns["youyi"], phone=PHONE, role=Role.CADRE
    )
    old.refresh_from_db()
    assert old.revoked_at is not None and new.state() == "open"


def test_an_official_cannot_invite_outside_the_region(towns, town_official):
    response = _client(town_official).post(
        reverse("cadre_invitations", args=["xiqian"]), {"phone": PHONE, "role": Role.CADRE}
    )
    assert response.status_code == 404
    with pytest.raises(ValidationError):
        officials.invitation_create(
            actor=town_official, village=towns["xiqian"], phone=PHONE, role=Role.CADRE
        )
    assert not CadreInvitation.objects.exists()


def test_a_number_that_holds_the_role_is_not_invited_again(towns, town_official):
    cadre = member(towns["youyi"], Role.CADRE)
    cadre.phone = PHONE
    cadre.save()
    with pytest.raises(ValidationError):
        officials.invitation_create(
            actor=town_official, village=towns["youyi"], phone=PHONE, role=Role.CADRE
        )


def test_revoking_an_invitation(towns, town_official):
    invitation = officials.invitation_create(
        actor=town_official, village=towns["youyi"], phone=PHONE, role=Role.CADRE
    )
    client = _client(town_official)
    url = reverse("cadre_invitation_revoke", args=["youyi", invitation.pk])
    assert client.post(url).status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_by == town_official
    # Twice: the message says why, and nothing changes.
    response = client.post(url, follow=True)
    assert "already accepted or revoked" in response.content.decode() or "已" in (
        response.content.decode()
    )
    assert officials.invitations_accept(user=UserFactory(phone=PHONE), phone=PHONE) == []


def _sign_in_by_sms(phone_typed, e164):
    LogBackend.outbox.clear()
    client = Client()
    client.post(reverse("account_request_login_code"), {"phone": phone_typed})
    code = next(s.params["code"] for s in reversed(LogBackend.outbox) if s.phone == e164)
    response = client.post(reverse("account_confirm_login_code"), {"code": code}, follow=True)
    return client, response


def test_the_invited_number_signs_in_by_sms_and_lands_on_the_work_page(towns, town_official):
    officials.invitation_create(
        actor=town_official, village=towns["youyi"], phone=PHONE, role=Role.SECRETARY
    )
    client, response = _sign_in_by_sms("138 0000 0053", PHONE)
    assert response.redirect_chain[-1][0] == "/v/youyi/work/"
    assert response.status_code == 200
    invitation = CadreInvitation.objects.get()
    user = invitation.accepted_by
    assert user.phone == PHONE and invitation.accepted_at is not None
    assert RoleAssignment.objects.filter(
        user=user, village=towns["youyi"], role=Role.SECRETARY
    ).exists()
    user.refresh_from_db()
    assert user.is_staff  # a cadre works in the scoped admin too
    assert AuditEntry.objects.filter(action="invitation.accept", actor=user).count() == 1
    # Signing in again (the adapter confirms the number each time) changes nothing.
    from villageaffairs.accounts import AccountAdapter

    AccountAdapter().set_phone_verified(user, PHONE)
    assert RoleAssignment.objects.filter(user=user).count() == 1
    assert AuditEntry.objects.filter(action="invitation.accept").count() == 1


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_an_expired_or_revoked_invitation_gives_nothing(towns, town_official, how):
    invitation = officials.invitation_create(
        actor=town_official, village=towns["youyi"], phone=PHONE, role=Role.CADRE
    )
    if how == "expired":
        CadreInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    else:
        officials.invitation_revoke(actor=town_official, invitation=invitation)
    _client_, response = _sign_in_by_sms("138 0000 0053", PHONE)
    assert response.redirect_chain[-1][0] != "/v/youyi/work/"
    assert not RoleAssignment.objects.filter(village=towns["youyi"], user__phone=PHONE).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_operator_may_invite_anywhere_and_a_cadre_may_not(towns):
    operator = UserFactory(is_staff=True, is_superuser=True)
    cadre = member(towns["youyi"], Role.CADRE)
    officials.invitation_create(actor=operator, village=towns["xiqian"], phone=PHONE, role="cadre")
    with pytest.raises(ValidationError):
        officials.invitation_create(actor=cadre, village=towns["youyi"], phone=PHONE, role="cadre")
    assert _client(cadre).get(reverse("cadre_invitations", args=["youyi"])).status_code == 404


def test_an_official_is_not_offered_to_join_a_village(towns, town_official):
    from villageaffairs.joining import may_ask_to_join

    assert not may_ask_to_join(town_official)


def test_an_official_made_by_an_operator_is_not_pruned(towns):
    from villageaffairs.services import unregistered_accounts_prune

    official = _official(towns["sanshui"], "zhang")
    official.phone = "+8613800000051"
    official.date_joined = timezone.now() - timedelta(days=30)
    official.save()
    unregistered_accounts_prune()
    assert RegionOfficial.objects.filter(user=official).exists()


def test_the_work_page_links_an_official_only_to_pages_they_may_read(towns, town_official):
    from points import services as points
    from talks.models import Topic
    from tests.points.factories import RuleFactory

    villager = member(towns["youyi"])
    rule = RuleFactory(village=towns["youyi"])
    points.claim_submit(actor=villager, household=villager.resident.household, rule=rule)
    html = _client(town_official).get(reverse("cadre_work", args=["youyi"])).content.decode()
    assert f'href="{reverse("points:review", args=["youyi"])}"' in html  # open to oversight
    assert f'href="{reverse("talks:list", args=["youyi"])}?status={Topic.Status.RAISED}"' in html
    assert f'href="{reverse("talks:reports", args=["youyi"])}"' in html  # open to oversight
    assert f'href="{reverse("publicity:book", args=["youyi"])}"' not in html  # the accountant's
    cadre = member(towns["youyi"], Role.ACCOUNTANT)
    html = _client(cadre).get(reverse("cadre_work", args=["youyi"])).content.decode()
    assert f'href="{reverse("publicity:book", args=["youyi"])}"' in html


# --- the invitation's text message ----------------------------------------------------------


@pytest.fixture
def texts(settings, eager_tasks):
    settings.SITE_URL = "https://cun.example.cn"
    LogBackend.outbox.clear()
    return LogBackend.outbox


def _invitation_texts(outbox):
    return [s for s in outbox if s.template == "cadre_invitation"]


def test_an_invitation_is_texted_to_the_number(
    towns, town_official, texts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(town_official).post(
            reverse("cadre_invitations", args=["youyi"]),
            {"phone": "138 0000 0053", "role": Role.ACCOUNTANT},
        )
    assert response.status_code == 302
    [text] = _invitation_texts(texts)
    assert text.phone == PHONE
    # In Chinese, whatever the official's language: the village, the role, where to sign in.
    assert text.params == {"village": "友谊村", "role": "会计", "site": "cun.example.cn"}
    invitation = CadreInvitation.objects.get()
    assert invitation.sms_sent_at is not None
    # A retried run sends nothing more.
    assert officials.invitation_sms(invitation_id=invitation.pk) is False
    assert len(_invitation_texts(texts)) == 1


def test_the_text_is_in_chinese_when_the_official_reads_english(
    towns, town_official, texts, settings, django_capture_on_commit_callbacks
):
    client = _client(town_official)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cadre_invitations", args=["youyi"]),
            {"phone": "138 0000 0053", "role": Role.SECRETARY},
            follow=True,
        )
    assert "is invited as" in response.content.decode()  # the official reads English
    [text] = _invitation_texts(texts)
    assert text.params["role"] == "党支部书记"


def test_sending_an_expired_invitation_again_texts_again(
    towns, town_official, texts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        old = officials.invitation_create(
            actor=town_official, village=towns["youyi"], phone=PHONE, role=Role.CADRE
        )
    CadreInvitation.objects.filter(pk=old.pk).update(expires_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        officials.invitation_create(
            actor=town_official, village=towns["youyi"], phone=PHONE, role=Role.CADRE
        )
    assert [s.phone for s in _invitation_texts(texts)] == [PHONE, PHONE]


def test_revoking_sends_nothing_and_a_revoked_invitation_is_not_texted(
    towns, town_official, texts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = officials.invitation_create(
            actor=town_official, village=towns["youyi"], phone=PHONE, role=Role.CADRE
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(town_official).post(
            reverse("cadre_invitation_revoke", args=["youyi", sent.pk])
        )
    assert response.status_code == 302
    assert len(_invitation_texts(texts)) == 1
    # Revoked before its text went out (the broker was down): the sweep sends nothing.
    other = officials.invitation_create(
        actor=town_official, village=towns["youyi"], phone="+8613800000054", role=Role.CADRE
    )
    officials.invitation_revoke(actor=town_official, invitation=other)
    assert officials.invitation_sms(invitation_id=other.pk) is False
    assert len(_invitation_texts(texts)) == 1


def test_the_invitation_is_texted_by_the_outbox_when_the_broker_is_down(
    towns, town_official, texts
):
    from villageaffairs import outbox
    from villageaffairs.models import Outbox

    # No commit callback runs here: as if the broker had refused the message.
    invitation = officials.invitation_create(
        actor=town_official, village=towns["youyi"], phone=PHONE, role=Role.CADRE
    )
    assert _invitation_texts(texts) == []
    row = Outbox.objects.get(key=f"invitation.sms:{invitation.pk}")
    assert outbox.run(row.pk)
    assert [s.phone for s in _invitation_texts(texts)] == [PHONE]
