"""Write the hostile mail corpus in mail/ (run from anywhere; the files are committed).

Each message attacks one thing a parser, a decoder or a database can trip on. The
expected outcome of each (stored, sanitised, or skipped with a reason) is in
tests/connectors/hostile.py, which the corpus tests share.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).resolve().parent / "mail"
TO = "Penny Example <penny@example.com>"


def msg(
    subject: bytes, body: bytes = b"Just checking in about the report.\n", **extra: bytes
) -> bytes:
    head = {
        b"From": b"Mallory Sender <mallory@hostile.example>",
        b"To": TO.encode(),
        b"Subject": subject,
        b"Date": b"Mon, 09 Mar 2026 09:15:00 +0000",
        b"Message-ID": b"<"
        + subject[:20].replace(b" ", b"-").replace(b"\x00", b"")
        + b"@hostile.example>",
        b"MIME-Version": b"1.0",
        b"Content-Type": b"text/plain; charset=utf-8",
    }
    for k, v in extra.items():
        key = k.replace("_", "-").encode()
        if v is None:
            head.pop(key, None)
        else:
            head[key] = v
    lines = b"".join(k + b": " + v + b"\n" for k, v in head.items())
    return lines + b"\n" + body


def write(name: str, data: bytes) -> None:
    (HERE / f"{name}.eml").write_bytes(data)


def main() -> None:
    HERE.mkdir(exist_ok=True)
    rnd = random.Random(20261201)
    # Charsets that decode to lone surrogates, that rewrite backslashes, that nobody knows.
    write(
        "utf7-subject", msg(b"=?utf-7?q?=E9+2AA-?=", Message_ID=b"<utf7-subject@hostile.example>")
    )
    write(
        "utf7-body",
        msg(
            b"About the lunch",
            b"+2AA- and +2D3cAA- are halves of nothing.\n",
            Content_Type=b"text/plain; charset=utf-7",
            Message_ID=b"<utf7-body@hostile.example>",
        ),
    )
    write(
        "unicode-escape-subject",
        msg(
            b"=?unicode-escape?q?=5Cud800_then_=5Cx00_and_=5CN{BELL}?=",
            Message_ID=b"<unicode-escape-subject@hostile.example>",
        ),
    )
    write(
        "unicode-escape-body",
        msg(
            b"Escapes",
            b"A lone half \\udc00 and a nul \\x00 in a body.\n",
            Content_Type=b"text/plain; charset=unicode_escape",
            Message_ID=b"<unicode-escape-body@hostile.example>",
        ),
    )
    write(
        "unknown-charset",
        msg(
            b"=?x-klingon?q?Qapla=E9=FF?=",
            b"Caf\xe9 cr\xe8me \x96 bytes \xff\xfe.\n",
            Content_Type=b"text/plain; charset=x-klingon",
            Message_ID=b"<unknown-charset@hostile.example>",
        ),
    )
    write(
        "mixed-charsets",
        msg(
            b"=?koi8-r?b?8NLJ18XU?= =?shift_jis?b?k/qWe4zq?= "
            b"=?iso-2022-jp?b?GyRCRnxLXDhsGyhC?= raw \xe9\xe8",
            b"--b1\nContent-Type: text/plain; charset=iso-8859-5\n\n\xbf\xe0\xd8\xd2\xd5\xe2\n"
            b"--b1\nContent-Type: text/plain; charset=big5\n\n\xa4\xa4\xa4\xe5\n--b1--\n",
            From=b"=?utf-8?q?Jos=C3=A9?= \xc3\xa9\xff <jose@hostile.example>",
            Content_Type=b'multipart/alternative; boundary="b1"',
            Message_ID=b"<mixed-charsets@hostile.example>",
        ),
    )
    write(
        "lone-surrogate-name",
        msg(
            b"Names",
            From=b"=?utf-7?q?+2ADcAA-?= <halfname@hostile.example>",
            Cc=b"=?utf-7?q?+3gA-Half?= <other@hostile.example>",
            Message_ID=b"<lone-surrogate-name@hostile.example>",
        ),
    )
    # NUL, raw and encoded, in the fields PostgreSQL stores as text.
    write(
        "nul-raw-subject", msg(b"Before\x00after", Message_ID=b"<nul-raw-subject@hostile.example>")
    )
    write(
        "nul-encoded",
        msg(
            b"=?utf-8?q?a=00b?=",
            From=b"=?utf-8?q?Eve=00Null?= <eve@hostile.example>",
            Message_ID=b"<nul-encoded@hostile.example>",
        ),
    )
    write(
        "nul-body",
        msg(
            b"Body nul",
            b"Line one\x00\x00\nLine two =00\n",
            Content_Type=b"text/plain; charset=utf-8",
            Message_ID=b"<nul-body@hostile.example>",
        ),
    )
    write(
        "nul-message-id",
        msg(b"Id nul", Message_ID=b"<\x00\x00>", References=b"<\x00@x> <ok-ref@hostile.example>"),
    )
    # Sizes: a 1 MB subject, 5,000 recipients, 10,000 References, a 5,000-char Message-ID.
    write("huge-subject", msg(b"S" * 1_000_000, Message_ID=b"<huge-subject@hostile.example>"))
    many = b", ".join(b"Person %d <p%d@crowd.example>" % (i, i) for i in range(5000))
    write(
        "many-recipients",
        msg(
            b"To everyone",
            To=TO.encode() + b", " + many,
            Message_ID=b"<many-recipients@hostile.example>",
        ),
    )
    refs = b"\n ".join(b"<ref%d@thread.example>" % i for i in range(10000))
    write(
        "many-references",
        msg(
            b"Re: long thread",
            References=refs,
            In_Reply_To=b"<ref9999@thread.example>",
            Message_ID=b"<many-references@hostile.example>",
        ),
    )
    write("long-message-id", msg(b"Long id", Message_ID=b"<" + b"i" * 5000 + b"@hostile.example>"))
    write(
        "long-address",
        msg(
            b"Long address",
            From=b"Someone <" + b"a" * 2000 + b"@hostile.example>",
            Message_ID=b"<long-address@hostile.example>",
        ),
    )
    atts = b"".join(
        b'--b2\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="'
        + b"n" * 400
        + b'%d.bin"\n\nAAAA\n' % i
        for i in range(300)
    )
    write(
        "many-attachments",
        msg(
            b"Files",
            b"--b2\nContent-Type: text/plain\n\nSee the files.\n" + atts + b"--b2--\n",
            Content_Type=b'multipart/mixed; boundary="b2"',
            Message_ID=b"<many-attachments@hostile.example>",
        ),
    )
    # Broken structure.
    write(
        "header-without-colon",
        b"From: Mallory <mallory@hostile.example>\nThis line is not a header at all\n"
        b"To: penny@example.com\nSubject: No colon\nDate: Mon, 09 Mar 2026 09:15:00 +0000\n"
        b"Message-ID: <no-colon@hostile.example>\n\nBody.\n",
    )
    write("no-headers", b"There are no headers here, only words on a line\nand another line.\n")
    write(
        "truncated-mime",
        msg(
            b"Cut short",
            b"--b3\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
            b"SGVsbG8gdGhlcmUsIGNv",
            Content_Type=b'multipart/mixed; boundary="b3"',
            Message_ID=b"<truncated-mime@hostile.example>",
        ),
    )
    nested = b""
    for depth in range(100):
        nested += b'--n%d\nContent-Type: multipart/mixed; boundary="n%d"\n\n' % (depth, depth + 1)
    nested += b"--n100\nContent-Type: text/plain\n\nDeep inside.\n"
    write(
        "nested-multipart",
        msg(
            b"Deep",
            nested,
            Content_Type=b'multipart/mixed; boundary="n0"',
            Message_ID=b"<nested-multipart@hostile.example>",
        ),
    )
    write(
        "base64-garbage",
        msg(
            b"Garbage",
            b"!!!$$$###***&&&\n====\n\x80\x81\x82 not base64 at all\n",
            Content_Transfer_Encoding=b"base64",
            Message_ID=b"<base64-garbage@hostile.example>",
        ),
    )
    write(
        "qp-garbage",
        msg(
            b"QP",
            b"=ZZ=\n=4=\n=\n" * 50,
            Content_Transfer_Encoding=b"quoted-printable",
            Message_ID=b"<qp-garbage@hostile.example>",
        ),
    )
    # Dates: far future (with an ask and a due date), year 0, an absurd zone, none.
    write(
        "date-year-9999",
        msg(
            b"Far future",
            b"Could you send the report by Friday?\n",
            Date=b"Fri, 31 Dec 9999 23:59:59 -1200",
            Message_ID=b"<year-9999@hostile.example>",
        ),
    )
    write(
        "date-year-9999-utc",
        msg(
            b"Far future in UTC",
            b"Can you confirm the booking by Monday?\n",
            Date=b"Fri, 31 Dec 9999 12:00:00 +0000",
            Message_ID=b"<year-9999-utc@hostile.example>",
        ),
    )
    write(
        "date-year-0",
        msg(
            b"Year zero",
            Date=b"Sat, 01 Jan 0000 00:00:00 +0000",
            Message_ID=b"<year-0@hostile.example>",
        ),
    )
    write(
        "date-negative-zone",
        msg(
            b"Zone",
            Date=b"Mon, 01 Jan 0001 00:00:00 -9959",
            Message_ID=b"<negative-zone@hostile.example>",
        ),
    )
    write("date-missing", msg(b"No date", Date=None, Message_ID=b"<no-date@hostile.example>"))
    write(
        "date-garbage",
        msg(
            b"Bad date",
            Date=b"yesterday-ish, when the moon was full",
            Message_ID=b"<bad-date@hostile.example>",
        ),
    )
    # Control characters a terminal would act on; CR-only line ends.
    write(
        "control-chars",
        msg(
            b"\x1b[2J\x1b]0;owned\x07 \xe2\x80\xae reversed",
            b"\x1b[31mred\x1b[0m text\n",
            Message_ID=b"<control-chars@hostile.example>",
        ),
    )
    write("cr-only", msg(b"CR only").replace(b"\n", b"\r"))
    # Not mail at all: random bytes, and nothing.
    write("binary", bytes(rnd.randrange(256) for _ in range(8192)))
    write("empty", b"")


if __name__ == "__main__":
    main()
