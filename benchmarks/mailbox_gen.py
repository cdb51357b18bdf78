"""A generated mailbox shaped like real mail, as a Maildir++ tree (INBOX + .Sent).

Correspondents with heavy-tailed activity (Zipf weights: a few people write most of the
mail), threads of replies that quote the message before (">" lines or an Outlook
"-----Original Message-----" block), signatures and legal footers, forwarded blocks,
bulk mail (newsletters, notifications) and bodies of 0.5-20 KB. Asks, promises and
plain statements are drawn from phrase banks, so the findings have something to find.
Names and addresses are Example-style; nothing comes from real mail. Deterministic for
a seed. Used by ``end_to_end.py``; run alone: ``python benchmarks/mailbox_gen.py DIR N``.
"""

from __future__ import annotations

import mailbox
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ME = ("Penny Example", "penny@example.com")
FIRST = [
    "Ana",
    "Raj",
    "Dana",
    "Sam",
    "Lee",
    "Kim",
    "Jo",
    "Alex",
    "Robin",
    "Chris",
    "Pat",
    "Morgan",
    "Taylor",
    "Jamie",
    "Casey",
]
LAST = [
    "Sample",
    "Demo",
    "Placeholder",
    "Testperson",
    "Example",
    "Mock",
    "Stub",
    "Fixture",
    "Dummy",
    "Specimen",
]
DOMAINS = ["example.com", "example.org", "example.net", "acme.example", "beta.example"]

