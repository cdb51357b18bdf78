"""Commands in a reply to the digest: ``done 3``, ``snooze 2 3d``, ``dismiss 4``, ``mute a@b``.

One command per line, in what the user wrote: lines quoted with ``>`` are skipped, and
everything from the first reply attribution ("On ... wrote:"), Outlook separator or
signature on is ignored (it is the quoted digest, whose footer shows example commands).
A line is a command only if all of it parses; anything else is left alone, so chatty
replies cannot trigger actions by accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from followup.digest.items import is_plain_address
from followup.durations import Duration, DurationError, parse_duration

Action = Literal["done", "dismiss", "reopen", "snooze", "mute", "unmute"]

DEFAULT_SNOOZE = parse_duration("1 day")

# Where the user's own text ends (see nlp.quoting for the fuller catalogue used on mail).
_STOP = re.compile(
    r"""^\s*(?:
        -{2,}\s*Original\s+Message\s*-{2,}
      | -{2,}\s*Forwarded\s+message\s*-{2,}
      | Begin\s+forwarded\s+message:
      | _{10,}\s*$
      | --\s*$                                  # signature separator "-- "
      | Sent\s+from\s+my\b.*
      | Get\s+Outlook\s+for\b.*
      | (?:From|Sent|Date|Subject)\s*:\s.*      # an Outlook-style header block
      | (?:On|Le|Am|El)\b.{0,200}(?:wrote|écrit|schrieb|escribió)\s*:\s*$
      | .{0,120}\bwrote\s*:\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_QUOTED = re.compile(r"^\s*>")
_BULLET = re.compile(r"^\s*(?:[-*•]\s+|\d+[.)]\s+)?")
_NUMBERS = re.compile(r"^#?\d{1,7}(?:\s*(?:,|\s|and)\s*#?\d{1,7})*$", re.IGNORECASE)
# Outlook and others turn addresses into "dana@example.com <mailto:dana@example.com>".
_MAILTO_ECHO = re.compile(r"<mailto:[^>]*>|\[mailto:[^\]]*\]", re.IGNORECASE)
_NAMED_DURATIONS = {
    "tomorrow": "1 day",
    "a day": "1 day",
    "a week": "1 week",
    "next week": "1 week",
    "a month": "30 days",
}


@dataclass(frozen=True, slots=True)
class Command:
    """One action on one nudge (``number``) or one person (``address``)."""

    action: Action
    number: int | None = None
    address: str | None = None
    snooze: Duration | None = None  # for "snooze": from the reply's date
    line: str = ""  # the line it came from, for logs and reports
    problem: str = ""  # why it cannot apply (a snooze of 500 years): reported, not applied


def own_text(text: str) -> list[str]:
    """The lines the user wrote: up to the first attribution/separator, unquoted."""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if _STOP.match(line):
            break
        if not _QUOTED.match(line):
            lines.append(line)
    return lines


def _numbers(text: str) -> list[int] | None:
    text = text.strip()
    if not _NUMBERS.match(text):
        return None
    return [int(n) for n in re.findall(r"\d+", text)]


def _duration(text: str) -> Duration | str | None:
    """The duration; its problem when it is one but out of range; None if not one."""
    text = " ".join(text.lower().split())
    text = _NAMED_DURATIONS.get(text, text.removeprefix("for "))
    try:
        return parse_duration(text)
    except DurationError as e:
        return e.problems[0] if "too long" in e.problems[0] else None


def _snooze(rest: str, raw: str) -> list[Command]:
    """ "2 3d", "2, 5 for 2 weeks", "2 3 days", "2" (one day)."""
    tokens = rest.replace(",", " , ").split()
    numbers: list[int] = []
    i = 0
    while i < len(tokens) and re.fullmatch(r"#?\d{1,7}|,|and", tokens[i], re.IGNORECASE):
        if tokens[i][-1].isdigit():
            numbers.append(int(tokens[i].lstrip("#")))
        i += 1
    remainder = " ".join(tokens[i:])
    duration = _duration(remainder) if remainder else DEFAULT_SNOOZE
    if duration is None and remainder and len(numbers) >= 2:
        # "snooze 2 3 days": the last number is the duration's.
        duration = _duration(f"{numbers[-1]} {remainder}")
        numbers = numbers[:-1]
    if isinstance(duration, str):  # "snooze 2 9999999 weeks": said, but cannot be done
        return [Command("snooze", number=n, line=raw, problem=duration) for n in numbers]
    if not numbers or duration is None or duration.delta.total_seconds() <= 0:
        return []
    return [Command("snooze", number=n, snooze=duration, line=raw) for n in numbers]


def parse_line(line: str) -> list[Command]:
    """The commands in one line, or [] if the line is not (entirely) a command."""
    raw = line.strip()
    text = _BULLET.sub("", _MAILTO_ECHO.sub(" ", raw)).strip().rstrip(".!;")
    parts = text.split(None, 1)
    if len(parts) != 2:
        return []
    verb, rest = parts[0].lower().rstrip(":"), parts[1].strip()
    if verb in ("done", "dismiss", "reopen"):
        numbers = _numbers(rest)
        return [Command(verb, number=n, line=raw) for n in numbers or ()]  # type: ignore[arg-type]
    if verb == "snooze":
        return _snooze(rest, raw)
    if verb in ("mute", "unmute"):
        addresses = [a.strip("<>,;").lower() for a in rest.replace(",", " ").split()]
        if not addresses or not all(is_plain_address(a) for a in addresses):
            return []
        return [Command(verb, address=a, line=raw) for a in addresses]  # type: ignore[arg-type]
    return []


def parse_commands(text: str) -> list[Command]:
    """Every command in the user's part of a reply to the digest, in order."""
    commands: list[Command] = []
    for line in own_text(text):
        commands += parse_line(line)
    return commands
