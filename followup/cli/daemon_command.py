"""``followup daemon``: the run cycle in a loop (registered by followup.cli)."""

from __future__ import annotations

import logging
import re
import sys
from datetime import timedelta

import click

from followup.cli.context import AppContext, pass_app
from followup.errors import UserError


@click.command()
@click.option(
    "--every",
    default="15m",
    show_default=True,
    metavar="DURATION",
    help="Time between cycles, e.g. 15m, 1h.",
)
@click.option("--no-send", is_flag=True, help="Do everything but send the digest email.")
@click.option(
    "--cycles",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after this many cycles (default: run until stopped).",
)
@pass_app
def daemon(app: AppContext, every: str, no_send: bool, cycles: int | None) -> None:
    """Run the full cycle in a loop until stopped (SIGTERM or Ctrl-C).

    Each cycle is what `followup run` does; the digest goes out at [digest] at. On
    SIGTERM/SIGINT the current step finishes and the daemon exits 0. The config is read
    once: restart the daemon after editing it.

    \b
    Example usage:
        followup daemon
        followup daemon --every 30m
    """
    from followup.daemon import Daemon, run_cycle, stop_on_signals
    from followup.durations import parse_duration

    seconds = re.fullmatch(r"\s*(\d+)\s*(?:s|secs?|seconds?)\s*", every)
    try:
        interval = timedelta(seconds=int(seconds.group(1))) if seconds else None
        if interval is None:
            duration = parse_duration(every)
            if duration.business:
                raise ValueError("business days cannot be an interval")
            interval = duration.delta
    except ValueError as e:
        raise UserError(f"--every {every!r}: {e}; e.g. 15m, 1h, 30s") from e
    if interval.total_seconds() < 1:
        raise UserError(f"--every {every!r}: use an interval of a second or more, e.g. 15m")
    if app.verbose == 0:
        # One summary line per cycle is the daemon's normal output (journald, a log file).
        logging.getLogger("followup").setLevel(logging.INFO)
    config = app.config
    has_route = config.digest.smtp is not None or config.digest.imap_account is not None
    deliver = not no_send and has_route and bool(config.digest.to)
    loop = Daemon(
        cycle=lambda now, skip, progress: run_cycle(
            config, now, skip, progress, deliver=not no_send
        ),
        every=interval,
        digest_at=config.digest.at if deliver else None,
        tz=config.me.tz,
        max_cycles=cycles,
    )
    with stop_on_signals(loop):
        code = loop.run()
    sys.exit(code)
