"""``followup daemon``: the run cycle in a loop, for users who prefer it to cron.

Each cycle is exactly ``followup run`` (``runner.run_once`` under the run lock). Between
cycles the loop sleeps ``every``, waking early for the digest's local time so the email
goes out on time. SIGTERM/SIGINT ask it to stop: work stops after the batch being
committed (sync and analysis commit batch by batch, so nothing is lost or half-done),
or after the current plan/deliver step, and the process exits 0. A second signal stops
at once. A source that fails is retried on the next cycle, then after 1, 3, 7 ...
skipped cycles (exponential backoff, capped), while the other sources go on.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from followup.config import Config

if TYPE_CHECKING:
    from followup.store.store import Store
    from followup.sync import SourceOpeners

logger = logging.getLogger(__name__)

# Longest pause for a failing source, whatever the interval.
BACKOFF_CAP = timedelta(hours=6)


class StopRequested(BaseException):
    """Raised between committed batches once a stop was asked for (BaseException so no
    ``except Exception`` on the way swallows it)."""


class SourceOutcome(Protocol):
    name: str
    error: str | None


@dataclass
class Backoff:
    """Per-source exponential backoff counted in cycles: after the n-th failure in a row
    a source sits out 2**(n-1) - 1 cycles (0, 1, 3, 7 ...), at most ``cap_cycles``."""

    cap_cycles: int = 24
    failures: dict[str, int] = field(default_factory=dict)
    skip: dict[str, int] = field(default_factory=dict)

    def blocked(self) -> frozenset[str]:
        return frozenset(name for name, n in self.skip.items() if n > 0)

    def next_cycle(self, outcomes: list[SourceOutcome], skipped: frozenset[str]) -> None:
        """Account for one cycle: ``outcomes`` of the sources that ran, ``skipped`` the rest."""
        for name in skipped:
            self.skip[name] = max(0, self.skip.get(name, 0) - 1)
        # A [[mail]] and a [[calendar]] may share a name, and sit out together (the
        # cycle leaves sources out by name): the name failed if either failed.
        failed: dict[str, bool] = {}
        for o in outcomes:
            if o.name not in skipped:  # else it did not run this cycle
                failed[o.name] = failed.get(o.name, False) or bool(o.error)
        for name, error in failed.items():
            if error:
                n = self.failures.get(name, 0) + 1
                self.failures[name] = n
                self.skip[name] = min(2 ** min(n - 1, 30) - 1, self.cap_cycles)
                logger.warning(
                    "Source %s failed (%d in a row); next try in %d cycle(s)",
                    name,
                    n,
                    self.skip[name] + 1,
                )
            else:
                self.failures.pop(name, None)
                self.skip.pop(name, None)


def next_digest_time(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The next moment the local clock shows ``at`` (today's if still ahead), in UTC."""
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), at, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=tz)
    return candidate.astimezone(UTC)


Cycle = Callable[[datetime, frozenset[str], Callable[[str, int, int], None]], Any]


