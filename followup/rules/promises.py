"""Promise: what I committed to (due soon, due today, overdue). Waiting on: what others
committed to me, once their date has passed."""

from __future__ import annotations

from datetime import datetime

from followup.config import MeSettings, RuleSettings
from followup.nudges import Nudge, PromiseFacts, WaitingOnFacts
from followup.rules.common import (
    evidence,
    first_other,
    later_from,
    later_from_me,
    named_recipient,
    person,
)
from followup.rules.guard import PlanFailures
from followup.rules.reply import delivered_after, new_mail_to
from followup.rules.restraint import direct_to_me, may_nudge, put_away
from followup.state import PlanningState
from nlp.findings import Finding


def _stable(f: Finding) -> str:
    import hashlib

    return hashlib.sha1(" ".join(f.text.split()).encode()).hexdigest()[:10]


def plan_promises(
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
        for m in th.messages:
            with guard.candidate("promise", f"message {m.pk}"):
                if not m.from_me or put_away(m.folder):
                    continue
                commits = [f for f in m.findings if f.kind == "commitment"]
                if not commits or later_from_me(th, m):
                    continue  # a later message of mine in the thread: delivered or updated
                target = first_other(state, m)
                if target is None or state.muted(target):
                    continue
                for f in commits:
                    # "Monte, I will help you with these": promised to Monte, not to
                    # the first in To.
                    to = named_recipient(state, m, f.text) or target
                    if state.muted(to) or delivered_after(sent, to, f, m.date):
                        continue  # muted, or sent to them since in another mail
                    who = person(state, to)
                    if f.due is not None:
                        if f.due - now > rules.promise_soon.delta:
                            continue
                        if now - f.due > rules.lookback.delta:
                            continue
                    elif f.action.lower().startswith("be "):
                        continue  # "I will be attending": with no date there is nothing to deliver
                    elif rules.reply_after.elapsed(m.date, now, me.tz) and (
                        now - m.date <= rules.lookback.delta / 2
                    ):
                        pass  # no date: worded "no date set, promised ..." from the facts
                    else:
                        continue
                    action = f.action or f.text
                    out.append(
                        Nudge(
                            key=f"promise:{m.message_id}:{_stable(f)}",
                            kind="promise",
                            person=who,
                            facts=PromiseFacts(
                                action=action, text=f.text, promised_at=m.date, due=f.due
                            ),
                            evidence=evidence(m, f.text),
                            due=f.due,
                            score=((now - f.due).total_seconds() / 86400 + 10) if f.due else 0.0,
                        )
                    )
    return out


def plan_waiting_on(
    state: PlanningState,
    now: datetime,
    rules: RuleSettings,
    me: MeSettings,
    failures: PlanFailures | None = None,
) -> list[Nudge]:
    guard = failures or PlanFailures()
    out: list[Nudge] = []
    for th in state.threads:
        for m in th.messages:
            with guard.candidate("waiting_on", f"message {m.pk}"):
                if m.from_me or m.automated or not m.sender or state.muted(m.sender):
                    continue
                if not direct_to_me(state, m) or not may_nudge(m):
                    continue  # a memo's "we will..." is owed to everyone, so to no one
                for f in m.findings:
                    if f.kind != "commitment" or f.due is None:
                        continue
                    if (
                        now - f.due < rules.waiting_grace.delta
                        or now - f.due > rules.lookback.delta
                    ):
                        continue
                    if later_from(th, m, m.sender):
                        continue
                    who = person(state, m.sender, m.sender_name)
                    late = (now.astimezone(me.tz).date() - f.due.astimezone(me.tz).date()).days
                    out.append(
                        Nudge(
                            key=f"waiting_on:{m.message_id}:{_stable(f)}",
                            kind="waiting_on",
                            person=who,
                            facts=WaitingOnFacts(
                                action=f.action, text=f.text, said_at=m.date, due=f.due
                            ),
                            evidence=evidence(m, f.text),
                            due=f.due,
                            score=float(late),
                        )
                    )
    return out
