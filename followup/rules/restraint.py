"""Restraint: which messages and histories may make a nudge at all.

Predicates shared by the rules, kept apart from what the rules say (their wording):

- a **broadcast** (many recipients, a distribution list or role address on either side)
  builds no relationship, reply, waiting-on or reconnect: someone else answers it;
- mail the owner **deleted or filed as junk** makes no nudge (they have dealt with it);
- the owner's own mail needs an actual **ask or commitment** to be chased: a thank-you,
  a greeting or an FYI forward expects no answer.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta

from connectors.automated import role_address_reason
from followup.people import contact_days
from followup.state import Contact, Msg, PlanningState

# More recipients than this and a message is a memo, not a conversation.
BROADCAST_RECIPIENTS = 5

# Folders whose mail the owner has put away: deleted, binned or junk.
_PUT_AWAY = re.compile(
    r"(?:^|[/.\\\s_-])(?:deleted(?:[ _-]?(?:items|messages))?|trash|bin|junk(?:[ _-]?e-?mail)?"
    r"|spam|bulk[ _-]?mail)$",
    re.IGNORECASE,
)

# Local parts of distribution lists and announcement addresses (beyond role accounts).
_LIST_LOCAL = re.compile(
    r"^(?:all|everyone|staff|team|announce(?:ments?)?|dl|list|group|corp|company|employees?"
    r"|enron\.?announcements?|(?:all|dl)[-_.].*|.*[-_.](?:all|list|dl|group|team|announce))$",
    re.IGNORECASE,
)


def put_away(folder: str) -> bool:
    """True for Deleted Items, Trash, Bin, Junk E-mail, Spam (any nesting)."""
    return bool(_PUT_AWAY.search(folder.strip()))


@functools.lru_cache(maxsize=65536)
def list_address(email: str) -> bool:
    """A distribution list or role address: never one person's side of a conversation."""
    local = email.partition("@")[0]
    return bool(_LIST_LOCAL.match(local)) or role_address_reason(email) is not None


def broadcast(m: Msg) -> bool:
    """Sent to many, to a list, or from a list/role address."""
    if len(m.to) + len(m.cc) > BROADCAST_RECIPIENTS:
        return True
    if m.sender and not m.from_me and list_address(m.sender):
        return True
    return any(list_address(e) for e in m.to)


def direct_to_me(state: PlanningState, m: Msg) -> bool:
    """I am in To (not only Cc or Bcc) of a message that is not a broadcast."""
    return any(state.is_me(e) for e in m.to) and not broadcast(m)


def asks_or_commits(m: Msg) -> bool:
    """The message carries an ask of the reader or a commitment of its writer."""
    return m.expects_answer or any(f.kind in ("request", "commitment") for f in m.findings)


# Wording of my own mail that waits for an answer (applied to my text only, before any
# quoted message): a question, "let me know", "I look forward to hearing from you".
# Each pattern below opens with a lookahead on the first letters its alternatives can
# start with: the same matches, but most positions of a text fail at once (every plan
# reads my recent mail with these: 4.7 times faster on mail).
_EXPECTS = re.compile(
    r"(?=[?lgpyc])(?:\?|\blet me know\b|\blook(?:ing)? forward to (?:hearing|your|talking|meeting)"
    r"|\bget back to me\b|\bplease (?:send|call|reply|respond|confirm|advise|review|let)"
    r"|\byour thoughts\b|\bcall me\b)",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"^\s*(?:>|-{3,}\s*(?:original|forwarded) message|from:\s)", re.I | re.M)
# Mail that only thanks, greets or passes something on: no answer is awaited.
_COURTESY = re.compile(
    r"^\W*(?:thanks?|thank you|got it|fyi|happy|merry|congratulations)\b"
    r"|(?=[tru])(?:\b(?:take|remove) (?:me|my (?:name|address)) (?:off|from)\b|\bunsubscribe\b)",
    re.IGNORECASE,
)


_REMOVAL = re.compile(
    r"(?=[tru])(?:\b(?:take|remove) (?:me|my (?:name|address)) (?:off|from)\b|\bunsubscribe\b)",
    re.I,
)


def asks_removal(text: str) -> bool:
    """My text asks to be taken off a (mailing) list."""
    own = text[: m.start()] if (m := _QUOTED.search(text)) else text
    return bool(_REMOVAL.search(own))


def expects_answer(text: str) -> bool:
    """My text (up to the quoted part) asks or waits for something."""
    own = text[: m.start()] if (m := _QUOTED.search(text)) else text
    own = own.strip()
    if not own:
        return False
    if _COURTESY.search(own) and ("?" not in own or "unsubscribe" in own.lower()):
        return False
    return bool(_EXPECTS.search(own))


def may_nudge(m: Msg) -> bool:
    """Neither put away by the owner nor machine mail."""
    return not put_away(m.folder) and not m.automated


# A relationship is a rhythm over months, not one deal's fortnight of mail.
MIN_SPAN = timedelta(days=42)
BURST_WINDOW = timedelta(days=21)
BURST_SHARE = 0.7
# Below this share of the exchanges on the quieter side, it is a feed, not a relationship.
MIN_TWO_WAY_SHARE = 0.1


def one_sided(c: Contact) -> bool:
    """Nearly all of it one way (a feed, or mail they never answer); a meeting together
    is an exchange both ways."""
    total = len(c.received) + len(c.sent) + len(c.met)
    two_way = min(len(c.received), len(c.sent)) + len(c.met)
    return total == 0 or two_way / total < MIN_TWO_WAY_SHARE


def burst(c: Contact) -> bool:
    """All (or most) of the history falls in a few weeks."""
    days = contact_days(c)
    if not days or days[-1] - days[0] < MIN_SPAN:
        return True
    most, lo = 0, 0
    for hi, d in enumerate(days):  # the busiest BURST_WINDOW, one pass
        while d - days[lo] > BURST_WINDOW:
            lo += 1
        most = max(most, hi - lo + 1)
    return most / len(days) >= BURST_SHARE


def _name_key(name: str) -> str:
    return " ".join(name.lower().split())


def latest_by_name(state: PlanningState) -> dict[str, tuple[datetime, str]]:
    """Full name -> (latest contact, address) over every contact with a full name."""
    out: dict[str, tuple[datetime, str]] = {}
    for c in state.contacts.values():
        key, last = _name_key(c.name), c.last_contact
        if len(key.split()) >= 2 and last is not None and (key not in out or out[key][0] < last):
            out[key] = (last, c.email)
    return out


def replaced_address(
    state: PlanningState, c: Contact, latest: dict[str, tuple[datetime, str]] | None = None
) -> bool:
    """Someone of the same full name wrote or was written to later from another address:
    this one is their old address, and they are not quiet at all."""
    key = _name_key(c.name)
    if len(key.split()) < 2 or c.last_contact is None:
        return False
    found = (latest if latest is not None else latest_by_name(state)).get(key)
    return found is not None and found[1] != c.email and found[0] > c.last_contact


def steady_relationship(
    state: PlanningState, c: Contact, latest: dict[str, tuple[datetime, str]] | None = None
) -> bool:
    """Worth a reconnect: two-way, spread over time, at the address they still use.
    ``latest``: latest_by_name(state), computed once for many contacts."""
    if c.important:
        return not replaced_address(state, c, latest)
    return not (one_sided(c) or burst(c) or replaced_address(state, c, latest))
