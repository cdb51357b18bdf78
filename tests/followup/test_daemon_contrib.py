"""contrib/: the crontab line and the systemd units call real commands with real options."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from needs import missing

from followup.cli import cli

CONTRIB = Path(__file__).resolve().parents[2] / "contrib"


def command_args(line: str) -> list[str]:
    args = shlex.split(line)
    assert args[0].endswith("/followup"), line
    return args[1:]


def test_crontab_line() -> None:
    lines = [
        line
        for line in (CONTRIB / "followup.crontab").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    assert fields[:5] == ["*/15", "*", "*", "*", "*"]
    args = command_args(fields[5])
    assert args[0] == "run"
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("unit", ["followup.service", "followup-daemon.service"])
def test_units_exec_real_commands(unit: str) -> None:
    text = (CONTRIB / unit).read_text()
    (exec_line,) = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    args = command_args(exec_line.removeprefix("ExecStart="))
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output


def test_units_pass_systemd_analyze(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        missing("systemd-analyze not found: install the Debian package systemd")
    names = ["followup.service", "followup.timer", "followup-daemon.service"]
    for name in names:
        # verify checks that ExecStart's program exists: point it at a real one.
        text = (CONTRIB / name).read_text().replace("%h/.local/bin/followup", "/bin/true")
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        [analyze, "verify", "--man=no", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    problems = [
        line
        for line in result.stderr.splitlines()
        if "followup" in line  # ignore complaints about the host's own units
    ]
    assert result.returncode == 0 and not problems, result.stderr
