"""Fixtures for connector tests: the real Dovecot from tests/servers.py."""

from __future__ import annotations

from servers import dovecot_server_fixture, mail_user_fixture  # noqa: F401  (pytest fixtures)
