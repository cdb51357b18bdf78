"""Extract: run the NLP pipeline over messages not yet analysed, in batches.

Findings and the "analysed" mark are written in one transaction per batch, so an
interrupted run resumes where it stopped and never analyses a message twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from followup.config import Config
from followup.store.store import Store

logger = logging.getLogger(__name__)

BATCH = 256


def extract_pending(
    store: Store,
    config: Config,
    *,
    pipeline: Any = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[int, int]:
    """Analyse every pending message; returns (messages analysed, findings saved)."""
    total = store.count_pending_analysis()
    if not total:
        return 0, 0
    import nlp
    from nlp.findings import TextItem

    pipe = pipeline or nlp.load_pipeline(config.nlp.pipeline)
    done = found = 0
    while True:
        pending = store.pending_analysis(BATCH)
        if not pending:
            break
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
        results = [
            (p.pk, ex.findings)
            # Names come from headers for now; the model's NER would double the time.
            for p, ex in zip(
                pending,
                pipe.extract_many(items, batch_size=config.nlp.batch_size, people=False),
                strict=True,
            )
        ]
        found += store.save_findings(results)
        done += len(pending)
        if progress:
            progress("analyse", done, total)
    logger.info("Analysed %d messages: %d findings", done, found)
    return done, found
