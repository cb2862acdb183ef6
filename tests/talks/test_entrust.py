"""Entrusted and assisted voting: a villager on the roll entrusts a close relative on the roll
(at most three per proxy, withdrawable until the proxy votes); a villager who cannot use a
phone votes at the office on the office's device, helped by someone they choose. Bad input is
refused and changes nothing; the choice is recorded against no one."""

import io
from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from talks import services
from talks.models import (
    Ballot,
    Entrustment,
    Participation,
    Receipt,
    RollEntry,
    SecretBallot,
    Topic,
    Vote,
)
from talks.services import TalksError
from talks.views import BOOTH_SALT
from tests.factories import ResidentFactory, member
from tests.talks.factories import topic_in
from villageaffairs.audit import AuditEntry
from villageaffairs.models import Resident

S = Topic.Status
R = Entrustment.Relation


def _vote(people, *, secret=True, author=None):
    topic = topic_in(S.DISCUSSING, village=people.here, author=author or people.cadre_here)
    return services.vote_open(
        actor=people.cadre_here,
        topic=topic,
        question="新健身广场建在哪里？",
        options=["村委会旁", "小学后面", "河边"],
        closes_at=timezone.now() + timedelta(days=3),
        secret=secret,
        quorum=Vote.Quorum.NONE,
    )


def _family(people, n=1):
    """The villager (head) and ``n`` relatives with accounts in the same household."""
    home = people.villager_here.resident.household
    return [member(people.here, household=home, username=f"kin{i}") for i in range(n)]


def _rid(user) -> int:
    return Resident.objects.get(user=user).pk


def _url(name, vote, **kw):
    return reverse(
        f"talks:{name}",
        kwargs={"village_slug": "youyi", "pk": vote.topic_id, "vote_pk": vote.pk, **kw},
    )


def _nothing_changed(vote, entrustments=0, participations=0):
    assert Entrustment.objects.filter(vote=vote, withdrawn_at__isnull=True).count() == entrustments
    assert Participation.objects.filter(vote=vote).count() == participations


