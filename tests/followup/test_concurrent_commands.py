"""Commands that write the store at the same time, as real processes, on SQLite and a real
PostgreSQL: ``digest`` while ``run`` plans, ``done`` during a run, two runs (two
machines on one PostgreSQL), and the lines a command prints when it finds a cycle
running. Each race checks exit codes, stderr (no traceback) and the nudge table:
numbers unique and dense, every planned nudge there once, no decision lost."""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from pgserver import postgres_url  # noqa: F401  (fixture)
from race_worker import serve
from sqlalchemy import create_engine, delete, func, select, text, update

from followup.demo import DEMO_DIR
from followup.lock import database_lock, run_lock
from followup.store.handles import N
from followup.store.store import Store

pytestmark = pytest.mark.slow

NOW = "2026-03-17T07:30"
ROUNDS = 3
IN_PROGRESS = "Another followup run is in progress"
DIGEST_NOTE = "Note: a followup run is in progress; showing the nudges as last planned."


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)]
)
def golden(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo mailbox synced, analysed and planned once per backend (the slow part);
    each test gets a copy."""
    if request.param == "postgresql":
        request.applymarker(pytest.mark.server)
    root = tmp_path_factory.mktemp("golden")
    shutil.copytree(DEMO_DIR / "mail", root / "Mail")
    if request.param == "sqlite":
        url = f"sqlite:///{root / 'state.db'}"
    else:
        url = _new_database(request.getfixturevalue("postgres_url"), "c_golden")
    w = World(root, url)
    code, _, err = w.run("run", "--no-send", "--now", NOW)
    assert code == 0, err
    assert len(w.nudges()) > 5
    if url.startswith("sqlite"):
        engine = create_engine(url)
        with engine.connect() as c:
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # all in the main file
        engine.dispose()
    return url


def _new_database(base: str, name: str, template: str | None = None) -> str:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(
            text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        )
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def db_url(golden: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A copy of the golden store: a SQLite file, or a database made from it on the
    tests' PostgreSQL."""
    if golden.startswith("sqlite"):
        shutil.copy(golden.removeprefix("sqlite:///"), tmp_path / "state.db")
        return f"sqlite:///{tmp_path / 'state.db'}"
    name = f"c_{abs(hash(request.node.nodeid)) % 10**9}"
    return _new_database(golden.rsplit("/", 1)[0] + "/postgres", name, golden.rsplit("/", 1)[1])


@dataclass
class World:
    """The demo mailbox in a Maildir, one store, and a config (and home) per "machine"."""

    root: Path
    url: str

    def config(self, home: str = "home") -> Path:
        path = self.root / f"config-{home}.toml"
        if not path.exists():
            path.write_text(
                f"""
[me]
name = "Penny Example"
addresses = ["penny@example.com", "p.example@gmail.com"]
domains = ["example.com"]
timezone = "America/Chicago"

[storage]
url = "{self.url}"

[[mail]]
name = "demo"
kind = "maildir"
path = "{self.root / "Mail"}"
sent = ["Sent"]

[nlp]
pipeline = "rules"
""",
                encoding="utf-8",
            )
        return path

    def home(self, home: str = "home") -> Path:
        return self.root / home

    def start(self, *args: str, home: str = "home") -> subprocess.Popen[str]:
        env = dict(os.environ, FOLLOWUP_HOME=str(self.home(home)))
        env.pop("FOLLOWUP_CONFIG", None)
        return subprocess.Popen(
            [sys.executable, "-m", "followup", "--config", str(self.config(home)), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def run(self, *args: str, home: str = "home") -> tuple[int, str, str]:
        p = self.start(*args, home=home)
        out, err = p.communicate(timeout=300)
        return p.returncode, out, err

    def nudges(self) -> list[tuple[str, int, str]]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as c:
                return [tuple(r) for r in c.execute(select(N.c.key, N.c.number, N.c.state))]
        finally:
            engine.dispose()

    def write(self, stmt: object) -> None:
        engine = create_engine(self.url)
        try:
            with engine.begin() as c:
                c.execute(stmt)  # type: ignore[call-overload]
        finally:
            engine.dispose()


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> World:
    """The golden store's copy and its mailbox: each race is about planning and decisions."""
    shutil.copytree(DEMO_DIR / "mail", tmp_path / "Mail")
    w = World(tmp_path, db_url)
    code, _, err = w.run("sync")  # the checkpoints point at the golden Maildir's files
    assert code == 0, err
    return w


def race(
    world: World,
    a: tuple[str, ...],
    b: tuple[str, ...],
    rng: random.Random,
    homes: tuple[str, str] = ("home", "home"),
    spread: float = 0.3,
) -> list[tuple[int, str, str]]:
    """Start two commands a few tens of ms apart (seeded), so their writes overlap."""
    first = world.start(*a, home=homes[0])
    time.sleep(rng.uniform(0, spread))
    second = world.start(*b, home=homes[1])
    out = []
    for p in (first, second):
        o, e = p.communicate(timeout=300)
        out.append((p.returncode, o, e))
    return out


def clean(err: str, *allowed: str) -> None:
    """stderr holds nothing but the allowed lines: no traceback, no unexpected error."""
    for line in err.splitlines():
        assert any(line.startswith(a) for a in allowed), err


def assert_consistent(world: World, expected_keys: set[str]) -> dict[str, tuple[int, str]]:
    rows = world.nudges()
    keys = [k for k, _, _ in rows]
    numbers = sorted(n for _, n, _ in rows)
    assert len(keys) == len(set(keys))
    assert set(keys) == expected_keys
    assert len(numbers) == len(set(numbers))
    return {k: (n, s) for k, n, s in rows}


def test_digest_while_run_plans(world: World) -> None:
    rng = random.Random(10)
    expected = {k for k, _, _ in world.nudges()}
    for _ in range(ROUNDS):
        world.write(delete(N))  # every nudge is new again: both commands allocate all
        (rc_run, out_run, err_run), (rc_dig, out_dig, err_dig) = race(
            world, ("run", "--no-send", "--now", NOW), ("digest", "--now", NOW), rng
        )
        assert rc_run == 0, err_run
        assert rc_dig == 0, err_dig
        clean(err_run, IN_PROGRESS)
        clean(err_dig, DIGEST_NOTE)
        assert "open nudges" in out_run or IN_PROGRESS in err_run
        rows = assert_consistent(world, expected)
        # Numbers are given from 1 without gaps: nobody allocated from a stale max.
        assert sorted(n for n, _ in rows.values()) == list(range(1, len(expected) + 1))
        if DIGEST_NOTE not in err_dig:
            assert "[1]" in out_dig


def test_done_while_run_plans_keeps_the_decision(world: World) -> None:
    rng = random.Random(11)
    before = {k: n for k, n, _ in world.nudges()}
    expected = set(before)
    decided: dict[str, str] = {}
    for i in range(ROUNDS):
        # The last few nudges are forgotten, so the run inserts (and numbers) them again.
        tail = sorted(before, key=before.__getitem__)[-3:]
        world.write(delete(N).where(N.c.key.in_(tail)))
        key = sorted(before, key=before.__getitem__)[i]
        number = before[key]
        verb, state = (("done", "done"), ("dismiss", "dismissed"))[i % 2]
        (rc_run, _, err_run), (rc_done, out_done, err_done) = race(
            world, ("run", "--no-send", "--now", NOW), (verb, str(number)), rng
        )
        assert rc_run == 0, err_run
        assert rc_done == 0, err_done
        clean(err_run, IN_PROGRESS)
        assert err_done == ""
        assert out_done.startswith(f"{'Done' if verb == 'done' else 'Dismissed'}: [{number}] ")
        decided[key] = state
        rows = assert_consistent(world, expected)
        for k, s in decided.items():
            assert rows[k][1] == s, (k, rows[k])  # no decision lost to the plan
        before = {k: n for k, (n, _) in rows.items()}


@pytest.mark.parametrize("homes", ["one home"])
def test_two_runs(world: World, homes: str) -> None:
    _two_runs(world, homes)


@pytest.mark.server
@pytest.mark.parametrize("golden", ["postgresql"], indirect=True)
def test_two_runs_on_two_machines(world: World) -> None:
    _two_runs(world, "two machines")


def _two_runs(world: World, homes: str) -> None:
    rng = random.Random(12)
    expected = {k for k, _, _ in world.nudges()}
    other = ("home", "home-b") if homes == "two machines" else ("home", "home")
    waited = 0
    rounds = 0
    # ROUNDS seeded races, then more (started together) until one round really contended
    # the lock: how far two runs overlap depends on the machine's load.
    while rounds < ROUNDS or (waited == 0 and rounds < 4 * ROUNDS):
        rounds += 1
        world.write(delete(N))
        results = race(
            world,
            ("run", "--no-send", "--now", NOW),
            ("run", "--no-send", "--now", NOW),
            rng if rounds <= ROUNDS else random.Random(0),
            other,
            spread=0.3 if rounds <= ROUNDS else 0.0,
        )
        for rc, out, err in results:
            assert rc == 0, err
            clean(err, IN_PROGRESS)
            assert ("open nudges" in out) != (IN_PROGRESS in err)
            waited += IN_PROGRESS in err
        rows = assert_consistent(world, expected)
        assert sorted(n for n, _ in rows.values()) == list(range(1, len(expected) + 1))
    assert waited >= 1  # the lock was really contended at least once


def test_plan_against_plan_and_decisions_in_lockstep(world: World) -> None:
    """Two processes released by one barrier: plan against plan (the number race of
    issue #10: 9 rounds in 10 failed before the fix) and a decision against a plan."""
    expected = {k for k, _, _ in world.nudges()}
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    pipes = [ctx.Pipe() for _ in range(2)]
    workers = [
        ctx.Process(target=serve, args=(str(world.config()), child, barrier), daemon=True)
        for _, child in pipes
    ]
    for w in workers:
        w.start()
    try:
        when = "2026-03-17T13:30:00+00:00"
        for _ in range(10):
            world.write(delete(N))
            for parent, _ in pipes:
                parent.send(("plan", when))
            assert [parent.recv() for parent, _ in pipes] == ["ok", "ok"]
            rows = assert_consistent(world, expected)
            assert sorted(n for n, _ in rows.values()) == list(range(1, len(expected) + 1))
        for i in range(10):
            world.write(update(N).values(state="open"))
            world.write(delete(N).where(N.c.number > len(expected) - 3))
            number = 1 + i
            pipes[0][0].send(("plan", when))
            pipes[1][0].send(("set", number, "done"))
            assert [parent.recv() for parent, _ in pipes] == ["ok", "ok"]
            rows = assert_consistent(world, expected)
            assert [s for n, s in rows.values() if n == number] == ["done"]
    finally:
        for parent, _ in pipes:
            parent.send(None)
        for w in workers:
            w.join(timeout=30)


# -- what a command prints when it finds a cycle running --------------------------------


# The lock file is the same whatever the database: these run on SQLite.


def hold_for(seconds: float, cm: AbstractContextManager[object]) -> threading.Thread:
    """Hold ``cm`` in a thread for ``seconds`` (a cycle that ends meanwhile)."""
    held = threading.Event()

    def hold() -> None:
        with cm:
            held.set()
            time.sleep(seconds)

    th = threading.Thread(target=hold, daemon=True)
    th.start()
    assert held.wait(30)
    return th


@pytest.mark.parametrize("golden", ["sqlite"], indirect=True)  # the lock file
def test_sync_finds_a_cycle_running_waits_then_says_so(world: World) -> None:
    with run_lock(world.home()):
        started = time.monotonic()
        code, out, err = world.run("sync")
        took = time.monotonic() - started
    assert code == 75, err
    assert out == ""
    assert err.splitlines() == [
        f"Error: {IN_PROGRESS} (lock {world.home() / 'followup.lock'}); this one exits "
        "without work. Try again when it has finished."
    ]
    assert 5 <= took < 60  # it waited for the cycle a few seconds first


@pytest.mark.parametrize("golden", ["sqlite"], indirect=True)  # the lock file
def test_sync_waits_for_a_cycle_that_ends(world: World) -> None:
    th = hold_for(1.5, run_lock(world.home()))
    code, out, err = world.run("sync")
    th.join()
    assert code == 0, err
    assert err == ""
    assert out.startswith("demo: 0 new messages")


@pytest.mark.parametrize("golden", ["sqlite"], indirect=True)  # the lock file
def test_digest_during_a_cycle_shows_the_last_plan(world: World) -> None:
    with run_lock(world.home()):
        code, out, err = world.run("digest", "--now", NOW)
    assert code == 0, err
    assert err.splitlines() == [DIGEST_NOTE]
    assert "[1]" in out


@pytest.mark.server
@pytest.mark.parametrize("golden", ["postgresql"], indirect=True)
def test_a_cycle_on_another_machine_holds_the_database(world: World, db_url: str) -> None:
    store = Store.open(db_url)
    try:
        with database_lock(store):  # another machine's run, its lock file out of sight
            code, out, err = world.run("run", "--no-send", "--now", NOW)
            assert code == 0, err
            assert out == ""
            assert err.splitlines() == [
                "Another followup run is in progress on this database (another machine or "
                "FOLLOWUP_HOME shares it); this one exits without work."
            ]
            code, out, err = world.run("digest", "--now", NOW)
            assert code == 0
            assert err.splitlines() == [DIGEST_NOTE]
        code, out, err = world.run("run", "--no-send", "--now", NOW)
        assert code == 0, err
        assert "open nudges" in out
    finally:
        store.close()


@contextmanager
def nudge_writer(url: str) -> Iterator[None]:
    """Another process's write transaction on the nudges, held open."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.rollback()
            conn.close()
        return
    from followup.store.nudges import NUDGE_LOCK_KEY

    engine = create_engine(url)
    try:
        with engine.begin() as c:
            c.execute(select(func.pg_advisory_xact_lock(NUDGE_LOCK_KEY)))
            yield
    finally:
        engine.dispose()


def test_done_waits_for_a_writer_then_one_clear_line(world: World) -> None:
    th = hold_for(2, nudge_writer(world.url))
    code, out, err = world.run("done", "1")
    th.join()
    assert (code, err) == (0, "")
    assert out.startswith("Done: [1] ")
    with nudge_writer(world.url):
        started = time.monotonic()
        code, out, err = world.run("done", "2")
        took = time.monotonic() - started
    assert code == 1
    assert err.splitlines() == [
        "Error: The database is busy: another followup command kept it locked for over 10 s; "
        "try again in a moment."
    ]
    assert took >= 10
    assert {n: s for _, n, s in world.nudges()}[2] == "open"
