import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import HouseholdFactory, VillageFactory

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def youyi(db):
    return VillageFactory(name="友谊村", slug="youyi")


def test_home_is_chinese_by_default_even_for_an_english_browser(client, youyi):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "查找村庄" in body
    assert response["Content-Language"] == "zh-hans"


def test_switching_to_english_and_back(client, youyi):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "/v/youyi/"}, follow=True
    )
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == "/v/youyi/"
    assert '<html lang="en">' in body
    assert "Households" in body and "农户" not in body
    body = client.get(reverse("home")).content.decode()
    assert "Find a village" in body
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "查找村庄" in client.get(reverse("home")).content.decode()


def test_an_unknown_language_cookie_falls_back_to_chinese(client, youyi):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert "查找村庄" in client.get(reverse("home")).content.decode()


def _catalogues():
    return sorted(
        p for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts
    )


@pytest.mark.parametrize("path", _catalogues(), ids=lambda p: str(p.relative_to(ROOT)))
def test_zh_hans_catalogue_is_complete(path):
    po = polib.pofile(str(path))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated in {path}: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in {path}: {fuzzy[:10]}"


def _translations(entry):
    if entry.msgid_plural:
        return tuple(sorted(entry.msgstr_plural.items()))
    return entry.msgstr


def test_no_two_catalogues_translate_one_message_differently():
    """Django merges the catalogues into one, so where two disagree one wins on every page.

    One English word with two meanings needs a context (pgettext); one meaning, one Chinese.
    """
    seen = {}
    for path in _catalogues():
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            key = (entry.msgctxt, entry.msgid, entry.msgid_plural)
            seen.setdefault(key, {})[str(path.relative_to(ROOT))] = _translations(entry)
    clashes = {
        key: by_catalogue
        for key, by_catalogue in seen.items()
        if len(set(by_catalogue.values())) > 1
    }
    for (context, msgid, _plural), by_catalogue in sorted(clashes.items(), key=str):
        print(f"clash: msgctxt={context!r} msgid={msgid!r}: {by_catalogue}")
    assert not clashes, f"{len(clashes)} msgids translated differently: " + ", ".join(
        repr(msgid) for _context, msgid, _plural in sorted(clashes, key=str)
    )


# Chinese text takes full-width punctuation: 标题：, 您同意吗？, 金额（元）.
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_ASCII_PUNCTUATION = re.compile(f"[{_CJK}][:?!,;()]|[()][{_CJK}]")
# Placeholders are not text: %(name)s, %s, {{ name }}, {name}.
_PLACEHOLDER = re.compile(r"%\([^)]*\)[a-z]|%[a-z%]|\{\{.*?\}\}|\{[\w.]*\}")


def _ascii_punctuation(text):
    return _ASCII_PUNCTUATION.search(_PLACEHOLDER.sub("x", text))


@pytest.mark.parametrize("path", _catalogues(), ids=lambda p: str(p.relative_to(ROOT)))
def test_chinese_text_takes_full_width_punctuation(path):
    found = []
    for entry in polib.pofile(str(path)):
        texts = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        found += [(entry.msgid, text) for text in texts if _ascii_punctuation(text)]
    for msgid, text in found:
        print(f"ASCII punctuation: {msgid!r} -> {text!r}")
    assert not found, f"{len(found)} msgstr with ASCII punctuation in {path}: {found[:10]}"


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("标题:", True),
        ("您同意吗?", True),
        ("好!", True),
        ("甲,乙", True),
        ("甲;乙", True),
        ("金额(元)", True),
        ("标题：", False),
        ("%(name)s: 12:00", False),
        ("%(name)s必须是数字。", False),
        ("见 https://example.com/a?b=1", False),
        ("{{ who }}: 已答复", False),
    ],
)
def test_the_punctuation_check_itself(text, bad):
    assert bool(_ascii_punctuation(text)) is bad


# The words the clashes put on the live site (issue 12), rendered in Chinese.


def test_a_new_topic_reads_as_raised_not_as_a_date(client, people):
    from talks.models import Topic
    from tests.talks.factories import TopicFactory

    topic = TopicFactory(village=people.here, author=people.villager_here)
    assert topic.status == Topic.Status.RAISED
    client.force_login(people.villager_here)
    body = client.get(topic.get_absolute_url()).content.decode()
    assert '<span class="tk-status tk-raised">已提出</span>' in body
    assert "提出时间" not in body


def test_a_cadre_is_told_the_topic_is_raised_not_a_date(client, people):
    from django.utils import translation

    from talks import services
    from talks.services import TalksError
    from tests.talks.factories import TopicFactory

    topic = TopicFactory(village=people.here, author=people.villager_here)
    # The page no longer offers an action the status refuses; the service still says why.
    with translation.override("zh-hans"), pytest.raises(TalksError) as exc:
        services.topic_mark_handled(actor=people.cadre_here, topic=topic, note="已修好")
    body = " ".join(exc.value.messages)
    assert "事项处于“已提出”状态" in body
    assert "提出时间" not in body


def test_the_village_money_balance_is_money_not_points(client, people):
    from datetime import date

    from tests.publicity.factories import book, entry, publish

    book(people.here, starts_on=date(2026, 1, 1))
    entry(people.here, date(2026, 1, 6), "500.00")
    publish(people.here, date(2026, 1, 1))
    for name in ("village_home", "publicity:index"):
        body = client.get(reverse(name, args=[people.here.slug])).content.decode()
        assert "余额" in body, name
        assert "可用积分" not in body, name


def test_the_loan_decline_button_says_what_its_reason_field_says(client, people):
    from tests.loans.factories import application_for, serving_branch

    branch = serving_branch(people)
    household = HouseholdFactory(village=people.here)
    application = application_for(branch, household, applicant=people.villager_here)
    client.force_login(people.officer_serving)
    url = reverse("loans:application", args=[branch.pk, application.pk])
    body = client.get(url).content.decode()
    assert "拒绝理由" in body
    assert 'class="loan-decline">拒绝</button>' in body
    assert 'value="approve">批准</button>' in body
    assert "不予受理" not in body


def _visible_text(html):
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


def test_pages_put_full_width_punctuation_around_chinese(client, people):
    """Punctuation written in a template next to a translated word shows up in Chinese too."""
    from tests.loans.factories import application_for, serving_branch

    branch = serving_branch(people)
    household = HouseholdFactory(village=people.here)
    application = application_for(
        branch, household, applicant=people.villager_here, approved_amount="250000.00"
    )
    client.force_login(people.officer_serving)
    pages = [
        reverse("loans:policy", args=[branch.pk]),
        reverse("loans:application", args=[branch.pk, application.pk]),
    ]
    bodies = [client.get(url).content.decode() for url in pages]
    client.force_login(people.villager_here)
    for name in ("my_household", "village_home"):
        pages.append(reverse(name, args=[people.here.slug]))
        bodies.append(client.get(pages[-1]).content.decode())
    for url, body in zip(pages, bodies, strict=True):
        found = _ascii_punctuation(_visible_text(body))
        assert not found, (
            url,
            " ".join(found.string[found.start() - 40 : found.end() + 40].split()),
        )
    assert "（批准金额：250,000.00）" in _visible_text(bodies[1])
    assert "（户主）" in _visible_text(bodies[2])
