"""The store's own defences, on SQLite and PostgreSQL: records that did not come through
the MIME builder are still cleaned, and a refused message never takes its batch along."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pgserver import postgres_url  # noqa: F401  (fixture)
from sqlalchemy import create_engine, select, text

from connectors.records import Address, MailBatch, MailRecord
from followup.store import tables as t
from followup.store.store import Store, db_error_text

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    base = request.getfixturevalue("postgres_url")
    name = f"s_{abs(hash(request.node.nodeid)) % 10**9}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


def record(uid: str, subject: str, name: str = "", excerpt: str = "") -> MailRecord:
    return MailRecord(
        source="s", folder="INBOX", role="inbox", uid=uid, message_id=f"{uid}@x",
        subject=subject, sender=Address(name, f"{uid}@sender.example"), date=T0,
        to=(Address("Penny", "penny@example.com"),), excerpt=excerpt,
    )  # fmt: skip


def test_nul_and_lone_surrogates_are_cleaned_by_the_store_itself(url):
    store = Store.open(url)
    try:
        batch = MailBatch(
            "INBOX", "inbox",
            (record("1", "a\x00b", "Eve\x00", "x\x00y"), record("2", "half \ud800", "\udc00N")),
            checkpoint="cp1",
        )  # fmt: skip
        result = store.write_batch("s", batch, [])
        assert (result.new, result.skipped) == (2, ())
        with store.begin() as conn:
            rows = conn.execute(
                select(t.Message.uid, t.Message.subject, t.Message.from_name, t.Message.excerpt)
            ).all()
        assert sorted(rows) == [("1", "ab", "Eve", "xy"), ("2", "half \ufffd", "\ufffdN", "")]
    finally:
        store.close()


def test_a_refused_message_is_skipped_and_its_neighbours_and_checkpoint_commit(url):
    store = Store.open(url)
    try:
        with store.begin() as conn:
            if store.dialect == "sqlite":
                conn.execute(text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON message WHEN NEW.subject = 'bad' "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                ))  # fmt: skip
            else:
                conn.execute(text("ALTER TABLE message ADD CONSTRAINT c CHECK (subject <> 'bad')"))
        batch = MailBatch(
            "INBOX", "inbox", tuple(record(str(i), "bad" if i == 2 else "ok") for i in range(4)),
            checkpoint="after",
        )  # fmt: skip
        result = store.write_batch("s", batch, [])
        assert result.new == 3
        assert [(s.uid, s.reason) for s in result.skipped] == [
            ("2", "refused by the database: IntegrityError")
        ]
        assert store.checkpoints("s") == {"INBOX": "after"}
        assert store.count_messages("s") == 3
    finally:
        store.close()


def test_db_error_text_is_one_line_without_detail_or_sql():
    class Orig(Exception):
        pass

    class Wrapped(Exception):
        orig = Orig('new row violates check constraint "c"\nDETAIL:  Failing row contains (x)')

    assert db_error_text(Wrapped()) == 'Orig: new row violates check constraint "c"'
    assert db_error_text(ValueError("")) == "ValueError"
