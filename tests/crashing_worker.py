"""The analysis worker (followup.analysis_worker), except that the process dies at once,
as a crash in the model would kill it, when a text it is given holds POISON."""

from __future__ import annotations

import os
import sys
from typing import Any

import nlp.pipeline
from followup import analysis_worker

_real = nlp.pipeline.Pipeline.extract_many


def _extract_many(self: Any, items: Any, batch_size: int = 64, *, people: bool = True) -> Any:
    items = list(items)
    if any("POISON" in item.text for item in items):
        os._exit(3)
    return _real(self, items, batch_size, people=people)


nlp.pipeline.Pipeline.extract_many = _extract_many  # type: ignore[method-assign]
raise SystemExit(analysis_worker.main(sys.argv[1]))
