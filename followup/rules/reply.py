"""Reply: someone wrote to me directly, asked something, and I have not answered."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from followup.config import MeSettings, RuleSettings
from followup.nudges import REMINDED_AT, Nudge, ReplyFacts
from followup.people import strength
from followup.rules.common import evidence, later_from_me, person, within
from followup.rules.guard import PlanFailures
from followup.rules.restraint import broadcast, may_nudge
from followup.state import Msg, PlanningState
from nlp.findings import Finding

# A request to more people than this is a broadcast: someone else will answer.
MAX_RECIPIENTS = 5
# "Email the sheet to me": answered by the mail I send them soon after, whatever its
# subject (people attach the file to a new message as often as they reply).
_DELIVERY = re.compile(
    r"^(?:please\s+)?(?:e-?mail|send|re-?send|forward|fax|mail|deliver|pass"
    r"|(?:have|get) (?:\S+ ){0,6}?to you)\b",
    re.I,
)
DELIVERY_WINDOW = timedelta(days=2)


def _direct(state: PlanningState, m: Msg) -> bool:
    """Asked of me: I'm in To, one of a few recipients. An ask put by name to one of the
    others is no firm finding (nlp reads whom an ask addresses), so a few recipients need
    not open with my name."""
    if not any(state.is_me(e) for e in m.to):
        return False
    return len(m.to) + len(m.cc) <= MAX_RECIPIENTS


_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|sv)\s*:", re.I)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fw|fwd|wg)\s*:", re.I)


def _hands_over(m: Msg) -> bool:
    """My mail that passes something on: a forward, or a new message that asks nothing
    back ("Lunch again next week?" starts a conversation; a reply answers its own
    thread)."""
    subject = m.subject or ""
    if _FORWARD_SUBJECT.match(subject):
        return True
    return not _REPLY_SUBJECT.match(subject) and not m.expects_answer


def new_mail_to(state: PlanningState) -> dict[str, list[datetime]]:
    """Address -> dates of my mail to them (in To) that hands something over."""
    out: dict[str, list[datetime]] = {}
    for th in state.threads:
        for m in th.messages:
            if m.from_me and _hands_over(m):
                for email in m.to:
                    out.setdefault(email, []).append(m.date)
    return out


def delivered_after(
    sent: dict[str, list[datetime]], email: str, f: Finding, when: datetime
) -> bool:
    """An ask (or my promise) to send something, followed within DELIVERY_WINDOW by new
    mail of mine to them (``sent``: new_mail_to): "Email the sheet to me" / "I'll have the
    procedures to you tomorrow"."""
    if not _DELIVERY.match(f.action or f.text):
        return False
    return any(when < d <= when + DELIVERY_WINDOW for d in sent.get(email, ()))


def _reminded(th_messages: tuple[Msg, ...], sender: str, ask: Msg) -> datetime | None:
    """The last time the asker wrote again in the thread after ``ask``."""
    again = [x.date for x in th_messages if x.sender == sender and x.date > ask.date]
    return max(again) if again else None


def plan_reply(
    state: PlanningState,
    now: datetime,
    rules: RuleSettings,
    me: MeSettings,
    failures: PlanFailures | None = None,
) -> list[Nudge]:
    guard = failures or PlanFailures()
    out: list[Nudge] = []
    sent = new_mail_to(state)
    for th in state.threads:
        with guard.candidate("reply", f"thread {th.id}"):
            pending: dict[
                str, list[tuple[Msg, Finding]]
            ] = {}  # sender -> unanswered request messages, oldest first
            for m in th.messages:
                if m.from_me or m.automated or not m.sender or state.is_me(m.sender):
                    continue
                if not _direct(state, m) or broadcast(m) or not may_nudge(m):
                    continue  # Cc, a list, Bcc, a broadcast, or mail I deleted
                asks = [f for f in m.findings if f.kind == "request"]
                if not asks or not within(m.date, now, rules.lookback.delta):
                    continue
                if later_from_me(th, m):
                    continue
                top = max(asks, key=lambda f: f.score)
                if delivered_after(sent, m.sender, top, m.date):
                    continue
                pending.setdefault(m.sender, []).append((m, top))
            for sender, items in pending.items():
                first, _ = items[0]
                latest, latest_ask = items[-1]
                if not rules.reply_after.elapsed(first.date, now, me.tz):
                    continue
                who = person(state, sender, first.sender_name)
                contact = state.contacts.get(sender)
                # People I correspond with come first; an old, unanswered ask fades.
                known = strength(contact, now).score if contact and contact.sent else 0.0
                age = (now - first.date).total_seconds() / 86400
                score = known + 20 * latest_ask.score - max(0.0, age - 7)
                extra: dict[str, object] = {"asks": len(items)}
                again = _reminded(th.messages, sender, latest)
                if again is not None:
                    extra[REMINDED_AT] = again.isoformat()
                out.append(
                    Nudge(
                        key=f"reply:{first.message_id}",
                        kind="reply",
                        person=who,
                        facts=ReplyFacts(ask=latest_ask.text, asked_at=first.date, asks=len(items)),
                        evidence=evidence(latest, latest_ask.text),
                        due=latest_ask.due,
                        score=round(score, 2),
                        extra=extra,
                    )
                )
    return out
