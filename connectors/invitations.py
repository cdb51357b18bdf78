"""Meeting invitations in the mailbox: a ``text/calendar`` part as an ``Invitation``.

iTIP (RFC 5546) mail: METHOD:REQUEST invites (or updates the meeting), REPLY answers
(the ATTENDEE who answers, with PARTSTAT), CANCEL calls it off (every occurrence, or
the one its RECURRENCE-ID names). Outlook and Exchange send the same, with Windows
time-zone ids (``connectors.timezones``). The part is read with the bounded ICS
machinery (``ics_bounds``, ``ics.expand_calendar``): a hostile part costs no more than a
hostile calendar file, and anything unreadable gives no invitation, never an error.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from connectors import ics_bounds
from connectors.ics import _address, _clean, expand_calendar
from connectors.records import (
    INVITATIONS_CALENDAR,
    MAX_INVITATION_BYTES,
    Attendee,
    Invitation,
    InvitationMethod,
)

logger = logging.getLogger(__name__)

CALENDAR = INVITATIONS_CALENDAR
MAX_PART_BYTES = MAX_INVITATION_BYTES
# A series is expanded this far around the message's date: a weekly 1:1 invited a year
# ago still counts in the relationship, and what it will be in a year is not yet known.
BEFORE = timedelta(days=400)
AFTER = timedelta(days=400)
_ANSWERS = frozenset({"accepted", "declined", "tentative"})
_METHODS: dict[str, InvitationMethod] = {
    "request": "request",
    "reply": "reply",
    "cancel": "cancel",
    # An Outlook "add" of occurrences to a series is an invitation to them.
    "add": "request",
}


def parse_invitation(
    data: bytes, *, source: str, sent_at: datetime, method: str = ""
) -> Invitation | None:
    """The invitation in a ``text/calendar`` part's decoded bytes, or None (not iTIP,
    unreadable, no event). ``method`` is the part's ``method=`` parameter, used when
    the calendar itself names none. Never raises."""
    if not data.strip() or len(data) > MAX_PART_BYTES:
        return None
    try:
        return _parse(data, source, sent_at, method)
    except Exception:  # hostile input: no invitation, and the message is still stored
        logger.debug("an invitation could not be read", exc_info=True)
        return None


def _parse(data: bytes, source: str, sent_at: datetime, method: str) -> Invitation | None:
    parsed, _unreadable = ics_bounds.parse(data)
    if not parsed:
        return None
    vcal = parsed[0]
    name = str(vcal.get("METHOD", "") or method).strip().lower()
    kind = _METHODS.get(name)
    if kind is None:
        return None  # PUBLISH, COUNTER, REFRESH...: not a meeting to keep
    components = list(vcal.walk("VEVENT"))
    if not components:
        return None
    uid = _clean(components[0].get("UID", ""), 300)
    if not uid or any(_clean(c.get("UID", ""), 300) != uid for c in components):
        return None  # iTIP carries one event; several UIDs is no invitation we understand
    whole_series = all(c.get("RECURRENCE-ID") is None for c in components)
    try:
        sequence = max(int(str(c.get("SEQUENCE", 0))) for c in components)
    except ValueError:
        sequence = 0
    skipped: Counter[str] = Counter()
    events = expand_calendar(
        source, CALENDAR, vcal, sent_at - BEFORE, sent_at + AFTER, None, skipped
    )
    responses = _responses(components) if kind == "reply" else ()
    if not events and not responses:
        return None
    if kind == "cancel":
        events = [dataclasses.replace(e, status="cancelled") for e in events]
    return Invitation(
        method=kind,
        uid=uid,
        events=tuple(events),
        sequence=max(0, min(sequence, 1_000_000)),
        whole_series=whole_series,
        responses=responses,
    )


def _responses(components: list[Any]) -> tuple[Attendee, ...]:
    """Who answers in a REPLY, and how (a REPLY need not repeat DTSTART)."""
    out: dict[str, Attendee] = {}
    for c in components:
        raw = c.get("ATTENDEE")
        for prop in raw if isinstance(raw, list) else ([raw] if raw is not None else []):
            address = _address(prop)
            status = str(prop.params.get("PARTSTAT", "")).lower()
            if address is not None and status in _ANSWERS:
                out[address.email] = Attendee(address, status)
    return tuple(out.values())


def part_method(params: dict[str, Any]) -> str:
    """The ``method=`` parameter of a text/calendar Content-Type, lower-cased."""
    return str(params.get("method", "")).strip().lower()
