"""Fixtures for connector tests: the real Dovecot from tests/servers.py."""

from __future__ import annotations

from servers import dovecot_server, mail_user  # noqa: F401  (pytest fixtures)
