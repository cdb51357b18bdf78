"""Mail and calendar sources. Each yields plain records (``connectors.records``).

``get_source_class(kind)`` maps a config ``kind`` to its class, imported on first use so
that a user without, say, the Google extra can still use IMAP.
"""

from __future__ import annotations

import importlib
from typing import Any

# Only kinds that exist are listed: a config naming another gets a clear error listing
# these. "gmail" and "google" need the google extra (the class import says so).
MAIL_KINDS: dict[str, str] = {
    "imap": "connectors.imap.ImapMailSource",
    "maildir": "connectors.maildir.MaildirSource",
    "mbox": "connectors.mbox.MboxSource",
    "gmail": "connectors.gmail.GmailSource",
}
CALENDAR_KINDS: dict[str, str] = {
    "ics": "connectors.ics.IcsCalendarSource",
    "google": "connectors.google_calendar.GoogleCalendarSource",
}


def get_source_class(kind: str, *, calendar: bool = False) -> Any:
    """Import and return the class for ``kind``; KeyError for an unknown kind."""
    path = (CALENDAR_KINDS if calendar else MAIL_KINDS)[kind]
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)
