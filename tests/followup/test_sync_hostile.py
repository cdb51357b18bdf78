"""The hostile corpus through `followup sync --json`, on SQLite and on a real PostgreSQL.

Every message is stored (sanitised) or skipped with a counted reason; a message the
database still refuses is skipped alone and its batch commits; database errors print
no mail; and hostile mail mixed with ordinary asks still gives a digest with every ask.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_mail import (
    NO_HEADERS,
    SKIPPED,
    add_latin1_named_file,
    corpus,
    mbox_bytes,
    ordinary,
    write_maildir,
)
from imap_helpers import imap_table
from pgserver import postgres_url  # noqa: F401  (fixture)
from servers import (  # noqa: F401  (the fixtures dovecot_server and mail_user)
    Dovecot,
    MailUser,
    dovecot_server_fixture,
    mail_user_fixture,
)
from sqlalchemy import create_engine, select, text

from connectors.maildir import MaildirSource
from followup.cli import cli
from followup.errors import StoreError
from followup.store import tables as t
from followup.store.store import Store

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
ME = "penny@example.com"
MESSAGES = corpus()
STORED = len(MESSAGES) - len(SKIPPED)
ASKS = [
    ("Signed contract", "Could you send me the signed contract by Friday?"),
    ("Venue", "Can you book the room for the workshop next week?"),
    ("Budget", "Would you review the budget draft and tell me what you think?"),
    ("Slides", "Could you share the slides from Tuesday's talk?"),
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    name = f"h_{abs(hash(request.node.nodeid)) % 10**9}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    yield base.rsplit("/", 1)[0] + "/" + name


def write_config(
    tmp_path: Path, url: str, *sources: tuple[str, str, Path], extra: str = ""
) -> Path:
    tables = "".join(
        f'\n[[mail]]\nname = "{name}"\nkind = "{kind}"\npath = "{path}"\n'
        for name, kind, path in sources
    )
    tables += extra
    path = tmp_path / "config.toml"
    path.write_text(
        f'[me]\nname = "Penny Example"\naddresses = ["{ME}"]\ntimezone = "UTC"\n\n'
        f'[storage]\nurl = "{url}"\n\n[nlp]\npipeline = "rules"\n{tables}'
    )
    return path


def invoke(config: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def run_process(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """followup as a real process, as cron runs it: stderr (and the log) to a pipe."""
    return subprocess.run(
        [sys.executable, "-m", "followup", "-v", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def hostile_maildir(root: Path) -> Path:
    write_maildir(root, MESSAGES)
    add_latin1_named_file(root, ordinary(90, "Latin-1 file", "Hello.", NOW, ME))
    stamp = (NOW - timedelta(days=3)).timestamp()
    for p in (root / "cur").iterdir():
        os.utime(p, (stamp, stamp))  # the fallback date of undated messages
    return root


def folder_totals(report: list[dict]) -> dict[str, tuple[int, int, dict[str, int]]]:  # type: ignore[type-arg]
    out = {}
    for source in report:
        assert source["ok"], source
        new = sum(f["new"] for f in source["folders"])
        skipped = sum(f["skipped"] for f in source["folders"])
        reasons: dict[str, int] = {}
        for f in source["folders"]:
            for reason, n in f["skip_reasons"].items():
                reasons[reason] = reasons.get(reason, 0) + n
        out[source["source"]] = (new, skipped, reasons)
    return out


def test_every_hostile_message_is_stored_or_skipped_with_its_reason(
    tmp_path: Path, db_url: str
) -> None:
    hostile_maildir(tmp_path / "Mail")
    (tmp_path / "hostile.mbox").write_bytes(mbox_bytes(MESSAGES))
    config = write_config(
        tmp_path,
        db_url,
        ("local", "maildir", tmp_path / "Mail"),
        ("archive", "mbox", tmp_path / "hostile.mbox"),
    )
    result = invoke(config, "sync", "--json")
    assert result.exit_code == 0, result.output
    totals = folder_totals(json.loads(result.stdout))
    assert totals["local"] == (STORED + 1, len(SKIPPED), {NO_HEADERS: len(SKIPPED)})
    assert totals["archive"] == (STORED, len(SKIPPED), {NO_HEADERS: len(SKIPPED)})
    store = Store.open(db_url)
    try:
        with store.begin() as conn:
            subjects = dict(conn.execute(select(t.Message.message_id, t.Message.subject)).all())
            names = dict(conn.execute(select(t.Address.email, t.Address.name)).all())
            folders = {f for (f,) in conn.execute(select(t.Checkpoint.folder))}
    finally:
        store.close()
    # The NUL cases, stored on PostgreSQL too, the NUL removed.
    assert subjects["nul-raw-subject@hostile.example"] == "Beforeafter"
    assert subjects["nul-encoded@hostile.example"] == "ab"
    assert names["eve@hostile.example"] == "EveNull"
    assert subjects["utf7-subject@hostile.example"] == "\ufffd\ufffd"
    assert len(subjects["huge-subject@hostile.example"]) == 998
    assert folders == {"INBOX", "hostile"}
    again = folder_totals(json.loads(invoke(config, "sync", "--json").stdout))
    assert again == {"local": (0, 0, {}), "archive": (0, 0, {})}


@pytest.mark.server
def test_hostile_mail_over_imap_is_stored_or_skipped_on_both_databases(
    tmp_path: Path, db_url: str, dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    appended = 0
    with dovecot_server.client(mail_user) as client:
        for raw in MESSAGES.values():
            if raw:  # an empty APPEND is refused by the server itself
                client.append("INBOX", raw)
                appended += 1
    config = write_config(tmp_path, db_url, extra=imap_table("work", dovecot_server, mail_user))
    result = invoke(config, "sync", "--json")
    assert result.exit_code == 0, result.output
    new, skipped, reasons = folder_totals(json.loads(result.stdout))["work"]
    assert new + skipped == appended and sum(reasons.values()) == skipped
    assert new >= STORED
    store = Store.open(db_url)
    try:
        with store.begin() as conn:
            subjects = dict(conn.execute(select(t.Message.message_id, t.Message.subject)).all())
    finally:
        store.close()
    assert subjects["utf7-subject@hostile.example"] == "\ufffd\ufffd"
    assert subjects["nul-encoded@hostile.example"] == "ab"


def _refuse_poison(url: str, *, detail_echo: bool = False) -> None:
    """Make the database refuse any message whose subject is "Poison" (and, on PostgreSQL
    with ``detail_echo``, fail every message with the row's excerpt in the DETAIL)."""
    Store.open(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_poison BEFORE INSERT ON message "
                    "WHEN NEW.subject = 'Poison' BEGIN SELECT RAISE(ABORT, 'poison'); END"
                )
            )
        elif not detail_echo:
            # A CHECK failure's DETAIL is "Failing row contains (...)": the whole row.
            conn.execute(
                text("ALTER TABLE message ADD CONSTRAINT no_poison CHECK (subject <> 'Poison')")
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_all() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'refused by a test trigger' USING DETAIL = NEW.excerpt; "
                    "END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_all BEFORE INSERT ON message "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_all()"
                )
            )
    engine.dispose()


