"""One run at a time: a lock file under the state dir.

filelock takes an OS-level lock (flock), which the kernel releases when the process
dies, so a run killed with SIGKILL leaves no stale lock behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from followup.errors import FollowupError


class LockedError(FollowupError):
    """Another followup run holds the lock."""


@contextmanager
def run_lock(home: Path, *, timeout: float = 0) -> Iterator[None]:
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
