"""The sync's GC threshold is raised only for the sync and always restored."""

from __future__ import annotations

import gc

import pytest

from followup.gc_budget import fewer_collections


def test_threshold_is_raised_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    with fewer_collections(50_000):
        assert gc.get_threshold() == (50_000, *before[1:])
    assert gc.get_threshold() == before


def test_threshold_is_restored_when_the_block_raises() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections(50_000):
        raise RuntimeError("boom")
    assert gc.get_threshold() == before


def test_a_higher_threshold_already_set_is_kept() -> None:
    before = gc.get_threshold()
    gc.set_threshold(90_000, *before[1:])
    try:
        with fewer_collections(50_000):
            assert gc.get_threshold()[0] == 90_000
    finally:
        gc.set_threshold(*before)


def test_a_run_plans_under_the_raised_threshold_and_restores_it(tmp_path, monkeypatch) -> None:
    """run_once keeps its collections few while it builds the plan's state (at 100k
    messages, 0.3 s of a run's 3 s went to collections without it)."""
    from datetime import UTC, datetime

    from followup import runner
    from followup.config import parse_config
    from followup.gc_budget import SYNC_THRESHOLD

    seen: list[int] = []
    real_plan = runner.plan

    def plan(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.get_threshold()[0])
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(runner, "plan", plan)
    cfg = parse_config(
        {
            "me": {"addresses": ["penny@example.com"]},
            "storage": {"url": f"sqlite:///{tmp_path}/s.db"},
        }
    )
    before = gc.get_threshold()
    runner.run_once(cfg, now=datetime(2026, 3, 17, 9, 0, tzinfo=UTC), deliver=False)
    assert seen == [max(SYNC_THRESHOLD, before[0])]
    assert gc.get_threshold() == before


def test_the_analysis_child_analyses_under_the_raised_threshold(monkeypatch) -> None:
    """The analysis process (analysis_worker) collects less often while it analyses:
    the default threshold's collections were 6% of the analysis."""
    import io
    import sys
    from types import SimpleNamespace

    import nlp
    from followup import analysis_worker
    from followup.child_pipes import write_frame
    from followup.gc_budget import SYNC_THRESHOLD

    seen: list[int] = []

    def extract_many(items, batch_size, people):  # type: ignore[no-untyped-def]
        seen.append(gc.get_threshold()[0])
        return [len(items)]

    fake = SimpleNamespace(installed="fake", name="fake", extract_many=extract_many)
    monkeypatch.setattr(nlp, "load_pipeline", lambda prefer, **options: fake)
    requests = io.BytesIO()
    write_frame(requests, ("extract", ["a", "b"], 8, False))
    requests.seek(0)
    answers = io.BytesIO()
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=requests))
    monkeypatch.setattr(sys, "stdout", SimpleNamespace(buffer=answers))
    before = gc.get_threshold()
    assert analysis_worker.main("rules") == 0
    assert seen == [max(SYNC_THRESHOLD, before[0])]
    assert gc.get_threshold() == before
