"""One message's text never stops analysis: it is marked, counted and skipped."""

from __future__ import annotations

import json
import logging
import mailbox
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import nlp
from followup.cli import cli
from followup.config import load_config
from followup.extract import extract_pending
from followup.store.handles import M
from followup.store.store import Store

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
ME = "penny@example.com"


def mail(sender: str, date: str, subject: str, body: str, message_id: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: {ME}\r\nSubject: {subject}\r\nDate: {date}\r\n"
        f"Message-ID: {message_id}\r\n\r\n{body}"
    ).encode()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


def write_config(tmp_path: Path) -> Path:
    """A Maildir of two asks, one of them holding POISON, and its config."""
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    box.add(
        mail(
            "Dana Lee <dana@acme.example>",
            format_datetime(NOW - timedelta(days=6)),
            "Q3 numbers",
            "Hi Penny,\n\nCould you send me the Q3 numbers by Thursday?\n\nDana\n",
            "<q3@acme.example>",
        )
    )
    box.add(
        mail(
            "Max <max@far.example>",
            "Fri, 31 Dec 9999 23:00:00 +0000",
            "Deck",
            "Hi Penny,\n\nCan you send me the deck by Friday? POISON\n\nMax\n",
            "<deck@far.example>",
        )
    )
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[me]
addresses = ["{ME}"]
timezone = "Asia/Tokyo"
[storage]
url = "sqlite:///{tmp_path / "state.db"}"
[[mail]]
name = "local"
kind = "maildir"
path = "{tmp_path / "Mail"}"
[nlp]
pipeline = "rules"
"""
    )
    return path


def invoke(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_far_future_message_does_not_stop_the_run(config):
    r = invoke(config, "run", "--no-send", "--json", "--now", NOW.isoformat())
    assert r.exit_code == 0, r.output + r.stderr
    report = json.loads(r.output)
    assert (report["analysed"], report["analysis_failed"], report["planning_failed"]) == (2, 0, 0)
    out = json.loads(invoke(config, "digest", "--json", "--now", NOW.isoformat()).output)
    assert "reply:q3@acme.example" in [n["key"] for n in out]


class Poisoned:
    """The real rule pipeline, except that a text holding POISON makes it fail."""

    def __init__(self) -> None:
        self.real = nlp.load_pipeline("rules")
        self.calls: list[int] = []

    def extract_many(self, items, batch_size=64, *, people=True):  # type: ignore[no-untyped-def]
        items = list(items)
        self.calls.append(len(items))
        for ex, item in zip(
            self.real.extract_many(items, batch_size, people=people), items, strict=True
        ):
            if "POISON" in item.text:
                raise RuntimeError(f"cannot read {item.text!r}")
            yield ex


def synced(config: Path) -> tuple[Any, Store]:
    """The config loaded and its store, the Maildir synced into it."""
    assert invoke(config, "sync").exit_code == 0
    cfg = load_config(config)
    return cfg, Store.open(cfg.database_url())


def the_failed_message(store: Store) -> int:
    """The POISON message's pk, once every message is marked analysed."""
    with store.begin() as conn:
        rows = conn.execute(select(M.c.id, M.c.analysed, M.c.from_email)).all()
    assert all(r.analysed for r in rows)
    return next(r.id for r in rows if r.from_email == "max@far.example")


def test_a_text_the_pipeline_fails_on_is_marked_and_counted(config, caplog):
    cfg, store = synced(config)
    pipe = Poisoned()
    with caplog.at_level(logging.WARNING, logger="followup.extract"):
        report = extract_pending(store, cfg, pipeline=pipe)
    assert (report.analysed, report.failed) == (2, 1)
    assert report.findings >= 1  # Dana's ask, from the retry one message at a time
    assert pipe.calls == [2, 1, 1]
    bad = the_failed_message(store)
    logged = [r.getMessage() for r in caplog.records]
    assert f"analysis failed for message {bad} (RuntimeError)" in logged
    assert "analysis failed for 1 message (marked analysed, no findings)" in logged
    assert not any("POISON" in line or "deck" in line for line in logged)
    # Marked: the next pass has nothing left to do.
    assert extract_pending(store, cfg, pipeline=pipe).analysed == 0
    store.close()


def test_run_summary_counts_the_failure(config, monkeypatch):
    pipe = Poisoned()
    monkeypatch.setattr(nlp, "load_pipeline", lambda prefer="auto": pipe)
    r = invoke(config, "run", "--no-send", "--now", NOW.isoformat())
    assert r.exit_code == 0, r.stderr
    assert "analysis failed for 1 message (no findings kept)" in r.output.splitlines()
    r = invoke(config, "digest", "--json", "--now", NOW.isoformat())
    assert "reply:q3@acme.example" in [n["key"] for n in json.loads(r.output)]


def test_a_source_date_of_9999_is_replaced_by_the_fallback_date(config):
    """The MIME reader takes a Date outside 1970-2200 as none (the file's date stands in),
    so such mail never carries 9999 into the store from a mail file."""
    assert invoke(config, "sync").exit_code == 0
    cfg = load_config(config)
    store = Store.open(cfg.database_url())
    with store.begin() as conn:
        dates = [r.date for r in conn.execute(select(M.c.date, M.c.from_email))
                 if r.from_email == "max@far.example"]  # fmt: skip
    store.close()
    assert len(dates) == 1 and datetime(1970, 1, 1, tzinfo=UTC) < dates[0] < datetime(
        2200, 1, 1, tzinfo=UTC
    )


def test_a_message_stored_at_the_end_of_the_calendar_is_analysed(config):
    """Any source may still hand the store a date near 9999 (an INTERNALDATE, an API's
    timestamp): analysis and planning of it go on, and "by Friday" gets no due date."""
    from connectors.records import Address, MailBatch, MailRecord

    cfg = load_config(config)
    store = Store.open(cfg.database_url())
    far = MailRecord(
        source="api", folder="INBOX", role="inbox", uid="1", message_id="<end@far.example>",
        subject="Deck", sender=Address("Max", "max@far.example"),
        date=datetime(9999, 12, 31, 23, tzinfo=UTC), to=(Address("", ME),),
        excerpt="Hi Penny,\n\nCan you send me the deck by Friday?\n\nMax\n",
    )  # fmt: skip
    store.write_batch("api", MailBatch("INBOX", "inbox", records=(far,), checkpoint="1"), [ME])
    store.close()
    r = invoke(config, "run", "--no-send", "--json", "--now", NOW.isoformat())
    assert r.exit_code == 0, r.output + r.stderr
    report = json.loads(r.output)
    assert (report["analysis_failed"], report["planning_failed"]) == (0, 0)
    store = Store.open(cfg.database_url())
    with store.begin() as conn:
        row = conn.execute(select(M.c.date, M.c.analysed).where(M.c.source == "api")).one()
    store.close()
    assert row.analysed and row.date.year == 9999
