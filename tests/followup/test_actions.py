"""One set of actions for both front doors: the CLI and a reply applied by ``followup run``."""

from __future__ import annotations

import json
import mailbox
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from followup.digest import ledger
from followup.store.store import Store
from tests.followup.test_cli_pipeline import ME, NOW, invoke, mail
from tests.followup.test_cli_pipeline import config as pipeline_config  # noqa: F401  (a fixture)

DIGEST_ID = "digest.20260317.0123456789abcdef0123@example.com"
# NOW is Tue 17 Mar 2026; Monday 23 Mar starts at 05:00 UTC in Chicago (CDT).
MONDAY = datetime(2026, 3, 23, 5, 0, tzinfo=UTC)


@pytest.fixture
def config(pipeline_config: Path) -> Path:  # noqa: F811
    pipeline_config.write_text(pipeline_config.read_text() + f'\n[digest]\nto = "{ME}"\n')
    inbox = mailbox.Maildir(pipeline_config.parent / "Mail")
    body = "Hi Penny,\n\nCould you review the contract by Friday?\n\nThanks,\nLin\n"
    inbox.add(mail("Lin Wu <lin@gamma.example>", ME, NOW - timedelta(days=5), "Contract", body))
    assert invoke(pipeline_config, "sync").exit_code == 0
    return pipeline_config


def digest(config: Path, *extra: str) -> list[dict]:  # type: ignore[type-arg]
    r = invoke(config, "digest", "--json", "--all", "--now", NOW.isoformat(), *extra)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)  # type: ignore[no-any-return]


def snoozed(config: Path) -> dict[int, datetime]:
    return {
        n["number"]: datetime.fromisoformat(n["snoozed_until"]).astimezone(UTC)
        for n in digest(config)
        if n["state"] == "snoozed"
    }


@pytest.mark.parametrize(
    ("args", "until"),
    [
        (["{a}", "3d"], NOW + timedelta(days=3)),
        (["3d", "{a}"], NOW + timedelta(days=3)),
        (["{a}", "{b}", "2 weeks"], NOW + timedelta(weeks=2)),
        (["2 weeks", "{a}", "{b}"], NOW + timedelta(weeks=2)),
        (["{a}", "until", "Monday"], MONDAY),
        (["{a}", "{b}", "2026-03-23"], MONDAY),
        (["tomorrow", "{a}"], NOW + timedelta(days=1)),
    ],
)
def test_cli_snooze_either_order_and_dates(config: Path, args: list[str], until: datetime) -> None:
    a, b = (n["number"] for n in digest(config)[:2])
    argv = [x.format(a=a, b=b) for x in args]
    r = invoke(config, "snooze", *argv, "--now", NOW.isoformat())
    assert r.exit_code == 0, r.output
    assert r.output.startswith("Snoozed until ")
    wanted = {n: until for n in (a, b) if str(n) in argv}
    assert snoozed(config) == wanted


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["1", "2020-01-01"], "Error: '2020-01-01' is in the past"),
        (["1", "2026-02-30"], "Error: '2026-02-30' is not a date: use e.g. 2026-04-01"),
        (
            ["3d"],
            "Error: Which nudges? Give their numbers, e.g. 'followup snooze 2 3d': "
            "'followup digest' lists them",
        ),
    ],
)
def test_cli_snooze_bad_when_is_one_line_exit_2(config: Path, args: list[str], line: str) -> None:
    r = invoke(config, "snooze", *args, "--now", NOW.isoformat())
    assert (r.exit_code, r.stderr.splitlines()) == (2, [line])
    assert snoozed(config) == {}


def send_reply(config: Path, text: str, uid: str = "1") -> None:
    """A reply to the digest in the Sent folder, as the user's mail client leaves it."""
    store = Store.open(_db_url(config))
    try:
        ledger.record_digest(store, NOW.date(), ME, f"<{DIGEST_ID}>", [], NOW)
        ledger.mark_digest(store, DIGEST_ID, "sent", NOW)
    except ledger.AlreadySentError:
        pass
    finally:
        store.close()
    sent = mailbox.Maildir(config.parent / "Mail").get_folder("Sent")
    sent.add(
        mail(
            ME,
            ME,
            NOW + timedelta(hours=1),
            "Re: followup",
            text,
            message_id=f"<reply-{uid}@example.com>",
            In_Reply_To=f"<{DIGEST_ID}>",
            References=f"<{DIGEST_ID}>",
        )
    )


