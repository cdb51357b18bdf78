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

# (corpus, part, kind, F1 floor). Measured with the shipped classifier (bag of words + CNN
# fine-tuned from en_core_web_sm, 3 epochs, seed 0): all findings, parakweet all 0.896 /
# heldout 0.810, lin 0.873 / 0.732, commitments request 0.786 / 0.723 (26 positives held
# out), commitment 0.791; firm findings, parakweet heldout 0.726, commitments commitment
# 0.809 before rules version 2 and 0.759 since: the corpus counts a promise that waits on
# the reader or an event ("tell me which deals and we'll take care of it", "once the
# database is set up we will ...") as a commitment; the digest's readers judged them
# noise, so they are findings, not firm (all commitments' F1 is unchanged, 0.791).
FLOORS = [
    ("parakweet", "all", "request", 0.87),
    ("parakweet", "heldout", "request", 0.79),
    ("lin", "all", "task", 0.84),
    ("lin", "heldout", "task", 0.70),
    ("commitments", "all", "request", 0.76),
    ("commitments", "all", "commitment", 0.76),
    ("commitments", "heldout", "request", 0.69),
    ("parakweet", "heldout", "firm request", 0.70),
    ("commitments", "all", "firm commitment", 0.74),
]
# The digest quotes firm requests to the user: precision floors (corpus, part, P floor).
# Measured: 0.843, 0.907, 0.944.
PRECISION_FLOORS = [
    ("parakweet", "heldout", 0.82),
    ("commitments", "all", 0.88),
    ("commitments", "heldout", 0.90),
]


@pytest.fixture(scope="module")
def report(rules_pipeline):  # type: ignore[no-untyped-def]
    return evaluate_findings(rules_pipeline, DATA)


@pytest.mark.parametrize(("corpus", "part", "kind", "floor"), FLOORS)
def test_findings_floor(report, corpus: str, part: str, kind: str, floor: float) -> None:  # type: ignore[no-untyped-def]
    assert report[corpus][part][kind].f1 >= floor


@pytest.mark.parametrize(("corpus", "part", "floor"), PRECISION_FLOORS)
def test_request_precision_floor(report, corpus: str, part: str, floor: float) -> None:  # type: ignore[no-untyped-def]
    assert report[corpus][part]["firm request"].precision >= floor


def test_rules_alone_not_far_behind() -> None:
    from nlp.pipeline import Pipeline, build_rule_nlp

    rules_only = Pipeline(build_rule_nlp(textcat=False), None, "rules only")
    report = evaluate_findings(rules_only, DATA)
    # measured: 0.702 and 0.766
    assert report["parakweet"]["all"]["request"].f1 >= 0.68
    assert report["commitments"]["all"]["commitment"].f1 >= 0.74


def test_people_with_model(model_pipeline) -> None:  # type: ignore[no-untyped-def]
    scores = evaluate_people(model_pipeline, DATA)
    # measured: body P 0.911 R 0.902, all R 0.929
    assert scores["body"].precision >= 0.89
    assert scores["body"].recall >= 0.89
    assert scores["all"].recall >= 0.92


def test_people_rules_alone(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    scores = evaluate_people(rules_pipeline, DATA)
    # measured: body P 0.971 R 0.698
    assert scores["body"].precision >= 0.95
    assert scores["body"].recall >= 0.68


# The sentence encoder (the encoder extra) on the held-out parts, (corpus, kind, F1 floor).
# Measured (rank 32, 3 epochs, seed 0): 0.843, 0.786, 0.744; firm request P 0.869.
ENCODER_FLOORS = [
    ("parakweet", "request", 0.82),
    ("lin", "task", 0.77),
    ("commitments", "firm request", 0.72),
]


@pytest.fixture(scope="module")
def encoder_heldout():  # type: ignore[no-untyped-def]
    from nlp.corpora import CORPORA, load
    from nlp.encoder import load_encoder
    from nlp.evaluate import predict_kinds, score_examples
    from nlp.pipeline import load_pipeline

    if load_encoder() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the encoder extra is not installed")
        pytest.skip("the encoder extra is not installed")
    assert DATA is not None
    pipe = load_pipeline("auto")
    report = {}
    for file_name, (corpus, trainable) in CORPORA.items():
        if trainable and (DATA / file_name).exists():
            held = [ex for ex in load(DATA, file_name) if ex.heldout]
            report[corpus] = score_examples(held, predict_kinds(pipe, [e.text for e in held]))
    return report


@pytest.mark.parametrize(("corpus", "kind", "floor"), ENCODER_FLOORS)
def test_encoder_heldout_floor(encoder_heldout, corpus: str, kind: str, floor: float) -> None:  # type: ignore[no-untyped-def]
    assert encoder_heldout[corpus]["all"][kind].f1 >= floor


def test_encoder_firm_requests_stay_precise(encoder_heldout) -> None:  # type: ignore[no-untyped-def]
    assert encoder_heldout["parakweet"]["all"]["firm request"].precision >= 0.85
