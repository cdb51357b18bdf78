"""Human output: the digest in a terminal, progress bars only on a TTY.

Text from mail reaches the terminal only through ``followup.safe_text.clean_line``, and
the console reads no markup or emoji codes from it: a name ``[link=https://x]y[/link]``
or ``:warning:`` prints as typed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from followup.durations import ago
from followup.nudges import KIND_ORDER, KIND_TITLES, OpenNudge
from followup.safe_text import clean_line


def console(err: bool = False) -> Console:
    # No colour codes when piped or under cron; a wide virtual width keeps lines whole.
    stream = sys.stderr if err else sys.stdout
    # Piped or under cron there is no terminal width: don't squeeze tables into 80 columns.
    width = None if stream.isatty() else 160
    return Console(
        stderr=err, highlight=False, markup=False, emoji=False, soft_wrap=True, width=width
    )


def print_digest(
    items: Sequence[OpenNudge],
    now: datetime,
    tz: ZoneInfo,
    *,
    out: Console | None = None,
    more: int = 0,
) -> None:
    """The digest in a terminal; ``more``: open nudges not shown ("+K more")."""
    out = out or console()
    local = now.astimezone(tz)
    if not items and more:
        out.print(
            f"Nothing urgent today ({local:%a %d %b %Y}); +{more} more: followup digest --all"
        )
        return
    if not items:
        out.print(f"Nothing needs you today ({local:%a %d %b %Y}).")
        return
    out.print(Text(f"followup — {local:%a %d %b %Y %H:%M} — {len(items)} to look at", style="bold"))
    by_kind: dict[str, list[OpenNudge]] = {}
    for o in items:
        by_kind.setdefault(o.nudge.kind, []).append(o)
    for kind in KIND_ORDER:
        group = by_kind.get(kind)
        if not group:
            continue
        out.print()
        out.print(Text(f"{KIND_TITLES[kind]} ({len(group)})", style="bold underline"))
        for o in group:
            n = o.nudge
            line = Text()
            line.append(f"[{o.number}] ", style="cyan")
            line.append(clean_line(n.title, 160), style="bold")
            line.append(f" — {clean_line(n.reason, 300)}")
            out.print(line)
            ev = n.evidence
            bits = []
            if ev.subject and kind not in ("before_meeting", "after_meeting"):
                bits.append(f"“{clean_line(ev.subject, 160)}”")
            if ev.date and kind == "promise":  # the other reasons say their age already
                bits.append("written " + ago(ev.date, now, tz))
            if ev.message_id:
                bits.append(f"<{clean_line(ev.message_id, 200)}>")
            if bits:
                out.print(Text("      " + " · ".join(bits), style="dim"))
    if more:
        out.print()
        out.print(Text(f"+{more} more: followup digest --all", style="dim"))


@contextmanager
def progress_reporter(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on a terminal; nothing at all under cron or in a pipe."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console(err=True),
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(escape(clean_line(label, 80)), total=total or None)
            bar.update(tasks[label], completed=done, total=total or None)

        yield report