def _db_url(config: Path) -> str:
    return f"sqlite:///{config.parent / 'state.db'}"


def run(config: Path) -> None:
    r = invoke(config, "run", "--no-send", "--now", (NOW + timedelta(hours=2)).isoformat())
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("line", ["snooze {a} until Monday", "snooze until monday {a}"])
def test_reply_snooze_until_monday(config: Path, line: str) -> None:
    a = digest(config)[0]["number"]
    send_reply(config, line.format(a=a) + "\n\nOn Tue, followup wrote:\n> done 1\n")
    run(config)
    assert snoozed(config) == {a: MONDAY}


def test_reply_snooze_3d_either_order(config: Path) -> None:
    a, b = (n["number"] for n in digest(config)[:2])
    send_reply(config, f"snooze {a} 3d\nsnooze 3d {b}\n")
    run(config)
    # From the reply's date, not from when the run read it.
    sent_at = NOW + timedelta(hours=1)
    assert snoozed(config) == {a: sent_at + timedelta(days=3), b: sent_at + timedelta(days=3)}


def test_reply_important_marks_the_person(config: Path) -> None:
    send_reply(config, "important dana@example.com\nmute raj@beta.example\n")
    run(config)
    store = Store.open(_db_url(config))
    try:
        flags = store.person_flags()
    finally:
        store.close()
    assert flags["dana@example.com"] == (False, True)
    assert flags["raj@beta.example"] == (True, False)


def shown(config: Path, now: datetime) -> dict[str, tuple[int, str, str | None]]:
    """{nudge key: (number, state, snoozed_until)} of every nudge listed, not planning."""
    r = invoke(config, "digest", "--json", "--all", "--no-plan", "--now", now.isoformat())
    assert r.exit_code == 0, r.output
    return {n["key"]: (n["number"], n["state"], n["snoozed_until"]) for n in json.loads(r.output)}


def test_a_snooze_holds_when_its_nudge_drops_out_and_comes_back(config: Path) -> None:
    """Answered, the nudge goes; the answer deleted, it is back: still snoozed to Monday,
    with its number; open once Monday has come."""
    [first] = [n for n in digest(config) if n["person"]["email"] == "lin@gamma.example"]
    key, number = first["key"], first["number"]
    r = invoke(config, "snooze", str(number), "until", "Monday", "--now", NOW.isoformat())
    assert r.exit_code == 0, r.output
    monday = shown(config, NOW)[key]
    assert monday[:2] == (number, "snoozed") and datetime.fromisoformat(monday[2]) == MONDAY
    sent = mailbox.Maildir(config.parent / "Mail").add_folder("Sent")
    answer = sent.add(
        mail(
            f"Penny <{ME}>",
            "lin@gamma.example",
            NOW + timedelta(hours=1),
            "Re: Contract",
            "Reviewed, all good.\n",
            In_Reply_To=f"<{first['evidence']['message_id']}>",
        )
    )
    r = invoke(config, "run", "--no-send", "--now", (NOW + timedelta(hours=2)).isoformat())
    assert r.exit_code == 0, r.output
    assert key not in shown(config, NOW + timedelta(hours=2))
    sent.remove(answer)
    r = invoke(config, "run", "--no-send", "--now", (NOW + timedelta(hours=3)).isoformat())
    assert r.exit_code == 0, r.output
    assert shown(config, NOW + timedelta(hours=3))[key] == monday
    after = MONDAY + timedelta(hours=1)
    r = invoke(config, "run", "--no-send", "--now", after.isoformat())
    assert r.exit_code == 0, r.output
    assert shown(config, after)[key] == (number, "open", None)
