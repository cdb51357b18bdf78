"""The user's decisions (done, snooze, dismiss, mute) and the people views."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from followup.actions import Action, Command, When, apply, parse_when, resolve, split_snooze
from followup.addresses import address_problem
from followup.cli.context import AppContext, json_option, now_option, parse_now, pass_app
from followup.errors import UserError
from followup.people import name_from_address, strength, usual_gap
from followup.safe_text import clean_line, dump_json
from followup.wording import describe

if TYPE_CHECKING:
    from collections.abc import Callable

    from followup.state import Contact, PlanningState

# Nudge numbers are small; anything past this is a typo (and would overflow SQLite).
MAX_NUMBER = 999_999_999


def _check_refs(refs: tuple[str, ...]) -> tuple[str, ...]:
    """Nudge numbers (1..MAX_NUMBER, ASCII digits) or nudge keys ("reply:<id>")."""
    for ref in refs:
        if ref.isascii() and ref.isdigit():
            if not 1 <= int(ref) <= MAX_NUMBER:
                raise UserError(
                    f"No nudge {ref[:20]}: 'followup digest' lists them with their numbers"
                )
        elif ":" not in ref:
            shown = repr(ref) if len(ref) <= 40 else repr(ref[:37] + "...")
            raise UserError(
                f"{shown} is not a nudge number: 'followup digest' lists them with their numbers"
            )
    return refs


def _apply_all(app: AppContext, commands: list[Command], now: datetime) -> None:
    for cmd in commands:
        click.echo(apply(app.store, cmd, now, app.config.me.tz).shown)


def _set_each(app: AppContext, refs: tuple[str, ...], action: Action) -> None:
    now = datetime.now(UTC)
    _apply_all(app, [_nudge_command(action, r) for r in _check_refs(refs)], now)


def _nudge_command(action: Action, ref: str, when: When | None = None) -> Command:
    if ref.isdigit():
        return Command(action, number=int(ref), snooze=when)
    return Command(action, key=ref, snooze=when)


def _is_ref(arg: str) -> bool:
    return (arg.isascii() and arg.isdigit()) or re.fullmatch(r"[a-z_]+:\S+", arg) is not None


@click.command()
@click.argument("nudges", nargs=-1, required=True, metavar="NUMBER...")
@pass_app
def done(app: AppContext, nudges: tuple[str, ...]) -> None:
    """Mark nudges done; they stay done across runs.

    \b
    Example usage:
        followup done 3
        followup done 3 5
    """
    _set_each(app, nudges, "done")


@click.command()
@click.argument("nudges", nargs=-1, required=True, metavar="NUMBER...")
@pass_app
def dismiss(app: AppContext, nudges: tuple[str, ...]) -> None:
    """Dismiss nudges that are not worth doing; they will not come back.

    \b
    Example usage:
        followup dismiss 4
    """
    _set_each(app, nudges, "dismiss")


@click.command()
@click.argument("nudges", nargs=-1, required=True, metavar="NUMBER...")
@pass_app
def reopen(app: AppContext, nudges: tuple[str, ...]) -> None:
    """Reopen nudges marked done, dismissed or snoozed."""
    _set_each(app, nudges, "reopen")


@click.command()
@click.argument("args", nargs=-1, required=True, metavar="NUMBER... [WHEN]")
@now_option
@pass_app
def snooze(app: AppContext, args: tuple[str, ...], now_: str | None) -> None:
    """Hide nudges until later (3d, 2 weeks, tomorrow, until Monday, 2026-04-01).

    The numbers may come before or after when; without a when, one day.

    \b
    Example usage:
        followup snooze 2 3d
        followup snooze 3d 2
        followup snooze 5 6 until Monday
    """
    split = split_snooze(args, _is_ref)
    if split is None:
        raise UserError(
            "Which nudges? Give their numbers, e.g. 'followup snooze 2 3d': "
            "'followup digest' lists them"
        )
    refs, text = split
    when = parse_when(text)  # a UserError when it is not one, or out of range
    now = parse_now(now_, app.config.me.tz)
    resolve(when, now, app.config.me.tz)  # out of range: one line before anything changes
    _apply_all(app, [_nudge_command("snooze", r, when) for r in _check_refs(tuple(refs))], now)


def _check_email(email: str) -> str:
    email = email.strip().lower()
    problem = address_problem(email, "address")
    if problem:
        raise UserError(problem)
    return email


def _people(app: AppContext, action: Action, addresses: tuple[str, ...], off: bool = False) -> None:
    now = datetime.now(UTC)
    for a in addresses:
        _apply_all(app, [Command(action, address=_check_email(a), off=off)], now)


@click.command()
@click.argument("addresses", nargs=-1, required=True, metavar="EMAIL...")
@pass_app
def mute(app: AppContext, addresses: tuple[str, ...]) -> None:
    """Never nudge about these people again (until unmuted).

    \b
    Example usage:
        followup mute dana@example.com
    """
    _people(app, "mute", addresses)


@click.command()
@click.argument("addresses", nargs=-1, required=True, metavar="EMAIL...")
@pass_app
def unmute(app: AppContext, addresses: tuple[str, ...]) -> None:
    """Nudge about these people again."""
    _people(app, "unmute", addresses)


@click.command()
@click.argument("addresses", nargs=-1, required=True, metavar="EMAIL...")
@click.option("--off", is_flag=True, help="Remove the mark.")
@pass_app
def important(app: AppContext, addresses: tuple[str, ...], off: bool) -> None:
    """Mark people as important: they get reconnect nudges whatever the history."""
    _people(app, "important", addresses, off=off)


def _contacts(app: AppContext, now: datetime) -> PlanningState:
    from followup.identity import my_addresses
    from followup.store.load import load_state

    cfg = app.config
    state = load_state(
        app.store,
        me=my_addresses(cfg, app.store),
        domains=frozenset(cfg.me.domains),
        now=now,
        window=cfg.rules.lookback.delta,
        mute=frozenset(cfg.rules.mute),
        important=frozenset(cfg.rules.important),
    )
    return state


def _no_history_why(app: AppContext, now: datetime) -> str:
    """Why a person or the list has no history at ``now``: nothing synced, or mail
    only outside the two years before it (an archive, or a --now before the mail)."""
    from followup.store.counts import mail_span
    from followup.store.load import HISTORY

    span = mail_span(app.store)
    if span is None:
        return "nothing synced yet: run 'followup sync' first"
    first, last = span
    if last < now - HISTORY or first > now:
        day = last.astimezone(app.config.me.tz).date().isoformat()
        return (
            f"the history is the {HISTORY.days // 365} years of mail before now, and the "
            f"newest mail is from {day} (try --now {day})"
        )
    return ""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _person_dict(c: Contact, now: datetime) -> dict[str, Any]:
    st = strength(c, now)
    gap = usual_gap(c)
    last = c.last_contact
    return {
        "email": c.email,
        "name": c.name or name_from_address(c.email),
        "strength": st.score,
        "two_way": st.two_way,
        "days_in_contact": st.exchanges,
        "received": len(c.received),
        "sent": len(c.sent),
        "meetings": len(c.met),
        "last_contact": last.isoformat() if last else None,
        "usual_gap_days": round(gap.total_seconds() / 86400, 1) if gap else None,
        "last_subject": c.last_subject,
        "muted": c.muted,
        "important": c.important,
    }


@click.command()
@click.option("--limit", default=30, show_default=True, help="How many people to list.")
@click.option("--all", "show_all", is_flag=True, help="Include one-way and muted contacts.")
@now_option
@json_option
@pass_app
def people(app: AppContext, limit: int, show_all: bool, now_: str | None, json_: bool) -> None:
    """List who matters most: strength, last contact, usual rhythm.

    \b
    Example usage:
        followup people
        followup people --limit 100 --json
    """
    from followup.cli.output import console

    now = parse_now(now_, app.config.me.tz)
    state = _contacts(app, now)
    rows = [_person_dict(c, now) for c in state.contacts.values()]
    if not show_all:
        rows = [r for r in rows if r["two_way"] and not r["muted"]]
    rows.sort(key=lambda r: (-r["strength"], r["email"]))
    rows = rows[:limit]
    if json_:
        click.echo(dump_json(rows))
        return
    if not rows and (why := _no_history_why(app, now)):
        click.echo(f"No one to list: {why}.")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False)
    table.add_column("Person", no_wrap=True, overflow="ellipsis", max_width=24)
    table.add_column("Address", no_wrap=True, overflow="ellipsis", max_width=30)
    for col in ("Strength", "Last contact", "Usual rhythm", "In/out"):
        table.add_column(col, no_wrap=True)
    for r in rows:
        last = datetime.fromisoformat(r["last_contact"]) if r["last_contact"] else None
        since = describe(now - last) + " ago" if last else "-"
        gap = f"every ~{r['usual_gap_days']:.0f} days" if r["usual_gap_days"] else "-"
        flag = " (muted)" if r["muted"] else (" ★" if r["important"] else "")
        # Text cells: a name is shown as written, never read as markup.
        table.add_row(
            Text(clean_line(r["name"], 80) + flag),
            Text(clean_line(r["email"], 120)),
            f"{r['strength']:.0f}",
            since,
            gap,
            f"{r['received']}/{r['sent']}",
        )
    console().print(table)


def _find_person(state: PlanningState, who: str, why: Callable[[], str]) -> str:
    """An address as given, or the one person whose name matches ``who`` (``why`` says
    why no one is known, when it is not a misspelling)."""
    if "@" in who:
        return _check_email(who)
    wanted = " ".join(who.lower().split())
    named = {e: c.name or name_from_address(e) for e, c in state.contacts.items()}
    exact = sorted(e for e, n in named.items() if " ".join(n.lower().split()) == wanted)
    found = exact or sorted(e for e, n in named.items() if wanted and wanted in n.lower())
    if not found:
        hint = why() or "'followup people --all' lists known people"
        raise UserError(f"No one called {clean_line(who, 80)!r}: {hint}")
    if len(found) > 1:
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise UserError(
            f"{clean_line(who, 80)!r} matches several people ({shown}): give the address"
        )
    return found[0]


@click.command()
@click.argument("who", metavar="EMAIL|NAME")
@click.option(
    "--allow",
    "allow_kind",
    metavar="KIND",
    help="Nudge again about a kind you stopped by dismissing it twice (or 'all').",
)
@now_option
@json_option
@pass_app
def person(
    app: AppContext, who: str, allow_kind: str | None, now_: str | None, json_: bool
) -> None:
    """Show one person: history, rhythm, and the open nudges about them.

    \b
    Example usage:
        followup person dana@example.com
        followup person "Dana Lee"
        followup person dana@example.com --allow reply
    """
    from followup.nudges import KIND_ORDER
    from followup.store.learning import allow, stopped_pairs
    from followup.store.nudges import list_nudges

    now = parse_now(now_, app.config.me.tz)
    state = _contacts(app, now)
    email = _find_person(state, who, lambda: _no_history_why(app, now))
    c = state.contacts.get(email)
    if c is None:
        why = _no_history_why(app, now) or "'followup people --all' lists known people"
        raise UserError(f"No history with {email}: {why}")
    if allow_kind is not None:
        if allow_kind != "all" and allow_kind not in KIND_ORDER:
            raise UserError(f"--allow {allow_kind!r}: use one of {', '.join(KIND_ORDER)} or all")
        n = allow(app.store, email, None if allow_kind == "all" else allow_kind, now)
        click.echo(
            f"Nudging again about {email} ({_count(n, 'dismissal')} withdrawn)."
            if n
            else f"Nothing was stopped for {email}."
        )
    stopped = stopped_pairs(app.store, email)
    d = _person_dict(c, now)
    items = [
        o for o in list_nudges(app.store, now) if o.nudge.person and o.nudge.person.email == email
    ]
    if json_:
        from followup.digest.render import render_json

        d["nudges"] = render_json(items, now, app.config.me.tz)
        d["stopped"] = sorted(kind for kind, _ in stopped)
        click.echo(dump_json(d))
        return
    tz = app.config.me.tz
    click.echo(f"{clean_line(d['name'], 80)} <{email}>" + (" (muted)" if d["muted"] else ""))
    last = datetime.fromisoformat(d["last_contact"]).astimezone(tz) if d["last_contact"] else None
    click.echo(
        f"  strength {d['strength']:.0f}, {_count(d['received'], 'message')} in, "
        f"{d['sent']} out, {_count(d['meetings'], 'meeting')}"
    )
    if last:
        click.echo(
            f"  last contact {last:%a %d %b %Y} ({describe(now - last.astimezone(UTC))} ago)"
            + (f", re: {clean_line(d['last_subject'], 160)}" if d["last_subject"] else "")
        )
    if d["usual_gap_days"]:
        click.echo(f"  usual rhythm: every ~{d['usual_gap_days']:.0f} days")
    from followup.digest.items import build_view

    for item in (i for s in build_view(items, now, tz).sections for i in s.items):
        click.echo(f"  [{item.number}] {item.title} — {item.reason}")
    for (kind, _), n in sorted(stopped.items()):
        click.echo(
            f"  stopped: {kind} nudges (you dismissed {n}); "
            f"undo: followup person {email} --allow {kind}"
        )
