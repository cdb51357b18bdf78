"""Threading new mail incrementally gives exactly what recomputing the mailbox gives."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from connectors.records import Address, MailBatch, MailRecord
from followup.store import tables
from followup.store.store import Store

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
ME = "penny@example.com"


def mailbox(seed: int, n: int = 240) -> list[MailRecord]:
    """Conversations with References, Outlook replies without them (same subject, a
    shared participant), unrelated mail reusing a subject, copies in two folders."""
    rng = random.Random(seed)
    people = [f"p{i}@x.example" for i in range(12)]
    out: list[MailRecord] = []
    convs: list[tuple[str, list[str], str]] = []  # subject, message ids, counterpart
    for i in range(n):
        when = T0 + timedelta(hours=3 * i)
        roll = rng.random()
        if convs and roll < 0.45:
            subject, ids, other = rng.choice(convs)
            refs = tuple(ids[-3:]) if rng.random() < 0.6 else ()  # Outlook: none
            # Threaded by References, a reply may change the subject on the way.
            subject = f"Re: aside {i}" if refs and rng.random() < 0.25 else "RE: " + subject
        else:
            subject, ids, other, refs = f"Topic {rng.randrange(40)}", [], rng.choice(people), ()
            convs.append((subject, ids, other))
        mine = rng.random() < 0.4
        mid = f"m{i}@x.example"
        ids.append(mid)
        folder = "Sent" if mine else "INBOX"
        rec = MailRecord(
            source="s", folder=folder, role="sent" if mine else "inbox", uid=str(i),
            message_id=mid, subject=subject, sender=Address("", ME if mine else other),
            to=(Address("", other if mine else ME),), date=when, references=refs,
            in_reply_to=refs[-1] if refs else None,
        )  # fmt: skip
        out.append(rec)
        if rng.random() < 0.05:  # the same message filed in the archive too
            out.append(MailRecord(**{**_fields(rec), "folder": "Archive", "role": "archive"}))
    return out


def _fields(r: MailRecord) -> dict:
    return {f: getattr(r, f) for f in MailRecord.__slots__}


def partition(store: Store) -> set[frozenset[str]]:
    with store.begin() as conn:
        rows = conn.execute(select(tables.Message.message_id, tables.Message.thread_id)).all()
    groups: dict[int, set[str]] = {}
    for mid, tid in rows:
        assert tid is not None
        groups.setdefault(tid, set()).add(mid)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_equals_full(tmp_path, seed):
    records = mailbox(seed)
    rng = random.Random(seed)
    # Mail arrives in small syncs and partly out of order (a reply before its parent).
    order = list(range(len(records)))
    for i in range(60, len(order) - 12, 5):
        if rng.random() < 0.5:  # a reply lands a sync or two before its parent
            j = i + rng.randrange(9, 13)
            order[i], order[j] = order[j], order[i]
    store = Store.open(f"sqlite:///{tmp_path / 'inc.db'}")
    first = [records[i] for i in order[:60]]
    store.write_batch("s", MailBatch("INBOX", "inbox", tuple(first)), [ME])
    store.assign_threads()
    rethreaded = []
    for start in range(60, len(order), 9):
        batch = tuple(records[i] for i in order[start : start + 9])
        store.write_batch("s", MailBatch("INBOX", "inbox", batch), [ME])
        rethreaded.append(store.assign_threads())
    incremental = partition(store)

    full = Store.open(f"sqlite:///{tmp_path / 'full.db'}")
    full.write_batch("s", MailBatch("INBOX", "inbox", tuple(records)), [ME])
    full.assign_threads(full=True)
    assert incremental == partition(full)
    assert max(len(g) for g in incremental) > 3  # real conversations were threaded
    # Each small sync touched a few threads, not the mailbox.
    assert max(rethreaded) < len(records) / 3
    store.close()
    full.close()


def test_a_reply_synced_before_its_parent_joins_it(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    filler = mailbox(7, n=30)  # an existing mailbox, so the next syncs are incremental
    store.write_batch("s", MailBatch("INBOX", "inbox", tuple(filler)), [ME])
    store.assign_threads()
    parent = MailRecord(
        source="s", folder="INBOX", role="inbox", uid="p", message_id="parent@x.example",
        subject="Budget 2027", sender=Address("", "ana@y.example"), to=(Address("", ME),),
        date=T0 + timedelta(days=60),
    )  # fmt: skip
    child = MailRecord(
        source="s", folder="Sent", role="sent", uid="c", message_id="child@x.example",
        subject="Different words entirely", sender=Address("", ME),
        to=(Address("", "ana@y.example"),), date=T0 + timedelta(days=61),
        references=("parent@x.example",), in_reply_to="parent@x.example",
    )  # fmt: skip
    store.write_batch("s", MailBatch("Sent", "sent", (child,)), [ME])
    store.assign_threads()
    store.write_batch("s", MailBatch("INBOX", "inbox", (parent,)), [ME])
    store.assign_threads()
    assert frozenset({"parent@x.example", "child@x.example"}) in partition(store)
    store.close()


@pytest.mark.parametrize("size", [1, 7, 64])
def test_full_threading_read_in_slices_is_the_same(tmp_path, monkeypatch, size):
    """A first sync threads every message, its rows read a slice of ids at a time (so a
    big mailbox's bodies are never all in memory): any slice size, the same threads."""
    from followup.store import threads as store_threads

    records = mailbox(4)
    whole = Store.open(f"sqlite:///{tmp_path / 'whole.db'}")
    whole.write_batch("s", MailBatch("INBOX", "inbox", tuple(records)), [ME])
    whole.assign_threads(full=True)
    monkeypatch.setattr(store_threads, "_FULL_SLICE", size)
    sliced = Store.open(f"sqlite:///{tmp_path / 'sliced.db'}")
    sliced.write_batch("s", MailBatch("INBOX", "inbox", tuple(records)), [ME])
    sliced.assign_threads(full=True)
    assert partition(sliced) == partition(whole)
    assert max(len(g) for g in partition(whole)) > 3
    whole.close()
    sliced.close()
