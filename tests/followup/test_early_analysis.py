"""The recent mail analysed while the sync goes on (followup.early_analysis): the same
findings as analysing after the sync, a thread that fails costs nothing, and the time it
spent makes a busy run as extract.py's own does."""

from __future__ import annotations

import dataclasses
import json
import logging
import mailbox
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from pgserver import postgres_url  # noqa: F401  (fixture)
from sqlalchemy import create_engine, select, text

import nlp
from followup.config import Config, load_config
from followup.early_analysis import EarlyAnalysis
from followup.extract import extract_pending
from followup.runner import run_once
from followup.state import planning_window
from followup.store.handles import F, M
from followup.store.store import Store
from followup.sync import SourceOpeners, open_mail_source, sync_all

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
ME = "penny@example.com"
ASKS = [
    "Could you send me the Q3 numbers by Thursday?",
    "I will review the contract on Monday.",
    "Can you book the room for the offsite?",
    "Please confirm the invoice total when you can.",
    "I'll call the supplier tomorrow about the delay.",
    "The meeting notes are attached for reference.",
]


def _mail(i: int, date: datetime, body: str) -> bytes:
    who = f"Person {i % 7} <p{i % 7}@acme.example>"
    return (
        f"From: {who}\r\nTo: {ME}\r\nSubject: Item {i}\r\nDate: {format_datetime(date)}\r\n"
        f"Message-ID: <m{i}@acme.example>\r\n\r\nHi Penny,\r\n\r\n{body}\r\n\r\nThanks\r\n"
    ).encode()


