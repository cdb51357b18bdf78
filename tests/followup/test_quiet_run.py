"""The quiet run (followup.quiet_run): through the CLI with frozen times, a run that finds
nothing changed is decided before the store's ORM is imported and prints what the normal
path prints; new mail, other settings, a decision on a nudge, another pipeline, a run
that may send the digest, a held lock, time passing: each sends it the normal way."""

from __future__ import annotations

import fcntl
import json
import mailbox
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mailgen import add_numbers_ask

import followup.quiet_run
import followup.runner
from followup.cli import cli

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)  # 08:30 in Chicago
ME = "penny@example.com"
HOUR_AGO = 3600


def _mail(box: mailbox.Maildir, n: int, when: datetime, sender: str = "dana@acme.example") -> None:
    add_numbers_ask(box, n, when, sender)


def settle(root: Path) -> None:
    """Mail delivered a while ago: the Maildir's directories older than the look, as a
    checkpoint trusts them (connectors.maildir.QUIET_NS)."""
    old = datetime.now(UTC).timestamp() - HOUR_AGO
    for sub in ("new", "cur", "tmp"):
        os.utime(root / sub, (old, old))


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "Mail"
        self.box = mailbox.Maildir(self.root, create=True)
        _mail(self.box, 1, NOW - timedelta(days=4))
        _mail(self.box, 2, NOW - timedelta(days=400), sender="lee@beta.example")  # history
        settle(self.root)
        self.config = tmp_path / "config.toml"
        self.base = (
            f'[me]\nname = "Penny Example"\naddresses = ["{ME}"]\n'
            f'timezone = "America/Chicago"\n'
            f'[storage]\nurl = "sqlite:///{tmp_path / "state.db"}"\n'
            f'[[mail]]\nname = "local"\nkind = "maildir"\npath = "{self.root}"\n'
            f'[nlp]\npipeline = "rules"\n'
        )
        self.config.write_text(self.base)

    def invoke(self, *args: str, now: datetime | None = NOW) -> Any:
        when = ["--now", now.isoformat()] if now is not None else []
        return CliRunner().invoke(
            cli, ["--config", str(self.config), *args, *when], catch_exceptions=False
        )


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


