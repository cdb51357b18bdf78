"""[digest] imap_account: the digest saved into the user's IMAP INBOX, once a day."""

from __future__ import annotations

import email
import json

import pytest
from imap_helpers import imap_table, invoke, write_config
from mailgen import ME
from servers import (  # noqa: F401  (the fixtures dovecot_server and mail_user)
    Dovecot,
    MailUser,
    dovecot_server_fixture,
    mail_user_fixture,
)

pytestmark = pytest.mark.server


def test_digest_is_saved_to_the_inbox_once_a_day(
    tmp_path, dovecot_server: Dovecot, mail_user: MailUser
):
    # A request to me, a week old: the digest has something to say.
    raw = (
        f"From: Dana Lee <dana@acme.example>\r\nTo: {ME[1]}\r\nSubject: Q3 numbers\r\n"
        "Date: Tue, 10 Mar 2026 09:00:00 +0000\r\nMessage-ID: <q3@acme.example>\r\n\r\n"
        "Hi,\r\n\r\nCould you send me the Q3 numbers by Thursday?\r\n\r\nDana\r\n"
    ).encode()
    dovecot_server.append(mail_user, "INBOX", [raw])
    config = write_config(
        tmp_path,
        imap_table("work", dovecot_server, mail_user),
        f'[digest]\nto = "{ME[1]}"\nat = "07:00"\nimap_account = "work"\nimap_folder = "INBOX"\n',
    )
    first = invoke(config, "run", "--json", "--now", "2026-03-17T07:30:00+00:00")
    assert first.exit_code == 0, first.output + first.stderr
    digest = json.loads(first.output)["digest"]
    assert digest["sent"] is True and digest["reason"] == "saved"

    again = invoke(config, "run", "--json", "--now", "2026-03-17T09:30:00+00:00")
    assert json.loads(again.output)["digest"]["reason"] == "already sent today"

    with dovecot_server.client(mail_user) as client:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["HEADER", "X-Followup-Digest", "2026-03-17"])
        assert len(uids) == 1
        body = client.fetch(uids, ["RFC822", "FLAGS"])[uids[0]]
    msg = email.message_from_bytes(body[b"RFC822"])
    assert msg.get_content_type() == "multipart/alternative"
    assert b"\\Seen" not in body[b"FLAGS"]  # arrives unread, like mail
    plain = msg.get_payload()[0].get_payload(decode=True).decode()
    assert "Could you send me the Q3 numbers by Thursday?" in plain


def test_imap_account_must_name_an_imap_mailbox(tmp_path):
    config = write_config(tmp_path, '[digest]\nto = "me@example.com"\nimap_account = "nope"\n')
    r = invoke(config, "run", "--now", "2026-03-17T09:30:00+00:00")
    assert r.exit_code == 2
    assert "digest.imap_account = 'nope' names no [[mail]] account of kind \"imap\"" in r.stderr
