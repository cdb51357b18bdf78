"""``followup run`` and ``followup daemon`` as real processes: the lock, SIGTERM mid-cycle,
the digest once a day across runs, and commands from a reply to the digest."""

from __future__ import annotations

import mailbox
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from smtp_testing import Recorder, smtp_server

from followup.lock import run_lock

pytestmark = [pytest.mark.server, pytest.mark.slow]

ME = "penny@example.com"
CHICAGO_OFFSET = timedelta(hours=-5)  # March, after the DST change
DAY = datetime(2026, 3, 17, tzinfo=UTC)


def local(hh: int, mm: int = 0, *, days: int = 0) -> datetime:
    """hh:mm in Chicago on 17 March 2026 (+days), as aware UTC."""
    return DAY + timedelta(days=days, hours=hh, minutes=mm) - CHICAGO_OFFSET


def mail(
    sender: str, to: str, when: datetime, subject: str, body: str, mid: str, **headers: str
) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Date"] = format_datetime(when)
    m["Message-ID"] = f"<{mid}>"
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    m.set_content(body)
    return m.as_bytes()


def write_config(tmp: Path, port: int, *, at: str = "07:30") -> Path:
    path = tmp / "config.toml"
    path.write_text(
        f"""
[me]
name = "Penny Example"
addresses = ["{ME}"]
domains = ["example.com"]
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
at = "{at}"

[digest.smtp]
host = "127.0.0.1"
port = {port}
security = "none"
allow_insecure = true
""",
        encoding="utf-8",
    )
    return path


def maildir(tmp: Path) -> mailbox.Maildir:
    box = mailbox.Maildir(tmp / "Mail", create=True)
    box.add_folder("Sent")
    return box


def followup(
    tmp: Path, config: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "followup", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(tmp),
        check=False,
    )


def env(tmp: Path) -> dict[str, str]:
    e = dict(os.environ)
    e["FOLLOWUP_HOME"] = str(tmp / "home")
    e.pop("FOLLOWUP_CONFIG", None)
    return e


def db_count(tmp: Path, sql: str) -> int:
    with sqlite3.connect(tmp / "state.db", timeout=30) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_digest_once_a_day_and_reply_commands(tmp_path: Path) -> None:
    box = maildir(tmp_path)
    box.add(
        mail(
            "Dana Lee <dana@acme.example>",
            ME,
            local(9, days=-6),
            "Q3 numbers",
            "Hi Penny,\n\nCould you send me the Q3 numbers by Thursday?\n\nThanks,\nDana\n",
            "q3@acme.example",
        )
    )
    with smtp_server("none", tmp_path) as (rec, settings, _):
        config = write_config(tmp_path, settings.port)
        early = followup(tmp_path, config, "run", "--now", local(7).isoformat())
        assert early.returncode == 0, early.stderr
        assert "Digest not sent: due at 07:30." in early.stdout
        assert rec.messages == []
        for hh, mm in ((7, 30), (7, 45), (12, 0)):
            r = followup(tmp_path, config, "run", "--now", local(hh, mm).isoformat())
            assert r.returncode == 0, r.stderr
        assert len(rec.messages) == 1
        assert "Digest not sent: already sent today." in r.stdout
        digest = rec.parsed()
        plain = digest.get_body(("plain",)).get_content().replace("\r\n", "\n")
        number = re.search(r"^\[(\d+)\] Dana Lee <dana@acme\.example>$", plain, re.M)
        assert number, plain

        # The user answers the digest from their phone: "done N" above the quote.
        box.get_folder("Sent").add(
            mail(
                f"Penny Example <{ME}>",
                ME,
                local(12, 5),
                f"Re: {digest['Subject']}",
                f"done {number.group(1)}\n\nOn Tue, Mar 17, 2026 at 7:30 AM followup <{ME}> "
                f"wrote:\n> {plain.replace(chr(10), chr(10) + '> ')}",
                "reply-1@example.com",
                In_Reply_To=digest["Message-ID"],
                References=digest["Message-ID"],
            )
        )
        r = followup(tmp_path, config, "run", "--now", local(12, 15).isoformat(), "--json")
        assert r.returncode == 0, r.stderr
        assert db_count(tmp_path, "select count(*) from digest_reply") == 1
        assert db_count(tmp_path, "select count(*) from nudge where state = 'done'") == 1

        nxt = followup(tmp_path, config, "run", "--now", local(7, 30, days=1).isoformat())
        assert nxt.returncode == 0, nxt.stderr
    # Next morning: the digest is sent again, without the nudge marked done; and only
    # Dana's thread existed, so there is nothing to send: not sent at all.
    assert "Digest not sent: nothing needs you." in nxt.stdout
    assert len(rec.messages) == 1


