"""Shared fixtures: every test gets its own FOLLOWUP_HOME, a fixed clock, the shared data."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """The development data (../shared/data beside the repo), or None where absent."""
    env = os.environ.get("FOLLOWUP_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture(autouse=True)
def followup_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "followup-home"
    monkeypatch.setenv("FOLLOWUP_HOME", str(home))
    monkeypatch.delenv("FOLLOWUP_CONFIG", raising=False)
    # The run's analysis process is off unless a test asks for it: in-process runs
    # (CliRunner) would not see a pipeline a test put in place.
    monkeypatch.setenv("FOLLOWUP_ANALYSIS_PROCESS", "0")
    return home


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 3, 17, 13, 30, tzinfo=UTC)  # Tue 07:30 in America/Chicago


@pytest.fixture
def shared_data() -> Path:
    d = shared_data_dir()
    if d is None:
        pytest.skip("the development data (../shared/data) is not available here")
    return d
