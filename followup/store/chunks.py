"""One way to bound the parameters of an ``IN (...)`` list."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")

# SQLite before 3.32 allows 999 parameters a statement; a chunk leaves room for the rest.
CHUNK = 500


def chunks(items: Iterable[T], size: int = CHUNK) -> list[list[T]]:
    """Lists of at most ``size`` (none for no items): one ``IN (...)`` each."""
    seq = list(items)
    return [seq[i : i + size] for i in range(0, len(seq), size)]
