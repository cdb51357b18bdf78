"""The pipeline commands: init, sync, digest, run."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from followup.cli.context import (
    AppContext,
    format_option,
    json_option,
    now_option,
    parse_now,
    pass_app,
)
from followup.cli.output import console, print_digest, print_digest_footer, progress_reporter
from followup.config import default_config_path, parse_since
from followup.errors import UserError
from followup.safe_text import clean_line, dump_json

if TYPE_CHECKING:
    from followup.config import Config
    from followup.nudges import OpenNudge

EXIT_SOURCE_FAILED = 1
# sysexits.h EX_TEMPFAIL: an interactive command found a cycle running; try again later.
EXIT_BUSY = 75


def example_config_text() -> str:
    """config.example.toml as shipped (package data, or the repo root in a checkout)."""
    from importlib import resources

    try:
        return resources.files("followup").joinpath("config.example.toml").read_text("utf-8")
    except FileNotFoundError:
        root = Path(__file__).resolve().parents[2]
        return (root / "config.example.toml").read_text("utf-8")


@click.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.pass_obj
def init(app: AppContext, force: bool) -> None:
    """Write a commented config file to edit.

    \b
    Example usage:
        followup init
        followup --config ./my.toml init
    """
    path = app.config_path or default_config_path()
    if path.exists() and not force:
        raise UserError(f"{path} exists already; edit it, or pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(example_config_text(), encoding="utf-8")
    click.echo(f"Wrote {path}: edit [me] and add your [[mail]] sources, then run 'followup sync'.")


def warn_if_exposed(app: AppContext) -> None:
    """One line on stderr when the store or the home is open to other users."""
    from followup.private_files import exposure_warning

    line = exposure_warning(app.config.home, app.config.database_url())
    if line:
        click.echo(line, err=True)


@click.command()
@click.option("--source", "only", metavar="NAME", help="Sync only this source.")
@click.option("--since", metavar="YYYY-MM-DD", help="Bound the first sync of a large mailbox.")
@now_option
@json_option
@pass_app
def sync(
    app: AppContext, only: str | None, since: str | None, now_: str | None, json_: bool
) -> None:
    """Read the configured mail and calendar sources into the store.

    \b
    Example usage:
        followup sync
        followup sync --source work --since 2025-01-01 --json
    """
    from followup.lock import INTERACTIVE_WAIT, LockedError, cycle_lock
    from followup.sync import sync_all

    cfg = app.config
    now = parse_now(now_, cfg.me.tz)
    try:
        since_date = parse_since(since)
    except ValueError as e:
        raise UserError(f"--since {since!r} is not a date; use YYYY-MM-DD") from e
    warn_if_exposed(app)
    try:
        with (
            cycle_lock(cfg.home, lambda: app.store, timeout=INTERACTIVE_WAIT) as store,
            progress_reporter(not json_) as progress,
        ):
            reports = sync_all(store, cfg, now, only=only, since=since_date, progress=progress)
    except LockedError as e:
        click.echo(f"Error: {e} Try again when it has finished.", err=True)
        sys.exit(EXIT_BUSY)
    if json_:
        click.echo(dump_json([r.to_dict() for r in reports]))
    else:
        # Folder names and errors come from servers and file names: clean lines only.
        for r in reports:
            name = clean_line(r.name, 80)
            if r.error:
                click.echo(f"Error: {clean_line(r.error, 500)}", err=True)
            elif r.events is not None:
                click.echo(f"{name}: {r.events} events")
            else:
                folders = ", ".join(
                    f"{clean_line(f.folder, 80)} {f.new} new" + _extras(f.gone, f.skipped)
                    for f in r.folders.values()
                )
                gone = f", {r.gone} gone" if r.gone else ""
                click.echo(
                    f"{name}: {r.new} new messages{gone}" + (f" — {folders}" if folders else "")
                )
    if any(r.error for r in reports):
        sys.exit(EXIT_SOURCE_FAILED)


def _extras(gone: int, skipped: int) -> str:
    """What follows a folder's count: " (2 gone, 1 skipped)", or nothing."""
    parts = [f"{gone} gone"] if gone else []
    parts += [f"{skipped} skipped"] if skipped else []
    return f" ({', '.join(parts)})" if parts else ""


