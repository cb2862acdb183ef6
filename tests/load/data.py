"""The data of `make load`: the bench's villages (tests/bench/bench_points.py builds them once per
database and scale), plus what the mix needs on top, made once and reused: villagers with
households in the big village, a points rule they may claim under, and topics with comments.

``prepare`` returns the fixture the load generator reads: the URL pools of each kind of the mix,
and for the signed-in writes one fresh session (and CSRF secret) per writer, so no sign-in (and
none of its rate limits) happens during the run.
"""

import random
import string

SAMPLE_VILLAGES = 300  # villages whose homes, rankings and households the mix visits
SAMPLE_HOUSEHOLDS = 3000
TOPICS = 10
COMMENTS_PER_TOPIC = 40
RULE_TEXT = "load: 参加义务劳动"  # the rule the writers claim under (no limit, no photo)


def url_pools(villages, households, topics, ranking_pages: int = 1) -> dict[str, list[str]]:
    """The mix's read URLs, by kind (tests/load/mix.py, VIEWS)."""
    from django.urls import reverse

    rankings = []
    for village in villages:
        url = reverse("points:ranking", args=[village.slug])
        rankings.append(url)
        rankings += [f"{url}?page={n}" for n in range(2, ranking_pages + 1)]
    return {
        "household": [reverse("household_public", args=[h.code]) for h in households],
        "ranking": rankings,
        "topic": [t.get_absolute_url() for t in topics],
        "village_home": [reverse("village_home", args=[v.slug]) for v in villages],
    }


def write_urls(village, topics) -> dict[str, list[str]]:
    from django.urls import reverse

    return {
        "comment": [reverse("talks:comment", args=[village.slug, t.pk]) for t in topics],
        "claim": [reverse("points:claims", args=[village.slug])],
    }


def prepare(scale: str, writers: int, seed: int = 16) -> dict:
    """Build (first run) or find (later runs) the data; return the run's fixture."""
    from django.conf import settings

    from points import selectors as points_selectors
    from points import services as points_services
    from points.models import RankingSnapshot
    from tests.bench.bench_points import _ensure_data
    from villageaffairs.models import Household, Village

    _ensure_data(scale)  # the bench's builder: made once per database and scale
    big = Village.objects.get(slug=f"bench-{scale}big-1")
    many = f"bench-{scale}many-"
    if not RankingSnapshot.objects.filter(village__slug__startswith=many).exists():
        points_services.rankings_recompute()
    users, rule, topics = _ensure_extras(big, scale, writers)
    if not RankingSnapshot.objects.filter(village=big).exists():
        points_services.rankings_recompute(village_id=big.pk)

    rng = random.Random(seed)
    many_ids = list(
        Village.objects.filter(slug__startswith=many).order_by("pk").values_list("pk", flat=True)
    )
    sample = [big.pk] + rng.sample(many_ids, min(SAMPLE_VILLAGES - 1, len(many_ids)))
    villages = list(Village.objects.filter(pk__in=sample).order_by("pk"))
    household_ids = list(
        Household.objects.filter(village_id__in=sample).values_list("pk", flat=True)
    )
    chosen = rng.sample(household_ids, min(SAMPLE_HOUSEHOLDS, len(household_ids)))
    households = list(Household.objects.filter(pk__in=chosen).only("code"))
    big_households = Household.objects.filter(village=big).count()
    pages = -(-big_households // points_selectors.RANKING_PAGE_SIZE)
    pools = url_pools(villages, households, topics)
    big_ranking = pools["ranking"][0]  # the big village's: later pages of it too
    pools["ranking"] += [f"{big_ranking}?page={n}" for n in range(2, min(pages, 5) + 1)]
    return {
        "scale": scale,
        "pools": pools,
        "writes": write_urls(big, topics),
        "rule": rule.pk,
        "writers": [_session(user) for user in users],
        "cookies": {"session": settings.SESSION_COOKIE_NAME, "csrf": settings.CSRF_COOKIE_NAME},
        "data": {
            "villages": Village.objects.count(),
            "households": Household.objects.count(),
            "big_village_households": big_households,
        },
    }


def _ensure_extras(big, scale: str, writers: int):
    """Villagers of the big village (one per household), a claimable rule, topics with comments.
    Written as a bench builder is (bulk inserts), except the rule and topics, which go through
    their services so their history and timeline are right."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import F

    from points import services as points_services
    from points.models import Rule
    from talks import services as talks_services
    from talks.models import Comment, Topic
    from villageaffairs.models import Household, Resident, Role, RoleAssignment

    User = get_user_model()
    prefix = f"load-{scale}-"
    with transaction.atomic():
        # The villagers only: the secretary made below shares the prefix, has no household,
        # and must neither be counted here nor handed out as a writer.
        villagers = User.objects.filter(username__regex=rf"^{prefix}h?[0-9]+$")
        have = villagers.count()
        if have < writers:
            homes = list(
                Household.objects.filter(village=big)
                .exclude(residents__user__in=villagers)
                .order_by("pk")[: writers - have]
            )
            made = User.objects.bulk_create(
                [
                    User(username=f"{prefix}h{h.pk}", display_name=f"村民{h.pk}", password="!")
                    for h in homes
                ]
            )
            Resident.objects.bulk_create(
                [
                    Resident(village=big, household=h, name=u.display_name, user=u)
                    for h, u in zip(homes, made, strict=True)
                ]
            )
            RoleAssignment.objects.bulk_create(
                [RoleAssignment(user=u, village=big, role=Role.VILLAGER) for u in made]
            )
        users = list(villagers.order_by("pk")[:writers])
        secretary, created = User.objects.get_or_create(
            username=f"{prefix}secretary", defaults={"display_name": "书记", "password": "!"}
        )
        if created:
            RoleAssignment.objects.create(user=secretary, village=big, role=Role.SECRETARY)
    rule = Rule.objects.filter(village=big, text=RULE_TEXT).first()
    if rule is None:
        rule = points_services.rule_create(
            actor=secretary, village=big, category="civility", text=RULE_TEXT, points=5
        )
    topics = list(Topic.objects.filter(village=big, title__startswith="load:").order_by("pk"))
    for i in range(len(topics), TOPICS):
        topic = talks_services.topic_raise(
            actor=users[i % len(users)],
            village=big,
            title=f"load: 村道路灯 {i + 1}",
            text="晚上路灯不亮，老人走路不方便。",
            category="roads_water",
        )
        Comment.objects.bulk_create(
            [
                Comment(village=big, topic=topic, author=users[j % len(users)], text=f"评论 {j}")
                for j in range(COMMENTS_PER_TOPIC)
            ]
        )
        Topic.objects.filter(pk=topic.pk).update(
            comment_count=F("comment_count") + COMMENTS_PER_TOPIC
        )
        topics.append(topic)
    return users, rule, topics


def _session(user) -> dict:
    """A signed-in session for ``user``, stored as a sign-in would store it, and a CSRF secret
    (the cookie and the form field both carry the unmasked secret, which Django accepts)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.crypto import get_random_string

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    csrf = get_random_string(32, string.ascii_letters + string.digits)
    return {"session": store.session_key, "csrf": csrf}


def drop_sessions(fixture: dict) -> None:
    """The run's sessions end with it."""
    from importlib import import_module

    from django.conf import settings

    engine = import_module(settings.SESSION_ENGINE)
    for writer in fixture.get("writers", ()):
        engine.SessionStore(session_key=writer["session"]).delete()
