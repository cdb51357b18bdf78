"""Reply: requests addressed to Penny that are still unanswered, and the ones that
look like requests but need no reply."""

from __future__ import annotations

from datetime import date

from tools.demo.cast import (
    DEREK,
    HUGO,
    JULIA,
    KENJI,
    LARS,
    OWEN,
    PENNY,
    PENNY_GMAIL,
    PRIYA,
    RAVI,
    REX,
    SOFIA,
    VICTOR,
)
from tools.demo.clock import at
from tools.demo.content import DOCX, PDF, hi, hi_penny
from tools.demo.mail import text_to_html
from tools.demo.scenario import Demo


def plant_reply(demo: Demo) -> None:
    # R1: Priya asks for the signed SOW (5 days ago).
    t = demo.thread("Statement of work for Q2 pilot")
    m = t.post(
        PENNY,
        [PRIYA],
        at(date(2026, 3, 10), 11, 20),
        hi(
            PRIYA,
            "Attached is the statement of work for the Q2 pilot. It follows the scope we "
            "agreed on in the check-in.",
        ),
        attachments=[("SOW-Q2-pilot.pdf", "application/pdf", PDF)],
    )
    s = "Could you send me the signed SOW by Friday?"
    m = t.reply(
        PRIYA,
        at(date(2026, 3, 12), 9, 40),
        hi_penny(f"Thanks, the scope looks right to us. {s}"),
    )
    demo.expect(
        "reply",
        PRIYA,
        t.subject,
        "asked for the signed SOW 5 days ago",
        message_id=m.msg_id,
        sentence=s,
    )

    # R2: Lars asks for a review (7 days ago); multipart/alternative with a .docx.
    t = demo.thread("Draft partnership memo")
    s = "Can you review the draft before Friday?"
    text = hi_penny(
        f"Attached is the first draft of the partnership memo for the kickoff. {s}\n\nMost of "
        "the open points are in section 2."
    )
    m = t.post(
        LARS,
        [PENNY],
        at(date(2026, 3, 10), 8, 5),
        text,
        html=None,
        attachments=[("Partnership memo v1.docx", DOCX, b"PK\x03\x04demo-docx")],
    )
    m.html = text_to_html(m.body)
    demo.expect(
        "reply",
        LARS,
        t.subject,
        "asked for a review 7 days ago",
        message_id=m.msg_id,
        sentence=s,
    )

    # R3: Kenji answers Penny's question from Outlook, no References, and asks (8 days ago).
    t = demo.thread("Onboarding timeline")
    q = "Can you share the onboarding timeline for your team?"
    t.post(
        PENNY,
        [KENJI],
        at(date(2026, 2, 27), 10, 12),
        hi(KENJI, f"We are ready to start the Fabrikam workspace. {q}"),
    )
    s = "Could you send me the list of admin users for the new workspace?"
    m = t.reply(
        KENJI,
        at(date(2026, 3, 9), 19, 45),
        hi_penny(
            f"Our onboarding timeline is two weeks: accounts in week one, training in week two. {s}"
        ),
        no_refs=True,
        headers=[
            ("Thread-Topic", "Onboarding timeline"),
            ("X-Mailer", "Microsoft Outlook 16.0"),
        ],
    )
    demo.expect(
        "reply",
        KENJI,
        t.subject,
        "asked for the admin users 8 days ago (Outlook reply without References)",
        message_id=m.msg_id,
        sentence=s,
    )
    demo.expect_not(
        "follow_up",
        KENJI,
        t.subject,
        "Kenji answered Penny's question in an Outlook reply without References (threaded by "
        "subject)",
    )

    # R4: a colleague asks for an approval (6 days ago).
    t = demo.thread("Travel request for Boston")
    s = "Can you approve my travel request for the Boston trip?"
    m = t.post(
        JULIA,
        [PENNY],
        at(date(2026, 3, 11), 13, 25),
        hi_penny(f"The Boston customer visit is confirmed for April 2. {s}"),
    )
    demo.expect(
        "reply",
        JULIA,
        t.subject,
        "a colleague asked for an approval 6 days ago",
        message_id=m.msg_id,
        sentence=s,
    )

    # Not: answered from the Archive folder.
    t = demo.thread("Menu for the March 26 dinner")
    m = t.post(
        SOFIA,
        [PENNY],
        at(date(2026, 2, 24), 11, 2),
        hi_penny(
            "Can you tell me which menu you prefer for the March 26 dinner? Option A is the "
            "seasonal menu, option B the vegetarian one."
        ),
    )
    t.reply(
        PENNY,
        at(date(2026, 2, 25), 9, 14),
        hi(SOFIA, "We prefer option A, the seasonal menu."),
        folder="Archive",
    )
    demo.expect_not(
        "reply", SOFIA, t.subject, "Penny answered; her reply is only in the Archive folder"
    )

    # Not: answered from her other address.
    t = demo.thread("Accountant recommendation")
    m = t.post(
        VICTOR,
        [PENNY_GMAIL],
        at(date(2026, 3, 8), 18, 40),
        "Hey Penny,\n\nCan you recommend a good accountant in Chicago? Ours retired.",
        sign=False,
    )
    t.reply(
        PENNY_GMAIL,
        at(date(2026, 3, 9), 7, 55),
        "Hi Victor,\n\nAda Brennan at Lakeview Tax has done ours for years. She is great with "
        "small businesses.",
    )
    demo.expect_not("reply", VICTOR, t.subject, "Penny answered from p.example@gmail.com")

    # Not: answered in an Outlook-style reply with no References.
    t = demo.thread("Vendor setup")
    m = t.post(
        RAVI,
        [PENNY],
        at(date(2026, 2, 20), 9, 30),
        hi_penny(
            "We are setting you up as a vendor. Could you send me the W-9 form for Example Co.?"
        ),
        headers=[("X-Mailer", "Microsoft Outlook 16.0")],
    )
    t.reply(
        PENNY,
        at(date(2026, 2, 20), 13, 5),
        hi(RAVI, "Attached is our W-9 form."),
        no_refs=True,
        style="outlook",
        attachments=[("W-9 Example Co.pdf", "application/pdf", PDF)],
    )
    demo.expect_not(
        "reply", RAVI, t.subject, "answered by Penny in an Outlook reply without References"
    )

    # Not: only one business day old.
    t = demo.thread("Slides from Thursday's talk")
    m = t.post(
        HUGO,
        [PENNY],
        at(date(2026, 3, 16), 15, 20),
        hi_penny("Great talk at the meetup. Can you send me the slides from Thursday's talk?"),
    )
    demo.expect_not(
        "reply", HUGO, t.subject, "asked yesterday afternoon: not due before 2 business days"
    )

    # Not: a person the test mutes.
    t = demo.thread("Quick question about your pipeline")
    m = t.post(
        REX,
        [PENNY],
        at(date(2026, 3, 3), 8, 2),
        hi_penny(
            "I help partnership teams double their pipeline. Could you hop on a quick call "
            "this week?"
        ),
    )
    t.reply(
        REX,
        at(date(2026, 3, 11), 8, 4),
        hi_penny("Following up on my note. Can you spare 15 minutes on Thursday?"),
        to=[PENNY],
    )
    demo.mute.append(REX.email)
    demo.expect_not("*", REX, None, "muted by the test before it checks the digest")

    # Not: Penny is only in Cc.
    t = demo.thread("Board doc updates")
    t.post(
        DEREK,
        [OWEN, JULIA],
        at(date(2026, 3, 12), 16, 10),
        "Hi all,\n\nCan you all add your updates to the board doc before Wednesday?",
        cc=[PENNY],
    )
    demo.expect_not("reply", DEREK, t.subject, "Penny is only in Cc")