@click.command()
@format_option
@json_option
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Every nudge, not only the top ones by score; done, snoozed and dismissed too.",
)
@click.option("--limit", type=int, help="Show at most this many items.")
@click.option("--no-plan", is_flag=True, help="Show stored nudges without re-planning.")
@click.option(
    "-v", "--verbose", is_flag=True, help="Show each item's Message-ID (the text format)."
)
@now_option
@pass_app
def digest(
    app: AppContext,
    fmt: str,
    json_: bool,
    show_all: bool,
    limit: int | None,
    no_plan: bool,
    verbose: bool,
    now_: str | None,
) -> None:
    """Show the nudges due now, the top scores first.

    As many as the email shows ([digest] max_items, caps, min_score); --all shows
    every one, --json lists every open nudge with its score.

    \b
    Example usage:
        followup digest
        followup digest --json
        followup digest --format markdown --now 2026-03-17T07:30
    """
    if json_ and fmt not in ("text", "json"):
        raise UserError("Use just one of --json or --format")
    cfg = app.config
    now = parse_now(now_, cfg.me.tz)
    if not no_plan:
        _analyse_and_plan(app, now, show_progress=fmt == "text" and not json_)
    states = ("open", "snoozed", "done", "dismissed") if show_all else ("open",)
    from followup.store.nudges import list_nudges

    items = list_nudges(app.store, now, states=states)
    from followup.digest.source_state import reconnect_lines
    from followup.store.counts import has_synced

    footer = reconnect_lines(app.store)
    if not items and not show_all and not json_ and fmt == "text" and not has_synced(app.store):
        click.echo("Nothing synced yet: run 'followup sync' (or 'followup run') first.")
        print_digest_footer(footer)
        return
    if limit:
        items = items[:limit]
    # The top items by score, as the email shows them; --all (and --json) show every one.
    emit_digest(
        items,
        now,
        cfg.me.tz,
        "json" if json_ else fmt,
        config=None if show_all else cfg,
        footer=footer,
        verbose=verbose or app.verbose > 0,
    )


def _analyse_and_plan(app: AppContext, now: datetime, *, show_progress: bool) -> None:
    """What `digest` does before showing: analyse mail synced but not yet analysed (a
    `sync` without `run`) and plan. Under the cycle lock; if a cycle keeps it for longer
    than a few seconds, the nudges as last planned are shown, with a line saying so."""
    from followup.extract import extract_pending
    from followup.lock import INTERACTIVE_WAIT, LockedError, cycle_lock
    from followup.runner import plan_now

    cfg = app.config
    try:
        with cycle_lock(cfg.home, lambda: app.store, timeout=INTERACTIVE_WAIT) as store:
            with progress_reporter(show_progress) as progress:
                extract_pending(store, cfg, now=now, progress=progress)
            plan_now(store, cfg, now)
    except LockedError:
        click.echo(
            "Note: a followup run is in progress; showing the nudges as last planned.",
            err=True,
        )


def emit_digest(
    items: list[OpenNudge],
    now: datetime,
    tz: ZoneInfo,
    fmt: str,
    *,
    config: Config | None = None,
    footer: Sequence[str] = (),
    verbose: bool = False,
) -> None:
    """Show ``items``; with ``config``, only the digest's selection of them (its
    max_items, caps and min_score) and how many more there are. JSON lists them all.
    ``footer``: lines about the sources (one that needs reconnect), after the items;
    ``verbose``: the terminal shows Message-IDs too."""
    from followup.digest import render

    if fmt == "json":
        click.echo(dump_json(render.render_json(items, now, tz)))
        return
    d = config.digest if config is not None else None
    limits = {"max_items": d.max_items, "caps": d.caps, "min_score": d.min_score} if d else {}
    if fmt == "markdown":
        click.echo(render.render_markdown(items, now, tz, **limits), nl=False)  # type: ignore[arg-type]
    elif fmt == "html":
        click.echo(render.render_html(items, now, tz, footer=footer, **limits), nl=False)  # type: ignore[arg-type]
    elif fmt == "plain":
        click.echo(render.render_plain(items, now, tz, footer=footer, **limits), nl=False)  # type: ignore[arg-type]
    else:
        hidden = 0
        if config is not None:
            from followup.digest.items import sort_key
            from followup.ranking import select_shown

            selection = select_shown(items, now, config)
            hidden = selection.hidden
            items = sorted(selection.shown, key=sort_key)
        print_digest(items, now, tz, out=console(), more=hidden, footer=footer, verbose=verbose)


