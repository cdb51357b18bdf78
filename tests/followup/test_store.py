"""The store: idempotent batch writes, UIDVALIDITY changes, threading, nudge lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pgserver import postgres_url  # noqa: F401  (fixture)
from sqlalchemy import select

from connectors.records import Address, MailBatch, MailRecord
from followup.nudges import Evidence, Nudge, PersonRef, Words
from followup.store import handles
from followup.store.nudges import apply_plan, list_nudges, set_state
from followup.store.store import Store

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ME = "penny@example.com"


def rec(
    uid: str,
    subject: str,
    sender: str,
    to: str,
    *,
    days: int = 0,
    mid: str | None = None,
    refs: tuple[str, ...] = (),
    uidvalidity: str = "1",
    folder: str = "INBOX",
    excerpt: str = "",
) -> MailRecord:
    return MailRecord(
        source="work",
        folder=folder,
        role="sent" if folder == "Sent" else "inbox",
        uid=uid,
        uidvalidity=uidvalidity,
        message_id=mid or f"{uid}@x",
        subject=subject,
        sender=Address("", sender),
        to=(Address("", to),),
        date=T0 + timedelta(days=days),
        references=refs,
        in_reply_to=refs[-1] if refs else None,
        excerpt=excerpt,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def store(request, tmp_path):
    """The same tests on SQLite and on a real PostgreSQL (a fresh database each)."""
    if request.param == "sqlite":
        s = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    else:
        from sqlalchemy import create_engine, text

        base = request.getfixturevalue("postgres_url")
        name = f"t_{abs(hash(request.node.nodeid)) % 10**9}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        s = Store.open(base.rsplit("/", 1)[0] + "/" + name)
    yield s
    s.close()


def rows(store, table):
    with store.begin() as conn:
        return conn.execute(select(table)).all()


def test_rerun_adds_nothing_and_checkpoint_commits_with_batch(store):
    batch = MailBatch(
        "INBOX",
        "inbox",
        (rec("1", "a", "x@a.example", ME), rec("2", "b", "y@a.example", ME)),
        checkpoint="cp1",
    )
    r1 = store.write_batch("work", batch, [ME])
    r2 = store.write_batch("work", batch, [ME])
    assert (r1.new, r1.existing) == (2, 0)
    assert (r2.new, r2.existing) == (0, 2)
    assert store.count_messages() == 2
    assert store.checkpoints("work") == {"INBOX": "cp1"}
    assert len(rows(store, handles.P)) == 4


def test_uidvalidity_change_moves_messages_instead_of_copying(store):
    store.write_batch(
        "work", MailBatch("INBOX", "inbox", (rec("1", "a", "x@a.example", ME, mid="m1"),)), [ME]
    )
    again = rec("7", "a", "x@a.example", ME, mid="m1", uidvalidity="2")
    store.write_batch("work", MailBatch("INBOX", "inbox", (again,), uidvalidity_changed=True), [ME])
    msgs = rows(store, handles.M)
    assert [(m.uidvalidity, m.uid) for m in msgs] == [("2", "7")]


def test_reopening_an_existing_database_keeps_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    s = Store.open(url)
    s.write_batch("work", MailBatch("INBOX", "inbox", (rec("1", "a", "x@a.example", ME),)), [ME])
    s.close()
    s2 = Store.open(url)
    assert s2.count_messages() == 1
    s2.close()


def test_threads_by_references_and_by_subject_without_them(store):
    a = rec("1", "Budget", "x@a.example", ME, mid="a")
    b = rec("2", "RE: Budget", ME, "x@a.example", days=1, mid="b", refs=("a",), folder="Sent")
    # Outlook style: no References, a reply prefix and a shared participant.
    c = rec("3", "RE: Budget", "x@a.example", ME, days=2, mid="c")
    # Same subject, nobody in common: another conversation.
    d = rec("4", "RE: Budget", "z@other.example", "w@other.example", days=2, mid="d")
    store.write_batch("work", MailBatch("INBOX", "inbox", (a, c, d)), [ME])
    store.write_batch("work", MailBatch("Sent", "sent", (b,)), [ME])
    store.assign_threads()
    by_mid = {m.message_id: m.thread_id for m in rows(store, handles.M)}
    assert by_mid["a"] == by_mid["b"] == by_mid["c"]
    assert by_mid["d"] != by_mid["a"]


def nudge(key: str, kind: str = "reply") -> Nudge:
    return Nudge(
        key=key,
        kind=kind,
        person=PersonRef("Dana", "dana@a.example"),
        facts=Words(f"T {key}", "r"),
        evidence=Evidence(message_id="m1"),
    )


def test_nudge_lifecycle_decisions_survive_reruns(store):
    now = T0
    apply_plan(store, [nudge("k1"), nudge("k2"), nudge("k3")], now)
    numbers = {o.nudge.key: o.number for o in list_nudges(store, now)}
    assert sorted(numbers.values()) == [1, 2, 3]
    set_state(store, str(numbers["k1"]), "done")
    set_state(store, "k2", "snoozed", until=now + timedelta(days=3))
    apply_plan(store, [nudge("k1"), nudge("k2"), nudge("k3")], now + timedelta(hours=1))
    assert [o.nudge.key for o in list_nudges(store, now + timedelta(hours=1))] == ["k3"]
    # The snooze ends; the done one stays done; numbers never change.
    later = now + timedelta(days=4)
    result = apply_plan(store, [nudge("k1"), nudge("k2"), nudge("k3")], later)
    assert result.new == 0
    assert {o.nudge.key: o.number for o in list_nudges(store, later)} == {
        "k2": numbers["k2"],
        "k3": numbers["k3"],
    }


def test_a_plan_again_records_its_words_and_time_on_every_nudge(store):
    from followup.store.nudges import planned_at

    apply_plan(store, [nudge("k1"), nudge("k2")], T0)
    later = T0 + timedelta(hours=1)
    reworded = [
        Nudge(key=k, kind="reply", person=PersonRef("Dana", "dana@a.example"),
              facts=Words(f"Now {k}", "r"), evidence=Evidence(message_id="m1"))
        for k in ("k1", "k2")
    ]  # fmt: skip
    result = apply_plan(store, [*reworded, nudge("k3")], later)
    assert (result.new, result.updated) == (1, 2)
    # What a later run keeping this plan reads: every nudge it made, with its words.
    assert sorted((n.key, n.facts) for n in planned_at(store, later)) == [
        ("k1", Words("Now k1", "r")),
        ("k2", Words("Now k2", "r")),
        ("k3", Words("T k3", "r")),
    ]
    assert planned_at(store, T0) == []


def test_unplanned_nudge_closes_and_reopens(store):
    apply_plan(store, [nudge("k1"), nudge("k2")], T0)
    r = apply_plan(store, [nudge("k2")], T0 + timedelta(hours=1))
    assert r.closed == 1
    assert [o.nudge.key for o in list_nudges(store, T0)] == ["k2"]
    r = apply_plan(store, [nudge("k1"), nudge("k2")], T0 + timedelta(hours=2))
    assert r.reopened == 1 and r.new == 0


ALL_STATES = ("open", "snoozed", "done", "dismissed", "closed")


def lifecycle(store, now):
    """{key: (state, snoozed_until)} as stored, a due snooze shown as it is stored."""
    return {
        o.nudge.key: (o.state, o.snoozed_until)
        for o in list_nudges(store, now, states=ALL_STATES, include_due_snoozed=False)
    }


def test_snoozed_nudge_that_drops_out_and_returns_is_still_snoozed(store):
    keys = ["snoozed", "done", "dismissed", "open"]
    apply_plan(store, [nudge(k) for k in keys], T0)
    until = T0 + timedelta(days=3)
    set_state(store, "snoozed", "snoozed", until=until)
    set_state(store, "done", "done")
    set_state(store, "dismissed", "dismissed")
    # Every nudge drops out (the rules no longer make them), then comes back.
    assert apply_plan(store, [], T0 + timedelta(hours=1)).closed == 2
    assert lifecycle(store, T0 + timedelta(hours=1))["snoozed"] == ("closed", until)
    back = apply_plan(store, [nudge(k) for k in keys], T0 + timedelta(hours=2))
    assert (back.new, back.reopened) == (0, 2)
    assert lifecycle(store, T0 + timedelta(hours=2)) == {
        "snoozed": ("snoozed", until),
        "done": ("done", None),
        "dismissed": ("dismissed", None),
        "open": ("open", None),
    }
    assert [o.nudge.key for o in list_nudges(store, T0 + timedelta(hours=2))] == ["open"]
    # Once its date has passed, it is open; a second drop-out brings no snooze back.
    after = until + timedelta(hours=1)
    apply_plan(store, [nudge(k) for k in keys], after)
    assert lifecycle(store, after)["snoozed"] == ("open", None)
    apply_plan(store, [], after + timedelta(hours=1))
    apply_plan(store, [nudge(k) for k in keys], after + timedelta(hours=2))
    assert lifecycle(store, after + timedelta(hours=2))["snoozed"] == ("open", None)


def test_snoozed_nudge_that_returns_after_its_date_is_open(store):
    apply_plan(store, [nudge("k1")], T0)
    set_state(store, "k1", "snoozed", until=T0 + timedelta(days=1))
    apply_plan(store, [], T0 + timedelta(hours=1))
    later = T0 + timedelta(days=2)
    assert apply_plan(store, [nudge("k1")], later).reopened == 1
    assert lifecycle(store, later) == {"k1": ("open", None)}
    assert [o.number for o in list_nudges(store, later)] == [1]


def test_the_open_count_is_what_the_list_holds(store):
    from followup.store.nudges import count_open

    keys = ["open", "due", "later", "done", "dismissed", "gone"]
    apply_plan(store, [nudge(k) for k in keys], T0)
    set_state(store, "due", "snoozed", until=T0 + timedelta(hours=2))
    set_state(store, "later", "snoozed", until=T0 + timedelta(days=2))
    set_state(store, "done", "done")
    set_state(store, "dismissed", "dismissed")
    apply_plan(store, [nudge(k) for k in keys[:-1]], T0 + timedelta(hours=1))  # "gone" closes
    for when in (T0 + timedelta(hours=1), T0 + timedelta(hours=3), T0 + timedelta(days=3)):
        assert count_open(store, when) == len(list_nudges(store, when))
    assert [count_open(store, T0 + timedelta(hours=h)) for h in (1, 3, 72)] == [1, 2, 3]


def test_unknown_nudge_reference_is_a_clear_error(store):
    from followup.errors import UserError

    with pytest.raises(UserError, match="No nudge 42"):
        set_state(store, "42", "done")


def test_mute_is_stored_per_person(store):
    store.set_person_flag("Dana@A.example", muted=True)
    assert store.person_flags() == {"dana@a.example": (True, False)}
    store.set_person_flag("dana@a.example", muted=False, important=True)
    assert store.person_flags() == {"dana@a.example": (False, True)}


def test_naive_datetimes_are_refused(store):
    bad = rec("1", "a", "x@a.example", ME)
    object.__setattr__(bad, "date", datetime(2026, 1, 1))
    with pytest.raises(Exception, match="naive"):
        store.write_batch("work", MailBatch("INBOX", "inbox", (bad,)), [ME])
    assert store.count_messages() == 0  # the batch rolled back whole
