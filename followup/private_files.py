"""The store and the home are the owner's alone: created 0600/0700, a warning otherwise.

followup keeps a whole mailbox's worth of subjects, names and excerpts. The modes are
set explicitly, whatever the umask (a umask of 022 would give 0644 and 0755). SQLite
creates its ``-wal`` and ``-shm`` files with the mode of the database file, so a
database file created 0600 keeps them private too. The CLI also runs with a umask of
077, so files created elsewhere (the run lock, the demo) are private as well.

An existing store or home that others can read is not changed behind the user's back:
``exposure_warning`` says so in one line, with the command that fixes it.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
PRIVATE_UMASK = 0o077


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with ``path`` itself 0700; parents keep the
    default mode (``~/.local/share`` is not ours). An existing directory is left as is."""
    if path.is_dir():
        return
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)  # mkdir's mode is filtered by the umask: set it exactly


def create_private_file(path: Path) -> None:
    """Create an empty ``path`` with mode 0600 unless it exists (then leave it alone)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


# A plain ``sqlite:///path`` URL, read without SQLAlchemy (its import is a tenth of a
# second of a quiet run): nothing in it that make_url would decode or split.
_PLAIN_SQLITE = re.compile(r"sqlite(?:\+pysqlite)?:///([^\s?#%@]+)")


def sqlite_path(url: str) -> Path | None:
    """The database file of a ``sqlite:///`` URL; None for other databases and memory."""
    plain = _PLAIN_SQLITE.fullmatch(url)
    if plain is not None:
        database = plain.group(1)
        if database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database).expanduser()
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        u = make_url(url)
    except (ArgumentError, ValueError):  # Store.open reports a bad URL in its own words
        return None
    if not u.drivername.startswith("sqlite") or u.database in (None, "", ":memory:"):
        return None
    if u.database.startswith("file:"):  # a URI filename: SQLite's own business
        return None
    return Path(u.database).expanduser()


def _open_to_others(path: Path) -> bool:
    try:
        return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)
    except OSError:  # absent (not created yet) or unreadable: nothing to say
        return False


def exposure_warning(home: Path, database_url: str) -> str | None:
    """One line when the home or the SQLite store (or its -wal/-shm) can be read by the
    group or others, naming the fix; None when all is private."""
    exposed: list[str] = []
    fixes: list[str] = []
    if _open_to_others(home):
        exposed.append(f"{home} (the followup home)")
        fixes.append(f"chmod 700 {shlex.quote(str(home))}")
    db = sqlite_path(database_url)
    if db is not None:
        files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        if any(_open_to_others(f) for f in files):
            exposed.append(f"{db} (the store)")
            fixes.append(f"chmod 600 {shlex.quote(str(db))}*")
    if not exposed:
        return None
    verb = "is" if len(exposed) == 1 else "are"
    return (
        f"Warning: {' and '.join(exposed)} {verb} readable by other users "
        f"(followup keeps your mail there); fix: {' && '.join(fixes)}"
    )
