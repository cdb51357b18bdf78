"""Helpers shared by the IMAP tests: build a source for a test user, run a sync."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from servers import Dovecot, MailUser

from connectors.imap import ImapMailSource
from connectors.records import MailBatch, MailRecord

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
