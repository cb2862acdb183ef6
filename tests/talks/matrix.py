"""The talks pages in the URL × role permission matrix."""

from django.urls import reverse

from talks.models import Comment, Notification, Task, Topic
from tests.matrix import (
    ASSISTERS,
    BASE_ROLES,
    CADRES,
    CADRES_OVERSEEN,
    CADRES_OVERSEEN_POST,
    CADRES_POST,
    MEMBERS,
    MEMBERS_POST,
    OVERSEERS,
    PUBLIC,
    Case,
    expect,
)
from tests.talks.factories import TopicFactory, VoteFactory

# A real POST that succeeds redirects back to the topic.
MEMBERS_DONE = expect(
    anonymous=302,
    villager_elsewhere=404,
    cadre_elsewhere=404,
    villager_here=302,
    cadre_here=302,
    operator=302,
)


def _topic(p, **kwargs):
    kwargs.setdefault("status", Topic.Status.DISCUSSING)
    return TopicFactory(village=p.here, author=p.villager_here, **kwargs)


def _url(name, p, *args, topic=None):
    topic = topic or _topic(p)
    return reverse(f"talks:{name}", args=[p.here.slug, topic.pk, *args])


def _resident_of(user):
    return user.resident.pk


def _comment(p):
    topic = _topic(p)
    comment = Comment.objects.create(village=p.here, topic=topic, author=p.villager_here, text="好")
    return topic, comment


def _with_comment(name):
    def build(p):
        topic, comment = _comment(p)
        return _url(name, p, comment.pk, topic=topic)

    return build


def _with_vote(name):
    def build(p):
        topic = _topic(p)
        vote = VoteFactory(topic=topic, created_by=p.cadre_here)
        return _url(name, p, vote.pk, topic=topic)

    return build


def _secret_vote(name, *, closed=False):
    def build(p):
        from django.utils import timezone

        topic = _topic(p)
        vote = VoteFactory(topic=topic, created_by=p.cadre_here, secret=True, live_results=False)
        if closed:
            vote.closed_at, vote.counts = timezone.now(), [0, 0, 0]
            vote.save()
        return _url(name, p, vote.pk, topic=topic)

    return build


# The supervisory committee's recount: its members and the operator, not the cadres.
RECOUNT_POST = CADRES | {"cadre_here": 404, "operator": 405, "supervisor_here": 405}


def _with_task(name):
    def build(p):
        topic = _topic(p, status=Topic.Status.HANDLING)
        task = Task.objects.create(
            village=p.here, topic=topic, title="修渠", created_by=p.cadre_here
        )
        return _url(name, p, task.pk, topic=topic)

    return build


# A real POST of a cadre's action: the cadres of the village, through to the topic.
CADRES_DONE = CADRES | {"cadre_here": 302, "operator": 302}
# A member's action that the service refuses with a message (not theirs to do) also lands
# back on the topic: 302 as well; only outsiders get 404.


def _post(name, build, **kwargs):
    return Case(f"talks:{name}", build, kwargs.pop("expect", MEMBERS_DONE), method="post", **kwargs)


def _handled(p):
    return _url("rate", p, topic=_topic(p, status=Topic.Status.HANDLED))


def _ballot_url(p):
    topic = _topic(p)
    vote = VoteFactory(topic=topic, created_by=p.cadre_here)
    return _url("ballot", p, vote.pk, topic=topic)


def _inbox(p):
    Notification.objects.create(user=p.villager_here, village=p.here, kind="reply", text="回复了")
    return reverse("talks:inbox", args=[p.here.slug])


def _keep(p):
    _topic, comment = _comment(p)
    return reverse("talks:keep", args=[p.here.slug, comment.pk])


def _paper_photo():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from villageaffairs.images import clean_image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (250, 250, 240)).save(out, format="JPEG")
    return clean_image(SimpleUploadedFile("paper.jpg", out.getvalue()))