@dataclass
class Daemon:
    """The loop. ``cycle(now, skip_sources, progress)`` runs one cycle and returns a
    report with ``sources`` (each with ``name`` and ``error``); ``progress`` must be
    called between committed batches (it raises StopRequested once a stop is asked)."""

    cycle: Cycle
    every: timedelta
    digest_at: time | None = None
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    max_cycles: int | None = None  # for tests and "--cycles N"
    stop_event: threading.Event = field(default_factory=threading.Event)
    backoff: Backoff = field(default_factory=Backoff)
    cycles: int = 0

    def __post_init__(self) -> None:
        if self.every <= timedelta(0):
            raise ValueError("the interval must be positive")
        self.backoff.cap_cycles = max(1, int(BACKOFF_CAP / self.every))

    def request_stop(self) -> None:
        self.stop_event.set()

    def _progress(self, label: str, done: int, total: int) -> None:
        if self.stop_event.is_set():
            logger.info("Stopping after the committed batch (%s, %d done)", label, done)
            raise StopRequested

    def sleep_until(self, when: datetime) -> None:
        delay = (when - self.clock()).total_seconds()
        if delay > 0:
            self.stop_event.wait(delay)

    def run(self) -> int:
        """Loop until stopped; returns the exit code (0 after a requested stop)."""
        logger.info("followup daemon: a cycle every %s", self.every)
        while not self.stop_event.is_set():
            started = self.clock()
            blocked = self.backoff.blocked()
            try:
                report = self.cycle(started, blocked, self._progress)
            except StopRequested:
                break
            except Exception:
                # One bad cycle (database locked, disk full) must not end the daemon.
                logger.exception("The cycle failed; trying again next cycle")
                report = None
            self.cycles += 1
            if report is not None:
                self.backoff.next_cycle(list(getattr(report, "sources", [])), blocked)
            if self.max_cycles is not None and self.cycles >= self.max_cycles:
                break
            wake = started + self.every
            if self.digest_at is not None:
                wake = min(wake, next_digest_time(started, self.digest_at, self.tz))
            self.sleep_until(wake)
        logger.info("followup daemon stopped after %d cycle(s)", self.cycles)
        return 0


@contextmanager
def stop_on_signals(daemon: Daemon) -> Iterator[None]:
    """SIGTERM/SIGINT: first one asks the daemon to stop cleanly, a second stops now."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if daemon.stop_event.is_set():
            raise KeyboardInterrupt
        logger.warning(
            "%s received: finishing the current step, then exiting (again to stop now)",
            signal.Signals(signum).name,
        )
        daemon.request_stop()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


# Seconds of older mail a daemon cycle analyses: its pipeline stays loaded and it sleeps
# between cycles, so its idle time does the history's bulk (a stop still ends it between
# batches).
DAEMON_HISTORY_SECONDS = 120.0


def run_cycle(
    config: Config,
    now: datetime,
    skip_sources: frozenset[str],
    progress: Callable[[str, int, int], None],
    *,
    deliver: bool = True,
    openers: SourceOpeners | None = None,
) -> Any:
    """One ``followup run`` under the run lock; None when another run holds it.

    ``openers`` gives the source objects (the registry's by default)."""
    from followup.lock import LockedError, cycle_lock
    from followup.runner import open_store, run_once
    from followup.sync import REGISTRY

    if skip_sources:
        logger.info("Backing off: not syncing %s this cycle", ", ".join(sorted(skip_sources)))
        config = replace(
            config,
            mail=tuple(s for s in config.mail if s.name not in skip_sources),
            calendars=tuple(s for s in config.calendars if s.name not in skip_sources),
        )
    opened: list[Store] = []  # closed at the end, even when the database lock is refused

    def store() -> Store:
        opened.append(open_store(config))
        return opened[-1]

    try:
        with cycle_lock(config.home, store) as st:
            report = run_once(
                config,
                now=now,
                store=st,
                deliver=deliver,
                progress=progress,
                openers=openers or REGISTRY,
                history_seconds=DAEMON_HISTORY_SECONDS,
                history_alone=True,
            )
    except LockedError as e:
        logger.info("%s", e)
        return None
    finally:
        for st in opened:
            st.close()
    logger.info("Cycle done: %s", summarize(report))
    return report


def summarize(report: Any) -> str:
    """One line: counts per source, nudges new/closed, digest sent or not."""
    parts = []
    for s in getattr(report, "sources", []):
        parts.append(f"{s.name} failed" if s.error else f"{s.name} +{s.new}")
    plan = getattr(report, "plan", None)
    if plan is not None:
        parts.append(f"nudges {plan.new} new, {plan.closed} closed")
    delivery = getattr(report, "delivery", None)
    summary = getattr(delivery, "summary", None)
    parts.append(summary().rstrip(".") if callable(summary) else "no digest configured")
    return "; ".join(parts)
