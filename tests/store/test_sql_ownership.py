"""SQL lives in followup/store only: no other module of followup builds or runs a query.

Read from the source with ``ast`` (nothing imported), so a module that imports
SQLAlchemy lazily inside a function is caught as well.

Allowed outside the store, because they are not SQL:
- ``sqlalchemy.exc``: error classes. The CLI's error boundary and the retry helpers in
  followup/lock.py catch them; catching an error builds no query.
- ``sqlalchemy.engine.make_url``: parses the ``[storage] url`` (doctor shows it without
  its password; private_files finds the SQLite file to keep private).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from followup.store import handles
from followup.store.chunks import chunks

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "followup"
STORE = PACKAGE / "store"

SQL_PACKAGES = ("sqlalchemy", "sqlmodel")
ALLOWED_MODULES = {"sqlalchemy.exc"}
ALLOWED_NAMES = {("sqlalchemy.engine", "make_url")}
# The store's own modules of SQL: importing them elsewhere is SQL by another name.
STORE_SQL_MODULES = {"followup.store.tables", "followup.store.handles"}
# Running statements: only the store holds a connection.
CONNECTION_CALLS = {"execute", "exec_driver_sql", "execution_options", "scalars"}
STORE_ATTRIBUTES = {"begin", "engine"}


def _is_sql(module: str) -> bool:
    return module.split(".")[0] in SQL_PACKAGES


def problems(source: str, where: str) -> list[str]:
    """What in ``source`` is SQL outside the store, one line each."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (_is_sql(alias.name) and alias.name not in ALLOWED_MODULES) or (
                    alias.name in STORE_SQL_MODULES
                ):
                    out.append(f"{where}:{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mod = node.module
            for alias in node.names:
                full = f"{mod}.{alias.name}"
                sql = _is_sql(mod) and mod not in ALLOWED_MODULES
                if (sql and (mod, alias.name) not in ALLOWED_NAMES) or (
                    mod in STORE_SQL_MODULES or full in STORE_SQL_MODULES
                ):
                    out.append(f"{where}:{node.lineno}: from {mod} import {alias.name}")
        elif isinstance(node, ast.Attribute):
            if node.attr in CONNECTION_CALLS:
                out.append(f"{where}:{node.lineno}: .{node.attr}")
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if node.attr in STORE_ATTRIBUTES and name.endswith("store"):
                out.append(f"{where}:{node.lineno}: {name}.{node.attr}")
    return out


def test_no_sql_outside_the_store() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if STORE in path.parents:
            continue
        found += problems(path.read_text("utf-8"), str(path.relative_to(ROOT)))
    assert found == [], "SQL belongs in followup/store:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import select",
        "def f():\n    from sqlalchemy import func, select",
        "import sqlalchemy",
        "import sqlalchemy.orm",
        "from sqlmodel import Session",
        "from sqlalchemy.engine import create_engine",
        "from followup.store.tables import Message",
        "from followup.store import handles",
        "from followup.store.handles import M",
        "with store.begin() as conn:\n    pass",
        "url = self.store.engine.url",
        "rows = conn.execute(query)",
        "conn.exec_driver_sql('BEGIN IMMEDIATE')",
    ],
)
def test_the_check_sees_sql(source: str) -> None:
    assert problems(source, "m.py")


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy.exc import IntegrityError, OperationalError",
        "import sqlalchemy.exc",
        "from sqlalchemy.engine import make_url",
        "from followup.store.store import Store",
        "from followup.store.nudges import list_nudges",
        "store.count_messages()",
        "app.begin_work()",
    ],
)
def test_the_check_lets_the_allowed_through(source: str) -> None:
    assert problems(source, "m.py") == []


def test_one_handle_per_table() -> None:
    declared = {
        getattr(handles, name).name: name
        for name in dir(handles)
        if name.isupper() and getattr(getattr(handles, name), "c", None) is not None
    }
    assert sorted(declared) == sorted(SQLModel.metadata.tables)
    assert handles.M is SQLModel.metadata.tables["message"]
    assert handles.N.c.snoozed_until is not None  # the live columns, not a copy


@pytest.mark.parametrize(
    ("n", "size", "lengths"),
    [(0, 500, []), (1, 500, [1]), (500, 500, [500]), (501, 500, [500, 1]), (7, 3, [3, 3, 1])],
)
def test_chunks_bound_every_in_list(n: int, size: int, lengths: list[int]) -> None:
    parts = chunks(iter(range(n)), size)
    assert [len(p) for p in parts] == lengths
    assert [x for p in parts for x in p] == list(range(n))
