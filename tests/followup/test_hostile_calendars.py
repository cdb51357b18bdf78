"""Hostile calendars through the CLI: `followup sync --json`, then `followup digest --json`.

Each calendar of tests/data/hostile/ics/ (and the big ones tests/hostile_calendars.py
writes) holds one ordinary meeting tomorrow with someone outside, "Contract review",
beside whatever the file does to a parser. The sync must finish quickly, skip what is
no meeting with a counted reason, keep the ordinary meeting, and the digest must brief
for it without a flood of before-meeting nudges.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_calendars import HOSTILE_ICS, huge_summary, many_attendees, write_corpus

from followup.cli import cli

NOW = "2026-03-17T07:30"  # Tue, America/Chicago
ME = "penny@example.com"


def write_config(tmp_path: Path, calendar: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[me]
name = "Penny Example"
addresses = ["{ME}"]
domains = ["example.com"]
timezone = "America/Chicago"

[storage]
url = "sqlite:///{tmp_path / "db.sqlite"}"

[[calendar]]
name = "cal"
kind = "ics"
path = "{calendar}"
""",
        encoding="utf-8",
    )
    return path


def sync_and_digest(config: Path) -> tuple[dict[str, object], list[dict[str, object]]]:
    runner = CliRunner()
    synced = runner.invoke(
        cli, ["--config", str(config), "sync", "--json", "--now", NOW], catch_exceptions=False
    )
    assert synced.exit_code == 0, synced.output
    digest = runner.invoke(
        cli, ["--config", str(config), "digest", "--json", "--now", NOW], catch_exceptions=False
    )
    assert digest.exit_code == 0, digest.output
    (report,) = json.loads(synced.stdout)
    return report, json.loads(digest.stdout)


def before_meetings(items: list[dict[str, object]]) -> list[str]:
    return sorted(str(i["title"]) for i in items if i["kind"] == "before_meeting")


# file -> (the skip reasons sync --json reports, the before-meeting nudges' titles)
EXPECTED: dict[str, tuple[dict[str, int], list[str]]] = {
    "secondly.ics": ({"repeats more often than every 4 hours": 1}, ["10:00 Contract review"]),
    "minutely.ics": ({"repeats more often than every 4 hours": 1}, ["10:00 Contract review"]),
    "hourly_byminute.ics": (
        {
            "repeats more often than every 4 hours": 2,
            "recurrence starts too long before the window for its frequency": 1,
        },
        ["10:00 Contract review"],
    ),
    "recurrence_id_storm.ics": (
        {"more than 500 changed occurrences": 1},
        ["10:00 Contract review"],
    ),
    "bad_events.ics": (
        {
            "no start (DTSTART)": 2,
            "unreadable date or time zone": 3,
            "recurrence ends before it starts": 1,
            "unreadable recurrence rule": 1,
        },
        # A date series with a date-time UNTIL is read as RFC 5545 means it.
        ["10:00 Contract review", "19:00 Date series with a datetime UNTIL"],
    ),
    "empty.ics": ({}, []),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_calendar_is_bounded(tmp_path: Path, name: str) -> None:
    reasons, titles = EXPECTED[name]
    report, items = sync_and_digest(write_config(tmp_path, HOSTILE_ICS / name))
    assert report["ok"] is True
    assert report["event_skip_reasons"] == reasons
    assert report["events_skipped"] == sum(reasons.values())
    assert before_meetings(items) == titles


def test_broken_lines_and_zones_keep_the_readable_events(tmp_path: Path) -> None:
    for name, kept in (
        ("malformed_lines.ics", {"Contract review", "Ends before it starts", ""}),
        ("broken_vtimezone.ics", {"Contract review", "Broken zone", "Empty zone", "No such zone"}),
    ):
        (tmp_path / name).mkdir()
        report, items = sync_and_digest(write_config(tmp_path / name, HOSTILE_ICS / name))
        assert report["ok"] is True, name
        titles = {str(i["title"])[6:] for i in items if i["kind"] == "before_meeting"}
        assert {"Contract review"} <= titles <= kept, name


def test_non_utf8_and_control_characters_are_stored_replaced(tmp_path: Path) -> None:
    _, items = sync_and_digest(write_config(tmp_path, HOSTILE_ICS / "non_utf8.ics"))
    cafe = next(str(i["title"]) for i in items if "Caf" in str(i["title"]))
    assert "\x00" not in cafe and "\x1b" not in cafe
    assert cafe.startswith("04:00 Caf\ufffd cr\ufffdme")


def test_ten_thousand_attendees_is_no_meeting(tmp_path: Path) -> None:
    path = tmp_path / "attendees.ics"
    path.write_text(many_attendees(), encoding="utf-8")
    report, items = sync_and_digest(write_config(tmp_path, path))
    assert report["event_skip_reasons"] == {"more than 500 attendees": 1}
    assert before_meetings(items) == ["10:00 Contract review"]


def test_a_megabyte_summary_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "summary.ics"
    path.write_text(huge_summary(), encoding="utf-8")
    report, items = sync_and_digest(write_config(tmp_path, path))
    assert report["events"] == 2
    huge = next(str(i["title"]) for i in items if "AAAA" in str(i["title"]))
    assert len(huge) == len("12:00 ") + 500


def run_cli(
    config: Path, *args: str, timeout: float
) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "FOLLOWUP_CONFIG": str(config)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "followup", *args, "--json", "--now", NOW],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    return done, time.monotonic() - started


def test_secondly_calendar_syncs_in_seconds_as_a_process(tmp_path: Path) -> None:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done, _ = run_cli(write_config(tmp_path, HOSTILE_ICS / "secondly.ics"), "sync", timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr
    # CPU seconds, Python start-up included (wall time depends on the machine's load);
    # it hung before, growing ~15 MB/s.
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert cpu < 5, f"sync took {cpu:.1f} CPU seconds"
    (report,) = json.loads(done.stdout)
    assert report["events"] == 1


@pytest.mark.slow
def test_the_whole_corpus_with_50000_events_in_bounded_time_and_memory(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    files = write_corpus(corpus)
    assert len(files) >= 12
    config = write_config(tmp_path, corpus)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done, took = run_cli(config, "sync", timeout=900)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert done.returncode == 0, done.stderr
    (report,) = json.loads(done.stdout)
    # The 50,000 blocks (~900 a day over 56 days) are cut to 100 a day, those with
    # people first: storing 50,000 rows a run took minutes.
    reasons = report["event_skip_reasons"]
    assert 56 * 100 <= report["events"] <= 56 * 100 + 100, report
    assert reasons["repeats more often than every 4 hours"] == 4
    assert reasons["more than 100 events in one day (the rest dropped)"] > 44_000
    digest, _ = run_cli(config, "digest", timeout=600)
    assert digest.returncode == 0, digest.stderr
    titles = [i["title"] for i in json.loads(digest.stdout) if i["kind"] == "before_meeting"]
    # One "Contract review" per file (same UID in different files) and the handful of
    # readable odd meetings; nothing from the series, the storm or the 50,000 blocks.
    assert titles.count("10:00 Contract review") >= 1 and len(titles) < 25, titles
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mb < 1500, f"peak RSS {peak_mb:.0f} MB"
    # Mostly icalendar reading 50,000 VEVENTs (~25 CPU seconds on its own).
    assert cpu < 180, f"sync took {cpu:.0f} CPU seconds"
    print(f"corpus sync {took:.1f}s wall, {cpu:.1f}s CPU, peak RSS {peak_mb:.0f} MB")
