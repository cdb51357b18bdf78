"""The bundled demo data: deterministic, readable, and consistent with its plan.

The last tests run a deliberately tiny model of the rules (sentences ending in "?",
"I'll ... by <day>", quotes cut at "On ... wrote:") over the raw maildir and calendar
and compare what it finds with ``plan.json``. That checks the *data*: every planted
situation is really there and nothing else in the background chatter looks like one.
It is not the app's implementation, which has its own tests against the same plan.
"""

from __future__ import annotations

import hashlib
import mailbox
import re
import statistics
import tomllib
from collections import defaultdict
from datetime import date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from followup.demo import DEMO_DIR, DEMO_NOW, demo_config_toml, load_plan
from tools.demo.generate import generate

CHICAGO = ZoneInfo("America/Chicago")
ME = {"penny@example.com", "p.example@gmail.com"}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_generator_is_deterministic_and_matches_committed_data(tmp_path: Path) -> None:
    generate(tmp_path / "a")
    generate(tmp_path / "b")
    first, second = tree_hashes(tmp_path / "a"), tree_hashes(tmp_path / "b")
    assert first == second
    committed = tree_hashes(DEMO_DIR)
    assert sorted(committed) == sorted(first), "rerun python -m tools.demo.generate"
    changed = [k for k in first if committed[k] != first[k]]
    assert not changed, f"committed demo data is stale: {changed[:5]}"


def test_demo_data_is_small() -> None:
    total = sum(p.stat().st_size for p in DEMO_DIR.rglob("*") if p.is_file())
    assert total < 2_000_000


def test_file_names_are_portable() -> None:
    # No ":2,S" suffixes: a colon cannot be in a Windows path or a portable wheel.
    bad = [p.name for p in DEMO_DIR.rglob("*") if re.search(r'[:<>"\\|?*]', p.name)]
    assert not bad


# --- reading the data ---------------------------------------------------------------------


class Msg:
    def __init__(self, folder: str, raw: bytes) -> None:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        self.folder = folder
        self.headers = msg
        self.msg_id = str(msg["Message-ID"]).strip()
        self.subject = str(msg["Subject"])
        self.date = parsedate_to_datetime(str(msg["Date"]))
        self.sender = getaddresses([str(msg["From"])])[0][1].lower()
        self.to = {a.lower() for _, a in getaddresses([str(msg.get("To", ""))])}
        self.cc = {a.lower() for _, a in getaddresses([str(msg.get("Cc", ""))])}
        refs = str(msg.get("References", "")).split() + str(msg.get("In-Reply-To", "")).split()
        self.refs = [r for r in refs if r]
        body = msg.get_body(preferencelist=("plain", "html"))
        assert body is not None, self.msg_id
        self.body = body.get_content()

    @property
    def people(self) -> set[str]:
        return {self.sender, *self.to, *self.cc}

    @property
    def automated(self) -> bool:
        h = self.headers
        return bool(
            h.get("List-Id")
            or h.get("List-Unsubscribe")
            or str(h.get("Auto-Submitted", "no")).lower() != "no"
            or str(h.get("Precedence", "")).lower() in ("bulk", "list", "junk")
            or h.get("X-Autoreply")
            or str(h.get("Return-Path", "")) == "<>"
            or re.match(r"(no-?reply|mailer-daemon)", self.sender)
        )

    def own_text(self) -> str:
        """The text the writer typed: cut at the quote or the signature."""
        out = []
        for line in self.body.splitlines():
            if line.startswith(("-----Original Message-----", "-- ", ">")) or re.match(
                r"On .* wrote:$", line
            ):
                break
            out.append(line)
        return "\n".join(out)

    def sentences(self) -> list[str]:
        text = re.sub(r"\s+", " ", self.own_text())
        return [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if s.strip()]

    def requests(self) -> list[str]:
        return [s for s in self.sentences() if s.endswith("?") or s.startswith("Please ")]

    def commitment_due(self) -> datetime | None:
        """End of the day named in "I'll/I will ... by <weekday>" or "... tomorrow"."""
        local = self.date.astimezone(CHICAGO)
        for s in self.sentences():
            if not re.match(r"I('ll| will) ", s):
                continue
            if s.endswith("tomorrow."):
                day = local.date() + timedelta(days=1)
            elif m := re.search(r"by (\w+)\.$", s):
                target = WEEKDAYS.index(m.group(1).lower())
                day = local.date() + timedelta(days=(target - local.weekday() - 1) % 7 + 1)
            else:
                continue
            return datetime(day.year, day.month, day.day, 23, 59, tzinfo=CHICAGO)
        return None


