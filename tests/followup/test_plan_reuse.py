"""A run in which nothing changed keeps the last plan (followup.plan_reuse), through
the CLI with frozen times: within the hour and on the same local day only, never from
a plan made later, and never once anything planning reads or depends on changed (new
mail, a muted person, other settings, stopped pairs), nor when the run may send the digest."""

from __future__ import annotations

import json
import mailbox
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from mailgen import add_numbers_ask
from sqlalchemy import text

from followup.cli import cli
from followup.store.plan_inputs import inputs_version
from followup.store.store import Store

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)  # 08:30 in Chicago
ME = "penny@example.com"


def _mail(box: mailbox.Maildir, n: int, when: datetime, sender: str = "dana@acme.example") -> None:
    add_numbers_ask(box, n, when, sender)


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, object]:
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    _mail(box, 1, NOW - timedelta(days=4))
    _mail(box, 2, NOW - timedelta(days=40), sender="lee@beta.example")
    config = tmp_path / "config.toml"
    base = (
        f'[me]\nname = "Penny Example"\naddresses = ["{ME}"]\n'
        f'timezone = "America/Chicago"\n'
        f'[storage]\nurl = "sqlite:///{tmp_path / "state.db"}"\n'
        f'[[mail]]\nname = "local"\nkind = "maildir"\npath = "{tmp_path / "Mail"}"\n'
        f'[nlp]\npipeline = "rules"\n'
    )
    config.write_text(base)
    return {"box": box, "config": config, "base": base, "db": tmp_path / "state.db"}


def run(setup: dict[str, object], now: datetime, *extra: str) -> dict[str, object]:
    args = ["--config", str(setup["config"]), *extra]
    r = CliRunner().invoke(
        cli, [*args, "run", "--no-send", "--json", "--now", now.isoformat()], catch_exceptions=False
    )
    assert r.exit_code == 0, r.output
    report: dict[str, object] = json.loads(r.stdout)
    return report


def replanned(report: dict[str, object]) -> bool:
    nudges = report["nudges"]
    assert isinstance(nudges, dict)
    return bool(nudges["replanned"])


def open_keys(setup: dict[str, object], now: datetime) -> list[str]:
    r = CliRunner().invoke(
        cli,
        ["--config", str(setup["config"]), "digest", "--all", "--json", "--now", now.isoformat()],
        catch_exceptions=False,
    )
    return sorted(item["key"] for item in json.loads(r.stdout))


def test_a_run_with_nothing_new_keeps_the_plan_within_the_hour(setup):
    first = run(setup, NOW)
    assert replanned(first) and first["nudges"]["open"] >= 1  # type: ignore[index]
    again = run(setup, NOW + timedelta(minutes=10))
    assert not replanned(again)
    assert again["nudges"]["open"] == first["nudges"]["open"]  # type: ignore[index]
    assert not replanned(run(setup, NOW + timedelta(minutes=59)))
    # An hour after the plan it was made from: planned again, then kept again, with the
    # nudges that plan recorded again (not new ones: their rows were updated).
    assert replanned(run(setup, NOW + timedelta(minutes=60)))
    kept = run(setup, NOW + timedelta(minutes=61))
    assert not replanned(kept)
    assert kept["nudges"]["open"] == first["nudges"]["open"]  # type: ignore[index]


def stored(setup: dict[str, object]) -> dict[str, str]:
    store = Store.open(f"sqlite:///{setup['db']}")
    try:
        with store.begin() as conn:
            rows = conn.execute(text("SELECT key, payload FROM nudge WHERE state = 'open'"))
            return dict(rows.all())
    finally:
        store.close()


def test_the_kept_plan_is_what_a_fresh_plan_at_its_time_records(setup):
    run(setup, NOW)
    assert not replanned(run(setup, NOW + timedelta(minutes=5)))
    kept = stored(setup)
    assert kept
    # `digest` always plans: at the kept plan's time it records exactly the same.
    open_keys(setup, NOW)
    assert stored(setup) == kept


def test_never_from_a_plan_made_later_nor_across_midnight(setup):
    run(setup, NOW)
    assert replanned(run(setup, NOW - timedelta(minutes=1)))  # before the plan's time
    late = datetime(2026, 3, 18, 4, 50, tzinfo=UTC)  # 23:50 in Chicago
    assert replanned(run(setup, late))
    assert replanned(run(setup, late + timedelta(minutes=20)))  # 00:10 the next day


