"""The ticket state machine, as plain data: no app, no database."""

import pytest

from seeclick.reports.lifecycle import Action, IllegalTransition, allowed_actions, transition
from seeclick.reports.models import Status


@pytest.mark.parametrize("current, action, resolution, expected", [
    (Status.NEW, Action.ACKNOWLEDGE, None, Status.ACKNOWLEDGED),
    (Status.NEW, Action.START, None, Status.IN_PROGRESS),
    (Status.ACKNOWLEDGED, Action.START, None, Status.IN_PROGRESS),
    (Status.IN_PROGRESS, Action.CLOSE, Status.FIXED, Status.FIXED),
    (Status.NEW, Action.CLOSE, Status.NOT_OURS, Status.NOT_OURS),
    (Status.ACKNOWLEDGED, Action.CLOSE, Status.NOT_FIXABLE, Status.NOT_FIXABLE),
    (Status.FIXED, Action.REOPEN, None, Status.ACKNOWLEDGED),
    (Status.DUPLICATE, Action.REOPEN, None, Status.ACKNOWLEDGED),
    (Status.IN_PROGRESS, Action.REASSIGN, None, Status.NEW),
    (Status.ACKNOWLEDGED, Action.MERGE, None, Status.DUPLICATE),
])
def test_legal_transitions(current, action, resolution, expected):
    assert transition(current, action, resolution).new is expected


@pytest.mark.parametrize("current, action, message", [
    (Status.ACKNOWLEDGED, Action.ACKNOWLEDGE, "“acknowledged” cannot be acknowledged"),
    (Status.IN_PROGRESS, Action.ACKNOWLEDGE, "“in progress” cannot be acknowledged"),
    (Status.FIXED, Action.CLOSE, "“fixed” cannot be closed"),
    (Status.NEW, Action.REOPEN, "“new” cannot be reopened"),
    (Status.NOT_OURS, Action.REASSIGN, "“not ours” cannot be reassigned"),
    (Status.DUPLICATE, Action.MERGE, "“duplicate” cannot be merged"),
    (Status.FIXED, Action.START, "“fixed” cannot be started"),
])
def test_illegal_transitions_say_why(current, action, message):
    with pytest.raises(IllegalTransition, match=message):
        transition(current, action, Status.FIXED)


@pytest.mark.parametrize("resolution", [None, Status.DUPLICATE, Status.NEW, Status.IN_PROGRESS])
def test_closing_needs_a_resolution_a_dispatcher_may_choose(resolution):
    with pytest.raises(IllegalTransition, match="Choose how it was resolved: fixed, cannot be fixed, not ours"):
        transition(Status.ACKNOWLEDGED, Action.CLOSE, resolution)


def test_only_closing_and_merging_close_and_only_reopening_opens():
    for status in Status:
        for action in allowed_actions(status):
            result = transition(status, action, Status.FIXED)
            assert result.new.is_open is (action not in (Action.CLOSE, Action.MERGE)), (status, action)
            assert result.closes is (action in (Action.CLOSE, Action.MERGE))
            assert result.reopens is (action is Action.REOPEN)


def test_the_actions_offered_follow_the_status():
    assert allowed_actions(Status.NEW) == [Action.ACKNOWLEDGE, Action.START, Action.CLOSE, Action.REASSIGN,
                                           Action.MERGE]
    assert allowed_actions(Status.IN_PROGRESS) == [Action.CLOSE, Action.REASSIGN, Action.MERGE]
    assert allowed_actions(Status.FIXED) == [Action.REOPEN]