def base_subject(subject: str) -> str:
    return re.sub(r"^((re|fwd?|automatic reply):\s*)+", "", subject, flags=re.I)


@pytest.fixture(scope="module")
def messages() -> list[Msg]:
    root = mailbox.Maildir(DEMO_DIR / "mail", factory=None, create=False)
    boxes = {"INBOX": root} | {name: root.get_folder(name) for name in root.list_folders()}
    out = [Msg(name, box.get_bytes(key)) for name, box in boxes.items() for key in box.iterkeys()]
    return sorted(out, key=lambda m: m.date)


@pytest.fixture(scope="module")
def threads(messages: list[Msg]) -> dict[str, list[Msg]]:
    """Thread id per message: References/In-Reply-To, else "RE:" + subject + a shared person."""
    parent = {m.msg_id: m.msg_id for m in messages}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for m in messages:
        for ref in m.refs:
            if ref in parent:
                parent[find(m.msg_id)] = find(ref)
        if not m.refs and base_subject(m.subject) != m.subject:
            for earlier in reversed([e for e in messages if e.date < m.date]):
                if (
                    base_subject(earlier.subject) == base_subject(m.subject)
                    and earlier.people & m.people - ME
                ):
                    parent[find(m.msg_id)] = find(earlier.msg_id)
                    break
    out: dict[str, list[Msg]] = defaultdict(list)
    for m in messages:
        out[find(m.msg_id)].append(m)
    return out


@pytest.fixture(scope="module")
def plan() -> dict:
    return load_plan()


def test_stdlib_maildir_reads_every_folder(messages: list[Msg], plan: dict) -> None:
    counts = plan["counts"]
    assert len(messages) == counts["messages"]
    by_folder = defaultdict(int)
    for m in messages:
        by_folder[m.folder] += 1
    assert dict(by_folder) == counts["folders"]
    assert set(counts["folders"]) == {"INBOX", "Sent", "Archive"}
    assert len({m.msg_id for m in messages}) == len(messages)
    assert all(m.date.tzinfo is not None for m in messages)
    assert {m.sender for m in messages if m.folder == "Sent"} <= ME
    dates = [m.date for m in messages]
    assert min(dates) >= datetime(2025, 11, 1, tzinfo=CHICAGO)
    assert max(dates) < DEMO_NOW


def test_variety_the_issue_asks_for(messages: list[Msg], plan: dict) -> None:
    c = plan["counts"]
    assert 300 <= c["messages"] <= 500
    assert c["people"] >= 30
    assert c["newsletters"] >= 20 and c["auto_replies"] >= 1 and c["bounces"] >= 1
    assert (
        c["html_only"] >= 5 and c["multipart_alternative"] >= 5 and c["outlook_no_references"] >= 3
    )
    assert any("-----Original Message-----" in m.body for m in messages)
    assert any(re.search(r"^On .* wrote:$", m.body, re.M) for m in messages)
    assert any(m.headers.get_content_charset() == "iso-8859-1" for m in messages)
    assert any(m.folder == "Archive" and m.sender in ME for m in messages)


