"""Helpers shared by the IMAP tests: build a source for a test user, run a sync."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from mailgen import ME
from servers import Dovecot, MailUser

from connectors.imap import ImapMailSource
from connectors.records import MailBatch, MailRecord
from followup.cli import cli

_COMMAND = re.compile(r"^> b'[A-Za-z]+\d+ (?:UID )?([A-Z]+)")


def make_source(server: Dovecot, user: MailUser, **options: Any) -> ImapMailSource:
    """An ImapMailSource for ``user`` over STARTTLS-less plain loopback by default."""
    base: dict[str, Any] = {
        "host": server.host,
        "port": server.imap_port,
        "security": "none",
        "allow_insecure": True,
        "username": user.name,
        "password_command": ["printf", "%s\\n", user.password],
        "timeout": 10,
    }
    base.update(options)
    return ImapMailSource.from_config("work", base)


def run_sync(
    source: ImapMailSource, checkpoints: Mapping[str, str] | None = None, **kwargs: Any
) -> tuple[list[MailBatch], dict[str, str]]:
    """Run one sync; return its batches and the checkpoints after it (as a store would)."""
    batches = list(source.sync(dict(checkpoints or {}), **kwargs))
    after = dict(checkpoints or {})
    for batch in batches:
        after[batch.folder] = batch.checkpoint
    return batches, after


def records(batches: list[MailBatch], folder: str | None = None) -> list[MailRecord]:
    return [r for b in batches if folder in (None, b.folder) for r in b.records]


def commands_sent(caplog_records: list[logging.LogRecord]) -> list[str]:
    """The IMAP command names a client sent, from imapclient's debug log."""
    out = []
    for record in caplog_records:
        if record.name.startswith("imapclient"):
            m = _COMMAND.match(record.getMessage())
            if m:
                out.append(m.group(1))
    return out


# -- the application driven through its CLI against Dovecot ---------------------------


def imap_table(
    name: str, server: Dovecot, user: MailUser, password: str | None = None, **extra: object
) -> str:
    lines = [
        "[[mail]]",
        f'name = "{name}"',
        'kind = "imap"',
        f'host = "{server.host}"',
        f"port = {server.imap_port}",
        'security = "starttls"',
        f'ca_file = "{server.cert}"',
        f'username = "{user.name}"',
        f'password_command = ["printf", "%s", "{password or user.password}"]',
        "timeout = 10",
    ]
    for key, value in extra.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def write_config(tmp_path: Path, *tables: str, db: str = "state.db") -> Path:
    path = tmp_path / f"config-{db}.toml"
    path.write_text(
        f"""
[me]
name = "Penny Example"
addresses = ["{ME[1]}"]
timezone = "UTC"

[storage]
url = "sqlite:///{tmp_path / db}"

[nlp]
pipeline = "rules"

"""
        + "\n".join(tables)
    )
    return path


def invoke(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
