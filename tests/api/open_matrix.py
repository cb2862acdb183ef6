"""The open data endpoints in the API matrix: public, so every caller gets 200 (and 404 for
what the pages hide)."""

from django.urls import reverse

from tests.api.matrix import ApiCase, open_to_all
from tests.api.open_data import closed_secret_vote, published_month
from tests.factories import HouseholdFactory
from tests.talks.factories import TopicFactory


def _village(name, **more):
    return lambda p: reverse(name, kwargs={"slug": p.here.slug, **more})


def _topic(p):
    topic = TopicFactory(village=p.here)
    return reverse("api_village_topic", kwargs={"slug": p.here.slug, "pk": topic.pk})


def _receipts(p):
    vote = closed_secret_vote(p.here)
    kwargs = {"slug": p.here.slug, "pk": vote.pk}
    return reverse("api_village_vote_receipts", kwargs=kwargs)


def _statement(name):
    def url(p):
        row = published_month(p.here)
        return reverse(name, kwargs={"slug": p.here.slug, "period": row.key})

    return url


def _draft_month(p):
    row = published_month(p.here, status="checked")
    return reverse("api_village_statement", kwargs={"slug": p.here.slug, "period": row.key})


ALL_404 = open_to_all(**dict.fromkeys(open_to_all(), 404))

CASES = [
    ApiCase("api_villages", lambda p: reverse("api_villages"), open_to_all()),
    ApiCase("api_village", _village("api_village"), open_to_all()),
    ApiCase("api_village_rules", _village("api_village_rules"), open_to_all()),
    ApiCase("api_village_ranking", _village("api_village_ranking"), open_to_all()),
    ApiCase(
        "api_household",
        lambda p: reverse("api_household", args=[HouseholdFactory(village=p.here).code]),
        open_to_all(),
    ),
    ApiCase("api_village_topics", _village("api_village_topics"), open_to_all()),
    ApiCase("api_village_topic", _topic, open_to_all()),
    ApiCase("api_village_votes", _village("api_village_votes"), open_to_all()),
    ApiCase("api_village_vote_receipts", _receipts, open_to_all()),
    ApiCase("api_village_disclosures", _village("api_village_disclosures"), open_to_all()),
    ApiCase("api_village_statements", _village("api_village_statements"), open_to_all()),
    ApiCase("api_village_statement", _statement("api_village_statement"), open_to_all()),
    ApiCase(
        "api_village_statement_entries",
        _statement("api_village_statement_entries"),
        open_to_all(),
    ),
    # What the pages hide answers 404 to everyone: a month not yet published.
    ApiCase("api_village_statement", _draft_month, ALL_404),
]
