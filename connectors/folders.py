"""Folder roles from folder names, for sources that have no SPECIAL-USE flags (files).

"sent" holds the user's own messages (the application counts them as written by the
user), "inbox" and "archive" hold mail to the user, and "other" is everything else:
trash, spam, drafts, calendar and task exports, and the user's own folders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from connectors.records import FolderRole

DEFAULT_SENT: tuple[str, ...] = (
    "sent",
    "sent items",
    "sent_items",
    "sent messages",
    "sent mail",
    "sent-mail",
    "sent_mail",
    "sent email",
    "sent e-mail",
    "sentmail",
    "sentitems",
    "sent-items",
    "outgoing mail",
    "[gmail]/sent mail",
    "[google mail]/sent mail",
    "gesendet",
    "gesendete elemente",
    "envoyés",
    "éléments envoyés",
    "enviados",
    "inviata",
)
"""Folder names that hold sent mail when the config does not say. Names match
case-insensitively and with "_", "-" and spaces alike ("_sent_mail" is "Sent Mail")."""

DEFAULT_ARCHIVE: tuple[str, ...] = (
    "archive",
    "archives",
    "all mail",
    "[gmail]/all mail",
    "[google mail]/all mail",
    "archiv",
)
"""Folder names (case-insensitive) that hold filed mail when the config does not say."""

# Named so that "Sent/Trash" or "Archive/Spam" is not taken for sent or archived mail.
_OTHER_NAMES = frozenset(
    {
        "trash",
        "deleted",
        "deleted items",
        "deleted_items",
        "deleted messages",
        "bin",
        "junk",
        "junk e-mail",
        "junk email",
        "spam",
        "bulk mail",
        "drafts",
        "draft",
        "outbox",
        "templates",
        "calendar",
        "contacts",
        "tasks",
        "to_do",
        "to do",
        "notes",
        "journal",
        "[gmail]/trash",
        "[gmail]/spam",
        "[gmail]/drafts",
    }
)
_SEPARATORS = re.compile(r"[/.\\]")
# Exports spell one folder many ways: "Sent Items", "sent_items", "_sent_mail", "Sent-Mail".
_WORD_JOINERS = re.compile(r"[\s_]+|(?<!\be)-")


def _norm(name: str) -> str:
    """A folder name as compared: case, leading dots and underscores, and the
    "_"/"-"/space that join its words do not count ("e-mail" keeps its hyphen)."""
    words = _WORD_JOINERS.sub(" ", name.casefold().strip().lstrip("._")).split()
    return " ".join(words)


_OTHER = frozenset(_norm(n) for n in _OTHER_NAMES)


def guess_role(
    name: str,
    sent_names: Iterable[str] | None = None,
    archive_names: Iterable[str] | None = None,
) -> FolderRole:
    """The role of folder ``name``.

    ``sent_names`` / ``archive_names`` replace the defaults (``DEFAULT_SENT``,
    ``DEFAULT_ARCHIVE``) when given; names match case-insensitively, on the whole folder
    name or on its last component ("INBOX.Sent", "Archive/2023" is an archive).
    """
    sent = {_norm(n) for n in (DEFAULT_SENT if sent_names is None else sent_names)}
    archive = {_norm(n) for n in (DEFAULT_ARCHIVE if archive_names is None else archive_names)}
    full = _norm(name)
    if full in sent:
        return "sent"
    if full in archive:
        return "archive"
    if full == "inbox":
        return "inbox"
    if full in _OTHER:
        return "other"
    components = [c for c in (_norm(p) for p in _SEPARATORS.split(name)) if c]
    if not components:
        return "other"
    leaf = components[-1]
    if leaf in sent:
        return "sent"
    if leaf in _OTHER:
        return "other"
    if leaf in archive or components[0] in archive:
        return "archive"  # "Archive/2023" and "Archives.Projects" are archives too
    if leaf == "inbox" and len(components) == 1:
        return "inbox"
    return "other"
