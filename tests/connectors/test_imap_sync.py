"""ImapMailSource against a real Dovecot: first, incremental and no-op syncs, read-only."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime

import pytest
from imap_helpers import commands_sent, make_source, records, run_sync
from mailgen import ME, PEOPLE, make_message
from servers import Dovecot, MailUser

from connectors.errors import SourceConfigError
from connectors.imap_fetch import fetch_batch

pytestmark = pytest.mark.server


def _state(server: Dovecot, user: MailUser, folders: list[str]) -> dict[str, object]:
    """Everything a sync could change, read through a read-only session."""
    out: dict[str, object] = {}
    with server.client(user) as client:
        for folder in folders:
            status = client.folder_status(
                folder, ["MESSAGES", "UNSEEN", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ"]
            )
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            flags = client.fetch(uids, ["FLAGS"]) if uids else {}
            out[folder] = (
                status,
                {uid: sorted(d[b"FLAGS"]) for uid, d in flags.items()},
            )
    return out


def test_first_sync_reads_inbox_and_sent_with_parsed_records(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(
        mail_user,
        "INBOX",
        [
            make_message(1, subject="Q3 numbers", body="Can you send the Q3 numbers?\n"),
            make_message(2, html=True, attachment=("deck.pdf", b"%PDF" * 500)),
        ],
    )
    dovecot_server.append(mail_user, "Sent", [make_message(3, sender=ME, to=PEOPLE[1])])

    batches, checkpoints = run_sync(make_source(dovecot_server, mail_user))

    assert [(b.folder, b.role) for b in batches] == [("INBOX", "inbox"), ("Sent", "sent")]
    inbox = records(batches, "INBOX")
    assert [r.message_id for r in inbox] == ["msg1@example.com", "msg2@example.com"]
    first = inbox[0]
    assert first.subject == "Q3 numbers"
    assert first.sender is not None and first.sender.email == "ana@example.com"
    assert [a.email for a in first.to] == ["penny@example.com"]
    assert first.date == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert first.excerpt == "Can you send the Q3 numbers?"
    assert first.source == "work" and first.folder == "INBOX" and first.uid == "1"
    assert first.size == len(
        make_message(1, subject="Q3 numbers", body="Can you send the Q3 numbers?\n")
    )
    assert inbox[1].attachments == ("deck.pdf",)
    assert inbox[1].excerpt.startswith("Hello,")
    sent = records(batches, "Sent")
    assert [(r.role, r.sender.email if r.sender else None) for r in sent] == [
        ("sent", "penny@example.com")
    ]
    cp = json.loads(checkpoints["INBOX"])
    assert cp["last_uid"] == 2 and cp["uidvalidity"] == int(inbox[0].uidvalidity)


def test_noop_sync_costs_one_status_per_folder(
    dovecot_server: Dovecot, mail_user: MailUser, caplog: pytest.LogCaptureFixture
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(i) for i in range(3)])
    source = make_source(dovecot_server, mail_user)
    _, checkpoints = run_sync(source)

    caplog.set_level(logging.DEBUG, logger="imapclient")
    caplog.clear()
    batches, after = run_sync(source, checkpoints)

    assert commands_sent(caplog.records) == ["LOGIN", "LIST", "STATUS", "STATUS", "LOGOUT"]
    assert [(b.folder, b.records, b.seen) for b in batches] == [("INBOX", (), 0), ("Sent", (), 0)]
    assert after == checkpoints


def test_incremental_sync_reads_only_new_mail(
    dovecot_server: Dovecot, mail_user: MailUser, caplog: pytest.LogCaptureFixture
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(i) for i in range(3)])
    source = make_source(dovecot_server, mail_user)
    _, checkpoints = run_sync(source)

    dovecot_server.append(mail_user, "INBOX", [make_message(10), make_message(11)])
    dovecot_server.append(mail_user, "Sent", [make_message(12, sender=ME)])
    caplog.set_level(logging.DEBUG, logger="imapclient")
    batches, after = run_sync(source, checkpoints)

    assert [r.message_id for r in records(batches, "INBOX")] == [
        "msg10@example.com",
        "msg11@example.com",
    ]
    assert [r.message_id for r in records(batches, "Sent")] == ["msg12@example.com"]
    assert json.loads(after["INBOX"])["last_uid"] == 5
    # Only the new UIDs were fetched: one header FETCH and one text FETCH per folder.
    assert commands_sent(caplog.records).count("FETCH") == 4

    again, _ = run_sync(source, after)
    assert records(again) == []


def test_sync_never_changes_the_mailbox(dovecot_server: Dovecot, mail_user: MailUser) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(i) for i in range(5)])
    dovecot_server.append(mail_user, "INBOX", [make_message(9)], flags=(b"\\Flagged",))
    dovecot_server.append(mail_user, "Sent", [make_message(7, sender=ME)], flags=(b"\\Seen",))
    before = _state(dovecot_server, mail_user, ["INBOX", "Sent"])

    batches, checkpoints = run_sync(make_source(dovecot_server, mail_user))
    run_sync(make_source(dovecot_server, mail_user), checkpoints)

    assert len(records(batches)) == 7
    after = _state(dovecot_server, mail_user, ["INBOX", "Sent"])
    assert after == before
    status, flags = after["INBOX"]  # type: ignore[misc]
    assert status[b"UNSEEN"] == 6  # nothing was marked \Seen by reading it
    assert all(b"\\Seen" not in f for f in flags.values())


def test_batches_carry_monotonic_checkpoints_and_resume_midway(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.deliver(mail_user, "INBOX", [make_message(i) for i in range(25)])
    source = make_source(dovecot_server, mail_user, batch_size=10)

    batches, _ = run_sync(source)
    inbox = [b for b in batches if b.folder == "INBOX"]
    assert [len(b.records) for b in inbox] == [10, 10, 5]
    assert [b.seen for b in inbox] == [10, 10, 5]
    last_uids = [json.loads(b.checkpoint)["last_uid"] for b in inbox]
    assert last_uids == [10, 20, 25]

    # As if the process died after committing the first batch.
    resumed, _ = run_sync(source, {"INBOX": inbox[0].checkpoint})
    got = [r.uid for r in records(resumed, "INBOX")]
    assert got == [str(uid) for uid in range(11, 26)]


def test_uidvalidity_change_rereads_the_folder(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(mail_user, "Projects", [make_message(1), make_message(2)])
    source = make_source(dovecot_server, mail_user, folders=["INBOX", "Projects"])
    first, checkpoints = run_sync(source)
    old = json.loads(checkpoints["Projects"])["uidvalidity"]

    with dovecot_server.client(mail_user) as client:
        client.delete_folder("Projects")
    dovecot_server.append(
        mail_user, "Projects", [make_message(1), make_message(2), make_message(3)]
    )

    batches, after = run_sync(source, checkpoints)
    projects = [b for b in batches if b.folder == "Projects"]
    new = json.loads(after["Projects"])["uidvalidity"]
    assert new != old
    assert projects[0].uidvalidity_changed
    assert [r.message_id for r in records(batches, "Projects")] == [
        "msg1@example.com",
        "msg2@example.com",
        "msg3@example.com",
    ]
    assert {r.uidvalidity for r in records(batches, "Projects")} == {str(new)}
    assert not [b for b in batches if b.folder == "INBOX" and b.uidvalidity_changed]
    assert records(first, "Projects")[0].uidvalidity == str(old)


def test_since_bounds_the_sync_by_internal_date(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    with dovecot_server.client(mail_user) as client:
        for n, when in (
            (1, datetime(2023, 5, 1, tzinfo=UTC)),
            (2, datetime(2024, 6, 1, tzinfo=UTC)),
        ):
            client.append("INBOX", make_message(n), msg_time=when)

    bounded, checkpoints = run_sync(make_source(dovecot_server, mail_user, since="2024-01-01"))
    assert [r.message_id for r in records(bounded)] == ["msg2@example.com"]
    # The bound is remembered through the checkpoint: the old message stays out.
    assert json.loads(checkpoints["INBOX"])["last_uid"] == 2

    unbounded, _ = run_sync(make_source(dovecot_server, mail_user))
    assert len(records(unbounded)) == 2
    overridden, _ = run_sync(make_source(dovecot_server, mail_user), since=date(2024, 1, 1))
    assert len(records(overridden)) == 1


def test_missing_folder_raises_after_the_others_synced(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(1)])
    source = make_source(dovecot_server, mail_user, folders=["INBOX", "Archive/2019"])

    got = []
    with pytest.raises(SourceConfigError) as info:
        for batch in source.sync({}):
            got.append(batch)
    assert [b.folder for b in got] == ["INBOX", "Sent"]
    assert len(records(got)) == 1
    message = str(info.value)
    assert message.startswith("work: folder(s) 'Archive/2019' not found on 127.0.0.1")
    assert "fix folders/sent" in message and "INBOX" in message
    assert not info.value.retryable


def test_explicit_sent_folders_and_extra_folders(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(mail_user, "Outbox", [make_message(1, sender=ME)])
    dovecot_server.append(mail_user, "Clients/Acme", [make_message(2)])
    source = make_source(
        dovecot_server, mail_user, folders=["INBOX", "Clients/Acme"], sent=["Outbox"]
    )
    batches, _ = run_sync(source)
    assert [(b.folder, b.role) for b in batches] == [
        ("INBOX", "inbox"),
        ("Clients/Acme", "other"),
        ("Outbox", "sent"),
    ]
    assert [r.role for r in records(batches, "Outbox")] == ["sent"]


def test_message_without_message_id_or_date(dovecot_server: Dovecot, mail_user: MailUser) -> None:
    raw = make_message(1, message_id=None).replace(b"Date: ", b"X-Old-Date: ")
    with dovecot_server.client(mail_user) as client:
        client.append("INBOX", raw, msg_time=datetime(2024, 2, 2, 8, 0, tzinfo=UTC))

    batches, _ = run_sync(make_source(dovecot_server, mail_user))
    (record,) = records(batches)
    assert record.message_id.startswith("followup-") and record.message_id.endswith("@local")
    assert record.date == datetime(2024, 2, 2, 8, 0, tzinfo=UTC)  # INTERNALDATE fallback
    # The same synthetic id on every run, so the store dedupes it.
    again, _ = run_sync(make_source(dovecot_server, mail_user))
    assert records(again)[0].message_id == record.message_id


def test_empty_account_yields_a_checkpoint_per_folder(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    batches, checkpoints = run_sync(make_source(dovecot_server, mail_user))
    assert [(b.folder, b.records) for b in batches] == [("INBOX", ()), ("Sent", ())]
    assert json.loads(checkpoints["INBOX"])["last_uid"] == 0
    assert set(checkpoints) == {"INBOX", "Sent"}


def test_probe_reports_folders_capabilities_and_counts(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(i) for i in range(4)])
    before = _state(dovecot_server, mail_user, ["INBOX"])

    report = make_source(dovecot_server, mail_user).probe()

    assert report["sent_folder"] == "Sent"
    assert "SPECIAL-USE" in report["capabilities"]
    assert {f["name"]: f["special_use"] for f in report["folders"]}["Sent"] == ["\\Sent"]
    assert [(c["folder"], c["role"], c["messages"]) for c in report["configured"]] == [
        ("INBOX", "inbox", 4),
        ("Sent", "sent", 0),
    ]
    assert report["missing"] == []
    assert _state(dovecot_server, mail_user, ["INBOX"]) == before


def test_password_is_never_logged(
    dovecot_server: Dovecot, mail_user: MailUser, caplog: pytest.LogCaptureFixture
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(1)])
    caplog.set_level(logging.DEBUG)
    run_sync(make_source(dovecot_server, mail_user))
    assert any("LOGIN" in r.getMessage() for r in caplog.records)  # the log was captured
    assert mail_user.password not in caplog.text


def test_next_batch_is_requested_before_this_one_is_handed_over(
    dovecot_server: Dovecot,
    mail_user: MailUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dovecot_server.deliver(mail_user, "INBOX", [make_message(i) for i in range(60)])
    source = make_source(dovecot_server, mail_user, batch_size=10)
    caplog.set_level(logging.DEBUG, logger="imapclient")

    batches = source.sync({})
    first = next(batches)
    sent = [r.getMessage() for r in caplog.records if r.getMessage().startswith("> ")]
    header_fetches = [
        re.search(r"UID FETCH (\S+) ", m).group(1)  # type: ignore[union-attr]
        for m in sent
        if "BODYSTRUCTURE" in m
    ]
    # Batch 1's headers, then batch 2's already in flight while batch 1 is stored.
    assert header_fetches == [
        ",".join(str(uid) for uid in range(1, 11)),
        ",".join(str(uid) for uid in range(11, 21)),
    ]

    batches.close()  # the caller stops (Ctrl-C, an error in the store...)
    assert commands_sent(caplog.records)[-1] == "LOGOUT"
    assert source._client is None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    rest, _ = run_sync(source, {"INBOX": first.checkpoint})
    assert [r.uid for r in records(rest, "INBOX")] == [str(uid) for uid in range(11, 61)]


def test_headers_are_handed_over_while_the_text_fetch_is_in_flight(
    dovecot_server: Dovecot,
    mail_user: MailUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dovecot_server.deliver(mail_user, "INBOX", [make_message(i) for i in range(5)])
    source = make_source(dovecot_server, mail_user)
    caplog.set_level(logging.DEBUG, logger="imapclient")
    client = source._connect()
    try:
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search("ALL"))
        seen: list[tuple[list[int], str, bool]] = []

        def meanwhile(headers: Mapping[int, bytes]) -> None:
            lines = [r.getMessage() for r in caplog.records]
            last_sent = next(line for line in reversed(lines) if line.startswith("> "))
            tag = re.match(r"> b'([A-Za-z]+\d+) ", last_sent).group(1)  # type: ignore[union-attr]
            answered = any(line.startswith(f"< b'{tag} ") for line in lines)
            seen.append((sorted(headers), last_sent, answered))
            assert all(b"Message-ID" in h or b"Message-Id" in h for h in headers.values())

        fetched = fetch_batch(client, uids, gmail=False, excerpt_chars=4096, meanwhile=meanwhile)
    finally:
        client.logout()
    # Once, with every message's header fields, just after the first text FETCH went
    # out (the server answers it while the caller parses) ...
    assert len(seen) == 1
    assert seen[0][0] == uids
    assert "BODY.PEEK[1]<0." in seen[0][1]
    assert not seen[0][2]
    # ... and the texts still arrive whole.
    assert all(f.text for f in fetched.values())
    assert sorted(fetched) == uids
