"""One candidate nudge never stops the plan: a rule that fails on it drops that nudge.

The rules run over data from anyone's mail and calendar; whatever one thread, contact
or meeting does to a rule's arithmetic (a date at the edge of the calendar, say), that
one candidate is skipped with one log line naming the kind and a store key (never mail
text), and the digest still goes out with everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class PlanFailures:
    """Counts the candidates dropped in one planning pass; ``keys`` as logged."""

    keys: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.keys)

    @contextmanager
    def candidate(self, kind: str, key: str) -> Iterator[None]:
        """Run one candidate's body; an exception in it is logged, counted and dropped."""
        try:
            yield
        except Exception as e:  # any: the point is that nothing escapes one candidate
            label = f"{kind} {key!r}"  # repr: a calendar's UID may hold control characters
            self.keys.append(label)
            logger.warning("planning failed for %s (%s); nudge dropped", label, type(e).__name__)
