"""The CLI's start-up: commands load their modules when they run, and only the commands
that analyse text import spaCy (never torch)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from followup.cli import COMMANDS, cli

HEAVY = ("spacy", "thinc", "torch", "transformers", "onnxruntime", "sqlalchemy", "sqlmodel",
         "rich", "followup.config", "followup.store")  # fmt: skip

REPORT = (
    "import sys\n"
    "from followup.cli import cli\n"
    "try:\n"
    "    cli(sys.argv[1:])\n"
    "except SystemExit:\n"
    "    pass\n"
    "heavy = {heavy!r}\n"
    "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n"
)


def imported_by(*args: str) -> tuple[str, list[str]]:
    """(stdout, the heavy modules imported) of ``followup ARGS`` in a fresh process."""
    code = REPORT.format(heavy=HEAVY)
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    *_, last = proc.stderr.strip().splitlines()
    loaded = [m.split(".")[0] if not m.startswith("followup") else m for m in eval(last)]
    return proc.stdout, sorted(set(loaded))


def test_the_short_help_listed_is_each_commands_own() -> None:
    for name, (module, attribute, short) in COMMANDS.items():
        cmd = getattr(importlib.import_module(module), attribute)
        assert cmd.name == name
        assert cmd.get_short_help_str(300) == short, name


def test_help_lists_every_command_and_imports_none_of_them() -> None:
    out, loaded = imported_by("--help")
    listed = [line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == sorted(COMMANDS)
    assert "Show the nudges due now, the top scores first." in out
    assert loaded == []


def test_a_command_runs_through_the_lazy_group() -> None:
    result = CliRunner().invoke(cli, ["snooze", "--help"])
    assert result.exit_code == 0 and "Hide nudges until later" in result.output
    assert CliRunner().invoke(cli, ["no-such-command"]).exit_code == 2


def test_digest_and_sync_import_no_spacy_and_run_imports_no_torch(tmp_path: Path) -> None:
    mail = tmp_path / "Mail"
    for sub in ("cur", "new", "tmp"):
        (mail / sub).mkdir(parents=True)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[me]\nname = "Penny Example"\naddresses = ["penny@example.com"]\n'
        f'[storage]\nurl = "sqlite:///{tmp_path / "state.db"}"\n'
        f'[[mail]]\nname = "local"\nkind = "maildir"\npath = "{mail}"\n'
    )
    _, loaded = imported_by("--config", str(config), "sync")
    assert "spacy" not in loaded and "torch" not in loaded
    _, loaded = imported_by("--config", str(config), "digest")
    assert "spacy" not in loaded and "torch" not in loaded
    _, loaded = imported_by("--config", str(config), "run", "--no-send")
    assert "torch" not in loaded and "transformers" not in loaded
