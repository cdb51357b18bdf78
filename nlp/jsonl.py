"""``followup extract --jsonl``: JSON lines in, one JSON line of findings out per input."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from nlp.findings import Extraction, PersonMention, TextItem

logger = logging.getLogger(__name__)


class InputError(ValueError):
    """A line of input is not a JSON object with a string "text"."""


def parse_line(line: str, lineno: int) -> tuple[Any, TextItem]:
    """Parse one input line: {"id", "text", "date"?, "from_me"?, "tz"?,
    "correspondents"?} ("tz": an IANA zone for "by Friday", "EOD"; default: the date's
    own UTC offset; "correspondents": the thread's people from the headers,
    [{"name"?, "email"}], to which first-name mentions are linked)."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"line {lineno}: not JSON ({exc.msg})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        raise InputError(f'line {lineno}: expected an object with a string "text"')
    sent_at = None
    if obj.get("date"):
        try:
            sent_at = datetime.fromisoformat(str(obj["date"]).replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"line {lineno}: date {obj['date']!r} is not ISO-8601") from None
        if sent_at.tzinfo is None:
            sent_at = sent_at.replace(tzinfo=UTC)
    correspondents = []
    for c in obj.get("correspondents") or []:
        if not isinstance(c, dict) or not isinstance(c.get("email"), str):
            raise InputError(f'line {lineno}: each of "correspondents" needs a string "email"')
        correspondents.append(PersonMention(str(c.get("name") or ""), c["email"].lower()))
    item = TextItem(
        text=obj["text"],
        sent_at=sent_at,
        from_me=bool(obj.get("from_me", False)),
        # Without "tz", dates resolve in the offset the message's date carries.
        tz=str(obj.get("tz") or ""),
        correspondents=tuple(correspondents),
    )
    return obj.get("id"), item


def to_json(item_id: Any, extraction: Extraction) -> dict[str, Any]:
    """The output object for one input, as the issue specifies."""
    return {
        "id": item_id,
        "findings": [
            {
                "kind": f.kind,
                "text": f.text,
                "action": f.action,
                "owner": f.owner,
                "due": f.due.isoformat() if f.due else None,
                "due_text": f.due_text,
                "firm": f.firm,
            }
            for f in extraction.findings
        ],
        "people": [
            {"name": p.name, **({"email": p.email} if p.email else {})} for p in extraction.people
        ],
    }


def run_jsonl(lines: Iterable[str], pipeline: Any, batch_size: int = 64) -> Iterator[str]:
    """Read input lines, yield output lines (blank input lines are skipped)."""
    parsed = [parse_line(line, n) for n, line in enumerate(lines, 1) if line.strip()]
    extractions = pipeline.extract_many((item for _, item in parsed), batch_size=batch_size)
    for (item_id, _), extraction in zip(parsed, extractions, strict=True):
        yield json.dumps(to_json(item_id, extraction), ensure_ascii=False)
