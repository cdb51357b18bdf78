"""The calendar-source contract for Google Calendar, against the fake Google Calendar.

The real googleapiclient builds the ``events.list`` requests from its shipped discovery
document and parses the answers; ``calendar_fake`` answers as the Calendar API documents
(paging, ``nextSyncToken``, changes since a token, 410 on a token it never issued).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from calendar_fake import FakeGoogleCalendar
from contract import CalendarHarness, CalendarSourceTests, EventSpec, MakeCalendar
from gmail_fake import write_token

from connectors.google_auth import CALENDAR_READONLY
from connectors.google_calendar import GoogleCalendarSource, settings_from_options


def resource(spec: EventSpec, revision: int = 0) -> dict[str, Any]:
    """An ``events`` resource as Google gives it for ``spec`` (times in Berlin's zone)."""

    def when(moment: Any) -> dict[str, str]:
        return {"dateTime": moment.isoformat(), "timeZone": "Europe/Berlin"}

    item: dict[str, Any] = {
        "kind": "calendar#event",
        "etag": f'"{revision}"',
        "id": spec.uid,
        "status": "confirmed",
        "htmlLink": f"https://www.google.com/calendar/event?eid={spec.uid}",
        "summary": spec.summary,
        "creator": {"email": spec.organizer or "penny@example.com"},
        "organizer": {"email": spec.organizer or "penny@example.com"},
        "start": when(spec.start),
        "end": when(spec.start + timedelta(minutes=spec.minutes)),
        "iCalUID": f"{spec.uid}@google.com",
        "sequence": revision,
        "eventType": "default",
    }
    if spec.attendees:
        item["attendees"] = [
            {"email": a, "responseStatus": "accepted", **({"organizer": True} if a ==
             spec.organizer else {})}
            for a in spec.attendees
        ]  # fmt: skip
    return item


class TestGoogleCalendarContract(CalendarSourceTests):
    @pytest.fixture
    def make_calendar(self, tmp_path: Path) -> MakeCalendar:
        def make(events: Sequence[EventSpec]) -> CalendarHarness:
            fake = FakeGoogleCalendar()
            for spec in events:
                fake.put("primary", resource(spec))
            token = tmp_path / "calendar-token.json"
            write_token(token, scopes=(CALENDAR_READONLY,))
            source = GoogleCalendarSource(
                "cal",
                settings_from_options("cal", {"oauth_token_file": str(token), "page_size": 2}),
                http_factory=lambda _timeout: fake,
                sleep=lambda _s: None,
            )
            return CalendarHarness(
                source,
                "primary",
                lambda spec: fake.put("primary", resource(spec, fake.change)),
                lambda uid: fake.delete("primary", uid),
            )

        return make
