"""The recent mail analysed while the sync still stores the rest.

A first run on a large mailbox syncs for many seconds on one core while the analysis
process (followup.analysis_process) waits on the other with its pipeline loaded. This
thread hands that process the recent mail (the planning window's, as extract.py would
first) as soon as the sync has committed it, newest first of what is there, one batch at
a time, through its own connection to the store. When the sync ends the thread finishes
its batch and stops; extract.py then analyses what is left, as without it.

Each batch is saved in one transaction, as extract.py saves its own, so a run stopped
anywhere resumes from the last batch saved. Nothing here stops the run: an error of the
thread's own (the store, the child) ends the thread, logged by its class only, and
extract.py does the work instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from followup.config import Config
from followup.state import planning_window

logger = logging.getLogger(__name__)

# How often the thread looks for newly stored mail when it found none.
POLL_SECONDS = 0.25


@dataclass
class EarlyReport:
    analysed: int = 0
    findings: int = 0
    failed: int = 0
    seconds: float = 0.0  # spent analysing (extract.py counts it towards a busy run)


class EarlyAnalysis:
    """``start()`` (once, when the sync first stores new mail) starts the thread;
    ``finish()``, when the sync is over, stops it and says what it did."""

    def __init__(
        self,
        config: Config,
        now: datetime,
        load: Callable[[], Any],
        open_store: Callable[[], Any],
    ) -> None:
        self.config = config
        self.since = now - planning_window(config.rules)
        self.load = load
        self.open_store = open_store
        self.report = EarlyReport()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="early-analysis")
            self._thread.start()

    def finish(self) -> EarlyReport:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        return self.report

    def _run(self) -> None:
        try:
            pipe = self.load()
            if self._done.is_set():
                return
            store = self.open_store()
            try:
                self._analyse(store, pipe)
            finally:
                store.close()
        except Exception as e:
            # Not the mail's fault, nor the run's end: extract.py does the rest.
            logger.info("analysis during the sync stopped (%s)", e.__class__.__name__)

    def _analyse(self, store: Any, pipe: Any) -> None:
        from followup.extract import BATCH, analyse_and_save

        what = pipe.installed
        while not self._done.is_set():
            pending = store.pending_analysis(BATCH, since=self.since, newest_first=True)
            if not pending:
                self._done.wait(POLL_SECONDS)
                continue
            began = time.monotonic()
            findings, failed = analyse_and_save(store, self.config, pipe, what, pending)
            took = time.monotonic() - began
            logger.debug("analysed %d recent messages in %.1f s", len(pending), took)
            self.report.seconds += took
            self.report.analysed += len(pending)
            self.report.findings += findings
            self.report.failed += failed
        if self.report.analysed:
            logger.info("Analysed %d recent messages during the sync", self.report.analysed)
