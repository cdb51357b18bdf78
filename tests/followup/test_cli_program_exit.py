"""The program (``followup``, ``python -m followup``) exits without the interpreter's
teardown: everything it wrote still arrives, its exit status is the command's, and the
atexit handlers run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TEXTS = 3_000  # about 400 KB of output: many times a pipe's buffer


def program(
    *args: str, stdin: str = "", code: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The program as a user starts it; stdout is a pipe, so Python buffers it (unless
    PYTHONUNBUFFERED says not to: dropped here, so an unflushed buffer would be lost)."""
    command = [sys.executable, "-m", "followup", *args]
    if code:
        command = [sys.executable, "-c", code, *args]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, timeout=300, env=env
    )


def test_every_line_of_a_long_output_arrives() -> None:
    lines = "".join(
        json.dumps({"id": n, "text": f"Could you send me report {n} by Friday?"}) + "\n"
        for n in range(TEXTS)
    )
    done = program("extract", "--jsonl", "--pipeline", "rules", stdin=lines)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["id"] for a in answers] == list(range(TEXTS))
    assert all(a["findings"] for a in answers)


def test_the_exit_status_is_the_commands(tmp_path: Path) -> None:
    missing = program("--config", str(tmp_path / "none.toml"), "run")
    assert missing.returncode == 2
    assert missing.stderr.startswith("Error: No config file at ")
    assert program("--version").returncode == 0
    assert program("no-such-command").returncode == 2


def test_the_atexit_handlers_run_and_what_they_write_arrives(tmp_path: Path) -> None:
    mark = tmp_path / "mark"
    code = (
        "import atexit, sys\n"
        "from pathlib import Path\n"
        f"atexit.register(lambda: (Path({str(mark)!r}).write_text('ran'), print('bye')))\n"
        "sys.argv[1:] = ['--version']\n"
        "from followup.cli import main\n"
        "main()\n"
    )
    done = program(code=code)
    assert done.returncode == 0, done.stderr
    assert mark.read_text() == "ran"
    first, last = done.stdout.splitlines()
    assert first.startswith("followup, version ")
    assert last == "bye"


def test_a_profiled_program_still_writes_its_profile(tmp_path: Path) -> None:
    """``python -m cProfile -o FILE -m followup ...`` writes FILE after the program
    returns: under a profiler the program exits as Python does."""
    out = tmp_path / "followup.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "followup", "--version"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0
