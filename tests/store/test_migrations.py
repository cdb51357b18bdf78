"""Schema history: every earlier schema, with rows in it, upgrades to exactly a fresh
database, keeps every row and decision; a fresh database is exactly tables.py.

On SQLite and on the real PostgreSQL the tests start.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pgserver import postgres_url  # noqa: F401  (fixture)
from sqlalchemy import create_engine, select, text
from sqlmodel import SQLModel
from store_history import (
    EARLIER,
    NOW,
    NUDGES,
    SHIPPED_DDL,
    build_earlier,
    columns_of,
    fresh_database,
    recorded_steps,
    rows_of,
    schema_of,
)

from followup.digest.render import render_html, render_json, render_plain
from followup.errors import StoreError
from followup.nudges import Words
from followup.store import handles, history, migrations
from followup.store.nudges import list_nudges
from followup.store.store import Store

DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.server)]
STEP_NAMES = [s.name for s in migrations.STEPS]


@pytest.fixture(params=DIALECTS)
def db(request, tmp_path):
    """A factory of empty databases of one kind: db(name) -> URL."""
    pg = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    opened = []

    def make(name: str) -> str:
        cm = fresh_database(request.param, tmp_path, pg, f"{request.node.name}_{name}")
        opened.append(cm)
        return cm.__enter__()

    yield make
    for cm in reversed(opened):
        cm.__exit__(None, None, None)


def opened_fresh(url: str) -> str:
    Store.open(url).close()
    return url


def test_steps_are_numbered_in_order_and_the_version_is_their_count():
    assert [n[:4] for n in STEP_NAMES] == [f"{i:04d}" for i in range(1, len(STEP_NAMES) + 1)]
    assert len(set(STEP_NAMES)) == len(STEP_NAMES)
    assert len(STEP_NAMES) == migrations.SCHEMA_VERSION


def test_a_fresh_database_is_exactly_the_live_tables(db):
    """Editing tables.py without adding a step fails here."""
    fresh = opened_fresh(db("fresh"))
    live = db("live")
    engine = create_engine(live)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    assert schema_of(fresh) == schema_of(live)
    assert recorded_steps(fresh) == STEP_NAMES


def test_the_comparison_sees_a_missing_index_and_a_missing_table(db):
    """The comparison can fail: 0.1.0's schema is not today's."""
    old, fresh = db("old"), opened_fresh(db("fresh"))
    build_earlier(old, "0001", from_ddl=False)
    a, b = schema_of(old), schema_of(fresh)
    assert "digest_reply" in b and "digest_reply" not in a
    assert ("ix_message_analysed", ("analysed",), False) in a["message"]["indexes"]
    assert ("ix_message_analysed", ("analysed",), False) not in b["message"]["indexes"]


@pytest.mark.parametrize("version", SHIPPED_DDL)
def test_the_frozen_steps_build_what_the_release_shipped(db, version):
    """history.py against the DDL 0.1.0's create_all emitted, kept verbatim."""
    by_steps, by_ddl = db("steps"), db("ddl")
    build_earlier(by_ddl, version, from_ddl=True)
    if version == "0002-late":
        # Made after the three indexes left tables.py without a step: no frozen step
        # builds that, and none need to: 0003 drops them where they exist.
        build_earlier(by_steps, "0002", from_ddl=False)
        engine = create_engine(by_steps)
        with engine.begin() as conn:
            migrations.STEPS[2].apply(conn)
        engine.dispose()
    else:
        build_earlier(by_steps, version, from_ddl=False)
    assert schema_of(by_steps) == schema_of(by_ddl)