def _entrusted(name, *, paper=False):
    """An entrustment in a real open vote: the villager's relative entrusted the villager."""

    def build(p):
        from django.utils import timezone

        from talks import services
        from talks.models import Entrustment
        from tests.factories import member
        from villageaffairs.models import Resident

        home = Resident.objects.get(user=p.villager_here).household
        relative = member(p.here, household=home)
        topic = _topic(p)
        vote = services.vote_open(
            actor=p.cadre_here,
            topic=topic,
            question="建在哪里？",
            closes_at=timezone.now() + timezone.timedelta(days=2),
            secret=True,
        )
        proxy = Resident.objects.get(user=p.villager_here).pk
        relation = Entrustment.Relation.PARENT
        if paper:  # recorded by a cadre from the signed paper
            found = services.entrust(
                actor=p.cadre_here,
                vote=vote,
                proxy_resident_id=proxy,
                relation=relation,
                resident_id=Resident.objects.get(user=relative).pk,
                paper=_paper_photo(),
            )
        else:
            found = services.entrust(
                actor=relative, vote=vote, proxy_resident_id=proxy, relation=relation
            )
        return _url(name, p, vote.pk, found.pk, topic=topic)

    return build


# Withdrawing an entrustment: the person who made it or a cadre; other members get 404 (the
# villager is the proxy, not the one who entrusted), like outsiders.
WITHDRAWN = MEMBERS | {"villager_here": 404, "cadre_here": 302, "operator": 302}

