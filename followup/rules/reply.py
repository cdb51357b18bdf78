"""Reply: someone wrote to me directly, asked something, and I have not answered."""

from __future__ import annotations

from datetime import datetime

from followup.config import MeSettings, RuleSettings
from followup.nudges import Nudge, ReplyFacts
from followup.people import strength
from followup.rules.common import evidence, later_from_me, person, within
from followup.rules.guard import PlanFailures
from followup.rules.restraint import broadcast, may_nudge
from followup.state import Msg, PlanningState
from nlp.findings import Finding

# A request to more people than this is a broadcast: someone else will answer.
MAX_RECIPIENTS = 5


def _direct(state: PlanningState, m: Msg) -> bool:
    """Asked of me: I'm in To, one of a few recipients. An ask put by name to one of the
    others is no firm finding (nlp reads whom an ask addresses), so a few recipients need
    not open with my name."""
    if not any(state.is_me(e) for e in m.to):
        return False
    return len(m.to) + len(m.cc) <= MAX_RECIPIENTS


def plan_reply(
    state: PlanningState,
    now: datetime,
    rules: RuleSettings,
    me: MeSettings,
    failures: PlanFailures | None = None,
) -> list[Nudge]:
    guard = failures or PlanFailures()
    out: list[Nudge] = []
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
                pending.setdefault(m.sender, []).append((m, max(asks, key=lambda f: f.score)))
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
                out.append(
                    Nudge(
                        key=f"reply:{first.message_id}",
                        kind="reply",
                        person=who,
                        facts=ReplyFacts(ask=latest_ask.text, asked_at=first.date, asks=len(items)),
                        evidence=evidence(latest, latest_ask.text),
                        due=latest_ask.due,
                        score=round(score, 2),
                        extra={"asks": len(items)},
                    )
                )
    return out
