"""Kill -9 soak: ``followup run`` killed during sync, analysis, planning or sending, then
rerun, must end with the store of a run that was never interrupted.

Two lanes see the same world: the demo mailbox delivered into a Maildir day by day, the
demo calendar, one ``followup run`` per day at 08:00 (the digest is due at 07:30) and
the same user decision after each day. The reference lane runs undisturbed; the killed
lane's run is SIGKILLed at a random point of the chosen phase, then rerun. Used by
tests/followup/test_kill_soak.py (a few kills) and benchmarks/soak_kill.py (30).

Where the kill lands is read from the run's own log lines (``-vv``), timed from the
reference lane's run of the same day; a kill while sending comes from the SMTP server
itself, at MAIL, RCPT or after the final "." (DATA), before it answers.
"""

from __future__ import annotations

import email
import email.utils
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from smtp_testing import Recorder, smtp_server
from sqlalchemy import create_engine, select

from followup.demo import DEMO_DIR
from followup.store import handles as h

PHASES = ("sync", "analysis", "planning", "sending")
ME = "penny@example.com"
TZ = ZoneInfo("America/Chicago")
DECISIONS = ("done", "snoozed", "dismissed")
SMTP_STEPS = ("MAIL", "RCPT", "DATA")
RUN_TIMEOUT = 300.0


@dataclass(frozen=True)
class DemoMail:
    folder: str  # "" (INBOX), ".Sent", ".Archive"
    name: str
    sent: datetime | None


def demo_mail() -> list[DemoMail]:
    """The demo mailbox's files with their Date (None where the header is missing)."""
    out = []
    for folder in ("", ".Sent", ".Archive"):
        for sub in ("cur", "new"):
            d = DEMO_DIR / "mail" / folder / sub
            for path in sorted(d.iterdir()) if d.is_dir() else ():
                msg = email.message_from_bytes(path.read_bytes())
                raw = msg["Date"]
                sent = email.utils.parsedate_to_datetime(raw) if raw else None
                out.append(DemoMail(folder, f"{sub}/{path.name}", sent))
    return out


def soak_days(
    count: int, last: date = date(2026, 3, 17), first: date = date(2025, 12, 1)
) -> list[date]:
    """``count`` days from ``first`` to ``last``, evenly spread (one run and digest each)."""
    if count == 1:
        return [last]
    step = (last - first) / (count - 1)
    return [first + step * i for i in range(count)]


def run_time(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=TZ).replace(hour=8)


class KillingRecorder(Recorder):
    """The loopback SMTP server's handler; SIGKILLs ``victim`` at ``kill_at`` (MAIL,
    RCPT, or DATA: after the final "."), before answering."""

    def __init__(self) -> None:
        super().__init__()
        self.kill_at: str | None = None
        self.victim: int | None = None
        self.killed_at: str | None = None

    def _maybe_kill(self, step: str) -> None:
        if self.kill_at == step and self.victim is not None:
            os.kill(self.victim, signal.SIGKILL)
            self.killed_at, self.kill_at, self.victim = step, None, None

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any
    ) -> str:
        self._maybe_kill("MAIL")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        self._maybe_kill("RCPT")
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)  # received: kept
        self._maybe_kill("DATA")
        return answer

    def message_ids(self) -> list[str]:
        return [
            "".join(str(self.parsed(i)["Message-ID"]).split()).strip("<>")
            for i in range(len(self.messages))
        ]


@dataclass
class Run:
    """One ``followup run`` process and its log lines as they arrived."""

    proc: subprocess.Popen[str]
    started: float
    lines: queue.Queue[tuple[float, str]] = field(default_factory=queue.Queue)
    seen: list[tuple[float, str]] = field(default_factory=list)
    stdout: str = ""

    def pump(self, until: float) -> None:
        """Collect lines until the monotonic time ``until`` (or the process's end)."""
        while True:
            timeout = until - time.monotonic()
            if timeout <= 0:
                return
            try:
                item = self.lines.get(timeout=min(timeout, 0.05))
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    return
                continue
            self.seen.append(item)

    def marker(self, phase_edge: str) -> float | None:
        """When the log showed ``phase_edge`` (see ``EDGES``), seconds after start."""
        for at, line in self.seen:
            if EDGES[phase_edge](line):
                return at - self.started
        return None

    def stderr(self) -> str:
        return "\n".join(line for _, line in self.seen)


