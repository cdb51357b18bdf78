"""One full cycle: sync -> extract -> plan -> deliver. Idempotent; the cron entry."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from followup.config import Config
from followup.extract import extract_pending
from followup.gc_budget import fewer_collections
from followup.identity import my_addresses
from followup.nudges import Nudge
from followup.rules import PlanFailures, plan
from followup.state import planning_window
from followup.store.load import History, ThreadMail, load_history, load_state, read_thread_mail
from followup.store.nudges import PlanResult, apply_plan
from followup.store.store import Store
from followup.sync import REGISTRY, Progress, SourceOpeners, SourceReport, sync_all

if TYPE_CHECKING:
    from concurrent.futures import Future

logger = logging.getLogger(__name__)


@dataclass
class RunReport:
    sources: list[SourceReport] = field(default_factory=list)
    analysed: int = 0
    findings: int = 0
    analysis_failed: int = 0  # messages whose text made the NLP fail (marked, no findings)
    reanalysed: int = 0  # recent messages analysed again: the pipeline changed
    rejudged: int = 0  # stored findings whose firm decision changed: the thresholds did
    backlog: int = 0  # older messages left for later runs (analysis goes newest first)
    plan_failed: int = 0  # candidate nudges a rule failed on (dropped)
    plan_reused: bool = False  # nothing changed: the last plan stands (plan_reuse.py)
    nudges: list[Nudge] = field(default_factory=list)
    plan: PlanResult | None = None
    delivery: Any = None
    replies: Any = None  # digest.replies.ReplyReport: commands read from replies to the digest

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if s.error]


def open_store(config: Config) -> Store:
    return Store.open(config.database_url())


def plan_now(
    store: Store,
    config: Config,
    now: datetime,
    failures: PlanFailures | None = None,
    read_ahead: PlanReadAhead | None = None,
    me: frozenset[str] | None = None,
) -> tuple[list[Nudge], PlanResult]:
    """Compute the nudges at ``now`` from the store and record them; a candidate a rule
    fails on is dropped and counted in ``failures`` (see rules.guard). ``read_ahead``:
    what the plan reads of the mail, read while the run analysed; ``me``: my
    addresses (identity.my_addresses), where the caller read them after the sync."""
    from dataclasses import replace

    from followup.plan_reuse import fingerprint
    from followup.store.learning import stopped_pairs
    from followup.store.plan_inputs import PlanStamp, inputs_version

    # Read before the state: a change made while planning makes the stamp stale.
    version = inputs_version(store)
    me = me if me is not None else my_addresses(config, store)
    ahead = read_ahead.result(me, now, config) if read_ahead else None
    state = load_state(
        store,
        me=me,
        domains=frozenset(config.me.domains),
        now=now,
        window=planning_window(config.rules),
        mute=frozenset(config.rules.mute),
        important=frozenset(config.rules.important),
        my_name=config.me.name,
        history=ahead[0] if ahead else None,
        threads_read=ahead[1] if ahead else None,
    )
    stopped = frozenset(stopped_pairs(store))
    state = replace(state, stopped=stopped)
    nudges = plan(state, now, config.rules, config.me, failures)
    stamp = None if version is None else PlanStamp(version, fingerprint(config, stopped), now)
    result = apply_plan(store, nudges, now, stamp)
    logger.info(
        "Planned %d nudges: %d new, %d closed, %d reopened",
        len(nudges),
        result.new,
        result.closed,
        result.reopened,
    )
    return nudges, result


@fewer_collections()
def run_once(
    config: Config,
    *,
    now: datetime,
    store: Store | None = None,
    sync: bool = True,
    deliver: bool = True,
    progress: Progress | None = None,
    pipeline: Any = None,
    openers: SourceOpeners = REGISTRY,
    analyse_all: bool = False,
    history_seconds: float | None = None,
    history_alone: bool = False,
    load_pipeline: Callable[[], Any] | None = None,
    on_new_mail: Callable[[], None] | None = None,
) -> RunReport:
    """sync -> extract -> plan (-> deliver). Safe to rerun at any time.

    ``openers`` gives the source objects to sync (the registry's by default);
    ``history_seconds`` and ``history_alone`` bound the older mail analysed (see
    extract.extract_pending); ``load_pipeline`` gives the pipeline when the analysis
    needs one (the run's analysis process, followup.analysis_process), ``on_new_mail``
    is called when the sync stores new mail (that process starts then)."""
    own = store is None
    store = store or open_store(config)
    report = RunReport()
    read_ahead: PlanReadAhead | None = None
    me: frozenset[str] | None = None
    try:
        if sync:
            report.sources = sync_all(
                store, config, now, progress=progress, openers=openers, on_new=on_new_mail
            )
        if any(s.new for s in report.sources):
            # New mail: this run plans. What it reads of the mail is read meanwhile.
            me = my_addresses(config, store)  # as the sync left them, for the plan too
            read_ahead = PlanReadAhead(store, config, me, now)
        # With ``now``: the recent mail a pipeline other than the installed one analysed
        # is analysed again, and findings other thresholds judged are judged again.
        extracted = extract_pending(
            store,
            config,
            now=now,
            pipeline=pipeline,
            progress=progress,
            analyse_all=analyse_all,
            history_seconds=history_seconds,
            history_alone=history_alone,
            load=load_pipeline,
        )
        report.backlog = extracted.backlog
        report.analysed, report.findings = extracted.analysed, extracted.findings
        report.analysis_failed = extracted.failed
        report.reanalysed, report.rejudged = extracted.reanalysed, extracted.rejudged
        # Before planning, so "done 3" in a reply is in effect for today's digest.
        report.replies = _apply_replies(store, config, now, me)
        failures = PlanFailures()
        reused = (
            None if deliver and _may_send(store, config, now) else _last_plan(store, config, now)
        )
        if reused is not None:
            from followup.rules import sort_nudges
            from followup.store.nudges import planned_at

            report.plan_reused = True
            report.nudges = sort_nudges(planned_at(store, reused))
            logger.info(
                "Nothing changed since the last plan: its %d nudges stand", len(report.nudges)
            )
        else:
            report.nudges, report.plan = plan_now(store, config, now, failures, read_ahead, me)
        report.plan_failed = failures.count
        if deliver:
            report.delivery = _deliver(store, config, now)
    finally:
        if read_ahead is not None:
            read_ahead.close()
        if own:
            store.close()
    return report


class PlanReadAhead:
    """What the plan reads of the mail, read in two threads while the run analyses its
    new mail: the contacts' history (store.load.load_history) and the active threads' mail
    (store.load.read_thread_mail). Both depend on the mail and its participants only,
    which neither the analysis nor the digest replies change (their findings, names and
    flags the plan reads itself), and the analysis' parent mostly waits on its child
    (analysis_process), so the reads cost the run no time. Their SQLite reads see the
    store as the sync left it (WAL: readers never wait)."""

    def __init__(self, store: Store, config: Config, me: frozenset[str], now: datetime) -> None:
        from concurrent.futures import ThreadPoolExecutor

        window, name = planning_window(config.rules), config.me.name
        self.key = (me, now, window, name)
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="followup-read-ahead")
        self._history: Future[History] = self._pool.submit(load_history, store, me=me, now=now)
        self._threads: Future[ThreadMail] = self._pool.submit(
            read_thread_mail, store, now=now, window=window, my_name=name
        )

    def result(
        self, me: frozenset[str], now: datetime, config: Config
    ) -> tuple[History, ThreadMail] | None:
        """The reads, if they were made for this ``me``, ``now`` and config's window and
        name (else None: the plan reads them itself); a read's error is raised here."""
        if (me, now, planning_window(config.rules), config.me.name) != self.key:
            return None
        return self._history.result(), self._threads.result()

    def close(self) -> None:
        """Wait for the reads (a run never leaves a thread on the store it closes)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _last_plan(store: Store, config: Config, now: datetime) -> datetime | None:
    """When the last plan was made, if this run may keep it (plan_reuse.py)."""
    from followup.plan_reuse import last_plan_holds
    from followup.store.learning import stopped_pairs

    return last_plan_holds(store, config, now, frozenset(stopped_pairs(store)))


def _may_send(store: Store, config: Config, now: datetime) -> bool:
    """This run may send the digest (configured, its time of day come, not sent today):
    then it plans afresh (plan_reuse.py)."""
    d = config.digest
    if not d.to or (d.smtp is None and d.imap_account is None):
        return False
    local = now.astimezone(config.me.tz)
    if local.time() < d.at:
        return False
    from followup.digest import ledger

    row = ledger.day_row(store, local.date(), d.to)
    return row is None or row.status != "sent"


def _apply_replies(
    store: Store, config: Config, now: datetime, me: frozenset[str] | None = None
) -> Any:
    """Apply the commands in replies to earlier digests (see digest.replies)."""
    if not config.digest.to:
        return None
    from followup.digest.replies import apply_reply_commands

    return apply_reply_commands(store, config, now, me)


def _deliver(store: Store, config: Config, now: datetime) -> Any:
    """Send the daily digest when one is configured and due (see digest.deliver)."""
    if config.digest.smtp is None and config.digest.imap_account is None:
        return None
    from followup.digest.deliver import deliver_digest  # Jinja2 only when sending

    return deliver_digest(store, config, now)
