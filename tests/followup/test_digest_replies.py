"""Commands in replies to the digest, read from the synced mailbox and applied once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from digest_samples import every_kind
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from connectors.records import Address, MailBatch, MailRecord
from followup.config import Config, MeSettings
from followup.digest import ledger
from followup.digest.commands import parse_commands
from followup.digest.replies import apply_reply_commands
from followup.store.handles import R
from followup.store.nudges import apply_plan, list_nudges
from followup.store.store import Store

ME = "penny@example.com"
AT = datetime(2026, 3, 17, 12, 30, tzinfo=UTC)
DIGEST_ID = "digest.20260317.0123456789abcdef0123@example.com"
CONFIG = Config(me=MeSettings(addresses=(ME,), timezone="America/Chicago"))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    apply_plan(s, [n.nudge for n in every_kind()], AT - timedelta(hours=1))
    ledger.record_digest(s, AT.date(), ME, f"<{DIGEST_ID}>", [], AT)
    ledger.mark_digest(s, DIGEST_ID, "sent", AT)
    yield s  # type: ignore[misc]
    s.close()


def reply(
    uid: str,
    text: str,
    *,
    sender: str = ME,
    in_reply_to: str | None = DIGEST_ID,
    refs: tuple[str, ...] = (),
    hours: float = 1,
    folder: str = "Sent",
) -> MailRecord:
    return MailRecord(
        source="work",
        folder=folder,
        role="sent" if folder == "Sent" else "inbox",
        uid=uid,
        uidvalidity="1",
        message_id=f"reply-{uid}@example.com",
        subject="Re: followup: 7 things for Tue 17 Mar",
        sender=Address("", sender),
        to=(Address("", ME),),
        date=AT + timedelta(hours=hours),
        in_reply_to=in_reply_to,
        references=refs or ((in_reply_to,) if in_reply_to else ()),
        excerpt=text,
    )


def sync(store: Store, *records: MailRecord, folder: str = "Sent") -> None:
    role = "sent" if folder == "Sent" else "inbox"
    store.write_batch("work", MailBatch(folder, role, records, checkpoint="x"), [ME])  # type: ignore[arg-type]


def number(store: Store, key: str) -> int:
    return next(o.number for o in list_nudges(store, AT, states=("open",)) if o.nudge.key == key)


def states(store: Store) -> dict[str, tuple[str, datetime | None]]:
    everything = ("open", "done", "snoozed", "dismissed", "closed")
    return {
        o.nudge.key: (o.state, o.snoozed_until)
        for o in list_nudges(store, AT, states=everything, include_due_snoozed=False)
    }


def test_reply_commands_applied_once(store: Store) -> None:
    n_reply, n_promise, n_follow = (
        number(store, k) for k in ("reply:1", "promise:2", "follow_up:3")
    )
    text = (
        f"done {n_reply}\n"
        f"snooze {n_promise} 3d\n"
        f"dismiss {n_follow}\n"
        "mute raj@beta.example\n"
        "\n"
        "On Tue, Mar 17, 2026 at 7:30 AM followup <penny@example.com> wrote:\n"
        f"> [{number(store, 'waiting_on:4')}] Ana Ruiz\n"
        "> done 4\n"
    )
    sync(store, reply("1", text))
    report = apply_reply_commands(store, CONFIG, AT + timedelta(hours=2))
    assert (report.replies, report.applied, report.problems) == (1, 4, [])
    got = states(store)
    assert got["reply:1"] == ("done", None)
    # The snooze runs from the reply's date (08:30 local), not from when it was read.
    assert got["promise:2"] == ("snoozed", AT + timedelta(hours=1, days=3))
    assert got["follow_up:3"] == ("dismissed", None)
    assert got["waiting_on:4"] == ("open", None)  # quoted, not applied
    assert store.person_flags()["raj@beta.example"] == (True, False)

    # The user reopens in the CLI; the old reply is not applied again.
    from followup.store.nudges import set_state

    set_state(store, "reply:1", "open")
    again = apply_reply_commands(store, CONFIG, AT + timedelta(hours=3))
    assert (again.replies, again.applied) == (0, 0)
    assert states(store)["reply:1"] == ("open", None)


def test_same_reply_in_two_folders_counts_once(store: Store) -> None:
    n = number(store, "reply:1")
    sync(store, reply("1", f"done {n}"))
    sync(store, reply("9", f"done {n}", folder="INBOX"), folder="INBOX")
    # Same Message-ID in Sent and INBOX (a copy to self).
    with store.begin() as conn:
        from sqlalchemy import update

        from followup.store.handles import M

        conn.execute(update(M).where(M.c.uid == "9").values(message_id="reply-1@example.com"))
    assert apply_reply_commands(store, CONFIG, AT + timedelta(hours=2)).replies == 1


def test_only_my_replies_to_a_digest(store: Store) -> None:
    n = number(store, "reply:1")
    sync(
        store,
        reply("1", f"done {n}", sender="mallory@evil.example", folder="INBOX"),
        reply("2", f"done {n}", in_reply_to="something-else@example.com", folder="INBOX"),
        reply("3", f"done {n}", in_reply_to=None, folder="INBOX"),
        folder="INBOX",
    )
    report = apply_reply_commands(store, CONFIG, AT + timedelta(hours=2))
    assert (report.replies, report.applied) == (0, 0)
    assert states(store)["reply:1"] == ("open", None)


def test_reference_deep_in_the_chain(store: Store) -> None:
    n = number(store, "reply:1")
    sync(store, reply("1", f"done {n}", in_reply_to="other@x", refs=(DIGEST_ID, "other@x")))
    assert apply_reply_commands(store, CONFIG, AT + timedelta(hours=2)).applied == 1


def test_unknown_numbers_are_reported_not_fatal(store: Store) -> None:
    n = number(store, "reply:1")
    sync(store, reply("1", f"done 999\ndone {n}"))
    report = apply_reply_commands(store, CONFIG, AT + timedelta(hours=2))
    assert report.applied == 1
    assert report.problems == [
        "'done 999': No nudge 999: 'followup digest' lists them with their numbers"
    ]
    assert states(store)["reply:1"] == ("done", None)


def test_old_digests_are_not_searched(store: Store) -> None:
    n = number(store, "reply:1")
    sync(store, reply("1", f"done {n}"))
    report = apply_reply_commands(store, CONFIG, AT + timedelta(days=30))
    assert report.replies == 0


def test_absurd_snooze_is_recorded_with_its_error_and_not_retried(store: Store) -> None:
    n = number(store, "promise:2")
    sync(store, reply("1", f"snooze {n} 9999999 weeks\ndone {number(store, 'reply:1')}"))
    report = apply_reply_commands(store, CONFIG, AT + timedelta(hours=2))
    assert (report.replies, report.applied) == (1, 1)
    assert report.problems == [
        f"'snooze {n} 9999999 weeks': '9999999 weeks' is too long: at most 100 years"
    ]
    assert states(store)["promise:2"] == ("open", None)
    with store.begin() as conn:
        [row] = conn.execute(select(R.c.results)).all()
    results = json.loads(row.results)
    assert [r["ok"] for r in results] == [False, True]
    # Every later run: nothing left to apply, nothing raised.
    again = apply_reply_commands(store, CONFIG, AT + timedelta(days=1))
    assert (again.replies, again.applied, again.problems) == (0, 0, [])


def test_huge_numbers_are_not_commands(store: Store) -> None:
    sync(store, reply("1", "done 99999999999999999999999\nsnooze 99999999999 3d"))
    report = apply_reply_commands(store, CONFIG, AT + timedelta(hours=2))
    assert (report.replies, report.applied, report.problems) == (1, 0, [])


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=400),
        st.lists(
            st.sampled_from(
                ["done", "snooze", "dismiss", "mute", "reopen", "2", "99999999", "3d",
                 "9999999 weeks", "for", "a@b.example", ",", "and", "#4", "\n", "> ", "1e308 d",
                 "\u202e", "\x00", "１２"]
            )
        ).map(" ".join),
    )
)  # fmt: skip
def test_any_reply_text_parses_without_raising(text: str) -> None:
    for cmd in parse_commands(text):
        assert cmd.action in ("done", "dismiss", "reopen", "snooze", "mute", "unmute")
        if cmd.action == "snooze" and not cmd.problem:
            assert cmd.snooze is not None and cmd.snooze.delta <= timedelta(days=36525)
