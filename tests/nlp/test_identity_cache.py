"""The model identity is cached by the files' names, sizes and mtimes: a quiet run reads
no model file, and a changed file is hashed again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import nlp.pipeline
from nlp.pipeline import _cached_hash, _files_hash


@pytest.fixture
def model(tmp_path: Path) -> Path:
    d = tmp_path / "model"
    (d / "sub").mkdir(parents=True)
    (d / "weights.bin").write_bytes(b"\x00" * 64)
    (d / "sub" / "cfg").write_text("a = 1")
    (d / "thresholds.json").write_text("{}")
    return d


def test_the_cached_hash_is_the_files_hash_and_reads_no_file_the_second_time(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "identity.json"
    first = _cached_hash(model, cache)
    assert first == _files_hash.__wrapped__(model)

    def refuse(path: Path) -> str:
        raise AssertionError("the model files were hashed again")

    monkeypatch.setattr(nlp.pipeline, "_files_hash", refuse)
    assert _cached_hash(model, cache) == first


def test_a_changed_file_is_hashed_again(model: Path, tmp_path: Path) -> None:
    cache = tmp_path / "identity.json"
    first = _cached_hash(model, cache)
    weights = model / "weights.bin"
    weights.write_bytes(b"\x01" * 64)  # same size: the mtime tells
    st = weights.stat()
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    nlp.pipeline._files_hash.cache_clear()
    second = _cached_hash(model, cache)
    assert second != first and second == _files_hash.__wrapped__(model)


def test_a_broken_or_unwritable_cache_only_costs_a_hash(model: Path, tmp_path: Path) -> None:
    cache = tmp_path / "identity.json"
    cache.write_text("{not json")
    assert _cached_hash(model, cache) == _files_hash.__wrapped__(model)
    missing = tmp_path / "no" / "such" / "dir" / "identity.json"
    assert _cached_hash(model, missing) == _files_hash.__wrapped__(model)