CASES = [
    Case("talks:list", lambda p: reverse("talks:list", args=[p.here.slug]), PUBLIC),
    Case(
        "talks:list",
        lambda p: reverse("talks:list", args=[p.here.slug]) + "?mine=1&status=open",
        PUBLIC,
    ),
    Case("talks:new", lambda p: reverse("talks:new", args=[p.here.slug]), MEMBERS),
    Case("talks:detail", lambda p: _url("detail", p), PUBLIC),
    Case(
        "talks:vote_notice",
        lambda p: reverse(
            "talks:vote_notice",
            args=[p.here.slug, VoteFactory(topic=_topic(p), created_by=p.cadre_here).pk],
        ),
        PUBLIC,
    ),
    Case(
        "talks:topic_notice",
        lambda p: reverse(
            "talks:topic_notice", args=[p.here.slug, _topic(p, status=Topic.Status.HANDLED).pk]
        ),
        PUBLIC,
    ),
    Case("talks:timeline", lambda p: _url("timeline", p), PUBLIC),
    Case("talks:reply", lambda p: _url("reply", p), CADRES_POST, foreign=False),
    Case("talks:comment", lambda p: _url("comment", p), MEMBERS_POST, foreign=False),
    Case(
        "talks:comment",
        lambda p: _url("comment", p),
        MEMBERS_DONE,
        method="post",
        data={"text": "我也同意"},
    ),
    Case("talks:support", lambda p: _url("support", p), MEMBERS_POST, foreign=False),
    Case("talks:support", lambda p: _url("support", p), MEMBERS_DONE, method="post"),
    Case("talks:hide", _with_comment("hide"), CADRES_POST, foreign=False),
    Case("talks:report", _with_comment("report"), MEMBERS_POST, foreign=False),
    Case("talks:vote_new", lambda p: _url("vote_new", p), CADRES),
    Case("talks:ballot", _with_vote("ballot"), MEMBERS_POST, foreign=False),
    Case("talks:vote_close", _with_vote("vote_close"), CADRES_POST, foreign=False),
    Case("talks:ballots", _with_vote("ballots"), MEMBERS),
    # The officials over the village read the roll too (read only).
    Case("talks:roll", _with_vote("roll"), MEMBERS | OVERSEERS),
    Case("talks:roll_correct", _with_vote("roll_correct"), CADRES_POST, foreign=False),
    Case("talks:receipts", _secret_vote("receipts"), PUBLIC),
    Case("talks:receipts", _secret_vote("receipts", closed=True), PUBLIC),
    Case("talks:recount", _secret_vote("recount", closed=True), RECOUNT_POST, foreign=False),
    Case("talks:task_new", lambda p: _url("task_new", p), CADRES),
    Case("talks:progress", _with_task("progress"), CADRES_POST, foreign=False),
    Case("talks:task_done", _with_task("task_done"), CADRES_POST, foreign=False),
    Case("talks:manage", lambda p: _url("manage", p), CADRES_POST, foreign=False),
    Case("talks:withdraw", lambda p: _url("withdraw", p), MEMBERS_POST, foreign=False),
    Case("talks:rate", lambda p: _url("rate", p), MEMBERS_POST, foreign=False),
    Case("talks:entrust", _with_vote("entrust"), MEMBERS),
    Case("talks:entrust_paper", _with_vote("entrust_paper"), ASSISTERS),
    Case(
        "talks:assist_topic",
        lambda p: reverse("talks:assist_topic", args=[p.here.slug, _resident_of(p.villager_here)]),
        ASSISTERS,
    ),
    Case("talks:office", _with_vote("office"), CADRES),
    Case("talks:office_cast", _with_vote("office_cast"), CADRES_POST, foreign=False),
    Case(
        "talks:entrustment_withdraw",
        _entrusted("entrustment_withdraw"),
        MEMBERS_POST,
        foreign=False,
    ),
    Case(
        "talks:entrustment_paper",
        _entrusted("entrustment_paper"),
        CADRES | {"cadre_here": 404, "operator": 404},
    ),
    Case("talks:inbox", _inbox, MEMBERS),
    Case("talks:reports", lambda p: reverse("talks:reports", args=[p.here.slug]), CADRES_OVERSEEN),
    Case(
        "talks:reports",
        lambda p: reverse("talks:reports", args=[p.here.slug]),
        CADRES_OVERSEEN_POST,
        method="post",
    ),
    Case("talks:keep", _keep, CADRES_POST, foreign=False),
    # The POST-only pages, posted for real with the CSRF token.
    _post("reply", lambda p: _url("reply", p), expect=CADRES_DONE, data={"text": "已安排"}),
    _post("hide", _with_comment("hide"), expect=CADRES_DONE, data={"reason": "人身攻击"}),
    _post("report", _with_comment("report"), data={"reason": "广告"}),
    _post("ballot", _ballot_url, data={"choice": "0"}),
    _post("vote_close", _with_vote("vote_close"), expect=CADRES_DONE),
    _post("progress", _with_task("progress"), expect=CADRES_DONE, data={"text": "已开工"}),
    _post("task_done", _with_task("task_done"), expect=CADRES_DONE),
    # An empty correction: the cadres get the roll page back with the form's errors.
    _post(
        "roll_correct",
        _with_vote("roll_correct"),
        expect=CADRES | {"cadre_here": 400, "operator": 400},
    ),
    _post(
        "recount",
        _secret_vote("recount", closed=True),
        expect=RECOUNT_POST | {"operator": 200, "supervisor_here": 200},
    ),
    _post(
        "manage",
        lambda p: _url("manage", p),
        expect=CADRES_DONE,
        data={"action": "decline", "reason": "与第一件重复", "confirm": "on"},
    ),
    _post("withdraw", lambda p: _url("withdraw", p)),
    _post("rate", _handled, data={"stars": "5", "comment": "好"}),
    _post("keep", _keep, expect=CADRES_DONE | {"cadre_here": 302}),
    _post("entrustment_withdraw", _entrusted("entrustment_withdraw"), expect=WITHDRAWN),
    # A booth page without a valid pass: the cadres are sent back to confirm the voter.
    _post("office_cast", _with_vote("office_cast"), expect=CADRES_DONE, data={"choice": "0"}),
    # Entrusting without naming a proxy: the form comes back with its errors.
    _post(
        "entrust",
        _with_vote("entrust"),
        expect=MEMBERS | {"villager_here": 400, "cadre_here": 400, "operator": 400},
    ),
    _post("office", _with_vote("office"), expect=CADRES | {"cadre_here": 400, "operator": 400}),
]


