"""The daemon loop in-process: backoff per source, waking for the digest, stopping."""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from followup.daemon import Backoff, Daemon, StopRequested, next_digest_time, stop_on_signals

T0 = datetime(2026, 3, 17, 11, 0, tzinfo=UTC)  # 06:00 in Chicago
CHICAGO = ZoneInfo("America/Chicago")


@dataclass
class Src:
    name: str
    error: str | None = None


@dataclass
class Report:
    sources: list[Src] = field(default_factory=list)


class FakeClock:
    """Time moves only when the daemon sleeps."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def make_daemon(cycle, clock: FakeClock, **kw) -> Daemon:  # type: ignore[no-untyped-def]
    d = Daemon(cycle=cycle, clock=clock, **kw)

    def sleep_until(when: datetime) -> None:
        clock.now = max(clock.now, when)

    d.sleep_until = sleep_until  # type: ignore[method-assign]
    return d


def test_backoff_doubles_per_failure_and_resets() -> None:
    b = Backoff(cap_cycles=5)
    ran: list[bool] = []
    # "imap" fails 4 times in a row, then works; "maildir" always works.
    failures = 4
    for _ in range(16):
        blocked = b.blocked()
        ran.append("imap" not in blocked)
        outcomes = [Src("maildir")]
        if "imap" not in blocked:
            outcomes.append(Src("imap", "timeout" if failures > 0 else None))
            failures -= 1
        b.next_cycle(outcomes, blocked)
    # fail, fail, skip, fail, skip x3, fail, skip x5 (cap), ok
    assert ran == [True, True, False, True, False, False, False, True] + [False] * 5 + [True] * 3
    assert b.failures == {} and b.blocked() == frozenset()


def test_failing_source_is_left_out_while_others_go_on() -> None:
    seen: list[frozenset[str]] = []

    def cycle(now, skip, progress):  # type: ignore[no-untyped-def]
        seen.append(skip)
        ran = [Src("work", "refused"), Src("archive")]
        return Report([s for s in ran if s.name not in skip])

    clock = FakeClock(T0)
    d = make_daemon(cycle, clock, every=timedelta(minutes=15), max_cycles=4)
    assert d.run() == 0
    assert seen == [frozenset(), frozenset(), frozenset({"work"}), frozenset()]


def test_wakes_for_the_digest_time() -> None:
    starts: list[datetime] = []

    def cycle(now, skip, progress):  # type: ignore[no-untyped-def]
        starts.append(now)
        return Report()

    clock = FakeClock(T0 + timedelta(minutes=20))  # 06:20 local
    d = make_daemon(
        cycle, clock, every=timedelta(hours=1), digest_at=time(7, 30), tz=CHICAGO, max_cycles=4
    )
    d.run()
    local = [s.astimezone(CHICAGO).strftime("%H:%M") for s in starts]
    assert local == ["06:20", "07:20", "07:30", "08:30"]


def test_next_digest_time() -> None:
    assert next_digest_time(T0, time(7, 30), CHICAGO) == datetime(2026, 3, 17, 12, 30, tzinfo=UTC)
    after = datetime(2026, 3, 17, 12, 30, tzinfo=UTC)
    assert next_digest_time(after, time(7, 30), CHICAGO) == datetime(
        2026, 3, 18, 12, 30, tzinfo=UTC
    )
    # Across the autumn DST change: 07:30 local is 13:30 UTC again.
    autumn = datetime(2026, 10, 31, 13, 0, tzinfo=UTC)
    assert next_digest_time(autumn, time(7, 30), CHICAGO) == datetime(
        2026, 11, 1, 13, 30, tzinfo=UTC
    )


def test_a_crashing_cycle_does_not_end_the_daemon(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0

    def cycle(now, skip, progress):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database is locked")
        return Report()

    d = make_daemon(cycle, FakeClock(T0), every=timedelta(minutes=5), max_cycles=2)
    assert d.run() == 0
    assert calls == 2
    assert "The cycle failed; trying again next cycle" in caplog.text


def test_stop_between_batches() -> None:
    batches: list[int] = []

    def cycle(now, skip, progress):  # type: ignore[no-untyped-def]
        for i in range(10):
            batches.append(i)  # a batch committed
            if i == 2:
                d.request_stop()  # SIGTERM arrives during batch 3
            progress("work/INBOX", i + 1, 10)
        return Report()

    d = make_daemon(cycle, FakeClock(T0), every=timedelta(minutes=5))
    assert d.run() == 0
    assert batches == [0, 1, 2]
    assert d.cycles == 0


def test_stop_after_the_step_without_batches() -> None:
    def cycle(now, skip, progress):  # type: ignore[no-untyped-def]
        d.request_stop()  # e.g. during plan/deliver: the cycle completes
        return Report()

    d = make_daemon(cycle, FakeClock(T0), every=timedelta(minutes=5))
    assert d.run() == 0
    assert d.cycles == 1


def test_signals_request_stop_then_force() -> None:
    d = Daemon(cycle=lambda *a: Report(), every=timedelta(minutes=1))
    with stop_on_signals(d):
        signal.raise_signal(signal.SIGTERM)
        assert d.stop_event.is_set()
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_real_sleep_is_interrupted_by_stop() -> None:
    d = Daemon(cycle=lambda *a: Report(), every=timedelta(hours=1))
    timer = threading.Timer(0.2, d.request_stop)
    timer.start()
    started = datetime.now(UTC)
    assert d.run() == 0
    assert datetime.now(UTC) - started < timedelta(seconds=5)
    assert d.cycles == 1


def test_stop_requested_is_not_an_exception() -> None:
    # ``except Exception`` in a source or the runner must not swallow it.
    assert not issubclass(StopRequested, Exception)
