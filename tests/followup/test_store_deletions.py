"""The store mirrors deletions from a batch's listing, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pgserver import postgres_url  # noqa: F401  (fixture)
from sqlalchemy import func, select

from connectors.records import Address, FolderListing, MailBatch, MailRecord
from followup.store.handles import F, M, P
from followup.store.store import Store
from nlp.findings import Finding

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ME = "penny@example.com"


def rec(
    uid: str, sender: str, to: str, *, days: int = 0, folder: str = "INBOX", uidvalidity: str = "1"
) -> MailRecord:
    return MailRecord(
        source="work",
        folder=folder,
        role="sent" if folder == "Sent" else "inbox",
        uid=uid,
        uidvalidity=uidvalidity,
        message_id=f"{uid}@x",
        subject=f"s{uid}",
        sender=Address("", sender),
        to=(Address("", to),),
        date=T0 + timedelta(days=days),
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same tests on SQLite and on a real PostgreSQL (a fresh database each)."""
    if request.param == "sqlite":
        s = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    else:
        from sqlalchemy import create_engine, text

        base = request.getfixturevalue("postgres_url")
        name = f"del_{abs(hash(request.node.nodeid)) % 10**9}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        s = Store.open(base.rsplit("/", 1)[0] + "/" + name)
    yield s
    s.close()


def uids(store: Store, folder: str = "INBOX") -> set[tuple[str, str]]:
    with store.begin() as conn:
        q = select(M.c.uidvalidity, M.c.uid).where(M.c.folder == folder)
        return {(uv, uid) for uv, uid in conn.execute(q)}


def count(store: Store, table: object) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def seed(store: Store) -> None:
    store.write_batch(
        "work",
        MailBatch(
            "INBOX",
            "inbox",
            tuple(rec(str(i), f"p{i}@a.example", ME, days=i) for i in (1, 2, 3)),
            checkpoint="one",
        ),
        [ME],
    )
    store.write_batch(
        "work", MailBatch("Sent", "sent", (rec("1", ME, "p1@a.example", folder="Sent"),)), [ME]
    )
    with store.begin() as conn:
        pks = [pk for (pk,) in conn.execute(select(M.c.id).where(M.c.folder == "INBOX"))]
    store.save_findings([(pk, [Finding("request", "can you?", "reply", "reader")]) for pk in pks])


def test_unlisted_messages_go_with_findings_and_participants(store: Store) -> None:
    seed(store)
    assert (count(store, F), count(store, P)) == (3, 8)

    result = store.write_batch(
        "work",
        MailBatch(
            "INBOX", "inbox", checkpoint="two", listing=FolderListing(frozenset({"1", "3"}), "1")
        ),
        [ME],
    )

    assert result.gone == 1
    assert uids(store) == {("1", "1"), ("1", "3")}
    assert uids(store, "Sent") == {("1", "1")}  # the same uid in another folder stays
    assert (count(store, F), count(store, P)) == (2, 6)
    assert store.checkpoints("work")["INBOX"] == "two"  # committed with the deletion
    # Listed again: nothing more goes.
    again = MailBatch("INBOX", "inbox", listing=FolderListing(frozenset({"1", "3"}), "1"))
    assert store.write_batch("work", again, [ME]).gone == 0


def test_rows_at_another_uidvalidity_are_left_to_the_rebase(store: Store) -> None:
    seed(store)
    # The folder was recreated: UIDVALIDITY 2, msg 1 moved to uid 7, the rest not yet read.
    moved = dataclasses.replace(
        rec("7", "p1@a.example", ME, days=1, uidvalidity="2"), message_id="1@x"
    )
    result = store.write_batch(
        "work",
        MailBatch("INBOX", "inbox", (moved,), listing=FolderListing(frozenset({"7", "8"}), "2")),
        [ME],
    )
    assert result.gone == 0
    assert uids(store) == {("2", "7"), ("1", "2"), ("1", "3")}
    assert count(store, F) == 3  # the rebased message kept its findings


def test_a_listing_with_since_leaves_older_messages(store: Store) -> None:
    seed(store)
    listing = FolderListing(frozenset({"3"}), "1", since=T0 + timedelta(days=2))
    result = store.write_batch("work", MailBatch("INBOX", "inbox", listing=listing), [ME])
    assert result.gone == 1  # uid 2 (day 2) went; uid 1 (day 1) is outside the claim
    assert uids(store) == {("1", "1"), ("1", "3")}


def test_an_empty_listing_empties_the_folder(store: Store) -> None:
    seed(store)
    listing = FolderListing(frozenset(), "1")
    assert store.write_batch("work", MailBatch("INBOX", "inbox", listing=listing), [ME]).gone == 3
    assert uids(store) == set()
    assert count(store, F) == 0
