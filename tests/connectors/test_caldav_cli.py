"""A CalDAV calendar through the CLI and a config file, against a real Radicale: sync
reports it, and its meetings give before- and after-meeting nudges."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from servers import CalUser, Radicale, cal_user_fixture, radicale_server_fixture  # noqa: F401
from test_caldav_sync import vevent

from followup.cli import cli

pytestmark = pytest.mark.server

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)  # Tue 08:30 Chicago
ME = "penny@example.com"


def write_config(tmp_path: Path, server: Radicale, user: CalUser) -> Path:
    (tmp_path / "Mail" / "cur").mkdir(parents=True)
    for sub in ("new", "tmp"):
        (tmp_path / "Mail" / sub).mkdir()
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[me]
name = "Penny Example"
addresses = ["{ME}"]
domains = ["example.com"]
timezone = "America/Chicago"

[storage]
url = "sqlite:///{tmp_path / "state.db"}"

[[mail]]
name = "local"
kind = "maildir"
path = "{tmp_path / "Mail"}"

[[calendar]]
name = "team"
kind = "caldav"
url = "{server.url}"
username = "{user.name}"
password_env = "CALDAV_CLI_PASSWORD"
calendars = ["Work"]
allow_insecure = true

[nlp]
pipeline = "rules"
"""
    )
    return path


@pytest.fixture
def setup(
    tmp_path: Path, radicale_server: Radicale, cal_user: CalUser, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Any]:
    monkeypatch.setenv("CALDAV_CLI_PASSWORD", cal_user.password)
    cal = radicale_server.client(cal_user).principal().make_calendar(name="Work", cal_id="work")
    cal.save_event(vevent("intro", "20260316T150000Z", "Acme intro call"))  # yesterday
    cal.save_event(vevent("pricing", "20260318T150000Z", "Acme pricing review"))  # tomorrow
    return write_config(tmp_path, radicale_server, cal_user), cal


def invoke(config: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_sync_json_reports_the_caldav_events(setup: tuple[Path, Any]) -> None:
    config, _ = setup
    result = invoke(config, "sync", "--json", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    sources = data["sources"] if isinstance(data, dict) else data
    (team,) = [s for s in sources if s["source"] == "team"]
    assert team["ok"] and team["kind"] == "caldav" and team["events"] == 2


def test_run_gives_before_and_after_meeting_nudges(setup: tuple[Path, Any]) -> None:
    config, _ = setup
    assert invoke(config, "run", "--no-send", "--now", NOW.isoformat()).exit_code == 0
    out = json.loads(invoke(config, "digest", "--json", "--all", "--now", NOW.isoformat()).output)
    items = out["items"] if isinstance(out, dict) else out
    assert sorted((n["kind"], n["title"]) for n in items) == [
        ("after_meeting", "Send a follow-up after 'Acme intro call'"),
        ("before_meeting", "10:00 Acme pricing review"),
    ]


def test_wrong_password_is_one_clear_line(
    setup: tuple[Path, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = setup
    monkeypatch.setenv("CALDAV_CLI_PASSWORD", "wrong")
    result = invoke(config, "sync", "--now", NOW.isoformat())
    assert result.exit_code == 1
    errors = [ln for ln in result.stderr.splitlines() if "team" in ln]
    assert len(errors) == 1
    assert "the server refused the username or password (HTTP 401)" in errors[0]
    assert "wrong" not in result.stderr


def test_doctor_shows_the_calendars_and_their_sync(setup: tuple[Path, Any]) -> None:
    config, _ = setup
    result = invoke(config, "doctor", "--json")
    data = json.loads(result.output)
    (team,) = [s for s in data["sources"] if s["source"] == "team"]
    assert team["ok"] is True
    assert team["details"]["calendars"] == [
        {"calendar": "work", "name": "Work", "sync_token": True}
    ]
    human = invoke(config, "doctor")
    assert "calendar Work: sync token" in human.output
