"""`followup run`: one full cycle, the cron entry.

Its own module, light at import: a run that finds nothing changed (followup.quiet_run)
prints its line without importing the store, the runner or rich. Both paths end in
``emit``, so they print alike.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from followup.cli.context import AppContext, json_option, now_option, parse_now, pass_app
from followup.safe_text import clean_line, dump_json

if TYPE_CHECKING:
    from followup.config import Config
    from followup.quiet_run import QuietReport
    from followup.runner import RunReport

EXIT_SOURCE_FAILED = 1


@dataclass
class Outcome:
    """What the command prints about a run, from either path."""

    sources: list[dict[str, Any]]  # sync.SourceReport.to_dict()
    errors: list[str]  # the failed sources' errors
    new_messages: int
    analysed: int = 0
    backlog: int = 0
    findings: int = 0
    analysis_failed: int = 0
    plan_failed: int = 0
    open: int = 0
    new: int = 0
    closed: int = 0
    replanned: bool = True
    delivery: Any = None  # digest.deliver.DeliveryResult
    replies: dict[str, Any] | None = None  # digest.replies.ReplyReport.to_dict()
    applied: int = 0  # commands applied from replies to the digest
    problems: list[str] = field(default_factory=list)  # ... and those that failed


def from_report(report: RunReport, open_nudges: int) -> Outcome:
    return Outcome(
        sources=[s.to_dict() for s in report.sources],
        errors=[s.error for s in report.sources if s.error],
        new_messages=sum(s.new for s in report.sources),
        analysed=report.analysed,
        backlog=report.backlog,
        findings=report.findings,
        analysis_failed=report.analysis_failed,
        plan_failed=report.plan_failed,
        open=open_nudges,
        new=report.plan.new if report.plan else 0,
        closed=report.plan.closed if report.plan else 0,
        # False: nothing changed, the last plan stands (plan_reuse.py).
        replanned=not report.plan_reused,
        delivery=report.delivery,
        replies=report.replies.to_dict() if report.replies else None,
        applied=report.replies.applied if report.replies else 0,
        problems=list(report.replies.problems) if report.replies else [],
    )


def from_quiet(quiet: QuietReport) -> Outcome:
    return Outcome(
        sources=quiet.source_dicts(),
        errors=[],
        new_messages=0,
        backlog=quiet.backlog,
        open=quiet.open_nudges,
        replanned=False,
        replies={"replies": 0, "applied": 0, "problems": []} if quiet.replies else None,
    )


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
    cfg = app.config
    now = parse_now(now_, cfg.me.tz)
    if not (analyse_all or history_seconds):  # both ask for work on the history
        from followup.quiet_run import quiet_run

        found = quiet_run(cfg, now, deliver=not no_send)
        if found is not None:
            warn_if_exposed(app)
            emit(from_quiet(found), cfg, json_=json_, quiet=quiet, no_send=no_send)
            return
    from contextlib import nullcontext

    from followup.analysis_process import AnalysisProcess, wanted
    from followup.quiet_run import QUIET_KINDS

    # The pipeline loads in a child while the run syncs (analysis_process.py): at once
    # when every mailbox is local (the quiet check saw a change: new mail, most likely),
    # else when the sync stores new mail (a network mailbox is looked at every run).
    local = all(m.kind in QUIET_KINDS for m in cfg.mail)
    early = (
        AnalysisProcess(cfg.nlp.pipeline, start=local, identity_cache=cfg.model_identity_cache())
        if wanted()
        else nullcontext()
    )
    from followup.cli.output import progress_reporter
    from followup.lock import LockedError, cycle_lock
    from followup.runner import run_once

    try:
        with early, cycle_lock(cfg.home, lambda: app.store) as store:
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
                    load_pipeline=early.pipeline if isinstance(early, AnalysisProcess) else None,
                    on_new_mail=early.start if isinstance(early, AnalysisProcess) else None,
                )
    except LockedError as e:
        click.echo(str(e), err=True)
        return
    from followup.store.nudges import count_open

    emit(
        from_report(report, count_open(app.store, now)),
        cfg,
        json_=json_,
        quiet=quiet,
        no_send=no_send,
    )


def warn_if_exposed(app: AppContext) -> None:
    """One line on stderr when the store or the home is open to other users."""
    from followup.private_files import exposure_warning

    line = exposure_warning(app.config.home, app.config.database_url())
    if line:
        click.echo(line, err=True)


def emit(out: Outcome, cfg: Config, *, json_: bool, quiet: bool, no_send: bool) -> None:
    """Print the run's outcome (and exit 1 when a source or the digest failed)."""
    if json_:
        click.echo(
            dump_json(
                {
                    "sources": out.sources,
                    "analysed": out.analysed,
                    "analysis_backlog": out.backlog,
                    "findings": out.findings,
                    "analysis_failed": out.analysis_failed,
                    "planning_failed": out.plan_failed,
                    "nudges": {
                        "open": out.open,
                        "new": out.new,
                        "closed": out.closed,
                        "replanned": out.replanned,
                    },
                    "digest": _delivery_dict(out.delivery),
                    "replies": out.replies,
                },
            )
        )
    else:
        for error in out.errors:
            click.echo(f"Error: {clean_line(error, 500)}", err=True)
    if not (json_ or quiet):
        click.echo(
            f"Synced {out.new_messages} new messages, analysed {out.analysed}, "
            f"{out.open} open nudges ({out.new} new)."
        )
        for count, what in (
            (out.analysis_failed, "analysis failed for {} message{} (no findings kept)"),
            (out.plan_failed, "planning failed for {} nudge{} (dropped)"),
        ):
            if count:
                click.echo(what.format(count, "" if count == 1 else "s"))
        if out.applied:
            click.echo(f"Applied {out.applied} commands from replies to the digest.")
        if out.delivery is not None:
            click.echo(clean_line(_delivery_line(out.delivery), 500))
    from followup.digest.undeliverable import delivery_problem

    undeliverable = delivery_problem(cfg)
    if undeliverable and not no_send:
        click.echo(undeliverable, err=True)
    # Problems with replies to the digest quote the reply's text: clean lines.
    for p in out.problems:
        click.echo(f"Warning: {clean_line(p, 500)}", err=True)
    delivery_error = getattr(out.delivery, "error", None)
    if delivery_error and (quiet or json_):
        click.echo(f"Error: digest not sent: {clean_line(delivery_error, 500)}", err=True)
    if out.errors or delivery_error:
        sys.exit(EXIT_SOURCE_FAILED)


def _delivery_dict(delivery: object) -> object:
    if delivery is None:
        return None
    to_dict = getattr(delivery, "to_dict", None)
    return to_dict() if callable(to_dict) else str(delivery)


def _delivery_line(delivery: object) -> str:
    summary = getattr(delivery, "summary", None)
    return summary() if callable(summary) else str(delivery)
