"""The application driven by in-memory sources: sync, run and daemon take source objects.

The sources are ``connectors.memory``'s (real checkpoint behaviour, real errors); the
store is a real SQLite file; the nudges come from the real rules. Nothing is mocked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mailgen import ME, PEOPLE, make_message
from pgserver import postgres_url  # noqa: F401  (fixture)
from sqlalchemy import create_engine, text

from connectors.base import MailSource
from connectors.errors import ConnectorError
from connectors.memory import MemoryCalendarSource, MemoryMailSource
from connectors.records import Address, Attendee, EventBatch, EventRecord, MailRecord
from followup.config import Config, MeSettings, NlpSettings, SourceSettings
from followup.daemon import Daemon, run_cycle
from followup.runner import run_once
from followup.store.calendar_sync import calendar_checkpoints, write_event_batch
from followup.store.store import Store
from followup.sync import SourceOpeners, sync_all

DANA = PEOPLE[2]
OUTSIDE = Address("Omar Outside", "omar@acme.test")
LINK = "https://mail.example.test/thread/42"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'followup.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    name = f"m_{abs(hash(request.node.nodeid)) % 10**9}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    yield base.rsplit("/", 1)[0] + "/" + name


def config(tmp_path: Path, url: str = "") -> Config:
    return Config(
        me=MeSettings(
            name="Penny Example",
            addresses=(ME[1],),
            domains=("example.com",),
            timezone="America/Chicago",
        ),
        storage_url=url or f"sqlite:///{tmp_path / 'followup.db'}",
        # The kinds are never used: the openers below give the sources.
        mail=(SourceSettings("work", "imap"),),
        calendars=(SourceSettings("work", "ics"),),
        nlp=NlpSettings(pipeline="rules"),
        home=tmp_path / "home",
    )


class Sources:
    """The in-memory mailbox and calendar, and openers that connect to them anew for
    every sync, as the registry's sources do (and counting how often they were opened)."""

    def __init__(self, now: datetime) -> None:
        self.mail = MemoryMailSource("work", {"INBOX": [], "Sent": []})
        self.calendar = MemoryCalendarSource("work")
        self.opened: list[str] = []
        ask = make_message(
            1,
            sender=DANA,
            subject="Q3 numbers",
            date=now - timedelta(days=5),
            body="Hi Penny,\n\nCan you send me the Q3 numbers?\n\nDana\n",
        )
        item = self.mail.add_raw("INBOX", ask)
        assert isinstance(item, MailRecord)
        # The link to the thread is the source's to give (as IMAP gives Gmail's).
        self.mail.remove("INBOX", item.uid)
        self.mail.add("INBOX", dataclasses.replace(item, uid="1b", web_link=LINK))
        self.calendar.add(meeting("acme", "Acme intro call", now - timedelta(days=1)))

    def openers(self) -> SourceOpeners:
        def mail(settings: SourceSettings) -> MemoryMailSource:
            self.opened.append(f"mail:{settings.name}")
            return self.mail.reopen()

        def calendar(settings: SourceSettings) -> MemoryCalendarSource:
            self.opened.append(f"calendar:{settings.name}")
            return self.calendar.reopen()

        return SourceOpeners(mail, calendar)


def meeting(uid: str, summary: str, start: datetime, calendar: str = "primary") -> EventRecord:
    return EventRecord(
        source="",
        calendar=calendar,
        uid=uid,
        summary=summary,
        start=start,
        end=start + timedelta(hours=1),
        organizer=Address("Penny Example", ME[1]),
        attendees=(
            Attendee(Address("Penny Example", ME[1]), "accepted", True),
            Attendee(OUTSIDE, "accepted"),
        ),
    )


def stored_events(store: Store) -> list[str]:
    with store.begin() as conn:
        return sorted(conn.execute(text("SELECT summary FROM event")).scalars())


