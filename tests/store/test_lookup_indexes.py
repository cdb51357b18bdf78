"""The questions every run asks of the whole mailbox are answered from an index, never
by reading every message row (each row carries its excerpt: at 100k messages one such
read took 50 ms, and a run asked five of them).

The statements the store really sends are captured and explained by SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from connectors.records import Address, MailBatch, MailRecord
from followup.store.store import Store

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ME = "penny@example.com"


def record(n: int, folder: str) -> MailRecord:
    sent = folder == "Sent"
    other = f"c{n % 40}@example.org"
    return MailRecord(
        source="work",
        folder=folder,
        role="sent" if sent else "inbox",
        uid=str(n),
        uidvalidity="1",
        message_id=f"<{folder}-{n}@x>",
        subject=f"Subject {n % 70}",
        sender=Address("Penny", ME) if sent else Address("", other),
        to=(Address("", other if sent else ME),),
        date=T0 - timedelta(hours=n),
        excerpt="Could you send the numbers by Friday? " * 40,
    )


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    for folder in ("INBOX", "Sent"):
        records = tuple(record(n, folder) for n in range(600))
        role = "sent" if folder == "Sent" else "inbox"
        batch = MailBatch(folder, role, records=records, checkpoint="c")
        s.write_batch("work", batch, [ME])
    try:
        yield s
    finally:
        s.close()


@contextmanager
def captured(store: Store) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def listen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE")):
            seen.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)


def plans(store: Store, statements: list[tuple[str, Any]]) -> list[str]:
    out = []
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for statement, params in statements:
            rows = raw.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
            out.append(" / ".join(str(r[-1]) for r in rows))
    return out


QUESTIONS: dict[str, Callable[[Store], object]] = {
    "the senders of my sent mail": lambda s: s.sent_folder_senders(),
    "mail to mark as mine": lambda s: s.refresh_identity([ME, "alias@example.com"]),
    "how much is left to analyse": lambda s: s.count_pending_analysis(),
    "how much of it is recent": lambda s: s.count_pending_analysis(since=T0 - timedelta(days=3)),
    "how far back the analysis reached": lambda s: s.analysed_back_to(),
    "the newest mail to analyse": lambda s: s.pending_analysis(50, newest_first=True),
    "the findings to judge again": lambda s: s.unjudged("pipeline-a", "thresholds-b", 50),
}


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_whole_mailbox_question_reads_an_index_not_every_message(store, question):
    with captured(store) as statements:
        QUESTIONS[question](store)
    assert statements, "the question asked the database nothing"
    for plan in plans(store, statements):
        assert "SCAN message" not in plan, plan


def test_the_indexed_answers_are_the_counts_of_the_mail(store):
    assert store.sent_folder_senders() == [(ME, 600)]
    assert store.count_pending_analysis() == 1200
    assert store.count_pending_analysis(since=T0 - timedelta(hours=99, minutes=30)) == 200
    assert store.analysed_back_to() == T0
    newest = store.pending_analysis(3, newest_first=True)
    assert [p.date for p in newest] == [T0, T0, T0 - timedelta(hours=1)]
