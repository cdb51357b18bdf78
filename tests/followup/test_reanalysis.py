"""A new pipeline reaches the mail already stored; new thresholds judge stored scores.

Through the CLI with a fixed --now, on a Maildir built here. The pipeline's identity is
changed the way a release changes it (the rules' version constant); the thresholds the
way a retrained thresholds file does (what nlp.pipeline reads from the model's files).
"""

from __future__ import annotations

import dataclasses
import json
import mailbox
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

import nlp.pipeline
from followup.cli import cli
from followup.config import load_config
from followup.extract import extract_pending
from followup.state import planning_window
from followup.store.store import Store
from nlp.thresholds import Thresholds

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
# The rules' version as installed; the tests move it on from there.
V = nlp.pipeline.RULES_VERSION
ME = "penny@example.com"
# (sender, days before NOW, body): three asks in the planning window, one long before.
MAIL = {
    "<q3@acme.example>": ("Dana Lee <dana@acme.example>", 6, "Could you send me the Q3 numbers?"),
    "<venue@beta.example>": ("Raj Patel <raj@beta.example>", 4, "Can you book the venue?"),
    "<deck@gamma.example>": ("Lee Wong <lee@gamma.example>", 2, "Could you send me the deck?"),
    "<contract@old.example>": ("Kim Ito <kim@old.example>", 100, "Could you review the contract?"),
}
RECENT_NEWEST_FIRST = ["<deck@gamma.example>", "<venue@beta.example>", "<q3@acme.example>"]
OLD = "<contract@old.example>"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    for mid, (sender, days, ask) in MAIL.items():
        box.add(
            (
                f"From: {sender}\r\nTo: {ME}\r\nSubject: {mid[1:4]}\r\n"
                f"Date: {format_datetime(NOW - timedelta(days=days))}\r\n"
                f"Message-ID: {mid}\r\n\r\nHi Penny,\r\n\r\n{ask}\r\n\r\nThanks\r\n"
            ).encode()
        )
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[me]
name = "Penny Example"
addresses = ["{ME}"]
timezone = "America/Chicago"
[storage]
url = "sqlite:///{tmp_path / "state.db"}"
[[mail]]
name = "local"
kind = "maildir"
path = "{tmp_path / "Mail"}"
[nlp]
pipeline = "rules"
"""
    )
    return path


def invoke(config: Path, *args: str) -> str:
    r = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output + r.stderr
    return r.output


def digest(config: Path, *extra: str) -> dict[str, dict]:
    out = json.loads(invoke(config, "digest", "--json", "--now", NOW.isoformat(), *extra))
    return {n["key"]: n for n in out}


def marks(config: Path) -> dict[str, tuple[str, str, list[int]]]:
    """Message-ID -> (analysed_by, judged_by, its finding row ids)."""
    engine = create_engine(load_config(config).database_url())
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, message_id, analysed_by, judged_by FROM message")
        ).all()
        findings = conn.execute(text("SELECT message_pk, id FROM finding ORDER BY id")).all()
    engine.dispose()
    ids = {pk: [f for m, f in findings if m == pk] for pk, *_ in rows}
    return {f"<{mid}>": (by, judged, ids[pk]) for pk, mid, by, judged in rows}


def firm_findings(config: Path) -> list[tuple[str, bool]]:
    engine = create_engine(load_config(config).database_url())
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT m.message_id, f.firm FROM finding f JOIN message m ON m.id = f.message_pk"
                " WHERE f.kind = 'request' ORDER BY m.message_id"
            )
        ).all()
    engine.dispose()
    return [(mid, bool(firm)) for mid, firm in rows]


@pytest.fixture
def analysed_order(monkeypatch) -> list[datetime]:
    """The sent dates of the texts the real pipeline analyses, in order."""
    seen: list[datetime] = []
    real = nlp.pipeline.Pipeline.extract_many

    def recording(self, items, batch_size=64, *, people=True):  # type: ignore[no-untyped-def]
        items = list(items)
        seen.extend(i.sent_at for i in items)
        return real(self, items, batch_size, people=people)

    monkeypatch.setattr(nlp.pipeline.Pipeline, "extract_many", recording)
    return seen


def test_the_old_mail_is_outside_the_window_and_the_recent_mail_inside(config):
    """The fixture means what the tests below say."""
    window = planning_window(load_config(config).rules)
    assert timedelta(days=6) < window < timedelta(days=100)


def test_a_new_pipeline_analyses_recent_mail_again_newest_first(
    config, monkeypatch, analysed_order
):
    invoke(config, "run", "--no-send", "--now", NOW.isoformat())
    before = marks(config)
    first = {by for by, _, _ in before.values()}
    assert len(first) == 1 and next(iter(first)).startswith(f"rules-{V}+textcat-")
    nudges = digest(config)
    keys = {f"reply:{mid[1:-1]}" for mid in RECENT_NEWEST_FIRST}
    assert keys <= set(nudges)
    dana, raj, lee = (nudges[f"reply:{mid[1:-1]}"] for mid in reversed(RECENT_NEWEST_FIRST))
    invoke(config, "done", str(dana["number"]))
    invoke(config, "snooze", "3d", str(raj["number"]), "--now", NOW.isoformat())
    invoke(config, "dismiss", str(lee["number"]))
    analysed_order.clear()

    monkeypatch.setattr(nlp.pipeline, "RULES_VERSION", V + 1)
    invoke(config, "run", "--no-send", "--now", NOW.isoformat())

    # The recent mail only, newest first; its findings replaced (new rows, same finds).
    dates = {mid: NOW - timedelta(days=MAIL[mid][1]) for mid in MAIL}
    assert analysed_order == [dates[mid] for mid in RECENT_NEWEST_FIRST]
    after = marks(config)
    for mid in RECENT_NEWEST_FIRST:
        by, judged, ids = after[mid]
        assert by.startswith(f"rules-{V + 1}+textcat-") and judged == before[mid][1]
        assert ids and not set(ids) & set(before[mid][2])
        assert len(ids) == len(before[mid][2])
    assert after[OLD] == before[OLD]
    # The user's decisions hold: the nudges' keys name the message, not a finding row.
    every = digest(config, "--all")
    assert every[dana["key"]]["state"] == "done"
    assert every[raj["key"]]["state"] == "snoozed"
    assert every[lee["key"]]["state"] == "dismissed"
    assert {every[n["key"]]["number"] for n in (dana, raj, lee)} == {
        n["number"] for n in (dana, raj, lee)
    }
    # Nothing left to do: the next run analyses nothing again.
    analysed_order.clear()
    invoke(config, "run", "--no-send", "--now", NOW.isoformat())
    assert analysed_order == []


def test_the_pass_reports_its_progress_and_digest_analyses_again_too(config, monkeypatch):
    invoke(config, "sync")
    cfg = load_config(config)
    store = Store.open(cfg.database_url())
    try:
        assert extract_pending(store, cfg, now=NOW).analysed == len(MAIL)
        monkeypatch.setattr(nlp.pipeline, "RULES_VERSION", V + 2)
        seen: list[tuple[str, int, int]] = []
        report = extract_pending(store, cfg, now=NOW, progress=lambda *a: seen.append(a))
        assert (report.analysed, report.reanalysed) == (0, 3)
        assert seen == [("re-analyse", 3, 3)]
        # No now (e.g. a bare extraction): nothing is analysed again.
        monkeypatch.setattr(nlp.pipeline, "RULES_VERSION", V + 3)
        assert extract_pending(store, cfg).reanalysed == 0
    finally:
        store.close()
    # `followup digest` analyses again where it analyses: the recent three.
    digest(config)
    by = {mid: m[0] for mid, m in marks(config).items()}
    assert all(by[mid].startswith(f"rules-{V + 3}+") for mid in RECENT_NEWEST_FIRST)
    assert by[OLD].startswith(f"rules-{V}+")


def test_new_thresholds_judge_the_stored_scores_without_the_model(config, monkeypatch):
    invoke(config, "run", "--no-send", "--now", NOW.isoformat())
    assert set(digest(config)) >= {f"reply:{mid[1:-1]}" for mid in RECENT_NEWEST_FIRST}
    assert all(firm for _, firm in firm_findings(config))

    def no_model(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(nlp.pipeline, "load_pipeline", no_model)
    monkeypatch.setattr(nlp.pipeline.Pipeline, "extract_many", no_model)
    real = nlp.pipeline._installed
    # Thresholds no rule cue or score reaches: nothing is firm any more.
    strict = Thresholds(request_rule_floor=1.01, request_alone=1.01, task_alone=1.01)
    monkeypatch.setattr(
        nlp.pipeline,
        "_installed",
        lambda s, *c: dataclasses.replace(real(s, *c), thresholds=strict),
    )

    nudges = digest(config)
    assert not any(k.startswith("reply:") for k in nudges)
    assert firm_findings(config) and not any(firm for _, firm in firm_findings(config))
    judged = {j for _, j, _ in marks(config).values()}
    assert judged == {nlp.pipeline.installed("rules").thresholds_id}

    # The shipped thresholds again: the same findings are firm again, from their scores.
    monkeypatch.setattr(nlp.pipeline, "_installed", real)
    assert set(digest(config)) >= {f"reply:{mid[1:-1]}" for mid in RECENT_NEWEST_FIRST}
    assert all(firm for _, firm in firm_findings(config))


def test_a_0_1_0_store_is_analysed_again_and_keeps_every_decision(tmp_path, config):
    """Upgraded mail counts as analysed by an unknown pipeline: the next pass analyses
    the recent mail again, and the nudges' states stay as the user left them."""
    from store_history import NUDGES, build_earlier

    from followup.store.nudges import list_nudges

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    build_earlier(url, "0001", from_ddl=True)
    cfg = load_config(config)
    store = Store.open(url)
    try:
        report = extract_pending(store, cfg, now=NOW)
        assert (report.analysed, report.reanalysed) == (0, 5)
        states = {
            o.nudge.key: o.state
            for o in list_nudges(store, NOW, states=("open", "done", "snoozed", "dismissed"))
        }
        assert states == {k: s for k, (s, _) in NUDGES.items() if s != "closed"}
    finally:
        store.close()
    engine = create_engine(url)
    with engine.connect() as conn:
        by = set(conn.execute(text("SELECT analysed_by FROM message")).scalars())
        firm = conn.execute(text("SELECT count(*) FROM finding WHERE firm")).scalar_one()
    engine.dispose()
    assert by == {nlp.pipeline.installed("rules").identity}
    assert firm == 5  # each message's "Could you send the Q3 numbers by Friday?"
