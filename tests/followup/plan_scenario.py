"""A planning state with every nudge kind, ties in score and meetings of many people.

Run as a script it prints the plan, one nudge per line: the determinism test runs it
in processes with different ``PYTHONHASHSEED`` values and compares what they print.
"""

from __future__ import annotations

from datetime import timedelta

from builders import ME, MY, NOW, RULES, ask, meeting, msg, promise, rhythm, state, thread

from followup.rules import plan
from followup.state import PlanningState

# Outside people at several domains, so sets of addresses have something to reorder.
PEOPLE = [f"{name}@{org}.example" for name in ("ana", "bo", "cy", "di") for org in ("acme", "zen")]


def scenario() -> PlanningState:
    threads = []
    for i, person in enumerate(PEOPLE):
        # The same age and wording for each: scores tie, the order must not depend on luck.
        ask_me = msg(
            person,
            ME,
            NOW - timedelta(days=6),
            subject=f"ask {i}",
            findings=(ask("Can you send the numbers?"),),
        )
        mine = msg(ME, person, NOW - timedelta(days=7), subject=f"intro {i}")
        promised = msg(
            ME,
            person,
            NOW - timedelta(days=6),
            subject=f"deck {i}",
            findings=(
                promise("I'll send the deck by Friday.", NOW - timedelta(days=4), "send the deck"),
            ),
        )
        theirs = msg(
            person,
            ME,
            NOW - timedelta(days=8),
            subject=f"venue {i}",
            findings=(
                promise(
                    "I'll confirm the venue by Monday.",
                    NOW - timedelta(days=2),
                    "confirm the venue",
                ),
            ),
        )
        threads += [thread(ask_me), thread(mine), thread(promised), thread(theirs)]
    meetings = (
        meeting("before", NOW + timedelta(hours=3), 30, [*PEOPLE, "colleague@example.com"]),
        meeting("after", NOW - timedelta(hours=20), 60, list(reversed(PEOPLE))),
    )
    contacts = {
        c.email: c
        for c in (
            rhythm(f"quiet{i}@north.example", NOW - timedelta(weeks=9), timedelta(weeks=3), 8)
            for i in range(6)
        )
    }
    return state(*threads, contacts=contacts, meetings=meetings)


def main() -> None:
    for nudge in plan(scenario(), NOW, RULES, MY):
        print(repr(nudge))


if __name__ == "__main__":
    main()
