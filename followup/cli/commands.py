"""The pipeline commands: init, sync, digest (run: run_command.py)."""

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
from followup.cli.run_command import EXIT_SOURCE_FAILED, warn_if_exposed
from followup.config import default_config_path, parse_since
from followup.errors import UserError
from followup.safe_text import clean_line, dump_json

if TYPE_CHECKING:
    from followup.config import Config
    from followup.nudges import OpenNudge
    from followup.store.store import Store

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
    from followup.private_files import sqlite_path
    from followup.source_process import MailChildren

    cfg = app.config
    now = parse_now(now_, cfg.me.tz)
    try:
        since_date = parse_since(since)
    except ValueError as e:
        raise UserError(f"--since {since!r} is not a date; use YYYY-MM-DD") from e
    warn_if_exposed(app)
    children = MailChildren()

    def start_then_open() -> Store:
        # The IMAP readers start before the store's imports, which they overlap; on a
        # store not created yet, they read at once (no checkpoints to wait for).
        db = sqlite_path(cfg.database_url())
        new_store = db is not None and not db.exists()
        children.start(cfg.mail, only=only, since=since_date, new_store=new_store)
        return app.store

    try:
        with (
            cycle_lock(cfg.home, start_then_open, timeout=INTERACTIVE_WAIT) as store,
            children,
            progress_reporter(not json_) as progress,
        ):
            from followup.sync import SourceOpeners, sync_all

            openers = SourceOpeners(mail=children.opener)
            reports = sync_all(
                store, cfg, now, only=only, since=since_date, progress=progress, openers=openers
            )
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
