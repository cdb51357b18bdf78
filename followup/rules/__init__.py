"""The rules: pure functions of (state, now, settings) -> nudges.

Same state + same now + same settings = same nudges, in the same order.
"""

from __future__ import annotations

from datetime import datetime

from followup.config import MeSettings, RuleSettings
from followup.nudges import KIND_ORDER, Nudge
from followup.ranking import rank
from followup.rules.follow_up import plan_follow_up
from followup.rules.guard import PlanFailures
from followup.rules.meetings import plan_after_meeting, plan_before_meeting
from followup.rules.promises import plan_promises, plan_waiting_on
from followup.rules.reconnect import plan_reconnect
from followup.rules.reply import plan_reply
from followup.state import PlanningState

__all__ = ["PlanFailures", "plan", "sort_nudges"]


def plan(
    state: PlanningState,
    now: datetime,
    rules: RuleSettings,
    me: MeSettings,
    failures: PlanFailures | None = None,
) -> list[Nudge]:
    """Every nudge due at ``now``; ``now`` must be timezone-aware.

    A rule that fails on one candidate drops that nudge only (see rules.guard); pass
    ``failures`` to count them.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    guard = failures or PlanFailures()
    items: list[Nudge] = []
    for rule in (plan_reply, plan_promises, plan_follow_up, plan_waiting_on, plan_after_meeting):
        items.extend(rule(state, now, rules, me, guard))
    items.extend(plan_reconnect(state, now, rules, me, guard))
    items.extend(plan_before_meeting(state, now, rules, me, items, guard))
    items = [n for n in items if not (n.person and state.muted(n.person.email))]
    items = [n for n in items if not (n.person and (n.kind, n.person.email) in state.stopped)]
    # One nudge per key (a message in two folders, say), first wins.
    unique: dict[str, Nudge] = {}
    for n in items:
        unique.setdefault(n.key, n)
    return sort_nudges(rank(state, list(unique.values()), now))


def sort_nudges(nudges: list[Nudge]) -> list[Nudge]:
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(nudges, key=lambda n: (order[n.kind], -n.score, n.key))