SECRET = "the vault code is 4417"


def _poison_maildir(root: Path) -> None:
    messages = {f"ask{i}": ordinary(i, s, f"{a} ({SECRET})", NOW - timedelta(days=4), ME)
                for i, (s, a) in enumerate(ASKS)}  # fmt: skip
    messages["poison"] = ordinary(9, "Poison", f"A message the database refuses. {SECRET}",
                                  NOW - timedelta(days=4), ME)  # fmt: skip
    write_maildir(root, messages)


def test_a_message_the_database_refuses_is_skipped_alone_and_never_again(
    tmp_path: Path, db_url: str
) -> None:
    _poison_maildir(tmp_path / "Mail")
    _refuse_poison(db_url)
    config = write_config(tmp_path, db_url, ("local", "maildir", tmp_path / "Mail"))
    proc = run_process(config, "sync", "--json")
    assert proc.returncode == 0, proc.stderr
    totals = folder_totals(json.loads(proc.stdout))
    assert totals["local"] == (len(ASKS), 1, {"refused by the database: IntegrityError": 1})
    assert SECRET not in proc.stderr and "Poison" not in proc.stderr
    # The checkpoint committed with the rest: the next run neither re-reads nor re-skips.
    again = folder_totals(json.loads(invoke(config, "sync", "--json").stdout))
    assert again == {"local": (0, 0, {})}


