"""A digest whose end is unknown (server gone after DATA, run killed before the final
".") is sent once more by the next run, with the same Message-ID; never a third time,
and never again once recorded as sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from digest_samples import every_kind
from smtp_faults import BlockInData, DropAfterData
from smtp_testing import smtp_server

from followup.config import Config, DigestSettings, MeSettings, SmtpSettings
from followup.digest import ledger
from followup.digest.deliver import deliver_digest
from followup.store.nudges import apply_plan
from followup.store.store import Store

pytestmark = pytest.mark.server

ME = "penny@example.com"
AT = datetime(2026, 3, 17, 12, 30, tzinfo=UTC)  # 07:30 in Chicago
DAY = AT.date()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    apply_plan(s, [n.nudge for n in every_kind()], AT - timedelta(hours=3))
    yield s  # type: ignore[misc]
    s.close()


def config(port: int) -> Config:
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", allow_insecure=True)
    return Config(
        me=MeSettings(name="Penny Example", addresses=(ME,), timezone="America/Chicago"),
        digest=DigestSettings(to=ME, sender=ME, smtp=smtp),
    )


def ids(rec: DropAfterData | BlockInData) -> list[str]:
    return [str(rec.parsed(i)["Message-ID"]) for i in range(len(rec.messages))]


def test_a_server_that_drops_after_data_gets_one_more_copy(store: Store, tmp_path: Path) -> None:
    recorder = DropAfterData(drops=1)
    with smtp_server("none", tmp_path, recorder) as (rec, settings, _):
        cfg = config(settings.port)
        first = deliver_digest(store, cfg, AT)
        assert not first.sent and first.error and "Could not send the digest" in first.error
        assert ledger.day_row(store, DAY, ME).status == "sending"  # type: ignore[union-attr]
        again = deliver_digest(store, cfg, AT + timedelta(minutes=15))
        assert again.sent and again.reason == "sent"
        for minutes in (30, 45, 600):
            later = deliver_digest(store, cfg, AT + timedelta(minutes=minutes))
            assert (later.sent, later.reason) == (False, "already sent today")
    assert len(rec.messages) == 2
    assert ids(rec)[0] == ids(rec)[1] == f"<{ledger.day_row(store, DAY, ME).message_id}>"  # type: ignore[union-attr]
    assert ledger.day_row(store, DAY, ME).status == "sent"  # type: ignore[union-attr]


def test_never_a_third_copy_when_the_second_attempt_is_unclear_too(
    store: Store, tmp_path: Path
) -> None:
    with smtp_server("none", tmp_path, DropAfterData(drops=2)) as (rec, settings, _):
        cfg = config(settings.port)
        assert not deliver_digest(store, cfg, AT).sent
        assert not deliver_digest(store, cfg, AT + timedelta(minutes=15)).sent
        assert ledger.day_row(store, DAY, ME).status == "resending"  # type: ignore[union-attr]
        third = deliver_digest(store, cfg, AT + timedelta(minutes=30))
        assert (third.sent, third.reason) == (False, "already sent today")
        assert deliver_digest(store, cfg, AT + timedelta(days=1)).sent  # the next day is new
    assert len(rec.messages) == 3
    assert ids(rec)[0] == ids(rec)[1] != ids(rec)[2]


def test_a_digest_recorded_as_sent_is_never_resent(store: Store, tmp_path: Path) -> None:
    with smtp_server("none", tmp_path) as (rec, settings, _):
        cfg = config(settings.port)
        assert deliver_digest(store, cfg, AT).sent
        assert deliver_digest(store, cfg, AT + timedelta(minutes=15)).reason == "already sent today"
    assert len(rec.messages) == 1


def write_config(tmp: Path, port: int) -> Path:
    (tmp / "Mail").mkdir()
    for sub in ("cur", "new", "tmp"):
        (tmp / "Mail" / sub).mkdir()
    path = tmp / "config.toml"
    path.write_text(
        f"""
[me]
name = "Penny Example"
addresses = ["{ME}"]
timezone = "America/Chicago"

[storage]
url = "sqlite:///{tmp / "state.db"}"

[[mail]]
name = "local"
kind = "maildir"
path = "{tmp / "Mail"}"

[nlp]
pipeline = "rules"

[digest]
to = "{ME}"
from = "{ME}"
at = "07:30"
send_empty = true

[digest.smtp]
host = "127.0.0.1"
port = {port}
security = "none"
allow_insecure = true
timeout = 10
""",
        encoding="utf-8",
    )
    return path


def run_args(config: Path, now: datetime) -> list[str]:
    return [sys.executable, "-m", "followup", "--config", str(config), "run", "--quiet",
            "--now", now.isoformat()]  # fmt: skip


@pytest.mark.slow
def test_a_run_killed_before_the_final_dot_is_resent_by_the_next_run(tmp_path: Path) -> None:
    env = {**os.environ, "FOLLOWUP_HOME": str(tmp_path / "home")}
    env.pop("FOLLOWUP_CONFIG", None)
    recorder = BlockInData()
    with smtp_server("none", tmp_path, recorder) as (rec, settings, _):
        config = write_config(tmp_path, settings.port)
        proc = subprocess.Popen(
            run_args(config, AT), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            # The ledger row is committed before the "." that the server now holds.
            assert recorder.arrived.wait(120), "the run never reached DATA"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
            recorder.release.set()
        assert proc.returncode == -signal.SIGKILL
        store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
        try:
            assert ledger.day_row(store, DAY, ME).status == "sending"  # type: ignore[union-attr]
        finally:
            store.close()
        rerun = subprocess.run(
            run_args(config, AT + timedelta(minutes=15)),
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert rerun.returncode == 0, rerun.stderr
        last = subprocess.run(
            run_args(config, AT + timedelta(minutes=30)),
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert last.returncode == 0, last.stderr
    # The server kept the first copy; the rerun sent exactly one more, same Message-ID.
    assert len(rec.messages) == 2
    assert ids(rec)[0] == ids(rec)[1]
    assert "sent once more with the same Message-ID" in rerun.stderr
