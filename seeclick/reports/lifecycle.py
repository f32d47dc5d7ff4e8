"""The ticket state machine: which action may follow which status, as plain data and functions.

Every status has an open or closed type (Status.type). Actions move a report between them;
anything not listed here is refused with a message a dispatcher can act on.
"""

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from seeclick.reports.models import CLOSED_STATUSES, Status

OPEN_STATUSES = frozenset(s for s in Status if s.is_open)


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"  # work is under way
    CLOSE = "close"  # with a resolution and a public note
    REOPEN = "reopen"
    REASSIGN = "reassign"  # to another department that can act, with a reason
    MERGE = "merge"  # closed as a duplicate of another report


class IllegalTransition(ValueError):
    """An action that cannot follow the report's current status."""


# A resolution a dispatcher may choose when closing; DUPLICATE comes only from a merge, which
# names the original report.
RESOLUTIONS = (Status.FIXED, Status.NOT_FIXABLE, Status.NOT_OURS)

# action -> (statuses it may follow, status it leads to; None: the resolution chosen)
TRANSITIONS: dict[Action, tuple[frozenset[Status], Status | None]] = {
    Action.ACKNOWLEDGE: (frozenset({Status.NEW}), Status.ACKNOWLEDGED),
    Action.START: (frozenset({Status.NEW, Status.ACKNOWLEDGED}), Status.IN_PROGRESS),
    Action.CLOSE: (OPEN_STATUSES, None),
    Action.REOPEN: (frozenset(CLOSED_STATUSES), Status.ACKNOWLEDGED),
    # The new department has not seen it yet: it arrives in their queue as new.
    Action.REASSIGN: (OPEN_STATUSES, Status.NEW),
    Action.MERGE: (OPEN_STATUSES, Status.DUPLICATE),
}

# Why an action cannot follow a status, one whole sentence an action (so that every language can word it).
REFUSED = {
    Action.ACKNOWLEDGE: _l("A report that is “%(status)s” cannot be acknowledged."),
    Action.START: _l("A report that is “%(status)s” cannot be started."),
    Action.CLOSE: _l("A report that is “%(status)s” cannot be closed."),
    Action.REOPEN: _l("A report that is “%(status)s” cannot be reopened."),
    Action.REASSIGN: _l("A report that is “%(status)s” cannot be reassigned."),
    Action.MERGE: _l("A report that is “%(status)s” cannot be merged."),
}


@dataclass(frozen=True)
class Transition:
    action: Action
    old: Status
    new: Status

    @property
    def closes(self) -> bool:
        return self.old.is_open and not self.new.is_open

    @property
    def reopens(self) -> bool:
        return not self.old.is_open and self.new.is_open


def transition(current: Status, action: Action, resolution: Status | None = None) -> Transition:
    """The status an action leads to from the current one, or IllegalTransition saying why not."""
    allowed_from, leads_to = TRANSITIONS[action]
    if current not in allowed_from:
        raise IllegalTransition(REFUSED[action] % {"status": current.label})
    if action is Action.CLOSE:
        if resolution not in RESOLUTIONS:
            raise IllegalTransition(gettext("Choose how it was resolved: %(choices)s.",
                                            choices=", ".join(str(r.label) for r in RESOLUTIONS)))
        leads_to = resolution
    return Transition(action, current, leads_to)


def allowed_actions(current: Status) -> list[Action]:
    """What a dispatcher can do next, in the order the ticket page offers it."""
    return [action for action, (allowed_from, _) in TRANSITIONS.items() if current in allowed_from]
