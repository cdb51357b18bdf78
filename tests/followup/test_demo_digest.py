"""`followup demo` against the demo's plan: every planted nudge, no non-situation."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from followup.cli import cli
from followup.config import followup_home
from followup.demo import DEMO_NOW as NOW_DEMO
from followup.demo import load_plan
from followup.threads import normalise_subject


def _matches(n: dict, want: dict) -> bool:
    if want.get("kind") not in ("*", None, n["kind"]):
        return False
    people = [n["person"], *n.get("people", [])] if n.get("person") else n.get("people", [])
    if want.get("person") and want["person"] not in {p["email"] for p in people if p}:
        return False
    if want.get("subject"):
        subject = normalise_subject(n["evidence"].get("subject") or "")
        return normalise_subject(want["subject"]) == subject
    return True


@pytest.fixture(scope="module")
def demo_nudges(tmp_path_factory) -> tuple[list[dict], dict]:
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("FOLLOWUP_HOME", str(home))
    try:
        plan = load_plan()
        runner = CliRunner()
        first = runner.invoke(cli, ["demo", "--json"], catch_exceptions=False)
        assert first.exit_code == 0, first.stderr
        config = str(followup_home() / "demo" / "config.toml")
        for email in plan["mute"]:
            assert runner.invoke(cli, ["--config", config, "mute", email]).exit_code == 0
        result = runner.invoke(cli, ["demo", "--keep", "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        plan = {**plan, "_before_mute": json.loads(first.output)}
        return json.loads(result.output), plan
    finally:
        mp.undo()


def test_every_planted_nudge_is_there(demo_nudges):
    nudges, plan = demo_nudges
    missing = [w for w in plan["expected"] if not any(_matches(n, w) for n in nudges)]
    assert missing == []


def test_no_nudge_about_a_non_situation(demo_nudges):
    nudges, plan = demo_nudges
    wrong = [(w, n["title"]) for w in plan["not_expected"] for n in nudges if _matches(n, w)]
    assert wrong == []


def test_every_kind_appears_and_nudges_carry_their_evidence(demo_nudges):
    nudges, _ = demo_nudges
    kinds = {n["kind"] for n in nudges}
    assert kinds == {
        "reply",
        "promise",
        "follow_up",
        "waiting_on",
        "reconnect",
        "after_meeting",
        "before_meeting",
    }
    for n in nudges:
        assert n["key"] and n["title"] and n["reason"]
        if n["kind"] in ("reply", "promise", "follow_up", "waiting_on"):
            assert (
                n["evidence"]["message_id"] and n["evidence"]["sentence"] and n["evidence"]["date"]
            )


def test_muted_person_is_absent_but_was_there_before(demo_nudges):
    nudges, plan = demo_nudges
    muted = set(plan["mute"])

    def about_muted(items: list[dict]) -> list[str]:
        return [n["key"] for n in items if n["person"] and n["person"]["email"] in muted]

    assert about_muted(plan["_before_mute"])  # the mute is what removes them
    assert about_muted(nudges) == []


@pytest.mark.slow
@pytest.mark.timeout(900)  # two whole demos at once: minutes on a busy 2-core machine
def test_demo_is_deterministic_in_a_real_process(tmp_path):
    """As installed: cwd elsewhere, so the repository's tools/ (the demo's generator)
    cannot be imported; two hash seeds, so no order may come from iterating a set."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def env(seed: str) -> dict[str, str]:
        home = str(tmp_path / f"home{seed}")
        return {"FOLLOWUP_HOME": home, "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": seed}

    def start(*args: str, seed: str = "1") -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=elsewhere,
            env=env(seed),
        )

    def output(proc: subprocess.Popen[str]) -> str:
        try:
            out, err = proc.communicate(timeout=800)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        assert proc.returncode == 0, err
        return out

    probe = "import importlib.util; print(importlib.util.find_spec('tools'))"
    assert output(start("-c", probe)).strip() == "None"
    # Both at once, each in its own home: the machine's two cores halve the wait.
    runs = [start("-m", "followup", "demo", "--json", seed=seed) for seed in ("1", "2")]
    outs = [output(proc) for proc in runs]
    assert outs[0] == outs[1]
    assert json.loads(outs[0])
    # The terminal digest, from the first run's store (--keep: nothing to analyse again).
    text = output(start("-m", "followup", "demo", "--keep"))
    assert text.startswith("followup — Tue 17 Mar 2026 07:30 — ")
    for section in (
        "Reply (",
        "Promises due (",
        "Follow up (",
        "Waiting on (",
        "Meetings today (",
        "After meetings (",
        "Reconnect (",
    ):
        assert section in text


def test_nothing_beyond_the_plan(demo_nudges):
    """Background chatter, newsletters and answered threads add no nudge of their own."""
    nudges, plan = demo_nudges
    extra = [n["title"] for n in nudges if not any(_matches(n, w) for w in plan["expected"])]
    assert extra == []


def test_the_demo_email_shows_the_top_scores_across_kinds(demo_nudges):
    """The digest's selection over the demo's plan (followup.ranking): the ten best
    scores whatever their kind, reconnects within their cap, the rest counted."""
    from followup.nudges import OpenNudge, nudge_from_dict
    from followup.ranking import choose

    nudges, _ = demo_nudges
    opened = [
        OpenNudge(number=n["number"], nudge=nudge_from_dict(n), state="open", first_seen=NOW_DEMO)
        for n in nudges
    ]
    chosen = choose(opened, NOW_DEMO, max_items=10, min_score=20.0)
    assert len(chosen.shown) == 10 and chosen.hidden == len(opened) - 10
    low = min(o.nudge.score for o in chosen.shown)
    assert all(o.nudge.score <= low for o in opened if o not in chosen.shown)
    kinds = {o.nudge.kind for o in chosen.shown}
    assert {"reply", "promise", "before_meeting"} <= kinds  # not one section's ten
    assert sum(o.nudge.kind == "reconnect" for o in chosen.shown) <= 3
    assert all(0 < n["score"] <= 100 for n in nudges)  # every nudge is scored
