"""The background chatter's words: topics, questions with their answers, news and
thanks. Every request in it gets answered and nothing in it is promised."""

from __future__ import annotations

from datetime import date

from tools.demo.cast import (
    DANA,
    ELENA,
    GRACE,
    HANNAH,
    INGRID,
    JULIA,
    KENJI,
    LARS,
    MARCO,
    MEI,
    NADIA,
    OWEN,
    PRIYA,
    SAM,
    TOMAS,
)
from tools.demo.mail import Person

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
