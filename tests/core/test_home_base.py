"""The villager's home base (/v/<village>/me/) and the phone layout: the one-row header and the
bottom navigation of signed-in villagers; cadres and visitors keep the full header."""

import re

import pytest
from django.urls import reverse

from points import services as points_services
from tests.factories import HouseholdFactory, UserFactory
from tests.loans.factories import application_for, serving_branch
from tests.points.factories import RuleFactory
from tests.talks.factories import TopicFactory
from villageaffairs.models import Household, Role, RoleAssignment

# Session, user, village, roles and rights (one query), household and members, five for the
# standing, entries, claims, matters, loan, the inbox count, and for the head the join requests
# waiting for them: the same for a household with a long history.
QUERIES = 17


@pytest.fixture
def home(people):
    """A demo-like household: points awarded and ranked, a claim waiting, a matter, a loan."""
    here = people.here
    household = Household.objects.get(village=here, residents__user=people.villager_here)
    neighbour = HouseholdFactory(village=here, name="邻居家")
    points_services.award_direct(
        actor=people.cadre_here, household=household, points=230, reason="打扫村道"
    )
    points_services.award_direct(
        actor=people.cadre_here, household=neighbour, points=350, reason="捐修水渠"
    )
    points_services.rankings_recompute(village_id=here.pk)
    rule = RuleFactory(village=here, points=8, text="帮助邻居收稻子")
    points_services.claim_submit(actor=people.villager_here, household=household, rule=rule)
    TopicFactory(village=here, author=people.villager_here, title="村口水渠漏水")
    application_for(serving_branch(people), household, applicant=people.villager_here)
    return household


def _page(client, user, slug="youyi"):
    client.force_login(user)
    response = client.get(reverse("my_household", args=[slug]))
    assert response.status_code == 200
    return response.content.decode()


def _text(body):
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_home_base_shows_the_households_standing_and_affairs(client, people, home):
    body = _page(client, people.villager_here)
    text = _text(body)
    assert 'class="pts-score">230<' in body  # score
    assert "全村排名 第 2 名" in text  # rank, behind the neighbour
    assert 'aria-label="2 星">★★☆☆☆<' in body  # star level
    assert re.search(r"\d{4} 年积分 230", text)  # this year's points
    assert "可用 230" in text  # spendable balance
    assert "打扫村道" in text  # a recent ledger entry
    assert "审核中的申报" in text and "帮助邻居收稻子" in text  # a claim in progress
    assert "村口水渠漏水" in text  # the household's matter
    assert "积分贷" in text and "300,000" in text  # its loan
    assert "（户主）" in text


def test_home_base_has_the_claim_and_speak_buttons(client, people, home):
    body = _page(client, people.villager_here)
    claim = reverse("points:claims", args=["youyi"])
    speak = reverse("talks:new", args=["youyi"])
    assert re.search(rf'<a class="button me-claim" href="{claim}">申报积分</a>', body)
    assert re.search(rf'<a class="button secondary me-speak" href="{speak}">说事</a>', body)
    # The claim button comes before the figures: it is on the first screen of a phone.
    assert body.index("me-claim") < body.index("pts-standing")


def test_home_base_without_a_household_explains_and_still_signs_out(client, people):
    lone = UserFactory(username="lone")
    RoleAssignment.objects.create(user=lone, village=people.here, role=Role.VILLAGER)
    body = _page(client, lone)
    assert "请村委会" in _text(body)
    assert "me-claim" not in body
    assert reverse("account_logout") in body
    assert _tabs(body) is not None


def test_home_base_query_count_does_not_grow_with_the_households_history(
    client, people, home, django_assert_num_queries
):
    client.force_login(people.villager_here)
    url = reverse("my_household", args=["youyi"])
    client.get(url)  # warm the session and caches
    with django_assert_num_queries(QUERIES):
        client.get(url)
    rule = RuleFactory(village=people.here, points=5, text="参加村里义务劳动")
    for n in range(8):
        points_services.award_direct(
            actor=people.cadre_here, household=home, points=n + 1, reason=f"义务劳动 {n}"
        )
        points_services.claim_submit(
            actor=people.villager_here, household=home, rule=rule, note=str(n)
        )
        TopicFactory(village=people.here, author=people.villager_here)
    points_services.rankings_recompute(village_id=people.here.pk)
    with django_assert_num_queries(QUERIES):
        client.get(url)


def _tabs(body):
    found = re.search(r'<nav class="tabs"[^>]*>(.*?)</nav>', body, re.S)
    return found.group(1) if found else None


def test_bottom_nav_for_a_signed_in_villager_marks_the_current_tab(client, people, home):
    client.force_login(people.villager_here)
    pages = {
        reverse("village_home", args=["youyi"]): "首页",
        reverse("points:ranking", args=["youyi"]): "积分",
        reverse("points:claims", args=["youyi"]): "积分",
        reverse("talks:list", args=["youyi"]): "说事",
        reverse("publicity:index", args=["youyi"]): "公开",
        reverse("my_household", args=["youyi"]): "我的",
    }
    for url, label in pages.items():
        body = client.get(url).content.decode()
        tabs = _tabs(body)
        assert tabs is not None, url
        assert re.findall(r">([^<]+)</a>", tabs) == ["首页", "积分", "说事", "公开", "我的"]
        current = re.findall(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', tabs)
        assert len(current) == 1 and current[0][1] == label, (url, current)
        assert '<body class="has-tabs">' in body
        # One row on top: the village name and the inbox; no second menu, no repeated links.
        assert 'class="village-nav"' not in body
        assert 'class="brand"' not in body


def test_no_bottom_nav_for_anonymous_visitors_who_can_sign_in(client, people):
    body = client.get(reverse("village_home", args=["youyi"])).content.decode()
    assert _tabs(body) is None and "has-tabs" not in body
    assert 'class="village-nav"' in body
    assert reverse("account_login") in body


def test_cadres_keep_the_full_header_with_their_work_page_and_the_admin(client, people):
    client.force_login(people.cadre_here)
    body = client.get(reverse("village_home", args=["youyi"])).content.decode()
    assert _tabs(body) is None
    assert f'href="{reverse("cadre_work", args=["youyi"])}"' in body
    work = client.get(reverse("cadre_work", args=["youyi"])).content.decode()
    assert f'href="{reverse("admin:index")}"' in work


def test_a_villager_on_another_villages_page_is_a_visitor_there(client, people):
    client.force_login(people.villager_here)
    body = client.get(reverse("village_home", args=["xiqian"])).content.decode()
    assert _tabs(body) is None
    assert 'class="village-nav"' in body