@pytest.mark.parametrize("version", sorted(EARLIER))
def test_an_earlier_schema_upgrades_to_exactly_a_fresh_one_and_keeps_every_row(db, version):
    old = db("old")
    build_earlier(old, version, from_ddl=version in SHIPPED_DDL)
    before = rows_of(old)
    old_columns = columns_of(old)
    assert all(before.values()), "every table holds rows"

    store = Store.open(old)
    try:
        assert recorded_steps(old) == STEP_NAMES
        assert schema_of(old) == schema_of(opened_fresh(db("fresh")))
        assert rows_of(old, columns=old_columns) == before

        # 0004: analysed mail counts as analysed by an unknown older pipeline (so the
        # next run analyses the recent mail again); every finding kept was a firm one.
        with store.begin() as conn:
            marks = conn.execute(
                text("SELECT analysed, analysed_by, judged_by FROM message ORDER BY id")
            ).all()
            findings = conn.execute(
                text("SELECT firm, p_request, p_commitment, p_task, cues FROM finding")
            ).all()
        assert {tuple(m) for m in marks} == {(True, history.V0004_UNKNOWN_PIPELINE, None)}
        assert [tuple(f) for f in findings] == [(True, None, None, None, None)]

        # 0006: the Gmail link the rules built before is the stored message's link now,
        # mail without a Gmail thread has none.
        with store.begin() as conn:
            links = dict(conn.execute(text("SELECT gmail_thread_id, web_link FROM message")).all())
        assert links == {"1789": f"{history.V0006_GMAIL_LINK}1789", None: None}

        # The user's decisions, read back by the product itself.
        items = {
            o.nudge.key: o
            for o in list_nudges(store, NOW, states=("open", "done", "snoozed", "dismissed"))
        }
        assert {k: o.state for k, o in items.items()} == {
            k: s for k, (s, _) in NUDGES.items() if s != "closed"
        }
        assert items["follow_up:lee"].snoozed_until == datetime(2026, 3, 24, 13, 0, tzinfo=UTC)

        # 0005: the words each nudge was stored with became its facts (every row, closed
        # ones too); it reads as before, in every renderer (the terminal's, the email's
        # and --json).
        with store.begin() as conn:
            stored = dict(conn.execute(text("SELECT key, facts FROM nudge")).all())
        assert {k: json.loads(v) for k, v in stored.items()} == {
            k: {"kind": "words", "title": f"Nudge {n}", "reason": "asked 4 days ago"}
            for n, k in enumerate(NUDGES, start=1)
        }
        assert {k: o.nudge.facts for k, o in items.items()} == {
            k: Words(f"Nudge {n}", "asked 4 days ago")
            for n, k in enumerate(NUDGES, start=1)
            if k in items
        }
        tz = ZoneInfo("America/Chicago")
        shown = [items[k] for k in ("reply:dana", "follow_up:lee")]
        assert "Nudge 1 — asked 4 days ago" in render_plain(shown, NOW, tz)
        assert "Nudge 3 — asked 4 days ago" in render_html(shown, NOW, tz)
        assert [(d["title"], d["facts"]) for d in render_json(shown, NOW, tz)] == [
            ("Nudge 1", {"kind": "words", "title": "Nudge 1", "reason": "asked 4 days ago"}),
            ("Nudge 3", {"kind": "words", "title": "Nudge 3", "reason": "asked 4 days ago"}),
        ]
        with store.begin() as conn:
            flags = {r.name: (r.important, r.muted) for r in conn.execute(select(handles.PE))}
        assert flags == {"Dana": (True, False), "Omar": (False, True)}
    finally:
        store.close()


def test_opening_an_up_to_date_store_applies_nothing(db):
    url = opened_fresh(db("fresh"))
    engine = create_engine(url)
    try:
        assert migrations.migrate(engine) == []
        with engine.connect() as conn:
            assert migrations.pending_steps(conn) == []
            assert migrations.schema_version(conn) == migrations.SCHEMA_VERSION
    finally:
        engine.dispose()


def test_a_failing_step_rolls_back_alone_and_the_earlier_ones_stay(db, monkeypatch):
    url = db("fail")

    def broken(conn):
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("step failed")

    steps = (*migrations.STEPS, migrations.Step("9999_broken", broken))
    monkeypatch.setattr(migrations, "STEPS", steps)
    engine = create_engine(url)
    try:
        with pytest.raises(RuntimeError, match="step failed"):
            migrations.migrate(engine)
        assert recorded_steps(url) == STEP_NAMES
        assert "half_done" not in schema_of(engine)
    finally:
        engine.dispose()


def test_a_store_from_a_newer_followup_is_refused_with_one_line(db):
    url = opened_fresh(db("newer"))
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            history.MIGRATION.insert().values(
                name="0099_from_the_future", applied_at=datetime(2027, 1, 1, tzinfo=UTC)
            )
        )
    engine.dispose()
    with pytest.raises(StoreError, match=r"upgraded by a newer followup \(schema steps "):
        Store.open(url)