def write_mailbox(tmp_path: Path, recent: int, old: int) -> Path:
    """INBOX: ``recent`` messages of the last weeks; an Archive folder after it of
    ``old`` messages from two years back (synced after the recent mail)."""
    root = tmp_path / "Mail"
    tmp_path.mkdir(parents=True, exist_ok=True)
    inbox = mailbox.Maildir(root, create=True)
    for i in range(recent):
        inbox.add(_mail(i, NOW - timedelta(hours=5 + 7 * i), ASKS[i % len(ASKS)]))
    archive = inbox.add_folder("Archive")
    for i in range(old):
        body = f"{ASKS[i % len(ASKS)]} Reference {i}."
        archive.add(_mail(1000 + i, NOW - timedelta(days=700, hours=i), body))
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[me]
addresses = ["{ME}"]
timezone = "UTC"
[storage]
url = "sqlite:///{tmp_path / "state.db"}"
[[mail]]
name = "local"
kind = "maildir"
path = "{root}"
[nlp]
pipeline = "rules"
"""
    )
    return config


_PIPELINE: list[Any] = []


def rules() -> Any:
    if not _PIPELINE:
        _PIPELINE.append(nlp.load_pipeline("rules"))
    return _PIPELINE[0]


def findings(store: Store) -> list[tuple[Any, ...]]:
    with store.begin() as conn:
        rows = conn.execute(
            select(M.c.message_id, F.c.kind, F.c.text, F.c.score, F.c.firm).join(
                M, M.c.id == F.c.message_pk
            )
        ).all()
    return sorted(tuple(r) for r in rows)


def synced_store(tmp_path: Path, name: str, recent: int, old: int) -> tuple[Config, Store]:
    cfg = load_config(write_mailbox(tmp_path / name, recent, old))
    store = Store.open(cfg.database_url())
    sync_all(store, cfg, NOW)
    return cfg, store


def wait_for(predicate: Any, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the thread did not get there"
        time.sleep(0.05)


def test_mail_analysed_during_the_sync_has_the_findings_of_mail_analysed_after(
    tmp_path: Path,
) -> None:
    # After: extract.py alone.
    cfg, after = synced_store(tmp_path, "after", recent=40, old=30)
    alone = extract_pending(after, cfg, now=NOW, pipeline=rules(), analyse_all=True)
    # During: the thread analyses the recent mail first, then extract.py the rest.
    cfg2, during = synced_store(tmp_path, "during", recent=40, old=30)
    early = EarlyAnalysis(cfg2, NOW, rules, lambda: Store.open(cfg2.database_url()))
    early.start()
    wait_for(lambda: early.report.analysed == 40)
    report = early.finish()
    assert report.failed == 0 and report.seconds > 0
    rest = extract_pending(
        during, cfg2, now=NOW, pipeline=rules(), analyse_all=True, busy_spent=report.seconds
    )
    # Only the recent mail (the planning window's) went to the thread.
    assert (report.analysed, rest.analysed, alone.analysed) == (40, 30, 70)
    assert report.findings + rest.findings == alone.findings > 40
    assert findings(during) == findings(after)
    after.close()
    during.close()


def test_the_thread_takes_mail_stored_after_it_started(tmp_path: Path) -> None:
    cfg, store = synced_store(tmp_path, "box", recent=0, old=0)
    early = EarlyAnalysis(cfg, NOW, rules, lambda: Store.open(cfg.database_url()))
    early.start()
    time.sleep(0.5)  # it found nothing, and looks again
    root = tmp_path / "box" / "Mail"
    inbox = mailbox.Maildir(root)
    for i in range(5):
        inbox.add(_mail(i, NOW - timedelta(hours=3 + i), ASKS[i]))
    sync_all(store, cfg, NOW)
    wait_for(lambda: early.report.analysed == 5)
    assert early.finish().analysed == 5
    assert extract_pending(store, cfg, now=NOW, pipeline=rules()).analysed == 0
    store.close()


def test_a_thread_that_fails_leaves_the_work_to_extract(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg, store = synced_store(tmp_path, "box", recent=6, old=0)

    def broken() -> Any:
        raise RuntimeError("no child for you: secret text")

    early = EarlyAnalysis(cfg, NOW, broken, lambda: Store.open(cfg.database_url()))
    with caplog.at_level(logging.INFO):
        early.start()
        report = early.finish()
    assert report.analysed == 0
    assert "analysis during the sync stopped (RuntimeError)" in caplog.messages
    assert not any("secret" in m for m in caplog.messages)
    assert extract_pending(store, cfg, now=NOW, pipeline=rules()).analysed == 6
    store.close()


@pytest.mark.parametrize(("spent", "history"), [(0.0, False), (0.2, True), (5.0, False)])
def test_time_spent_during_the_sync_counts_towards_a_busy_run(
    tmp_path: Path, spent: float, history: bool
) -> None:
    # Nothing recent left to analyse. None was analysed during the sync either: the
    # history waits (no pipeline loaded for it alone). A little was: the run takes its
    # slice of history. More than BUSY_SECONDS was: a busy run, the history waits.
    cfg, store = synced_store(tmp_path, "box", recent=0, old=20)
    report = extract_pending(store, cfg, now=NOW, pipeline=rules(), busy_spent=spent)
    assert (report.analysed > 0) is history
    assert report.backlog == (0 if history else 20)
    store.close()


def test_a_run_through_the_cli_gives_the_digest_with_and_without_the_thread(
    tmp_path: Path,
) -> None:
    # followup run as a process, its pipeline in the analysis process (and the thread
    # on, if the child loads before the sync ends), then with neither
    # (FOLLOWUP_ANALYSIS_PROCESS=0). The history's slice is bounded by time, so only the
    # digests are compared (they come from the recent mail).
    config = write_mailbox(tmp_path, recent=30, old=300)
    digests = []
    for child in ("1", "0"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{tmp_path / 'state.db'}{suffix}").unlink(missing_ok=True)
        env = {**os.environ, "FOLLOWUP_ANALYSIS_PROCESS": child}

        def followup(*args: str, env: dict[str, str] = env) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "followup", "--config", str(config), *args],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
            )

        r = followup("run", "--no-send", "--json", "--now", NOW.isoformat())
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["analysed"] >= 30
        d = followup("digest", "--json", "--now", NOW.isoformat())
        digests.append(json.loads(d.stdout))
    assert digests[0] == digests[1] and len(digests[0]) > 3


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'run.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    name = f"early_{abs(hash(request.node.nodeid)) % 10**9}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    yield base.rsplit("/", 1)[0] + "/" + name


class HeldAfterFirstFolder:
    """The Maildir source, held after the INBOX's batches until ``release()`` says so:
    a sync still storing an archive while the recent mail waits to be analysed."""

    def __init__(self, release: Any) -> None:
        self.release = release
        self.held = False

    def open(self, settings: Any) -> Any:
        source = open_mail_source(settings)
        real_sync = source.sync

        def sync(checkpoints: Any) -> Iterator[Any]:
            for batch in real_sync(checkpoints):
                if batch.folder != "INBOX" and not self.held:
                    self.held = True
                    wait_for(self.release)
                yield batch

        source.sync = sync  # type: ignore[method-assign]
        return source


def test_run_once_analyses_the_recent_mail_while_the_sync_goes_on(
    tmp_path: Path, db_url: str
) -> None:
    config_file = write_mailbox(tmp_path, recent=25, old=40)
    cfg = dataclasses.replace(load_config(config_file), storage_url=db_url)
    watcher = Store.open(db_url)
    since = NOW - planning_window(cfg.rules)
    # The archive is synced only once the thread has analysed the whole INBOX.
    held = HeldAfterFirstFolder(lambda: watcher.count_pending_analysis(since) == 0)
    opened: list[int] = []

    def on_new_mail() -> None:
        opened.append(1)

    report = run_once(
        cfg,
        now=NOW,
        deliver=False,
        openers=SourceOpeners(mail=held.open),
        load_pipeline=rules,
        on_new_mail=on_new_mail,
        analyse_all=True,
    )
    assert held.held and opened
    # Every message once: the 25 recent ones by the thread, the archive after the sync.
    assert (report.analysed, report.analysis_failed) == (65, 0)
    assert watcher.count_pending_analysis() == 0
    assert report.nudges
    watcher.close()