def test_plan_references_exist(messages: list[Msg], plan: dict) -> None:
    by_id = {m.msg_id: m for m in messages}
    events = calendar_events()
    for item in plan["expected"] + plan["not_expected"]:
        if "event_uid" in item:
            assert any(
                uid == item["event_uid"] and summary == item["subject"]
                for uid, summary, *_ in events
            ), item
            continue
        if item["subject"] is not None:
            assert any(
                base_subject(m.subject) == base_subject(item["subject"])
                and item["person"] in m.people
                for m in messages
            ), item
        else:
            assert any(item["person"] in m.people for m in messages), item
        if "message_id" in item:
            m = by_id[item["message_id"]]
            assert item["person"] in m.people
            assert item["sentence"] in m.sentences(), item
    for item in plan["expected"]:
        if "open_item" in item:
            assert item["open_item"]["message_id"] in by_id


def test_every_nudge_kind_is_planted(plan: dict) -> None:
    kinds = {i["kind"] for i in plan["expected"]}
    assert kinds == {
        "reply",
        "follow_up",
        "promise",
        "waiting_on",
        "reconnect",
        "after_meeting",
        "before_meeting",
    }
    assert plan["now"] == DEMO_NOW.isoformat()


def test_demo_config_loads(tmp_path: Path) -> None:
    cfg = tomllib.loads(demo_config_toml(tmp_path / "state"))
    assert cfg["me"]["addresses"] == ["penny@example.com", "p.example@gmail.com"]
    assert (
        cfg["storage"]["url"]
        == "sqlite:///" + (tmp_path / "state" / "followup.db").resolve().as_posix()
    )
    assert Path(cfg["mail"][0]["path"]).is_absolute() and Path(cfg["mail"][0]["path"]).is_dir()
    assert Path(cfg["calendar"][0]["path"]).is_file()


# --- the tiny reference model -------------------------------------------------------------


def business_days_later(dt: datetime, n: int) -> datetime:
    t = dt.astimezone(CHICAGO)
    while n:
        t += timedelta(days=1)
        if t.weekday() < 5:
            n -= 1
    return t


def outside(addr: str) -> bool:
    return addr not in ME and not addr.endswith("@example.com")


def model_mail_nudges(threads: dict[str, list[Msg]], muted: set[str]) -> set[tuple[str, str, str]]:
    now = DEMO_NOW
    found: set[tuple[str, str, str]] = set()
    for thread in threads.values():
        subject = base_subject(thread[0].subject)
        for i, m in enumerate(thread):
            later = thread[i + 1 :]
            if m.sender in muted or (m.automated and m.sender not in ME):
                continue
            if m.sender not in ME:
                if (
                    ME & m.to
                    and m.requests()
                    and not any(x.sender in ME for x in later)
                    and business_days_later(m.date, 2) <= now
                ):
                    found.add(("reply", m.sender, subject))
                due = m.commitment_due()
                if (
                    due
                    and due + timedelta(days=1) <= now
                    and not any(x.sender == m.sender for x in later)
                ):
                    found.add(("waiting_on", m.sender, subject))
                continue
            if not any(x.sender in ME for x in later):
                due = m.commitment_due()
                if due and due <= now + timedelta(days=2):
                    found.update(("promise", p, subject) for p in m.to)
                if (
                    (m.requests() or i == 0)
                    and business_days_later(m.date, 3) <= now
                    and now - m.date <= timedelta(days=30)
                ):
                    for p in m.to:
                        if outside(p) and not any(x.sender == p and not x.automated for x in later):
                            found.add(("follow_up", p, subject))
    return found


def model_reconnect(messages: list[Msg]) -> set[str]:
    contact: dict[str, set[date]] = defaultdict(set)
    directions: dict[str, set[str]] = defaultdict(set)
    for m in messages:
        if m.automated:
            continue
        for p in m.people - ME:
            contact[p].add(m.date.astimezone(CHICAGO).date())
            directions[p].add("out" if m.sender in ME else "in")
    found = set()
    today = DEMO_NOW.date()
    for p, days in contact.items():
        if len(days) < 4 or directions[p] != {"in", "out"}:
            continue
        ordered = sorted(days)
        gap = statistics.median((b - a).days for a, b in pairwise(ordered))
        silent = (today - ordered[-1]).days
        if silent >= 30 and silent >= 2.5 * gap:
            found.add(p)
    return found


