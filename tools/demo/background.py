"""Months of ordinary two-way mail and internal notes: answered questions, news,
thanks. None of it may produce a nudge."""

from __future__ import annotations

from datetime import date, timedelta

from tools.demo.cast import (
    DEREK,
    FELIX,
    KENJI,
    MAYA,
    OWEN,
    PENNY,
)
from tools.demo.clock import CHICAGO, START, at, next_work_slot
from tools.demo.content import (
    CHATTER,
    MY_ACKS,
    MY_NEWS,
    MY_QUESTIONS,
    MY_THANKS,
    SLOTS,
    THEIR_NEWS,
    THEIR_QUESTIONS,
    THEIR_THANKS,
    TOPICS,
    hi,
    hi_penny,
)
from tools.demo.mail import Person
from tools.demo.scenario import Demo


def chatter_thread(demo: Demo, them: Person, day: date, subject: str) -> None:
    """One closed exchange: every question in it is answered, nothing promised."""
    rng = demo.rng
    t = demo.thread(subject)
    kind = rng.choice(["they_ask", "they_ask", "i_ask", "i_ask", "their_news", "my_news", "call"])
    if kind in ("they_ask", "their_news", "call"):
        first = at(day, rng.randint(8, 15), rng.choice([5, 12, 20, 34, 41, 48, 55]), them.zone)
    else:
        first = at(day, rng.randint(8, 16), rng.choice([2, 15, 27, 38, 44, 52]))
    # Kenji's Outlook drops In-Reply-To/References: threads by subject only.
    nr = them == KENJI
    topic = subject if subject[1:2].isupper() else subject[0].lower() + subject[1:]
    if kind == "they_ask":
        q, a = rng.choice(THEIR_QUESTIONS)
        t.post(them, [PENNY], first, hi_penny(f"Quick one on the {topic}. {q}"))
        m = t.reply(PENNY, next_work_slot(first, CHICAGO, rng), hi(them, a))
        if rng.random() < 0.5:
            t.reply(
                them,
                next_work_slot(m.date, them.zone, rng),
                rng.choice(THEIR_THANKS),
                no_refs=nr,
            )
    elif kind == "i_ask":
        q, a = rng.choice(MY_QUESTIONS)
        t.post(PENNY, [them], first, hi(them, f"On the {topic}: {q}"))
        m = t.reply(them, next_work_slot(first, them.zone, rng), hi_penny(a), no_refs=nr)
        if rng.random() < 0.4:
            t.reply(PENNY, next_work_slot(m.date, CHICAGO, rng), hi(them, rng.choice(MY_THANKS)))
    elif kind == "their_news":
        news = rng.choice(THEIR_NEWS)
        t.post(them, [PENNY], first, hi_penny(f"A short update on the {topic}: {news}"))
        t.reply(
            PENNY,
            next_work_slot(first, CHICAGO, rng),
            hi(them, f"{rng.choice(MY_ACKS)} Thanks for the update."),
        )
    elif kind == "my_news":
        news = rng.choice(MY_NEWS)
        t.post(PENNY, [them], first, hi(them, f"A short note on the {topic}: {news}"))
        t.reply(them, next_work_slot(first, them.zone, rng), rng.choice(THEIR_THANKS), no_refs=nr)
    else:
        d, h = rng.choice(SLOTS)
        t.post(
            them,
            [PENNY],
            first,
            hi_penny(f"Are you free for a quick call about the {topic} on {d} at {h}?"),
        )
        m = t.reply(
            PENNY,
            next_work_slot(first, CHICAGO, rng),
            hi(them, f"{d} at {h} works for me. Talk then."),
        )
        t.reply(them, next_work_slot(m.date, them.zone, rng), "Great, see you then.", no_refs=nr)


def chatter(demo: Demo) -> None:
    rng = demo.rng
    holiday = (date(2025, 12, 20), date(2026, 1, 4))
    for them, last in CHATTER:
        day = START + timedelta(days=rng.randint(0, 9))
        starts: list[date] = []
        while day <= last:
            if holiday[0] <= day <= holiday[1]:
                day = holiday[1] + timedelta(days=rng.randint(1, 4))
                continue
            while day.weekday() >= 5:
                day += timedelta(days=1)
            if day <= last:
                starts.append(day)
            day += timedelta(days=rng.randint(14, 21))
        # Keep every regular correspondent in touch within the last few weeks, so
        # only the planted reconnect people have gone quiet.
        if starts[-1] < last - timedelta(days=10):
            extra = last - timedelta(days=rng.randint(0, 5))
            while extra.weekday() >= 5:
                extra -= timedelta(days=1)
            starts.append(extra)
        pool = rng.sample(TOPICS, len(starts))
        for day, topic in zip(starts, pool, strict=True):
            subject = topic
            if subject in demo.subjects:
                subject = f"{them.org.split()[0]} {topic[0].lower()}{topic[1:]}"
            if subject in demo.subjects:
                subject = f"{topic} ({day:%b %d})"
            chatter_thread(demo, them, day, subject)


def internal(demo: Demo) -> None:
    """A few colleague threads besides Owen and Julia's regular ones (all closed)."""
    t = demo.thread("Board deck numbers")
    m = t.post(
        FELIX,
        [PENNY],
        at(date(2025, 12, 3), 10, 12),
        hi_penny("Can you confirm the partner revenue figure for slide 4?"),
    )
    t.reply(
        PENNY,
        m.date + timedelta(hours=2, minutes=7),
        hi(FELIX, "The partner revenue figure for slide 4 is $1.24M."),
    )
    t = demo.thread("Launch blog post")
    m = t.post(
        MAYA,
        [PENNY],
        at(date(2026, 2, 23), 14, 3),
        hi_penny("Could you review the partner quotes in the launch blog post?"),
    )
    m = t.reply(
        PENNY,
        m.date + timedelta(hours=20),
        hi(MAYA, "I reviewed the quotes. Both are approved."),
    )
    t.reply(MAYA, m.date + timedelta(hours=1, minutes=15), "Thanks!")
    t = demo.thread("Offsite agenda")
    m = t.post(
        DEREK,
        [PENNY, OWEN],
        at(date(2026, 2, 9), 9, 31),
        hi_penny("The draft agenda for the April offsite is in the shared folder."),
    )
    t.reply(
        PENNY,
        m.date + timedelta(hours=3),
        hi(DEREK, "Looks good to me."),
        to=[DEREK],
        cc=[OWEN],
    )
