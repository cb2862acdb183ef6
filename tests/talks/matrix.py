"""The talks pages in the URL × role permission matrix."""

from django.urls import reverse

from talks.models import Comment, Notification, Task, Topic
from tests.matrix import CADRES, CADRES_POST, MEMBERS, MEMBERS_POST, PUBLIC, Case, expect
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


# The supervisory committee's recount: nobody in the matrix but the operator holds it.
RECOUNT_POST = CADRES | {"cadre_here": 404, "operator": 405}


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


CASES = [
    Case("talks:list", lambda p: reverse("talks:list", args=[p.here.slug]), PUBLIC),
    Case(
        "talks:list",
        lambda p: reverse("talks:list", args=[p.here.slug]) + "?mine=1&status=open",
        PUBLIC,
    ),
    Case("talks:new", lambda p: reverse("talks:new", args=[p.here.slug]), MEMBERS),
    Case("talks:detail", lambda p: _url("detail", p), PUBLIC),
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
    Case("talks:roll", _with_vote("roll"), MEMBERS),
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
    Case("talks:inbox", _inbox, MEMBERS),
    Case("talks:reports", lambda p: reverse("talks:reports", args=[p.here.slug]), CADRES),
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
    _post("recount", _secret_vote("recount", closed=True), expect=RECOUNT_POST | {"operator": 200}),
    _post(
        "manage",
        lambda p: _url("manage", p),
        expect=CADRES_DONE,
        data={"action": "decline", "reason": "与第一件重复", "confirm": "on"},
    ),
    _post("withdraw", lambda p: _url("withdraw", p)),
    _post("rate", _handled, data={"stars": "5", "comment": "好"}),
    _post("keep", _keep, expect=CADRES_DONE | {"cadre_here": 302}),
]
