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


def mailbox(seed: int, n: int = 240, hours: int = 3) -> list[MailRecord]:
    """Conversations with References, Outlook replies without them (same subject, a
    shared participant), unrelated mail reusing a subject, copies in two folders; a
    message every ``hours``."""
    rng = random.Random(seed)
    people = [f"p{i}@x.example" for i in range(12)]
    out: list[MailRecord] = []
    convs: list[tuple[str, list[str], str]] = []  # subject, message ids, counterpart
    for i in range(n):
        when = T0 + timedelta(hours=hours * i)
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
        # Clients write References and In-Reply-To, or only one of them.
        header = rng.choice(("both", "references", "in-reply-to"))
        rec = MailRecord(
            source="s", folder=folder, role="sent" if mine else "inbox", uid=str(i),
            message_id=mid, subject=subject, sender=Address("", ME if mine else other),
            to=(Address("", other if mine else ME),), date=when,
            references=refs if header != "in-reply-to" else (),
            in_reply_to=refs[-1] if refs and header != "references" else None,
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


@pytest.mark.parametrize(
    ("seed", "hours"),
    # A month of mail; half a year, where subjects come back after SUBJECT_WINDOW.
    [(1, 3), (2, 3), (3, 3), (4, 18), (5, 18), (6, 24)],
)
def test_incremental_equals_full(tmp_path, seed, hours):
    records = mailbox(seed, hours=hours)
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


def test_replies_synced_before_their_parents_join_them(tmp_path):
    """Replies that name only their parent (by References, or by In-Reply-To alone)
    arrive a sync before it; the parents come in one sync and each gets its reply."""
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    filler = mailbox(7, n=30)  # an existing mailbox, so the next syncs are incremental
    store.write_batch("s", MailBatch("INBOX", "inbox", tuple(filler)), [ME])
    store.assign_threads()
    parents, children = [], []
    for i in range(6):
        pid = f"parent{i}@x.example"
        parents.append(MailRecord(
            source="s", folder="INBOX", role="inbox", uid=f"p{i}", message_id=pid,
            subject=f"Budget {2027 + i}", sender=Address("", f"ana{i}@y.example"),
            to=(Address("", ME),), date=T0 + timedelta(days=60 + i),
        ))  # fmt: skip
        children.append(MailRecord(
            source="s", folder="Sent", role="sent", uid=f"c{i}", message_id=f"child{i}@x.example",
            subject=f"Different words {i}", sender=Address("", ME),
            to=(Address("", f"ana{i}@y.example"),), date=T0 + timedelta(days=61 + i),
            references=(pid,) if i % 2 else (), in_reply_to=None if i % 2 else pid,
        ))  # fmt: skip
    store.write_batch("s", MailBatch("Sent", "sent", tuple(children)), [ME])
    store.assign_threads()
    store.write_batch("s", MailBatch("INBOX", "inbox", tuple(parents)), [ME])
    store.assign_threads()
    groups = partition(store)
    for i in range(6):
        assert frozenset({f"parent{i}@x.example", f"child{i}@x.example"}) in groups
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


def test_a_subject_reused_for_years_keeps_the_scope_small(tmp_path, monkeypatch):
    """Mail with one subject every week for years: a new one rethreads the threads of the
    last SUBJECT_WINDOW, not every week's."""
    weekly = [
        MailRecord(
            source="s", folder="INBOX", role="inbox", uid=f"w{i}",
            message_id=f"w{i}@list.example", subject="Weekly status",
            sender=Address("", "list@list.example"), to=(Address("", ME),),
            date=T0 + timedelta(days=7 * i),
        )
        for i in range(150)
    ]  # fmt: skip
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.write_batch("s", MailBatch("INBOX", "inbox", tuple(weekly[:-1])), [ME])
    store.assign_threads()
    scopes: list[int] = []
    rethread = Store._rethread

    def spy(self, conn, scope):
        scopes.append(len(scope) if scope is not None else -1)
        return rethread(self, conn, scope)

    monkeypatch.setattr(Store, "_rethread", spy)
    reply = MailRecord(
        source="s", folder="Sent", role="sent", uid="r", message_id="r@x.example",
        subject="RE: Weekly status", sender=Address("", ME),
        to=(Address("", "list@list.example"),), date=weekly[-1].date + timedelta(hours=2),
    )  # fmt: skip
    store.write_batch("s", MailBatch("INBOX", "inbox", (weekly[-1],)), [ME])
    store.write_batch("s", MailBatch("Sent", "sent", (reply,)), [ME])
    store.assign_threads()
    # The new two, and the weeks of the window before them (60 days: 9 weeks).
    assert 2 < scopes[0] <= 2 + 9
    assert {"w149@list.example", "r@x.example"} in [set(g) for g in partition(store)]
    store.close()


def test_a_reply_known_by_its_quoted_subject_joins_as_in_a_full_threading(tmp_path):
    """An Outlook reply with a subject of its own, whose quoted original names the
    thread's subject: synced after the mailbox, it joins that thread as a full
    threading joins it."""
    original = MailRecord(
        source="s", folder="INBOX", role="inbox", uid="o", message_id="o@x.example",
        subject="Budget 2027", sender=Address("Ana Lima", "ana@y.example"),
        to=(Address("", ME),), date=T0 + timedelta(days=40),
    )  # fmt: skip
    reply = MailRecord(
        source="s", folder="Sent", role="sent", uid="r", message_id="r@x.example",
        subject="RE: numbers for you", sender=Address("", ME),
        to=(Address("", "ana@y.example"),), date=T0 + timedelta(days=41),
        excerpt="Here they are.\n\n-----Original Message-----\nFrom: Ana Lima\n"
        "Sent: Monday\nTo: Penny\nSubject: Budget 2027\n\nCould you send the numbers?",
    )  # fmt: skip
    filler = mailbox(7, n=30)
    stores = []
    for name, full in (("inc", False), ("full", True)):
        store = Store.open(f"sqlite:///{tmp_path / name}.db")
        store.write_batch("s", MailBatch("INBOX", "inbox", (*filler, original)), [ME])
        store.assign_threads()
        store.write_batch("s", MailBatch("Sent", "sent", (reply,)), [ME])
        store.assign_threads(full=full)
        stores.append(store)
    inc, full = (partition(s) for s in stores)
    assert frozenset({"o@x.example", "r@x.example"}) in full
    assert inc == full
    for s in stores:
        s.close()
