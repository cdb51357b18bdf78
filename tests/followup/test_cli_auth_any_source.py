"""`followup auth NAME` for a source that is not IMAP: any kind that declares UsesOAuth.

The source is tests/tiny_calendar.py, registered the way every source is (one registry
line, here made in the subprocess); the provider is the fake one on 127.0.0.1 and the
test plays the browser, as in test_cli_auth.py.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from imap_helpers import write_config
from oauth_fake import FakeProvider, browse
from tiny_calendar import SCOPE

REPO = Path(__file__).resolve().parents[2]
TESTS = Path(__file__).resolve().parents[1]
RUN = (
    "import connectors; "
    "connectors.CALENDAR_KINDS['jsonfile'] = 'tiny_calendar.JsonCalendarSource'; "
    "from followup.cli import cli; from followup.cli.auth_command import auth; "
    "cli.add_command(auth); cli()"
)


def play_browser(proc: subprocess.Popen[str]) -> tuple[int, str]:
    """Read the URL the command prints and open it; the last page the browser shows."""
    assert proc.stderr is not None
    for line in proc.stderr:
        match = re.search(r"http://127\.0\.0\.1:\d+/auth\?\S+", line)
        if match:
            return browse(match.group(0))
    raise AssertionError("the command printed no authorization URL")


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def assert_no_secrets(fake: FakeProvider, text: str) -> None:
    for secret in [fake.client_secret or "", *fake.issued, *fake.refresh_tokens, *fake.codes]:
        assert secret and secret not in text


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    provider = FakeProvider().start()
    try:
        yield provider
    finally:
        provider.stop()


def calendar(fake: FakeProvider, tmp_path: Path, token_file: Path, **extra: object) -> str:
    events = tmp_path / "team.json"
    events.write_text("[]")
    options: dict[str, object] = {
        "name": "team",
        "kind": "jsonfile",
        "path": str(events),
        "account": fake.username,
        "auth": "xoauth2",
        "oauth_token_file": str(token_file),
        "oauth_client_id": fake.client_id,
        "oauth_client_secret_command": ["printf", "%s\\n", fake.client_secret],
        "oauth_auth_uri": fake.auth_uri,
        "oauth_token_uri": fake.token_uri,
    }
    options.update(extra)
    return "[[calendar]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in options.items())


def run_auth(config: Path, *args: str) -> subprocess.Popen[str]:
    path = os.pathsep.join([str(REPO), str(TESTS), os.environ.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-c", RUN, "--config", str(config), "-vv", "auth", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
    )


def test_a_calendar_source_gets_its_token_with_its_own_scope(
    tmp_path: Path, fake: FakeProvider
) -> None:
    token_file = tmp_path / "tokens" / "team.json"
    config = write_config(tmp_path, calendar(fake, tmp_path, token_file))
    proc = run_auth(config, "team", "--no-browser")
    page = play_browser(proc)
    code, out, err = finish(proc)
    assert page[0] == 200
    # The source's probe read the fresh token: "answered", not IMAP's "logged in".
    assert (code, out) == (0, f"Token saved to {token_file}; team answered\n"), err
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert json.loads(token_file.read_text())["access_token"] in fake.issued
    [request] = fake.auth_requests
    assert request["scope"] == SCOPE  # the source's scope, not the IMAP one
    assert request["login_hint"] == fake.username
    assert_no_secrets(fake, out + err)


def test_a_calendar_without_oauth_is_refused_in_one_line(
    tmp_path: Path, fake: FakeProvider
) -> None:
    table = "\n".join(
        line
        for line in calendar(fake, tmp_path, tmp_path / "t.json").splitlines()
        if not line.startswith(("auth", "oauth_"))
    )
    config = write_config(tmp_path, table + "\n")
    code, out, err = finish(run_auth(config, "team"))
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        'Error: team: followup auth is for sources that log in with OAuth2 (auth = "xoauth2" '
        'and oauth_token_file set; this one is kind = "jsonfile", auth = "password")'
    )
