"""Floors on the development data (../shared/data/nlp): regressions fail here.

The floors sit a little below the figures measured when the shipped classifier was
trained (see the report in the commit history); "heldout" is the part of each corpus
the classifier was not trained on.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nlp.evaluate import evaluate_findings, evaluate_people


def _shared_nlp_data() -> Path | None:
    env = os.environ.get("FOLLOWUP_SHARED_DATA")
    repo = Path(__file__).resolve().parents[2]
    for base in ([Path(env)] if env else []) + [repo / ".." / "shared" / "data"]:
        for cand in (base / "nlp", base):
            if (cand / "parakweet_train.jsonl").exists():
                return cand
    return None


DATA = _shared_nlp_data()
pytestmark = [
    pytest.mark.data,
    pytest.mark.skipif(DATA is None, reason="../shared/data/nlp is absent"),
]

# (corpus, part, kind, F1 floor)
FLOORS = [
    ("parakweet", "all", "request", 0.80),
    ("parakweet", "heldout", "request", 0.71),
    ("lin", "all", "task", 0.64),
    ("lin", "heldout", "task", 0.54),
    ("commitments", "all", "request", 0.84),
    ("commitments", "all", "commitment", 0.69),
    ("commitments", "heldout", "request", 0.77),
]


@pytest.fixture(scope="module")
def report(rules_pipeline):  # type: ignore[no-untyped-def]
    return evaluate_findings(rules_pipeline, DATA)


@pytest.mark.parametrize(("corpus", "part", "kind", "floor"), FLOORS)
def test_findings_floor(report, corpus: str, part: str, kind: str, floor: float) -> None:  # type: ignore[no-untyped-def]
    assert report[corpus][part][kind].f1 >= floor


def test_rules_alone_not_far_behind() -> None:
    from nlp.pipeline import Pipeline, build_rule_nlp

    rules_only = Pipeline(build_rule_nlp(textcat=False), None, "rules only")
    report = evaluate_findings(rules_only, DATA)
    assert report["parakweet"]["all"]["request"].f1 >= 0.67
    assert report["commitments"]["all"]["commitment"].f1 >= 0.64


def test_people_with_model(model_pipeline) -> None:  # type: ignore[no-untyped-def]
    scores = evaluate_people(model_pipeline, DATA)
    assert scores["body"].precision >= 0.88
    assert scores["body"].recall >= 0.74
    assert scores["all"].recall >= 0.82
