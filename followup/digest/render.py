"""Render the open nudges as plain text, Markdown, HTML (the email) or JSON.

``nudges`` is any sequence of ``OpenNudge``; the renderers sort it by urgency (section
order ``KIND_ORDER``, then score) and, where ``max_items`` is given, keep the most urgent
and say how many more there are. The terminal view (rich) lives in the CLI.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from followup import wording
from followup.digest.items import DigestView, build_view, item_link, sort_key
from followup.nudges import KIND_TITLES, OpenNudge, PersonRef, facts_to_dict
from followup.safe_text import clean_line

TEMPLATES = Path(__file__).parent / "templates"

# CommonMark punctuation that can start markup; escaped with a backslash.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # HTML is escaped everywhere; the .txt template must not be (it is not HTML).
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_view(view: DigestView, template: str) -> str:
    return _env().get_template(template).render(view=view)


def render_plain(
    nudges: Sequence[OpenNudge],
    now: datetime,
    tz: ZoneInfo,
    *,
    max_items: int | None = None,
    caps: Mapping[str, int] | None = None,
    min_score: float = 0.0,
    footer: Sequence[str] = (),
) -> str:
    """The plain-text digest (the email's text/plain part)."""
    view = build_view(nudges, now, tz, max_items=max_items, caps=caps, min_score=min_score)
    text = render_view(_with_footer(view, footer), "digest.txt")
    # Collapse the blank-line runs the template's loops leave behind.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def render_html(
    nudges: Sequence[OpenNudge],
    now: datetime,
    tz: ZoneInfo,
    *,
    max_items: int | None = None,
    caps: Mapping[str, int] | None = None,
    min_score: float = 0.0,
    footer: Sequence[str] = (),
) -> str:
    """The HTML digest (the email's text/html part): inline styles, no remote resources."""
    view = build_view(nudges, now, tz, max_items=max_items, caps=caps, min_score=min_score)
    return render_view(_with_footer(view, footer), "digest.html")


def _with_footer(view: DigestView, footer: Sequence[str]) -> DigestView:
    return dataclasses.replace(view, footer=tuple(clean_line(n, 300) for n in footer))


def md_escape(text: str) -> str:
    """Escape ``text`` so a Markdown renderer shows it literally (no links, no HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_url(url: str) -> str:
    # Inside <...> a destination may hold anything but <, > and line breaks; the links we
    # make are percent-encoded, so this only guards against a future change.
    return url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


def render_markdown(
    nudges: Sequence[OpenNudge],
    now: datetime,
    tz: ZoneInfo,
    *,
    max_items: int | None = None,
    caps: Mapping[str, int] | None = None,
    min_score: float = 0.0,
) -> str:
    """The digest as Markdown; everything taken from mail is escaped.

    Items are bullets led by their number in brackets, not an ordered list: Markdown
    renumbers ordered lists, and the number is what the user types back ("done 3").
    """
    view = build_view(nudges, now, tz, max_items=max_items, caps=caps, min_score=min_score)
    lines = [f"# followup · {view.day}", ""]
    if not view.count:
        lines.append(f"{view.headline}.")
    else:
        lines.append(md_escape(f"{view.headline}: {view.summary}"))
    for section in view.sections:
        lines += ["", f"## {section.title} ({len(section.items)})", ""]
        for item in section.items:
            head = f"**\\[{item.number}\\] {md_escape(item.who)}**"
            if item.email and item.email != item.who:
                head += f" ({md_escape(item.email)})"
            rows = [head, md_escape(item.why)]
            if item.sentence:
                rows.append(f"“{md_escape(item.sentence)}”")
            meta = " · ".join(md_escape(p) for p in (item.when, item.due, item.subject) if p)
            if item.link:
                meta += f" · [{item.link_label}](<{_md_url(item.link)}>)"
            rows.append(meta)
            # A trailing backslash is a hard line break (CommonMark), keeping one item
            # on several lines without starting new paragraphs.
            lines.append("- " + " \\\n  ".join(rows))
    if view.hidden:
        lines += ["", f'And {view.hidden} more: run "followup digest" to see them all.']
    return "\n".join(lines).rstrip() + "\n"


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def _person(p: PersonRef | None) -> dict[str, str] | None:
    return None if p is None else {"name": p.name, "email": p.email}


def nudge_json(on: OpenNudge, now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """One nudge for ``--json``: its facts (ISO-8601 dates, counts) and, beside them, the
    words a screen shows at ``now`` (title, reason, when, due)."""
    n, ev = on.nudge, on.nudge.evidence
    link, _ = item_link(n)
    return {
        "number": on.number,
        "key": n.key,
        "kind": n.kind,
        "section": KIND_TITLES.get(n.kind, n.kind),
        "state": on.state,
        "person": _person(n.person),
        "people": [_person(p) for p in n.people],
        "title": wording.title(n, tz),
        "reason": wording.reason(n, now, tz),
        "when": wording.describe_when(ev.date or on.first_seen, now, tz),
        "due_words": wording.describe_due(n, now, tz),
        "facts": facts_to_dict(n.facts),
        "evidence": {
            "message_id": ev.message_id,
            "sentence": ev.sentence,
            "date": _iso(ev.date),
            "subject": ev.subject,
            "thread_url": ev.thread_url,
        },
        "due": _iso(n.due),
        "score": n.score,
        "extra": n.extra,
        "first_seen": _iso(on.first_seen),
        "snoozed_until": _iso(on.snoozed_until),
        "link": link,
    }


def render_json(nudges: Sequence[OpenNudge], now: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The nudges as JSON-ready dicts, most urgent first; datetimes as ISO-8601 strings.

    Values are the nudges' own (not display-cleaned): JSON consumers escape for their
    own output, and ``safe_text.dump_json`` scrubs controls before a terminal sees them.
    ``link`` is the same thread URL or mailto: the email shows.
    """
    return [nudge_json(on, now, tz) for on in sorted(nudges, key=sort_key)]
