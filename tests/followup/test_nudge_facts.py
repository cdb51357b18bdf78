"""Nudges keep facts, worded when shown: a nudge stored a week ago says how long ago it
really is, ``--json`` carries the facts (ISO dates, counts) beside the words, and every
kind's facts survive the store unchanged."""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from builders import ME, MY, NOW, RULES, ask, msg, state, thread
from rich.console import Console
from sqlalchemy import text

from followup import wording
from followup.cli.output import print_digest
from followup.digest.render import render_html, render_json, render_plain
from followup.nudges import (
    KIND_ORDER,
    PersonRef,
    ReplyFacts,
    WaitingOnFacts,
    facts_from_dict,
    facts_to_dict,
)
from followup.rules import plan
from followup.store.nudges import apply_plan, list_nudges
from followup.store.store import Store

TZ = MY.tz


def _scenario_module():  # type: ignore[no-untyped-def]
    """plan_scenario.py beside this file: a state with every kind (also run as a script)."""
    spec = importlib.util.spec_from_file_location(
        "plan_scenario", Path(__file__).with_name("plan_scenario.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scenario = _scenario_module().scenario
WEEK = timedelta(days=7)


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield s
    s.close()


def _ask_state():  # type: ignore[no-untyped-def]
    m = msg(
        "dana@acme.example",
        ME,
        NOW - timedelta(days=6),
        subject="Q3 numbers",
        findings=(ask("Can you send the Q3 numbers?"),),
    )
    return state(thread(m))


def _console() -> tuple[Console, StringIO]:
    buf = StringIO()
    return Console(file=buf, width=200, markup=False, highlight=False, emoji=False), buf


def test_a_nudge_stored_a_week_ago_is_worded_at_render_time(store):
    planned = [n for n in plan(_ask_state(), NOW, RULES, MY) if n.kind == "reply"]
    assert len(planned) == 1
    apply_plan(store, planned, NOW)
    # Shown the same day, it reads as it did when planned...
    same_day = list_nudges(store, NOW)
    assert render_json(same_day, NOW, TZ)[0]["reason"] == (
        "asked 'Can you send the Q3 numbers?' 6 days ago"
    )
    assert "6 days ago" in render_plain(same_day, NOW, TZ)
    # ...and a week later, with no new plan, against the later clock: not frozen text.
    later = NOW + WEEK
    stored = list_nudges(store, later)
    assert render_json(stored, later, TZ)[0]["reason"] == (
        "asked 'Can you send the Q3 numbers?' 13 days ago"
    )
    for shown in (render_plain(stored, later, TZ), render_html(stored, later, TZ)):
        assert "13 days ago" in shown  # the email shows the sentence, then its age
        assert "Can you send the Q3 numbers?" in shown
        assert "6 days ago" not in shown
    out, buf = _console()
    print_digest(stored, later, TZ, out=out)
    assert "Reply to Dana — asked 'Can you send the Q3 numbers?' 13 days ago" in buf.getvalue()


def test_the_store_keeps_facts_not_words(store):
    apply_plan(store, plan(_ask_state(), NOW, RULES, MY), NOW)
    with store.begin() as conn:
        payload, facts = conn.execute(text("SELECT payload, facts FROM nudge")).one()
    assert "title" not in json.loads(payload) and "reason" not in json.loads(payload)
    assert "ago" not in facts and "Reply to" not in facts
    assert json.loads(facts) == {
        "kind": "reply",
        "ask": "Can you send the Q3 numbers?",
        "asked_at": (NOW - timedelta(days=6)).isoformat().replace("+00:00", "Z"),
        "asks": 1,
    }


def test_every_kind_reads_back_the_same_facts_and_words(store):
    planned = plan(scenario(), NOW, RULES, MY)
    assert {n.kind for n in planned} == set(KIND_ORDER), "the scenario has every kind"
    apply_plan(store, planned, NOW)
    back = {o.nudge.key: o.nudge for o in list_nudges(store, NOW)}
    assert set(back) == {n.key for n in planned}
    for n in planned:
        got = back[n.key]
        assert got.facts == n.facts, n.key
        assert wording.title(got, TZ) == wording.title(n, TZ)
        assert wording.reason(got, NOW, TZ) == wording.reason(n, NOW, TZ)


def test_json_gives_iso_facts_beside_the_words(store):
    apply_plan(store, plan(scenario(), NOW, RULES, MY), NOW)
    later = NOW + timedelta(days=2)
    data = render_json(list_nudges(store, later), later, TZ)
    by_kind = {d["kind"]: d for d in data}
    reply = by_kind["reply"]
    assert reply["facts"]["kind"] == "reply" and reply["facts"]["asks"] == 1
    assert datetime.fromisoformat(reply["facts"]["asked_at"]) == NOW - timedelta(days=6)
    assert reply["reason"].endswith("8 days ago")  # words as of the render, beside the facts
    assert reply["title"].startswith("Reply to ")
    meeting = by_kind["before_meeting"]["facts"]
    datetime.fromisoformat(meeting["start"])  # ISO-8601, or this raises
    assert all("email" in p for p in meeting["people"])
    reconnect = by_kind["reconnect"]["facts"]
    assert reconnect["usual_gap"] == "P21D"  # an ISO-8601 duration
    assert "last contact 9 weeks ago" in by_kind["reconnect"]["reason"]


def test_waiting_on_lateness_counts_from_the_render_day():
    n_facts = WaitingOnFacts(
        action="confirm the venue",
        text="I will confirm the venue by Monday.",
        said_at=NOW - timedelta(days=8),
        due=NOW - timedelta(days=2),
    )
    assert wording.facts_reason(n_facts, NOW, TZ).endswith("; 2 days late")
    assert wording.facts_reason(n_facts, NOW + WEEK, TZ).endswith("; 9 days late")
    assert facts_from_dict(facts_to_dict(n_facts)) == n_facts


def test_damaged_facts_read_as_nothing_not_a_crash():
    assert facts_from_dict({"kind": "reply", "ask": "x"}) is None  # no asked_at
    assert facts_from_dict({"kind": "nonsense"}) is None
    good = ReplyFacts(ask="x", asked_at=NOW)
    assert facts_from_dict(facts_to_dict(good)) == good
    assert wording.facts_title(good, PersonRef("", "dana@acme.example"), TZ) == (
        "Reply to dana@acme.example"
    )
