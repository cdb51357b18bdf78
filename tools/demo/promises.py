"""Promises (Penny's dated ones) and waiting on (other people's, now late)."""

from __future__ import annotations

from datetime import date

from tools.demo.cast import (
    AMARA,
    CHLOE,
    DANA,
    GRACE,
    HANNAH,
    MEI,
    PENNY,
    RACHEL,
    SAM,
    TOM,
    TOMAS,
)
from tools.demo.clock import at
from tools.demo.content import PDF, hi, hi_penny
from tools.demo.scenario import Demo


def plant_promise(demo: Demo) -> None:
    # P1 overdue: "by Friday" said on Tue Mar 10 -> Fri Mar 13.
    t = demo.thread("Board deck review")
    t.post(
        GRACE,
        [PENNY],
        at(date(2026, 3, 9), 5, 30),
        hi_penny(
            "The board liked the partner section. Can you send me the revised deck with the "
            "new forecast?"
        ),
    )
    s = "I'll send you the revised deck by Friday."
    m = t.reply(PENNY, at(date(2026, 3, 10), 9, 5), hi(GRACE, f"Glad to hear it. {s}"))
    demo.expect(
        "promise",
        GRACE,
        t.subject,
        "promised the revised deck by Fri Mar 13: overdue",
        message_id=m.msg_id,
        sentence=s,
        due="2026-03-13",
    )

    # P2 due today: "tomorrow" said on Mon Mar 16.
    t = demo.thread("Integration estimate")
    t.post(
        TOMAS,
        [PENNY],
        at(date(2026, 3, 13), 11, 0),
        hi_penny(
            "We are planning next quarter. Could you send me a timeline for the integration work?"
        ),
    )
    s = "I will get back to you with the timeline tomorrow."
    m = t.reply(
        PENNY,
        at(date(2026, 3, 16), 16, 10),
        hi(TOMAS, f"Julia is checking the estimates with the team. {s}"),
    )
    demo.expect(
        "promise",
        TOMAS,
        t.subject,
        "promised the timeline for today",
        message_id=m.msg_id,
        sentence=s,
        due="2026-03-17",
    )

    # P3 due tomorrow: "by Wednesday" said on Mon Mar 16; Dana is in today's meeting.
    t = demo.thread("Pricing for the Acme rollout")
    t.post(
        DANA,
        [PENNY],
        at(date(2026, 3, 13), 9, 0),
        hi_penny("Could you send the pricing sheet for the rollout before our sync on Tuesday?"),
    )
    s = "I'll send you the pricing sheet by Wednesday."
    m = t.reply(
        PENNY,
        at(date(2026, 3, 16), 11, 0),
        hi(DANA, f"Our finance team is still checking the volume discounts. {s}"),
    )
    demo.expect(
        "promise",
        DANA,
        t.subject,
        "promised the pricing sheet by Wed Mar 18: due tomorrow",
        message_id=m.msg_id,
        sentence=s,
        due="2026-03-18",
    )
    demo.dana_promise = m.msg_id

    # Not: delivered later in the same thread.
    t = demo.thread("Quarterly review deck")
    t.post(
        HANNAH,
        [PENNY],
        at(date(2026, 3, 2), 9, 10),
        hi_penny("Could you send the quarterly review deck before our meeting?"),
    )
    m = t.reply(
        PENNY, at(date(2026, 3, 2), 13, 40), hi(HANNAH, "I'll send you the deck by Thursday.")
    )
    m = t.reply(
        PENNY,
        at(date(2026, 3, 5), 10, 5),
        hi(HANNAH, "Attached is the deck as promised."),
        to=[HANNAH],
        attachments=[("Quarterly review.pdf", "application/pdf", PDF)],
    )
    t.reply(HANNAH, at(date(2026, 3, 5), 11, 20), "Got it, thank you!")
    demo.expect_not(
        "promise", HANNAH, t.subject, "delivered: 'Attached is the deck as promised.' on Mar 5"
    )

    # Not: a report about the past, not a commitment.
    t = demo.thread("Deck for the board")
    t.post(
        MEI,
        [PENNY],
        at(date(2026, 3, 12), 12, 0),
        hi_penny("Thanks for the numbers. Did the deck go out to the board?"),
    )
    t.reply(
        PENNY,
        at(date(2026, 3, 13), 8, 50),
        hi(MEI, "Yes, I sent the deck last week. The board had no further questions."),
    )
    demo.expect_not("promise", MEI, t.subject, "'I sent the deck last week.' reports the past")

    # Not: due next week, not within 2 days.
    t = demo.thread("Hiring plan")
    t.post(
        AMARA,
        [PENNY],
        at(date(2026, 3, 16), 10, 0),
        hi_penny("Could you share the hiring plan for the partnerships team?"),
    )
    t.reply(
        PENNY,
        at(date(2026, 3, 16), 15, 0),
        hi(AMARA, "We are finalising the budget. I'll share the hiring plan next week."),
    )
    demo.expect_not("promise", AMARA, t.subject, "due next week: more than 2 days away")


