"""The calendar-source contract for the ICS and in-memory sources."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from contract import CalendarHarness, CalendarSourceTests, EventSpec, MakeCalendar

from connectors.ics import IcsCalendarSource
from connectors.memory import MemoryCalendarSource
from connectors.records import Address, Attendee, EventRecord


def _stamp(spec: EventSpec, minutes: int = 0) -> str:
    return (spec.start + timedelta(minutes=minutes)).strftime("%Y%m%dT%H%M%SZ")


def vevent(spec: EventSpec) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{spec.uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{_stamp(spec)}",
        f"DTEND:{_stamp(spec, spec.minutes)}",
        f"SUMMARY:{spec.summary}",
    ]
    if spec.organizer:
        lines.append(f"ORGANIZER:mailto:{spec.organizer}")
    lines += [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{a}" for a in spec.attendees]
    return "\r\n".join([*lines, "END:VEVENT"])


class TestIcsCalendarContract(CalendarSourceTests):
    @pytest.fixture
    def make_calendar(self, tmp_path: Path) -> MakeCalendar:
        def make(events: Sequence[EventSpec]) -> CalendarHarness:
            held = {e.uid: e for e in events}
            path = tmp_path / "cal" / "work.ics"
            path.parent.mkdir()

            def write() -> None:
                body = "\r\n".join(vevent(e) for e in held.values())
                path.write_text(
                    f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}\r\n"
                    "END:VCALENDAR\r\n"
                )

            def put(spec: EventSpec) -> None:
                held[spec.uid] = spec
                write()

            def delete(uid: str) -> None:
                del held[uid]
                write()

            write()
            source = IcsCalendarSource.from_config("cal", {"path": str(path.parent)})
            return CalendarHarness(source, "work", put, delete)

        return make


def record(spec: EventSpec) -> EventRecord:
    organizer = Address("", spec.organizer) if spec.organizer else None
    return EventRecord(
        source="",
        calendar="primary",
        uid=spec.uid,
        summary=spec.summary,
        start=spec.start,
        end=spec.start + timedelta(minutes=spec.minutes),
        organizer=organizer,
        attendees=tuple(Attendee(Address("", a), "accepted") for a in spec.attendees),
    )


class TestMemoryCalendarContract(CalendarSourceTests):
    @pytest.fixture
    def make_calendar(self) -> MakeCalendar:
        def make(events: Sequence[EventSpec]) -> CalendarHarness:
            source = MemoryCalendarSource("cal", [record(e) for e in events])
            return CalendarHarness(
                source,
                "primary",
                lambda spec: source.add(record(spec)),
                lambda uid: source.remove("primary", uid),
            )

        return make


class TestTinyJsonCalendarContract(CalendarSourceTests):
    """The source written to try what adding a source costs (tests/tiny_calendar.py)."""

    @pytest.fixture
    def make_calendar(self, tmp_path: Path) -> MakeCalendar:
        from tiny_calendar import JsonCalendarSource

        def make(events: Sequence[EventSpec]) -> CalendarHarness:
            held = {e.uid: e for e in events}
            path = tmp_path / "team.json"

            def write() -> None:
                path.write_text(
                    json.dumps(
                        [
                            {
                                "uid": e.uid,
                                "summary": e.summary,
                                "start": e.start.isoformat(),
                                "end": (e.start + timedelta(minutes=e.minutes)).isoformat(),
                                "organizer": e.organizer,
                                "attendees": list(e.attendees),
                            }
                            for e in held.values()
                        ]
                    )
                )

            def put(spec: EventSpec) -> None:
                held[spec.uid] = spec
                write()

            def delete(uid: str) -> None:
                del held[uid]
                write()

            write()
            source = JsonCalendarSource.from_config("cal", {"path": str(path)})
            return CalendarHarness(source, "team", put, delete)

        return make