def test_a_villager_entrusts_a_relative_who_casts_it_separately_with_its_own_receipt(
    client, people
):
    (daughter,) = _family(people)
    father = people.villager_here
    vote = _vote(people)
    client.force_login(daughter)
    page = client.get(_url("entrust", vote))
    assert page.status_code == 200
    response = client.post(
        _url("entrust", vote),
        {"proxy_0": father.resident.name, "proxy_1": "", "relation": R.PARENT},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    found = Entrustment.objects.get(vote=vote)
    assert found.entry.resident.user == daughter and found.proxy.resident.user == father
    assert found.recorded_by is None and found.relation == R.PARENT

    client.force_login(father)
    body = client.get(vote.topic.get_absolute_url()).content.decode()
    assert 'name="entrustment"' in body and daughter.resident.name in body
    own = client.post(_url("ballot", vote), {"choice": 0})
    entrusted = client.post(_url("ballot", vote), {"choice": 2, "entrustment": found.pk})
    codes = [r.context["code"] for r in (own, entrusted)]
    assert entrusted.context["entrusted"] and len(set(codes)) == 2
    assert "no-store" in entrusted["Cache-Control"]
    used = Participation.objects.get(vote=vote, entrustment=found)
    assert used.entry == found.entry and used.cast_by == father
    # Neither the choice nor the code is kept with a name.
    for entry in AuditEntry.objects.filter(action__startswith="ballot."):
        assert "choice" not in entry.changes and not any(c in str(entry.changes) for c in codes)
    services.vote_close(actor=people.cadre_here, vote=vote)
    vote.refresh_from_db()
    assert vote.counts == [1, 0, 1]
    assert sorted(Receipt.objects.filter(vote=vote).values_list("code", flat=True)) == sorted(codes)


def test_entrustments_are_published_to_members_as_names(client, people):
    (daughter,) = _family(people)
    vote = _vote(people)
    services.entrust(
        actor=daughter, vote=vote, proxy_resident_id=_rid(people.villager_here), relation=R.PARENT
    )
    client.force_login(people.villager_elsewhere)
    client.force_login(people.cadre_here)
    body = client.get(vote.topic.get_absolute_url()).content.decode()
    assert "tk-entrustments" in body and daughter.resident.name in body
    client.logout()
    body = client.get(vote.topic.get_absolute_url()).content.decode()
    assert "tk-entrustments" not in body


def test_bad_entrustments_are_refused_and_change_nothing(people):
    kin = _family(people, 4)
    father = people.villager_here
    vote = _vote(people)
    outsider = member(people.here)  # added after the opening: not on the roll
    with pytest.raises(TalksError) as exc:  # not on the roll
        services.entrust(
            actor=outsider, vote=vote, proxy_resident_id=_rid(father), relation=R.PARENT
        )
    assert exc.value.code == "not_eligible"
    with pytest.raises(TalksError):  # proxy not on the roll
        services.entrust(
            actor=kin[0], vote=vote, proxy_resident_id=_rid(outsider), relation=R.PARENT
        )
    with pytest.raises(TalksError):  # self-entrustment
        services.entrust(actor=kin[0], vote=vote, proxy_resident_id=_rid(kin[0]), relation=R.SPOUSE)
    with pytest.raises(TalksError):  # no relation
        services.entrust(actor=kin[0], vote=vote, proxy_resident_id=_rid(father), relation="friend")
    _nothing_changed(vote)
    for person in kin[:3]:
        services.entrust(actor=person, vote=vote, proxy_resident_id=_rid(father), relation=R.PARENT)
    with pytest.raises(TalksError) as exc:  # a fourth to one proxy
        services.entrust(actor=kin[3], vote=vote, proxy_resident_id=_rid(father), relation=R.PARENT)
    assert "proxy" in exc.value.message_dict
    with pytest.raises(TalksError) as exc:  # a second entrustment by the same person
        services.entrust(
            actor=kin[0], vote=vote, proxy_resident_id=_rid(kin[3]), relation=R.SIBLING
        )
    assert exc.value.code == "duplicate"
    with pytest.raises(TalksError):  # a proxy cannot pass their own vote on
        services.entrust(actor=father, vote=vote, proxy_resident_id=_rid(kin[3]), relation=R.CHILD)
    with pytest.raises(TalksError):  # nor can someone who entrusted theirs become a proxy
        services.entrust(
            actor=kin[3], vote=vote, proxy_resident_id=_rid(kin[0]), relation=R.SIBLING
        )
    _nothing_changed(vote, entrustments=3)
    services.ballot_cast(actor=kin[3], vote=vote, choice=1)
    with pytest.raises(TalksError) as exc:  # after voting
        services.entrust(actor=kin[3], vote=vote, proxy_resident_id=_rid(father), relation=R.PARENT)
    assert exc.value.code == "voted"
    _nothing_changed(vote, entrustments=3, participations=1)


def test_the_form_says_plainly_who_cannot_be_found(client, people):
    (daughter,) = _family(people)
    vote = _vote(people)
    client.force_login(daughter)
    response = client.post(
        _url("entrust", vote), {"proxy_0": "没这个人", "proxy_1": "", "relation": R.PARENT}
    )
    assert response.status_code == 400
    assert "proxy" in response.context["form"].errors
    ResidentFactory(
        household=people.villager_here.resident.household, name="同名", year_of_birth=1970
    )
    other = people.cadre_here.resident.household
    ResidentFactory(household=other, name="同名", year_of_birth=1970)
    vote = _vote(people)
    response = client.post(
        _url("entrust", vote), {"proxy_0": "同名", "proxy_1": "", "relation": R.PARENT}
    )
    assert response.status_code == 400  # two people share the name: the house number is asked
    house = other.house_number.lstrip("0") or "0"
    response = client.post(
        _url("entrust", vote), {"proxy_0": "同名", "proxy_1": house, "relation": R.PARENT}
    )
    assert response.status_code == 302
    assert Entrustment.objects.get(vote=vote).proxy.household == other


def test_the_entrusting_person_cannot_vote_until_they_withdraw(people):
    (daughter,) = _family(people)
    father = people.villager_here
    vote = _vote(people)
    found = services.entrust(
        actor=daughter, vote=vote, proxy_resident_id=_rid(father), relation=R.PARENT
    )
    with pytest.raises(TalksError) as exc:
        services.ballot_cast(actor=daughter, vote=vote, choice=0)
    assert exc.value.code == "entrusted"
    _nothing_changed(vote, entrustments=1)
    services.entrustment_withdraw(actor=daughter, entrustment=found)
    with pytest.raises(TalksError) as exc:  # a ballot through a withdrawn entrustment
        services.ballot_cast(actor=father, vote=vote, choice=0, entrustment=found.pk)
    assert exc.value.code == "withdrawn"
    _nothing_changed(vote)
    services.ballot_cast(actor=daughter, vote=vote, choice=0)
    _nothing_changed(vote, participations=1)


def test_only_the_proxy_casts_an_entrusted_ballot(people):
    (daughter, son) = _family(people, 2)
    vote = _vote(people)
    found = services.entrust(
        actor=daughter, vote=vote, proxy_resident_id=_rid(people.villager_here), relation=R.PARENT
    )
    for intruder in (son, people.cadre_here, people.villager_elsewhere):
        with pytest.raises(TalksError) as exc:
            services.ballot_cast(actor=intruder, vote=vote, choice=0, entrustment=found.pk)
        assert exc.value.code == "not_proxy"
    _nothing_changed(vote, entrustments=1)


def test_withdrawal_by_the_person_or_a_cadre_until_the_proxy_votes(client, people):
    (daughter, son) = _family(people, 2)
    father = people.villager_here
    vote = _vote(people)
    found = services.entrust(
        actor=daughter, vote=vote, proxy_resident_id=_rid(father), relation=R.PARENT
    )
    url = _url("entrustment_withdraw", vote, entrustment_pk=found.pk)
    client.force_login(son)  # a member, but not theirs to withdraw
    assert client.post(url).status_code == 404
    client.force_login(people.cadre_here)
    assert client.post(url).status_code == 302
    found.refresh_from_db()
    assert found.withdrawn_at is not None
    again = services.entrust(
        actor=daughter, vote=vote, proxy_resident_id=_rid(father), relation=R.PARENT
    )
    services.ballot_cast(actor=father, vote=vote, choice=1, entrustment=again.pk)
    client.force_login(daughter)
    client.post(_url("entrustment_withdraw", vote, entrustment_pk=again.pk))
    again.refresh_from_db()
    assert again.withdrawn_at is None  # the proxy has voted: it stands
    assert AuditEntry.objects.filter(action="vote.entrust_withdraw").count() == 1


def _paper():
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (240, 240, 230)).save(out, format="JPEG")
    return SimpleUploadedFile("weituoshu.jpg", out.getvalue(), content_type="image/jpeg")


