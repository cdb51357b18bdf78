"""A store written by followup 0.1.0, used through the CLI: doctor reports the pending
steps without applying them, the next command migrates, and every decision is kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pgserver import postgres_url  # noqa: F401  (fixture)
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from store_history import ME, NOW, NUDGES, build_earlier, fresh_database, recorded_steps

from followup.cli import cli
from followup.store import history, migrations


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def old_store(request, tmp_path):
    """The URL of a 0.1.0 store (schema from the frozen 0001 DDL, rows in every table)."""
    pg = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    with fresh_database(request.param, tmp_path, pg, f"cli_{request.node.name}") as url:
        build_earlier(url, "0001", from_ddl=True)
        yield url


def write_config(tmp_path: Path, url: str) -> Path:
    (tmp_path / "Mail" / "cur").mkdir(parents=True)
    for sub in ("new", "tmp"):
        (tmp_path / "Mail" / sub).mkdir()
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[me]
name = "Penny Example"
addresses = ["{ME}"]
timezone = "America/Chicago"

[storage]
url = "{url}"

[[mail]]
name = "local"
kind = "maildir"
path = "{tmp_path / "Mail"}"

[nlp]
pipeline = "rules"
"""
    )
    return path


def invoke(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_doctor_reports_pending_steps_and_applies_none(tmp_path, old_store):
    config = write_config(tmp_path, old_store)

    r = invoke(config, "doctor")

    assert r.exit_code == 0, r.output
    later = [s.name for s in migrations.STEPS[1:]]
    assert (
        f"schema:    1 ({len(later)} steps pending: {', '.join(later)}; "
        "the next command that opens the database applies them)"
    ) in r.output.splitlines()
    assert "(5 messages)" in r.output
    assert recorded_steps(old_store) == ["0001_initial"]
    report = json.loads(invoke(config, "doctor", "--json").output)
    assert report["schema_version"] == 1
    assert report["schema_latest"] == migrations.SCHEMA_VERSION
    assert report["migrations_pending"] == [s.name for s in migrations.STEPS[1:]]


def test_a_0_1_0_store_opens_migrates_and_keeps_every_decision(tmp_path, old_store):
    config = write_config(tmp_path, old_store)
    now = NOW.isoformat()

    r = invoke(config, "digest", "--json", "--all", "--no-plan", "--now", now)

    assert r.exit_code == 0, r.output
    assert recorded_steps(old_store) == [s.name for s in migrations.STEPS]
    shown = {d["key"]: (d["state"], d["snoozed_until"], d["number"]) for d in json.loads(r.output)}
    assert shown == {
        "reply:dana": ("open", None, 1),
        "reply:omar": ("done", None, 2),
        "follow_up:lee": ("snoozed", "2026-03-24T13:00:00+00:00", 3),
        "promise:kim": ("dismissed", None, 4),
    }
    assert set(NUDGES) - set(shown) == {"reconnect:ana"}  # closed: not listed, as before
    # 0.1.0 stored words; they read as they did, in the JSON and in the terminal.
    words = {d["key"]: (d["title"], d["reason"]) for d in json.loads(r.output)}
    assert words["reply:dana"] == ("Nudge 1", "asked 4 days ago")
    text = invoke(config, "digest", "--no-plan", "--now", now).output
    assert "[1] Nudge 1 — asked 4 days ago" in text

    people = {p["email"]: p for p in json.loads(invoke(config, "people", "--json", "--all").output)}
    assert people["dana@example.org"]["important"] and not people["dana@example.org"]["muted"]
    assert people["omar@example.org"]["muted"] and not people["omar@example.org"]["important"]

    # A full pass over the upgraded store: planning keeps done and dismissed.
    r = invoke(config, "digest", "--json", "--all", "--now", now)
    assert r.exit_code == 0, r.output
    states = {d["key"]: d["state"] for d in json.loads(r.output)}
    assert states.get("reply:omar") == "done" and states.get("promise:kim") == "dismissed"

    r = invoke(config, "doctor")
    assert f"schema:    {migrations.SCHEMA_VERSION} (up to date)" in r.output.splitlines()


def test_a_store_from_a_newer_followup_is_refused_in_one_line(tmp_path, old_store):
    config = write_config(tmp_path, old_store)
    assert invoke(config, "digest", "--json", "--no-plan").exit_code == 0  # migrated
    engine = create_engine(old_store)
    with engine.begin() as conn:
        conn.execute(history.MIGRATION.insert().values(name="0099_from_the_future", applied_at=NOW))
    engine.dispose()

    r = invoke(config, "digest", "--json", "--no-plan")

    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        f"Error: The database {make_url(old_store).render_as_string(hide_password=True)} "
        "was upgraded by a newer followup (schema steps 0099_from_the_future): "
        "install that version to use it"
    ]
    r = invoke(config, "doctor")
    assert r.exit_code == 1
    assert (
        f"schema:    {migrations.SCHEMA_VERSION}, with steps this followup does not know "
        "(0099_from_the_future): "
        "upgrade followup"
    ) in r.output.splitlines()
