"""Apply the commands the user sent by replying to a digest (``done 3``, ``mute a@b``...).

A message counts as such a reply when it is from one of the user's addresses and its
In-Reply-To or References name a digest we sent (the digests' Message-IDs are random,
so they cannot be guessed by a third party). Each reply is applied once, recorded in
the ``digest_reply`` table; a snooze runs from the reply's date, not from when the next
run happens to read it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from followup.actions import apply
from followup.config import Config
from followup.digest import ledger
from followup.digest.commands import own_text, parse_line
from followup.errors import UserError
from followup.store.store import Store

logger = logging.getLogger(__name__)

# Replies to digests older than this are not looked for (a reply comes within days).
REPLY_WINDOW = timedelta(days=14)


@dataclass
class ReplyReport:
    replies: int = 0
    applied: int = 0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"replies": self.replies, "applied": self.applied, "problems": self.problems}


@dataclass(frozen=True, slots=True)
class _Reply:
    message_id: str
    digest_id: str
    date: datetime
    text: str


def find_replies(store: Store, me: frozenset[str], now: datetime) -> list[_Reply]:
    """Unapplied replies from ``me`` to recent digests, oldest first, one per Message-ID."""
    digests = ledger.recent_digest_ids(store, now, REPLY_WINDOW)
    if not digests or not me:
        return []
    rows = store.mail_replying_to(sorted(me), min(digests.values()), list(digests))
    done = ledger.applied_replies(store, [r.message_id for r in rows])
    out: dict[str, _Reply] = {}
    for r in rows:
        if r.message_id in done or r.message_id in out or r.message_id in digests:
            continue
        refs = r.refs.split()
        digest_id = r.in_reply_to if r.in_reply_to in digests else None
        digest_id = digest_id or next((x for x in reversed(refs) if x in digests), None)
        if digest_id is None:  # a substring match on refs, not a real reference
            continue
        out[r.message_id] = _Reply(r.message_id, digest_id, r.date, r.excerpt)
    return list(out.values())


_VERBS = ("done", "dismiss", "reopen", "snooze", "mute", "unmute", "important")
_TARGET = re.compile(r"^#?\d{1,7}[,.]?$|@", re.ASCII)


def _looks_like_command(line: str) -> bool:
    """A short line of a word then a nudge number or an address: meant as a command.

    Chat ("Thanks, will do!") is not reported; "snoze 2 3d" is, in the next digest.
    """
    words = line.split()
    return 2 <= len(words) <= 6 and words[0].isalpha() and any(_TARGET.search(w) for w in words[1:])


def _not_understood(line: str) -> str:
    if line.split()[0].lower().rstrip(":") in _VERBS:
        return "not understood (e.g. 'snooze 2 3d', 'snooze 2 until Monday')"
    return "unknown command"


def reply_problems_since_last_digest(store: Store, day: date, tz: ZoneInfo) -> list[str]:
    """What could not be applied from replies read since the last digest before ``day``.

    Shown once, in the next digest: a later digest's replies are those read after it.
    """
    notes: list[str] = []
    for r in store.replies_since_last_digest(ledger.COUNTS_AS_SENT, day.isoformat()):
        when = r.date or r.applied_at
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        for result in json.loads(r.results or "[]"):
            if not result.get("ok"):
                detail = str(result.get("detail", ""))
                notes.append(
                    f"Could not apply from your reply of {when.astimezone(tz):%a %d %b}: {detail}"
                )
    return notes


def _shown(line: str) -> str:
    """A reply's line in a one-line report: quoted, capped."""
    return repr(line) if len(line) <= 80 else repr(line[:77] + "...")


def apply_reply_commands(
    store: Store, config: Config, now: datetime, me: frozenset[str] | None = None
) -> ReplyReport:
    """Find replies to recent digests and apply their commands, each reply once. ``me``:
    my addresses (identity.my_addresses), where the caller has read them."""
    from followup.identity import my_addresses

    report = ReplyReport()
    me = frozenset(a.lower() for a in (me if me is not None else my_addresses(config, store)))
    for reply in find_replies(store, me, now):
        report.replies += 1
        results: list[dict[str, Any]] = []
        commands = []
        for line in own_text(reply.text):
            parsed = parse_line(line)
            if not parsed and _looks_like_command(line):
                problem = f"{_shown(line.strip())}: {_not_understood(line)}"
                report.problems.append(problem)
                results.append({"line": line.strip(), "ok": False, "detail": problem})
            commands += parsed
        for cmd in commands:
            try:
                done = apply(store, cmd, reply.date, config.me.tz).detail
            except UserError as e:
                problem = f"{_shown(cmd.line)}: {'; '.join(e.problems)}"
                report.problems.append(problem)
                results.append({"line": cmd.line, "ok": False, "detail": problem})
                continue
            except (OverflowError, ValueError, ArithmeticError) as e:
                # Recorded with the reply, so it is never retried on every run.
                problem = f"{_shown(cmd.line)}: cannot be applied ({type(e).__name__})"
                report.problems.append(problem)
                results.append({"line": cmd.line, "ok": False, "detail": problem})
                continue
            report.applied += 1
            results.append({"line": cmd.line, "ok": True, "detail": done})
            logger.debug("Reply %s: %s", reply.message_id, done)
        ledger.record_reply(store, reply.message_id, reply.digest_id, results, now)
    if report.replies:
        logger.info(
            "Applied %d commands from %d replies to the digest%s",
            report.applied,
            report.replies,
            f" ({len(report.problems)} could not be applied)" if report.problems else "",
        )
    return report
