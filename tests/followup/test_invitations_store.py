"""Invitations written as events of the mail source, in the mail batch's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from invitation_mail import ical, invitation_mail
from sqlalchemy import select

from connectors.mime import parse_message
from connectors.records import MailBatch, MailRecord
from followup.store import tables as t
from followup.store.store import Store

SENT = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
START = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)
ME = "penny@example.com"
EV = t.Event.__table__  # type: ignore[attr-defined]
AT = t.Attendee.__table__  # type: ignore[attr-defined]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")


def write(store: Store, *calendars: tuple[str, str], folder: str = "INBOX") -> None:
    records = []
    for n, (method, cal) in enumerate(calendars):
        raw = invitation_mail("Ana <ana@acme.test>", ME, SENT + timedelta(minutes=n), "S", cal,
                              method=method)  # fmt: skip
        r = parse_message(raw, source="work", folder=folder, role="inbox", uid=f"{folder}{n}")
        assert isinstance(r, MailRecord)
        records.append(r)
    store.write_batch("work", MailBatch(folder, "inbox", tuple(records), checkpoint="x"), [ME])


def events(store: Store) -> dict[str, tuple[str, dict[str, str]]]:
    with store.begin() as conn:
        evs = conn.execute(select(EV.c.id, EV.c.uid, EV.c.status, EV.c.source)).all()
        out = {}
        for pk, uid, status, source in evs:
            assert source == "work"
            att = dict(
                conn.execute(select(AT.c.email, AT.c.status).where(AT.c.event_pk == pk)).all()
            )
            out[uid] = (status, att)
        return out


ATTENDEES = ((ME, "NEEDS-ACTION"), ("raj@beta.test", "NEEDS-ACTION"))


def test_a_reply_sets_the_answer_and_an_updated_request_keeps_it(store: Store) -> None:
    write(store, ("REQUEST", ical("REQUEST", "m", START, "Sync", attendees=ATTENDEES)))
    write(store, ("REPLY", ical("REPLY", "m", START, "Sync",
                                 attendees=(("raj@beta.test", "DECLINED"),))))  # fmt: skip
    uid = "m@2026-03-18T15:00:00+00:00"
    assert events(store)[uid][1]["raj@beta.test"] == "declined"
    later = START + timedelta(hours=1)
    write(store, ("REQUEST", ical("REQUEST", "m", later, "Sync (moved)", attendees=ATTENDEES,
                                   sequence=1)))  # fmt: skip
    got = events(store)
    assert list(got) == ["m@2026-03-18T16:00:00+00:00"]  # the old time is gone
    status, att = got["m@2026-03-18T16:00:00+00:00"]
    assert status == "confirmed"
    assert att == {"ana@acme.test": "accepted", ME: "needs-action", "raj@beta.test": "declined"}


def test_a_reply_before_its_request_stands_in_for_the_meeting(store: Store) -> None:
    write(store, ("REPLY", ical("REPLY", "m", START, "Sync", attendees=((ME, "ACCEPTED"),))),
          folder="Sent")  # fmt: skip
    write(store, ("REQUEST", ical("REQUEST", "m", START, "Sync", attendees=ATTENDEES)))
    ((_status, att),) = events(store).values()
    assert att[ME] == "accepted" and att["raj@beta.test"] == "needs-action"


def test_cancel_one_occurrence_or_the_series(store: Store) -> None:
    weekly = ical("REQUEST", "w", START, "1:1", extra=("RRULE:FREQ=WEEKLY;COUNT=3",))
    one = ical("CANCEL", "w", START + timedelta(weeks=1), "1:1",
               extra=("RECURRENCE-ID:20260325T150000Z",), sequence=1)  # fmt: skip
    write(store, ("REQUEST", weekly), ("CANCEL", one))
    assert [s for s, _ in events(store).values()] == ["confirmed", "cancelled", "confirmed"]
    write(store, ("CANCEL", ical("CANCEL", "w", START, "1:1", sequence=2)))
    assert [s for s, _ in events(store).values()] == ["cancelled"] * 3


def test_resyncing_the_same_mail_changes_nothing(store: Store) -> None:
    cal = ical("REQUEST", "m", START, "Sync", attendees=ATTENDEES)
    write(store, ("REQUEST", cal))
    first = events(store)
    write(store, ("REQUEST", cal))
    assert events(store) == first


def test_a_forgotten_person_is_not_stored_again_from_an_invitation(store: Store) -> None:
    from followup.store.privacy import forget_address

    forget_address(store, "raj@beta.test", frozenset({ME}), START + timedelta(days=1))
    write(store, ("REQUEST", ical("REQUEST", "m", START, "Sync", attendees=ATTENDEES)))
    ((_status, att),) = events(store).values()
    assert "raj@beta.test" not in att
    assert att == {"ana@acme.test": "accepted", ME: "needs-action"}
