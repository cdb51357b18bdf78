"""What can matter first: a run analyses the mail inside the planning window, newest
first, then a bounded slice of the older history per run (only when it loads the
pipeline anyway, or when asked for history time); ``run --analyse-all`` does the rest;
``doctor`` says how far back the history is analysed. Through the CLI with a fixed --now,
on a Maildir built here."""

from __future__ import annotations

import json
import mailbox
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

import followup.extract
from followup.cli import cli

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
ME = "penny@example.com"
RECENT_DAYS = [1, 3, 5]  # inside the planning window
OLD_DAYS = [200, 300, 400, 500, 600]  # outside it: history


@pytest.fixture
def config(tmp_path: Path) -> Path:
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    for days in RECENT_DAYS + OLD_DAYS:
        box.add(
            (
                f"From: Dana Lee <dana@acme.example>\r\nTo: {ME}\r\nSubject: d{days}\r\n"
                f"Date: {format_datetime(NOW - timedelta(days=days))}\r\n"
                f"Message-ID: <d{days}@acme.example>\r\n\r\nHi Penny,\r\n\r\n"
                "Could you send me the numbers?\r\n\r\nThanks\r\n"
            ).encode()
        )
    path = tmp_path / "config.toml"
    path.write_text(
        f'[me]\nname = "Penny Example"\naddresses = ["{ME}"]\ntimezone = "UTC"\n'
        f'[storage]\nurl = "sqlite:///{tmp_path / "state.db"}"\n'
        f'[[mail]]\nname = "local"\nkind = "maildir"\npath = "{tmp_path / "Mail"}"\n'
        f'[nlp]\npipeline = "rules"\n'
    )
    return path


def run(config: Path, *extra: str) -> dict:
    args = ["--config", str(config), "run", "--no-send", "--json", "--now", NOW.isoformat()]
    r = CliRunner().invoke(cli, [*args, *extra], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def analysed_days(config: Path) -> list[int]:
    db = config.parent / "state.db"
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        subjects = conn.execute(text("SELECT subject FROM message WHERE analysed")).scalars()
        days = sorted(int(s[1:]) for s in subjects)
    engine.dispose()
    return days


def test_a_run_analyses_the_window_then_a_slice_of_history_newest_first(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(followup.extract, "BACKFILL_PER_RUN", 2)
    first = run(config)
    assert first["analysed"] == 5 and first["analysis_backlog"] == 3
    # All the recent mail, and the two newest of the history.
    assert analysed_days(config) == [*RECENT_DAYS, 200, 300]
    assert first["nudges"]["open"] >= 1  # the first digest comes from the recent mail

    r = CliRunner().invoke(cli, ["--config", str(config), "doctor"], catch_exceptions=False)
    month = (NOW - timedelta(days=400)).strftime("%Y-%m")
    assert f"history:   analysed back to {month} " in r.output

    # Nothing new: a cron run does not load the pipeline for history alone.
    quiet = run(config)
    assert quiet["analysed"] == 0 and quiet["analysis_backlog"] == 3
    second = run(config, "--history-seconds", "60")
    assert second["analysed"] == 2 and second["analysis_backlog"] == 1
    assert analysed_days(config) == [*RECENT_DAYS, 200, 300, 400, 500]
    rest = run(config, "--analyse-all")
    assert rest["analysed"] == 1 and rest["analysis_backlog"] == 0
    assert analysed_days(config) == RECENT_DAYS + OLD_DAYS
    r = CliRunner().invoke(cli, ["--config", str(config), "doctor"], catch_exceptions=False)
    assert "history:" not in r.output  # all of it analysed


def test_analyse_all_on_a_first_run_leaves_no_backlog(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(followup.extract, "BACKFILL_PER_RUN", 1)
    report = run(config, "--analyse-all")
    assert report["analysed"] == 8 and report["analysis_backlog"] == 0
    assert report["nudges"]["open"] >= 1


def test_the_history_slice_stops_at_its_time_budget(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No time at all for history: the recent mail only, the rest left for later runs.
    monkeypatch.setattr(followup.extract, "HISTORY_SECONDS", -1.0)
    report = run(config)
    assert report["analysed"] == 3 and report["analysis_backlog"] == 5
    assert analysed_days(config) == RECENT_DAYS
    assert run(config, "--analyse-all")["analysis_backlog"] == 0


def test_a_quiet_run_with_a_backlog_never_builds_the_pipeline(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(followup.extract, "HISTORY_SECONDS", -1.0)
    assert run(config)["analysis_backlog"] == 5

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the pipeline was built with nothing recent to analyse")

    monkeypatch.setattr("nlp.load_pipeline", refuse)
    again = run(config)
    assert again["analysed"] == 0 and again["analysis_backlog"] == 5


def test_the_history_slice_starts_small_then_fits_the_rate(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(followup.extract, "HISTORY_SECONDS", -1.0)
    run(config)  # the recent mail only
    # No batch has measured the speed yet: the first history batch is the small one,
    # the next fits the measured rate to the budget (here: all the rest).
    monkeypatch.setattr(followup.extract, "FIRST_HISTORY_BATCH", 1)
    sizes: list[int] = []
    pending = followup.extract.Store.pending_analysis

    def spy(self: object, limit: int, **kw: object) -> object:
        sizes.append(limit)
        return pending(self, limit, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(followup.extract.Store, "pending_analysis", spy)
    assert run(config, "--history-seconds", "600")["analysed"] == 5
    assert sizes[0] == 1 and max(sizes) == 4
    assert analysed_days(config) == RECENT_DAYS + OLD_DAYS


def test_a_daemon_cycle_works_through_the_history_with_nothing_new(
    config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from followup.config import load_config
    from followup.daemon import run_cycle

    monkeypatch.setattr(followup.extract, "HISTORY_SECONDS", -1.0)
    assert run(config)["analysis_backlog"] == 5  # a cron run: the recent mail only
    assert run(config)["analysed"] == 0  # nothing new: no history either
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("FOLLOWUP_HOME", str(home))
    report = run_cycle(load_config(config), NOW, frozenset(), lambda *a: None, deliver=False)
    assert report.analysed == 5 and report.backlog == 0
    assert analysed_days(config) == RECENT_DAYS + OLD_DAYS


def test_a_run_whose_new_mail_took_long_leaves_the_history_to_later_runs(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any time at all on the recent mail counts as long: a burst of new mail.
    monkeypatch.setattr(followup.extract, "BUSY_SECONDS", -1.0)
    first = run(config)
    assert first["analysed"] == 3 and first["analysis_backlog"] == 5
    assert analysed_days(config) == RECENT_DAYS
    # New mail that is quick to analyse: the run takes its history slice again.
    monkeypatch.setattr(followup.extract, "BUSY_SECONDS", 600.0)
    box = mailbox.Maildir(config.parent / "Mail")
    box.add(
        (
            f"From: Sam Roe <sam@gamma.example>\r\nTo: {ME}\r\nSubject: d2\r\n"
            f"Date: {format_datetime(NOW - timedelta(days=2))}\r\n"
            "Message-ID: <d2@gamma.example>\r\n\r\nCould you call me?\r\n"
        ).encode()
    )
    second = run(config)
    assert second["analysed"] == 6 and second["analysis_backlog"] == 0


def test_a_history_budget_asked_for_is_spent_whatever_the_new_mail_took(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(followup.extract, "BUSY_SECONDS", -1.0)
    report = run(config, "--history-seconds", "600")
    assert report["analysed"] == 8 and report["analysis_backlog"] == 0
