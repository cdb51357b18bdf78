"""store.glance answers as the Store does: the quiet run's stdlib queries against the
Store methods they mirror, on a store in many states, and its copies of the schema's
names against the originals."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

import followup.quiet_run
from followup.cli import cli
from followup.digest import ledger, replies
from followup.private_files import sqlite_path
from followup.store import glance, history, migrations
from followup.store.handles import N
from followup.store.learning import stopped_pairs
from followup.store.nudges import list_nudges
from followup.store.plan_inputs import TRIGGERS, last_stamp
from followup.store.store import Store

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
ME = "penny@example.com"


def test_the_copied_names_are_the_originals() -> None:
    assert tuple(s.name for s in migrations.STEPS) == glance.STEP_NAMES
    assert history.V0007_PLANNED_TABLES == glance.PLANNED_TABLES
    assert TRIGGERS == glance.TRIGGERS
    assert followup.quiet_run.REPLY_WINDOW == replies.REPLY_WINDOW
    assert followup.quiet_run.COUNTS_AS_SENT == ledger.COUNTS_AS_SENT


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////tmp/x.db",
        "sqlite:///rel/x.db",
        "sqlite:///~/a/b.db",
        "sqlite+pysqlite:////a:b/c.db",
        "sqlite:///:memory:",
        "sqlite:///file:x",
        "sqlite:////tmp/a b.db",
        "sqlite:////tmp/a%20b.db",
        "sqlite:////x.db?mode=ro",
        "sqlite://",
        "sqlite:///",
        "sqlite:////a/ü.db",
        "sqlite:////a//b.db",
        "postgresql://u:p@h/db",
    ],
)
def test_sqlite_path_reads_urls_as_make_url(url: str) -> None:
    u = make_url(url)
    expected = None
    if u.drivername.startswith("sqlite") and u.database not in (None, "", ":memory:"):
        expected = None if u.database.startswith("file:") else Path(u.database).expanduser()
    assert sqlite_path(url) == expected


def _mail(box: mailbox.Maildir, n: int, when: datetime, sender: str) -> None:
    box.add(
        (
            f"From: {sender}\r\nTo: {ME}\r\nSubject: s{n}\r\nDate: {format_datetime(when)}\r\n"
            f"Message-ID: <m{n}@x.example>\r\n\r\nHi Penny,\r\n\r\n"
            "Could you send me the numbers by Friday?\r\n"
        ).encode()
    )


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    for n, days in enumerate((1, 2, 5, 20, 90, 300, 700)):
        for who in ("dana@acme.example", "lee@beta.example"):
            _mail(box, n * 2 + len(who), NOW - timedelta(days=days, hours=n), who)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[me]\nname = "Penny Example"\naddresses = ["{ME}"]\ntimezone = "UTC"\n'
        f'[storage]\nurl = "sqlite:///{tmp_path / "state.db"}"\n'
        f'[[mail]]\nname = "local"\nkind = "maildir"\npath = "{tmp_path / "Mail"}"\n'
        f'[nlp]\npipeline = "rules"\n'
    )
    r = CliRunner().invoke(cli, ["--config", str(config), "sync"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    s = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield s, tmp_path / "state.db", config
    s.close()


def compare(s: Store, path: Path, identity: str, judged: str) -> None:
    with glance.glance(path) as g, g.read():
        assert g.is_wal() and g.schema_current()
        assert g.pending_analysis() == s.count_pending_analysis()
        for days in (0, 3, 30, 400, 1000):
            since = NOW - timedelta(days=days)
            assert g.pending_analysis(since) == s.count_pending_analysis(since)
            assert g.stale_analysis(identity, since) == s.count_stale_analysis(identity, since)
        assert g.any_unjudged(identity, judged) == bool(s.unjudged(identity, judged, 10))
        assert g.has_unthreaded() == s.has_unthreaded()
        assert g.checkpoints("local") == s.checkpoints("local")
        assert g.stopped_pairs() == frozenset(stopped_pairs(s))
        for hours in (-1, 0, 30, 24 * 9):
            now = NOW + timedelta(hours=hours)
            assert g.open_nudges(now) == len(list_nudges(s, now))
        version, stamp = last_stamp(s)
        found = g.plan_stamp()
        assert (found is None) == (stamp is None)
        if found is not None:
            assert found == (version, stamp)


def test_the_glance_answers_as_the_store(store) -> None:  # type: ignore[no-untyped-def]
    s, path, config = store
    compare(s, path, "rules-x", "t")  # synced, nothing analysed
    args = ["--config", str(config), "run", "--no-send", "--now", NOW.isoformat()]
    assert CliRunner().invoke(cli, [*args, "--history-seconds", "0.001"]).exit_code == 0
    with s.begin() as conn:
        identity, judged = conn.execute(
            text("SELECT analysed_by, judged_by FROM message WHERE analysed_by IS NOT NULL")
        ).first()
    assert s.count_pending_analysis() > 0  # some history left for later runs
    # The comparisons below see counts other than zero.
    assert s.count_stale_analysis(identity + "-other", NOW - timedelta(days=30)) > 0
    assert s.unjudged(identity, judged + "-other", 10)
    assert s.count_pending_analysis(NOW - timedelta(days=1000)) > 0
    assert len(list_nudges(s, NOW)) > 0
    compare(s, path, identity, judged)
    compare(s, path, identity + "-other", judged)  # another pipeline: recent mail stale
    compare(s, path, identity, judged + "-other")  # other thresholds: all unjudged
    # Decisions: two dismissals of one pair stop it; a snooze shows open when due.
    with s.begin() as conn:
        keys = [k for (k,) in conn.execute(text("SELECT key FROM nudge ORDER BY key"))]
        assert len(keys) >= 3
        conn.execute(text("UPDATE nudge SET person_email = 'dana@acme.example'"))
        conn.execute(text("UPDATE nudge SET kind = 'reply'"))
        conn.execute(update(N).where(N.c.key.in_(keys[:2])).values(state="dismissed"))
        conn.execute(
            update(N)
            .where(N.c.key == keys[2])
            .values(state="snoozed", snoozed_until=NOW + timedelta(hours=20))
        )
    compare(s, path, identity, judged)
    assert len(list_nudges(s, NOW + timedelta(hours=30))) > len(list_nudges(s, NOW))
    with glance.glance(path) as g, g.read():
        assert g.stopped_pairs() == {("reply", "dana@acme.example")}
        assert g.plan_stamp() is None  # the nudges changed since the plan


def test_replies_are_seen_as_the_replies_step_sees_them(store) -> None:  # type: ignore[no-untyped-def]
    s, path, _ = store
    since = NOW - replies.REPLY_WINDOW

    def may_hold() -> bool:
        with glance.glance(path) as g, g.read():
            return g.may_hold_replies(ledger.COUNTS_AS_SENT, since)

    assert not may_hold()  # no digest
    ledger.record_digest(s, NOW.date(), ME, "<dg1@followup>", [], NOW - timedelta(days=3))
    with s.begin() as conn:
        conn.execute(text("UPDATE digest SET message_id = 'dg1@followup'"))
    assert not may_hold()  # a digest, no reply to it
    with s.begin() as conn:
        conn.execute(
            text("UPDATE message SET in_reply_to = 'dg1@followup', date = :d WHERE id = 1"),
            {"d": glance.sql_time(NOW - timedelta(days=1))},
        )
        mid = conn.execute(text("SELECT message_id FROM message WHERE id = 1")).scalar_one()
    assert may_hold()
    ledger.record_reply(s, mid, "dg1@followup", [], NOW)
    assert not may_hold()  # applied already
