"""Automated mail: newsletters, notifications, auto-replies and a bounce, none of
which is a person to answer."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email import policy, utils
from email.message import EmailMessage

from tools.demo.cast import (
    CALENDAR,
    CHRIS,
    DIGEST,
    DOCS,
    EVENTS,
    EXPENSES,
    INGRID,
    MAILER_DAEMON,
    NW_UPDATES,
    PENNY,
    PRICING,
    SHOP,
    TRACKER,
    YUSUF,
)
from tools.demo.clock import at
from tools.demo.content import PDF, hi, hi_penny
from tools.demo.mail import Mail, text_to_html
from tools.demo.scenario import Demo


def plant_automated(demo: Demo) -> None:
    """Newsletters, notifications, an auto-reply and a bounce."""
    box = demo.box
    # The Operator's Digest: weekly, multipart; the last issue asks for a survey.
    day = date(2025, 11, 6)
    issue = 112
    while day <= date(2026, 3, 12):
        survey = day == date(2026, 3, 12)
        lines = [
            f"The Operator's Digest #{issue}",
            "",
            "1. Why partner programs stall in year two",
            "2. Five metrics every channel team should track",
            "3. Tools: a review of shared pipeline dashboards",
        ]
        if survey:
            lines += [
                "",
                "Can you spare 5 minutes for our survey? Your answers shape next year's issues.",
            ]
        lines += [
            "",
            "You are receiving this because you subscribed at operatorsweekly.example.",
            "Unsubscribe: https://operatorsweekly.example/unsubscribe?u=penny",
        ]
        text = "\n".join(lines)
        box.new(
            DIGEST,
            [PENNY],
            at(day, 6, 0),
            f"The Operator's Digest #{issue}",
            text,
            sign=False,
            html=text_to_html(text),
            headers=[
                ("List-Id", "The Operator's Digest <digest.operatorsweekly.example>"),
                (
                    "List-Unsubscribe",
                    "<https://operatorsweekly.example/unsubscribe?u=penny>, "
                    "<mailto:unsubscribe@operatorsweekly.example>",
                ),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ("Precedence", "bulk"),
            ],
        )
        issue += 1
        day += timedelta(days=7)
    demo.expect_not(
        "reply",
        DIGEST,
        "The Operator's Digest #130",
        "newsletter (List-Id) asking 'Can you spare 5 minutes for our survey?'",
    )
    demo.expect_not("reconnect", DIGEST, None, "newsletter sender")

    # Northwind Product Updates: HTML-only, every two weeks, stopped in January.
    day = date(2025, 11, 4)
    while day <= date(2026, 1, 13):
        html = (
            '<html><body><table width="600"><tr><td>'
            f"<h1>Northwind Product Updates</h1><p>{day:%B %Y}: faster exports, new audit log "
            "filters "
            "and a refreshed mobile app.</p>"
            '<p><a href="https://northwind.example/updates">Read the full notes</a></p>'
            '<p style="font-size:11px">You can <a '
            'href="https://northwind.example/unsubscribe">unsubscribe</a> at any time.</p>'
            "</td></tr></table></body></html>\n"
        )
        box.new(
            NW_UPDATES,
            [PENNY],
            at(day, 8, 0),
            f"What's new at Northwind ({day:%b %d})",
            "",
            sign=False,
            html=html,
            html_only=True,
            headers=[("List-Unsubscribe", "<https://northwind.example/unsubscribe>")],
        )
        day += timedelta(days=14)
    demo.expect_not(
        "reconnect",
        NW_UPDATES,
        None,
        "newsletter that stopped in January (no two-way exchange)",
    )

    # Pricing Notes: a personal-looking newsletter every two weeks.
    day = date(2025, 11, 10)
    n = 1
    while day <= date(2026, 3, 16):
        ask = (
            "Could you reply with your biggest pricing question?"
            if day == date(2026, 3, 2)
            else "Thanks for reading."
        )
        text = (
            "Hi there,\n\nThis week: how usage-based pricing changes partner deals, and a "
            f"teardown of three pricing pages.\n\n{ask}\n\nMara\n\n"
            "Unsubscribe: https://pricingnotes.example/unsubscribe"
        )
        box.new(
            PRICING,
            [PENNY],
            at(day, 7, 15),
            f"Pricing Notes #{n}: partner deals",
            text,
            sign=False,
            headers=[
                ("List-Id", "<pricingnotes.example>"),
                ("List-Unsubscribe", "<https://pricingnotes.example/unsubscribe>"),
            ],
        )
        day += timedelta(days=14)
        n += 1
    demo.expect_not(
        "reply",
        PRICING,
        "Pricing Notes #9: partner deals",
        "newsletter with a personal name asking 'Could you reply with your biggest pricing "
        "question?'",
    )

    # Chicago Tech Events: monthly, HTML-only, Precedence: bulk.
    for d in (
        date(2025, 11, 4),
        date(2025, 12, 2),
        date(2026, 1, 6),
        date(2026, 2, 3),
        date(2026, 3, 3),
    ):
        html = (
            f"<html><body><h2>Chicago tech events in {d:%B}</h2><ul><li>Partner Ops Meetup</li>"
            "<li>SaaS Founders Breakfast</li></ul><p><a "
            "href='https://chitech.example/u'>Unsubscribe</a></p></body></html>\n"
        )
        box.new(
            EVENTS,
            [PENNY],
            at(d, 9, 0),
            f"Chicago tech events in {d:%B}",
            "",
            sign=False,
            html=html,
            html_only=True,
            headers=[
                ("Precedence", "bulk"),
                ("List-Unsubscribe", "<https://chitech.example/u>"),
            ],
        )

    # Notifications from no-reply senders.
    for d, doc in (
        (date(2026, 1, 20), "Partner guide"),
        (date(2026, 2, 12), "Q1 plan"),
        (date(2026, 3, 13), "Q2 partner plan"),
    ):
        text = (
            f'Mia Lopez commented on "{doc}"\n\nMia Lopez: Can you take a look at section '
            "3?\n\n"
            "Open the document: https://docs.example/d/123\n\nYou received this email because "
            "you are a collaborator."
        )
        box.new(DOCS, [PENNY], at(d, 10, 30), f'Comment on "{doc}"', text, sign=False)
    demo.expect_not(
        "reply",
        DOCS,
        'Comment on "Q2 partner plan"',
        "notification from a no-reply sender with a question",
    )
    for d in (date(2025, 11, 28), date(2025, 12, 30), date(2026, 1, 30), date(2026, 2, 27)):
        box.new(
            EXPENSES,
            [PENNY],
            at(d, 17, 0),
            f"Your expense report for {d:%B} was approved",
            f"Your expense report for {d:%B %Y} was approved and will be paid with the next "
            "payroll.",
            sign=False,
        )
    for i, d in enumerate(
        (
            date(2025, 11, 12),
            date(2025, 12, 1),
            date(2026, 1, 14),
            date(2026, 2, 4),
            date(2026, 2, 25),
            date(2026, 3, 10),
        )
    ):
        key = f"PARTNER-{41 + i * 7}"
        box.new(
            TRACKER,
            [PENNY],
            at(d, 11, 11),
            f"[{key}] Ticket assigned to you",
            f"{key} was assigned to you by Julia Santos.\n\nPlease update the status when you "
            "start work.",
            sign=False,
            headers=[
                ("Auto-Submitted", "auto-generated"),
                ("Precedence", "bulk"),
                ("List-Id", "<partner-portal.tracker.example>"),
            ],
        )
    box.new(
        CALENDAR,
        [PENNY],
        at(date(2026, 3, 12), 9, 5),
        "Invitation: Zephyr analytics demo @ Tue Mar 17 3pm",
        "Kyle Brandt has invited you to Zephyr analytics demo.\n\nTue Mar 17, 2026 3pm - "
        "3:30pm (Central Time)",
        sign=False,
    )
    box.new(
        SHOP,
        [PENNY],
        at(date(2025, 12, 8), 13, 44),
        "Your order has shipped",
        "Your order #88123 has shipped and should arrive on Thursday.",
        sign=False,
        headers=[("Precedence", "bulk")],
    )

    # Auto-reply to Penny's note in a closed thread with Ingrid.
    t = demo.thread("Workshop notes")
    t.post(
        INGRID,
        [PENNY],
        at(date(2026, 3, 5), 15, 40),
        hi_penny("Here are the workshop notes from today. Thanks for coming over."),
    )
    m = t.reply(
        PENNY,
        at(date(2026, 3, 12), 9, 0),
        hi(INGRID, "Thanks Ingrid. I added my comments to the notes."),
    )
    auto = box.new(
        INGRID,
        [PENNY],
        at(date(2026, 3, 12), 9, 1),
        "Automatic reply: Re: Workshop notes",
        "I am out of the office until March 23 with limited access to email. Can you resend "
        "anything urgent to my colleague Per Lund?",
        sign=False,
        in_reply_to=m.msg_id,
        references=(*m.references, m.msg_id),
        headers=[("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes")],
    )
    demo.expect_not(
        "reply",
        INGRID,
        auto.subject,
        "auto-reply (Auto-Submitted: auto-replied) with a question",
    )

    # A bounce for an address with a typo.
    t = demo.thread("Slides from the holiday mixer")
    m = t.post(
        PENNY,
        [CHRIS],
        at(date(2025, 12, 15), 10, 0),
        hi(
            CHRIS,
            "It was great to meet you at the holiday mixer. Here are the slides I mentioned.",
        ),
        attachments=[("Partner ecosystems.pdf", "application/pdf", PDF)],
    )
    bounce(demo, m, at(date(2025, 12, 15), 10, 1))
    demo.expect_not(
        "reply",
        MAILER_DAEMON,
        "Undelivered Mail Returned to Sender",
        "bounce from MAILER-DAEMON ('Please check the recipient address')",
    )
    demo.expect_not("follow_up", CHRIS, t.subject, "older than 30 days, and it bounced")

    # Someone who wrote once, long ago.
    demo.thread("Great meeting you").post(
        YUSUF,
        [PENNY],
        at(date(2025, 11, 14), 16, 20),
        hi_penny(
            "Great meeting you at the SaaS summit. Kestrel is building tools for partner "
            "onboarding, and it was good to compare notes."
        ),
    )
    demo.expect_not("reconnect", YUSUF, None, "a single message in November: no rhythm")


def bounce(demo: Demo, original: Mail, when: datetime) -> None:
    msg = EmailMessage()
    msg["Return-Path"] = "<>"
    msg["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.com>"
    msg["To"] = "penny@example.com"
    msg["Subject"] = "Undelivered Mail Returned to Sender"
    msg["Date"] = utils.format_datetime(when)
    msg_id = f"<{when:%Y%m%d%H%M%S}.bounce.{len(demo.box.mails) + 1:04d}@mx.example.com>"
    msg["Message-ID"] = msg_id
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(
        "This is the mail system at host mx.example.com.\n\n"
        "Your message could not be delivered to one or more recipients.\n\n"
        "Please check the recipient address and try again.\n\n"
        f"<{original.to[0].email}>: Host or domain name not found. Name service error for "
        f"name={original.to[0].domain} type=MX: Host not found\n"
    )
    headers = (
        f"From: {original.sender.name} <{original.sender.email}>\n"
        f"To: {original.to[0].name} <{original.to[0].email}>\n"
        f"Subject: {original.subject}\nMessage-ID: {original.msg_id}\n"
        f"Date: {utils.format_datetime(original.date)}\n"
    )
    msg.add_attachment(headers, subtype="rfc822-headers", disposition="inline")
    msg.set_type("multipart/report")
    msg.set_param("report-type", "delivery-status")
    msg.set_boundary(f"=_demo_bounce_{len(demo.box.mails) + 1:04d}")
    mail = demo.box.new(MAILER_DAEMON, [PENNY], when, msg["Subject"], "", sign=False)
    mail.msg_id = msg_id
    mail.raw = msg.as_bytes(policy=policy.default)
