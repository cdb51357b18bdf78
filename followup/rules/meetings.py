"""Meetings: follow up after one with outside people; prepare before one."""

from __future__ import annotations

from datetime import datetime

from followup.config import MeSettings, RuleSettings
from followup.nudges import (
    AfterMeetingFacts,
    BeforeMeetingFacts,
    Evidence,
    LastExchange,
    Nudge,
    OpenItem,
    PersonRef,
)
from followup.people import name_from_address
from followup.rules.guard import PlanFailures
from followup.state import Meeting, PlanningState

# An event with more people than this is an announcement or a mailing list, not a
# meeting to prepare or follow up (the ICS source does not even store those; other
# sources may).
MAX_ATTENDEES = 500


def _no_meeting(state: PlanningState, m: Meeting) -> bool:
    return m.status == "cancelled" or len(m.attendees) > MAX_ATTENDEES or _i_declined(state, m)


def _people(state: PlanningState, m: Meeting, *, outside_only: bool) -> list[PersonRef]:
    out = []
    for a in m.attendees:
        if state.is_me(a.email) or a.status == "declined" or state.muted(a.email):
            continue
        if outside_only and not state.is_outside(a.email):
            continue
        out.append(
            PersonRef(state.name_of(a.email) or a.name or name_from_address(a.email), a.email)
        )
    return out


def _i_declined(state: PlanningState, m: Meeting) -> bool:
    return any(state.is_me(a.email) and a.status == "declined" for a in m.attendees)


def plan_after_meeting(
    state: PlanningState,
    now: datetime,
    rules: RuleSettings,
    me: MeSettings,
    failures: PlanFailures | None = None,
) -> list[Nudge]:
    guard = failures or PlanFailures()
    out: list[Nudge] = []
    for m in state.meetings:
        with guard.candidate("after_meeting", f"meeting {m.uid}"):
            if _no_meeting(state, m):
                continue
            if not (now - rules.after_meeting_within.delta <= m.end <= now):
                continue
            people = _people(state, m, outside_only=True)
            if not people:
                continue
            emails = {p.email for p in people}
            wrote = any(
                msg.from_me and msg.date >= m.end and emails & set(msg.recipients)
                for th in state.threads
                for msg in th.messages
            )
            if wrote:
                continue
            out.append(
                Nudge(
                    key=f"after_meeting:{m.uid}",
                    kind="after_meeting",
                    person=people[0],
                    facts=AfterMeetingFacts(
                        summary=m.summary, start=m.start, end=m.end, people=tuple(people)
                    ),
                    evidence=Evidence(date=m.start, subject=m.summary),
                    due=m.end + rules.after_meeting_within.delta,
                    people=tuple(people),
                    score=-(now - m.end).total_seconds() / 86400,
                )
            )
    return out


def plan_before_meeting(
    state: PlanningState,
    now: datetime,
    rules: RuleSettings,
    me: MeSettings,
    open_items: list[Nudge],
    failures: PlanFailures | None = None,
) -> list[Nudge]:
    """Meetings today/tomorrow with other people, with what is open with each of them."""
    guard = failures or PlanFailures()
    out: list[Nudge] = []
    local_now = now.astimezone(me.tz)
    horizon_day = (local_now + rules.before_meeting_within.delta).date()
    for m in state.meetings:
        with guard.candidate("before_meeting", f"meeting {m.uid}"):
            if _no_meeting(state, m) or m.start < now:
                continue
            if m.start.astimezone(me.tz).date() > horizon_day:
                continue
            if not _people(state, m, outside_only=True):
                continue  # internal meetings need no briefing
            people = _people(state, m, outside_only=False)
            emails = {p.email for p in people}
            items = [n for n in open_items if n.person and n.person.email in emails]
            last: list[LastExchange] = []
            for p in people[:3]:
                c = state.contacts.get(p.email)
                if (
                    c
                    and c.last_contact
                    and not any(n.person and n.person.email == p.email for n in items)
                ):
                    last.append(LastExchange(p, c.last_contact))
            out.append(
                Nudge(
                    key=f"before_meeting:{m.uid}",
                    kind="before_meeting",
                    person=people[0],
                    facts=BeforeMeetingFacts(
                        summary=m.summary,
                        start=m.start,
                        people=tuple(people),
                        open_items=tuple(OpenItem(n.key, n.person, n.facts) for n in items[:3]),
                        last_exchanges=tuple(last),
                    ),
                    evidence=Evidence(date=m.start, subject=m.summary),
                    due=m.start,
                    people=tuple(people),
                    score=-(m.start - now).total_seconds() / 3600,
                    extra={"open_items": [n.key for n in items]},
                )
            )
    return out
