"""Finding the Sent folder on a server without SPECIAL-USE (a real Dovecot so configured)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from imap_helpers import make_source, records, run_sync
from mailgen import ME, make_message
from servers import Dovecot

from connectors.imap import find_sent_folder

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def plain_dovecot() -> Iterator[Dovecot]:
    """No SPECIAL-USE capability, no flagged mailbox, no sent folder made for users."""
    server = Dovecot.create(special_use=False, sent_name=None)
    try:
        yield server
    finally:
        server.destroy()


@pytest.mark.parametrize("sent_name", ["Sent Items", "INBOX/Sent", "Gesendete Elemente"])
def test_sent_folder_found_by_name(plain_dovecot: Dovecot, sent_name: str) -> None:
    user = plain_dovecot.add_user()
    plain_dovecot.append(user, "INBOX", [make_message(1)])
    plain_dovecot.append(user, sent_name, [make_message(2, sender=ME)])
    plain_dovecot.append(user, "Trash", [make_message(3)])
    source = make_source(plain_dovecot, user)

    probe = source.probe()
    assert "SPECIAL-USE" not in probe["capabilities"]
    assert all(f["special_use"] == [] for f in probe["folders"])
    assert probe["sent_folder"] == sent_name

    batches, _ = run_sync(source)
    assert [(b.folder, b.role) for b in batches] == [("INBOX", "inbox"), (sent_name, "sent")]
    assert [r.message_id for r in records(batches, sent_name)] == ["msg2@example.com"]


def test_no_sent_folder_is_a_warning_not_an_error(
    plain_dovecot: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    user = plain_dovecot.add_user()
    plain_dovecot.append(user, "INBOX", [make_message(1)])
    caplog.set_level(logging.WARNING, logger="connectors.imap")

    batches, _ = run_sync(make_source(plain_dovecot, user))

    assert [b.folder for b in batches] == ["INBOX"]
    assert caplog.messages == [
        "work: no Sent folder found (no \\Sent flag, none of the usual names); "
        'set sent = ["..."] so followup sees your replies'
    ]


def test_find_sent_folder_prefers_the_flag_then_usual_names() -> None:
    listing = [
        ((b"\\HasNoChildren",), b"/", "Sent Items"),
        ((b"\\HasNoChildren", b"\\Sent"), b"/", "Gesendet"),
    ]
    assert find_sent_folder(listing) == "Gesendet"
    assert find_sent_folder(listing[:1]) == "Sent Items"
    noselect = [((b"\\Noselect", b"\\Sent"), b"/", "[Gmail]"), *listing[:1]]
    assert find_sent_folder(noselect) == "Sent Items"
    assert find_sent_folder([((), b"/", "INBOX"), ((), b"/", "Trash")]) is None
