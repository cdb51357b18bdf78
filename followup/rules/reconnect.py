"""Reconnect: a relationship that matters has gone quiet for longer than its rhythm."""

from __future__ import annotations

from datetime import datetime, timedelta

from followup.config import MeSettings, RuleSettings
from followup.nudges import Evidence, Nudge, PersonRef, ReconnectFacts
from followup.people import name_from_address, strength, usual_gap
from followup.rules.guard import PlanFailures
from followup.rules.restraint import latest_by_name, steady_relationship
from followup.state import PlanningState

MAX_SILENCE = timedelta(days=365)


def plan_reconnect(
    state: PlanningState,
    now: datetime,
    rules: RuleSettings,
    me: MeSettings,
    failures: PlanFailures | None = None,
) -> list[Nudge]:
    guard = failures or PlanFailures()
    out: list[Nudge] = []
    latest = latest_by_name(state)
    for c in state.contacts.values():
        with guard.candidate("reconnect", f"contact {c.email}"):
            if c.muted or state.is_me(c.email):
                continue
            last = c.last_contact
            if last is None:
                continue
            st = strength(c, now)
            if not c.important and (not st.two_way or st.exchanges < rules.reconnect_min_exchanges):
                continue
            if not steady_relationship(state, c, latest):
                continue  # a burst, a one-way feed, or an address they no longer use
            gap = usual_gap(c)
            if gap is None and not c.important:
                continue  # too few conversations to know the relationship's rhythm
            silence = now - last
            threshold = max(
                gap * rules.reconnect_factor if gap else timedelta(0), rules.reconnect_min.delta
            )
            if silence < threshold or silence > MAX_SILENCE:
                continue
            who = PersonRef(name=c.name or name_from_address(c.email), email=c.email)
            out.append(
                Nudge(
                    key=f"reconnect:{c.email}:{last.date().isoformat()}",
                    kind="reconnect",
                    person=who,
                    facts=ReconnectFacts(
                        last_contact=last, usual_gap=gap, last_subject=c.last_subject or ""
                    ),
                    evidence=Evidence(date=last, subject=c.last_subject or None),
                    score=st.score * (silence / threshold),
                    extra={"strength": st.score, "exchanges": st.exchanges},
                )
            )
    return out