def test_run_once_syncs_the_given_sources_and_plans_from_them(
    tmp_path: Path, now: datetime
) -> None:
    cfg, src = config(tmp_path), Sources(now)
    report = run_once(cfg, now=now, deliver=False, openers=src.openers())
    assert [(s.name, s.error) for s in report.sources] == [("work", None), ("work", None)]
    assert report.sources[0].new == 1
    assert report.sources[1].events == 1
    by_kind = {n.kind: n for n in report.nudges}
    assert {"reply", "after_meeting"} <= set(by_kind)
    # The web link is the one the source gave, not one the rules made up.
    assert by_kind["reply"].evidence.thread_url == LINK
    assert src.mail.closed is False  # the opened copies were closed, not the mailbox
    assert src.opened == ["mail:work", "calendar:work"]


def test_a_second_run_changes_nothing_and_a_removed_meeting_goes(
    tmp_path: Path, now: datetime, db_url: str
) -> None:
    cfg, src = config(tmp_path, db_url), Sources(now)
    run_once(cfg, now=now, deliver=False, openers=src.openers())
    store = Store.open(cfg.database_url())
    try:
        checkpoints = calendar_checkpoints(store, "work")
        again = run_once(cfg, now=now, store=store, deliver=False, openers=src.openers())
        assert again.sources[0].new == 0
        assert again.sources[1].events == 1  # still held, not rewritten
        assert calendar_checkpoints(store, "work") == checkpoints
        assert "after_meeting" in {n.kind for n in again.nudges}

        src.calendar.remove("primary", "acme")
        gone = run_once(cfg, now=now, store=store, deliver=False, openers=src.openers())
        assert stored_events(store) == []
        assert "after_meeting" not in {n.kind for n in gone.nudges}
        assert gone.plan is not None and gone.plan.closed >= 1
    finally:
        store.close()


def test_calendar_events_and_checkpoint_commit_together_and_a_failure_resumes(
    tmp_path: Path, now: datetime, db_url: str
) -> None:
    cfg, src = config(tmp_path, db_url), Sources(now)
    src.calendar.add(meeting("board", "Board prep", now + timedelta(days=1), "board"))
    src.calendar.fail_after(1)  # the first calendar is committed, then the line drops
    store = Store.open(cfg.database_url())
    try:
        first = sync_all(store, cfg, now, openers=src.openers())
        cal = first[1]
        assert cal.error == "work: connection lost" and cal.retryable
        assert stored_events(store) == ["Acme intro call"]
        assert set(calendar_checkpoints(store, "work")) == {"primary"}

        second = sync_all(store, cfg, now, openers=src.openers())
        assert second[1].error is None
        assert stored_events(store) == ["Acme intro call", "Board prep"]
        assert set(calendar_checkpoints(store, "work")) == {"primary", "board"}

        # A lost token (the server forgot it): listed in full again, nothing doubled.
        src.calendar.expire_checkpoints()
        src.calendar.remove_calendar("board")
        sync_all(store, cfg, now, openers=src.openers())
        assert stored_events(store) == ["Acme intro call"]
        assert set(calendar_checkpoints(store, "work")) == {"primary"}
    finally:
        store.close()


def daemon_run(cfg: Config, openers: SourceOpeners, now: datetime, cycles: int) -> None:
    clock: list[datetime] = [now]

    def tick() -> datetime:
        clock[0] += timedelta(minutes=1)
        return clock[0]

    def cycle(
        at: datetime, skip: frozenset[str], progress: Callable[[str, int, int], None]
    ) -> object:
        return run_cycle(cfg, at, skip, progress, deliver=False, openers=openers)

    daemon = Daemon(cycle=cycle, every=timedelta(milliseconds=1), clock=tick, max_cycles=cycles)
    assert daemon.run() == 0


def failing_mail(openers: SourceOpeners) -> SourceOpeners:
    def mail(settings: SourceSettings) -> MailSource:
        source = openers.mail(settings)
        assert isinstance(source, MemoryMailSource)
        source.fail_after(0, ConnectorError("work", "connection refused", retryable=True))
        return source

    return SourceOpeners(mail, openers.calendar)


