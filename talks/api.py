"""Open data of the talks: topics with their state and timeline, votes and their results, and
the receipt codes of closed secret votes. Only what the public pages show: no comments (the
counts only), no names of villagers or cadres, no photos, no roll or participants."""

from django.db.models import Max
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from talks import selectors, services
from talks.models import Ballot, Event, Receipt, Topic, Vote
from villageaffairs import opendata
from villageaffairs.api import village_or_404
from villageaffairs.apikit import Problem, problems

NO_TOPIC = _("There is no such topic in this village.")
NO_VOTE = _("There is no such vote in this village.")
NO_RECEIPTS = _("Receipt codes are published when a secret vote closes.")


class EventSerializer(serializers.ModelSerializer):
    data = serializers.SerializerMethodField(
        help_text="A closed vote's options, counts and outcome; a rating's stars."
    )

    class Meta:
        model = Event
        fields = ["kind", "created_at", "detail", "data"]

    def get_data(self, event) -> dict | None:
        # What the timeline shows of an event's data, and nothing more.
        if event.kind == Event.Kind.VOTE_CLOSED:
            keys = ("options", "counts", "passed")
        elif event.kind == Event.Kind.RATED:
            keys = ("stars",)
        else:
            return None
        return {k: event.data.get(k) for k in keys}


class TopicSerializer(serializers.ModelSerializer):
    average_rating = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Topic
        fields = [
            "id",
            "url",
            "title",
            "category",
            "status",
            "created_at",
            "support_count",
            "comment_count",
            "rating_count",
            "average_rating",
        ]

    def get_average_rating(self, topic) -> float | None:
        return round(topic.rating_sum / topic.rating_count, 1) if topic.rating_count else None

    def get_url(self, topic) -> str:
        kwargs = {"slug": self.context["slug"], "pk": topic.pk}
        return reverse("api_village_topic", kwargs=kwargs, request=self.context.get("request"))


class TopicDetailSerializer(TopicSerializer):
    timeline = EventSerializer(many=True, source="public_events")

    class Meta(TopicSerializer.Meta):
        fields = [
            *TopicSerializer.Meta.fields,
            "text",
            "status_reason",
            "duplicate_of",
            "first_reply_at",
            "handled_at",
            "closed_at",
            "timeline",
        ]


def _village_context(view):
    return {"slug": view.kwargs["slug"]}


@extend_schema(
    parameters=[
        OpenApiParameter("status", str, description="A topic status, or “open” for unresolved."),
        OpenApiParameter("category", str, enum=Topic.Category.values),
        *opendata.DATE_PARAMETERS,
    ],
    responses={200: TopicSerializer(many=True), **problems(400, 404, 429)},
)
class TopicList(opendata.OpenList):
    """The village's talk topics, newest first, filtered as the talks page filters them;
    ``since`` and ``until`` bound the day a topic was raised."""

    serializer_class = TopicSerializer
    pagination_class = opendata.cursor_for(("-created_at", "-pk"))
    version_fields = ("created_at",)

    def get_queryset(self):
        self.village = village_or_404(self.kwargs["slug"])
        since, until = opendata.date_range(self.request)
        params = self.request.query_params
        rows = selectors.topic_rows(
            self.village, status=params.get("status", ""), category=params.get("category", "")
        )
        if since:
            rows = rows.filter(created_at__date__gte=since)
        if until:
            rows = rows.filter(created_at__date__lte=until)
        return rows

    def get_serializer_context(self):
        return super().get_serializer_context() | _village_context(self)

    def version(self, queryset):
        parts, last_modified = super().version(queryset)
        # Every step of every topic is an event: the newest one dates the list's state.
        step = Event.objects.filter(village=self.village).aggregate(t=Max("created_at"))["t"]
        if step and (last_modified is None or step > last_modified):
            last_modified = step
        return (*parts, step), last_modified


class TopicDetail(APIView):
    @extend_schema(responses={200: TopicDetailSerializer, **problems(404, 429)})
    def get(self, request, slug, pk):
        """A topic with its text, state and public timeline (the topic page's, without the
        names of those who acted, and without comments)."""
        village = village_or_404(slug)
        topic = selectors.topic(village, pk)
        if topic is None:
            raise Problem("topic_not_found", NO_TOPIC, status=404)
        topic.public_events = selectors.topic_events(topic)
        context = {"request": request, "slug": slug}
        data = TopicDetailSerializer(topic, context=context).data
        times = [topic.created_at, *(e.created_at for e in topic.public_events[-1:])]
        return opendata.conditional(request, data, last_modified=max(times))


