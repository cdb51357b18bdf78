"""Kill -9 soak, short form: four runs SIGKILLed (during sync, analysis, planning and
sending), each rerun; the store must then equal an uninterrupted run's, on SQLite and a
real PostgreSQL, and every day's digest must have arrived once. benchmarks/soak_kill.py
runs the same with 30 kills (see tests/soak.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pgserver import postgres_url  # noqa: F401  (fixture)
from soak import PHASES, soak
from sqlalchemy import create_engine, text

pytestmark = [pytest.mark.slow, pytest.mark.server]  # server: the loopback SMTP


@pytest.fixture(params=["sqlite", "postgresql"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return (f"sqlite:///{tmp_path / 'reference.db'}", f"sqlite:///{tmp_path / 'killed.db'}")
    base = request.getfixturevalue("postgres_url")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    out = []
    with admin.connect() as conn:
        for lane in ("reference", "killed"):
            conn.execute(text(f"DROP DATABASE IF EXISTS soak_{lane}"))
            conn.execute(text(f"CREATE DATABASE soak_{lane}"))
            out.append(base.rsplit("/", 1)[0] + f"/soak_{lane}")
    admin.dispose()
    return out[0], out[1]


@pytest.mark.timeout(900)  # 4 days x 3 runs, each loading the NLP pipeline
def test_four_kills_end_like_an_uninterrupted_run(tmp_path: Path, urls: tuple[str, str]) -> None:
    # The first day brings most of the mailbox (several sync and analysis batches).
    phases = ["analysis", "sync", "planning", "sending"]
    assert sorted(phases) == sorted(PHASES)
    result = soak(tmp_path / "soak", urls, phases, seed=3)
    assert len(result.kills) == 4
    assert [k.phase for k in result.kills] == phases
    assert result.differences == {}, result.report()
    assert result.reference_digests == 4