@pytest.fixture
def normal_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the runs that took the normal path (runner.run_once)."""
    calls: list[int] = []
    real = followup.runner.run_once

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(followup.runner, "run_once", counted)
    return calls


def first_runs(setup: Setup) -> None:
    """The first run analyses and plans; the second keeps the plan (the normal path
    records the checkpoints that trust the settled directories on the first)."""
    r = setup.invoke("run", "--no-send", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["analysed"] >= 1


def outputs(setup: Setup, monkeypatch: pytest.MonkeyPatch, *args: str, now: datetime = NOW):
    """(quiet path's result, normal path's result) of the same command at the same now."""
    quiet = setup.invoke(*args, now=now)
    with monkeypatch.context() as m:
        m.setattr(followup.quiet_run, "quiet_run", lambda *a, **k: None)
        normal = setup.invoke(*args, now=now)
    return quiet, normal


@pytest.mark.parametrize(
    "args",
    [
        ("run", "--no-send"),
        ("run", "--no-send", "--json"),
        ("run", "--no-send", "-q"),
        ("run",),  # no way to send configured: the deliver step has nothing to do
        ("run", "--json"),
    ],
)
def test_a_quiet_run_prints_what_the_normal_path_prints(setup, normal_runs, monkeypatch, args):
    first_runs(setup)
    normal_runs.clear()
    later = NOW + timedelta(minutes=20)
    quiet, normal = outputs(setup, monkeypatch, *args, now=later)
    assert normal_runs == [1]  # the quiet one did not run the cycle; the forced one did
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (
        normal.exit_code,
        normal.stdout,
        normal.stderr,
    )
    if "--json" in args:
        report = json.loads(quiet.stdout)
        assert report["nudges"]["replanned"] is False and report["nudges"]["open"] >= 1
        assert report["analysis_backlog"] == json.loads(normal.stdout)["analysis_backlog"]


def test_a_quiet_run_records_the_source_as_synced(setup, normal_runs):
    first_runs(setup)
    from followup.store.store import Store

    db = Store.open(f"sqlite:///{setup.config.parent / 'state.db'}")
    try:
        from sqlalchemy import text

        def last_sync() -> str:
            with db.begin() as conn:
                return str(conn.execute(text("SELECT last_sync FROM source")).scalar_one())

        before = last_sync()
        normal_runs.clear()
        assert setup.invoke("run", "--no-send", now=NOW + timedelta(minutes=5)).exit_code == 0
        assert normal_runs == []
        assert last_sync() > before
        assert db.sources_needing_reconnect() == []
    finally:
        db.close()


def test_new_mail_goes_the_normal_way(setup, normal_runs):
    first_runs(setup)
    normal_runs.clear()
    _mail(setup.box, 3, NOW - timedelta(hours=2), sender="sam@gamma.example")
    r = setup.invoke("run", "--no-send", now=NOW + timedelta(minutes=5))
    assert normal_runs == [1]
    assert r.stdout.startswith("Synced 1 new messages, analysed 1,")


def test_other_settings_go_the_normal_way(setup, normal_runs):
    first_runs(setup)
    normal_runs.clear()
    setup.config.write_text(setup.base + '[rules]\nreply_after = "1 business days"\n')
    r = setup.invoke("run", "--no-send", "--json", now=NOW + timedelta(minutes=5))
    assert normal_runs == [1] and json.loads(r.stdout)["nudges"]["replanned"] is True


@pytest.mark.parametrize("verb", ["done", "dismiss", "snooze"])
def test_a_decision_on_a_nudge_goes_the_normal_way(setup, normal_runs, verb):
    first_runs(setup)
    extra = ("2d",) if verb == "snooze" else ()
    r = setup.invoke(verb, "1", *extra, now=None)
    assert r.exit_code == 0, r.output
    normal_runs.clear()
    r = setup.invoke("run", "--no-send", "--json", now=NOW + timedelta(minutes=5))
    assert normal_runs == [1] and json.loads(r.stdout)["nudges"]["replanned"] is True


def test_a_run_that_may_send_the_digest_goes_the_normal_way(setup, normal_runs):
    setup.config.write_text(
        setup.base + f'[digest]\nto = "{ME}"\nat = "07:00"\n'
        '[digest.smtp]\nhost = "127.0.0.1"\nport = 1\nsecurity = "none"\n'
        "allow_insecure = true\n"
    )
    first_runs(setup)
    normal_runs.clear()
    assert setup.invoke("run", "--no-send", now=NOW + timedelta(minutes=5)).exit_code == 0
    assert normal_runs == []  # --no-send: it cannot send
    r = setup.invoke("run", "--json", now=NOW + timedelta(minutes=6))
    assert normal_runs == [1]  # due at 07:00 and not sent today: the normal path sends
    assert json.loads(r.stdout)["digest"]["error"]


def test_another_pipeline_goes_the_normal_way(setup, normal_runs, monkeypatch):
    first_runs(setup)
    import nlp.pipeline

    monkeypatch.setattr(nlp.pipeline, "RULES_VERSION", nlp.pipeline.RULES_VERSION + 1)
    normal_runs.clear()
    r = setup.invoke("run", "--no-send", "--json", now=NOW + timedelta(minutes=5))
    assert normal_runs == [1]
    assert json.loads(r.stdout)["nudges"]["replanned"] is True  # the mail was analysed again


@pytest.mark.parametrize(
    "later",
    [
        NOW + timedelta(minutes=61),  # the plan is over an hour old
        NOW - timedelta(minutes=1),  # before the plan
        datetime(2026, 3, 18, 5, 10, tzinfo=UTC),  # 00:10 the next day in Chicago
    ],
)
def test_time_passing_goes_the_normal_way(setup, normal_runs, later):
    first_runs(setup)
    normal_runs.clear()
    r = setup.invoke("run", "--no-send", "--json", now=later)
    assert normal_runs == [1] and json.loads(r.stdout)["nudges"]["replanned"] is True


def test_a_held_lock_goes_the_normal_way(setup, normal_runs, followup_home):
    first_runs(setup)
    normal_runs.clear()
    fd = os.open(followup_home / "followup.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        r = setup.invoke("run", "--no-send", now=NOW + timedelta(minutes=5))
    finally:
        os.close(fd)
    assert r.exit_code == 0 and "Another followup run is in progress" in r.stderr
    assert normal_runs == []  # the normal path was turned away by the lock too


PROBE = """
import json, sys
from followup.cli import cli
try:
    cli(sys.argv[1:], standalone_mode=False)
finally:
    heavy = sorted(m for m in ("sqlalchemy", "sqlmodel", "filelock", "rich", "spacy",
                               "connectors.mime", "followup.store.store") if m in sys.modules)
    sys.stderr.write("HEAVY=" + json.dumps(heavy) + "\\n")
"""


def test_a_quiet_run_imports_no_sqlalchemy(setup, followup_home):
    first_runs(setup)
    args = ["--config", str(setup.config), "run", "--no-send", "--json"]
    args += ["--now", (NOW + timedelta(minutes=5)).isoformat()]
    env = {**os.environ, "FOLLOWUP_HOME": str(followup_home)}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(proc.stdout)["nudges"]["replanned"] is False
    assert "HEAVY=[]" in proc.stderr