def test_a_cadre_records_a_signed_paper_which_only_cadres_can_see(client, people):
    home = people.villager_here.resident.household
    grandma = ResidentFactory(household=home, name="奶奶", year_of_birth=1940)  # no phone
    vote = _vote(people)
    client.force_login(people.cadre_here)
    data = {"person_0": "奶奶", "proxy_0": people.villager_here.resident.name, "relation": R.CHILD}
    response = client.post(_url("entrust_paper", vote), data)
    assert response.status_code == 400 and "paper" in response.context["form"].errors
    _nothing_changed(vote)
    response = client.post(_url("entrust_paper", vote), {**data, "paper": _paper()})
    assert response.status_code == 302
    found = Entrustment.objects.get(vote=vote)
    assert found.entry.resident == grandma and found.recorded_by == people.cadre_here
    assert found.paper.name.startswith("private/")
    paper = _url("entrustment_paper", vote, entrustment_pk=found.pk)
    assert client.get(paper).status_code == 200
    client.force_login(people.villager_here)
    assert client.get(paper).status_code == 404
    client.force_login(people.cadre_elsewhere)
    assert client.get(paper).status_code == 404


def _at_office(client, people, vote, person, helper=None):
    client.force_login(people.cadre_here)
    data = {"person_0": person.name, "person_1": "", "identity": "on"}
    if helper is not None:
        data["helper_0"] = helper.name
    return client.post(_url("office", vote), data)


