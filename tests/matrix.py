"""The URL × role permission matrix. Every view joins it.

Each app lists its pages in ``tests/<app>/matrix.py`` as ``CASES``: a URL name, a function
that builds the URL from the ``people`` fixture (creating what the page needs), and the status
each role gets. ``tests/test_permission_matrix.py`` walks them all and checks that every named
URL of the project has at least one case.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

BASE_ROLES = (
    "anonymous",
    "villager_here",  # a villager of the village, head of their household
    "villager_elsewhere",
    "cadre_here",
    "cadre_elsewhere",
    "operator",
    "officer_serving",  # bank loan officer of a branch serving the village
    "officer_other",  # bank loan officer of a branch that does not
)
# Every other role that holds rights. Unless a case names it, a role gets what the role it is
# "like" gets: the secretary has a cadre's flags, a resident who is not the head a villager's,
# and so on. Where their rights differ (the accountant's finance pages, the finance group's
# check, the head's own loan actions, the manager's pages) the cases say so by name.
LIKE = {
    "secretary_here": "cadre_here",  # party branch secretary
    "accountant_here": "cadre_here",  # the village accountant ("publicity.finance")
    "finance_here": "villager_here",  # finance group member ("publicity.check_finance")
    "resident_here": "villager_here",  # a villager of the village who is not a household head
    # A supervisory committee member ("talks.recount") in the same household as the villager,
    # not its head: like the resident above, where a case does not name them.
    "supervisor_here": "resident_here",
    "manager_serving": "officer_serving",  # manager of the serving branch
    # A grid worker (网格员, "village.assist"): a villager who may also act for others.
    "grid_worker_here": "villager_here",
}
# Township and county officials (villageaffairs.officials): not villagers. Made by the
# ``all_people`` fixture. They read the cadre pages that accept oversight and invite cadres.
OFFICIALS = (
    "official_here",  # an official of the village's town (三水镇 over 友谊村)
    "official_elsewhere",  # an official of another town (the other village's)
    "official_county",  # an official of the county above the village's town
)
# Officials who oversee ``here``: what a page open to oversight gives them.
OVERSEERS = {"official_here": 200, "official_county": 200}
ROLES = BASE_ROLES + OFFICIALS + tuple(LIKE)


def status_for(statuses: dict[str, int], role: str) -> int:
    while role not in statuses:
        role = LIKE[role]
    return statuses[role]


BANK_ROLES = ("officer_serving", "officer_other")


def expect(**overrides) -> dict[str, int]:
    """Public by default; override roles by name.

    Bank officers and region officials are not villagers: on a page closed to anonymous
    visitors they get 404 unless a case says otherwise (bank pages do, in tests/loans/matrix.py;
    the cadre pages open to oversight give OVERSEERS 200).
    """
    statuses = dict.fromkeys(BASE_ROLES + OFFICIALS, 200)
    if overrides.get("anonymous", 200) != 200:
        statuses.update(dict.fromkeys(BANK_ROLES + OFFICIALS, 404))
    statuses.update(overrides)
    return statuses


PUBLIC = expect()
# Private to the village's members: outsiders get 404, anonymous viewers are sent to sign in.
# Bank officers are not villagers: village-private pages are closed to them too.
MEMBERS = expect(
    anonymous=302,
    villager_elsewhere=404,
    cadre_elsewhere=404,
    officer_serving=404,
    officer_other=404,
)
# Private to the village's cadres.
CADRES = expect(
    anonymous=302,
    villager_here=404,
    villager_elsewhere=404,
    cadre_elsewhere=404,
    officer_serving=404,
    officer_other=404,
)
# The pages of assisted entry: the village's cadres and its grid workers.
ASSISTERS = CADRES | {"grid_worker_here": 200}
# Cadre pages open to oversight: the officials over the village read them.
CADRES_OVERSEEN = CADRES | OVERSEERS
# Posting to such a page: the officials over the village are told it is read only (403).
CADRES_OVERSEEN_POST = CADRES | {"cadre_here": 405, "operator": 405} | dict.fromkeys(OVERSEERS, 403)
# POST-only pages asked with GET: those who may reach the page get 405, the others as above.
MEMBERS_POST = MEMBERS | {"villager_here": 405, "cadre_here": 405, "operator": 405}
CADRES_POST = CADRES | {"cadre_here": 405, "operator": 405}


@dataclass
class Case:
    name: str
    url: Callable[[object], str]
    expect: dict[str, int]
    method: str = "get"
    data: dict = field(default_factory=dict)
    # Also ask with the ids of another village's object (tests/test_permission_matrix.py).
    foreign: bool = True

    def __str__(self):
        return f"{self.method.upper()} {self.name}"