def test_new_mail_a_mute_or_other_settings_make_a_new_plan(setup):
    run(setup, NOW)
    _mail(setup["box"], 3, NOW - timedelta(days=3), sender="omar@gamma.example")  # type: ignore[arg-type]
    assert replanned(run(setup, NOW + timedelta(minutes=1)))
    assert not replanned(run(setup, NOW + timedelta(minutes=2)))

    r = CliRunner().invoke(
        cli,
        ["--config", str(setup["config"]), "mute", "omar@gamma.example"],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    assert replanned(run(setup, NOW + timedelta(minutes=3)))
    assert not replanned(run(setup, NOW + timedelta(minutes=4)))

    config = setup["config"]
    assert isinstance(config, Path)
    config.write_text(f'{setup["base"]}[rules]\nreply_after = "1 business day"\n')
    assert replanned(run(setup, NOW + timedelta(minutes=5)))
    assert not replanned(run(setup, NOW + timedelta(minutes=6)))


def test_the_fingerprint_holds_the_stopped_pairs_and_the_settings():
    from followup.config import parse_config
    from followup.plan_reuse import fingerprint

    cfg = parse_config({"me": {"addresses": [ME]}})
    other = parse_config({"me": {"addresses": [ME]}, "rules": {"reply_after": "1 day"}})
    assert fingerprint(cfg, frozenset()) == fingerprint(cfg, frozenset())
    assert fingerprint(cfg, frozenset()) != fingerprint(cfg, frozenset({("reply", "d@x")}))
    assert fingerprint(cfg, frozenset()) != fingerprint(other, frozenset())


def test_a_run_that_may_send_the_digest_plans_afresh(setup):
    config = setup["config"]
    assert isinstance(config, Path)
    config.write_text(
        f'{setup["base"]}[digest]\nto = "{ME}"\nat = "09:00"\n'
        '[digest.smtp]\nhost = "127.0.0.1"\nport = 1\nsecurity = "none"\n'
        "allow_insecure = true\n"
    )
    assert replanned(run(setup, NOW))
    args = ["--config", str(config), "run", "--json", "--now"]

    def sending(now: datetime) -> bool:
        r = CliRunner().invoke(cli, [*args, now.isoformat()], catch_exceptions=False)
        return bool(json.loads(r.stdout)["nudges"]["replanned"])

    assert not sending(NOW + timedelta(minutes=10))  # 08:40: the digest is due at 09:00
    assert sending(NOW + timedelta(minutes=31))  # 09:01: it may be sent, so a fresh plan


def test_every_write_to_what_planning_reads_counts(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    try:
        seen = [inputs_version(store)]
        statements = [
            "INSERT INTO person (id, name, important, muted) VALUES (1, 'Dana', 0, 0)",
            "INSERT INTO address (email, person_id, name) VALUES ('d@x.example', 1, 'Dana')",
            "UPDATE person SET muted = 1",
            "DELETE FROM address",
            "INSERT INTO nudge (key, number, kind, payload, state, first_seen, last_seen) "
            "VALUES ('k', 1, 'reply', '{}', 'open', '2026-01-01', '2026-01-01')",
        ]
        for sql in statements:
            with store.begin() as conn:
                conn.execute(text(sql))
            seen.append(inputs_version(store))
        # Four writes to planned tables counted; the nudge table is not one of them.
        assert seen == [0, 1, 2, 3, 4, 4]
        with store.begin() as conn:
            conn.execute(text("DROP TRIGGER plan_inputs_person_update"))
        assert inputs_version(store) is None  # a trigger missing: nothing is reused
    finally:
        store.close()


def test_a_change_to_the_nudges_themselves_makes_a_new_plan(setup):
    run(setup, NOW)
    assert not replanned(run(setup, NOW + timedelta(minutes=1)))
    r = CliRunner().invoke(
        cli, ["--config", str(setup["config"]), "done", "1"], catch_exceptions=False
    )
    assert r.exit_code == 0, r.output
    assert replanned(run(setup, NOW + timedelta(minutes=2)))
    assert not replanned(run(setup, NOW + timedelta(minutes=3)))
    with Store.open(f"sqlite:///{setup['db']}").begin() as conn:
        conn.execute(text("DELETE FROM nudge"))  # by hand: the plan must be made again
    again = run(setup, NOW + timedelta(minutes=4))
    assert replanned(again) and again["nudges"]["open"] >= 1  # type: ignore[index]
