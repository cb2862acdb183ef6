"""The cadre pages open to oversight (``village_view(..., oversee=True)``): a township or county
official over the village reads each of them with no form that writes, and a post answers 403
and changes nothing."""

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from points.models import Claim, SignPrint
from publicity.models import Disclosure
from talks.models import Comment, Topic
from tests.conftest import officials_of
from tests.core.matrix import _act as matrix_act
from tests.factories import pending_join_request
from tests.points.factories import evidence_photo
from tests.publicity.factories import DisclosureFactory, book, entry
from tests.talks.factories import TopicFactory, VoteFactory
from villageaffairs.models import AssistedAct, AuditEntry, JoinRequest

# The forms of the base layout every signed-in page has: signing out, choosing the language.
LAYOUT_FORMS = {"/accounts/logout/", "/i18n/setlang/"}
POST_FORM = re.compile(r'<form\b[^>]*\bmethod="post"[^>]*>', re.I)
ACTION = re.compile(r'\baction="([^"]*)"')


def _post_forms(html: str) -> list[str]:
    forms = []
    for tag in POST_FORM.findall(html):
        action = ACTION.search(tag)
        if action is None or action.group(1) not in LAYOUT_FORMS:
            forms.append(tag)
    return forms


def _join_request(p):
    join_request = pending_join_request(p.here)
    return reverse(
        "cadre_work", args=[p.here.slug]
    ), lambda: JoinRequest.objects.get(pk=join_request.pk).state == JoinRequest.State.PENDING


def _register(p):
    return reverse("household_register", args=[p.here.slug]), lambda: True


def _review(p):
    from points import services

    claim = evidence_photo(p.villager_here).claim
    entry_ = services.award_direct(actor=None, household=claim.household, points=5, reason="巡逻")
    services.objection_raise(actor=p.villager_here, entry=entry_, text="分数不对")
    return reverse(
        "points:review", args=[p.here.slug]
    ), lambda: Claim.objects.get(pk=claim.pk).state == Claim.State.SUBMITTED


def _reports(p):
    topic = TopicFactory(village=p.here, author=p.villager_here, status=Topic.Status.DISCUSSING)
    comment = Comment.objects.create(village=p.here, topic=topic, author=p.villager_here, text="骂")
    from talks import services

    services.comment_report(actor=p.cadre_here, comment=comment, reason="骂人")
    return reverse(
        "talks:reports", args=[p.here.slug]
    ), lambda: Comment.objects.get(pk=comment.pk).hidden_at is None


def _roll(p):
    topic = TopicFactory(village=p.here, author=p.villager_here, status=Topic.Status.DISCUSSING)
    vote = VoteFactory(topic=topic, created_by=p.cadre_here)
    return reverse("talks:roll", args=[p.here.slug, topic.pk, vote.pk]), lambda: True


def _sign_print(p):
    job = SignPrint.objects.create(
        village=p.here, state=SignPrint.State.FAILED, figures=True, total=1, error="坏了"
    )
    return reverse(
        "points:sign_print", args=[p.here.slug, job.pk]
    ), lambda: SignPrint.objects.get(pk=job.pk).state == SignPrint.State.FAILED


def _act(p):
    act = matrix_act(p)
    return reverse(
        "assist_act", args=[p.here.slug, act.pk]
    ), lambda: AssistedAct.objects.get(pk=act.pk).disputed_at is None


def _assist(p):
    _act(p)
    return reverse("assist", args=[p.here.slug]) + "?q=" + p.villager_here.resident.name, (
        lambda: True
    )


def _assist_resident(p):
    _act(p)
    url = reverse("assist_resident", args=[p.here.slug, p.villager_here.resident.pk])
    return url, lambda: True


def _draft(p):
    item = DisclosureFactory(village=p.here)
    return reverse(
        "publicity:item", args=[p.here.slug, item.pk]
    ), lambda: Disclosure.objects.get(pk=item.pk).status == Disclosure.Status.DRAFT


def _open_month(p):
    book(p.here, starts_on=date(2026, 1, 1))
    entry(p.here, date(2026, 1, 5), "100.00", note="修水渠")
    return reverse("publicity:month", args=[p.here.slug, "2026-01"]), lambda: True


def _open_affairs(p):
    DisclosureFactory(village=p.here, title="二〇二六年一月党务草稿")
    return reverse("publicity:index", args=[p.here.slug]), lambda: True