ASKS = [
    "Can you send me the {thing} by {day}?",
    "Could you review the {thing} before our call on {day}?",
    "Please forward the {thing} to the team.",
    "Would you be able to confirm the {thing} this week?",
    "Let me know when the {thing} is ready.",
    "Can we move the {thing} review to {day}?",
]
PROMISES = [
    "I'll send the {thing} by {day}.",
    "I will get back to you on the {thing} tomorrow.",
    "We'll have the {thing} ready for {day}.",
    "I'll follow up with the team about the {thing}.",
]
STATEMENTS = [
    "The {thing} went out to everyone last week.",
    "Thanks for the update on the {thing}.",
    "The {thing} looks good overall, with a few small notes.",
    "Our numbers for the quarter came in slightly above plan.",
    "The office will be closed on {day} for maintenance.",
    "It was great to catch up at the conference.",
    "The attached {thing} has the latest figures from finance.",
    "We discussed the {thing} at length in the steering meeting.",
    "Most of the open items were resolved during the session.",
    "The vendor said delivery slipped because of a supply issue.",
]
THINGS = [
    "deck",
    "contract",
    "budget",
    "report",
    "invoice",
    "agenda",
    "slides",
    "proposal",
    "figures",
    "draft",
    "plan",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
FOOTER = (
    "\n\nThis message and any attachments are confidential and intended solely for the "
    "addressee. If you received it in error, please notify the sender and delete it. "
) * 2
NEWS = (
    "Read our latest stories this week. Click here to view in your browser. "
    "You are receiving this email because you subscribed. Unsubscribe at any time. "
)


# Words that vary the sentences: real mail rarely repeats a sentence, and a generator
# that does flatters every cache keyed by sentence (the encoder's scores).
QUALITIES = [
    "",
    "",
    "revised ",
    "final ",
    "updated ",
    "second ",
    "Q3 ",
    "draft of the ",
    "new ",
    "internal ",
    "client ",
    "short ",
]
OPENERS = [
    "",
    "",
    "",
    "As discussed, ",
    "For what it is worth, ",
    "In short, ",
    "On a separate note, ",
    "Quick update: ",
    "As far as I know, ",
    "By the way, ",
]
TAILS = [
    "",
    "",
    "",
    " for the {n} accounts",
    " in {place}",
    " ({n} pages)",
    " after the {h} o'clock call",
    " with {name}'s team",
    " at the {place} office",
]
PLACES = ["Boston", "Denver", "Austin", "Portland", "Chicago", "Toronto", "Leeds", "Lyon"]


def _sentence(rng: random.Random) -> str:
    r = rng.random()
    bank = ASKS if r < 0.08 else PROMISES if r < 0.13 else STATEMENTS
    text = rng.choice(bank).format(
        thing=rng.choice(QUALITIES) + rng.choice(THINGS), day=rng.choice(DAYS)
    )
    tail = rng.choice(TAILS).format(
        n=rng.randint(2, 40), h=rng.randint(1, 12), place=rng.choice(PLACES), name=rng.choice(FIRST)
    )
    text = text[:-1] + tail + text[-1]
    opener = rng.choice(OPENERS)
    if not opener:
        return text
    return opener + (text if text.startswith("I") else text[0].lower() + text[1:])


def _body(rng: random.Random, size: int) -> str:
    paragraphs, n = [], 0
    while n < size:
        p = " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))
        paragraphs.append(p)
        n += len(p) + 2
    return "\n\n".join(paragraphs)


def _size(rng: random.Random) -> int:
    # Log-normal, most a few KB; clamped to 0.5-20 KB.
    return int(min(20_000, max(500, rng.lognormvariate(7.6, 0.9))))


class Person:
    __slots__ = ("address", "name", "title")

    def __init__(self, i: int, rng: random.Random) -> None:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        self.name = f"{first} {last}"
        self.address = f"{first.lower()}.{last.lower()}{i}@{rng.choice(DOMAINS)}"
        self.title = rng.choice(["Director", "Manager", "Analyst", "VP Sales", "Engineer"])


def _signature(name: str, title: str, rng: random.Random) -> str:
    sig = f"\n\nBest,\n{name}\n{title} | Example Corp\n+1 555 01{rng.randint(10, 99)}"
    return sig + (FOOTER if rng.random() < 0.2 else "")


def messages(n: int, *, seed: int = 1, end: datetime | None = None) -> Iterator[tuple[str, bytes]]:
    """``n`` messages as (folder, raw bytes), oldest first, the last at ``end``."""
    rng = random.Random(seed)
    end = end or datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    step = timedelta(days=3 * 365) / max(n, 1)
    people = [Person(i, rng) for i in range(max(50, n // 20))]
    weights = [1.0 / (rank + 1) ** 1.1 for rank in range(len(people))]
    open_threads: list[
        tuple[str, str, Person, str, int]
    ] = []  # (root id, subject, who, last body, left)
    for i in range(n):
        date = end - step * (n - 1 - i)
        mid = f"<m{i}.{seed}@example.com>"
        headers = {"Message-ID": mid, "Date": format_datetime(date), "MIME-Version": "1.0"}
        r = rng.random()
        if r < 0.15:  # bulk: newsletters and notifications
            sender = f"news{rng.randint(1, 40)}@lists.example.com"
            headers |= {"From": f"Example News <{sender}>", "To": ME[1],
                        "Subject": f"Weekly digest {i}", "List-Id": "<news.example.com>",
                        "List-Unsubscribe": f"<mailto:unsub@{sender.split('@')[1]}>"}  # fmt: skip
            body, folder = (NEWS * rng.randint(3, 40))[: _size(rng)], "INBOX"
        else:
            if open_threads and rng.random() < 0.55:
                k = rng.randrange(len(open_threads))
                root, subject, who, last, left = open_threads[k]
                if left <= 1:
                    open_threads.pop(k)
                else:
                    open_threads[k] = (root, subject, who, "", left - 1)
                subject, reply = "Re: " + subject.removeprefix("Re: "), True
            else:
                who = rng.choices(people, weights)[0]
                root, subject, last, reply = mid, _sentence(rng)[:50].rstrip(".?"), "", False
            sent = rng.random() < 0.3
            writer, title = (ME[0], "Partner") if sent else (who.name, who.title)
            text = f"Hi {who.name.split()[0] if sent else 'Penny'},\n\n" + _body(rng, _size(rng))
            if rng.random() < 0.05:
                text += "\n\n---------- Forwarded message ---------\nFrom: Someone Example "
                text += "<someone@example.org>\nSubject: FYI\n\n" + _body(rng, 1500)
            text += _signature(writer, title, rng)
            if reply and last:
                if rng.random() < 0.5:
                    text += "\n\nOn Mon, someone wrote:\n" + "\n".join(
                        "> " + x for x in last.splitlines()
                    )
                else:
                    text += "\n\n-----Original Message-----\nFrom: Example\nSent: Monday\n\n" + last
            if reply:
                headers |= {"In-Reply-To": root, "References": root}
            frm, to = (ME, (who.name, who.address)) if sent else ((who.name, who.address), ME)
            headers |= {"From": f"{frm[0]} <{frm[1]}>", "To": f"{to[0]} <{to[1]}>",
                        "Subject": subject}  # fmt: skip
            body, folder = text, "Sent" if sent else "INBOX"
            if not reply and rng.random() < 0.6:
                open_threads.append((root, subject, who, text[:3000], rng.randint(1, 6)))
            elif reply and open_threads and open_threads[-1][0] == root:
                open_threads[-1] = (*open_threads[-1][:3], text[:3000], open_threads[-1][4])
            if len(open_threads) > 200:
                open_threads.pop(0)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        yield folder, (head + "\r\n" + body.replace("\n", "\r\n")).encode()


def write_maildir(root: Path, items: Iterator[tuple[str, bytes]]) -> int:
    """Write into a Maildir++ tree at ``root`` (INBOX at the top, Sent as ``.Sent``)."""
    inbox = mailbox.Maildir(root, create=True)
    boxes = {"INBOX": inbox, "Sent": mailbox.Maildir(root / ".Sent", create=True)}
    count = 0
    for folder, raw in items:
        boxes[folder].add(raw)
        count += 1
    return count


if __name__ == "__main__":
    print(write_maildir(Path(sys.argv[1]), messages(int(sys.argv[2]))), "messages")