def test_second_run_exits_at_once_while_one_holds_the_lock(tmp_path: Path) -> None:
    maildir(tmp_path)
    config = write_config(tmp_path, 1)
    with run_lock(tmp_path / "home"):
        started = time.monotonic()
        r = followup(tmp_path, config, "run", "--no-send")
        took = time.monotonic() - started
    assert r.returncode == 0
    assert "Another followup run is in progress" in r.stderr
    assert r.stderr.count("\n") == 1  # one clear line
    assert took < 30
    assert not (tmp_path / "state.db").exists()  # it did no work at all


def test_lock_of_a_killed_run_is_recovered(tmp_path: Path) -> None:
    maildir(tmp_path)
    config = write_config(tmp_path, 1)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from followup.lock import run_lock\n"
            "with run_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(600)",
            str(tmp_path / "home"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        blocked = followup(tmp_path, config, "run", "--no-send")
        assert "Another followup run is in progress" in blocked.stderr
    finally:
        holder.kill()  # SIGKILL: no cleanup code runs in the holder
        holder.wait()
    r = followup(tmp_path, config, "run", "--no-send")
    assert r.returncode == 0, r.stderr
    assert "Another followup run" not in r.stderr
    assert "open nudges" in r.stdout


def test_daemon_sigterm_mid_cycle_stops_cleanly(tmp_path: Path) -> None:
    box = maildir(tmp_path)
    now = datetime.now(UTC)
    total = 1000  # two sync batches, four analysis batches: time to stop in between
    for i in range(total):
        box.add(
            mail(
                f"Person {i % 300} <p{i % 300}@acme.example>",
                ME,
                now - timedelta(days=40, minutes=i),
                f"Topic {i}",
                f"Hi Penny,\n\nCould you look at item {i} by Friday? It matters.\n\nThanks\n",
                f"m{i}@acme.example",
            )
        )
    config = write_config(tmp_path, 1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "followup", "--config", str(config), "daemon", "--every", "1h",
         "--no-send"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(tmp_path),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for the first committed batch
            if (tmp_path / "state.db").exists():
                try:
                    if db_count(tmp_path, "select count(*) from message") > 0:
                        break
                except sqlite3.OperationalError:
                    pass  # schema not created yet
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "SIGTERM received: finishing the current step" in err
    assert "Stopping after the committed batch" in err  # it stopped mid-cycle
    assert "Traceback" not in err
    stored = db_count(tmp_path, "select count(*) from message")
    assert 0 < stored <= total

    # Nothing lost, nothing doubled: a normal run finishes the job.
    r = followup(tmp_path, config, "run", "--no-send")
    assert r.returncode == 0, r.stderr
    assert db_count(tmp_path, "select count(*) from message") == total
    assert db_count(tmp_path, "select count(distinct message_id) from message") == total
    assert db_count(tmp_path, "select count(*) from message where not analysed") == 0


def test_daemon_sends_the_digest_once_over_cycles(tmp_path: Path) -> None:
    box = maildir(tmp_path)
    box.add(
        mail(
            "Dana Lee <dana@acme.example>",
            ME,
            datetime.now(UTC) - timedelta(days=6),
            "Q3 numbers",
            "Hi Penny,\n\nCould you send me the Q3 numbers by Thursday?\n\nThanks,\nDana\n",
            "q3@acme.example",
        )
    )
    with smtp_server("none", tmp_path, Recorder()) as (rec, settings, _):
        config = write_config(tmp_path, settings.port, at="00:00")
        r = followup(tmp_path, config, "daemon", "--every", "1s", "--cycles", "3")
    assert r.returncode == 0, r.stderr
    assert len(rec.messages) == 1
    lines = [line for line in r.stderr.splitlines() if "Cycle done:" in line]
    assert len(lines) == 3
    assert "local +1" in lines[0] and "Digest sent to penny@example.com" in lines[0]
    assert "already sent today" in lines[1]
