"""Mail and calendar sources. Each yields plain records (``connectors.records``).

The registry maps a config ``kind`` to its class, imported on first use so that a user
without, say, the Google extra can still use IMAP. Adding a source: its module, one
line here, its keys in ``config.example.toml``, and a contract-suite subclass in
``tests/connectors`` (see ``connectors.base``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from connectors.base import CalendarSourceClass, MailSourceClass

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
    "caldav": "connectors.caldav_source.CaldavCalendarSource",
    "google": "connectors.google_calendar.GoogleCalendarSource",
}


def _load(path: str, kind: str) -> object:
    module, _, name = path.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    # The registry line and the class must agree: the class is what reports its kind.
    if getattr(cls, "kind", None) != kind or not callable(getattr(cls, "from_config", None)):
        raise TypeError(f"{path} does not declare kind = {kind!r} and from_config")
    return cls


def mail_source_class(kind: str) -> MailSourceClass:
    """The class for a ``[[mail]]`` ``kind``; KeyError for an unknown kind, ImportError
    when its extra is not installed."""
    return cast("MailSourceClass", _load(MAIL_KINDS[kind], kind))


def calendar_source_class(kind: str) -> CalendarSourceClass:
    """The class for a ``[[calendar]]`` ``kind``; as ``mail_source_class``."""
    return cast("CalendarSourceClass", _load(CALENDAR_KINDS[kind], kind))


def source_class(kind: str, *, calendar: bool = False) -> MailSourceClass | CalendarSourceClass:
    """Either registry, for code that treats both kinds alike (config checks, docs)."""
    return calendar_source_class(kind) if calendar else mail_source_class(kind)