@click.command()
@click.option("--no-send", is_flag=True, help="Do everything but send the digest email.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something failed.")
@click.option(
    "--analyse-all",
    is_flag=True,
    help="Analyse all the older mail now (by default a slice of it per run, newest first).",
)
@click.option(
    "--history-seconds",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Time this run may spend on older mail (default 2; the daemon does the bulk).",
)
@now_option
@json_option
@pass_app
def run(
    app: AppContext,
    no_send: bool,
    quiet: bool,
    analyse_all: bool,
    history_seconds: float | None,
    now_: str | None,
    json_: bool,
) -> None:
    """Run one full cycle: sync, analyse, plan, and send the digest if due.

    This is the command for cron or a systemd timer (see contrib/).

    \b
    Example usage:
        followup run
        followup run --no-send --json
    """
    from followup.lock import LockedError, cycle_lock
    from followup.runner import run_once

    cfg = app.config
    now = parse_now(now_, cfg.me.tz)
    try:
        with cycle_lock(cfg.home, lambda: app.store) as store:
            warn_if_exposed(app)  # by the run that does the work, not the one turned away
            with progress_reporter(not (json_ or quiet)) as progress:
                report = run_once(
                    cfg,
                    now=now,
                    store=store,
                    deliver=not no_send,
                    progress=progress,
                    analyse_all=analyse_all,
                    history_seconds=history_seconds,
                    # Asked for history time: spend it even with nothing new to analyse.
                    history_alone=bool(history_seconds),
                )
    except LockedError as e:
        click.echo(str(e), err=True)
        return
    from followup.store.nudges import list_nudges

    items = list_nudges(app.store, now)
    if json_:
        click.echo(
            dump_json(
                {
                    "sources": [s.to_dict() for s in report.sources],
                    "analysed": report.analysed,
                    "analysis_backlog": report.backlog,
                    "findings": report.findings,
                    "analysis_failed": report.analysis_failed,
                    "planning_failed": report.plan_failed,
                    "nudges": {
                        "open": len(items),
                        "new": report.plan.new if report.plan else 0,
                        "closed": report.plan.closed if report.plan else 0,
                        # False: nothing changed, the last plan stands (plan_reuse.py).
                        "replanned": not report.plan_reused,
                    },
                    "digest": _delivery_dict(report.delivery),
                    "replies": report.replies.to_dict() if report.replies else None,
                },
            )
        )
    elif not quiet:
        for s in report.sources:
            if s.error:
                click.echo(f"Error: {clean_line(s.error, 500)}", err=True)
        new = report.plan.new if report.plan else 0
        msgs = sum(s.new for s in report.sources)
        click.echo(
            f"Synced {msgs} new messages, analysed {report.analysed}, "
            f"{len(items)} open nudges ({new} new)."
        )
        for count, what in (
            (report.analysis_failed, "analysis failed for {} message{} (no findings kept)"),
            (report.plan_failed, "planning failed for {} nudge{} (dropped)"),
        ):
            if count:
                click.echo(what.format(count, "" if count == 1 else "s"))
        if report.replies and report.replies.applied:
            click.echo(f"Applied {report.replies.applied} commands from replies to the digest.")
        if report.delivery is not None:
            click.echo(clean_line(_delivery_line(report.delivery), 500))
    else:
        for s in report.failed:
            click.echo(f"Error: {clean_line(s.error, 500)}", err=True)
    from followup.digest.undeliverable import delivery_problem

    undeliverable = delivery_problem(cfg)
    if undeliverable and not no_send:
        click.echo(undeliverable, err=True)
    # Problems with replies to the digest quote the reply's text: clean lines.
    problems = list(report.replies.problems) if report.replies else []
    for p in problems:
        click.echo(f"Warning: {clean_line(p, 500)}", err=True)
    delivery_error = getattr(report.delivery, "error", None)
    if delivery_error and (quiet or json_):
        click.echo(f"Error: digest not sent: {clean_line(delivery_error, 500)}", err=True)
    if report.failed or delivery_error:
        sys.exit(EXIT_SOURCE_FAILED)


def _delivery_dict(delivery: object) -> object:
    if delivery is None:
        return None
    to_dict = getattr(delivery, "to_dict", None)
    return to_dict() if callable(to_dict) else str(delivery)


def _delivery_line(delivery: object) -> str:
    summary = getattr(delivery, "summary", None)
    return summary() if callable(summary) else str(delivery)