class ResultSerializer(serializers.Serializer):
    option = serializers.CharField()
    count = serializers.IntegerField()


class VoteSerializer(serializers.ModelSerializer):
    results = serializers.SerializerMethodField(
        help_text="Counts per option: final once closed; live while open only if the vote shows "
        "them (never for a secret vote); else null."
    )
    receipts = serializers.SerializerMethodField()

    class Meta:
        model = Vote
        fields = [
            "id",
            "topic",
            "question",
            "options",
            "secret",
            "opens_at",
            "closes_at",
            "closed_at",
            "electorate_size",
            "ballots_cast",
            "households_voted",
            "quorum_met",
            "passed",
            "results",
            "receipts",
        ]

    @extend_schema_field(ResultSerializer(many=True, allow_null=True))
    def get_results(self, vote):
        counts = selectors.public_counts(vote, self.context.get("live", {}))
        if counts is None:
            return None
        return [{"option": o, "count": n} for o, n in zip(vote.options, counts, strict=False)]

    def get_receipts(self, vote) -> str | None:
        if not vote.secret or vote.closed_at is None:
            return None
        kwargs = {"slug": self.context["slug"], "pk": vote.pk}
        return reverse("api_village_vote_receipts", kwargs=kwargs, request=self.context["request"])


@extend_schema(
    parameters=opendata.DATE_PARAMETERS,
    responses={200: VoteSerializer(many=True), **problems(400, 404, 429)},
)
class VoteList(opendata.OpenList):
    """The village's votes, newest first, with their results as the topic pages show them;
    ``since`` and ``until`` bound the day a vote opens."""

    serializer_class = VoteSerializer
    pagination_class = opendata.cursor_for(("-opens_at", "-pk"))
    version_fields = ("created_at", "closed_at", "adopted_at")

    def get_queryset(self):
        self.village = village_or_404(self.kwargs["slug"])
        since, until = opendata.date_range(self.request)
        rows = Vote.objects.filter(village=self.village)
        if since:
            rows = rows.filter(opens_at__date__gte=since)
        if until:
            rows = rows.filter(opens_at__date__lte=until)
        return rows

    def version(self, queryset):
        parts, last_modified = super().version(queryset)
        # Live results move with each open ballot.
        cast = Ballot.objects.filter(village=self.village).aggregate(t=Max("created_at"))["t"]
        return (*parts, cast), last_modified

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self.live = selectors.live_tallies(page)
        return page

    def get_serializer_context(self):
        return (
            super().get_serializer_context()
            | _village_context(self)
            | {"live": getattr(self, "live", {})}
        )


class ReceiptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Receipt
        fields = ["code"]


@extend_schema(
    parameters=[
        OpenApiParameter("code", str, description="Check one code: one result if it was counted.")
    ],
    responses={200: ReceiptSerializer(many=True), **problems(400, 404, 429)},
)
class ReceiptList(opendata.OpenList):
    """A closed secret vote's receipt codes, sorted (their order says nothing of the order of
    the votes), as its receipts page publishes them. Receipts carry no time, so no date
    filter; ``?code=`` checks one code."""

    serializer_class = ReceiptSerializer
    pagination_class = opendata.cursor_for(("code",))

    def get_queryset(self):
        village = village_or_404(self.kwargs["slug"])
        vote = Vote.objects.filter(village=village, pk=self.kwargs["pk"]).first()
        if vote is None:
            raise Problem("vote_not_found", NO_VOTE, status=404)
        if not vote.secret or vote.closed_at is None:
            raise Problem("receipts_not_published", NO_RECEIPTS, status=404)
        self.vote = vote
        rows = Receipt.objects.filter(vote=vote, village_id=vote.village_id)
        code = self.request.query_params.get("code")
        if code is not None:
            rows = rows.filter(code=services.normal_receipt_code(code))
        return rows

    def version(self, queryset):
        parts, _last = super().version(queryset)
        return (*parts, self.vote.closed_at), self.vote.closed_at


urlpatterns = [
    path("villages/<slug:slug>/topics/", TopicList.as_view(), name="api_village_topics"),
    path(
        "villages/<slug:slug>/topics/<int:pk>/",
        TopicDetail.as_view(),
        name="api_village_topic",
    ),
    path("villages/<slug:slug>/votes/", VoteList.as_view(), name="api_village_votes"),
    path(
        "villages/<slug:slug>/votes/<int:pk>/receipts/",
        ReceiptList.as_view(),
        name="api_village_vote_receipts",
    ),
]
