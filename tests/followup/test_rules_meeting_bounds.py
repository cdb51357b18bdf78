"""Events with absurd attendee counts are no meetings for the meeting rules, from any source."""

from __future__ import annotations

from datetime import timedelta

from builders import MY, NOW, RULES, kinds, meeting, state

from followup.rules import plan
from followup.rules.meetings import MAX_ATTENDEES


def test_an_event_with_more_than_500_people_gets_no_meeting_nudges() -> None:
    crowd = [f"p{i}@acme.example" for i in range(MAX_ATTENDEES)]  # and me: 501
    past = meeting("all-hands", NOW - timedelta(hours=20), 60, crowd)
    coming = meeting("town-hall", NOW + timedelta(hours=3), 60, crowd)
    small = meeting("review", NOW + timedelta(hours=4), 60, crowd[: MAX_ATTENDEES - 1])  # and me
    nudges = plan(state(meetings=(past, coming, small)), NOW, RULES, MY)
    assert kinds(nudges, "after_meeting") == []
    assert [n.key for n in kinds(nudges, "before_meeting")] == ["before_meeting:review"]
