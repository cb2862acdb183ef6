"""Synthetic data for the talks benchmark: a village with voters, N due votes with ballots, and
one topic with many comments. Re-running resets the votes to open (so a beat run can close
them again) instead of creating more."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from talks.models import Ballot, Comment, Event, Notification, Topic, Vote
from villageaffairs.models import Household, Region, Resident, Role, RoleAssignment, Village

SLUG = "bench-talks"
BIG_TOPIC = "bench: 500 comments"


class Command(BaseCommand):
    help = "Create (or reset) the talks benchmark data: due votes with ballots and a long thread."

    def add_arguments(self, parser):
        parser.add_argument("--votes", type=int, default=10_000)
        parser.add_argument("--voters", type=int, default=300)
        parser.add_argument("--ballots", type=int, default=5, help="ballots per vote")
        parser.add_argument("--comments", type=int, default=500)

    @transaction.atomic
    def handle(self, *args, votes, voters, ballots, comments, **options):
        village = Village.objects.filter(slug=SLUG).first()
        if village is None:
            village = self._village(voters)
        users = list(
            get_user_model().objects.filter(resident__village=village).order_by("pk")[:voters]
        )
        homes = dict(
            Resident.objects.filter(village=village).values_list("user_id", "household_id")
        )
        self._votes(village, users, homes, votes, ballots)
        self._thread(village, users, comments)
        self.stdout.write(f"{SLUG}: {votes} due votes, {comments} comments")

    def _village(self, n):
        region, _ = Region.objects.get_or_create(
            parent=None, name="基准镇", defaults={"name_en": "Bench Town", "level": "town"}
        )
        village = Village.objects.create(
            name="基准村", name_en="Bench Village", slug=SLUG, region=region, region_path="基准镇"
        )
        User = get_user_model()
        users = User.objects.bulk_create(
            [User(username=f"{SLUG}-{i}", display_name=f"村民{i}", password="!") for i in range(n)]  # noqa: S106 - unusable
        )
        homes = Household.objects.bulk_create(
            [Household(village=village, house_number=f"{i:04d}") for i in range(n)]
        )
        Resident.objects.bulk_create(
            [
                Resident(village=village, household=h, name=f"村民{i}", user=u, year_of_birth=1970)
                for i, (h, u) in enumerate(zip(homes, users, strict=True))
            ]
        )
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=u, village=village, role=Role.VILLAGER) for u in users]
        )
        RoleAssignment.objects.create(user=users[0], village=village, role=Role.SECRETARY)
        return village

    def _votes(self, village, users, homes, count, per_vote):
        now = timezone.now()
        existing = Vote.objects.filter(village=village).count()
        if existing < count:
            topics = Topic.objects.bulk_create(
                [
                    Topic(
                        village=village,
                        author=users[i % len(users)],
                        title=f"bench vote {i}",
                        text="bench",
                        category="other",
                        status=Topic.Status.DISCUSSING,
                    )
                    for i in range(existing, count)
                ],
                batch_size=2000,
            )
            made = Vote.objects.bulk_create(
                [
                    Vote(
                        village=village,
                        topic=t,
                        question=f"{t.title}?",
                        options=["赞成", "反对", "弃权"],
                        opens_at=now - timedelta(days=5),
                        closes_at=now - timedelta(minutes=1),
                        electorate_size=len(users),
                        household_count=len(users),
                        created_by=users[0],
                        quorum=Vote.Quorum.NONE,
                    )
                    for t in topics
                ],
                batch_size=2000,
            )
            Ballot.objects.bulk_create(
                [
                    Ballot(
                        village=village,
                        vote=v,
                        voter=u,
                        household_id=homes[u.pk],
                        voter_key=f"u{u.pk}",
                        choice=(v.pk + j) % 3,
                    )
                    for v in made
                    for j, u in enumerate(users[:per_vote])
                ],
                batch_size=5000,
            )
        # Reset: every bench vote open and due again; their results and notices gone.
        Vote.objects.filter(village=village).exclude(topic__title=BIG_TOPIC).update(
            closed_at=None,
            counts=[],
            ballots_cast=0,
            quorum_met=None,
            passed=None,
            closes_at=now - timedelta(minutes=1),
        )
        Event.objects.filter(village=village, kind=Event.Kind.VOTE_CLOSED).delete()
        Notification.objects.filter(village=village).delete()

    def _thread(self, village, users, count):
        topic = Topic.objects.filter(village=village, title=BIG_TOPIC).first()
        if topic is not None:
            return topic
        topic = Topic.objects.create(
            village=village,
            author=users[0],
            title=BIG_TOPIC,
            text="bench",
            category="other",
            status=Topic.Status.DISCUSSING,
            comment_count=count,
        )
        parents = Comment.objects.bulk_create(
            [
                Comment(
                    village=village, topic=topic, author=users[i % len(users)], text=f"评论 {i}"
                )
                for i in range(count * 4 // 5)
            ]
        )
        Comment.objects.bulk_create(
            [
                Comment(
                    village=village,
                    topic=topic,
                    author=users[i % len(users)],
                    parent=p,
                    text=f"回复 {i}",
                )
                for i, p in enumerate(parents[: count - len(parents)])
            ]
        )
        return topic
