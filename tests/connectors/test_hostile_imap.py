"""The hostile corpus APPENDed to a real Dovecot and read by ImapMailSource.

What the server accepts is read back stored clean or skipped with a reason; what it
refuses at APPEND never reaches followup (IMAP literals cannot carry NUL, for one).
"""

from __future__ import annotations

import pytest
from hostile_mail import SKIPPED, assert_clean, corpus
from imap_helpers import make_source, records, run_sync
from servers import Dovecot, MailUser

pytestmark = pytest.mark.server

MESSAGES = corpus()


def _append_each(server: Dovecot, user: MailUser) -> tuple[list[str], list[str]]:
    """APPEND every message on its own; (accepted names, refused names), in order."""
    accepted, refused = [], []
    with server.client(user) as client:
        for name, raw in MESSAGES.items():
            try:
                client.append("INBOX", raw)
            except Exception:  # the server's own refusal (BAD/NO): nothing to sync
                refused.append(name)
            else:
                accepted.append(name)
    return accepted, refused


def test_every_hostile_message_appended_is_stored_clean_or_skipped(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    accepted, refused = _append_each(dovecot_server, mail_user)
    # Dovecot takes the poison ones (UTF-7, escapes, huge headers, broken MIME).
    for name in ("utf7-subject", "unicode-escape-subject", "huge-subject", "many-references",
                 "nested-multipart", "date-year-9999", "mixed-charsets"):  # fmt: skip
        assert name in accepted, refused
    batches, _ = run_sync(make_source(dovecot_server, mail_user))
    got = records(batches, "INBOX")
    skipped = [s for b in batches for s in b.skipped]
    assert len(got) + len(skipped) == len(accepted)
    for r in got:
        assert_clean(r)
    # UIDs follow APPEND order: match each outcome back to its message.
    by_uid = {r.uid: r for r in got}
    reasons = {s.uid: s.reason for s in skipped}
    for uid, name in enumerate(accepted, 1):
        if str(uid) in reasons:
            assert reasons[str(uid)], name
        else:
            assert str(uid) in by_uid, name
    assert by_uid[str(accepted.index("utf7-subject") + 1)].subject == "\ufffd\ufffd"
    assert len(by_uid[str(accepted.index("huge-subject") + 1)].subject) == 998
    # An absurd Date is not believed: INTERNALDATE stands in, as for a missing one.
    assert str(accepted.index("date-year-9999-utc") + 1) in by_uid
    assert not [n for n in SKIPPED if n in accepted and str(accepted.index(n) + 1) in by_uid
                and by_uid[str(accepted.index(n) + 1)].subject]  # fmt: skip