def calendar_events() -> list[tuple[str, str, datetime, datetime, dict[str, str], str]]:
    import icalendar
    import recurring_ical_events

    cal = icalendar.Calendar.from_ical((DEMO_DIR / "calendar.ics").read_bytes())
    out = []
    for ev in recurring_ical_events.of(cal).between(
        datetime(2025, 11, 1, tzinfo=CHICAGO), datetime(2026, 4, 1, tzinfo=CHICAGO)
    ):
        attendees = ev.get("ATTENDEE", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        status = {
            str(a).removeprefix("mailto:").lower(): str(a.params.get("PARTSTAT", ""))
            for a in attendees
        }
        start, end = ev["DTSTART"].dt, ev["DTEND"].dt
        if not isinstance(start, datetime):
            start = datetime(start.year, start.month, start.day, tzinfo=CHICAGO)
            end = datetime(end.year, end.month, end.day, tzinfo=CHICAGO)
        out.append(
            (
                str(ev["UID"]),
                str(ev["SUMMARY"]),
                start,
                end,
                status,
                str(ev.get("STATUS", "CONFIRMED")),
            )
        )
    return out


def model_meeting_nudges(messages: list[Msg]) -> set[tuple[str, str]]:
    found = set()
    now = DEMO_NOW
    for uid, _summary, start, end, status, ev_status in calendar_events():
        others = [p for p in status if outside(p)]
        if not others or ev_status == "CANCELLED" or status.get("penny@example.com") == "DECLINED":
            continue
        written = any(
            m.sender in ME and m.date >= end and set(others) & (m.to | m.cc) for m in messages
        )
        if now - timedelta(days=3) <= end <= now and not written:
            found.add(("after_meeting", uid))
        local_day = start.astimezone(CHICAGO).date()
        if now.date() <= local_day <= now.date() + timedelta(days=1):
            found.add(("before_meeting", uid))
    return found


def test_the_recurring_meeting_expands_across_dst() -> None:
    starts = [s for uid, _, s, *_ in calendar_events() if uid == "team-sync@example.com"]
    local = {s.astimezone(CHICAGO).strftime("%H:%M") for s in starts}
    assert local == {"09:00"}
    assert date(2026, 3, 16) in {s.astimezone(CHICAGO).date() for s in starts}
    assert date(2026, 1, 19) not in {s.astimezone(CHICAGO).date() for s in starts}  # EXDATE


def test_the_plan_matches_a_tiny_model_of_the_rules(
    messages: list[Msg], threads: dict[str, list[Msg]], plan: dict
) -> None:
    expected = {(i["kind"], i["person"], i["subject"]) for i in plan["expected"] if i["kind"] in
                {"reply", "follow_up", "promise", "waiting_on"}}  # fmt: skip
    found = model_mail_nudges(threads, set(plan["mute"]))
    assert found - expected == set(), "unplanned nudges in the data"
    assert expected - found == set(), "planted nudges the data does not support"
    for item in plan["not_expected"]:
        assert not any(k in (item["kind"], "*") and p == item["person"] for k, p, _ in found), item

    reconnect = {i["person"] for i in plan["expected"] if i["kind"] == "reconnect"}
    assert model_reconnect(messages) == reconnect

    meetings = {(i["kind"], i["event_uid"]) for i in plan["expected"] if "event_uid" in i}
    assert model_meeting_nudges(messages) == meetings


def test_the_model_sees_the_muted_person_without_mute(
    threads: dict[str, list[Msg]], plan: dict
) -> None:
    # The mute non-situation is only meaningful if Rex would otherwise get a nudge.
    found = model_mail_nudges(threads, muted=set())
    assert any(kind == "reply" and p in plan["mute"] for kind, p, _ in found)