def test_at_the_office_the_cadre_confirms_identity_and_the_voter_chooses(client, people):
    home = people.villager_here.resident.household
    grandma = ResidentFactory(household=home, name="奶奶", year_of_birth=1940)  # no phone
    neighbour = ResidentFactory(household=people.cadre_here.resident.household, name="邻居")
    vote = _vote(people)
    booth = _at_office(client, people, vote, grandma, helper=neighbour)
    assert booth.status_code == 200 and "talks/booth.html" in [t.name for t in booth.templates]
    # A kiosk page: nothing on it leads into the cadre's account (inbox, sign-out, admin).
    page = booth.content.decode()
    assert "account_logout" not in page and "/accounts/logout/" not in page
    assert "/inbox/" not in page and str(people.cadre_here) not in page
    token = booth.context["form"].initial["token"]
    done = client.post(_url("office_cast", vote), {"token": token, "choice": 2})
    assert len(done.context["code"]) == 8 and done.context["at_office"]
    used = Participation.objects.get(vote=vote, entry__resident=grandma)
    assert used.cast_by == people.cadre_here and used.helper == neighbour
    assert SecretBallot.objects.filter(vote=vote, choice=2).count() == 1
    audit = AuditEntry.objects.get(action="ballot.assisted")
    assert audit.changes == {"entry": used.entry_id, "helper": neighbour.pk}
    # The same page again (a replay) does not vote twice.
    client.post(_url("office_cast", vote), {"token": token, "choice": 0})
    assert Participation.objects.filter(vote=vote).count() == 1
    assert SecretBallot.objects.filter(vote=vote).count() == 1


def test_an_open_vote_at_the_office_names_a_voter_without_an_account(client, people):
    grandma = ResidentFactory(
        household=people.villager_here.resident.household, name="奶奶", year_of_birth=1940
    )
    vote = _vote(people, secret=False)
    booth = _at_office(client, people, vote, grandma)
    token = booth.context["form"].initial["token"]
    response = client.post(_url("office_cast", vote), {"token": token, "choice": 1})
    assert response.status_code == 302
    ballot = Ballot.objects.get(vote=vote)
    assert ballot.voter is None and ballot.entry.resident == grandma and ballot.choice == 1
    assert ballot.cast_by == people.cadre_here
    body = client.get(_url("ballots", vote)).content.decode()
    assert "奶奶" in body


def test_who_may_help_and_who_may_vote_at_the_office(client, people):
    home = people.villager_here.resident.household
    grandma = ResidentFactory(household=home, name="奶奶", year_of_birth=1940)
    author = people.villager_here
    (daughter,) = _family(people)
    vote = _vote(people, author=author)
    cases = [
        (grandma, author.resident),  # a party to the matter (raised it)
        (grandma, grandma),  # oneself
        (grandma, people.cadre_here.resident),  # the cadre at the desk
    ]
    for person, helper in cases:
        response = _at_office(client, people, vote, person, helper=helper)
        assert response.status_code == 400 and "helper" in response.context["form"].errors
    outsider = ResidentFactory(household=home, name="后来的", year_of_birth=1980)  # not on roll
    response = _at_office(client, people, vote, outsider)
    assert response.status_code == 400 and "person" in response.context["form"].errors
    response = client.post(_url("office", vote), {"person_0": "奶奶"})  # identity not checked
    assert response.status_code == 400 and "identity" in response.context["form"].errors
    services.entrust(actor=daughter, vote=vote, proxy_resident_id=_rid(author), relation=R.PARENT)
    response = _at_office(client, people, vote, daughter.resident)
    assert response.status_code == 400  # entrusted: withdraw first
    _nothing_changed(vote, entrustments=1)


def test_a_forged_or_stale_booth_page_is_refused(client, people):
    grandma = ResidentFactory(
        household=people.villager_here.resident.household, name="奶奶", year_of_birth=1940
    )
    vote = _vote(people)
    other = _vote(people)
    client.force_login(people.cadre_here)
    forged = signing.dumps({"v": other.pk, "r": grandma.pk, "h": None}, salt=BOOTH_SALT)
    for token in ("junk", forged, signing.dumps({"v": vote.pk}, salt="other")):
        response = client.post(_url("office_cast", vote), {"token": token, "choice": 0})
        assert response.status_code == 302
    response = client.post(_url("office_cast", vote), {"token": "x" * 5000, "choice": "a"})
    assert response.status_code == 302
    _nothing_changed(vote)
    assert not RollEntry.objects.filter(vote=vote, resident=grandma, voted__isnull=False).exists()
