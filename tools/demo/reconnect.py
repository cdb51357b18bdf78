"""Reconnect: two people with a regular rhythm until January, then silence."""

from __future__ import annotations

from datetime import date

from tools.demo.background import chatter_thread
from tools.demo.cast import DIEGO, HELEN
from tools.demo.clock import CHICAGO
from tools.demo.scenario import Demo


def reconnect_people(demo: Demo) -> None:
    """Helen and Diego: a steady two-way rhythm from November, silent since January."""
    helen_topics = [
        "Advisory call notes",
        "Hiring the sales lead",
        "Pricing experiment",
        "December board meeting",
        "Fundraising timeline",
        "Board prep",
    ]
    helen_days = [
        date(2025, 11, 4),
        date(2025, 11, 18),
        date(2025, 12, 2),
        date(2025, 12, 16),
        date(2026, 1, 6),
        date(2026, 1, 20),
    ]
    for d, s in zip(helen_days, helen_topics, strict=True):
        chatter_thread(demo, HELEN, d, s)
    diego_topics = [
        "Data partnership idea",
        "Granite beta access",
        "Intro to Betaworks",
        "Conference panel",
        "Year-end numbers",
        "Hiring analysts",
        "Dashboard mockups",
        "Q1 planning notes",
    ]
    diego_days = [
        date(2025, 11, 6),
        date(2025, 11, 17),
        date(2025, 11, 28),
        date(2025, 12, 9),
        date(2025, 12, 19),
        date(2026, 1, 8),
        date(2026, 1, 19),
        date(2026, 1, 29),
    ]
    for d, s in zip(diego_days, diego_topics, strict=True):
        chatter_thread(demo, DIEGO, d, s)
    for who, subject, gap in ((HELEN, "Board prep", 14), (DIEGO, "Q1 planning notes", 11)):
        last = max(m.date for m in demo.box.mails if who in (m.sender, *m.to))
        demo.expect(
            "reconnect",
            who,
            subject,
            f"two-way exchange about every {gap} days since November; silent since "
            f"{last.astimezone(CHICAGO):%b %d}",
            last_contact=last.astimezone(CHICAGO).isoformat(),
            usual_gap_days=gap,
        )
