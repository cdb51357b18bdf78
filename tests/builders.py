"""Small builders for rule tests: a PlanningState from a few lines of Python."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from followup.state import Contact, Meeting, MeetingAttendee, Msg, PlanningState, Thread
from nlp.findings import Finding

ME = "penny@example.com"
_pk = count(1)


def ask(text: str, due: datetime | None = None) -> Finding:
    return Finding(kind="request", text=text, action=text, owner="reader", due=due)


def promise(text: str, due: datetime | None = None, action: str = "") -> Finding:
    return Finding(kind="commitment", text=text, action=action or text, owner="writer", due=due)


def msg(
    sender: str,
    to: str | list[str],
    date: datetime,
    *,
    subject: str = "Q3 numbers",
    findings: tuple[Finding, ...] = (),
    automated: str | None = None,
    cc: tuple[str, ...] = (),
    message_id: str | None = None,
    names_me: bool = False,
    expects_answer: bool = False,
    folder: str = "",
) -> Msg:
    pk = next(_pk)
    return Msg(
        pk=pk,
        message_id=message_id or f"m{pk}@test",
        thread_id=0,
        date=date,
        sender=sender,
        sender_name="",
        from_me=sender == ME,
        subject=subject,
        to=tuple([to] if isinstance(to, str) else to),
        cc=cc,
        automated=automated,
        findings=findings,
        names_me=names_me,
        expects_answer=expects_answer,
        folder=folder,
    )


def thread(*messages: Msg) -> Thread:
    tid = min(m.pk for m in messages)
    return Thread(id=tid, messages=tuple(sorted(messages, key=lambda m: (m.date, m.pk))))


def state(
    *threads: Thread,
    contacts: dict[str, Contact] | None = None,
    meetings: tuple[Meeting, ...] = (),
    muted: tuple[str, ...] = (),
) -> PlanningState:
    contacts = dict(contacts or {})
    for email in muted:
        c = contacts.get(email) or Contact(email=email, name="")
        contacts[email] = Contact(**{**_fields(c), "muted": True})
    return PlanningState(
        me=frozenset({ME}),
        domains=frozenset({"example.com"}),
        threads=tuple(threads),
        contacts=contacts,
        meetings=meetings,
        names={},
    )


def _fields(c: Contact) -> dict:
    return {f: getattr(c, f) for f in Contact.__slots__}


def rhythm(email: str, last: datetime, every: timedelta, n: int, name: str = "") -> Contact:
    """A two-way relationship: n contacts `every` apart, the last at `last`."""
    dates = [last - every * i for i in range(n)]
    return Contact(
        email=email,
        name=name,
        received=tuple(sorted(dates[::2])),
        sent=tuple(sorted(dates[1::2])),
        last_subject="board prep",
    )


def meeting(
    uid: str, start: datetime, minutes: int, attendees: list[str], *, status: str = "confirmed"
) -> Meeting:
    return Meeting(
        uid=uid,
        summary=f"Meeting {uid}",
        start=start,
        end=start + timedelta(minutes=minutes),
        status=status,
        attendees=tuple(MeetingAttendee(a, "", "accepted") for a in [ME, *attendees]),
    )


# Settings and clock shared by the rule tests.
def _settings():  # type: ignore[no-untyped-def]
    from datetime import UTC

    from followup.config import MeSettings, RuleSettings

    me = MeSettings(
        name="Penny", addresses=(ME,), domains=("example.com",), timezone="America/Chicago"
    )
    return RuleSettings(), me, datetime(2026, 3, 17, 13, 30, tzinfo=UTC)  # Tue 07:30 Chicago


RULES, MY, NOW = _settings()


def kinds(nudges, kind):  # type: ignore[no-untyped-def]
    return [n for n in nudges if n.kind == kind]


def title(n):  # type: ignore[no-untyped-def]
    """The nudge's title as the digest words it (in my time zone)."""
    from followup import wording

    return wording.title(n, MY.tz)


def reason(n, now=None):  # type: ignore[no-untyped-def]
    """The nudge's reason as the digest words it at ``now`` (the rules' NOW by default)."""
    from followup import wording

    return wording.reason(n, now or NOW, MY.tz)
