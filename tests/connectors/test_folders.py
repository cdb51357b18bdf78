"""Folder roles guessed from names (file sources have no SPECIAL-USE flags)."""

from __future__ import annotations

import pytest

from connectors.folders import guess_role


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("INBOX", "inbox"),
        ("inbox", "inbox"),
        ("Sent", "sent"),
        ("sent_items", "sent"),
        ("Sent Items", "sent"),
        ("Sent Messages", "sent"),
        ("[Gmail]/Sent Mail", "sent"),
        ("sent-mail", "sent"),
        # Exports (Enron, Outlook PST dumps) spell the sent folder many ways.
        ("sent_mail", "sent"),
        ("_sent_mail", "sent"),
        ("Sent-Mail", "sent"),
        ("_sent", "sent"),
        ("Sent Email", "sent"),
        ("INBOX/sent_mail", "sent"),
        ("Junk_E-mail", "other"),
        ("Deleted-Items", "other"),
        ("INBOX.Sent", "sent"),
        (".Sent", "sent"),
        ("Archive", "archive"),
        ("Archive/2023", "archive"),
        ("Archives.Projects", "archive"),
        ("[Gmail]/All Mail", "archive"),
        ("deleted_items", "other"),
        ("Trash", "other"),
        ("Junk", "other"),
        ("[Gmail]/Spam", "other"),
        ("Archive/Spam", "other"),
        ("Sent/Trash", "other"),
        ("calendar", "other"),
        ("to_do", "other"),
        ("Drafts", "other"),
        ("Projects", "other"),
        ("INBOX/Clients", "other"),
        ("", "other"),
    ],
)
def test_default_roles(name: str, role: str) -> None:
    assert guess_role(name) == role


def test_configured_names_replace_the_defaults() -> None:
    assert guess_role("Outgoing", sent_names=["outgoing"]) == "sent"
    assert guess_role("Sent", sent_names=["Outgoing"]) == "other"
    assert guess_role("Old", archive_names=["OLD"]) == "archive"
    # Configured names are compared the same way as the defaults.
    assert guess_role("my_out-box", sent_names=["My Out Box"]) == "sent"
    assert guess_role("Archive", archive_names=[]) == "other"
    # Sent wins over archive when a name is in both lists.
    assert guess_role("Both", sent_names=["both"], archive_names=["both"]) == "sent"
