"""Commands in a reply to the digest: ``done 3``, ``snooze 2 3d``, ``mute a@b``, ``important a@b``.

One command per line, in what the user wrote: lines quoted with ``>`` are skipped, and
everything from the first reply attribution ("On ... wrote:"), Outlook separator or
signature on is ignored (it is the quoted digest, whose footer shows example commands).
A line is a command only if all of it parses; anything else is left alone, so chatty
replies cannot trigger actions by accident.
"""

from __future__ import annotations

import re

from followup.actions import Command, parse_when, split_snooze
from followup.digest.items import is_plain_address
from followup.durations import DurationError

__all__ = ["Command", "own_text", "parse_commands", "parse_line"]

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


def _is_number(token: str) -> bool:
    return re.fullmatch(r"#?\d{1,7}", token) is not None


def _snooze(rest: str, raw: str) -> list[Command]:
    """ "2 3d", "2, 5 for 2 weeks", "3d 2", "2 until Monday", "2" (one day)."""
    split = split_snooze(rest.replace(",", " , ").split(), _is_number)
    if split is None:
        return []
    numbers, text = [int(n) for n in split[0]], split[1]
    try:
        when = parse_when(text)
    except DurationError as e:
        # "snooze 2 9999999 weeks": said, but cannot be done; anything else is chat.
        problem = e.problems[0]
        if "too long" not in problem and "is not a date" not in problem:
            return []
        return [Command("snooze", number=n, line=raw, problem=problem) for n in numbers]
    if when.delta is not None and when.delta.total_seconds() <= 0:
        return []
    return [Command("snooze", number=n, snooze=when, line=raw) for n in numbers]


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
    if verb in ("mute", "unmute", "important"):
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
