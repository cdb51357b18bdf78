"""Generate the bundled demo: a maildir++ mailbox, an ICS calendar and the plan.

Run ``python -m followup.demo.generate`` to rewrite ``followup/demo/data`` (or pass
``--out DIR``). The output is byte-for-byte deterministic: a fixed seed, fixed
Message-IDs and MIME boundaries, no clock.

The demo user is Penny Example; the clock is ``DEMO_NOW`` (Tue 2026-03-17 07:30,
America/Chicago). Besides months of ordinary two-way mail, newsletters and
notifications, the mailbox plants one or more situations for every nudge kind, and
situations that must *not* produce a nudge. ``plan.json`` lists both; the tests check
the app's digest against it.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime, timedelta
from email import policy, utils
from email.message import EmailMessage
from pathlib import Path
from random import Random
from typing import Any

from followup.demo._build import (
    CHICAGO,
    Event,
    Mail,
    MailBox,
    Person,
    Thread,
    at,
    next_work_slot,
    render_ics,
    text_to_html,
    write_maildir,
)
from followup.demo.cast import (
    AISHA,
    AMARA,
    BEN,
    CALENDAR,
    CHLOE,
    CHRIS,
    DANA,
    DEREK,
    DIEGO,
    DIGEST,
    DOCS,
    ELENA,
    EVENTS,
    EXPENSES,
    FELIX,
    GRACE,
    HANNAH,
    HELEN,
    HUGO,
    INGRID,
    IRENE,
    JONAS,
    JULIA,
    KENJI,
    KYLE,
    LARS,
    LUCAS,
    MAILER_DAEMON,
    MARCO,
    MAYA,
    ME,
    ME_EMAILS,
    MEI,
    NADIA,
    NOAH,
    NW_UPDATES,
    OLIVIA,
    OWEN,
    PENNY,
    PENNY_GMAIL,
    PRICING,
    PRIYA,
    RACHEL,
    RAVI,
    REX,
    SAM,
    SHOP,
    SOFIA,
    TOM,
    TOMAS,
    TRACKER,
    VICTOR,
    YUSUF,
)

SEED = 20260317
NOW = datetime(2026, 3, 17, 7, 30, tzinfo=CHICAGO)
START = date(2025, 11, 3)
ARCHIVE_BEFORE = datetime(2026, 1, 15, tzinfo=CHICAGO)
UNREAD_SINCE = datetime(2026, 3, 14, tzinfo=CHICAGO)
DEFAULT_OUT = Path(__file__).resolve().parent / "data"

# (person, last day a chatter thread may start)
CHATTER: list[tuple[Person, date]] = [
    (DANA, date(2026, 3, 4)),
    (MARCO, date(2026, 3, 4)),
    (PRIYA, date(2026, 3, 4)),
    (TOMAS, date(2026, 3, 4)),
    (LARS, date(2026, 3, 4)),
    (GRACE, date(2026, 3, 4)),
    (NADIA, date(2026, 3, 4)),
    (ELENA, date(2026, 3, 4)),
    (HANNAH, date(2026, 3, 4)),
    (SAM, date(2026, 3, 4)),
    (KENJI, date(2026, 2, 18)),
    (INGRID, date(2026, 3, 2)),
    (MEI, date(2026, 3, 4)),
    (OWEN, date(2026, 3, 4)),
    (JULIA, date(2026, 3, 4)),
]

# --- chatter content: every request in it gets answered, no dated promises ---------------

TOPICS = [
    "Training schedule",
    "Support escalation",
    "API access",
    "Holiday coverage",
    "Reference call",
    "Roadmap feedback",
    "Billing contact",
    "Security questionnaire",
    "Data export",
    "Pilot metrics",
    "Conference booth",
    "Webinar planning",
    "Integration testing",
    "SSO setup",
    "Usage review",
    "Invoice question",
    "Workshop dates",
    "Account team changes",
    "Renewal paperwork",
    "Dashboard access",
    "Launch checklist",
    "Regional rollout",
    "Customer story",
    "Partner portal",
    "Weekly report",
    "Logo files",
    "Travel dates",
    "Seat count",
    "Data retention",
    "Survey results",
    "Quarterly numbers",
    "Office visit",
    "Product feedback",
    "Support hours",
    "Shipping address",
    "Purchase order",
    "New hire intro",
    "Status update",
    "Quick question",
    "Catch-up",
    "Call on Thursday",
    "Notes from our call",
    "Contract dates",
    "Admin console",
    "Sandbox environment",
]

THEIR_QUESTIONS = [
    (
        "Can you confirm that our call on Thursday is still at 2pm?",
        "Yes, Thursday at 2pm still works on my side.",
    ),
    (
        "Can you confirm the billing address for the next invoice?",
        "The billing address is still 200 Lake Street, Suite 400, Chicago.",
    ),
    (
        "Could you tell me who should join the training session from your side?",
        "Owen and Julia will join the training session from our side.",
    ),
    (
        "Can you check whether the new dashboard shows last month's data?",
        "I checked, and the dashboard shows last month's data correctly.",
    ),
    ("Do you know if the contract renewal date is in April or May?", "The renewal date is May 1."),
    (
        "Could you tell me which region you want to start with?",
        "We want to start with the Midwest region.",
    ),
    (
        "Can you confirm that the purchase order number is PO-4471?",
        "Yes, PO-4471 is the right purchase order number.",
    ),
    (
        "Is the quarterly review still planned for the last week of the month?",
        "Yes, the quarterly review is still planned for the last week of the month.",
    ),
    (
        "Could you tell me which of the two logo files you prefer?",
        "The dark version of the logo works best for us.",
    ),
    (
        "Can you confirm the number of seats you need for next quarter?",
        "We need 45 seats for next quarter.",
    ),
    (
        "Did the updated security questionnaire reach your team?",
        "Yes, our security team received it last week.",
    ),
    (
        "Could you tell me the best address for shipping the event materials?",
        "The event materials can go to our Chicago office at 200 Lake Street.",
    ),
]

MY_QUESTIONS = [
    (
        "Could you send me the latest usage numbers?",
        "Here are the latest usage numbers. Active users grew about 8% over the month.",
    ),
    (
        "Could you send me the notes from our last call?",
        "Here are the notes from our last call. The main open point is the data retention policy.",
    ),
    (
        "Can you share your team's availability for a workshop in the next few weeks?",
        "Our team is available on most Tuesday and Wednesday afternoons.",
    ),
    (
        "Could you send me the updated contact list for your support team?",
        "Here is the updated contact list. Bea now covers the weekend shift.",
    ),
    (
        "Can you tell me which features your team uses most?",
        "The team mostly uses the reporting views and the weekly export.",
    ),
    (
        "Could you send me a copy of the signed order form?",
        "Here is a copy of the signed order form.",
    ),
    (
        "Can you share the agenda for the next review?",
        "The agenda has three items: usage, roadmap and renewal timing.",
    ),
    (
        "Could you let me know how the rollout went last week?",
        "The rollout went smoothly. Two offices are live and the third starts in the spring.",
    ),
]

THEIR_NEWS = [
    "the numbers for last month came in slightly above plan.",
    "our team finished the data migration on schedule.",
    "we moved the launch review to the following week.",
    "the new support portal went live this morning.",
    "our finance team approved the budget for the next phase.",
    "the integration tests all passed in staging.",
    "we hired a second account manager for your region.",
    "the board approved the expansion plan.",
    "the Denver office starts using the tool in the spring.",
    "we closed the last open support ticket yesterday.",
]
MY_NEWS = [
    "our team is moving the weekly report to Mondays.",
    "we published the updated partner guide on the portal.",
    "Owen Mercer now leads the onboarding work on our side.",
    "our office is closed on the Friday before the holiday.",
    "the revised pricing page is live.",
    "we finished the review of the data processing agreement.",
]
MY_ACKS = ["Good to hear.", "That is great news.", "Thanks for keeping me posted.", "Nice work."]
MY_THANKS = ["Thanks, that helps.", "Perfect, thank you.", "Great, thanks for sending this over."]
THEIR_THANKS = ["Perfect, thanks.", "Great, thank you.", "Thanks Penny, noted.", "Sounds good."]
SLOTS = [("Wednesday", "10am"), ("Thursday", "3pm"), ("Tuesday", "11am"), ("Friday", "9am")]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def hi(p: Person, body: str) -> str:
    return f"Hi {p.first},\n\n{body}"


def hi_penny(body: str) -> str:
    return f"Hi Penny,\n\n{body}"


class Demo:
    """Builds the whole demo; ``plan`` collects what the app should and should not say."""

    def __init__(self) -> None:
        self.rng = Random(SEED)
        self.box = MailBox()
        self.events: list[Event] = []
        self.expected: list[dict[str, Any]] = []
        self.not_expected: list[dict[str, Any]] = []
        self.mute: list[str] = []
        self.subjects: set[str] = set()
        self.threads = 0
        self.dana_promise = ""  # Message-ID of the promise mentioned before today's meeting

    def thread(self, subject: str) -> Thread:
        if subject in self.subjects:
            raise ValueError(f"duplicate subject {subject!r}")
        self.subjects.add(subject)
        self.threads += 1
        return Thread(self.box, subject)

    def expect(self, kind: str, who: Person, subject: str, why: str, **extra: Any) -> None:
        self.expected.append(
            {"kind": kind, "person": who.email.lower(), "subject": subject, "why": why, **extra}
        )

    def expect_not(
        self, kind: str, who: Person, subject: str | None, why: str, **extra: Any
    ) -> None:
        self.not_expected.append(
            {"kind": kind, "person": who.email.lower(), "subject": subject, "why": why, **extra}
        )

    # --- background ---------------------------------------------------------------------

    def chatter_thread(self, them: Person, day: date, subject: str) -> None:
        """One closed exchange: every question in it is answered, nothing promised."""
        rng = self.rng
        t = self.thread(subject)
        kind = rng.choice(
            ["they_ask", "they_ask", "i_ask", "i_ask", "their_news", "my_news", "call"]
        )
        if kind in ("they_ask", "their_news", "call"):
            first = at(day, rng.randint(8, 15), rng.choice([5, 12, 20, 34, 41, 48, 55]), them.zone)
        else:
            first = at(day, rng.randint(8, 16), rng.choice([2, 15, 27, 38, 44, 52]))
        # Kenji's Outlook drops In-Reply-To/References: threads by subject only.
        nr = them == KENJI
        topic = subject if subject[1:2].isupper() else subject[0].lower() + subject[1:]
        if kind == "they_ask":
            q, a = rng.choice(THEIR_QUESTIONS)
            t.post(them, [PENNY], first, hi_penny(f"Quick one on the {topic}. {q}"))
            m = t.reply(PENNY, next_work_slot(first, CHICAGO, rng), hi(them, a))
            if rng.random() < 0.5:
                t.reply(
                    them,
                    next_work_slot(m.date, them.zone, rng),
                    rng.choice(THEIR_THANKS),
                    no_refs=nr,
                )
        elif kind == "i_ask":
            q, a = rng.choice(MY_QUESTIONS)
            t.post(PENNY, [them], first, hi(them, f"On the {topic}: {q}"))
            m = t.reply(them, next_work_slot(first, them.zone, rng), hi_penny(a), no_refs=nr)
            if rng.random() < 0.4:
                t.reply(
                    PENNY, next_work_slot(m.date, CHICAGO, rng), hi(them, rng.choice(MY_THANKS))
                )
        elif kind == "their_news":
            news = rng.choice(THEIR_NEWS)
            t.post(them, [PENNY], first, hi_penny(f"A short update on the {topic}: {news}"))
            t.reply(
                PENNY,
                next_work_slot(first, CHICAGO, rng),
                hi(them, f"{rng.choice(MY_ACKS)} Thanks for the update."),
            )
        elif kind == "my_news":
            news = rng.choice(MY_NEWS)
            t.post(PENNY, [them], first, hi(them, f"A short note on the {topic}: {news}"))
            t.reply(
                them, next_work_slot(first, them.zone, rng), rng.choice(THEIR_THANKS), no_refs=nr
            )
        else:
            d, h = rng.choice(SLOTS)
            t.post(
                them,
                [PENNY],
                first,
                hi_penny(f"Are you free for a quick call about the {topic} on {d} at {h}?"),
            )
            m = t.reply(
                PENNY,
                next_work_slot(first, CHICAGO, rng),
                hi(them, f"{d} at {h} works for me. Talk then."),
            )
            t.reply(
                them, next_work_slot(m.date, them.zone, rng), "Great, see you then.", no_refs=nr
            )

    def chatter(self) -> None:
        rng = self.rng
        holiday = (date(2025, 12, 20), date(2026, 1, 4))
        for them, last in CHATTER:
            day = START + timedelta(days=rng.randint(0, 9))
            starts: list[date] = []
            while day <= last:
                if holiday[0] <= day <= holiday[1]:
                    day = holiday[1] + timedelta(days=rng.randint(1, 4))
                    continue
                while day.weekday() >= 5:
                    day += timedelta(days=1)
                if day <= last:
                    starts.append(day)
                day += timedelta(days=rng.randint(14, 21))
            # Keep every regular correspondent in touch within the last few weeks, so
            # only the planted reconnect people have gone quiet.
            if starts[-1] < last - timedelta(days=10):
                extra = last - timedelta(days=rng.randint(0, 5))
                while extra.weekday() >= 5:
                    extra -= timedelta(days=1)
                starts.append(extra)
            pool = rng.sample(TOPICS, len(starts))
            for day, topic in zip(starts, pool, strict=True):
                subject = topic
                if subject in self.subjects:
                    subject = f"{them.org.split()[0]} {topic[0].lower()}{topic[1:]}"
                if subject in self.subjects:
                    subject = f"{topic} ({day:%b %d})"
                self.chatter_thread(them, day, subject)

    def reconnect_people(self) -> None:
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
            self.chatter_thread(HELEN, d, s)
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
            self.chatter_thread(DIEGO, d, s)
        for who, subject, gap in ((HELEN, "Board prep", 14), (DIEGO, "Q1 planning notes", 11)):
            last = max(m.date for m in self.box.mails if who in (m.sender, *m.to))
            self.expect(
                "reconnect",
                who,
                subject,
                f"two-way exchange about every {gap} days since November; silent since "
                f"{last.astimezone(CHICAGO):%b %d}",
                last_contact=last.astimezone(CHICAGO).isoformat(),
                usual_gap_days=gap,
            )

    def internal(self) -> None:
        """A few colleague threads besides Owen and Julia's regular ones (all closed)."""
        t = self.thread("Board deck numbers")
        m = t.post(
            FELIX,
            [PENNY],
            at(date(2025, 12, 3), 10, 12),
            hi_penny("Can you confirm the partner revenue figure for slide 4?"),
        )
        t.reply(
            PENNY,
            m.date + timedelta(hours=2, minutes=7),
            hi(FELIX, "The partner revenue figure for slide 4 is $1.24M."),
        )
        t = self.thread("Launch blog post")
        m = t.post(
            MAYA,
            [PENNY],
            at(date(2026, 2, 23), 14, 3),
            hi_penny("Could you review the partner quotes in the launch blog post?"),
        )
        m = t.reply(
            PENNY,
            m.date + timedelta(hours=20),
            hi(MAYA, "I reviewed the quotes. Both are approved."),
        )
        t.reply(MAYA, m.date + timedelta(hours=1, minutes=15), "Thanks!")
        t = self.thread("Offsite agenda")
        m = t.post(
            DEREK,
            [PENNY, OWEN],
            at(date(2026, 2, 9), 9, 31),
            hi_penny("The draft agenda for the April offsite is in the shared folder."),
        )
        t.reply(
            PENNY,
            m.date + timedelta(hours=3),
            hi(DEREK, "Looks good to me."),
            to=[DEREK],
            cc=[OWEN],
        )

    # --- planted situations -------------------------------------------------------------

    def plant_reply(self) -> None:
        # R1: Priya asks for the signed SOW (5 days ago).
        t = self.thread("Statement of work for Q2 pilot")
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
        self.expect(
            "reply",
            PRIYA,
            t.subject,
            "asked for the signed SOW 5 days ago",
            message_id=m.msg_id,
            sentence=s,
        )

        # R2: Lars asks for a review (7 days ago); multipart/alternative with a .docx.
        t = self.thread("Draft partnership memo")
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
        self.expect(
            "reply",
            LARS,
            t.subject,
            "asked for a review 7 days ago",
            message_id=m.msg_id,
            sentence=s,
        )

        # R3: Kenji answers Penny's question from Outlook, no References, and asks (8 days ago).
        t = self.thread("Onboarding timeline")
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
                "Our onboarding timeline is two weeks: accounts in week one, training in week "
                f"two. {s}"
            ),
            no_refs=True,
            headers=[
                ("Thread-Topic", "Onboarding timeline"),
                ("X-Mailer", "Microsoft Outlook 16.0"),
            ],
        )
        self.expect(
            "reply",
            KENJI,
            t.subject,
            "asked for the admin users 8 days ago (Outlook reply without References)",
            message_id=m.msg_id,
            sentence=s,
        )
        self.expect_not(
            "follow_up",
            KENJI,
            t.subject,
            "Kenji answered Penny's question in an Outlook reply without References (threaded by "
            "subject)",
        )

        # R4: a colleague asks for an approval (6 days ago).
        t = self.thread("Travel request for Boston")
        s = "Can you approve my travel request for the Boston trip?"
        m = t.post(
            JULIA,
            [PENNY],
            at(date(2026, 3, 11), 13, 25),
            hi_penny(f"The Boston customer visit is confirmed for April 2. {s}"),
        )
        self.expect(
            "reply",
            JULIA,
            t.subject,
            "a colleague asked for an approval 6 days ago",
            message_id=m.msg_id,
            sentence=s,
        )

        # Not: answered from the Archive folder.
        t = self.thread("Menu for the March 26 dinner")
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
        self.expect_not(
            "reply", SOFIA, t.subject, "Penny answered; her reply is only in the Archive folder"
        )

        # Not: answered from her other address.
        t = self.thread("Accountant recommendation")
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
        self.expect_not("reply", VICTOR, t.subject, "Penny answered from p.example@gmail.com")

        # Not: answered in an Outlook-style reply with no References.
        t = self.thread("Vendor setup")
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
        self.expect_not(
            "reply", RAVI, t.subject, "answered by Penny in an Outlook reply without References"
        )

        # Not: only one business day old.
        t = self.thread("Slides from Thursday's talk")
        m = t.post(
            HUGO,
            [PENNY],
            at(date(2026, 3, 16), 15, 20),
            hi_penny("Great talk at the meetup. Can you send me the slides from Thursday's talk?"),
        )
        self.expect_not(
            "reply", HUGO, t.subject, "asked yesterday afternoon: not due before 2 business days"
        )

        # Not: a person the test mutes.
        t = self.thread("Quick question about your pipeline")
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
        self.mute.append(REX.email)
        self.expect_not("*", REX, None, "muted by the test before it checks the digest")

        # Not: Penny is only in Cc.
        t = self.thread("Board doc updates")
        t.post(
            DEREK,
            [OWEN, JULIA],
            at(date(2026, 3, 12), 16, 10),
            "Hi all,\n\nCan you all add your updates to the board doc before Wednesday?",
            cc=[PENNY],
        )
        self.expect_not("reply", DEREK, t.subject, "Penny is only in Cc")

    def plant_follow_up(self) -> None:
        # F1: first outreach with a question, no answer (9 business days).
        t = self.thread("Intro: Example Co x Meridian")
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
        self.expect(
            "follow_up",
            AISHA,
            t.subject,
            "first outreach on Mar 4, no reply",
            message_id=m.msg_id,
            sentence=s,
        )

        # F2: Penny's question in an existing thread (6 business days).
        t = self.thread("Renewal terms for 2026")
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
        self.expect(
            "follow_up",
            ELENA,
            t.subject,
            "asked on Mar 9, no reply",
            message_id=m.msg_id,
            sentence=s,
        )

        # F3: they answered the first question; Penny's second one is unanswered (4 business days).
        t = self.thread("Case study draft")
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
        self.expect(
            "follow_up",
            JONAS,
            t.subject,
            "asked on Mar 11, no reply",
            message_id=m.msg_id,
            sentence=s,
        )

        # F4: older unanswered question, still inside 30 days (16 business days).
        t = self.thread("Speaker slot at Orchard Summit")
        t.post(
            NOAH,
            [PENNY],
            at(date(2026, 2, 19), 12, 0),
            hi_penny(
                "We would love to have you speak about partner ecosystems at Orchard Summit in "
                "April."
            ),
        )
        s = "Can you confirm the speaker slot for April 9?"
        m = t.reply(
            PENNY,
            at(date(2026, 2, 23), 8, 45),
            hi(NOAH, f"Thanks for the invitation, I would be glad to speak. {s}"),
        )
        self.expect(
            "follow_up",
            NOAH,
            t.subject,
            "asked on Feb 23, no reply",
            message_id=m.msg_id,
            sentence=s,
        )

        # Not: they replied.
        t = self.thread("Pilot feedback")
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
        self.expect_not("follow_up", BEN, t.subject, "Ben replied on Mar 10")

        # Not: only one business day old.
        t = self.thread("Updated org chart")
        t.post(
            PENNY,
            [OLIVIA],
            at(date(2026, 3, 16), 10, 30),
            hi(OLIVIA, "Can you share the updated org chart for the Betaworks team?"),
        )
        self.expect_not(
            "follow_up", OLIVIA, t.subject, "sent yesterday: not due before 3 business days"
        )

        # Not: older than 30 days.
        t = self.thread("Conference photos")
        t.post(
            PENNY,
            [LUCAS],
            at(date(2026, 1, 26), 9, 20),
            hi(
                LUCAS,
                "Thanks again for a great conference. Could you send me the photos from our panel?",
            ),
        )
        self.expect_not("follow_up", LUCAS, t.subject, "asked 50 days ago: older than 30 days")
        self.expect_not("reconnect", LUCAS, None, "a single message, no relationship")

        # Not: a colleague (follow-ups are for outside people).
        t = self.thread("Q2 hiring plan numbers")
        t.post(
            PENNY,
            [FELIX],
            at(date(2026, 3, 9), 15, 0),
            hi(FELIX, "Can you send me the final headcount numbers for Q2?"),
        )
        self.expect_not("follow_up", FELIX, t.subject, "Felix is a colleague (example.com)")

    def plant_promise(self) -> None:
        # P1 overdue: "by Friday" said on Tue Mar 10 -> Fri Mar 13.
        t = self.thread("Board deck review")
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
        self.expect(
            "promise",
            GRACE,
            t.subject,
            "promised the revised deck by Fri Mar 13: overdue",
            message_id=m.msg_id,
            sentence=s,
            due="2026-03-13",
        )

        # P2 due today: "tomorrow" said on Mon Mar 16.
        t = self.thread("Integration estimate")
        t.post(
            TOMAS,
            [PENNY],
            at(date(2026, 3, 13), 11, 0),
            hi_penny(
                "We are planning next quarter. Could you send me a timeline for the integration "
                "work?"
            ),
        )
        s = "I will get back to you with the timeline tomorrow."
        m = t.reply(
            PENNY,
            at(date(2026, 3, 16), 16, 10),
            hi(TOMAS, f"Julia is checking the estimates with the team. {s}"),
        )
        self.expect(
            "promise",
            TOMAS,
            t.subject,
            "promised the timeline for today",
            message_id=m.msg_id,
            sentence=s,
            due="2026-03-17",
        )

        # P3 due tomorrow: "by Wednesday" said on Mon Mar 16; Dana is in today's meeting.
        t = self.thread("Pricing for the Acme rollout")
        t.post(
            DANA,
            [PENNY],
            at(date(2026, 3, 13), 9, 0),
            hi_penny(
                "Could you send the pricing sheet for the rollout before our sync on Tuesday?"
            ),
        )
        s = "I'll send you the pricing sheet by Wednesday."
        m = t.reply(
            PENNY,
            at(date(2026, 3, 16), 11, 0),
            hi(DANA, f"Our finance team is still checking the volume discounts. {s}"),
        )
        self.expect(
            "promise",
            DANA,
            t.subject,
            "promised the pricing sheet by Wed Mar 18: due tomorrow",
            message_id=m.msg_id,
            sentence=s,
            due="2026-03-18",
        )
        self.dana_promise = m.msg_id

        # Not: delivered later in the same thread.
        t = self.thread("Quarterly review deck")
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
        self.expect_not(
            "promise", HANNAH, t.subject, "delivered: 'Attached is the deck as promised.' on Mar 5"
        )

        # Not: a report about the past, not a commitment.
        t = self.thread("Deck for the board")
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
        self.expect_not("promise", MEI, t.subject, "'I sent the deck last week.' reports the past")

        # Not: due next week, not within 2 days.
        t = self.thread("Hiring plan")
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
        self.expect_not("promise", AMARA, t.subject, "due next week: more than 2 days away")

    def plant_waiting_on(self) -> None:
        # W1: "by Friday" said Mon Mar 9 -> Fri Mar 13; nothing since.
        t = self.thread("Master services agreement")
        s = "I'll send you the signed contract by Friday."
        m = t.post(
            SAM,
            [PENNY],
            at(date(2026, 3, 9), 9, 20),
            hi_penny(f"Legal has signed off on the final redlines. {s}"),
            headers=[("X-Mailer", "Microsoft Outlook 16.0")],
        )
        t.reply(PENNY, at(date(2026, 3, 9), 11, 0), hi(SAM, "Great news, thanks Sam."))
        self.expect(
            "waiting_on",
            SAM,
            t.subject,
            "said he'd send the signed contract by Fri Mar 13",
            message_id=m.msg_id,
            sentence=s,
            due="2026-03-13",
        )

        # W2: "by Monday" said Wed Mar 4 -> Mon Mar 9; nothing since.
        t = self.thread("Offsite venue")
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
        self.expect(
            "waiting_on",
            RACHEL,
            t.subject,
            "said she'd confirm the venue by Mon Mar 9",
            message_id=m.msg_id,
            sentence=s,
            due="2026-03-09",
        )

        # Not: delivered.
        t = self.thread("Usage report")
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
        self.expect_not("waiting_on", TOM, t.subject, "delivered on Mar 5")

        # Not: not yet due.
        t = self.thread("Revised figures")
        t.post(
            CHLOE,
            [PENNY],
            at(date(2026, 3, 16), 11, 30),
            hi_penny("Thanks for the call. I'll send you the revised figures by Thursday."),
        )
        self.expect_not("waiting_on", CHLOE, t.subject, "due Thu Mar 19: not yet")

    def plant_meetings(self) -> None:
        # Kickoff yesterday with outside people, no mail since -> after_meeting.
        t = self.thread("Partnership kickoff agenda")
        t.post(
            NADIA,
            [PENNY],
            at(date(2026, 3, 11), 15, 0),
            hi_penny(
                "Here is the agenda for Monday's kickoff: goals, joint customers, next steps."
            ),
        )
        t.reply(
            PENNY, at(date(2026, 3, 11), 16, 30), hi(NADIA, "Thanks Nadia, the agenda looks good.")
        )
        kickoff = Event(
            "kickoff-20260316@northwind.example",
            "Northwind partnership kickoff",
            at(date(2026, 3, 16), 14, 0),
            60,
            NADIA,
            ((NADIA, "ACCEPTED"), (IRENE, "ACCEPTED"), (PENNY, "ACCEPTED"), (OWEN, "ACCEPTED")),
            location="Video call",
        )
        self.events.append(kickoff)
        self.expect(
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
        self.events.append(review)
        t = self.thread("Security review notes")
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
        self.expect_not(
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
        self.events.append(cancelled)
        self.expect_not(
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
        self.events.append(sync)
        self.expect(
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
                "message_id": self.dana_promise,
            },
        )

        # Today 15:00, declined by Penny -> no before_meeting.
        demo = Event(
            "zephyr-demo-20260317@zephyr-analytics.example",
            "Zephyr analytics demo",
            at(date(2026, 3, 17), 15, 0),
            30,
            KYLE,
            ((KYLE, "ACCEPTED"), (PENNY, "DECLINED")),
        )
        self.events.append(demo)
        self.expect_not("before_meeting", KYLE, demo.summary, "Penny declined", event_uid=demo.uid)

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
        self.events += [sync_weekly, one_on_one]
        self.expect_not(
            "after_meeting",
            DEREK,
            sync_weekly.summary,
            "internal only (recurring)",
            event_uid=sync_weekly.uid,
        )
        self.expect_not(
            "before_meeting",
            OWEN,
            one_on_one.summary,
            "internal only (tomorrow)",
            event_uid=one_on_one.uid,
        )

        # Earlier meetings: history for relationship strength, all outside the 3-day window.
        self.events += [
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

    def plant_automated(self) -> None:
        """Newsletters, notifications, an auto-reply and a bounce."""
        box = self.box
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
                    "Can you spare 5 minutes for our survey? Your answers shape next year's "
                    "issues.",
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
        self.expect_not(
            "reply",
            DIGEST,
            "The Operator's Digest #130",
            "newsletter (List-Id) asking 'Can you spare 5 minutes for our survey?'",
        )
        self.expect_not("reconnect", DIGEST, None, "newsletter sender")

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
        self.expect_not(
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
        self.expect_not(
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
        self.expect_not(
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
        t = self.thread("Workshop notes")
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
        self.expect_not(
            "reply",
            INGRID,
            auto.subject,
            "auto-reply (Auto-Submitted: auto-replied) with a question",
        )

        # A bounce for an address with a typo.
        t = self.thread("Slides from the holiday mixer")
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
        self.bounce(m, at(date(2025, 12, 15), 10, 1))
        self.expect_not(
            "reply",
            MAILER_DAEMON,
            "Undelivered Mail Returned to Sender",
            "bounce from MAILER-DAEMON ('Please check the recipient address')",
        )
        self.expect_not("follow_up", CHRIS, t.subject, "older than 30 days, and it bounced")

        # Someone who wrote once, long ago.
        self.thread("Great meeting you").post(
            YUSUF,
            [PENNY],
            at(date(2025, 11, 14), 16, 20),
            hi_penny(
                "Great meeting you at the SaaS summit. Kestrel is building tools for partner "
                "onboarding, and it was good to compare notes."
            ),
        )
        self.expect_not("reconnect", YUSUF, None, "a single message in November: no rhythm")

    def bounce(self, original: Mail, when: datetime) -> None:
        msg = EmailMessage()
        msg["Return-Path"] = "<>"
        msg["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.com>"
        msg["To"] = "penny@example.com"
        msg["Subject"] = "Undelivered Mail Returned to Sender"
        msg["Date"] = utils.format_datetime(when)
        msg_id = f"<{when:%Y%m%d%H%M%S}.bounce.{len(self.box.mails) + 1:04d}@mx.example.com>"
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
        msg.set_boundary(f"=_demo_bounce_{len(self.box.mails) + 1:04d}")
        mail = self.box.new(MAILER_DAEMON, [PENNY], when, msg["Subject"], "", sign=False)
        mail.msg_id = msg_id
        mail.raw = msg.as_bytes(policy=policy.default)

    # --- output -------------------------------------------------------------------------

    def build(self) -> None:
        self.chatter()
        self.reconnect_people()
        self.internal()
        self.plant_reply()
        self.plant_follow_up()
        self.plant_promise()
        self.plant_waiting_on()
        self.plant_meetings()
        self.plant_automated()
        for m in self.box.mails:
            if m.date >= NOW:
                raise ValueError(f"message after DEMO_NOW: {m.subject!r} {m.date}")

    def counts(self, folders: dict[str, int]) -> dict[str, Any]:
        automated = {
            DIGEST,
            NW_UPDATES,
            PRICING,
            EVENTS,
            DOCS,
            EXPENSES,
            TRACKER,
            CALENDAR,
            SHOP,
            MAILER_DAEMON,
        }
        newsletters = {DIGEST, NW_UPDATES, PRICING, EVENTS}
        mails = self.box.mails
        people: set[str] = set()
        for m in mails:
            if m.sender in automated:
                continue
            for p in (m.sender, *m.to, *m.cc):
                if p.email not in ME_EMAILS:
                    people.add(p.email)
        in_calendar = {p.email for ev in self.events for p, _ in ev.attendees} | {
            ev.organizer.email for ev in self.events
        }
        return {
            "messages": len(mails),
            "folders": folders,
            "people": len(people),
            "calendar_only_people": len(in_calendar - people - ME_EMAILS),
            "threads": self.threads,
            "from_me": sum(m.sender.email in ME_EMAILS for m in mails),
            "newsletters": sum(m.sender in newsletters for m in mails),
            "newsletter_senders": len(newsletters),
            "notifications": sum(
                m.sender in automated - newsletters - {MAILER_DAEMON} for m in mails
            ),
            "auto_replies": sum(
                any(h == ("Auto-Submitted", "auto-replied") for h in m.headers) for m in mails
            ),
            "bounces": sum(m.sender is MAILER_DAEMON for m in mails),
            "html_only": sum(m.html_only for m in mails),
            "multipart_alternative": sum(m.html is not None and not m.html_only for m in mails),
            "with_attachments": sum(bool(m.attachments) for m in mails),
            "outlook_no_references": sum(
                m.subject.startswith("RE:") and not m.references for m in mails
            ),
            "events": len(self.events),
            "recurring_events": sum(bool(ev.rrule) for ev in self.events),
        }


def generate(out: Path = DEFAULT_OUT) -> dict[str, Any]:
    """Write ``mail/``, ``calendar.ics`` and ``plan.json`` under ``out``; return the plan."""
    demo = Demo()
    demo.build()
    out.mkdir(parents=True, exist_ok=True)
    # Keep bytes as generated: the ICS needs CRLF, the messages LF, on every checkout.
    (out / ".gitattributes").write_text("* -text\n", encoding="utf-8")
    folders = write_maildir(out / "mail", demo.box.mails, ME_EMAILS, ARCHIVE_BEFORE, UNREAD_SINCE)
    (out / "calendar.ics").write_bytes(
        render_ics(demo.events, datetime(2026, 3, 1, 12, 0, tzinfo=CHICAGO))
    )
    plan = {
        "now": NOW.isoformat(),
        "me": ME,
        "expected": demo.expected,
        "not_expected": demo.not_expected,
        "mute": demo.mute,
        "counts": demo.counts(folders),
    }
    (out / "plan.json").write_text(
        json.dumps(plan, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return plan


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Generate the followup demo mailbox, calendar and plan."
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output directory (default: the package data)"
    )
    args = parser.parse_args(argv)
    plan = generate(args.out)
    c = plan["counts"]
    print(
        f"wrote {args.out}: {c['messages']} messages, {c['people']} people, {c['events']} events, "
        f"{len(plan['expected'])} expected nudges, {len(plan['not_expected'])} non-situations"
    )


if __name__ == "__main__":
    main()
