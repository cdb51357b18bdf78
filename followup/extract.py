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
    from nlp.people import name_for_address

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
        results = []
        names: dict[str, str] = {}
        # people=False: names from headers, greetings and signatures, without the
        # model's NER (it would double the time).
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
        found += store.save_findings(results, names)
        done += len(pending)
        if progress:
            progress("analyse", done, total)
    logger.info("Analysed %d messages: %d findings", done, found)
    return done, found
