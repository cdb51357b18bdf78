"""Generate the bundled demo: a maildir++ mailbox, an ICS calendar and the plan.

Run ``python -m tools.demo.generate`` from the repository to rewrite
``followup/demo/data`` (or pass ``--out DIR``). The output is byte-for-byte
deterministic: a fixed seed, fixed Message-IDs and MIME boundaries, no clock.

The demo user is Penny Example; the clock is ``DEMO_NOW`` (Tue 2026-03-17 07:30,
America/Chicago). Besides months of ordinary two-way mail, newsletters and
notifications, the mailbox plants one or more situations for every nudge kind (one
module each), and situations that must *not* produce a nudge. ``plan.json`` lists both;
the tests check the app's digest against it.

The generator is a development tool: it is not installed with followup, which ships
only the data it wrote.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from followup.demo import DEMO_DIR
from tools.demo.automated import plant_automated
from tools.demo.background import chatter, internal
from tools.demo.cast import ME, ME_EMAILS
from tools.demo.clock import ARCHIVE_BEFORE, CHICAGO, NOW, UNREAD_SINCE
from tools.demo.follow_up import plant_follow_up
from tools.demo.ics import render_ics
from tools.demo.mail import write_maildir
from tools.demo.meetings import plant_meetings
from tools.demo.promises import plant_promise, plant_waiting_on
from tools.demo.reconnect import reconnect_people
from tools.demo.reply import plant_reply
from tools.demo.scenario import Demo

DEFAULT_OUT = DEMO_DIR


def build() -> Demo:
    """The whole demo. The order matters: every step draws from the one seeded random
    generator, so reordering them changes the data."""
    demo = Demo()
    chatter(demo)
    reconnect_people(demo)
    internal(demo)
    plant_reply(demo)
    plant_follow_up(demo)
    plant_promise(demo)
    plant_waiting_on(demo)
    plant_meetings(demo)
    plant_automated(demo)
    for m in demo.box.mails:
        if m.date >= NOW:
            raise ValueError(f"message after DEMO_NOW: {m.subject!r} {m.date}")
    return demo


def generate(out: Path = DEFAULT_OUT) -> dict[str, Any]:
    """Write ``mail/``, ``calendar.ics`` and ``plan.json`` under ``out``; return the plan."""
    demo = build()
    out.mkdir(parents=True, exist_ok=True)
    # Keep bytes as generated: the ICS needs CRLF, the messages LF, on every checkout.
    (out / ".gitattributes").write_text("* -text\n", encoding="utf-8")
    folders = write_maildir(out / "mail", demo.box.mails, ME_EMAILS, ARCHIVE_BEFORE, UNREAD_SINCE)
    (out / "calendar.ics").write_bytes(
        render_ics(demo.events, datetime(2026, 3, 1, 12, 0, tzinfo=CHICAGO))
    )
    plan = {
        "now": NOW.isoformat(),
        "me": ME,
        "expected": demo.expected,
        "not_expected": demo.not_expected,
        "mute": demo.mute,
        "counts": demo.counts(folders),
    }
    (out / "plan.json").write_text(
        json.dumps(plan, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return plan


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Generate the followup demo mailbox, calendar and plan."
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output directory (default: the package data)"
    )
    args = parser.parse_args(argv)
    plan = generate(args.out)
    c = plan["counts"]
    print(
        f"wrote {args.out}: {c['messages']} messages, {c['people']} people, {c['events']} events, "
        f"{len(plan['expected'])} expected nudges, {len(plan['not_expected'])} non-situations"
    )


if __name__ == "__main__":
    main()
