"""The villagers' evening mix of `make load` (no locust import here: the tests read it).

Each request of the mix picks a kind by its weight (percent of requests), then a URL of that kind
from the pools the data builder made (tests/load/data.py). Writes are signed in, with sessions
made before the run; every read is anonymous, as a QR scan at a courtyard gate is.
"""

import random

# kind -> percent of the mix's requests.
MIX = {
    "household": 60,  # /h/<code>/, the courtyard sign's QR target
    "ranking": 20,  # /v/<village>/ranking/ (and later pages of it)
    "topic": 10,  # /v/<village>/talks/<id>/
    "village_home": 5,  # /v/<village>/
    "write": 5,  # signed in: a comment on a topic, or a points claim (half each)
}

# The view (URL name) each kind's URLs resolve to: the unit test holds the pools to it.
VIEWS = {
    "household": {"household_public"},
    "ranking": {"points:ranking"},
    "topic": {"talks:detail"},
    "village_home": {"village_home"},
    "write": {"talks:comment", "points:claims"},
}

# What a request of each kind must answer; anything else (any 4xx/5xx, and a 3xx where a page
# was asked for, e.g. a redirect to HTTPS) is counted as a failure. A write that succeeds
# redirects (POST, then GET); a refused form would answer 400.
EXPECTED_STATUS = {
    "household": 200,
    "ranking": 200,
    "topic": 200,
    "village_home": 200,
    "write": 302,
    "empty": 200,
}


def pick_kind(rng: random.Random) -> str:
    return rng.choices(list(MIX), weights=list(MIX.values()))[0]
