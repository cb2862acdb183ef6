"""Factories and small builders of the talks tests."""

from datetime import timedelta

import factory
from django.utils import timezone

from talks.models import Topic, Vote
from tests.factories import UserFactory, VillageFactory


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    village = factory.SubFactory(VillageFactory)
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"议题{n}")
    text = "村口的水渠坏了。"
    category = Topic.Category.ROADS_WATER


def topic_in(status, **kwargs) -> Topic:
    """A topic already in ``status`` (state-machine tests start from every status)."""
    topic = TopicFactory(**kwargs)
    Topic.objects.filter(pk=topic.pk).update(status=status)
    topic.status = status
    return topic


class VoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vote

    topic = factory.SubFactory(TopicFactory)
    village = factory.LazyAttribute(lambda v: v.topic.village)
    question = "同意吗？"
    options = factory.LazyFunction(lambda: ["赞成", "反对", "弃权"])
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    electorate_size = 10
    household_count = 10
    created_by = factory.SubFactory(UserFactory)
    quorum = Vote.Quorum.NONE
