"""Meetings are relationship history: calendars are mirrored as far back as mail is
read for it (not two months), so old meetings count in rhythm and strength; the
meeting nudges still look only at the near window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from followup.cli import cli
from followup.store.load import HISTORY
from followup.sync import CALENDAR_PAST

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
ME = "penny@example.com"


def vevent(
    uid: str, start: datetime, summary: str, who: str = "lee@corp.test", cn: str = "Lee Chen"
) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20250101T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n"
        f"SUMMARY:{summary}\r\nORGANIZER:mailto:{ME}\r\n"
        f"ATTENDEE;CN={cn};PARTSTAT=ACCEPTED:mailto:{who}\r\nEND:VEVENT\r\n"
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    # A monthly 1:1 from eleven months ago until three months ago, then nothing.
    first = NOW - timedelta(days=330)
    series = vevent("lee-1on1", first, "Lee 1:1").replace(
        "END:VEVENT", f"RRULE:FREQ=MONTHLY;UNTIL={NOW - timedelta(days=85):%Y%m%dT%H%M%SZ}"
        "\r\nEND:VEVENT"
    )  # fmt: skip
    yesterday = vevent(
        "acme", NOW - timedelta(days=1), "Acme intro call", "ana@acme.test", "Ana Ruiz"
    )
    (tmp_path / "cal.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + series + yesterday + "END:VCALENDAR\r\n"
    )
    (tmp_path / "Mail" / "cur").mkdir(parents=True)
    for sub in ("new", "tmp"):
        (tmp_path / "Mail" / sub).mkdir()
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[me]
name = "Penny Example"
addresses = ["{ME}"]
domains = ["example.com"]

[storage]
url = "sqlite:///{tmp_path / "state.db"}"

[[mail]]
name = "local"
kind = "maildir"
path = "{tmp_path / "Mail"}"

[[calendar]]
name = "cal"
kind = "ics"
path = "{tmp_path / "cal.ics"}"

[rules]
important = ["lee@corp.test"]

[nlp]
pipeline = "rules"
"""
    )
    return path


def test_the_calendar_window_is_the_relationship_history() -> None:
    assert CALENDAR_PAST == HISTORY


def test_old_meetings_give_the_rhythm_and_near_ones_the_meeting_nudges(config: Path) -> None:
    runner = CliRunner()
    args = ["--config", str(config)]
    result = runner.invoke(cli, [*args, "run", "--no-send", "--now", NOW.isoformat()],
                           catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    out = runner.invoke(cli, [*args, "digest", "--json", "--all", "--now", NOW.isoformat()])
    data = json.loads(out.output)
    items = data["items"] if isinstance(data, dict) else data
    kinds = sorted((n["kind"], n["title"]) for n in items)
    assert kinds == [
        ("after_meeting", "Send a follow-up after 'Acme intro call'"),
        ("reconnect", "Reconnect with Lee Chen"),
    ]
    (reconnect,) = [n for n in items if n["kind"] == "reconnect"]
    # Monthly meetings, the last one about three months ago: the rhythm is the meetings'.
    assert reconnect["reason"] == "You usually talk every ~4 weeks; last contact 12 weeks ago"


def _attendees(*who: str) -> str:
    return "".join(f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{w}\r\n" for w in who)


def test_all_day_and_large_events_are_no_signal_and_a_one_to_one_weighs_more(
    tmp_path: Path,
) -> None:
    crowd = [f"p{i}@corp.test" for i in range(20)]
    events = []
    for i in range(3):  # three 1:1s with Sam; three meetings of four with Kim
        day = NOW - timedelta(days=20 + 7 * i)
        events.append(vevent(f"sam{i}", day, "Sam 1:1", "sam@corp.test", "Sam Ode"))
        events.append(
            vevent(f"kim{i}", day, "Team", "kim@corp.test", "Kim Roe").replace(
                "END:VEVENT", _attendees("a@corp.test", "b@corp.test") + "END:VEVENT"
            )
        )
    events.append(  # a town hall with Ray among 20
        vevent("hall", NOW - timedelta(days=9), "Town hall", "ray@corp.test", "Ray Poe").replace(
            "END:VEVENT", _attendees(*crowd) + "END:VEVENT"
        )
    )
    events.append(  # an all-day event with Lou
        "BEGIN:VEVENT\r\nUID:offsite\r\nDTSTAMP:20250101T000000Z\r\nDTSTART;VALUE=DATE:"
        f"{NOW - timedelta(days=5):%Y%m%d}\r\nSUMMARY:Offsite\r\nORGANIZER:mailto:{ME}\r\n"
        "ATTENDEE;CN=Lou Fay;PARTSTAT=ACCEPTED:mailto:lou@corp.test\r\nEND:VEVENT\r\n"
    )
    (tmp_path / "cal.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + "".join(events) + "END:VCALENDAR\r\n"
    )
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "Mail" / sub).mkdir(parents=True)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[me]\nname = "Penny Example"\naddresses = ["{ME}"]\n\n'
        f'[storage]\nurl = "sqlite:///{tmp_path / "state.db"}"\n\n'
        f'[[mail]]\nname = "local"\nkind = "maildir"\npath = "{tmp_path / "Mail"}"\n\n'
        f'[[calendar]]\nname = "cal"\nkind = "ics"\npath = "{tmp_path / "cal.ics"}"\n\n'
        '[nlp]\npipeline = "rules"\n'
    )
    runner = CliRunner()
    args = ["--config", str(path)]
    r = runner.invoke(cli, [*args, "run", "--no-send", "--now", NOW.isoformat()])
    assert r.exit_code == 0, r.output

    def person(email: str) -> dict[str, object]:
        r = runner.invoke(cli, [*args, "person", email, "--json", "--now", NOW.isoformat()])
        assert r.exit_code == 0, r.output
        return json.loads(r.output)  # type: ignore[no-any-return]

    sam, kim = person("sam@corp.test"), person("kim@corp.test")
    assert sam["meetings"] == kim["meetings"] == 3
    assert sam["strength"] > kim["strength"]  # the same meetings, but alone with Sam
    for email in ("ray@corp.test", "lou@corp.test"):  # no relationship at all
        r = runner.invoke(cli, [*args, "person", email, "--json", "--now", NOW.isoformat()])
        assert r.exit_code != 0 or json.loads(r.output)["meetings"] == 0