# --- escalation to the town and "still not fixed?" -----------------------------------------
# The town official's pages: no role of the matrix is an official over the village, so every
# one of them gets 404 (anonymous visitors are sent to sign in). The officials' own rights are
# tried in tests/talks/test_escalation_pages.py.
# The town's official and the county's act on a matter escalated to the town; an official of
# another town is refused like everyone else.
OFFICIALS_ONLY = (
    dict.fromkeys(BASE_ROLES, 404)
    | {"anonymous": 302}
    | {"official_here": 200, "official_county": 200, "official_elsewhere": 404}
)
OFFICIALS_POST = OFFICIALS_ONLY | {"official_here": 302, "official_county": 302}
# The same POST refused by its form or the matter's state (the official passed the permission).
OFFICIALS_POST_REFUSED = OFFICIALS_ONLY | {"official_here": 400, "official_county": 400}
# Actions that only take a POST: a GET by an official who may act is 405.
OFFICIALS_POST_ONLY = OFFICIALS_ONLY | {"official_here": 405, "official_county": 405}
# Each official's own list of matters escalated to their regions (empty for another town's).
OFFICIALS_LIST = OFFICIALS_ONLY | {"official_elsewhere": 200}
# "Is it fixed?": the village's members see the question; only its author (villager_here)
# answers, the others are refused with a message (403).
NOT_THE_AUTHOR = ("cadre_here", "operator", "resident_here", "finance_here", "grid_worker_here")
FOLLOW_UP_POST = MEMBERS | {"villager_here": 302} | dict.fromkeys(NOT_THE_AUTHOR, 403)
# Escalating is the author's too: the others get the page back with the refusal (400).
ESCALATE_POST = MEMBERS | {"villager_here": 302} | dict.fromkeys(NOT_THE_AUTHOR, 400)


def _escalated_url(name):
    def build(p):
        from tests.talks.escalation_helpers import escalated

        return _url(name, p, topic=escalated(_topic(p)))

    return build


def _declined_url(p):
    return _url("escalate", p, topic=_topic(p, status=Topic.Status.DECLINED))


def _follow_up_url(p):
    from tests.talks.escalation_helpers import asked

    topic = _topic(p, status=Topic.Status.HANDLED)
    return _url("follow_up", p, asked(topic).pk, topic=topic)


CASES += [
    Case("talks:escalate", _declined_url, MEMBERS_POST, foreign=False),
    _post("escalate", _declined_url, expect=ESCALATE_POST, data={"reason": "村里不该拒绝"}),
    Case("talks:follow_up", _follow_up_url, MEMBERS),
    _post("follow_up", _follow_up_url, expect=FOLLOW_UP_POST, data={"fixed": "yes"}),
    Case("talks:official_reply", _escalated_url("official_reply"), OFFICIALS_POST_ONLY),
    _post(
        "official_reply",
        _escalated_url("official_reply"),
        expect=OFFICIALS_POST,
        data={"text": "镇里已知悉"},
    ),
    Case("talks:official_task", _escalated_url("official_task"), OFFICIALS_ONLY),
    _post("official_task", _escalated_url("official_task"), expect=OFFICIALS_POST_REFUSED),
    Case("talks:take_over", _escalated_url("take_over"), OFFICIALS_POST_ONLY),
    _post("take_over", _escalated_url("take_over"), expect=OFFICIALS_POST),
    Case("talks:official_handled", _escalated_url("official_handled"), OFFICIALS_POST_ONLY),
    _post(
        "official_handled",
        _escalated_url("official_handled"),
        expect=OFFICIALS_POST_REFUSED,
        data={"note": "修好了"},
    ),
    Case(
        "talks_official:escalated",
        lambda p: reverse("talks_official:escalated"),
        OFFICIALS_LIST,
    ),
]
