"""followup doctor: check config, database, NLP pipeline and every source, without syncing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from followup.cli.context import AppContext, json_option, pass_app
from followup.safe_text import clean_line, dump_json

if TYPE_CHECKING:
    from followup.config import SourceSettings


def _check_source(settings: SourceSettings, calendar: bool) -> dict[str, Any]:
    """Open the source and ask what it can say without syncing: its ``probe`` (a
    login), else its folder names, else only that its options hold."""
    from connectors.base import CalendarSource, ListsFolders, MailSource, Probing
    from connectors.errors import ConnectorError
    from followup.sync import open_calendar_source, open_mail_source

    out: dict[str, Any] = {"source": settings.name, "kind": settings.kind}
    try:
        src: MailSource | CalendarSource = (
            open_calendar_source(settings) if calendar else open_mail_source(settings)
        )
        try:
            if isinstance(src, Probing):
                out["details"] = dict(src.probe())
            elif isinstance(src, ListsFolders):
                out["details"] = {"folders": sorted(src.folders())}
            out["ok"] = True
        finally:
            src.close()
    except ConnectorError as e:
        out.update(ok=False, error=str(e))
    except OSError as e:
        out.update(ok=False, error=f"{settings.name}: {e}")
    return out


@click.command()
@json_option
@pass_app
def doctor(app: AppContext, json_: bool) -> None:
    """Check the config, the database, the NLP pipeline and each source's login.

    \b
    Example usage:
        followup doctor
        followup doctor --json
    """
    import nlp

    cfg = app.config
    report: dict[str, Any] = {"config": str(cfg.path) if cfg.path else None}
    from sqlalchemy.engine import make_url

    report["database"] = make_url(cfg.database_url()).render_as_string(hide_password=True)
    report.update(_schema_report(cfg.database_url()))
    from followup.private_files import exposure_warning

    exposure = exposure_warning(cfg.home, cfg.database_url())
    from followup.digest.undeliverable import delivery_problem

    report["warnings"] = [w for w in (exposure, delivery_problem(cfg)) if w]
    pipe = nlp.load_pipeline(cfg.nlp.pipeline)
    report["nlp_pipeline"] = pipe.name
    report["sources"] = [_check_source(s, False) for s in cfg.mail] + [
        _check_source(s, True) for s in cfg.calendars
    ]
    if json_:
        click.echo(dump_json(report, default=str))
    else:
        click.echo(f"config:    {report['config']}")
        click.echo(f"database:  {report['database']} ({report['messages']} messages)")
        click.echo(f"schema:    {_schema_line(report)}")
        click.echo(f"nlp:       {report['nlp_pipeline']}")
        if report.get("analysed_back_to"):
            click.echo(
                f"history:   analysed back to {report['analysed_back_to']} "
                "(older mail a slice per run; `followup run --analyse-all` for all now)"
            )
        for warning in report["warnings"]:
            click.echo(warning)
        # Folder names and errors come from servers: clean lines only.
        for s in report["sources"]:
            status = "ok" if s["ok"] else f"FAILED: {clean_line(s['error'], 500)}"
            click.echo(f"source {clean_line(s['source'], 80)} ({s['kind']}): {status}")
            for line in _detail_lines(s.get("details") or {}):
                click.echo(f"    {clean_line(line, 500)}")
    # A store from a newer followup is unusable here: every other command refuses it.
    if not all(s["ok"] for s in report["sources"]) or report["migrations_unknown"]:
        raise SystemExit(1)


def _schema_report(url: str) -> dict[str, Any]:
    """The schema version and the steps pending, read without applying them (the next
    command that opens the store applies them; doctor only looks)."""
    from followup.store.store import Store

    store = Store.open(url, migrate=False)
    try:
        return store.schema_report()
    finally:
        store.close()


def _schema_line(report: dict[str, Any]) -> str:
    version, pending = report["schema_version"], report["migrations_pending"]
    if report["migrations_unknown"]:
        return (
            f"{version}, with steps this followup does not know "
            f"({', '.join(report['migrations_unknown'])}): upgrade followup"
        )
    if not pending:
        return f"{version} (up to date)"
    steps = "step" if len(pending) == 1 else "steps"
    return (
        f"{version} ({len(pending)} {steps} pending: {', '.join(pending)}; "
        "the next command that opens the database applies them)"
    )


def _detail_lines(d: dict[str, Any]) -> list[str]:
    """A probe's findings in a few readable lines (--json has all of it)."""
    lines = []
    if d.get("capabilities"):
        caps = [
            c
            for c in d["capabilities"]
            if c in ("CONDSTORE", "QRESYNC", "SPECIAL-USE", "X-GM-EXT-1", "IDLE")
        ]
        lines.append(f"server offers: {', '.join(caps) or 'none of CONDSTORE/SPECIAL-USE'}")
    if "folders" in d:
        names = [f["name"] if isinstance(f, dict) else str(f) for f in d["folders"]]
        lines.append(
            f"{len(names)} folders: {', '.join(names[:12])}" + (" ..." if len(names) > 12 else "")
        )
    if d.get("sent_folder"):
        lines.append(f"sent folder: {d['sent_folder']}")
    for f in d.get("configured", []):
        lines.append(f"{f['folder']} ({f['role']}): {f['messages']} messages")
    for name in d.get("missing", []):
        lines.append(f"missing folder: {name}")
    for c in d.get("calendars", []):
        how = "sync token" if c.get("sync_token") else "no sync token: the window is listed"
        lines.append(f"calendar {c.get('name') or c.get('calendar')}: {how}")
    # Google sources (connectors.gmail / google_calendar probes).
    if d.get("granted_scopes"):
        lines.append("granted: " + ", ".join(s.rsplit("/", 1)[-1] for s in d["granted_scopes"]))
    if d.get("text_note"):
        lines.append(str(d["text_note"]))
    return lines
