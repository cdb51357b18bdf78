"""`followup auth NAME` end to end: a fake provider on 127.0.0.1, the test as the browser,
and the final XOAUTH2 login against a real Dovecot that asks the provider about the token.

The command runs in a subprocess (as a user runs it) and the test reads the URL it
prints, as a user would copy it into a browser.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imap_helpers import write_config
from oauth_fake import FakeProvider, browse
from servers import Dovecot

from followup.cli import cli
from followup.cli.auth_command import auth

REPO = Path(__file__).resolve().parents[2]
# The root group with `auth` on it, whether or not the app has registered it yet.
RUN = (
    "from followup.cli import cli; from followup.cli.auth_command import auth; "
    "cli.add_command(auth); cli()"
)
cli.add_command(auth)


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    provider = FakeProvider().start()
    try:
        yield provider
    finally:
        provider.stop()


def account(fake: FakeProvider, token_file: Path, host: str = "127.0.0.1", **extra: object) -> str:
    options: dict[str, object] = {
        "name": "work",
        "kind": "imap",
        "host": host,
        "port": 1,
        "security": "none",
        "allow_insecure": True,
        "username": fake.username,
        "auth": "xoauth2",
        "oauth_token_file": str(token_file),
        "oauth_provider": "google",
        "oauth_client_id": fake.client_id,
        "oauth_client_secret_command": ["printf", "%s\\n", fake.client_secret],
        "oauth_auth_uri": fake.auth_uri,
        "oauth_token_uri": fake.token_uri,
        "timeout": 10,
    }
    options.update(extra)
    return "[[mail]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in options.items())


def start(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", RUN, "--config", str(config), "-vv", "auth", "work", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def play_browser(proc: subprocess.Popen[str]) -> tuple[int, str]:
    """Read the URL the command prints and open it; the last page the browser shows."""
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        match = re.search(r"http://127\.0\.0\.1:\d+/auth\?\S+", line)
        if match:
            return browse(match.group(0))
    raise AssertionError("the command printed no authorization URL:\n" + "".join(seen))


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def assert_no_secrets(fake: FakeProvider, text: str) -> None:
    secrets = [fake.client_secret or "", *fake.issued, *fake.refresh_tokens, *fake.codes]
    # XOAUTH2 sends the token base64-encoded: a protocol log would leak it that way.
    secrets += [
        base64.b64encode(f"user={fake.username}\x01auth=Bearer {t}\x01\x01".encode()).decode()
        for t in fake.issued
    ]
    for secret in secrets:
        assert secret and secret not in text


@pytest.mark.server
def test_auth_saves_a_private_token_and_logs_in(tmp_path: Path, fake: FakeProvider) -> None:
    server = Dovecot.create(oauth2_introspection_url=fake.introspection_url)
    try:
        user = server.add_user()
        fake.username = user.name
        token_file = tmp_path / "tokens" / "work.json"
        config = write_config(
            tmp_path, account(fake, token_file, host=server.host, port=server.imap_port)
        )
        proc = start(config, "--no-browser")
        page = play_browser(proc)
        code, out, err = finish(proc)
    finally:
        server.destroy()

    assert page == (200, "followup received the authorisation. You can close this tab.\n")
    assert (code, out) == (
        0,
        f"Token saved to {token_file}; logged in to 127.0.0.1 as {user.name}\n",
    )
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    saved = json.loads(token_file.read_text())
    [access] = fake.issued
    assert saved.keys() == {
        "access_token",
        "refresh_token",
        "expires_at",
        "token_uri",
        "client_id",
        "client_secret",
        "scope",
    }
    assert saved["access_token"] == access
    assert saved["refresh_token"] == fake.refresh_tokens[0]
    assert (saved["token_uri"], saved["client_id"]) == (fake.token_uri, fake.client_id)
    assert saved["client_secret"] == fake.client_secret
    assert 3000 < saved["expires_at"] - time.time() <= 3599
    assert_no_secrets(fake, out + err)  # -vv: debug logging was on


@pytest.mark.server
def test_a_token_the_server_refuses_is_one_line(tmp_path: Path, fake: FakeProvider) -> None:
    server = Dovecot.create(oauth2_introspection_url=fake.introspection_url)
    try:
        user = server.add_user()
        fake.username = ""  # the introspection will call the issued token inactive
        token_file = tmp_path / "work.json"
        config = write_config(
            tmp_path,
            account(fake, token_file, host=server.host, port=server.imap_port, username=user.name),
        )
        proc = start(config, "--no-browser")
        play_browser(proc)
        code, out, err = finish(proc)
    finally:
        server.destroy()
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == (
        f"Error: Token saved to {token_file}, but the login failed: work: 127.0.0.1 refused "
        f"the login for {user.name}: check the username and the OAuth2 token "
        f"(oauth_token_file {token_file})"
    )


def test_browser_is_opened_and_no_verify_skips_the_login(
    tmp_path: Path, fake: FakeProvider
) -> None:
    browser = tmp_path / "browser"
    browser.write_text(
        f"#!{sys.executable}\nimport sys, urllib.request\n"
        "urllib.request.urlopen(sys.argv[1], timeout=10).read()\n"
    )
    browser.chmod(0o755)
    token_file = tmp_path / "work.json"
    config = write_config(tmp_path, account(fake, token_file))
    proc = start(config, "--no-verify", env={"BROWSER": str(browser)})
    code, out, err = finish(proc)
    assert (code, out) == (0, f"Token saved to {token_file}\n"), err
    assert json.loads(token_file.read_text())["access_token"] in fake.issued
    assert_no_secrets(fake, out + err)


@pytest.mark.parametrize(
    ("mode", "token_error", "line"),
    [
        (
            "deny",
            None,
            "Error: work: access was denied in the browser "
            "(access_denied: The user denied the request.)",
        ),
        (
            "forge_state",
            None,
            "Error: work: the browser came back with the wrong state (a stale or forged "
            "redirect); nothing was saved: start again",
        ),
        (
            "allow",
            (400, {"error": "invalid_grant", "error_description": "Bad Request"}),
            "Error: work: the token endpoint refused the code (HTTP 400: invalid_grant: "
            "Bad Request)",
        ),
    ],
)
def test_failures_are_one_clear_line_and_save_nothing(
    tmp_path: Path,
    fake: FakeProvider,
    mode: str,
    token_error: tuple[int, dict[str, str]] | None,
    line: str,
) -> None:
    fake.mode, fake.token_error = mode, token_error
    token_file = tmp_path / "work.json"
    config = write_config(tmp_path, account(fake, token_file))
    proc = start(config, "--no-browser", "--no-verify")
    play_browser(proc)
    code, out, err = finish(proc)
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == line
    assert not token_file.exists()


def test_waiting_for_the_browser_times_out(tmp_path: Path, fake: FakeProvider) -> None:
    config = write_config(tmp_path, account(fake, tmp_path / "work.json"))
    proc = start(config, "--no-browser", "--timeout", "1")
    code, out, err = finish(proc)
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == (
        "Error: work: no answer from the browser within 1 s: run `followup auth work` again "
        "(--timeout to wait longer)"
    )


# -- config problems, in process -------------------------------------------------------


def invoke(config: Path, *args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["--config", str(config), "auth", *args])
    return result.exit_code, result.output


def test_unknown_account_and_password_account(tmp_path: Path, fake: FakeProvider) -> None:
    table = account(fake, tmp_path / "t.json").replace('"xoauth2"', '"password"')
    table += 'password_command = "pass show mail"\n'
    config = write_config(tmp_path, table)
    assert invoke(config, "home") == (
        2,
        "Error: no source named 'home' (configured: work)\n",
    )
    assert invoke(config, "work") == (
        2,
        'Error: work: followup auth is for sources that log in with OAuth2 (auth = "xoauth2" '
        'and oauth_token_file set; this one is kind = "imap", auth = "password")\n',
    )


def test_missing_client_id_says_how_to_get_one(tmp_path: Path, fake: FakeProvider) -> None:
    table = "\n".join(
        line
        for line in account(
            fake, tmp_path / "t.json", host="imap.gmail.com", security="ssl", port=993
        ).splitlines()
        if not line.startswith(("oauth_client_id", "oauth_provider", "oauth_auth_uri"))
    )
    config = write_config(tmp_path, table + "\n")
    code, output = invoke(config, "work")
    assert code == 2
    assert output.startswith(
        "Error: work: oauth_client_id is required to authorise: register an app with the "
        "provider (Google: a Desktop app client;"
    )
    assert len(output.splitlines()) == 1
