"""The topic's state machine: which action may move a topic from which status to which.

Pure data and one function, so every legal and illegal move can be listed in a test. The
services apply a move with a conditional UPDATE (``filter(status__in=sources)``) so two people
acting at once cannot both win.
"""

from django.utils.translation import gettext_lazy as _

from talks.models import Topic

S = Topic.Status

OPEN = (S.RAISED, S.DISCUSSING, S.HANDLING, S.HANDLED)  # still taking comments and support
UNRESOLVED = (S.RAISED, S.DISCUSSING, S.HANDLING)  # counted as open on the cadres' record
FINAL = (S.CLOSED, S.DECLINED, S.WITHDRAWN, S.MERGED)

# action -> {from status: to status}. An action absent for a status is illegal there.
TRANSITIONS: dict[str, dict[str, str]] = {
    # An official reply moves a new matter into discussion; later replies keep the status.
    "reply": {
        S.RAISED: S.DISCUSSING,
        S.DISCUSSING: S.DISCUSSING,
        S.HANDLING: S.HANDLING,
        S.HANDLED: S.HANDLED,
    },
    "comment": {s: s for s in OPEN},
    "support": {s: s for s in OPEN},
    "hide": {s: s for s in (*OPEN, *FINAL)},
    "open_vote": {S.RAISED: S.DISCUSSING, S.DISCUSSING: S.DISCUSSING},
    "assign": {S.RAISED: S.HANDLING, S.DISCUSSING: S.HANDLING, S.HANDLING: S.HANDLING},
    "progress": {S.HANDLING: S.HANDLING},
    "handled": {S.DISCUSSING: S.HANDLED, S.HANDLING: S.HANDLED},
    "rate": {S.HANDLED: S.HANDLED},
    "close": {S.HANDLED: S.CLOSED},
    "decline": {S.RAISED: S.DECLINED, S.DISCUSSING: S.DECLINED},
    "withdraw": {S.RAISED: S.WITHDRAWN, S.DISCUSSING: S.WITHDRAWN},
    "merge": {S.RAISED: S.MERGED, S.DISCUSSING: S.MERGED},
    # Escalation to the town (talks.escalation) marks the matter, it does not move it: the beat
    # job escalates an unresolved matter past a deadline, its author one that was declined.
    "escalate_overdue": {s: s for s in UNRESOLVED},
    "escalate_declined": {S.DECLINED: S.DECLINED},
    # The town official on an escalated matter: a reply (also on a declined one), a task sent
    # back to the village or taking it over (both reopen a declined matter for handling).
    "official_reply": {
        S.RAISED: S.DISCUSSING,
        S.DISCUSSING: S.DISCUSSING,
        S.HANDLING: S.HANDLING,
        S.HANDLED: S.HANDLED,
        S.DECLINED: S.DECLINED,
    },
    "official_assign": dict.fromkeys((*UNRESOLVED, S.DECLINED), S.HANDLING),
    "take_over": dict.fromkeys((*UNRESOLVED, S.DECLINED), S.HANDLING),
    # "Still not fixed?": the author's answer to the follow-up of a handled matter.
    "confirm_fixed": {S.HANDLED: S.HANDLED, S.CLOSED: S.CLOSED},
    "reopen": {S.HANDLED: S.HANDLING, S.CLOSED: S.HANDLING},
}

# The four steps drawn as a progress bar: the step a status has reached (1..4).
STEP_OF = {
    S.RAISED: 1,
    S.DISCUSSING: 2,
    S.HANDLING: 3,
    S.HANDLED: 4,
    S.CLOSED: 4,
    S.DECLINED: 2,
    S.WITHDRAWN: 1,
    S.MERGED: 1,
}
STEPS = (_("Speak"), _("Discuss"), _("Handle"), _("Evaluate"))


class IllegalTransition(Exception):
    def __init__(self, action: str, status: str):
        super().__init__(f"{action} is not allowed when the topic is {status}")
        self.action = action
        self.status = status


def sources(action: str) -> tuple[str, ...]:
    return tuple(TRANSITIONS[action])


def allowed(action: str, status: str) -> bool:
    return status in TRANSITIONS[action]


def target(action: str, status: str) -> str:
    """The status after ``action``, or IllegalTransition."""
    try:
        return TRANSITIONS[action][status]
    except KeyError:
        raise IllegalTransition(action, status) from None
