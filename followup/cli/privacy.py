"""followup forget / purge: remove a person, or old history, from the store for good."""

from __future__ import annotations

import sys
from datetime import date, datetime, time

import click

from followup.addresses import is_address
from followup.cli.context import AppContext, now_option, parse_now, pass_app
from followup.errors import UserError

# A run in progress (sync, plan, send) finishes first: it read the store before us.
LOCK_WAIT_SECONDS = 60


def _interactive() -> bool:
    return sys.stdin.isatty()


def _confirm(question: str) -> None:
    """Ask in a terminal; elsewhere (cron, a pipe) require --yes instead of guessing."""
    if not _interactive():
        raise UserError("This removes data for good: confirm in a terminal, or pass --yes")
    if not click.confirm(question, default=False):
        click.echo("Nothing removed.")
        raise SystemExit(1)


@click.command()
@click.argument("address", metavar="EMAIL")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@now_option
@pass_app
def forget(app: AppContext, address: str, yes: bool, now_: str | None) -> None:
    """Remove a person from the store: their mail, findings, nudges and flags.

    Removed: the messages they sent and those exchanged only with them, what was found
    in them, the nudges about them, their address, name and mute/important flags.
    Messages with other people stay, without them. Later syncs do not store the removed
    mail again; mail they send from now on is stored as usual.

    \b
    Example usage:
        followup forget dana@example.com
        followup forget dana@example.com --yes
    """
    from followup.identity import my_addresses
    from followup.lock import run_lock
    from followup.store.privacy import forget_address

    email = address.strip().lower()
    if not is_address(email):
        raise UserError(f"{address!r} is not an email address")
    cfg = app.config
    now = parse_now(now_, cfg.me.tz)
    me = my_addresses(cfg, app.store)
    if email in me:
        raise UserError(
            f"{email} is one of your own addresses ([me] addresses or your sent folders); "
            "forget is for other people"
        )
    if not yes:
        preview = forget_address(app.store, email, me, now, preview=True)
        _confirm(f"Forget {email}: remove {preview.summary()}?")
    # Another run waits or gives up with one line (LockedError), never half-removed data.
    with run_lock(cfg.home, timeout=LOCK_WAIT_SECONDS):
        removed = forget_address(app.store, email, me, now)
    click.echo(f"Forgot {email}: {removed.summary()}.")
    for key, listed in (("mute", cfg.rules.mute), ("important", cfg.rules.important)):
        if email in {a.lower() for a in listed}:
            where = f" in {cfg.path}" if cfg.path else ""
            click.echo(f"Note: {email} is still listed in [rules] {key}{where}; remove it there.")


@click.command()
@click.option(
    "--before", "before", required=True, metavar="YYYY-MM-DD", help="Remove what is older."
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@now_option
@pass_app
def purge(app: AppContext, before: str, yes: bool, now_: str | None) -> None:
    """Remove mail and meetings from before a date, for good.

    Messages dated before DATE (midnight in [me] timezone) go, with what was found in
    them, the nudges only they support, and calendar events that started before DATE.
    Later syncs do not store that mail again.

    \b
    Example usage:
        followup purge --before 2025-01-01
    """
    from followup.lock import run_lock
    from followup.store.privacy import purge_before

    cfg = app.config
    try:
        day = date.fromisoformat(before)
    except ValueError as e:
        raise UserError(f"--before {before!r} is not a date; use YYYY-MM-DD") from e
    now = parse_now(now_, cfg.me.tz)
    cutoff = datetime.combine(day, time(0), tzinfo=cfg.me.tz)
    if cutoff > now:
        raise UserError(f"--before {before} is in the future: purge removes history only")
    if not yes:
        preview = purge_before(app.store, cutoff, now, preview=True)
        _confirm(f"Remove {preview.summary()} from before {day}?")
    # Another run waits or gives up with one line (LockedError), never half-removed data.
    with run_lock(cfg.home, timeout=LOCK_WAIT_SECONDS):
        removed = purge_before(app.store, cutoff, now)
    click.echo(f"Purged {removed.summary()} from before {day}.")
