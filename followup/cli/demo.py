"""followup demo: the whole pipeline on the bundled demo mailbox and calendar."""

from __future__ import annotations

import shutil

import click

from followup.cli.commands import emit_digest
from followup.cli.context import (
    AppContext,
    format_option,
    json_option,
    now_option,
    parse_now,
    pass_app,
)
from followup.cli.output import progress_reporter


@click.command()
@format_option
@click.option("--keep", is_flag=True, help="Keep the demo's database from the last run.")
@now_option
@json_option
@pass_app
def demo(app: AppContext, fmt: str, keep: bool, now_: str | None, json_: bool) -> None:
    """Run sync, analysis and planning on the bundled demo data and print the digest.

    No account needed: the demo is a fictional mailbox and calendar shipped with
    followup. Its clock is fixed (the demo's "today") unless --now is given.

    \b
    Example usage:
        followup demo
        followup demo --json
    """
    from followup.config import followup_home, load_config
    from followup.demo import DEMO_NOW, demo_config_toml
    from followup.runner import run_once
    from followup.store.nudges import list_nudges

    state_dir = followup_home() / "demo"
    if not keep and state_dir.exists():
        shutil.rmtree(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    cfg_path = state_dir / "config.toml"
    cfg_path.write_text(demo_config_toml(state_dir), encoding="utf-8")
    cfg = load_config(cfg_path)
    now = parse_now(now_, cfg.me.tz) if now_ else DEMO_NOW
    app.config_path, app._config = cfg_path, cfg
    with progress_reporter(not json_) as progress:
        run_once(cfg, now=now, store=app.store, deliver=False, progress=progress)
    items = list_nudges(app.store, now)
    emit_digest(items, now, cfg.me.tz, "json" if json_ else fmt)
