"""ImapMailSource mirrors deletions against a real Dovecot, at the cost of a count check.

Expunged messages show up as a folder listing (``UID SEARCH ALL``) on the folder's last
batch, and only when the folder's message count does not add up; a no-op sync still costs
one STATUS per folder; a listing is never sent from a cut-off answer.
"""

from __future__ import annotations

import json
import logging

import pytest
from imap_helpers import commands_sent, make_source, records, run_sync
from mailgen import make_message
from servers import Dovecot, MailUser
from tcp_proxy import DroppingProxy

from connectors.errors import ConnectorError
from connectors.records import MailBatch

pytestmark = pytest.mark.server


def expunge(server: Dovecot, user: MailUser, folder: str, *message_ids: str) -> None:
    """Delete messages as a mail client does: flag them \\Deleted, then EXPUNGE."""
    with server.client(user) as client:
        client.select_folder(folder)
        uids = [
            uid
            for mid in message_ids
            for uid in client.search(["HEADER", "Message-ID", f"<{mid}>"])
        ]
        assert len(uids) == len(message_ids)
        client.delete_messages(uids)
        client.expunge()


def inbox(batches: list[MailBatch]) -> list[MailBatch]:
    return [b for b in batches if b.folder == "INBOX"]


def test_expunged_messages_are_listed_once_then_a_noop_again(
    dovecot_server: Dovecot, mail_user: MailUser, caplog: pytest.LogCaptureFixture
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(i) for i in range(1, 6)])
    source = make_source(dovecot_server, mail_user, batch_size=2)
    first, checkpoints = run_sync(source)
    assert all(b.listing is None for b in first)  # nothing to mirror on a first sync
    assert json.loads(checkpoints["INBOX"])["messages"] == 5

    expunge(dovecot_server, mail_user, "INBOX", "msg2@example.com", "msg4@example.com")
    caplog.set_level(logging.DEBUG, logger="imapclient")
    second, after = run_sync(source, checkpoints)

    (batch,) = inbox(second)
    assert batch.listing is not None
    assert batch.listing.uids == {"1", "3", "5"}
    assert batch.listing.uidvalidity == records(first)[0].uidvalidity
    assert records(second) == []
    assert json.loads(after["INBOX"])["messages"] == 3
    assert "SEARCH" in commands_sent(caplog.records)

    caplog.clear()
    third, final = run_sync(source, after)
    assert commands_sent(caplog.records) == ["LOGIN", "LIST", "STATUS", "STATUS", "LOGOUT"]
    assert all(b.listing is None for b in third)
    assert final == after


def test_new_mail_alone_costs_no_listing(
    dovecot_server: Dovecot, mail_user: MailUser, caplog: pytest.LogCaptureFixture
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(i) for i in range(3)])
    source = make_source(dovecot_server, mail_user)
    _, checkpoints = run_sync(source)

    dovecot_server.append(mail_user, "INBOX", [make_message(10)])
    caplog.set_level(logging.DEBUG, logger="imapclient")
    batches, after = run_sync(source, checkpoints)

    assert [r.message_id for r in records(batches)] == ["msg10@example.com"]
    assert all(b.listing is None for b in batches)
    sent = [r.getMessage() for r in caplog.records if r.getMessage().startswith("> ")]
    assert not [m for m in sent if "SEARCH ALL" in m]
    assert json.loads(after["INBOX"])["messages"] == 4


def test_an_expunge_hidden_behind_new_mail_is_still_found(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    # One out, one in: the count is the same, but it does not add up with the new UID.
    dovecot_server.append(mail_user, "INBOX", [make_message(i) for i in range(1, 4)])
    source = make_source(dovecot_server, mail_user, batch_size=1)
    _, checkpoints = run_sync(source)

    expunge(dovecot_server, mail_user, "INBOX", "msg1@example.com")
    dovecot_server.append(mail_user, "INBOX", [make_message(7), make_message(8)])
    batches, _ = run_sync(source, checkpoints)

    got = inbox(batches)
    assert [r.message_id for r in records(got)] == ["msg7@example.com", "msg8@example.com"]
    # Only the last batch lists the folder, after its records.
    assert [b.listing is not None for b in got] == [False, True]
    assert got[-1].listing is not None
    assert got[-1].listing.uids == {"2", "3", "4", "5"}


def test_a_checkpoint_from_before_mirroring_lists_the_folder_once(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(i) for i in range(1, 3)])
    source = make_source(dovecot_server, mail_user)
    _, checkpoints = run_sync(source)
    old = json.loads(checkpoints["INBOX"])
    del old["messages"]  # as written by followup before deletions were mirrored

    batches, after = run_sync(source, {**checkpoints, "INBOX": json.dumps(old)})

    (batch,) = inbox(batches)
    assert batch.listing is not None and batch.listing.uids == {"1", "2"}
    again, _ = run_sync(source, after)
    assert all(b.listing is None for b in again)


def test_emptied_folder_lists_nothing(dovecot_server: Dovecot, mail_user: MailUser) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(1), make_message(2)])
    source = make_source(dovecot_server, mail_user)
    _, checkpoints = run_sync(source)
    expunge(dovecot_server, mail_user, "INBOX", "msg1@example.com", "msg2@example.com")

    batches, after = run_sync(source, checkpoints)

    (batch,) = inbox(batches)
    assert batch.listing is not None and batch.listing.uids == frozenset()
    assert json.loads(after["INBOX"])["messages"] == 0


@pytest.mark.parametrize("reply_bytes", [None, 12])
def test_a_listing_cut_off_mid_answer_is_never_sent(
    dovecot_server: Dovecot, mail_user: MailUser, reply_bytes: int | None
) -> None:
    dovecot_server.append(mail_user, "INBOX", [make_message(i) for i in range(1, 40)])
    _, checkpoints = run_sync(make_source(dovecot_server, mail_user))
    expunge(dovecot_server, mail_user, "INBOX", "msg5@example.com")

    # Cut at the client's UID SEARCH ALL, or after 12 bytes of "* SEARCH 1 2 3 4 ...".
    with DroppingProxy(
        dovecot_server.imap_port, trigger=b"SEARCH ALL", reply_bytes=reply_bytes
    ) as proxy:
        source = make_source(dovecot_server, mail_user, port=proxy.port, timeout=5)
        got: list[MailBatch] = []
        with pytest.raises(ConnectorError) as info:
            for batch in source.sync(checkpoints):
                got.append(batch)
        assert proxy.drops == 1
    assert info.value.retryable
    assert "dropped while reading INBOX" in str(info.value)
    assert all(b.listing is None for b in got)
