"""Extract: run the NLP pipeline over messages not yet analysed, in batches.

Findings and the "analysed" mark (which pipeline, which thresholds) are written in one
transaction per batch, so an interrupted run resumes where it stopped and never
analyses a message twice.

A better pipeline reaches mail already stored: given ``now``, the recent mail (the
planning window, state.planning_window: older mail makes no nudge) that another pipeline
analysed is analysed again, newest first, its findings replaced per batch. Nudge keys
name the message and the sentence, never a finding's row, so a done or snoozed nudge
stays so when the new pipeline finds the same thing. When only the thresholds changed,
the stored scores are judged again (nlp.thresholds.rejudge): no model is loaded.

What can matter first: given ``now``, the pending mail inside the planning window (the
only mail that can still make a nudge) is analysed first, newest first, all of it; the
older history after it, newest first, at most ``BACKFILL_PER_RUN`` messages and
``history_seconds`` of analysis a run (all of it with ``analyse_all``), so a first run on
years of mail ends with a digest soon and later runs work back through the history. A run
from cron or the CLI has a small budget (``HISTORY_SECONDS``) and spends it only when it
loads the pipeline anyway (new or stale recent mail): loading it for history alone would
cost every quiet run seconds. Nor does it when its recent mail took longer than
``BUSY_SECONDS`` (a burst of new mail, a first run): that run has spent its time, and the
next ones, which mostly bring a few messages, take the slice. A threshold rather than a
budget that shrinks with the time spent, so those usual runs keep the whole slice and the
history of a cron-only user advances as fast as before. The daemon, whose pipeline stays
loaded, passes ``history_alone`` and a larger budget: its idle cycles do the bulk; a
budget given (the daemon's, ``--history-seconds``) is spent whatever the recent mail took.

One message never stops the others: whatever its text does to the pipeline (any
exception), the message is marked analysed with no findings, counted, and logged by its
row number only (its text may be anyone's mail). A batch that fails is retried one text
at a time to find the one that did it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from followup.config import Config
from followup.state import planning_window
from followup.store.store import PendingText, Store

logger = logging.getLogger(__name__)

BATCH = 256
# Older pending mail (outside the planning window) analysed per run: at most this many
# messages, and no new batch started after this many seconds of it (a cron run stays short).
BACKFILL_PER_RUN = 2000
# Seconds of history analysis a cron/CLI run spends (the daemon passes its own budget).
HISTORY_SECONDS = 2.0
# A cron/CLI run whose recent mail took longer than this leaves the history to later runs.
BUSY_SECONDS = 0.5
# The first history batch when no batch has measured the pipeline's speed yet; later
# batches are sized from the measured rate to fit what is left of the budget.
FIRST_HISTORY_BATCH = 16
# Messages judged again per transaction (no model: cheap).
JUDGE_BATCH = 2000


@dataclass
class ExtractReport:
    """What one pass did: messages analysed, findings saved, messages that failed."""

    analysed: int = 0
    findings: int = 0
    backlog: int = 0  # older messages left for the next runs
    failed: int = 0
    reanalysed: int = 0  # recent messages analysed again (another pipeline analysed them)
    rejudged: int = 0  # stored findings whose firm decision the new thresholds changed


def extract_pending(
    store: Store,
    config: Config,
    *,
    now: datetime | None = None,
    pipeline: Any = None,
    progress: Callable[[str, int, int], None] | None = None,
    analyse_all: bool = False,
    history_seconds: float | None = None,
    history_alone: bool = False,
    load: Callable[[], Any] | None = None,
) -> ExtractReport:
    """Analyse the pending messages; with ``now``, the recent ones first and a bounded
    slice of the older ones (all with ``analyse_all``), analyse again the recent mail
    another pipeline analysed and judge again what other thresholds judged (module
    docstring). Without ``now``, every pending message. ``history_seconds`` is the time
    budget of the older mail (``HISTORY_SECONDS`` by default); with ``history_alone`` the
    history is analysed even when nothing recent is (the pipeline is loaded for it).
    ``load`` gives the pipeline when one is needed and none is given (the run's
    analysis process, followup.analysis_process; by default nlp.load_pipeline)."""
    from nlp.pipeline import installed

    report = ExtractReport()
    what = getattr(pipeline, "installed", None) or installed(
        config.nlp.pipeline, config.model_identity_cache()
    )
    since = now - planning_window(config.rules) if now is not None else None
    pending = store.count_pending_analysis()
    recent = store.count_pending_analysis(since) if since is not None else pending
    older = pending - recent
    stale = store.count_stale_analysis(what.identity, since) if since else 0
    if analyse_all or since is None:
        budget = older
    elif recent or stale or history_alone:
        budget = min(older, BACKFILL_PER_RUN)
    else:
        budget = 0  # nothing else to load the pipeline for: history waits (docstring)
    total = recent + budget
    if total or stale:
        if pipeline is not None:
            pipe = pipeline
        elif load is not None:
            pipe = load()
        else:
            import nlp

            pipe = nlp.load_pipeline(config.nlp.pipeline)
        loaded = getattr(pipe, "installed", what)
        if loaded != what and since is not None:
            # Not what the files said (an encoder that failed to load): the loaded one
            # is what analyses, so it is what the mail is compared with.
            what = loaded
            stale = store.count_stale_analysis(what.identity, since)
        seconds = HISTORY_SECONDS if history_seconds is None else history_seconds
        busy = BUSY_SECONDS if history_seconds is None else None
        deadline = None if analyse_all else (recent, seconds, busy)
        _analyse_all(store, config, pipe, what, report, total, progress, since, deadline)
        if stale and since is not None:
            _reanalyse(store, config, pipe, what, since, report, stale, progress)
    report.backlog = max(0, older - max(0, report.analysed - recent))
    report.rejudged = _rejudge(store, what)
    return report


def _analyse_all(
    store: Store,
    config: Config,
    pipe: Any,
    what: Any,
    report: ExtractReport,
    total: int,
    progress: Callable[[str, int, int], None] | None,
    since: datetime | None = None,
    deadline: tuple[int, float, float | None] | None = None,
) -> None:
    """``total`` pending messages: without ``since`` oldest first; with it the mail
    since then newest first, then the older mail newest first. ``deadline`` (messages,
    seconds, busy): after the first ``messages``, none if they took longer than ``busy``
    seconds, else no batch starts once ``seconds`` have gone, and each batch is sized
    from the measured rate to fit what is left."""
    began = time.monotonic()
    started: float | None = None
    rate: float | None = None  # messages per second, from the last batch
    while report.analysed < total:
        limit = min(BATCH, total - report.analysed)
        if deadline is not None and since is not None and report.analysed >= deadline[0]:
            busy = deadline[2]
            spent = time.monotonic() - began  # on the recent mail, before any history
            if started is None and busy is not None and report.analysed > 0 and spent > busy:
                logger.info("The new mail took this run's time: history left for later")
                break
            started = started if started is not None else time.monotonic()
            left = deadline[1] - (time.monotonic() - started)
            if left <= 0:
                break
            fits = FIRST_HISTORY_BATCH if rate is None else int(rate * left)
            limit = max(1, min(limit, fits))
        batch_started = time.monotonic()
        if since is None:
            pending = store.pending_analysis(limit)
        else:
            pending = store.pending_analysis(limit, since=since, newest_first=True)
            pending = pending or store.pending_analysis(limit, newest_first=True)
        if not pending:
            break
        results, names, failed = _analyse(pipe, pending, config, store)
        report.findings += store.save_findings(
            results, names, analysed_by=what.identity, judged_by=what.thresholds_id
        )
        rate = len(pending) / max(time.monotonic() - batch_started, 1e-3)
        report.analysed += len(pending)
        report.failed += failed
        if progress:
            progress("analyse", report.analysed, total)
    if report.analysed:
        logger.info("Analysed %d messages: %d findings", report.analysed, report.findings)
    if report.failed:
        logger.warning(
            "analysis failed for %d message%s (marked analysed, no findings)",
            report.failed,
            "" if report.failed == 1 else "s",
        )


def _reanalyse(
    store: Store,
    config: Config,
    pipe: Any,
    what: Any,
    since: datetime,
    report: ExtractReport,
    stale: int,
    progress: Callable[[str, int, int], None] | None,
) -> None:
    """The recent mail another pipeline analysed, newest first; each batch's findings
    replaced and marked in one transaction (an interrupted pass resumes)."""
    logger.info("The NLP pipeline changed: analysing %d recent messages again", stale)
    failed = 0
    while True:
        batch = store.stale_analysis(what.identity, since, BATCH)
        if not batch:
            break
        results, names, bad = _analyse(pipe, batch, config, store)
        store.save_findings(results, names, analysed_by=what.identity, judged_by=what.thresholds_id)
        report.reanalysed += len(batch)
        failed += bad
        if progress:
            progress("re-analyse", report.reanalysed, stale)
    report.failed += failed
    if failed:
        logger.warning(
            "analysis failed for %d message%s analysed again (marked analysed, no findings)",
            failed,
            "" if failed == 1 else "s",
        )


def _rejudge(store: Store, what: Any) -> int:
    """Decide firm again, from the stored scores, for the findings the installed model
    scored under other thresholds; returns the findings whose decision changed."""
    from nlp.thresholds import rejudge

    changed = 0
    while True:
        rows = store.unjudged(what.identity, what.thresholds_id, JUDGE_BATCH)
        if not rows:
            break
        firm = {
            r.finding: rejudge(
                what.thresholds,
                r.kind,
                (r.cues or "").split(","),
                r.p_request,
                r.p_commitment,
                r.p_task,
            )
            for r in rows
            if r.finding is not None
        }
        pks = sorted({r.message_pk for r in rows})
        changed += store.save_judgements(pks, firm, what.thresholds_id)
    if changed:
        logger.info("The thresholds changed: %d findings judged again", changed)
    return changed


def _analyse(
    pipe: Any, pending: Sequence[PendingText], config: Config, store: Store
) -> tuple[list[tuple[int, tuple[Any, ...]]], dict[str, str], int]:
    """Findings per message pk and names read in the mail; a failing batch is retried
    one message at a time. Returns (results, names, messages that failed)."""
    people = store.participants_of([p.pk for p in pending])
    try:
        whole, whole_names = _analyse_batch(pipe, pending, config, people)
        return whole, whole_names, 0
    except Exception:
        logger.debug("a batch of %d failed; retrying one message at a time", len(pending))
    results: list[tuple[int, tuple[Any, ...]]] = []
    names: dict[str, str] = {}
    failed = 0
    for p in pending:
        try:
            one, found = _analyse_batch(pipe, [p], config, people)
        except Exception as e:
            # The pk only: the exception's text may quote the mail.
            logger.warning("analysis failed for message %d (%s)", p.pk, e.__class__.__name__)
            results.append((p.pk, ()))
            failed += 1
            continue
        results.extend(one)
        for email, name in found.items():
            names.setdefault(email, name)
    return results, names, failed


def reader_names(config: Config) -> tuple[str, ...]:
    """The owner's names as mail greets them: the configured name and the words of their
    addresses ("dana.lee@" is Dana Lee), so an ask put by name to someone else is seen."""
    import re

    words = [config.me.name] if config.me.name else []
    for address in config.me.addresses:
        local = " ".join(w for w in re.split(r"[._\-+]+", address.split("@", 1)[0]) if len(w) > 1)
        if local:
            words.append(local)
    return tuple(words)


def _analyse_batch(
    pipe: Any,
    pending: Sequence[PendingText],
    config: Config,
    people: Mapping[int, Sequence[tuple[str, str]]],
) -> tuple[list[tuple[int, tuple[Any, ...]]], dict[str, str]]:
    from nlp.findings import PersonMention, TextItem
    from nlp.people import name_for_address

    me = set(config.me.addresses)
    readers = reader_names(config)
    items = [
        TextItem(
            text=p.excerpt,
            sent_at=p.date,
            from_me=p.from_me,
            tz=config.me.timezone,
            sender_name=p.from_name,
            # Whom the thread is between, and who reads it: an ask put by name to one of
            # the others is theirs to answer, not the owner's.
            correspondents=tuple(
                PersonMention(name, email)
                for email, name in people.get(p.pk, ())
                if email not in me
            ),
            reader_names=() if p.from_me else readers,
        )
        for p in pending
    ]
    results: list[tuple[int, tuple[Any, ...]]] = []
    names: dict[str, str] = {}
    # people=False: names from headers, greetings and signatures, without the
    # model's NER (it would double the time). The whole batch is consumed here, so a
    # failure anywhere in it surfaces before anything is kept.
    extractions = pipe.extract_many(items, batch_size=config.nlp.batch_size, people=False)
    for p, ex in zip(pending, extractions, strict=True):
        # Every finding is kept with its scores; only firm ones become nudges (the rest,
        # courtesy closers and notices, count as asks in the labelled corpora but are
        # not worth a reminder): state.py's loader reads the firm ones.
        results.append((p.pk, tuple(ex.findings)))
        if not p.from_me and not p.from_name and p.from_email:
            # A bare address signed with a name it spells: say the name.
            name = name_for_address(ex.people, p.from_email)
            if name:
                names.setdefault(p.from_email, name)
    return results, names
