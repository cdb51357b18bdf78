"""Extract: run the NLP pipeline over messages not yet analysed, in batches.

Findings and the "analysed" mark are written in one transaction per batch, so an
interrupted run resumes where it stopped and never analyses a message twice.

One message never stops the others: whatever its text does to the pipeline (any
exception), the message is marked analysed with no findings, counted, and logged by its
row number only (its text may be anyone's mail). A batch that fails is retried one text
at a time to find the one that did it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from followup.config import Config
from followup.store.store import PendingText, Store

logger = logging.getLogger(__name__)

BATCH = 256


@dataclass
class ExtractReport:
    """What one pass did: messages analysed, findings saved, messages that failed."""

    analysed: int = 0
    findings: int = 0
    failed: int = 0


def extract_pending(
    store: Store,
    config: Config,
    *,
    pipeline: Any = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ExtractReport:
    """Analyse every pending message; see the module docstring for failures."""
    report = ExtractReport()
    total = store.count_pending_analysis()
    if not total:
        return report
    import nlp

    pipe = pipeline or nlp.load_pipeline(config.nlp.pipeline)
    while True:
        pending = store.pending_analysis(BATCH)
        if not pending:
            break
        results, names, failed = _analyse(pipe, pending, config)
        report.findings += store.save_findings(results, names)
        report.analysed += len(pending)
        report.failed += failed
        if progress:
            progress("analyse", report.analysed, total)
    logger.info("Analysed %d messages: %d findings", report.analysed, report.findings)
    if report.failed:
        logger.warning(
            "analysis failed for %d message%s (marked analysed, no findings)",
            report.failed,
            "" if report.failed == 1 else "s",
        )
    return report


def _analyse(
    pipe: Any, pending: Sequence[PendingText], config: Config
) -> tuple[list[tuple[int, tuple[Any, ...]]], dict[str, str], int]:
    """Findings per message pk and names read in the mail; a failing batch is retried
    one message at a time. Returns (results, names, messages that failed)."""
    try:
        whole, whole_names = _analyse_batch(pipe, pending, config)
        return whole, whole_names, 0
    except Exception:
        logger.debug("a batch of %d failed; retrying one message at a time", len(pending))
    results: list[tuple[int, tuple[Any, ...]]] = []
    names: dict[str, str] = {}
    failed = 0
    for p in pending:
        try:
            one, found = _analyse_batch(pipe, [p], config)
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


def _analyse_batch(
    pipe: Any, pending: Sequence[PendingText], config: Config
) -> tuple[list[tuple[int, tuple[Any, ...]]], dict[str, str]]:
    from nlp.findings import TextItem
    from nlp.people import name_for_address

    items = [
        TextItem(
            text=p.excerpt,
            sent_at=p.date,
            from_me=p.from_me,
            tz=config.me.timezone,
            sender_name=p.from_name,
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
        # Only firm findings become nudges: the rest (courtesy closers, notices)
        # count as asks in the labelled corpora but are not worth a reminder.
        results.append((p.pk, tuple(f for f in ex.findings if f.firm)))
        if not p.from_me and not p.from_name and p.from_email:
            # A bare address signed with a name it spells: say the name.
            name = name_for_address(ex.people, p.from_email)
            if name:
                names.setdefault(p.from_email, name)
    return results, names
