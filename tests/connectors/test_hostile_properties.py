"""Property tests: any bytes as a message never raise out of the builder or a source."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hostile_mail import MBOX_FROM, assert_clean
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.maildir import MaildirSource
from connectors.mbox import MboxSource
from connectors.mime import parse_message
from connectors.records import MailRecord, Skipped

FALLBACK = datetime(2026, 3, 1, tzinfo=UTC)

# Raw bytes, and bytes shaped like mail (so the parser gets past the header section).
_HEADER_NAMES = st.sampled_from(
    [b"From", b"To", b"Cc", b"Subject", b"Date", b"Message-ID", b"References",
     b"Content-Type", b"Content-Transfer-Encoding", b"Content-Disposition", b"In-Reply-To"]
)  # fmt: skip
_VALUES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [b"=?utf-7?q?+2AA-?=", b"=?utf-8?q?a=00b?=", b"=?unicode-escape?q?=5Cud800?=",
         b'multipart/mixed; boundary="x"', b"base64", b"quoted-printable",
         b"Fri, 31 Dec 9999 23:59:59 -2359", b"<a@b> <c@d>", b"attachment; filename*=x''%ff"]
    ),
)  # fmt: skip
_MAILLIKE = st.builds(
    lambda fields, body: b"".join(k + b": " + v + b"\n" for k, v in fields) + b"\n" + body,
    st.lists(st.tuples(_HEADER_NAMES, _VALUES), max_size=12),
    st.one_of(st.binary(max_size=500), st.just(b"--x\nContent-Type: text/plain\n\nhi\n--x")),
)
MESSAGE_BYTES = st.one_of(st.binary(max_size=2000), _MAILLIKE)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(MESSAGE_BYTES)
def test_the_builder_never_raises_and_every_record_is_clean(raw: bytes) -> None:
    result = parse_message(raw, source="s", folder="F", role="inbox", uid="1",
                           fallback_date=FALLBACK)  # fmt: skip
    assert isinstance(result, MailRecord | Skipped)
    if isinstance(result, MailRecord):
        assert_clean(result)
    else:
        assert result.reason


@settings(max_examples=60, deadline=None)
@given(st.lists(MESSAGE_BYTES, min_size=1, max_size=5), st.binary(min_size=1, max_size=12))
def test_maildir_never_raises_on_any_files(files: list[bytes], name_bytes: bytes) -> None:
    root = Path(tempfile.mkdtemp(prefix="hostile-maildir-"))
    try:
        for sub in ("cur", "new", "tmp"):
            (root / sub).mkdir()
        safe = name_bytes.replace(b"/", b"_").replace(b"\x00", b"_").lstrip(b".") or b"n"
        for i, raw in enumerate(files):
            with open(os.fsencode(root / "cur") + b"/%d." % i + safe, "wb") as f:
                f.write(raw)
        source = MaildirSource.from_config("m", {"path": str(root)})
        batches = list(source.sync({}))
        records = [r for b in batches for r in b.records]
        skipped = [s for b in batches for s in b.skipped]
        assert len(records) + len(skipped) == len(files)
        for r in records:
            assert_clean(r)
            r.uid.encode("utf-8")
    finally:
        shutil.rmtree(root)


@settings(max_examples=60, deadline=None)
@given(st.lists(MESSAGE_BYTES, max_size=5), st.binary(max_size=300))
def test_mbox_never_raises_on_any_bytes(messages: list[bytes], junk: bytes) -> None:
    root = Path(tempfile.mkdtemp(prefix="hostile-mbox-"))
    try:
        path = root / "box.mbox"
        path.write_bytes(junk + b"".join(MBOX_FROM + m + b"\n" for m in messages))
        source = MboxSource.from_config("b", {"path": str(path)})
        batches = list(source.sync({}))
        for b in batches:
            for r in b.records:
                assert_clean(r)
            for s in b.skipped:
                assert s.reason
        assert batches, "the final checkpoint is always yielded"
    finally:
        shutil.rmtree(root)