def test_the_daemon_backs_off_a_failing_memory_source_while_the_calendar_goes_on(
    tmp_path: Path, now: datetime
) -> None:
    cfg, src = config(tmp_path), Sources(now)
    cfg = dataclasses.replace(cfg, calendars=(SourceSettings("team", "ics"),))
    daemon_run(cfg, failing_mail(src.openers()), now, 4)
    # Cycles 1 and 2 fail the mailbox; cycle 3 leaves it out (backoff); 4 tries again.
    assert src.opened == [
        "mail:work",
        "calendar:team",
        "mail:work",
        "calendar:team",
        "calendar:team",
        "mail:work",
        "calendar:team",
    ]
    store = Store.open(cfg.database_url())
    try:
        assert stored_events(store) == ["Acme intro call"]
    finally:
        store.close()


def test_a_mailbox_and_calendar_of_one_name_back_off_together(
    tmp_path: Path, now: datetime
) -> None:
    cfg, src = config(tmp_path), Sources(now)  # both named "work"
    daemon_run(cfg, failing_mail(src.openers()), now, 4)
    assert src.opened == ["mail:work", "calendar:work"] * 2 + ["mail:work", "calendar:work"]


def test_the_daemon_syncs_new_mail_from_a_memory_source_each_cycle(
    tmp_path: Path, now: datetime
) -> None:
    cfg, src = config(tmp_path), Sources(now)
    openers = src.openers()

    def mail(settings: SourceSettings) -> MailSource:
        # Between cycles a message arrives, as it would on a server.
        n = len(src.opened)
        src.mail.add_raw("INBOX", make_message(100 + n, sender=DANA, date=now))
        return openers.mail(settings)

    daemon_run(cfg, SourceOpeners(mail, openers.calendar), now, 3)
    store = Store.open(cfg.database_url())
    try:
        assert store.count_messages("work") == 4  # the first, and one per cycle
    finally:
        store.close()


def test_sync_mail_leaves_a_given_source_open(tmp_path: Path, now: datetime) -> None:
    from followup.sync import sync_mail

    cfg, src = config(tmp_path), Sources(now)
    store = Store.open(cfg.database_url())
    try:
        report = sync_mail(store, cfg.mail[0], frozenset({ME[1]}), source=src.mail)
        assert report.new == 1 and not src.mail.closed
        assert src.opened == []  # the given source, not one from the opener
        src.mail.add_raw("INBOX", make_message(7, sender=DANA))
        again = sync_mail(store, cfg.mail[0], frozenset({ME[1]}), source=src.mail)
        assert again.new == 1
    finally:
        store.close()


def test_calendar_window_is_whole_days(now: datetime) -> None:
    from followup.sync import CALENDAR_FUTURE, CALENDAR_PAST, calendar_window

    start, end = calendar_window(now)
    assert calendar_window(now + timedelta(hours=5)) == (start, end)
    assert start.time() == end.time() == datetime.min.time() and start.tzinfo is UTC
    assert start <= now - CALENDAR_PAST and end >= now + CALENDAR_FUTURE


def test_events_stored_before_calendar_checkpoints_leave_once_their_calendar_is_gone(
    tmp_path: Path, now: datetime
) -> None:
    """A store from before 0006 holds events and no calendar checkpoints; a calendar it
    has events of may be gone from the source by then (an .ics file removed)."""
    cfg, src = config(tmp_path), Sources(now)
    store = Store.open(cfg.database_url())
    try:
        old = meeting("old", "Removed calendar's meeting", now - timedelta(days=2), "gone")
        write_event_batch(
            store, "work", EventBatch("gone", (dataclasses.replace(old, source="work"),))
        )
        assert calendar_checkpoints(store, "work") == {}  # as the upgrade leaves it
        assert stored_events(store) == ["Removed calendar's meeting"]
        report = sync_all(store, cfg, now, openers=src.openers())
        assert report[1].events == 1
        assert stored_events(store) == ["Acme intro call"]
    finally:
        store.close()
