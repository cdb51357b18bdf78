"""The contact history load_state builds equals a plain reading of every row, on a
generated store with broadcasts, lists, copies in two folders, automated mail and mail
outside the history window (the database does the filtering since the speed work)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from followup.config import Config, parse_config
from followup.rules.restraint import BROADCAST_RECIPIENTS, list_address
from followup.store.handles import M, P
from followup.store.load import HISTORY, load_state
from followup.store.store import Store

ME = "penny@example.com"
# What mail opens with: names me, asks for an answer, asks to be removed, or none.
OPENINGS = ("", "Hi Penny, thanks for the notes.", "Could you send me the numbers?",
            "Please remove me from this list.", "Thanks, that is all.")  # fmt: skip
NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)


def _build(store: Store, n: int = 1500) -> list[dict[str, object]]:
    rnd = random.Random(3)
    people = [f"p{i}@acme.example" for i in range(30)] + ["team-list@acme.example"]
    msgs: list[dict[str, object]] = []
    parts: list[dict[str, object]] = []
    for pk in range(1, n + 1):
        mine = rnd.random() < 0.4
        who = rnd.choice(people)
        # Some copies of an earlier message (another folder, same Message-ID and date).
        copy = msgs[rnd.randrange(len(msgs))] if msgs and rnd.random() < 0.05 else None
        when = (
            copy["date"]
            if copy
            else NOW - timedelta(days=rnd.uniform(-5, HISTORY.days + 60), seconds=pk)
        )
        sender = ME if mine else who
        msgs.append(
            {
                "id": pk, "source": "t", "folder": "f2" if copy else "f1",
                "role": "sent" if mine else "inbox", "uidvalidity": "1", "uid": str(pk),
                "message_id": copy["message_id"] if copy else f"m{pk}@t",
                "subject": f"s{pk}", "norm_subject": f"s{pk}", "from_email": sender,
                "from_name": "", "date": when, "refs": "", "excerpt": rnd.choice(OPENINGS),
                "attachments": "", "automated": "list-id" if rnd.random() < 0.05 else None,
                "size": 1, "from_me": mine, "thread_id": pk, "analysed": True,
            }
        )  # fmt: skip
        parts.append({"message_pk": pk, "email": sender, "role": "from", "name": ""})
        to = [who if mine else ME]
        if rnd.random() < 0.1:
            to += rnd.sample(people, BROADCAST_RECIPIENTS)  # a broadcast
        elif rnd.random() < 0.3:
            to.append(rnd.choice(people))
        for e in dict.fromkeys(to):
            parts.append({"message_pk": pk, "email": e, "role": "to", "name": ""})
        if rnd.random() < 0.2:
            parts.append({"message_pk": pk, "email": rnd.choice(people), "role": "cc", "name": ""})
    with store.begin() as conn:
        conn.execute(M.insert(), msgs)
        conn.execute(P.insert(), parts)
    for p in parts:
        p.setdefault("date", None)
    return [{**m, "parts": [p for p in parts if p["message_pk"] == m["id"]]} for m in msgs]


def _oracle(rows: list[dict[str, object]]) -> tuple[dict[str, set[datetime]], ...]:
    """Every row read in Python: mail where I am a direct party, no broadcasts."""
    received: dict[str, set[datetime]] = defaultdict(set)
    sent: dict[str, set[datetime]] = defaultdict(set)
    lists = {p["email"] for m in rows for p in m["parts"] if list_address(str(p["email"]))}  # type: ignore[attr-defined]
    seen = set()
    for m in rows:
        date = m["date"]
        assert isinstance(date, datetime)
        if m["automated"] is not None or not (NOW - HISTORY <= date <= NOW):
            continue
        parts = m["parts"]
        assert isinstance(parts, list)
        recipients = [p for p in parts if p["role"] in ("to", "cc")]
        to = {p["email"] for p in parts if p["role"] == "to"}
        if len(recipients) > BROADCAST_RECIPIENTS or to & lists:
            continue
        if m["from_me"]:
            pairs = [(p["email"], p["role"]) for p in recipients]
        elif ME in to:
            pairs = [(p["email"], p["role"]) for p in parts if p["role"] == "from"]
        else:
            pairs = []
        for email, role in pairs:
            if email == ME or email in lists or (m["message_id"], email, role) in seen:
                continue
            seen.add((m["message_id"], email, role))
            (sent if m["from_me"] else received)[str(email)].add(date)
    return received, sent


def test_contact_history_matches_every_row_read_in_python(tmp_path: object) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/h.db")
    rows = _build(store)
    state = load_state(
        store, me=frozenset({ME}), domains=frozenset(), now=NOW, window=timedelta(days=28)
    )
    received, sent = _oracle(rows)
    assert sum(map(len, received.values())) > 100 and sum(map(len, sent.values())) > 100
    for email in set(received) | set(sent):
        c = state.contacts[email]
        assert c.received == tuple(sorted(received.get(email, ())))
        assert c.sent == tuple(sorted(sent.get(email, ())))
        assert all(d.tzinfo is UTC for d in c.received + c.sent)
    assert {e for e, c in state.contacts.items() if c.received or c.sent} == set(received) | set(
        sent
    )
    store.close()


def _config(name: str = "Penny Example") -> Config:
    return parse_config(
        {"me": {"name": name, "addresses": [ME]}, "storage": {"url": "sqlite:///unused.db"}}
    )


def test_the_mail_read_during_the_analysis_gives_the_same_state(tmp_path: object) -> None:
    """``followup run`` reads the contacts' history and the active threads' mail in a
    thread while it analyses new mail (runner.PlanReadAhead): the state planned from
    them is the one read in one go, though findings are written meanwhile (those the
    state reads itself); read for another ``me``, ``now``, window or name, they are not
    used."""
    from followup.runner import PlanReadAhead
    from followup.state import planning_window
    from followup.store.handles import F

    store = Store.open(f"sqlite:///{tmp_path}/h.db")
    rows = _build(store)
    me = frozenset({ME})
    config = _config()
    read = PlanReadAhead(store, config, me, NOW)
    with store.begin() as conn:  # the analysis writes findings meanwhile
        conn.execute(
            F.insert(),
            [{"message_pk": m["id"], "kind": "request", "text": "Could you send it?",
              "action": "send it", "owner": "them", "score": 0.9, "firm": n % 2 == 0}
             for n, m in enumerate(rows[:1500:5])],
        )  # fmt: skip
    args = {"me": me, "domains": frozenset(), "now": NOW,
            "window": planning_window(config.rules), "my_name": config.me.name}  # fmt: skip
    ahead = read.result(me, NOW, config)
    assert ahead is not None
    history, threads = ahead
    assert sum(map(len, history.received.values())) > 100
    assert len(threads.rows) > 100
    fresh = load_state(store, **args)  # type: ignore[arg-type]
    assert sum(len(m.findings) for t in fresh.threads for m in t.messages) > 5
    msgs = [m for t in fresh.threads for m in t.messages]
    assert {"names_me", "expects_answer", "asks_removal"} <= {
        k for m in msgs for k in ("names_me", "expects_answer", "asks_removal") if getattr(m, k)
    }
    assert load_state(store, **args, history=history, threads_read=threads) == fresh  # type: ignore[arg-type]
    assert read.result(frozenset({"other@acme.example"}), NOW, config) is None
    assert read.result(me, NOW + timedelta(minutes=1), config) is None
    assert read.result(me, NOW, _config("Another Name")) is None
    read.close()
    store.close()


def test_a_failed_history_read_fails_the_plan_as_reading_it_there_would(tmp_path: object) -> None:
    from sqlalchemy.exc import OperationalError

    from followup.runner import PlanReadAhead

    store = Store.open(f"sqlite:///{tmp_path}/h.db")
    _build(store, n=50)
    with store.begin() as conn:
        conn.exec_driver_sql("DROP TABLE participant")
    read = PlanReadAhead(store, _config(), frozenset({ME}), NOW)
    try:
        read.result(frozenset({ME}), NOW, _config())
    except OperationalError:
        pass
    else:
        raise AssertionError("the read's error was not raised where the plan reads it")
    read.close()
    store.close()
