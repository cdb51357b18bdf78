"""One cycle at a time per store: a lock file under the state dir, and a database lock on
PostgreSQL.

filelock takes an OS-level lock (flock), which the kernel releases when the process
dies, so a run killed with SIGKILL leaves no stale lock behind. A PostgreSQL store can be
shared by several machines, which no lock file sees: there a cycle also holds a
session-level advisory lock, which the server releases when the connection drops (a
killed process included).

What the lock serialises is the cycle: sync, analysis, planning, delivery. The user's
decisions (done, snooze, mute ...) are single transactions made safe in the database
itself (store/nudges.py), so they never wait for a whole cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from filelock import FileLock, Timeout

from followup.errors import FollowupError

if TYPE_CHECKING:
    from followup.store.store import Store

logger = logging.getLogger(__name__)

# How long an interactive command (sync, digest) waits for a running cycle to finish.
INTERACTIVE_WAIT = 5.0

# What a writer waits for another's commit: SQLite's busy_timeout (store.py), PostgreSQL's
# lock_timeout (store/nudges.py).
BUSY_WAIT_S = 10

# pg_advisory_lock keys: arbitrary constants, the same in every followup process.
CYCLE_LOCK_KEY = 0x466F6C6C6F777570  # "Followup"

P = ParamSpec("P")
R = TypeVar("R")


class LockedError(FollowupError):
    """Another followup run holds the lock."""


class StoreBusyError(FollowupError):
    """The database stayed locked by another writer for longer than we wait."""


@contextmanager
def run_lock(home: Path, *, timeout: float = 0) -> Iterator[None]:
    """Hold ``home/followup.lock``; LockedError after ``timeout`` seconds (0: one try)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "followup.lock"
    lock = FileLock(str(path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise LockedError(
            f"Another followup run is in progress (lock {path}); this one exits without work."
        ) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def database_lock(store: Store, *, timeout: float = 0) -> Iterator[None]:
    """On PostgreSQL, hold the store's cycle lock (another machine may share the
    database); nothing to do on SQLite, whose file the lock file's host owns."""
    if store.dialect != "postgresql":
        yield
        return
    with store.session_lock(CYCLE_LOCK_KEY, timeout=timeout) as held:
        if not held:
            raise LockedError(
                "Another followup run is in progress on this database (another machine "
                "or FOLLOWUP_HOME shares it); this one exits without work."
            )
        yield


@contextmanager
def cycle_lock(
    home: Path, open_store: Callable[[], Store], *, timeout: float = 0
) -> Iterator[Store]:
    """The lock file, then the store (opened only once the file lock is held, so a
    second run does no work at all), then its database lock. Yields the store."""
    with run_lock(home, timeout=timeout):
        store = open_store()
        with database_lock(store, timeout=timeout):
            yield store


def is_busy(error: BaseException) -> bool:
    """Whether a database error means "another writer held the lock too long": SQLite's
    SQLITE_BUSY after busy_timeout, PostgreSQL's lock_timeout (SQLSTATE 55P03)."""
    orig = getattr(error, "orig", error)
    return str(getattr(orig, "sqlite_errorname", "")).startswith("SQLITE_BUSY") or (
        getattr(orig, "sqlstate", None) == "55P03"
    )


def busy_error(wait_s: float) -> StoreBusyError:
    return StoreBusyError(
        f"The database is busy: another followup command kept it locked for over {wait_s:g} s; "
        "try again in a moment."
    )


def retry_on_conflict(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call a one-transaction write ``fn``; if another process inserted the same row
    meanwhile (a unique key), run it again: it then reads that row and updates it.
    A database left locked by another writer is one clear line, not a traceback."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    for attempt in range(3):
        try:
            return fn(*args, **kwargs)
        except OperationalError as e:
            if is_busy(e):
                raise busy_error(BUSY_WAIT_S) from None
            raise
        except IntegrityError:
            if attempt == 2:
                raise StoreBusyError(
                    "Another followup command kept writing the same rows; try again."
                ) from None
            logger.info("A concurrent write conflicted; trying again")
    raise AssertionError("unreachable")
