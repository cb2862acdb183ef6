"""The URL × role permission matrix. Every view joins it.

Each app lists its pages in ``tests/<app>/matrix.py`` as ``CASES``: a URL name, a function
that builds the URL from the ``people`` fixture (creating what the page needs), and the status
each role gets. ``tests/test_permission_matrix.py`` walks them all and checks that every named
URL of the project has at least one case.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = (
    "anonymous",
    "villager_here",
    "villager_elsewhere",
    "cadre_here",
    "cadre_elsewhere",
    "operator",
)


def expect(**overrides) -> dict[str, int]:
    """Public by default; override roles by name."""
    statuses = dict.fromkeys(ROLES, 200)
    statuses.update(overrides)
    return statuses


PUBLIC = expect()
# Private to the village's members: outsiders get 404, anonymous viewers are sent to sign in.
MEMBERS = expect(anonymous=302, villager_elsewhere=404, cadre_elsewhere=404)
# Private to the village's cadres.
CADRES = expect(anonymous=302, villager_here=404, villager_elsewhere=404, cadre_elsewhere=404)


@dataclass
class Case:
    name: str
    url: Callable[[object], str]
    expect: dict[str, int]
    method: str = "get"
    data: dict = field(default_factory=dict)

    def __str__(self):
        return f"{self.method.upper()} {self.name}"