def test_a_database_error_prints_no_mail_on_stderr_nor_in_the_log(
    tmp_path: Path, db_url: str
) -> None:
    _poison_maildir(tmp_path / "Mail")
    _refuse_poison(db_url, detail_echo=True)
    engine = create_engine(db_url)
    with engine.begin() as conn:  # the checkpoint write fails too (after the messages)
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_checkpoint BEFORE INSERT ON checkpoint "
                    "BEGIN SELECT RAISE(ABORT, 'no checkpoint'); END"
                )
            )
    engine.dispose()
    config = write_config(tmp_path, db_url, ("local", "maildir", tmp_path / "Mail"))
    proc = run_process(config, "sync")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    error = [ln for ln in lines if ln.startswith("Error:")]
    assert len(error) == 1, proc.stderr
    assert error[0].startswith("Error: Cannot write mail from local: ")
    for leak in (SECRET, "Colleague", "partner.example", "Signed contract", "[SQL", "parameters"):
        assert leak not in proc.stderr, (leak, proc.stderr)


def test_a_store_error_traceback_carries_no_mail(tmp_path: Path, db_url: str) -> None:
    """What the daemon logs on a failed cycle is the whole traceback: it must hold no mail."""
    _poison_maildir(tmp_path / "Mail")
    _refuse_poison(db_url, detail_echo=True)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE participant"))  # not a data problem: no retry per row
    engine.dispose()
    source = MaildirSource.from_config("local", {"path": str(tmp_path / "Mail")})
    store = Store.open(db_url)
    try:
        batch = next(iter(source.sync({})))
        with pytest.raises(StoreError) as caught:
            store.write_batch("local", batch, [ME])
    finally:
        store.close()
    shown = "".join(traceback.format_exception(caught.value))
    assert str(caught.value).startswith("Cannot write mail from local: ")
    for leak in (SECRET, "Colleague", "partner.example", "INSERT INTO"):
        assert leak not in shown, leak


def test_hostile_mail_mixed_with_ordinary_asks_gives_every_ask(tmp_path: Path, db_url: str) -> None:
    root = hostile_maildir(tmp_path / "Mail")
    for i, (subject, ask) in enumerate(ASKS):
        name = f"17100{i:05d}.ordinary{i}.host:2,S"
        (root / "cur" / name).write_bytes(ordinary(i, subject, ask, NOW - timedelta(days=4), ME))
    config = write_config(tmp_path, db_url, ("local", "maildir", root))
    started = time.monotonic()
    synced = invoke(config, "sync", "--json")
    assert synced.exit_code == 0, synced.output
    digest = invoke(config, "digest", "--json", "--now", NOW.isoformat())
    elapsed = time.monotonic() - started
    assert digest.exit_code == 0, digest.output
    replies = {n["evidence"]["message_id"]: n for n in json.loads(digest.stdout)
               if n["kind"] == "reply"}  # fmt: skip
    for i, (_subject, ask) in enumerate(ASKS):
        nudge = replies[f"ask{i}@partner.example"]
        assert ask in nudge["evidence"]["sentence"]
    totals = folder_totals(json.loads(synced.stdout))
    assert totals["local"] == (STORED + 1 + len(ASKS), len(SKIPPED), {NO_HEADERS: len(SKIPPED)})
    assert elapsed < 60, f"sync + digest took {elapsed:.1f} s"


def test_an_unexpected_database_error_is_one_line_without_mail(tmp_path: Path, db_url: str) -> None:
    """Outside the mail write path (here: saving findings), a database error reaches the
    CLI's last boundary: one line, no SQL, no parameters, no DETAIL echoing the row."""
    root = hostile_maildir(tmp_path / "Mail")
    config = write_config(tmp_path, db_url, ("local", "maildir", root))
    assert run_process(config, "sync").returncode == 0
    engine = create_engine(db_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_finding BEFORE INSERT ON finding "
                    "BEGIN SELECT RAISE(ABORT, 'no findings'); END"
                )
            )
        else:  # PostgreSQL's DETAIL would show the whole refused row: the sentence
            conn.execute(text("ALTER TABLE finding ADD CONSTRAINT no_findings CHECK (id < 0)"))
    engine.dispose()
    proc = subprocess.run(  # as cron runs it, without -v (which shows the traceback)
        # --analyse-all: the corpus is older than the planning window, and a quiet cron
        # run leaves older mail to the daemon; this one must write findings.
        [sys.executable, "-m", "followup", "--config", str(config), "run", "--no-send",
         "--analyse-all"],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith("Error: unexpected "), errors
    for leak in ("[SQL", "parameters", "Failing row", "INSERT INTO", *(b for _, b in ASKS)):
        assert leak not in proc.stderr, (leak, proc.stderr)
