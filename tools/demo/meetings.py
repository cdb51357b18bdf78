"""Meetings: preparing before today's, following up after yesterday's."""

from __future__ import annotations

from datetime import date

from tools.demo.cast import (
    DANA,
    DEREK,
    DIEGO,
    ELENA,
    FELIX,
    HANNAH,
    HELEN,
    INGRID,
    IRENE,
    JONAS,
    JULIA,
    KENJI,
    KYLE,
    MARCO,
    MAYA,
    MEI,
    NADIA,
    OWEN,
    PENNY,
    PRIYA,
    RAVI,
    SAM,
    TOM,
    TOMAS,
)
from tools.demo.clock import START, at
from tools.demo.content import hi, hi_penny
from tools.demo.ics import Event
from tools.demo.scenario import Demo


def plant_meetings(demo: Demo) -> None:
    # Kickoff yesterday with outside people, no mail since -> after_meeting.
    t = demo.thread("Partnership kickoff agenda")
    t.post(
        NADIA,
        [PENNY],
        at(date(2026, 3, 11), 15, 0),
        hi_penny("Here is the agenda for Monday's kickoff: goals, joint customers, next steps."),
    )
    t.reply(PENNY, at(date(2026, 3, 11), 16, 30), hi(NADIA, "Thanks Nadia, the agenda looks good."))
    kickoff = Event(
        "kickoff-20260316@northwind.example",
        "Northwind partnership kickoff",
        at(date(2026, 3, 16), 14, 0),
        60,
        NADIA,
        ((NADIA, "ACCEPTED"), (IRENE, "ACCEPTED"), (PENNY, "ACCEPTED"), (OWEN, "ACCEPTED")),
        location="Video call",
    )
    demo.events.append(kickoff)
    demo.expect(
        "after_meeting",
        NADIA,
        kickoff.summary,
        "ended yesterday 15:00; no mail to Nadia or Irene since",
        event_uid=kickoff.uid,
        people=[NADIA.email, IRENE.email],
    )

    # Security review yesterday, followed up by mail -> no after_meeting.
    review = Event(
        "security-review-20260316@contoso.example",
        "Contoso security review",
        at(date(2026, 3, 16), 10, 0),
        45,
        RAVI,
        ((RAVI, "ACCEPTED"), (PENNY, "ACCEPTED"), (DEREK, "ACCEPTED")),
        location="Video call",
    )
    demo.events.append(review)
    t = demo.thread("Security review notes")
    t.post(
        PENNY,
        [RAVI],
        at(date(2026, 3, 16), 12, 15),
        hi(
            RAVI,
            "Thanks for the review this morning. Our notes are below.\n\n- SSO is enforced "
            "for all admin accounts.\n- Audit logs are kept for 12 months.",
        ),
        cc=[DEREK],
    )
    t.reply(RAVI, at(date(2026, 3, 16), 14, 30), hi_penny("All clear on our side."), cc=[DEREK])
    demo.expect_not(
        "after_meeting",
        RAVI,
        review.summary,
        "Penny wrote to Ravi after the meeting",
        event_uid=review.uid,
    )

    # Cancelled meeting yesterday.
    cancelled = Event(
        "tandem-intro-20260316@tandem.example",
        "Tandem data review",
        at(date(2026, 3, 16), 13, 0),
        30,
        TOM,
        ((TOM, "ACCEPTED"), (PENNY, "ACCEPTED")),
        status="CANCELLED",
    )
    demo.events.append(cancelled)
    demo.expect_not(
        "after_meeting",
        TOM,
        cancelled.summary,
        "the meeting was cancelled",
        event_uid=cancelled.uid,
    )

    # Today 10:00 with Acme: Penny owes Dana the pricing sheet -> before_meeting.
    sync = Event(
        "acme-sync-20260317@example.com",
        "Acme sync: pricing and rollout",
        at(date(2026, 3, 17), 10, 0),
        45,
        PENNY,
        ((PENNY, "ACCEPTED"), (DANA, "ACCEPTED"), (MARCO, "TENTATIVE"), (JULIA, "ACCEPTED")),
        location="Acme office, 5th floor",
        description="Pricing, rollout phases, next steps.",
    )
    demo.events.append(sync)
    demo.expect(
        "before_meeting",
        DANA,
        sync.summary,
        "today 10:00 with Dana and Marco; Penny owes Dana the pricing sheet",
        event_uid=sync.uid,
        people=[DANA.email, MARCO.email],
        open_item={
            "kind": "promise",
            "person": DANA.email,
            "subject": "Pricing for the Acme rollout",
            "message_id": demo.dana_promise,
        },
    )

    # Today 15:00, declined by Penny -> no before_meeting.
    zephyr = Event(
        "zephyr-demo-20260317@zephyr-analytics.example",
        "Zephyr analytics demo",
        at(date(2026, 3, 17), 15, 0),
        30,
        KYLE,
        ((KYLE, "ACCEPTED"), (PENNY, "DECLINED")),
    )
    demo.events.append(zephyr)
    demo.expect_not("before_meeting", KYLE, zephyr.summary, "Penny declined", event_uid=zephyr.uid)

    # Recurring internal meetings: Monday team sync (yesterday) and Wednesday 1:1 (tomorrow).
    team = (PENNY, OWEN, JULIA, DEREK, MAYA, FELIX)
    sync_weekly = Event(
        "team-sync@example.com",
        "Weekly team sync",
        at(START, 9, 0),
        30,
        DEREK,
        tuple((p, "ACCEPTED") for p in team),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        exdates=(at(date(2025, 12, 29), 9, 0), at(date(2026, 1, 19), 9, 0)),
        location="Room 4B",
    )
    one_on_one = Event(
        "partnerships-1on1@example.com",
        "Penny / Owen 1:1",
        at(date(2025, 11, 5), 9, 0),
        30,
        OWEN,
        ((OWEN, "ACCEPTED"), (PENNY, "ACCEPTED")),
        rrule="FREQ=WEEKLY;BYDAY=WE",
    )
    demo.events += [sync_weekly, one_on_one]
    demo.expect_not(
        "after_meeting",
        DEREK,
        sync_weekly.summary,
        "internal only (recurring)",
        event_uid=sync_weekly.uid,
    )
    demo.expect_not(
        "before_meeting",
        OWEN,
        one_on_one.summary,
        "internal only (tomorrow)",
        event_uid=one_on_one.uid,
    )

    # Earlier meetings: history for relationship strength, all outside the 3-day window.
    demo.events += [
        Event(
            "betaworks-checkin@example.com",
            "Betaworks monthly check-in",
            at(date(2025, 12, 10), 11, 0),
            45,
            PENNY,
            ((PENNY, "ACCEPTED"), (PRIYA, "ACCEPTED"), (TOMAS, "ACCEPTED")),
            rrule="FREQ=MONTHLY;BYDAY=2WE;COUNT=4",
        ),
        Event(
            "lunch-helen-20251203@example.com",
            "Lunch with Helen",
            at(date(2025, 12, 3), 12, 0),
            60,
            PENNY,
            ((PENNY, "ACCEPTED"), (HELEN, "ACCEPTED")),
            location="The Gage",
        ),
        Event(
            "coffee-diego-20260113@example.com",
            "Coffee with Diego",
            at(date(2026, 1, 13), 8, 30),
            45,
            DIEGO,
            ((DIEGO, "ACCEPTED"), (PENNY, "ACCEPTED")),
        ),
        Event(
            "fabrikam-qbr-20260122@fabrikam.example",
            "Fabrikam QBR",
            at(date(2026, 1, 22), 13, 0),
            60,
            SAM,
            ((SAM, "ACCEPTED"), (KENJI, "ACCEPTED"), (PENNY, "ACCEPTED"), (OWEN, "ACCEPTED")),
        ),
        Event(
            "acme-qr-20260128@example.com",
            "Acme quarterly review",
            at(date(2026, 1, 28), 10, 0),
            60,
            PENNY,
            ((PENNY, "ACCEPTED"), (DANA, "ACCEPTED"), (MARCO, "ACCEPTED"), (JULIA, "ACCEPTED")),
        ),
        Event(
            "bluepeak-renewal-20260218@bluepeak.example",
            "Bluepeak renewal call",
            at(date(2026, 2, 18), 15, 0),
            45,
            ELENA,
            ((ELENA, "ACCEPTED"), (HANNAH, "ACCEPTED"), (PENNY, "ACCEPTED")),
        ),
        Event(
            "harborlight-workshop-20260305@harborlight.example",
            "Harborlight workshop",
            at(date(2026, 3, 5), 9, 0),
            180,
            INGRID,
            ((INGRID, "ACCEPTED"), (JONAS, "ACCEPTED"), (MEI, "ACCEPTED"), (PENNY, "ACCEPTED")),
        ),
        Event(
            "holiday-20251225@example.com",
            "Office closed",
            at(date(2025, 12, 25), 0, 0),
            0,
            PENNY,
            (),
            all_day=True,
        ),
    ]
