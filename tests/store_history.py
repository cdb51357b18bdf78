"""Earlier schemas, with rows in them, and the comparison of two databases' schemas.

The schemas are built two ways: by the frozen steps (followup/store/history.py), and
from the DDL the old releases' ``create_all`` emitted, kept verbatim in
tests/data/store/ (so the frozen steps are themselves checked against what shipped).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, inspect, select, text

from followup.store import history
from followup.store.glance import STEP_NAMES

DATA = Path(__file__).parent / "data" / "store"
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
SNOOZED_UNTIL = datetime(2026, 3, 24, 13, 0, tzinfo=UTC)
ME = "penny@example.com"

# (what the database holds, the steps recorded in it, the DDL file that made it; None:
# no release shipped its DDL, the frozen steps make it from the 0002 rows)
# Every step but the newest: each schema before it is an earlier one to upgrade from.
_STEPS = STEP_NAMES[:-1]
EARLIER: dict[str, tuple[tuple[str, ...], str | None]] = {
    "0001": (("0001_initial",), "schema-0001"),
    "0002": (("0001_initial", "0002_digest_replies"), "schema-0002"),
    "0002-late": (("0001_initial", "0002_digest_replies"), "schema-0002-late"),
    "0003": (("0001_initial", "0002_digest_replies", "0003_drop_unused_message_indexes"), None),
    # Past 0003, each schema is the steps up to it, applied over the rows 0002 held.
    **{f"{n:04d}": (_STEPS[:n], None) for n in range(4, len(_STEPS) + 1)},
}
# The versions a release's DDL is kept for.
SHIPPED_DDL = sorted(v for v, (_, ddl) in EARLIER.items() if ddl)


# -- databases ---------------------------------------------------------------------


@contextmanager
def fresh_database(kind: str, tmp_path: Path, pg_base: str | None, name: str) -> Iterator[str]:
    """The URL of an empty database: a new SQLite file, or a new PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.sqlite'}"
        return
    assert pg_base is not None
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    db = re.sub(r"[^a-z0-9_]", "_", f"m_{digest}_{name}".lower())[:60]
    admin = create_engine(pg_base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {db}"))
        conn.execute(text(f"CREATE DATABASE {db}"))
    try:
        yield pg_base.rsplit("/", 1)[0] + "/" + db
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        admin.dispose()


def build_earlier(url: str, version: str, *, from_ddl: bool) -> None:
    """Make ``url`` hold the schema ``version`` as that release left it, with rows in
    every table, written as that release wrote them (plain SQL, no live tables).

    A version past 0002 is made by its frozen steps over the rows 0002 held, as an
    upgrade made it (0004 marks the analysed mail it finds)."""
    from followup.store import migrations

    steps, ddl_file = EARLIER[version]
    assert ddl_file or not from_ddl, f"no DDL kept for {version}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if from_ddl:
                assert ddl_file is not None
                ddl = (DATA / f"{ddl_file}.{engine.dialect.name}.sql").read_text()
                for stmt in ddl.split(";"):
                    if stmt.strip():
                        conn.exec_driver_sql(stmt)
            else:
                history.V0001.create_all(conn)
                if "0002_digest_replies" in steps:
                    history.V0002.create_all(conn)
            fill_0001(conn)
            if "0002_digest_replies" in steps:
                fill_0002(conn)
            for step, name in zip(migrations.STEPS[2:], steps[2:], strict=False):
                assert step.name == name
                step.apply(conn)
                if name == "0006_calendar_checkpoints_and_web_links":
                    fill_0006(conn)
            for i, step in enumerate(steps):
                conn.execute(
                    history.MIGRATION.insert().values(name=step, applied_at=T0 + timedelta(i))
                )
    finally:
        engine.dispose()


def _nudge_payload(key: str, kind: str, email: str, title: str, due: str | None) -> str:
    """A nudge as 0.1.0 stored it (followup.nudges.nudge_to_dict, sort_keys)."""
    return json.dumps(
        {
            "key": key,
            "kind": kind,
            "person": {"name": email.split("@")[0].title(), "email": email},
            "title": title,
            "reason": "asked 4 days ago",
            "evidence": {
                "message_id": f"<{key}@example.org>",
                "sentence": "Could you send the Q3 numbers by Friday?",
                "date": "2026-03-02T15:00:00+00:00",
                "subject": "Q3 numbers",
                "thread_url": None,
            },
            "due": due,
            "score": 0.9,
            "people": [],
            "extra": {},
        },
        sort_keys=True,
    )


# Each user decision 0.1.0 could hold, by nudge key: (state, snoozed_until).
NUDGES = {
    "reply:dana": ("open", None),
    "reply:omar": ("done", None),
    "follow_up:lee": ("snoozed", SNOOZED_UNTIL),
    "promise:kim": ("dismissed", None),
    "reconnect:ana": ("closed", None),
}


def fill_0001(conn: Any) -> None:
    t = history.V0001.tables
    conn.execute(
        t["source"].insert(),
        [{"name": "work", "kind": "imap", "last_sync": T0, "last_error": None}],
    )
    conn.execute(
        t["checkpoint"].insert(),
        [{"source": "work", "folder": "INBOX", "state": '{"uidvalidity": "7"}', "updated_at": T0}],
    )
    people = ["dana", "omar", "lee", "kim", "ana"]
    conn.execute(
        t["message"].insert(),
        [
            {
                "id": i + 1,
                "source": "work",
                "folder": "INBOX",
                "role": "inbox",
                "uidvalidity": "7",
                "uid": str(i + 1),
                "message_id": f"<m{i}@example.org>",
                "subject": "Q3 numbers",
                "norm_subject": "q3 numbers",
                "from_email": f"{p}@example.org",
                "from_name": p.title(),
                "date": T0 + timedelta(hours=i),
                "in_reply_to": None,
                "refs": "",
                "excerpt": "Could you send the Q3 numbers by Friday?",
                "attachments": "",
                "automated": None,
                "size": 1200 + i,
                "gmail_thread_id": "1789" if i == 0 else None,
                "from_me": False,
                "thread_id": i + 1,
                "analysed": True,
            }
            for i, p in enumerate(people)
        ],
    )
    conn.execute(
        t["person"].insert(),
        [
            {"id": 1, "name": "Dana", "important": True, "muted": False},
            {"id": 2, "name": "Omar", "important": False, "muted": True},
        ],
    )
    conn.execute(
        t["address"].insert(),
        [
            {"email": f"{p}@example.org", "person_id": {"dana": 1, "omar": 2}.get(p), "name": ""}
            for p in people
        ]
        + [{"email": ME, "person_id": None, "name": ""}],
    )
    conn.execute(
        t["participant"].insert(),
        [
            {"message_pk": i + 1, "email": e, "role": role, "name": ""}
            for i, p in enumerate(people)
            for e, role in ((f"{p}@example.org", "from"), (ME, "to"))
        ],
    )
    conn.execute(
        t["finding"].insert(),
        [
            {
                "id": 1,
                "message_pk": 1,
                "kind": "request",
                "owner": "reader",
                "text": "Could you send the Q3 numbers by Friday?",
                "action": "send the Q3 numbers",
                "due": T0 + timedelta(days=4),
                "due_text": "by Friday",
                "score": 0.93,
            }
        ],
    )
    conn.execute(
        t["event"].insert(),
        [
            {
                "id": 1,
                "source": "cal",
                "calendar": "work",
                "uid": "ev1@example.org",
                "summary": "Q3 review",
                "start": T0 + timedelta(days=3),
                "end": T0 + timedelta(days=3, hours=1),
                "status": "confirmed",
                "organizer_email": ME,
                "all_day": False,
                "location": "",
            }
        ],
    )
    conn.execute(
        t["attendee"].insert(),
        [
            {"event_pk": 1, "email": ME, "name": "", "status": "accepted", "organizer": True},
            {
                "event_pk": 1,
                "email": "dana@example.org",
                "name": "Dana",
                "status": "needs-action",
                "organizer": False,
            },
        ],
    )
    conn.execute(
        t["nudge"].insert(),
        [
            {
                "key": key,
                "number": n,
                "kind": key.split(":")[0],
                "person_email": f"{key.split(':')[1]}@example.org",
                "payload": _nudge_payload(
                    key,
                    key.split(":")[0],
                    f"{key.split(':')[1]}@example.org",
                    f"Nudge {n}",
                    "2026-03-06T23:00:00+00:00" if n == 1 else None,
                ),
                "state": state,
                "snoozed_until": until,
                "first_seen": T0 + timedelta(days=1),
                "last_seen": T0 + timedelta(days=2),
                "closed_at": T0 + timedelta(days=2) if state == "closed" else None,
            }
            for n, (key, (state, until)) in enumerate(NUDGES.items(), start=1)
        ],
    )
    conn.execute(
        t["digest"].insert(),
        [
            {
                "id": 1,
                "day": "2026-03-16",
                "recipient": ME,
                "message_id": "<digest-2026-03-16@followup>",
                "status": "sent",
                "nudge_keys": json.dumps(["reply:dana", "reply:omar"]),
                "created_at": T0 + timedelta(days=14),
                "sent_at": T0 + timedelta(days=14, seconds=3),
            }
        ],
    )


def fill_0002(conn: Any) -> None:
    conn.execute(
        history.V0002.tables["digest_reply"].insert(),
        [
            {
                "message_id": "<reply-1@example.com>",
                "digest_message_id": "<digest-2026-03-16@followup>",
                "applied_at": T0 + timedelta(days=14, hours=2),
                "results": json.dumps([{"command": "done 2", "ok": True}]),
            }
        ],
    )


def fill_0006(conn: Any) -> None:
    """A calendar's checkpoint, as 0006 wrote them (its own table from then on)."""
    conn.execute(
        history.V0006.tables["calendar_checkpoint"].insert(),
        [
            {
                "source": "work-calendar",
                "calendar": "Work",
                "state": json.dumps({"sync_token": "t-1"}),
                "updated_at": T0 + timedelta(days=14),
            }
        ],
    )


# -- comparing ---------------------------------------------------------------------


def schema_of(url_or_engine: str | Engine) -> dict[str, Any]:
    """Tables, columns (type, nullability, default), primary keys, indexes, unique
    constraints and foreign keys, as SQLAlchemy's inspector reads them back."""
    engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        insp = inspect(engine)
        out: dict[str, Any] = {}
        for name in sorted(insp.get_table_names()):
            out[name] = {
                "columns": {
                    c["name"]: (
                        c["type"].compile(dialect=engine.dialect),
                        c["nullable"],
                        c.get("default"),
                    )
                    for c in insp.get_columns(name)
                },
                "primary_key": insp.get_pk_constraint(name)["constrained_columns"],
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in insp.get_indexes(name)
                ),
                "unique": sorted(
                    (u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(name)
                ),
                "foreign_keys": sorted(
                    (
                        tuple(f["constrained_columns"]),
                        f["referred_table"],
                        tuple(f["referred_columns"]),
                    )
                    for f in insp.get_foreign_keys(name)
                ),
            }
        return out
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def rows_of(
    url: str,
    *,
    skip: tuple[str, ...] = ("migration",),
    columns: dict[str, list[str]] | None = None,
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (reflected, so any version's tables), sorted; with
    ``columns``, only those tables and those columns (what an older schema had)."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            out = {}
            for name, table in sorted(meta.tables.items()):
                if name in skip or (columns is not None and name not in columns):
                    continue
                cols = [table.c[c] for c in columns[name]] if columns else list(table.c)
                out[name] = sorted((tuple(r) for r in conn.execute(select(*cols))), key=repr)
            return out
    finally:
        engine.dispose()


def columns_of(url: str) -> dict[str, list[str]]:
    """Each table's column names, in order."""
    engine = create_engine(url)
    try:
        insp = inspect(engine)
        return {n: [c["name"] for c in insp.get_columns(n)] for n in insp.get_table_names()}
    finally:
        engine.dispose()


def recorded_steps(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(select(history.MIGRATION.c.name)).scalars())
    finally:
        engine.dispose()
