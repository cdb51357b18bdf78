"""A rule that fails on one candidate drops that nudge only: the plan goes on."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from builders import ME, MY, NOW, RULES, ask, kinds, meeting, msg, state, thread

from followup.rules import PlanFailures, plan


def _state_with_edge_meeting():
    dana = thread(
        msg("dana@acme.example", ME, NOW - timedelta(days=4), findings=(ask("Can you sign?"),))
    )
    # At the very end of the calendar: seen from Tokyo it is past year 9999.
    edge = meeting(
        "edge\x1b[2J@cal", datetime(9999, 12, 31, 23, tzinfo=UTC), 30, ["x@north.example"]
    )
    soon = meeting("soon@cal", NOW + timedelta(hours=3), 30, ["lee@north.example"])
    return state(dana, meetings=(edge, soon))


def test_one_failing_candidate_drops_only_its_nudge(caplog):
    tokyo = replace(MY, timezone="Asia/Tokyo")
    failures = PlanFailures()
    with caplog.at_level(logging.WARNING, logger="followup.rules.guard"):
        nudges = plan(_state_with_edge_meeting(), NOW, RULES, tokyo, failures)
    assert [n.person.email for n in kinds(nudges, "reply")] == ["dana@acme.example"]
    assert [n.key for n in kinds(nudges, "before_meeting")] == ["before_meeting:soon@cal"]
    assert failures.count == 1
    [record] = caplog.records
    line = record.getMessage()
    assert line == (
        "planning failed for before_meeting 'meeting edge\\x1b[2J@cal' (OverflowError); "
        "nudge dropped"
    )
    assert "\x1b" not in line and "Can you sign" not in line


def test_without_a_collector_the_plan_still_goes_on():
    tokyo = replace(MY, timezone="Asia/Tokyo")
    nudges = plan(_state_with_edge_meeting(), NOW, RULES, tokyo)
    assert {n.kind for n in nudges} == {"reply", "before_meeting"}
