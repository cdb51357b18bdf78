"""Follow up: Penny's questions and first messages that got no answer."""

from __future__ import annotations

from datetime import date

from tools.demo.cast import (
    AISHA,
    BEN,
    ELENA,
    FELIX,
    JONAS,
    LUCAS,
    NOAH,
    OLIVIA,
    PENNY,
)
from tools.demo.clock import at
from tools.demo.content import PDF, hi, hi_penny
from tools.demo.scenario import Demo


def plant_follow_up(demo: Demo) -> None:
    # F1: first outreach with a question, no answer (9 business days).
    t = demo.thread("Intro: Example Co x Meridian")
    s = "Could you let me know a good time for a 30-minute call next week?"
    m = t.post(
        PENNY,
        [AISHA],
        at(date(2026, 3, 4), 10, 0),
        hi(
            AISHA,
            "Owen Mercer suggested I reach out. Example Co. works with several health "
            "networks on partner reporting, and I think there is a good fit with Meridian. "
            f"{s}",
        ),
    )
    demo.expect(
        "follow_up",
        AISHA,
        t.subject,
        "first outreach on Mar 4, no reply",
        message_id=m.msg_id,
        sentence=s,
    )

    # F2: Penny's question in an existing thread (6 business days).
    t = demo.thread("Renewal terms for 2026")
    t.post(
        ELENA,
        [PENNY],
        at(date(2026, 3, 5), 12, 30),
        hi_penny(
            "Attached are the renewal terms for 2026. The main change is a 12% discount on a "
            "two-year term."
        ),
        attachments=[("Bluepeak renewal 2026.pdf", "application/pdf", PDF)],
    )
    s = "Can you confirm whether the 12% discount also applies to the add-on seats?"
    m = t.reply(PENNY, at(date(2026, 3, 9), 9, 10), hi(ELENA, f"Thanks for the terms. {s}"))
    demo.expect(
        "follow_up",
        ELENA,
        t.subject,
        "asked on Mar 9, no reply",
        message_id=m.msg_id,
        sentence=s,
    )

    # F3: they answered the first question; Penny's second one is unanswered (4 business days).
    t = demo.thread("Case study draft")
    m = t.post(
        PENNY,
        [JONAS],
        at(date(2026, 3, 2), 10, 40),
        hi(
            JONAS,
            "We are writing the Harborlight case study. Could you share two short quotes from "
            "your team?",
        ),
    )
    m = t.reply(
        JONAS,
        at(date(2026, 3, 3), 9, 15),
        hi_penny(
            "Here are two quotes from our team: «We see every partner's numbers in one place» "
            "and «Reporting went from days to minutes.»"
        ),
        charset="iso-8859-1",
    )
    s = "Could you approve the final wording of the quotes in the attached draft?"
    m = t.reply(
        PENNY,
        at(date(2026, 3, 11), 14, 0),
        hi(JONAS, f"Thank you, these are great. {s}"),
        attachments=[("Harborlight case study draft.pdf", "application/pdf", PDF)],
    )
    demo.expect(
        "follow_up",
        JONAS,
        t.subject,
        "asked on Mar 11, no reply",
        message_id=m.msg_id,
        sentence=s,
    )

    # F4: older unanswered question, still inside 30 days (16 business days).
    t = demo.thread("Speaker slot at Orchard Summit")
    t.post(
        NOAH,
        [PENNY],
        at(date(2026, 2, 19), 12, 0),
        hi_penny(
            "We would love to have you speak about partner ecosystems at Orchard Summit in April."
        ),
    )
    s = "Can you confirm the speaker slot for April 9?"
    m = t.reply(
        PENNY,
        at(date(2026, 2, 23), 8, 45),
        hi(NOAH, f"Thanks for the invitation, I would be glad to speak. {s}"),
    )
    demo.expect(
        "follow_up",
        NOAH,
        t.subject,
        "asked on Feb 23, no reply",
        message_id=m.msg_id,
        sentence=s,
    )

    # Not: they replied.
    t = demo.thread("Pilot feedback")
    m = t.post(
        PENNY,
        [BEN],
        at(date(2026, 3, 6), 11, 0),
        hi(BEN, "Could you send me your team's feedback on the pilot?"),
    )
    t.reply(
        BEN,
        at(date(2026, 3, 10), 10, 30),
        hi_penny(
            "Here is our feedback on the pilot. Overall the team liked the dashboards, and "
            "the export was the weak spot."
        ),
    )
    demo.expect_not("follow_up", BEN, t.subject, "Ben replied on Mar 10")

    # Not: only one business day old.
    t = demo.thread("Updated org chart")
    t.post(
        PENNY,
        [OLIVIA],
        at(date(2026, 3, 16), 10, 30),
        hi(OLIVIA, "Can you share the updated org chart for the Betaworks team?"),
    )
    demo.expect_not(
        "follow_up", OLIVIA, t.subject, "sent yesterday: not due before 3 business days"
    )

    # Not: older than 30 days.
    t = demo.thread("Conference photos")
    t.post(
        PENNY,
        [LUCAS],
        at(date(2026, 1, 26), 9, 20),
        hi(
            LUCAS,
            "Thanks again for a great conference. Could you send me the photos from our panel?",
        ),
    )
    demo.expect_not("follow_up", LUCAS, t.subject, "asked 50 days ago: older than 30 days")
    demo.expect_not("reconnect", LUCAS, None, "a single message, no relationship")

    # Not: a colleague (follow-ups are for outside people).
    t = demo.thread("Q2 hiring plan numbers")
    t.post(
        PENNY,
        [FELIX],
        at(date(2026, 3, 9), 15, 0),
        hi(FELIX, "Can you send me the final headcount numbers for Q2?"),
    )
    demo.expect_not("follow_up", FELIX, t.subject, "Felix is a colleague (example.com)")
