"""The run's NLP pipeline in a child process (followup.analysis_process): the same
findings as in-process, and a child that dies or never starts costs no mail."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nlp.pipeline
from followup.analysis_process import AnalysisProcess
from followup.config import load_config
from followup.extract import extract_pending
from tests.followup.test_extract_isolation import NOW, synced, the_failed_message, write_config


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


CRASHING = [sys.executable, "-P", str(Path(__file__).parents[1] / "crashing_worker.py"), "rules"]


def followup(config: Path, *args: str, child: bool) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FOLLOWUP_ANALYSIS_PROCESS": "1" if child else "0"}
    return subprocess.run(
        [sys.executable, "-m", "followup", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_a_run_analysing_in_a_child_gives_the_digest_of_one_analysing_here(
    config: Path, tmp_path: Path
) -> None:
    digests = []
    for child in (True, False):
        db = tmp_path / "state.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        r = followup(config, "-v", "run", "--no-send", "--now", NOW.isoformat(), child=child)
        assert r.returncode == 0, r.stderr
        assert ("loaded in a child process" in r.stderr) is child
        assert "Synced 2 new messages, analysed 2" in r.stdout
        d = followup(config, "digest", "--json", "--now", NOW.isoformat(), child=child)
        digests.append(json.loads(d.stdout))
    assert digests[0] == digests[1]
    assert "reply:q3@acme.example" in [n["key"] for n in digests[0]]


def test_a_child_that_dies_on_a_text_costs_that_message_only(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg, store = synced(config)
    with AnalysisProcess("rules", CRASHING) as early, caplog.at_level(logging.WARNING):
        report = extract_pending(store, cfg, load=early.pipeline)
        # The batch, then the poisoned message alone: a child started again each time.
        assert early.restarts == 2
    assert (report.analysed, report.failed) == (2, 1)
    assert report.findings >= 1  # Dana's ask, analysed by a child started again
    bad = the_failed_message(store)
    logged = [r.getMessage() for r in caplog.records]
    assert f"analysis failed for message {bad} (AnalysisProcessGone)" in logged
    assert not any("POISON" in line for line in logged)
    store.close()


def test_a_child_that_cannot_start_leaves_the_analysis_here(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg, store = synced(config)
    gone = [sys.executable, "-c", "pass"]  # exits before loading anything
    with AnalysisProcess("rules", gone) as early, caplog.at_level(logging.WARNING):
        pipe = early.pipeline()
        assert isinstance(pipe, nlp.pipeline.Pipeline)
        report = extract_pending(store, cfg, pipeline=pipe)
    assert (report.analysed, report.failed) == (2, 0) and report.findings >= 1
    assert any("did not start (EOFError); analysing here" in r.getMessage() for r in caplog.records)
    store.close()


PARENT = """
import sys, time
from followup.analysis_process import AnalysisProcess
from followup.config import load_config
early = AnalysisProcess("rules")
early.pipeline()
print(early._child.proc.pid, flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_the_child_ends_when_its_parent_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    assert _alive(pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)


def test_the_sync_says_when_it_stored_new_mail_and_only_then(config: Path) -> None:
    """What starts the child for a network mailbox (looked at every run): new mail."""
    from followup.runner import open_store
    from followup.sync import sync_all

    cfg = load_config(config)
    store = open_store(cfg)
    calls: list[int] = []
    sync_all(store, cfg, NOW, on_new=lambda: calls.append(1))
    assert calls == [1]  # one batch of two new messages
    sync_all(store, cfg, NOW, on_new=lambda: calls.append(2))
    assert calls == [1]  # nothing new: no child for a run that will not analyse
    store.close()


def test_a_child_not_started_leaves_the_analysis_here() -> None:
    early = AnalysisProcess("rules", start=False)
    assert isinstance(early.pipeline(), nlp.pipeline.Pipeline)
    assert not early.started and early._child is None
    early.close()


def test_the_child_names_its_pipeline_from_the_cached_model_hash(tmp_path: Path) -> None:
    """The child reads the model files' hash from the home's cache, as the parent does,
    rather than hashing the model files at every start (0.17 s for the encoder): a
    cached hash whose files' names, sizes and times still match is the one it reports."""
    cache = tmp_path / "model-identity.json"
    fresh = nlp.pipeline.installed("rules", cache).identity
    known = json.loads(cache.read_text())
    assert known, "the textcat's hash was cached"
    for entry in known.values():
        entry["hash"] = "cachedcached"
    cache.write_text(json.dumps(known))
    with AnalysisProcess("rules", identity_cache=cache) as early:
        remote = early.pipeline()
        assert remote.installed.identity != fresh
        assert "cachedcached" in remote.installed.identity
    with AnalysisProcess("rules") as early:  # no cache given: the files are hashed
        assert early.pipeline().installed.identity == fresh
