"""A throwaway PostgreSQL cluster on 127.0.0.1 for the store tests (Debian postgresql).

initdb + pg_ctl as the postgres user (PostgreSQL refuses to run as root), fsync off,
a free port, torn down at the end of the session. ~1.5 s to create and start.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run the PostgreSQL tests)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        _missing("PostgreSQL is not installed (Debian package: postgresql)")
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            _missing("runuser is needed to run PostgreSQL as the postgres user")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="followup-pg-"))
    data = base / "data"
    data.mkdir()
    if as_postgres:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
    port = _free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 60}
    subprocess.run(
        [
            *as_postgres,
            initdb,
            "-N",
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        **run,
    )
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off"
    subprocess.run(
        [*as_postgres, pg_ctl, "-D", str(data), "-w", "-l", str(base / "log"), "-o", opts, "start"],
        **run,
    )
    try:
        subprocess.run(
            [
                *as_postgres,
                _bin("createdb") or "createdb",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "followup",
            ],
            **run,
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/followup"
    finally:
        subprocess.run(
            [*as_postgres, pg_ctl, "-D", str(data), "-w", "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)
