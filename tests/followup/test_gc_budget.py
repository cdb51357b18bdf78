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