def _logger(line: str) -> str:
    # "%(asctime)s %(levelname)s %(name)s: %(message)s" -> the logger's name
    parts = line.split(" ", 4)
    return parts[3].rstrip(":") if len(parts) > 3 else ""


def _message(line: str) -> str:
    return line.split(": ", 1)[1] if ": " in line else ""


# The log line that starts each phase (the previous one's last), in order. "analysis"
# starts once the mailbox is synced: the calendar, threading and the NLP pipeline's load
# come before the texts themselves (sync.py and extract.py log no line in between).
EDGES: dict[str, Callable[[str], bool]] = {
    "sync": lambda line: _logger(line).startswith(("connectors.", "followup.sync")),
    "analysis": lambda line: (
        _logger(line) == "followup.sync" and _message(line).startswith("mail:")
    ),
    "planning": lambda line: _logger(line) == "followup.extract" and "Analysed" in line,
    "sending": lambda line: _logger(line) == "followup.runner" and "Planned" in line,
    "end": lambda line: (
        _logger(line) == "followup.digest.deliver"
        or (_logger(line) == "filelock" and "released" in line)
    ),
}


@dataclass
class Lane:
    """One store and its world: a Maildir, a config, a FOLLOWUP_HOME, an SMTP server."""

    name: str
    root: Path
    url: str
    smtp: KillingRecorder
    smtp_port: int
    delivered: set[str] = field(default_factory=set)

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def write_config(self) -> None:
        mail, cal = self.root / "Mail", self.root / "calendar.ics"
        (mail / "cur").mkdir(parents=True, exist_ok=True)
        for sub in ("new", "tmp"):
            (mail / sub).mkdir(exist_ok=True)
        shutil.copy(DEMO_DIR / "calendar.ics", cal)
        self.config.write_text(
            f"""
[me]
name = "Penny Example"
addresses = ["{ME}", "p.example@gmail.com"]
domains = ["example.com"]
timezone = "America/Chicago"

[storage]
url = "{self.url}"

[[mail]]
name = "mail"
kind = "maildir"
path = "{mail}"
sent = ["Sent"]

[[calendar]]
name = "cal"
kind = "ics"
path = "{cal}"

[nlp]
pipeline = "rules"

[digest]
to = "{ME}"
from = "{ME}"
at = "07:30"

[digest.smtp]
host = "127.0.0.1"
port = {self.smtp_port}
security = "none"
allow_insecure = true
""",
            encoding="utf-8",
        )

    def deliver_until(self, mails: list[DemoMail], until: datetime) -> int:
        """Copy into the Maildir the demo messages sent before ``until`` not yet there."""
        n = 0
        for m in mails:
            key = f"{m.folder}/{m.name}"
            if key in self.delivered or (m.sent is not None and m.sent > until):
                continue
            target = self.root / "Mail" / m.folder / m.name
            target.parent.mkdir(parents=True, exist_ok=True)
            for sub in ("cur", "new", "tmp"):
                (target.parent.parent / sub).mkdir(exist_ok=True)
            shutil.copy(DEMO_DIR / "mail" / m.folder / m.name, target)
            self.delivered.add(key)
            n += 1
        return n

    def env(self) -> dict[str, str]:
        e = dict(os.environ)
        e["FOLLOWUP_HOME"] = str(self.root / "home")
        e.pop("FOLLOWUP_CONFIG", None)
        return e

    def start(self, *args: str) -> Run:
        proc = subprocess.Popen(
            [sys.executable, "-m", "followup", "-vv", "--config", str(self.config), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
        )
        run = Run(proc, time.monotonic())

        def read() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                run.lines.put((time.monotonic(), line.rstrip("\n")))

        threading.Thread(target=read, daemon=True).start()
        return run


def finish(run: Run) -> Run:
    """Wait for the run to end and collect all its output."""
    assert run.proc.stdout is not None
    run.stdout = run.proc.stdout.read()
    run.proc.wait(timeout=RUN_TIMEOUT)
    run.pump(time.monotonic() + 2)
    return run


def check_clean(run: Run, what: str) -> None:
    err = run.stderr()
    if run.proc.returncode != 0 or "Traceback" in err or "unexpected" in err:
        tail = "\n".join(line for line in err.splitlines() if " DEBUG " not in line)[-3000:]
        raise AssertionError(f"{what}: exit {run.proc.returncode}\n{run.stdout}\n{tail}")


@dataclass(frozen=True)
class Timing:
    """Seconds after start at which the reference run showed each edge (see ``EDGES``)."""

    edges: dict[str, float]

    @classmethod
    def of(cls, run: Run) -> Timing:
        found = {e: run.marker(e) for e in EDGES}
        return cls({e: at for e, at in found.items() if at is not None})

    def window(self, phase: str) -> tuple[str, float] | None:
        """(the edge that starts ``phase``, its length); None when the run had no such
        phase (no new mail to analyse, say)."""
        if phase == "sync":
            start, end = "sync", "analysis"
        elif phase == "analysis":
            start, end = "analysis", "planning"
        elif phase == "planning":
            start = "planning" if "planning" in self.edges else "analysis"
            end = "sending"
        else:
            start, end = "sending", "end"
        if start not in self.edges or end not in self.edges:
            return None
        return start, max(0.0, self.edges[end] - self.edges[start])

    def phase_after(self, edge: str) -> str:
        """The phase a run is in once it showed ``edge`` last."""
        if edge == "analysis" and "planning" not in self.edges:
            return "planning"  # nothing was analysed: planning follows the sync
        return edge


@dataclass
class Kill:
    day: date
    phase: str  # the phase aimed at
    landed: str  # the phase the run's log shows it was in
    detail: str

    def line(self) -> str:
        return f"{self.day}  killed during {self.landed:<9} ({self.detail})"


def kill_during(lane: Lane, phase: str, timing: Timing, rng: random.Random, day: date) -> Kill:
    """Start the day's run and SIGKILL it at a random point of ``phase``."""
    now = run_time(day).isoformat()
    if phase == "sending":
        step = rng.choice(SMTP_STEPS)
        lane.smtp.kill_at = step
        run = lane.start("run", "--now", now)
        lane.smtp.victim = run.proc.pid
        run.proc.wait(timeout=RUN_TIMEOUT)
        lane.smtp.kill_at = lane.smtp.victim = None
        run.pump(time.monotonic() + 1)
        if run.proc.returncode != -signal.SIGKILL:
            raise AssertionError(f"{day}: the run was not killed at SMTP {step}: {run.stderr()}")
        return Kill(day, phase, phase, f"at SMTP {lane.smtp.killed_at}")
    window = timing.window(phase)
    assert window is not None, phase
    edge, length = window
    delay = length * rng.uniform(0.05, 0.95)
    order = list(EDGES)
    later = order[order.index(edge) + 1 :]
    run = lane.start("run", "--now", now)
    deadline = time.monotonic() + RUN_TIMEOUT
    while run.marker(edge) is None and run.proc.poll() is None and time.monotonic() < deadline:
        run.pump(time.monotonic() + 0.01)
    entered = run.marker(edge)
    if entered is not None:
        until = run.started + entered + delay
        while (
            time.monotonic() < until
            and not any(run.marker(e) is not None for e in later)
            and run.proc.poll() is None
        ):
            run.pump(min(until, time.monotonic() + 0.005))
        os.kill(run.proc.pid, signal.SIGKILL)
    run.proc.wait(timeout=RUN_TIMEOUT)
    run.pump(time.monotonic() + 1)
    if run.proc.returncode != -signal.SIGKILL:
        raise AssertionError(f"{day}: the run ended before the kill in {phase}: {run.stderr()}")
    last = next(e for e in reversed(order) if e == "sync" or run.marker(e) is not None)
    return Kill(day, phase, timing.phase_after(last), f"{delay:.2f} s after its start")


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that matters, by natural keys (no row ids, no file-system times)."""
    engine = create_engine(url)
    M, P, A, PE, F, N = h.M, h.P, h.A, h.PE, h.F, h.N
    E, AT, D = h.EV, h.AT, h.D
    try:
        with engine.connect() as c:
            msgs = c.execute(select(M)).mappings().all()
            key = {m["id"]: (m["source"], m["folder"], m["uid"]) for m in msgs}
            roots: dict[int | None, str] = {}
            for m in msgs:
                tid = m["thread_id"]
                roots[tid] = min(roots.get(tid, m["message_id"]), m["message_id"])
            skip = {"id", "thread_id", "uidvalidity"}
            message_rows = sorted(
                (
                    *key[m["id"]],
                    roots[m["thread_id"]] if m["thread_id"] else None,
                    *(str(v) for k, v in m.items() if k not in skip),
                )
                for m in msgs
            )
            participants = sorted(
                (*key[r.message_pk], r.email, r.role, r.name) for r in c.execute(select(P))
            )
            people = {r.id: (r.name, r.important, r.muted) for r in c.execute(select(PE))}
            addresses = sorted(
                (r.email, r.name, people.get(r.person_id)) for r in c.execute(select(A))
            )
            findings = sorted(
                (*key[r.message_pk], r.kind, r.owner, r.text, r.action, str(r.due), r.due_text,
                 round(r.score, 6))
                for r in c.execute(select(F))
            )  # fmt: skip
            nudges = sorted(tuple(str(v) for v in r) for r in c.execute(select(N)))
            events = c.execute(select(E)).mappings().all()
            ekey = {e["id"]: (e["source"], e["calendar"], e["uid"]) for e in events}
            event_rows = sorted(tuple(str(v) for k, v in e.items() if k != "id") for e in events)
            attendees = sorted(
                (*ekey[r.event_pk], r.email, r.name, r.status, r.organizer)
                for r in c.execute(select(AT))
            )
            # The Message-ID is random per digest and "sending" is what a kill after the
            # final "." leaves: the day, its nudges and that it went are what must match.
            digests = sorted(
                (r.day, r.recipient, r.nudge_keys, r.status in ("sending", "sent"))
                for r in c.execute(select(D))
            )
    finally:
        engine.dispose()
    return {
        "message": message_rows,
        "participant": participants,
        "address": addresses,
        "finding": findings,
        "nudge": nudges,
        "event": event_rows,
        "attendee": attendees,
        "digest": digests,
    }


def digest_ids(url: str) -> dict[str, tuple[str, str]]:
    """{day: (Message-ID, status)} from the digest ledger."""
    engine = create_engine(url)
    D = h.D
    try:
        with engine.connect() as c:
            return {r.day: (r.message_id, r.status) for r in c.execute(select(D))}
    finally:
        engine.dispose()


def lowest_open(url: str) -> int | None:
    engine = create_engine(url)
    N = h.N
    try:
        with engine.connect() as c:
            return c.execute(
                select(N.c.number).where(N.c.state == "open").order_by(N.c.number)
            ).scalar()
    finally:
        engine.dispose()


@dataclass
class SoakResult:
    kills: list[Kill]
    days: int
    reference_digests: int
    seconds: float
    differences: dict[str, tuple[int, int]]  # table -> (rows only in reference, only killed)

    def report(self) -> str:
        by_phase: dict[str, int] = {}
        for k in self.kills:
            by_phase[k.landed] = by_phase.get(k.landed, 0) + 1
        lines = [k.line() for k in self.kills]
        lines.append(
            f"{len(self.kills)} kills over {self.days} days in {self.seconds:.0f} s; landed: "
            + ", ".join(f"{p} {by_phase.get(p, 0)}" for p in [*PHASES, "end"])
        )
        lines.append(f"{self.reference_digests} digests, each sent once in both stores")
        if self.differences:
            for table, (a, b) in sorted(self.differences.items()):
                lines.append(f"DIFFERENT {table}: {a} rows only uninterrupted, {b} only killed")
        else:
            lines.append("The killed store equals the uninterrupted store.")
        return "\n".join(lines)


@contextmanager
def lanes(root: Path, urls: tuple[str, str]) -> Iterator[tuple[Lane, Lane]]:
    """The reference lane and the killed lane, each with its own SMTP server."""
    with ExitStack() as stack:
        out = []
        for name, url in zip(("reference", "killed"), urls, strict=True):
            d = root / name
            d.mkdir(parents=True)
            rec, settings, _ = stack.enter_context(smtp_server("none", d, KillingRecorder()))
            assert isinstance(rec, KillingRecorder)
            lane = Lane(name, d, url, rec, settings.port)
            lane.write_config()
            out.append(lane)
        yield out[0], out[1]


def soak(
    root: Path, urls: tuple[str, str], phases: list[str], *, seed: int, log: Any = None
) -> SoakResult:
    """One day per entry of ``phases``: both lanes run, the killed lane is killed in that
    phase and rerun, then the same decision is made in both. Compares the stores."""
    rng = random.Random(seed)
    started = time.monotonic()
    mails = demo_mail()
    days = soak_days(len(phases))
    kills: list[Kill] = []
    with lanes(root, urls) as (ref, victim):
        for i, (day, phase) in enumerate(zip(days, phases, strict=True)):
            now = run_time(day)
            for lane in (ref, victim):
                lane.deliver_until(mails, now)
            reference = finish(ref.start("run", "--now", now.isoformat()))
            check_clean(reference, f"{day} reference run")
            timing = Timing.of(reference)
            chosen = phase
            if chosen == "sending" and not _sent_on(ref.url, day):
                chosen = "planning"  # nothing needed the user that day: no digest
            while chosen != "sync" and timing.window(chosen) is None:
                chosen = PHASES[PHASES.index(chosen) - 1]  # e.g. no new mail to analyse
            kill = kill_during(victim, chosen, timing, rng, day)
            kills.append(kill)
            rerun = finish(victim.start("run", "--now", now.isoformat()))
            check_clean(rerun, f"{day} rerun after a kill during {kill.landed}")
            decide(ref, victim, i, now)
            if log is not None:
                log(kill.line())
        a, b = snapshot(ref.url), snapshot(victim.url)
        differences = {}
        for table in a:
            only_a = set(a[table]) - set(b[table])
            only_b = set(b[table]) - set(a[table])
            if only_a or only_b or len(a[table]) != len(b[table]):
                differences[table] = (len(only_a), len(only_b))
        check_digests(ref, victim)
        return SoakResult(
            kills=kills,
            days=len(days),
            reference_digests=len(ref.smtp.messages),
            seconds=time.monotonic() - started,
            differences=differences,
        )


def _sent_on(url: str, day: date) -> bool:
    return day.isoformat() in digest_ids(url)


def check_digests(ref: Lane, victim: Lane) -> None:
    """Every day the reference sent a digest, the killed lane's ledger has one, which
    arrived (one Message-ID: a copy re-sent after a kill keeps it), never two digests."""
    ref_ids, victim_ids = digest_ids(ref.url), digest_ids(victim.url)
    assert sorted(ref_ids) == sorted(victim_ids), (ref_ids, victim_ids)
    assert len(ref.smtp.messages) == len(ref_ids)
    received = victim.smtp.message_ids()
    for day, (mid, status) in victim_ids.items():
        assert status in ("sending", "sent"), (day, status)
        assert mid in received, f"the digest of {day} never arrived"
    assert set(received) == {mid for mid, _ in victim_ids.values()}, "a digest sent twice"


def decide(ref: Lane, victim: Lane, i: int, now: datetime) -> None:
    """The same decision in both lanes, on the reference's lowest open nudge (through the
    library: a process start each would double the soak's time)."""
    from followup.store.nudges import set_state
    from followup.store.store import Store

    number = lowest_open(ref.url)
    if number is None:
        return
    state = DECISIONS[i % len(DECISIONS)]
    for lane in (ref, victim):
        store = Store.open(lane.url)
        try:
            until = now + timedelta(days=3) if state == "snoozed" else None
            set_state(store, str(number), state, until=until)
        finally:
            store.close()