# Each HTML page open to oversight: (URL name, builder, whether a cadre sees a form there).
# The builder makes what the cadre would act on, and returns the URL and a check that it is
# unchanged.
PAGES = [
    ("cadre_work", _join_request, True),
    ("household_register", _register, False),
    ("points:review", _review, True),
    ("talks:reports", _reports, True),
    ("talks:roll", _roll, True),
    ("points:sign_print", _sign_print, True),
    ("assist", _assist, False),
    ("assist_resident", _assist_resident, False),
    ("assist_act", _act, True),
    ("publicity:item", _draft, True),
    ("publicity:month", _open_month, True),
    ("publicity:index", _open_affairs, False),
]
# Open to oversight too, but files (images, PDF, CSV), or a slip with no form of its own.
FILES = {
    "points:sign_png",
    "points:sign_print_file",
    "assist_signature",
    "assist_slip",
    "publicity:month_csv",
    "publicity:month_notice",
    "publicity:attachment_file",
    "publicity:attachment_thumb",
    "publicity:receipt_file",
    "publicity:receipt_thumb",
}


def _oversee_views(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry_ in resolver.url_patterns:
        if hasattr(entry_, "url_patterns"):
            ns = f"{namespace}{entry_.namespace}:" if entry_.namespace else namespace
            yield from _oversee_views(entry_, ns)
        elif entry_.name and getattr(entry_.callback, "oversee", False):
            yield namespace + entry_.name


def test_every_page_open_to_oversight_is_checked_here():
    assert set(_oversee_views()) == {name for name, _b, _f in PAGES} | FILES


@pytest.fixture
def overseen(people):
    people.official_here, people.official_elsewhere, people.official_county = officials_of(people)
    return people


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("name", "build", "cadre_has_forms"), PAGES, ids=[n for n, *_ in PAGES])
def test_an_official_reads_the_page_with_no_form_that_writes(
    overseen, name, build, cadre_has_forms
):
    p = overseen
    url, _unchanged = build(p)
    for official in (p.official_here, p.official_county):
        response = _client(official).get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'class="read-only-note"' in html
        assert _post_forms(html) == []
    # The same page gives the cadre their forms: the official's page hides them.
    cadre_forms = _post_forms(_client(p.cadre_here).get(url).content.decode())
    assert bool(cadre_forms) == cadre_has_forms
    # An official of another town: not found, or the public page anyone sees.
    response = _client(p.official_elsewhere).get(url)
    if name.startswith("publicity:") and name != "publicity:item":
        assert response.status_code == 200
        assert 'class="read-only-note"' not in response.content.decode()
    else:
        assert response.status_code == 404


@pytest.mark.parametrize(("name", "build", "cadre_has_forms"), PAGES, ids=[n for n, *_ in PAGES])
def test_a_post_by_an_official_is_refused_and_changes_nothing(
    overseen, name, build, cadre_has_forms
):
    p = overseen
    url, unchanged = build(p)
    audit = AuditEntry.objects.count()
    data = {"reason": "不是我要的", "decision": "confirm", "answer": "好", "note": "查过"}
    response = _client(p.official_here).post(url, data)
    assert response.status_code == 403
    assert "villageaffairs/read_only.html" in [t.name for t in response.templates]
    assert unchanged()
    assert AuditEntry.objects.count() == audit


def test_the_official_sees_the_evidence_the_queue_shows(overseen):
    p = overseen
    photo = evidence_photo(p.villager_here)
    html = _client(p.official_here).get(reverse("points:review", args=[p.here.slug]))
    photo_url = reverse("points:photo", args=[p.here.slug, photo.pk])
    assert photo_url in html.content.decode()
    assert _client(p.official_here).get(photo_url).status_code == 200
    assert _client(p.official_elsewhere).get(photo_url).status_code == 404


def test_the_official_reads_drafts_and_their_files(overseen):
    from tests.publicity.factories import attachment

    p = overseen
    item = DisclosureFactory(village=p.here, title="草稿：修路经费")
    file_url = reverse("publicity:attachment_file", args=[p.here.slug, attachment(item).pk])
    index = _client(p.official_here).get(reverse("publicity:index", args=[p.here.slug]))
    assert "草稿：修路经费" in index.content.decode()
    assert _client(p.official_here).get(file_url).status_code == 200
    # A villager does not see the draft, nor its file.
    assert (
        "草稿：修路经费"
        not in _client(p.villager_here)
        .get(reverse("publicity:index", args=[p.here.slug]))
        .content.decode()
    )
    assert _client(p.villager_here).get(file_url).status_code == 404


def test_the_official_reads_every_act_entered_in_the_village(overseen):
    p = overseen
    url, _unchanged = _act(p)
    html = _client(p.official_here).get(reverse("assist", args=[p.here.slug])).content.decode()
    assert url in html
    signature = reverse("assist_signature", args=[p.here.slug, url.rstrip("/").split("/")[-1]])
    assert signature in _client(p.official_here).get(url).content.decode()
    assert _client(p.official_here).get(signature).status_code == 200
