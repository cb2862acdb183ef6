"""Join requests (issue 13): an account whose number is not on the register asks to be one of a
household's residents; a cadre or the household's head confirms, or a cadre refuses with a
reason. The people: a newcomer (an account with no role), the cadre of Youyi, the head of
household 017, and 谢小梅, a member of 017 on the register with no account."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from points.models import Claim
from talks.models import Topic
from tests.factories import (
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    VillageFactory,
    member,
    pending_join_request,
)
from tests.points.factories import RuleFactory
from tests.talks.factories import VoteFactory, topic_in
from villageaffairs import joining, services
from villageaffairs.models import AuditEntry, Household, JoinRequest, Resident, Role

BORN = datetime.date(1996, 3, 8)
BORN_TEXT = "1996-03-08"
NOT_FOUND = "我们在该户的户籍登记中没有找到此人"


@pytest.fixture
def youyi(db):
    village = VillageFactory(name="友谊村", slug="youyi")
    home = HouseholdFactory(village=village, house_number="017", name="谢启富")
    head = member(village, household=home, username="xieqifu")
    daughter = ResidentFactory(household=home, village=village, name="谢小梅", born_on=BORN)
    cadre = member(village, Role.CADRE, username="cadre")
    newcomer = UserFactory(username="p8613900000001", phone="+8613900000001", display_name="")
    return village, home, head, daughter, cadre, newcomer


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _ask(client, slug="youyi", house_number="017", name="谢小梅", born_on=BORN_TEXT):
    return client.post(
        reverse("village_join", args=[slug]),
        {"house_number": house_number, "name": name, "born_on": born_on},
    )


# --- asking ------------------------------------------------------------------------------------


def test_a_number_on_the_register_joins_at_first_sign_in_with_no_request(youyi):
    village, home, *_ = youyi
    resident = ResidentFactory(
        household=home, village=village, phone="+8613900000099", phone_owner=True
    )
    user = services.user_for_phone(phone="+8613900000099")
    resident.refresh_from_db()
    assert resident.user == user
    assert user.village_roles.filter(village=village, role=Role.VILLAGER).exists()
    assert not JoinRequest.objects.exists()


@pytest.mark.parametrize("typed", ["017", "17", "０１７", " 17号 "])
def test_the_newcomer_asks_for_a_resident_of_the_household_however_the_number_is_typed(
    youyi, typed
):
    village, home, _head, daughter, _cadre, newcomer = youyi
    residents = Resident.objects.count()
    response = _ask(_client(newcomer), house_number=typed)
    assert response.status_code == 302
    assert response["Location"] == reverse("join")
    join_request = JoinRequest.objects.get(user=newcomer)
    assert join_request.state == JoinRequest.State.PENDING
    assert (join_request.household, join_request.resident) == (home, daughter)
    # It waits: no resident made, no link, no role.
    assert Resident.objects.count() == residents
    daughter.refresh_from_db()
    assert daughter.user is None
    assert not newcomer.village_roles.exists()
    assert AuditEntry.objects.filter(action="join.request", actor=newcomer).exists()
    page = _client(newcomer).get(reverse("join")).content.decode()
    assert "等待确认" in page and "友谊村" in page


def test_the_year_of_birth_matches_where_the_register_has_no_date(youyi):
    village, home, *_rest, newcomer = youyi
    grandma = ResidentFactory(household=home, village=village, name="王秀英", year_of_birth=1948)
    _ask(_client(newcomer), name="王秀英", born_on="1948-10-01")
    assert JoinRequest.objects.get(user=newcomer).resident == grandma


@pytest.mark.parametrize(
    "details",
    [
        {"house_number": "999"},  # no such household
        {"name": "谢大梅"},  # no such person
        {"born_on": "1996-03-09"},  # not their birth date
        {"name": "谢启富"},  # the head: already has an account
    ],
    ids=["household", "person", "birth date", "has an account"],
)
def test_wrong_details_get_one_answer_and_save_nothing(youyi, details):
    *_rest, newcomer = youyi
    response = _ask(_client(newcomer), **details)
    assert response.status_code == 200
    page = response.content.decode()
    assert NOT_FOUND in page
    for name in {"谢小梅", "谢启富"} - {details.get("name", "谢小梅")}:
        assert name not in page  # the roll is not read out, only what was typed
    assert not JoinRequest.objects.exists()


def test_bad_form_input_is_shown_on_the_form(youyi):
    *_rest, newcomer = youyi
    response = _ask(_client(newcomer), born_on="2999-01-01", name="")
    page = response.content.decode()
    assert response.status_code == 200
    assert "未做任何更改" in page
    assert not JoinRequest.objects.exists()


def test_a_second_request_is_refused_while_one_waits(youyi):
    *_rest, newcomer = youyi
    client = _client(newcomer)
    _ask(client)
    response = _ask(client)
    assert response.status_code == 200
    assert "您已有一个申请在等待确认" in response.content.decode()
    assert JoinRequest.objects.filter(user=newcomer).count() == 1
    with pytest.raises(ValidationError) as refused:
        joining.join_request_create(
            actor=newcomer, village=youyi[0], house_number="017", name="谢小梅", born_on=BORN
        )
    assert refused.value.code == "pending"


def test_the_database_keeps_one_waiting_request_per_account(youyi):
    village, home, *_rest, newcomer = youyi
    pending_join_request(village, home, user=newcomer)
    with pytest.raises(IntegrityError), transaction.atomic():
        pending_join_request(village, home, user=newcomer)


def test_tries_are_limited_per_account(youyi, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "join_request": "3/h/key"}
    *_rest, newcomer = youyi
    client = _client(newcomer)
    for name in ("甲", "乙", "丙"):
        assert NOT_FOUND in _ask(client, name=name).content.decode()
    response = _ask(client)  # the right details, too late
    assert "尝试次数过多" in response.content.decode()
    assert not JoinRequest.objects.exists()
    # Another account is not held back by this one's tries.
    other = UserFactory()
    assert _ask(_client(other)).status_code == 302


def test_an_account_with_a_role_or_a_resident_may_not_ask(youyi):
    _village, _home, head, _daughter, cadre, _newcomer = youyi
    for user in (head, cadre):
        response = _ask(_client(user))
        assert "您的账号已关联村民或已有角色" in response.content.decode()
    assert not JoinRequest.objects.exists()


def test_the_newcomer_is_offered_to_join_and_a_villager_is_not(youyi):
    _village, _home, head, *_rest, newcomer = youyi
    link = reverse("village_join", args=["youyi"])
    assert link in _client(newcomer).get(reverse("village_home", args=["youyi"])).content.decode()
    assert reverse("join") in _client(newcomer).get(reverse("home")).content.decode()
    assert link not in _client(head).get(reverse("village_home", args=["youyi"])).content.decode()
    assert 'href="/join/"' not in _client(head).get(reverse("home")).content.decode()


def test_the_newcomer_finds_the_village_from_the_join_page(youyi):
    *_rest, newcomer = youyi
    page = _client(newcomer).get(reverse("join"), {"q": "友谊"}).content.decode()
    assert reverse("village_join", args=["youyi"]) in page


def test_the_newcomer_withdraws_the_request(youyi):
    *_rest, newcomer = youyi
    client = _client(newcomer)
    _ask(client)
    assert client.post(reverse("join_withdraw")).status_code == 302
    assert JoinRequest.objects.get(user=newcomer).state == JoinRequest.State.WITHDRAWN
    assert _ask(client).status_code == 302  # may ask again
    assert JoinRequest.objects.filter(user=newcomer, state="pending").count() == 1


# --- while it waits ----------------------------------------------------------------------------


def test_a_waiting_asker_reads_public_pages_but_cannot_claim_vote_or_speak(youyi):
    village, *_rest, newcomer = youyi
    _ask(_client(newcomer))
    client = _client(newcomer)
    rule = RuleFactory(village=village, points=5)
    topic = topic_in(Topic.Status.DISCUSSING, village=village)
    vote = VoteFactory(topic=topic)
    assert client.get(reverse("village_home", args=["youyi"])).status_code == 200
    assert client.get(reverse("talks:list", args=["youyi"])).status_code == 200
    claim = client.post(
        reverse("points:claims", args=["youyi"]), {"rule": rule.pk, "description": "帮忙"}
    )
    speak = client.post(
        reverse("talks:new", args=["youyi"]), {"title": "修路", "text": "村口的路坏了"}
    )
    ballot = client.post(
        reverse("talks:ballot", args=["youyi", topic.pk, vote.pk]), {"choice": "0"}
    )
    assert (claim.status_code, speak.status_code, ballot.status_code) == (404, 404, 404)
    assert client.get(reverse("my_household", args=["youyi"])).status_code == 404
    assert not Claim.objects.filter(village=village).exists()
    assert Topic.objects.filter(village=village).count() == 1


# --- deciding ----------------------------------------------------------------------------------


def test_the_cadre_sees_the_request_with_the_resident_matched_and_confirms_it(youyi):
    village, home, _head, daughter, cadre, newcomer = youyi
    _ask(_client(newcomer))
    join_request = JoinRequest.objects.get()
    client = _client(cadre)
    page = client.get(reverse("cadre_work", args=["youyi"])).content.decode()
    assert "申请加入本村" in page and "谢小梅" in page and "1996-03-08" in page
    response = client.post(
        reverse("join_decide", args=["youyi", join_request.pk]), {"decision": "confirm"}
    )
    assert response.status_code == 302
    daughter.refresh_from_db()
    join_request.refresh_from_db()
    assert daughter.user == newcomer
    assert join_request.state == JoinRequest.State.CONFIRMED
    assert join_request.decided_by == cadre and join_request.decided_at is not None
    assert newcomer.village_roles.filter(village=village, role=Role.VILLAGER).exists()
    assert AuditEntry.objects.filter(action="join.confirm", actor=cadre).exists()
    newcomer.refresh_from_db()
    assert str(newcomer) == "谢小梅"
    # The newcomer now has their household, and the join page says so.
    mine = _client(newcomer).get(reverse("my_household", args=["youyi"]))
    assert mine.status_code == 200 and "谢小梅" in mine.content.decode()
    assert "已确认" in _client(newcomer).get(reverse("join")).content.decode()


def test_confirming_twice_changes_nothing_and_says_so(youyi):
    village, home, _head, daughter, cadre, newcomer = youyi
    join_request = pending_join_request(village, home, user=newcomer)
    client = _client(cadre)
    url = reverse("join_decide", args=["youyi", join_request.pk])
    client.post(url, {"decision": "confirm"})
    audits = AuditEntry.objects.count()
    response = client.post(url, {"decision": "confirm"}, follow=True)
    assert "该申请已经处理过了" in response.content.decode()
    assert AuditEntry.objects.count() == audits


def test_confirming_a_resident_who_meanwhile_got_an_account_is_refused(youyi):
    village, home, _head, _daughter, cadre, newcomer = youyi
    join_request = pending_join_request(village, home, user=newcomer)
    other = UserFactory()
    Resident.objects.filter(pk=join_request.resident_id).update(user=other)
    response = _client(cadre).post(
        reverse("join_decide", args=["youyi", join_request.pk]),
        {"decision": "confirm"},
        follow=True,
    )
    assert "该村民已有账号" in response.content.decode()
    join_request.refresh_from_db()
    assert join_request.state == JoinRequest.State.PENDING


def test_confirming_one_refuses_the_others_for_the_same_resident(youyi):
    village, home, _head, daughter, cadre, newcomer = youyi
    first = JoinRequest.objects.create(
        village=village,
        household=home,
        resident=daughter,
        user=newcomer,
        name="谢小梅",
        born_on=BORN,
    )
    second = JoinRequest.objects.create(
        village=village,
        household=home,
        resident=daughter,
        user=UserFactory(),
        name="谢小梅",
        born_on=BORN,
    )
    joining.join_request_confirm(actor=cadre, join_request=first)
    second.refresh_from_db()
    assert second.state == JoinRequest.State.REFUSED and second.reason


def test_refusing_needs_a_reason_and_the_asker_reads_it(youyi):
    village, home, *_rest = youyi
    cadre, newcomer = youyi[4], youyi[5]
    join_request = pending_join_request(village, home, user=newcomer)
    client = _client(cadre)
    url = reverse("join_decide", args=["youyi", join_request.pk])
    response = client.post(url, {"decision": "refuse", "reason": "  "}, follow=True)
    assert "请填写拒绝的理由" in response.content.decode()
    join_request.refresh_from_db()
    assert join_request.state == JoinRequest.State.PENDING
    client.post(url, {"decision": "refuse", "reason": "本户没有此人，请到村委会核对"})
    join_request.refresh_from_db()
    assert join_request.state == JoinRequest.State.REFUSED
    assert join_request.resident.user is None
    assert not newcomer.village_roles.exists()
    page = _client(newcomer).get(reverse("join")).content.decode()
    assert "已拒绝" in page and "本户没有此人，请到村委会核对" in page
    landing = _client(newcomer).get(reverse("home")).content.decode()
    assert "您加入友谊村的申请：已拒绝" in landing


def test_a_request_of_another_village_is_not_found(youyi):
    *_rest, cadre, _newcomer = youyi
    elsewhere = VillageFactory(slug="xiqian")
    join_request = pending_join_request(elsewhere)
    response = _client(cadre).post(
        reverse("join_decide", args=["youyi", join_request.pk]), {"decision": "confirm"}
    )
    assert response.status_code == 404
    join_request.refresh_from_db()
    assert join_request.state == JoinRequest.State.PENDING


def test_the_head_confirms_a_member_of_their_household_from_my_household(youyi):
    village, home, head, daughter, _cadre, newcomer = youyi
    _ask(_client(newcomer))
    join_request = JoinRequest.objects.get()
    client = _client(head)
    page = client.get(reverse("my_household", args=["youyi"])).content.decode()
    assert "申请加入您家" in page and "谢小梅" in page
    assert "拒绝理由" not in page  # a head confirms; refusing is the cadre's
    response = client.post(reverse("join_confirm_member", args=["youyi", join_request.pk]))
    assert response.status_code == 302
    daughter.refresh_from_db()
    assert daughter.user == newcomer
    assert AuditEntry.objects.filter(action="join.confirm", actor=head).exists()


def test_a_head_cannot_confirm_for_another_household(youyi):
    village, _home, head, *_rest = youyi
    other_home = HouseholdFactory(village=village, house_number="018")
    join_request = pending_join_request(village, other_home)
    response = _client(head).post(reverse("join_confirm_member", args=["youyi", join_request.pk]))
    assert response.status_code == 404
    join_request.refresh_from_db()
    assert join_request.state == JoinRequest.State.PENDING
    assert Household.objects.get(pk=other_home.pk).residents.filter(user__isnull=False).count() == 0


def test_a_member_who_is_not_the_head_cannot_confirm(youyi):
    village, home, *_rest = youyi
    sister = member(village, household=home, username="sister")
    join_request = pending_join_request(village, home)
    response = _client(sister).post(reverse("join_confirm_member", args=["youyi", join_request.pk]))
    assert response.status_code == 404


def test_the_cadre_work_page_queries_do_not_grow_with_the_requests(
    youyi, django_assert_max_num_queries
):
    village, *_rest, cadre, _newcomer = youyi
    client = _client(cadre)
    pending_join_request(village)
    client.get(reverse("cadre_work", args=["youyi"]))  # warm caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("cadre_work", args=["youyi"]))
    for _ in range(5):
        pending_join_request(village)
    with django_assert_max_num_queries(len(one)):
        page = client.get(reverse("cadre_work", args=["youyi"])).content.decode()
    assert page.count('name="reason"') == 6


def test_the_demo_has_one_waiting_request_in_youyi_and_a_resident_to_claim(db):
    from villageaffairs import demo

    demo.seed()
    demo.seed()  # idempotent
    waiting = JoinRequest.objects.get(state=JoinRequest.State.PENDING)
    assert waiting.village.slug == "youyi" and waiting.resident.user is None
    free = Resident.objects.get(household__village__slug="youyi", name="谢明华")
    assert free.household.house_number == "017"
    assert free.user is None and free.phone == ""
    assert free.born_on == datetime.date(1994, 9, 12)
    assert Resident.objects.filter(name="谢明华").count() == 1


@pytest.mark.parametrize(
    "junk",
    [
        {"house_number": "١٧", "name": "谢小梅", "born_on": BORN_TEXT},
        {"house_number": "x" * 500, "name": "y" * 500, "born_on": "99999-01-01"},
        {"house_number": "²", "name": "\x00", "born_on": "1996-02-30"},
        {"house_number": "", "name": "", "born_on": ""},
        {"house_number": "017", "name": "谢小梅", "born_on": "0001-01-01"},
    ],
)
def test_junk_input_is_answered_on_the_form_and_saves_nothing(youyi, junk):
    *_rest, cadre, newcomer = youyi
    response = _client(newcomer).post(reverse("village_join", args=["youyi"]), junk)
    assert response.status_code == 200
    assert not JoinRequest.objects.exists()
    join_request = pending_join_request(youyi[0], youyi[1])
    url = reverse("join_decide", args=["youyi", join_request.pk])
    for data in ({"decision": "x" * 400}, {"decision": "refuse", "reason": "r" * 5000}, {}):
        assert _client(cadre).post(url, data).status_code == 302
    join_request.refresh_from_db()
    assert join_request.state == JoinRequest.State.PENDING


def test_the_admin_lists_only_the_cadres_village_requests_and_changes_none(youyi):
    village, home, *_rest, cadre, newcomer = youyi
    cadre.is_staff = True
    cadre.save(update_fields=["is_staff"])
    ours = pending_join_request(village, home, user=newcomer)
    theirs = pending_join_request(VillageFactory(slug="xiqian"))
    client = _client(cadre)
    page = client.get(reverse("admin:villageaffairs_joinrequest_changelist")).content.decode()
    assert ours.name in page and theirs.name not in page
    url = reverse("admin:villageaffairs_joinrequest_change", args=[theirs.pk])
    assert client.get(url).status_code in (302, 404)
    assert client.get(reverse("admin:villageaffairs_joinrequest_add")).status_code == 403
