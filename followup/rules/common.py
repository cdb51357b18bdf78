"""Helpers shared by the rules: people references, quoting evidence, reply times."""

from __future__ import annotations

import re
import statistics
from datetime import datetime, timedelta

from followup.nudges import Evidence, PersonRef
from followup.people import name_from_address
from followup.state import Msg, PlanningState, Thread
from followup.wording import quote as quote  # re-exported: rules quoted here before


def person(state: PlanningState, email: str, fallback_name: str = "") -> PersonRef:
    name = state.name_of(email) or fallback_name or name_from_address(email)
    return PersonRef(name=name, email=email)


def evidence(m: Msg, sentence: str | None = None) -> Evidence:
    return Evidence(
        message_id=m.message_id,
        sentence=sentence,
        date=m.date,
        subject=m.subject,
        thread_url=m.web_link,
    )


def first_other(state: PlanningState, m: Msg, *, outside: bool = False) -> str | None:
    """The main correspondent of my message: first To (then Cc) that isn't me (and,
    with ``outside``, is outside my organisation)."""
    for email in m.to + m.cc:
        if not state.is_me(email) and (not outside or state.is_outside(email)):
            return email
    return None


def named_recipient(state: PlanningState, m: Msg, sentence: str) -> str | None:
    """The recipient of ``m`` whom ``sentence`` opens by name ("Monte, I will ..."):
    their first name in the header name or the address ("monte.jones@")."""
    from nlp.addressees import sentence_addressee

    name = sentence_addressee(sentence)
    if not name:
        return None
    first = name.split()[0].lower()
    for email in m.recipients:
        if state.is_me(email):
            continue
        c = state.contacts.get(email)
        words = (c.name.replace(",", " ").lower().split() if c else []) + re.split(
            r"[._\-+]+", email.partition("@")[0].lower()
        )
        if first in words:
            return email
    return None


def later_from_me(thread: Thread, m: Msg) -> bool:
    return any(x.from_me for x in thread.after(m))


def later_from(thread: Thread, m: Msg, email: str) -> bool:
    return any(x.sender == email for x in thread.after(m))


def reply_times(state: PlanningState) -> dict[str, timedelta]:
    """Each person's median time to answer one of my messages, from the loaded threads."""
    waits: dict[str, list[float]] = {}
    for th in state.threads:
        msgs = th.messages
        for i, m in enumerate(msgs):
            if not m.from_me:
                continue
            for later in msgs[i + 1 :]:
                if later.from_me:
                    break
                if later.sender in m.recipients:
                    waits.setdefault(later.sender, []).append((later.date - m.date).total_seconds())
                    break
    return {e: timedelta(seconds=statistics.median(v)) for e, v in waits.items()}


def within(d: datetime, now: datetime, window: timedelta) -> bool:
    return now - window <= d <= now
