"""IcsCalendarSource.sync: checkpoints, a file gone, another window, unchanged files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from contract import EventSpec, mirror_calendar, summaries, sync_calendar
from test_contract_calendars import vevent

from connectors import ics_bounds
from connectors.ics import IcsCalendarSource

WINDOW = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


def write(path: Path, *specs: EventSpec) -> None:
    body = "\r\n".join(vevent(s) for s in specs)
    path.write_text(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}\r\nEND:VCALENDAR\r\n")


def spec(uid: str, day: int, month: int = 3) -> EventSpec:
    return EventSpec(uid, f"Meeting {uid}", datetime(2026, month, day, 10, tzinfo=UTC))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path / "work.ics", spec("a", 2), spec("b", 20))
    write(tmp_path / "home.ics", spec("c", 5))
    return tmp_path


def test_each_file_is_a_calendar_and_a_file_gone_is_an_empty_listing(folder: Path) -> None:
    source = IcsCalendarSource.from_config("cal", {"path": str(folder)})
    first = sync_calendar(source, window=WINDOW)
    assert sorted(b.calendar for b in first.batches) == ["home", "work"]
    held = mirror_calendar(first)
    (folder / "home.ics").unlink()
    second = sync_calendar(source, first.checkpoints, window=WINDOW)
    assert [(b.calendar, b.events, b.checkpoint, b.window) for b in second.batches] == [
        ("home", (), "", WINDOW)
    ]
    assert set(second.checkpoints) == {"work"}
    after = mirror_calendar(second, held)
    assert summaries(after, "home") == []
    assert summaries(after, "work") == ["Meeting a", "Meeting b"]
    assert sync_calendar(source, second.checkpoints, window=WINDOW).batches == []


def test_another_window_lists_again_and_an_unchanged_file_is_not_parsed(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = IcsCalendarSource.from_config("cal", {"path": str(folder)})
    first = sync_calendar(source, window=WINDOW)
    later = (WINDOW[0] + timedelta(days=1), WINDOW[1] + timedelta(days=1))
    moved = sync_calendar(source, first.checkpoints, window=later)
    assert {b.window for b in moved.batches} == {later}
    assert moved.checkpoints != first.checkpoints

    def no_parsing(data: bytes) -> object:
        raise AssertionError("an unchanged calendar was parsed")

    monkeypatch.setattr(ics_bounds, "parse", no_parsing)
    assert sync_calendar(source, moved.checkpoints, window=later).batches == []


def test_a_timezone_option_change_reads_the_file_again(folder: Path) -> None:
    utc = IcsCalendarSource.from_config("cal", {"path": str(folder)})
    paris = IcsCalendarSource.from_config("cal", {"path": str(folder), "timezone": "Europe/Paris"})
    first = sync_calendar(utc, window=WINDOW)
    assert len(sync_calendar(paris, first.checkpoints, window=WINDOW).batches) == 2


def test_two_files_of_one_name_are_one_calendar(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a" / "team.ics", spec("x", 3))
    write(tmp_path / "b" / "team.ics", spec("y", 4))
    source = IcsCalendarSource.from_config("cal", {"path": str(tmp_path)})
    (batch,) = sync_calendar(source, window=WINDOW).batches
    assert batch.calendar == "team"
    assert sorted(e.summary for e in batch.events) == ["Meeting x", "Meeting y"]
