"""Apply the commands the user sent by replying to a digest (``done 3``, ``mute a@b``...).

A message counts as such a reply when it is from one of the user's addresses and its
In-Reply-To or References name a digest we sent (the digests' Message-IDs are random,
so they cannot be guessed by a third party). Each reply is applied once, recorded in
the ``digest_reply`` table; a snooze runs from the reply's date, not from when the next
run happens to read it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from followup.actions import apply
from followup.config import Config
from followup.digest import ledger
from followup.digest.commands import parse_commands
from followup.errors import UserError
from followup.store.store import Store
from followup.store.tables import Message

logger = logging.getLogger(__name__)

M: Any = Message.__table__  # type: ignore[attr-defined]

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
    ids = list(digests)
    with store.begin() as conn:
        rows = conn.execute(
            select(M.c.message_id, M.c.in_reply_to, M.c.refs, M.c.date, M.c.excerpt)
            .where(
                M.c.from_email.in_(sorted(me)),
                M.c.date >= min(digests.values()),
                or_(M.c.in_reply_to.in_(ids), *(M.c.refs.contains(i) for i in ids)),
            )
            .order_by(M.c.date)
        ).all()
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


def _shown(line: str) -> str:
    """A reply's line in a one-line report: quoted, capped."""
    return repr(line) if len(line) <= 80 else repr(line[:77] + "...")


def apply_reply_commands(store: Store, config: Config, now: datetime) -> ReplyReport:
    """Find replies to recent digests and apply their commands, each reply once."""
    from followup.identity import my_addresses

    report = ReplyReport()
    me = frozenset(a.lower() for a in my_addresses(config, store))
    for reply in find_replies(store, me, now):
        report.replies += 1
        results: list[dict[str, Any]] = []
        for cmd in parse_commands(reply.text):
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