def plant_waiting_on(demo: Demo) -> None:
    # W1: "by Friday" said Mon Mar 9 -> Fri Mar 13; nothing since.
    t = demo.thread("Master services agreement")
    s = "I'll send you the signed contract by Friday."
    m = t.post(
        SAM,
        [PENNY],
        at(date(2026, 3, 9), 9, 20),
        hi_penny(f"Legal has signed off on the final redlines. {s}"),
        headers=[("X-Mailer", "Microsoft Outlook 16.0")],
    )
    t.reply(PENNY, at(date(2026, 3, 9), 11, 0), hi(SAM, "Great news, thanks Sam."))
    demo.expect(
        "waiting_on",
        SAM,
        t.subject,
        "said he'd send the signed contract by Fri Mar 13",
        message_id=m.msg_id,
        sentence=s,
        due="2026-03-13",
    )

    # W2: "by Monday" said Wed Mar 4 -> Mon Mar 9; nothing since.
    t = demo.thread("Offsite venue")
    t.post(
        PENNY,
        [RACHEL],
        at(date(2026, 3, 3), 14, 0),
        hi(
            RACHEL,
            "Could you check whether the lake house is free on April 16 for a team of 20?",
        ),
    )
    s = "I'll confirm the venue by Monday."
    m = t.reply(
        RACHEL,
        at(date(2026, 3, 4), 10, 15),
        hi_penny(f"The lake house looks free on April 16. {s}"),
    )
    demo.expect(
        "waiting_on",
        RACHEL,
        t.subject,
        "said she'd confirm the venue by Mon Mar 9",
        message_id=m.msg_id,
        sentence=s,
        due="2026-03-09",
    )

    # Not: delivered.
    t = demo.thread("Usage report")
    t.post(
        TOM,
        [PENNY],
        at(date(2026, 3, 3), 16, 0),
        hi_penny("I'll send you the usage report by Thursday."),
    )
    t.reply(
        TOM,
        at(date(2026, 3, 5), 10, 45),
        hi_penny("Here is the usage report as promised."),
        to=[PENNY],
        attachments=[
            (
                "usage-feb-2026.csv",
                "text/csv",
                b"week,active_users\n2026-02-02,412\n2026-02-09,431\n",
            )
        ],
    )
    demo.expect_not("waiting_on", TOM, t.subject, "delivered on Mar 5")

    # Not: not yet due.
    t = demo.thread("Revised figures")
    t.post(
        CHLOE,
        [PENNY],
        at(date(2026, 3, 16), 11, 30),
        hi_penny("Thanks for the call. I'll send you the revised figures by Thursday."),
    )
    demo.expect_not("waiting_on", CHLOE, t.subject, "due Thu Mar 19: not yet")
