"""Precision, recall and F1 of the findings and people against the development data.

Each sentence is judged alone, as ``followup extract`` would judge it. Figures are
given for the whole corpus ("all") and for its held-out part ("heldout": the units the
shipped classifier was not trained on; see ``corpora.py``). BC3 is never trained on.
Every kind is scored twice: all findings ("request"), and the firm ones only ("firm
request"), the subset the digest acts on.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nlp.corpora import CORPORA, PEOPLE_FILE, Example, load
from nlp.findings import TextItem

logger = logging.getLogger(__name__)

# Which of our kinds each corpus is scored on ("task" = request or commitment).
BASE_KINDS = {
    "parakweet": ("request",),
    "lin": ("task",),
    "commitments": ("request", "commitment"),
    "bc3": ("request", "commitment"),
}
FIRM = "firm "
KINDS = {corpus: (*kinds, *(FIRM + k for k in kinds)) for corpus, kinds in BASE_KINDS.items()}
# A fixed anchor so due dates (not scored here) never depend on the clock.
_ANCHOR = datetime(2001, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, predicted: bool, gold: bool) -> None:
        self.tp += predicted and gold
        self.fp += predicted and not gold
        self.fn += gold and not predicted

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
        }


def predict_kinds(pipeline: Any, texts: Iterable[str]) -> list[set[str]]:
    """The kinds found in each text (a sentence, judged alone), the firm ones also
    prefixed with "firm "."""
    items = (TextItem(text=t, sent_at=_ANCHOR) for t in texts)
    out = []
    for extraction in pipeline.extract_many(items, batch_size=256):
        kinds: set[str] = set()
        for prefix, findings in (
            ("", extraction.findings),
            (FIRM, [f for f in extraction.findings if f.firm]),
        ):
            found = {f.kind for f in findings}
            if found:
                found.add("task")
            kinds |= {prefix + k for k in found}
        out.append(kinds)
    return out


def score_examples(examples: list[Example], predicted: list[set[str]]) -> dict[str, Any]:
    """{part: {kind: Score}} for one corpus."""
    result: dict[str, dict[str, Score]] = {}
    kinds = KINDS[examples[0].corpus] if examples else ()
    for ex, pred in zip(examples, predicted, strict=True):
        parts = ["all"] + (["heldout"] if ex.heldout else ["train"])
        for part in parts:
            for kind in kinds:
                result.setdefault(part, {}).setdefault(kind, Score()).add(
                    kind in pred, kind.removeprefix(FIRM) in ex.gold
                )
    return result


def evaluate_findings(pipeline: Any, data_dir: Path) -> dict[str, dict[str, dict[str, Score]]]:
    """Scores per corpus, per part ("all", "heldout", "train"), per kind."""
    report: dict[str, dict[str, dict[str, Score]]] = {}
    for file_name, (corpus, trainable) in CORPORA.items():
        path = data_dir / file_name
        if not path.exists():
            logger.info("skipping %s: not found", path)
            continue
        examples = load(data_dir, file_name)
        scores = score_examples(examples, predict_kinds(pipeline, [e.text for e in examples]))
        if not trainable:  # never trained on: the split is meaningless
            scores = {"all": scores["all"]}
        report[corpus] = scores
    return report


def _gold_people(row: dict[str, Any]) -> list[tuple[int, int]]:
    raw = row.get("person_mentions_named") or "[]"
    mentions = ast.literal_eval(raw) if isinstance(raw, str) else raw
    # Proper names only: addresses are paired with names by the header parser, and
    # nominal mentions ("the group", "Team", "everyone") are not names.
    return [(m["start"], m["end"]) for m in mentions if _is_proper_name(m["text"])]


_NOMINAL = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "my",
        "our",
        "your",
        "his",
        "her",
        "their",
        "team",
        "all",
        "everyone",
        "everybody",
        "group",
        "guys",
        "folks",
        "friend",
        "friends",
        "anyone",
        "someone",
        "people",
        "we",
        "you",
        "they",
    ]
)


def _is_proper_name(text: str) -> bool:
    words = text.replace(",", " ").split()
    if "@" in text or not words or words[0].lower() in _NOMINAL:
        return False
    return any(w[:1].isupper() for w in words)


def evaluate_people(pipeline: Any, data_dir: Path) -> dict[str, Score] | None:
    """Mention-level scores of proper-name people (a predicted span must overlap a gold
    one).

    "all" counts every named mention (header lines included); "body" only those on
    lines that are not header fields ("From :", "X - To :"...).
    """
    path = data_dir / PEOPLE_FILE
    if not path.exists():
        return None
    scores = {"all": Score(), "body": Score()}
    header = re.compile(r"^\s*(?:X\s*-\s*)?(?:From|To|Cc|Bcc|Sent|Date|Subject)\s*:", re.I)
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            text = row["text"]
            gold = _gold_people(row)
            pred = [(s.start, s.end) for s in pipeline.person_spans(text)]

            def in_body(span: tuple[int, int], text: str = text) -> bool:
                start = text.rfind("\n", 0, span[0]) + 1
                return not header.match(text[start : span[0] + 1])

            for part, keep in (("all", lambda _s: True), ("body", in_body)):
                g = [s for s in gold if keep(s)]
                p = [s for s in pred if keep(s)]
                matched_gold = sum(1 for s in g if any(_overlap(s, q) for q in p))
                matched_pred = sum(1 for q in p if any(_overlap(s, q) for s in g))
                scores[part].tp += matched_gold
                scores[part].fn += len(g) - matched_gold
                scores[part].fp += len(p) - matched_pred
    return scores


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def run(pipeline: Any, data_dir: Path) -> dict[str, Any]:
    """The whole report as plain data (what ``followup evaluate --json`` prints)."""
    findings = evaluate_findings(pipeline, data_dir)
    report: dict[str, Any] = {
        "pipeline": pipeline.name,
        "corpora": {
            corpus: {
                part: {kind: s.as_dict() for kind, s in kinds.items()}
                for part, kinds in parts.items()
            }
            for corpus, parts in findings.items()
        },
    }
    people = evaluate_people(pipeline, data_dir)
    if people is not None:
        report["corpora"]["emailcoref"] = {
            part: {"people": s.as_dict()} for part, s in people.items()
        }
    return report


def format_table(report: dict[str, Any]) -> str:
    """A plain-text table of the report."""
    lines = [f"pipeline: {report['pipeline']}", ""]
    lines.append(f"{'corpus':<12} {'part':<8} {'kind':<16} {'P':>6} {'R':>6} {'F1':>6} {'n+':>5}")
    for corpus, parts in report["corpora"].items():
        for part, kinds in parts.items():
            if part == "train":
                continue
            for kind, s in kinds.items():
                lines.append(
                    f"{corpus:<12} {part:<8} {kind:<16} {s['precision']:>6.3f} "
                    f"{s['recall']:>6.3f} {s['f1']:>6.3f} {s['tp'] + s['fn']:>5}"
                )
    return "\n".join(lines)
