"""The labelled development corpora (../shared/data/nlp) and their fixed splits.

Each corpus maps its own labels to ours: Parakweet ``intent`` -> request; BC3 ``req`` ->
request and ``cmt`` -> commitment; Lin ``task`` -> request-or-commitment;
``commitments_dev`` -> commitment and request. The held-out part of each (used for
honest reporting; the shipped classifier is trained on the rest) is chosen by a CRC of
the unit that must not straddle the split: the email for Lin and commitments_dev, the
sentence for Parakweet (it has no grouping).
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HELDOUT_BUCKETS = 5  # one in five units is held out

# file name -> (what it is called in reports, whether the licence allows training on it)
CORPORA: dict[str, tuple[str, bool]] = {
    "parakweet_train.jsonl": ("parakweet", True),
    "lin_dev.jsonl": ("lin", True),
    "commitments_dev.jsonl": ("commitments", True),
    "bc3_dev.jsonl": ("bc3", False),  # CC BY-SA: evaluation only
}
PEOPLE_FILE = "emailcoref_train.jsonl"


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled sentence: gold kinds (request/commitment/task) and its split."""

    id: str
    text: str
    gold: frozenset[str]
    heldout: bool
    corpus: str
    extra: dict[str, Any] = field(default_factory=dict)


def find_data_dir(given: str | os.PathLike[str] | None = None) -> Path | None:
    """The ``nlp`` data directory: ``given``, else $FOLLOWUP_SHARED_DATA, else
    ../shared/data relative to the current directory; None when absent."""
    candidates: list[Path] = []
    if given:
        candidates.append(Path(given))
    else:
        env = os.environ.get("FOLLOWUP_SHARED_DATA")
        if env:
            candidates.append(Path(env))
        candidates.append(Path.cwd() / ".." / "shared" / "data" / "nlp")
    for path in candidates:
        # Accept the data root as well as its nlp/ folder.
        for cand in (path, path / "nlp"):
            if any((cand / name).exists() for name in CORPORA):
                return cand
    return None


def is_heldout(unit: str) -> bool:
    return zlib.crc32(unit.encode("utf-8")) % HELDOUT_BUCKETS == 0


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load(data_dir: Path, file_name: str) -> list[Example]:
    """Load one corpus as Examples with gold kinds in our terms."""
    corpus = CORPORA[file_name][0]
    out = []
    for row in _rows(data_dir / file_name):
        labels = set(row.get("labels") or [])
        gold: set[str] = set()
        if corpus == "parakweet":
            unit = row["id"]
            if "intent" in labels:
                gold.add("request")
        elif corpus == "lin":
            unit = str(row.get("group"))
            if "task" in labels:
                gold.add("task")
        elif corpus == "commitments":
            unit = row["id"].rsplit(":", 1)[0]
            gold = labels & {"request", "commitment"}
        else:  # bc3
            unit = str(row.get("thread"))
            if "req" in labels:
                gold.add("request")
            if "cmt" in labels:
                gold.add("commitment")
        out.append(Example(row["id"], row["text"], frozenset(gold), is_heldout(unit), corpus))
    return out
