# ruff: noqa: E501 -- one person per line reads better than a wrapped table.
"""The demo's cast: Penny Example, her colleagues, the people she writes with, and the
automated senders. All names and domains are fictional (``*.example``)."""

from __future__ import annotations

from tools.demo.mail import Person

PENNY = Person(
    "Penny Example",
    "penny@example.com",
    title="Head of Partnerships",
    org="Example Co.",
    phone="+1 312 555 0142",
)
PENNY_GMAIL = Person("Penny Example", "p.example@gmail.com", style="apple")
ME = {
    "name": "Penny Example",
    "addresses": ["penny@example.com", "p.example@gmail.com"],
    "domains": ["example.com"],
    "timezone": "America/Chicago",
}
ME_EMAILS = frozenset({"penny@example.com", "p.example@gmail.com"})

DISCLAIMER = (
    "This message and any attachments are confidential and intended only for the named recipient."
)


def person(
    name: str,
    email: str,
    tz: str,
    title: str,
    org: str,
    phone: str,
    style: str = "gmail",
    signoff: str = "Best",
    disclaimer: str = "",
) -> Person:
    return Person(name, email, tz, title, org, phone, style, signoff, disclaimer)


# fmt: off
# Colleagues (example.com: "inside").
OWEN = person("Owen Mercer", "owen.mercer@example.com", "America/Chicago", "VP Sales", "Example Co.", "+1 312 555 0150")
JULIA = person("Julia Santos", "julia.santos@example.com", "America/Chicago", "Solutions Engineer", "Example Co.", "+1 312 555 0163", signoff="Thanks")
DEREK = person("Derek Huang", "derek.huang@example.com", "America/Chicago", "COO", "Example Co.", "+1 312 555 0101")
MAYA = person("Maya Levin", "maya.levin@example.com", "America/Chicago", "Marketing Director", "Example Co.", "+1 312 555 0177")
FELIX = person("Felix Jones", "felix.jones@example.com", "America/Chicago", "Finance Manager", "Example Co.", "+1 312 555 0189")

# Regular outside correspondents.
DANA = person("Dana Whitfield", "dana.whitfield@acme.example", "America/New_York", "VP Operations", "Acme Corp", "+1 212 555 0118")
MARCO = person("Marco Bellini", "marco.bellini@acme.example", "Europe/Rome", "Head of Procurement", "Acme Corp", "+39 02 555 0134", style="html")
PRIYA = person("Priya Raman", "priya.raman@betaworks.example", "America/Los_Angeles", "Director of Partnerships", "Betaworks", "+1 415 555 0127")
TOMAS = person("Tomás Ortega", "tomas.ortega@betaworks.example", "America/Los_Angeles", "Engineering Lead", "Betaworks", "+1 415 555 0193", signoff="Cheers")
LARS = person("Lars Henriksen", "lars.henriksen@northwind.example", "Europe/Oslo", "Strategy Director", "Northwind Traders", "+47 555 01 234")
GRACE = person("Grace O'Neill", "grace.oneill@northwind.example", "Europe/Dublin", "CFO", "Northwind Traders", "+353 1 555 0142", style="apple")
NADIA = person("Nadia Hassan", "nadia.hassan@northwind.example", "America/Chicago", "Partnerships Manager", "Northwind Traders", "+1 312 555 0110")
ELENA = person("Elena Petrova", "elena.petrova@bluepeak.example", "America/Denver", "Account Executive", "Bluepeak Software", "+1 303 555 0175")
HANNAH = person("Hannah Brooks", "hannah.brooks@bluepeak.example", "America/Denver", "Customer Success Manager", "Bluepeak Software", "+1 303 555 0148", style="apple")
SAM = person("Sam Kowalski", "sam.kowalski@fabrikam.example", "America/New_York", "General Counsel", "Fabrikam Inc.", "+1 617 555 0160", style="outlook", signoff="Kind")
KENJI = person("Kenji Watanabe", "kenji.watanabe@fabrikam.example", "Asia/Tokyo", "IT Director", "Fabrikam Inc.", "+81 3 5555 0199", style="outlook")
INGRID = person("Ingrid Solberg", "ingrid.solberg@harborlight.example", "Europe/Oslo", "Program Manager", "Harborlight", "+47 555 09 876")
MEI = person("Mei Lin", "mei.lin@harborlight.example", "America/Los_Angeles", "Marketing Lead", "Harborlight", "+1 206 555 0131", signoff="Thanks")

