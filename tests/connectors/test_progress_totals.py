"""Batches say how many messages the folder's sync reads in all: the progress bar's ETA."""

from __future__ import annotations

import mailbox

import pytest
from imap_helpers import make_source, run_sync
from mailgen import make_message
from servers import (  # noqa: F401  (the fixtures dovecot_server and mail_user)
    Dovecot,
    MailUser,
    dovecot_server_fixture,
    mail_user_fixture,
)

from connectors.maildir import MaildirSource


@pytest.mark.server
def test_imap_batches_carry_the_folder_total(dovecot_server: Dovecot, mail_user: MailUser):
    dovecot_server.append(mail_user, "INBOX", [make_message(i) for i in range(7)])
    batches, _ = run_sync(make_source(dovecot_server, mail_user, batch_size=3))
    inbox = [b for b in batches if b.folder == "INBOX"]
    assert [len(b.records) for b in inbox] == [3, 3, 1]
    assert {b.total for b in inbox} == {7}


def test_maildir_batches_carry_the_folder_total(tmp_path):
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    for i in range(5):
        box.add(make_message(i))
    source = MaildirSource.from_config("m", {"path": str(tmp_path / "Mail")})
    source.batch_size = 2
    batches = list(source.sync({}))
    assert sum(len(b.records) for b in batches) == 5
    assert {b.total for b in batches} == {5}
