"""Two (or more) first starts on one fresh database, as real processes at the same
moment: no error in any of them, every step recorded once, the schema a fresh one's."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from pgserver import postgres_url  # noqa: F401  (fixture)
from store_history import fresh_database, recorded_steps, schema_of

from followup.store import migrations
from followup.store.store import Store

PROCESSES = 4
ROUNDS = 4

# Imports once (the slow part), says "ready", then for each round opens that round's
# database the moment the round's go-file appears and reports when the open ran.
CHILD = """
import json, os, sys, time
from followup.store.store import Store
go, urls = sys.argv[1], sys.argv[2:]
print("ready", flush=True)
for i, url in enumerate(urls):
    while not os.path.exists(f"{go}-{i}"):
        time.sleep(0.0005)
    start = time.monotonic()
    Store.open(url).close()
    print(json.dumps([start, time.monotonic()]), flush=True)
"""


def first_starts_at_once(urls: list[str], go: Path) -> list[list[tuple[float, float]]]:
    """Each round: PROCESSES processes open urls[round] at once; their (start, end)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(go), *urls],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline().strip()
            assert line == "ready", p.communicate()[1]
        rounds = []
        for i in range(len(urls)):
            Path(f"{go}-{i}").touch()
            spans = []
            for p in procs:
                assert p.stdout is not None
                line = p.stdout.readline()
                assert line, p.communicate()[1]  # the process died: its traceback
                start, end = json.loads(line)
                spans.append((start, end))
            rounds.append(sorted(spans))
        for p in procs:
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
            assert err == "", err
        return rounds
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def test_first_starts_at_once_migrate_once_without_error(request, tmp_path, kind):
    pg = request.getfixturevalue("postgres_url") if kind == "postgresql" else None
    with ExitStack() as stack:
        urls = [
            stack.enter_context(fresh_database(kind, tmp_path, pg, f"race_{kind}_{i}"))
            for i in range(ROUNDS)
        ]
        ref = stack.enter_context(fresh_database(kind, tmp_path, pg, f"race_ref_{kind}"))
        Store.open(ref).close()
        expected = schema_of(ref)

        rounds = first_starts_at_once(urls, tmp_path / "go")

        for url in urls:
            assert recorded_steps(url) == [s.name for s in migrations.STEPS]
            assert schema_of(url) == expected
        # The opens really ran at the same time in some round (else this tests nothing).
        assert any(b[0] < a[1] for spans in rounds for a, b in itertools.pairwise(spans))
