"""Hostile text from mail never reaches a screen: every digest format, people, person,
sync lines and logs go through the one sanitiser (followup.safe_text).

The attacks: a Subject and a From display name carrying a clear-screen sequence, a window
title, an OSC 8 hyperlink, U+202E, a NUL, and Rich markup (``[/bold]`` used to make
``people`` fail; ``[link=...]`` became a clickable link).
"""

from __future__ import annotations

import base64
import json
import logging
import mailbox
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from followup.cli import cli
from followup.safe_text import SafeFormatter, clean_line, dump_json, scrub

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
ME = "penny@example.com"
ATTACK = (
    "\x1b[2J\x1b]0;title\x07 \x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
    " \u202egnp.exe\u202c \x00 \x9b31m \u2066iso\u2069 \u200fmark"
)
NAME = "[/bold] Eve " + ATTACK + " [link=https://evil.example]x[/link]"
SUBJECT = "Contract [link=https://evil.example]x[/link] [/bold] " + ATTACK
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def raw_mail(headers: dict[str, str], body: str) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n" + body.replace("\n", "\r\n")).encode()


def assert_screen_safe(text: str) -> None:
    """No escape, C0 (bar newline and tab), C1, DEL, bidi control or line separator."""
    bad = [
        c
        for c in text
        if (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in BIDI or c in "\u2028\u2029"
    ]
    assert not bad, f"unsafe characters reach the screen: {sorted(set(map(repr, bad)))}"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    sent = box.add_folder("Sent")
    for i in range(3):
        box.add(
            raw_mail(
                {
                    "From": f"{encoded(NAME)} <eve@evil.example>",
                    "To": ME,
                    "Subject": encoded(SUBJECT),
                    "Date": format_datetime(NOW - timedelta(days=6 + i)),
                    "Message-ID": f"<ask{i}@evil.example>",
                },
                "Hi Penny,\n\nCould you send me the signed contract by Thursday?\n\nEve\n",
            )
        )
        sent.add(
            raw_mail(
                {
                    "From": f"Penny <{ME}>",
                    "To": f"{encoded(NAME)} <eve@evil.example>",
                    "Subject": "Re: " + encoded(SUBJECT),
                    "Date": format_datetime(NOW - timedelta(days=5 + i)),
                    "Message-ID": f"<re{i}@example.com>",
                },
                "Eve,\n\nI will send you the draft by Friday.\n\nPenny\n",
            )
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


def invoke(config: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


@pytest.fixture
def synced(config: Path) -> Path:
    r = invoke(config, "sync")
    assert r.exit_code == 0, r.output
    assert_screen_safe(r.output)
    assert invoke(config, "digest", "--now", NOW.isoformat()).exit_code == 0  # plans nudges
    return config


@pytest.mark.parametrize("fmt", ["text", "markdown", "plain", "html", "json"])
def test_every_digest_format_is_screen_safe(synced: Path, fmt: str) -> None:
    r = invoke(synced, "digest", "--format", fmt, "--now", NOW.isoformat())
    assert r.exit_code == 0, r.output
    assert_screen_safe(r.output)
    assert "[2J" not in r.output and "0;title" not in r.output  # no debris of the escapes
    if fmt == "markdown":
        assert "\\[link=https://evil.example\\]x\\[/link\\]" in r.output
    elif fmt == "json":
        subjects = {n["evidence"]["subject"] for n in json.loads(r.output)}
        assert any("[link=https://evil.example]x[/link] [/bold]" in s for s in subjects)
    else:
        assert "[link=https://evil.example]x[/link]" in r.output
        assert "[/bold]" in r.output
    if fmt == "text":
        assert "Reply to [/bold] Eve click gnp.exe" in r.output
        # The Subject itself reaches the terminal, through the same view as the email.
        assert "“Contract [link=https://evil.example]x[/link] [/bold] click gnp.exe" in r.output
    if fmt == "json":
        facts = [n["facts"] for n in json.loads(r.output)]
        assert {f["kind"] for f in facts} >= {"reply", "promise"}
        asked = {datetime.fromisoformat(f["asked_at"]) for f in facts if f["kind"] == "reply"}
        assert asked and asked <= {NOW - timedelta(days=d) for d in (6, 7, 8)}  # ISO-8601 dates


def test_people_shows_markup_literally_and_does_not_fail(synced: Path) -> None:
    r = invoke(synced, "people", "--now", NOW.isoformat())
    assert r.exit_code == 0, r.output
    assert_screen_safe(r.output)
    row = next(line for line in r.output.splitlines() if "eve@evil.example" in line)
    assert row.startswith("[/bold] Eve click gnp")  # the name as written, cut to the column
    every = invoke(synced, "people", "--all", "--now", NOW.isoformat())
    assert every.exit_code == 0 and "eve@evil.example" in every.output
    rows = invoke(synced, "people", "--json", "--now", NOW.isoformat())
    assert_screen_safe(rows.output)
    (eve,) = json.loads(rows.output)
    assert eve["name"].startswith("[/bold] Eve") and "[link=https://evil.example]" in eve["name"]


def test_person_shows_markup_literally(synced: Path) -> None:
    r = invoke(synced, "person", "eve@evil.example", "--now", NOW.isoformat())
    assert r.exit_code == 0, r.output
    assert_screen_safe(r.output)
    first = r.output.splitlines()[0]
    assert first == (
        "[/bold] Eve click gnp.exe iso mark [link=https://evil.example]x[/link] <eve@evil.example>"
    )
    assert "re: Re: Contract [link=https://evil.example]x[/link] [/bold]" in r.output
    assert "] Reply to [/bold] Eve click gnp.exe" in r.output  # the nudges about her
    as_json = invoke(synced, "person", "eve@evil.example", "--json", "--now", NOW.isoformat())
    assert_screen_safe(as_json.output)
    assert json.loads(as_json.output)["nudges"]


def test_decisions_echo_clean_titles(synced: Path) -> None:
    out = json.loads(invoke(synced, "digest", "--json", "--now", NOW.isoformat()).output)
    r = invoke(synced, "done", str(out[0]["number"]))
    assert r.exit_code == 0 and r.output.startswith("Done: [")
    assert_screen_safe(r.output)


def test_logs_and_sync_lines_are_clean_in_a_real_process(tmp_path: Path, config: Path) -> None:
    # A Maildir file name is the message's uid, and it is logged when the file is skipped.
    (tmp_path / "Mail" / "new" / "1700000000.\x1b]0;pwned\x07red\u202e.host").write_bytes(
        b"\x00\x01 not a mail \xff"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "followup", "--config", str(config), "-vv", "sync"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "skipped message 1700000000.red.host" in proc.stderr  # the log line, cleaned
    assert_screen_safe(proc.stderr)
    assert_screen_safe(proc.stdout)


def test_log_formatter_cleans_message_args_and_tracebacks() -> None:
    fmt = SafeFormatter("%(levelname)s %(message)s")
    try:
        raise ValueError("bad \x1b[2J\u202e value\nsecond line")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "followup.x", logging.INFO, __file__, 1, "file %s: %s", ("a\x1b]0;t\x07b", "x\ny"), exc_info
    )
    out = fmt.format(record)
    first, *rest = out.splitlines()
    assert first == "INFO file ab: x y"  # one line per record: no faked log lines
    assert rest and rest[0].startswith("Traceback")
    assert_screen_safe(out)


SAFE = st.text(
    alphabet=st.characters(codec=None, exclude_categories=("Cs",)) | st.sampled_from(list(ATTACK))
)


@settings(max_examples=150, deadline=None)
@given(text=SAFE | st.text(), limit=st.integers(min_value=2, max_value=400))
def test_clean_line_is_one_safe_line(text: str, limit: int) -> None:
    line = clean_line(text, limit)
    assert_screen_safe(line)
    assert "\n" not in line and "\t" not in line and len(line) <= limit
    assert line == line.strip()
    line.encode("utf-8")  # no lone surrogate left


@settings(max_examples=150, deadline=None)
@given(value=st.recursive(SAFE, lambda v: st.lists(v) | st.dictionaries(SAFE, v), max_leaves=8))
def test_dump_json_is_screen_safe_and_round_trips_clean_text(value: object) -> None:
    out = dump_json(value)
    assert_screen_safe(out)
    json.loads(out)


def test_scrub_keeps_ordinary_text_and_emoji() -> None:
    text = "Zoë — café 👩‍💻 日本 «ok»"
    assert scrub(text) == text and clean_line(text) == text
    assert clean_line("a\u2028b\rc\x85d") == "a b c d"
    assert clean_line("\ud83d broken") == "\ufffd broken"
