"""The store and the home are created private (0600/0700) whatever the umask, and an
existing one that others can read gets one warning line with the fix."""

from __future__ import annotations

import mailbox
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from followup.cli import cli
from followup.private_files import exposure_warning
from followup.store.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common 022 umask (0644 files, 0755 dirs by default), restored afterwards."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    mailbox.Maildir(tmp_path / "Mail", create=True)
    path = tmp_path / "config.toml"
    # No [storage]: the store is followup.db in $FOLLOWUP_HOME (the conftest's tmp dir).
    path.write_text(
        f"""
[me]
addresses = ["penny@example.com"]

[[mail]]
name = "local"
kind = "maildir"
path = "{tmp_path / "Mail"}"

[nlp]
pipeline = "rules"
"""
    )
    return path


def invoke(config: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_a_first_run_creates_a_private_home_store_and_lock(
    config: Path, followup_home: Path, loose_umask: None
) -> None:
    assert not followup_home.exists()
    r = invoke(config, "run", "--no-send")
    assert r.exit_code == 0, r.output
    assert "Warning" not in r.stderr
    assert mode(followup_home) == 0o700
    assert mode(followup_home / "followup.db") == 0o600
    assert mode(followup_home / "followup.lock") == 0o600
    assert os.umask(0o022) == 0o022  # the CLI put the caller's umask back


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o002])
def test_store_open_is_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    db = tmp_path / "state" / "followup.db"
    old = os.umask(umask)
    try:
        store = Store.open(f"sqlite:///{db}")
        try:
            with store.begin() as conn:  # a write: WAL mode makes -wal and -shm exist
                conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
                conn.execute(text("INSERT INTO scratch VALUES (1)"))
            wal, shm = db.with_name("followup.db-wal"), db.with_name("followup.db-shm")
            assert wal.exists() and shm.exists()
            assert (mode(db), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        finally:
            store.close()
    finally:
        os.umask(old)
    assert mode(db.parent) == 0o700


def test_an_existing_open_store_gets_one_warning_line_with_the_fix(
    config: Path, followup_home: Path
) -> None:
    assert invoke(config, "sync").exit_code == 0
    db = followup_home / "followup.db"
    os.chmod(followup_home, 0o755)
    os.chmod(db, 0o644)

    r = invoke(config, "sync")
    assert r.exit_code == 0, r.output
    warnings = [line for line in r.stderr.splitlines() if line.startswith("Warning")]
    assert warnings == [
        f"Warning: {followup_home} (the followup home) and {db} (the store) are readable by "
        f"other users (followup keeps your mail there); fix: chmod 700 {followup_home} "
        f"&& chmod 600 {db}*"
    ]
    run = invoke(config, "run", "--no-send", "--quiet")
    assert run.exit_code == 0 and run.stdout == ""
    assert [line for line in run.stderr.splitlines() if "readable by" in line] == warnings
    doctor = invoke(config, "doctor")
    assert warnings[0] in doctor.output.splitlines()
    # The store is not changed behind the user's back; once fixed, the warning goes.
    assert mode(db) == 0o644
    os.chmod(followup_home, 0o700)
    os.chmod(db, 0o600)
    assert "Warning" not in invoke(config, "sync").stderr
    assert invoke(config, "doctor", "--json").output.count('"warnings": []') == 1


def test_exposure_warning_names_only_what_is_open(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    os.chmod(home, 0o700)
    db = home / "followup.db"
    db.write_bytes(b"")
    os.chmod(db, 0o600)
    url = f"sqlite:///{db}"
    assert exposure_warning(home, url) is None
    wal = home / "followup.db-wal"
    wal.write_bytes(b"")
    os.chmod(wal, 0o640)
    line = exposure_warning(home, url)
    assert line is not None and line.startswith(f"Warning: {db} (the store) is readable")
    assert line.endswith(f"fix: chmod 600 {db}*")
    # PostgreSQL: only the home is ours to check.
    os.chmod(home, 0o750)
    pg = exposure_warning(home, "postgresql+psycopg://u@127.0.0.1/followup")
    assert pg is not None and pg.endswith(f"fix: chmod 700 {home}")
    assert exposure_warning(tmp_path / "absent", "sqlite:///:memory:") is None