# Regular rhythm until January, then silence (reconnect).
HELEN = person("Helen Marsh", "helen.marsh@lumen.example", "America/New_York", "Partner", "Lumen Advisory", "+1 646 555 0107")
DIEGO = person("Diego Alvarez", "diego.alvarez@granite.example", "America/Chicago", "Founder", "Granite Analytics", "+1 773 555 0185", signoff="Cheers")

# People who appear in one planted situation.
AISHA = person("Aisha Karim", "aisha.karim@meridian.example", "America/New_York", "Head of Business Development", "Meridian Health", "+1 617 555 0122")
NOAH = person("Noah Feldman", "noah.feldman@orchard-labs.example", "America/Los_Angeles", "Program Chair", "Orchard Summit", "+1 510 555 0166")
BEN = person("Ben Adeyemi", "ben.adeyemi@contoso.example", "America/New_York", "Product Manager", "Contoso", "+1 646 555 0139")
RAVI = person("Ravi Menon", "ravi.menon@contoso.example", "America/New_York", "Security Lead", "Contoso", "+1 646 555 0172", style="outlook", disclaimer=DISCLAIMER)
CHLOE = person("Chloé Durand", "chloe.durand@contoso.example", "Europe/Paris", "Finance Manager", "Contoso", "+33 1 55 55 01 44")
OLIVIA = person("Olivia Chen", "olivia.chen@betaworks.example", "America/Los_Angeles", "HR Business Partner", "Betaworks", "+1 415 555 0155")
LUCAS = person("Lucas Moreau", "lucas.moreau@summitworks.example", "Europe/Paris", "Event Producer", "Summitworks", "+33 1 55 55 02 17")
RACHEL = person("Rachel Stone", "rachel.stone@lakehouse-retreats.example", "America/Chicago", "Events Coordinator", "Lakehouse Retreats", "+1 262 555 0114")
TOM = person("Tom Becker", "tom.becker@tandem.example", "America/Chicago", "Data Analyst", "Tandem", "+1 312 555 0196")
HUGO = person("Hugo Lambert", "hugo.lambert@ventana.example", "America/Toronto", "Community Lead", "Ventana", "+1 416 555 0120")
SOFIA = person("Sofia Marquez", "sofia.marquez@bellacatering.example", "America/Chicago", "Owner", "Bella Catering", "+1 312 555 0191")
VICTOR = person("Victor Almeida", "victor.almeida@mailbox.example", "America/Chicago", "", "", "", style="apple")
REX = person("Rex Hollander", "rex@leadspark.example", "America/Phoenix", "Growth Consultant", "LeadSpark", "+1 480 555 0109")
YUSUF = person("Yusuf Demir", "yusuf.demir@kestrel.example", "Europe/Istanbul", "CEO", "Kestrel Labs", "+90 212 555 0133")
JONAS = person("Jonas Weber", "jonas.weber@harborlight.example", "Europe/Berlin", "Head of Customer Success", "Harborlight", "+49 30 5555 0188", signoff="Viele Grüße")
AMARA = person("Amara Okafor", "amara.okafor@talentbridge.example", "America/Chicago", "Senior Recruiter", "TalentBridge", "+1 312 555 0145")
CHRIS = person("Chris Dunmore", "chris.dunmore@northwnd.example", "America/Chicago", "", "", "")  # typo domain: bounces
IRENE = person("Irene Castillo", "irene.castillo@northwind.example", "America/Chicago", "Alliances Lead", "Northwind Traders", "")
KYLE = person("Kyle Brandt", "kyle.brandt@zephyr-analytics.example", "America/Denver", "Account Executive", "Zephyr Analytics", "")
# fmt: on

# Automated senders.
DIGEST = Person("The Operator's Digest", "digest@operatorsweekly.example")
NW_UPDATES = Person("Northwind Product Updates", "updates@northwind.example")
PRICING = Person("Mara Quinn from Pricing Notes", "mara@pricingnotes.example")
EVENTS = Person("Chicago Tech Events", "events@chitech.example")
DOCS = Person("Mia Lopez (via Docs)", "noreply@docs.example")
EXPENSES = Person("Expenses", "no-reply@expenses.example")
TRACKER = Person("Partner Portal Tracker", "notifications@tracker.example")
CALENDAR = Person("Calendar", "noreply@calendar.example")
SHOP = Person("Office Supply Shop", "no-reply@shop.example")
MAILER_DAEMON = Person("Mail Delivery System", "MAILER-DAEMON@mx.example.com")
