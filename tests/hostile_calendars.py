"""The big hostile calendars, written at test time (too large to keep in the repository).

The small ones live in tests/data/hostile/ics/. Every calendar here and there has the
same ordinary meeting ("Contract review", tomorrow with someone outside), which must
survive whatever else the file does.
"""

from __future__ import annotations

from pathlib import Path

HOSTILE_ICS = Path(__file__).resolve().parent / "data" / "hostile" / "ics"
HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//followup tests//hostile//EN\r\n"
TAIL = "END:VCALENDAR\r\n"
OUTSIDE = (
    "ORGANIZER;CN=Olga Outside:mailto:olga@outside.example\r\n"
    "ATTENDEE;CN=Olga Outside;PARTSTAT=ACCEPTED:mailto:olga@outside.example\r\n"
    "ATTENDEE;PARTSTAT=ACCEPTED:mailto:penny@example.com\r\n"
)
GOOD = (
    "BEGIN:VEVENT\r\nUID:good-review@outside.example\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART:20260318T150000Z\r\nDTEND:20260318T160000Z\r\nSUMMARY:Contract review\r\n"
    f"{OUTSIDE}END:VEVENT\r\n"
)


def _event(uid: str, start: str, summary: str, extra: str = "") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\n"
        f"SUMMARY:{summary}\r\n{extra}END:VEVENT\r\n"
    )


def many_attendees(n: int = 10_000) -> str:
    people = "".join(f"ATTENDEE;CN=Person {i}:mailto:p{i}@outside.example\r\n" for i in range(n))
    return (
        HEAD
        + _event("all-hands@outside.example", "20260318T170000Z", "All hands", people)
        + GOOD
        + TAIL
    )


def huge_summary(size: int = 1 << 20) -> str:
    # Folded at 74 characters, as a real writer would (RFC 5545 §3.1).
    text = "A" * size
    folded = "\r\n ".join(text[i : i + 74] for i in range(0, size, 74))
    return HEAD + _event("huge@outside.example", "20260318T180000Z", folded, OUTSIDE) + GOOD + TAIL


def many_events(n: int = 50_000) -> str:
    """``n`` one-off events spread over 56 days of the sync window, without people."""
    body = "".join(
        _event(
            f"e{i}@inside.example",
            f"2026{2 + i % 56 // 28:02d}{1 + i % 28:02d}T{i % 24:02d}{i % 60:02d}00Z",
            f"Block {i}",
        )
        for i in range(n)
    )
    return HEAD + body + GOOD + TAIL


def write_corpus(directory: Path, *, events: int = 50_000) -> list[Path]:
    """The whole corpus in ``directory``: the kept files and the generated ones."""
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for f in sorted(HOSTILE_ICS.glob("*.ics")):
        target = directory / f.name
        target.write_bytes(f.read_bytes())
        out.append(target)
    for name, text in (
        ("attendees_10000.ics", many_attendees()),
        ("summary_1mb.ics", huge_summary()),
        (f"events_{events}.ics", many_events(events)),
    ):
        target = directory / name
        target.write_text(text, encoding="utf-8")
        out.append(target)
    return out
