"""Typed handles on the live tables, declared once for every module of the store.

SQLModel gives each table class a ``__table__`` that its stubs do not declare; the
metadata's own mapping is typed (``Table``), so the handles come from it by name. A
test checks there is one handle per table of tables.py.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel

import followup.store.tables  # noqa: F401  (declares the tables on SQLModel's metadata)


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


MIGRATION = _table("migration")
SRC = _table("source")
CP = _table("checkpoint")
CCP = _table("calendar_checkpoint")
M = _table("message")
P = _table("participant")
PE = _table("person")
A = _table("address")
EV = _table("event")
AT = _table("attendee")
F = _table("finding")
N = _table("nudge")
D = _table("digest")
R = _table("digest_reply")
PI = _table("plan_inputs")
