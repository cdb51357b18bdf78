"""The calendar-source contract for CalDAV, against a real Radicale on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from contract import CalendarHarness, CalendarSourceTests, EventSpec, MakeCalendar
from servers import CalUser, Radicale, cal_user_fixture, radicale_server_fixture  # noqa: F401
from test_contract_calendars import vevent

from connectors.caldav_source import CaldavCalendarSource

pytestmark = pytest.mark.server


def vcalendar(spec: EventSpec) -> str:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    return f"{head}{vevent(spec)}\r\nEND:VCALENDAR\r\n"


class TestCaldavContract(CalendarSourceTests):
    @pytest.fixture
    def make_calendar(
        self, radicale_server: Radicale, cal_user: CalUser, monkeypatch: pytest.MonkeyPatch
    ) -> MakeCalendar:
        monkeypatch.setenv("CALDAV_CONTRACT_PASSWORD", cal_user.password)

        def make(events: Sequence[EventSpec]) -> CalendarHarness:
            client = radicale_server.client(cal_user)
            cal: Any = client.principal().make_calendar(name="Work", cal_id="work")
            for spec in events:
                cal.save_event(vcalendar(spec))

            def put(spec: EventSpec) -> None:
                cal.save_event(vcalendar(spec))

            def delete(uid: str) -> None:
                cal.event_by_uid(uid).delete()

            source = CaldavCalendarSource.from_config(
                "cal",
                {
                    "url": cal_user.url,
                    "username": cal_user.name,
                    "password_env": "CALDAV_CONTRACT_PASSWORD",
                    "allow_insecure": True,
                },
            )
            return CalendarHarness(source, "work", put, delete)

        return make
