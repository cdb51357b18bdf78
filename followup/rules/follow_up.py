"""Follow up: my last message in a thread asked something (or opened the thread) and
nobody answered; the wait adapts to how fast that person usually replies."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from connectors.automated import role_address_reason
from followup.config import MeSettings, RuleSettings
from followup.durations import Duration
from followup.nudges import FollowUpFacts, Nudge
from followup.rules.common import evidence, first_other, person, reply_times, within
from followup.rules.guard import PlanFailures
from followup.rules.restraint import asks_or_commits, broadcast, put_away
from followup.state import PlanningState
from nlp.findings import Finding

# A line that only addresses someone ("Mark,", "Hi Dana Lee:"): the sentence splitter
# can hand it over alone, and the classifier then scores the ask that follows it.
_ADDRESS_ONLY = re.compile(
    r"\s*(?:(?i:hi|hello|hey|dear|good (?:morning|afternoon|evening))\s+)?"
    r"[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,2}\s*[,:;!.-]?\s*"
)


def _ask_sentences(findings: tuple[Finding, ...]) -> list[Finding]:
    """The requests in my message that say what I asked (not a greeting line)."""
    return [f for f in findings if f.kind == "request" and not _ADDRESS_ONLY.fullmatch(f.text)]


def plan_follow_up(
    state: PlanningState,
    now: datetime,
    rules: RuleSettings,
    me: MeSettings,
    failures: PlanFailures | None = None,
) -> list[Nudge]:
    guard = failures or PlanFailures()
    out: list[Nudge] = []
    waits = reply_times(state)
    for th in state.threads:
        with guard.candidate("follow_up", f"thread {th.id}"):
            msgs = [m for m in th.messages if not m.automated]
            if not msgs or not msgs[-1].from_me:
                continue
            last = msgs[-1]
            if not within(last.date, now, rules.lookback.delta):
                continue
            if broadcast(last) or put_away(last.folder) or last.asks_removal:
                continue  # a memo to many, mail I deleted, "take me off your list"
            asks = _ask_sentences(last.findings)
            # Outreach nobody answered is chased only when it asked or offered something:
            # a thank-you, a greeting or an FYI forward expects no answer.
            outreach = all(m.from_me for m in msgs) and asks_or_commits(last)
            if not asks and not outreach:
                continue
            target = first_other(state, last, outside=True)
            if target is None or state.muted(target) or role_address_reason(target):
                continue  # colleagues are chased in the hallway; feedback@ never answers
            threshold = rules.follow_up_after
            usual = waits.get(target)
            if usual is not None:
                adaptive = usual * rules.follow_up_factor
                if adaptive > timedelta(days=threshold.amount * 7 / 5):
                    # Slow responders get more time, up to follow_up_max business days.
                    bdays = min(adaptive.days * 5 / 7, rules.follow_up_max.amount)
                    bdays = float(round(bdays))
                    threshold = Duration(bdays, business=True, delta=timedelta(days=bdays))
            if not threshold.elapsed(last.date, now, me.tz):
                continue
            who = person(state, target)
            # The surest ask speaks for the message (as for replies), not the first.
            ask = max(asks, key=lambda f: f.score) if asks else None
            out.append(
                Nudge(
                    key=f"follow_up:{last.message_id}",
                    kind="follow_up",
                    person=who,
                    facts=FollowUpFacts(
                        subject=last.subject, sent_at=last.date, ask=ask.text if ask else None
                    ),
                    evidence=evidence(last, ask.text if ask else None),
                    score=(now - last.date).total_seconds() / 86400,
                    extra={"waited": str(threshold)},
                )
            )
    return out
