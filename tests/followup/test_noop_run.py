"""A run with nothing new to analyse stays cheap: it imports no spaCy (nor thinc or
torch) and builds no pipeline. Checked in a fresh interpreter, after a first run that
analysed everything, through the CLI."""

from __future__ import annotations

import json
import mailbox
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from click.testing import CliRunner

from followup.cli import cli

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
ME = "penny@example.com"

PROBE = """
import json, sys
from followup.cli import cli
try:
    cli(sys.argv[1:], standalone_mode=False)
finally:
    heavy = sorted(m for m in ("spacy", "thinc", "torch", "nlp.components") if m in sys.modules)
    sys.stderr.write("HEAVY=" + json.dumps(heavy) + "\\n")
"""


def test_a_noop_run_imports_no_spacy_and_builds_no_pipeline(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    for days in (1, 2, 300):  # recent mail and history: all analysed by the first run
        box.add(
            (
                f"From: Dana Lee <dana@acme.example>\r\nTo: {ME}\r\nSubject: d{days}\r\n"
                f"Date: {format_datetime(NOW - timedelta(days=days))}\r\n"
                f"Message-ID: <d{days}@acme.example>\r\n\r\nHi Penny,\r\n\r\n"
                "Could you send me the numbers?\r\n\r\nThanks\r\n"
            ).encode()
        )
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[me]\nname = "Penny Example"\naddresses = ["{ME}"]\ntimezone = "UTC"\n'
        f'[storage]\nurl = "sqlite:///{tmp_path / "state.db"}"\n'
        f'[[mail]]\nname = "local"\nkind = "maildir"\npath = "{tmp_path / "Mail"}"\n'
        f'[nlp]\npipeline = "rules"\n'
    )
    args = ["--config", str(config), "run", "--no-send", "--json", "--now", NOW.isoformat()]
    env = {**os.environ, "FOLLOWUP_HOME": str(home)}
    first = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(first.stdout)["analysed"] == 3
    assert '"spacy"' in first.stderr  # the probe sees a run that does analyse

    again = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, check=True
    )
    report = json.loads(again.stdout)
    assert report["analysed"] == 0 and report["nudges"]["open"] >= 1
    assert "HEAVY=[]" in again.stderr

    # The same through the CLI runner: the pipeline is never built.
    import nlp

    def refuse(*a: object, **k: object) -> None:
        raise AssertionError("the pipeline was built for a no-op run")

    original = nlp.load_pipeline
    nlp.load_pipeline = refuse  # type: ignore[assignment]
    try:
        r = CliRunner().invoke(cli, args, env={"FOLLOWUP_HOME": str(home)}, catch_exceptions=False)
    finally:
        nlp.load_pipeline = original  # type: ignore[assignment]
    assert r.exit_code == 0 and json.loads(r.output)["analysed"] == 0
