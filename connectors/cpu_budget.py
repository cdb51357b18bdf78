"""A CPU-time budget for work a hostile input can make unbounded.

dateutil's rrule iterator checks UNTIL and COUNT only on the dates it produces: a rule
whose BY parts can never match (``BYMONTH=2;BYMONTHDAY=30``) walks year by year to 9999,
and recurring-ical-events re-walks a series from DTSTART for every slice of a window.
No screen of the rule's text catches every such rule, so each event's expansion gets a
budget of CPU time instead, enforced by a profiling timer (SIGPROF) that interrupts the
pure-Python loop. Signals reach only the main thread: elsewhere the work runs unbounded,
as before (the CLI and the daemon sync in the main thread).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class BudgetExceeded(Exception):
    """The work took more CPU time than its budget."""


def _expired(_signum: int, _frame: FrameType | None) -> None:
    raise BudgetExceeded


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Raise ``BudgetExceeded`` inside the block once it has used ``seconds`` of CPU time.

    Nested use keeps the outer timer's handler and remaining time (restored on exit).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGPROF, _expired)
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
        if outer_delay:
            signal.setitimer(signal.ITIMER_PROF, outer_delay, outer_interval)
