"""The bundled demo: Penny Example's mailbox and calendar, and what the app should find.

``followup/demo/data`` is shipped as package data: ``mail/`` (a maildir++ tree: INBOX at
the root, ``.Sent``, ``.Archive``), ``calendar.ics`` and ``plan.json`` (the expected
nudges and the non-situations). It is written by ``python -m tools.demo.generate``, a
tool of the repository that is not installed. Importing this module stays cheap: no
parsing until asked.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DEMO_DIR: Path = Path(__file__).resolve().parent / "data"
DEMO_NOW: datetime = datetime(2026, 3, 17, 7, 30, tzinfo=ZoneInfo("America/Chicago"))

__all__ = ["DEMO_DIR", "DEMO_NOW", "demo_config_toml", "load_plan"]


def _toml_str(value: str) -> str:
    """A TOML basic string (backslashes and quotes escaped: Windows paths stay valid)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def demo_config_toml(state_dir: Path) -> str:
    """A config for the demo: Penny's identity, a SQLite store under ``state_dir``, the
    bundled maildir and calendar (absolute paths, computed where the package lives)."""
    state_dir = Path(state_dir).resolve()
    db_url = "sqlite:///" + (state_dir / "followup.db").as_posix()
    mail = (DEMO_DIR / "mail").as_posix()
    calendar = (DEMO_DIR / "calendar.ics").as_posix()
    return f"""# The bundled demo (followup demo). Penny Example is the demo user.
[me]
name = "Penny Example"
addresses = ["penny@example.com", "p.example@gmail.com"]
domains = ["example.com"]
timezone = "America/Chicago"

[storage]
url = {_toml_str(db_url)}

[[mail]]
name = "demo"
kind = "maildir"
path = {_toml_str(mail)}
sent = ["Sent"]

[[calendar]]
name = "demo"
kind = "ics"
path = {_toml_str(calendar)}
"""


def load_plan() -> dict[str, Any]:
    """The demo's plan: ``now``, ``me``, ``expected`` and ``not_expected`` nudges,
    ``mute`` (addresses to mute before checking) and ``counts``."""
    plan: dict[str, Any] = json.loads((DEMO_DIR / "plan.json").read_text(encoding="utf-8"))
    return plan
