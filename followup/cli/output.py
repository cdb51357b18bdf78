"""Human output: the digest in a terminal, progress bars only on a TTY.

The digest reaches the terminal through the digest's view (followup.digest.items), the
one sanitised view every renderer uses; other text from mail through
``followup.safe_text.clean_line``. The console reads no markup or emoji codes from it: a
name ``[link=https://x]y[/link]`` or ``:warning:`` prints as typed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from followup.nudges import OpenNudge
from followup.safe_text import clean_line


def console(err: bool = False) -> Console:
    # No colour codes when piped or under cron; a wide virtual width keeps lines whole.
    stream = sys.stderr if err else sys.stdout
    # Piped or under cron there is no terminal width: don't squeeze tables into 80 columns
    # (unless COLUMNS says how wide the reader's screen is).
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 160
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
    footer: Sequence[str] = (),
    verbose: bool = False,
) -> None:
    """The digest in a terminal, from the same sanitised view as the email; ``more``: open
    nudges not shown ("+K more"); ``footer``: lines about the sources (needs reconnect);
    ``verbose``: each item's Message-ID too (for scripts and bug reports, not for reading).

    Lines wrap at words to the console's width, continuation lines indented under the
    item, so a narrow terminal never breaks a word or a sentence's flow."""
    out = out or console()
    _print_items(items, now, tz, out, more, verbose)
    if footer:
        out.print()
    print_digest_footer(footer, out=out)


def print_digest_footer(footer: Sequence[str], *, out: Console | None = None) -> None:
    """The lines about the sources (one that needs reconnect), sanitised."""
    out = out or console()
    for line in footer:
        out.print(Text(clean_line(line, 300), style="yellow"))


def _print_items(
    items: Sequence[OpenNudge],
    now: datetime,
    tz: ZoneInfo,
    out: Console,
    more: int,
    verbose: bool,
) -> None:
    local = now.astimezone(tz)
    if not items and more:
        out.print(
            f"Nothing urgent today ({local:%a %d %b %Y}); +{more} more: followup digest --all"
        )
        return
    if not items:
        out.print(f"Nothing needs you today ({local:%a %d %b %Y}).")
        return
    # Here, not at the top: sync and the other commands print no digest (start-up).
    from followup.digest.items import build_view

    view = build_view(items, now, tz)
    out.print(Text(f"followup — {local:%a %d %b %Y %H:%M} — {view.count} to look at", style="bold"))
    for section in view.sections:
        out.print()
        out.print(Text(f"{section.title} ({len(section.items)})", style="bold underline"))
        for item in section.items:
            line = Text()
            line.append(f"[{item.number}] ", style="cyan")
            line.append(item.title, style="bold")
            line.append(f" — {item.reason}")
            _wrapped(out, line, indent=len(f"[{item.number}] "))
            bits = []
            if item.subject and item.kind not in ("before_meeting", "after_meeting"):
                bits.append(f"“{item.subject}”")
            if item.kind == "promise":  # the other reasons say their age already
                bits.append("written " + item.when)
            if verbose and item.message_id:
                bits.append(f"<{item.message_id}>")
            if bits:
                _wrapped(out, Text("      " + " · ".join(bits), style="dim"), indent=6)
    if more:
        out.print()
        out.print(Text(f"+{more} more: followup digest --all", style="dim"))


def _wrapped(out: Console, text: Text, indent: int) -> None:
    """``text`` wrapped at words to the console's width, later lines indented."""
    width = out.width
    if width <= indent + 20:  # too narrow to indent: the console's own word wrapping
        out.print(text, soft_wrap=False)
        return
    head = text.wrap(out, width, overflow="fold")[0]
    head.rstrip()
    out.print(head, soft_wrap=True)
    rest = text[len(head.plain) :]
    rest = rest[len(rest.plain) - len(rest.plain.lstrip()) :]  # the break's space
    if rest.plain:
        for line in rest.wrap(out, width - indent, overflow="fold"):
            line.rstrip()
            out.print(Text(" " * indent) + line, soft_wrap=True)


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
