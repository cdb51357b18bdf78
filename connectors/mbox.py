"""mbox files as a mail source: one file, or a directory of them (one folder per file).

The file is streamed line by line rather than opened with ``mailbox.mbox``, which builds
a table of contents of the whole file first and cannot resume from an offset. Appending
is the normal way an mbox grows, so the checkpoint records how far the file was read and
a hash of the bytes just before that point: when the file has only grown, the next sync
reads just the new messages; when it was rewritten, it is read again from the start (the
store upserts, so re-reading is harmless), and the messages no longer in it are listed
as gone (``_relisted``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar, Self

from connectors.errors import ConnectorError, SourceConfigError
from connectors.fileconfig import (
    BATCH_SIZE,
    FILE_KEYS,
    FileOptions,
    batches,
    parse_file_options,
    sync_folders,
    text_key,
)
from connectors.records import (
    MAX_HEADER_BYTES,
    FolderListing,
    FolderRole,
    MailBatch,
    MailRecord,
    Skipped,
)

logger = logging.getLogger(__name__)

# A "From " separator line: sender, then an asctime-like date (a time and a year).
_FROM_LINE = re.compile(rb"From \S+\s.*\d{1,2}:\d{2}(?::\d{2})?\b.*\b\d{4}")
_SKIP_SUFFIXES = frozenset({".msf", ".lock", ".dat", ".json", ".db", ".idx", ".index", ".summary"})
MAX_MESSAGE_READ = 2 * MAX_HEADER_BYTES
"""Bytes of one message kept for parsing; a bigger message is parsed from its start."""
_TAIL = 4096
_CHECKPOINT_VERSION = "mbox1"


def _tail_hash(f: BinaryIO, offset: int) -> str:
    start = max(0, offset - _TAIL)
    f.seek(start)
    return hashlib.sha1(f.read(offset - start), usedforsecurity=False).hexdigest()[:20]


def _checkpoint(f: BinaryIO, offset: int, mtime_ns: int) -> str:
    return f"{_CHECKPOINT_VERSION} {offset} {mtime_ns} {_tail_hash(f, offset)}"


def _parse_checkpoint(value: str) -> tuple[int, int, str] | None:
    parts = value.split()
    if len(parts) != 4 or parts[0] != _CHECKPOINT_VERSION:
        return None
    try:
        return int(parts[1]), int(parts[2]), parts[3]
    except ValueError:
        return None


def _looks_like_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except OSError:
        return False
    return bool(_FROM_LINE.match(head))


def find_mbox_folders(root: Path) -> dict[str, Path]:
    """Folder name -> file: the file itself, or every mbox file under a directory.

    In a directory, ``*.mbox`` files count, and so do files without that suffix that start
    with a ``From `` line (Thunderbird, mutt); ``Foo.sbd/Bar`` becomes folder ``Foo/Bar``.
    """
    if root.is_file():
        return {text_key(root.stem if root.suffix == ".mbox" else root.name): root}
    folders: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            path = Path(dirpath, filename)
            if filename.startswith(".") or path.suffix.lower() in _SKIP_SUFFIXES:
                continue
            if path.suffix != ".mbox" and not _looks_like_mbox(path):
                continue
            rel = path.relative_to(root)
            parts = [p.removesuffix(".sbd") for p in rel.parent.parts]
            parts.append(rel.stem if rel.suffix == ".mbox" else rel.name)
            folders.setdefault(text_key("/".join(parts)), path)
    return folders


def read_messages(f: BinaryIO, start: int, end: int) -> Iterator[tuple[int, int, bytes, bytes]]:
    """Yield ``(offset, next_offset, from_line, raw)`` for each message in [start, end).

    ``raw`` is capped at ``MAX_MESSAGE_READ`` bytes. Bytes before the first ``From `` line
    are ignored. ``start`` must be the offset of a ``From `` line (or the file's start).
    """
    f.seek(start)
    pos = start
    current = -1
    from_line = b""
    lines: list[bytes] = []
    kept = 0
    for line in f:
        if pos >= end:
            break
        if line.startswith(b"From ") and _FROM_LINE.match(line):
            if current != -1:
                yield current, pos, from_line, b"".join(lines)
            current, from_line, lines, kept = pos, line, [], 0
        elif current != -1 and kept < MAX_MESSAGE_READ:
            lines.append(line)
            kept += len(line)
        pos += len(line)
    if current != -1:
        yield current, min(pos, end), from_line, b"".join(lines)


def _uid(message_id: str) -> str:
    digest = hashlib.sha1(message_id.encode("utf-8", "replace"), usedforsecurity=False)
    return digest.hexdigest()[:20]


# -- deletions ---------------------------------------------------------------------------

# The checkpoint of a re-read in progress: never resumable, so a re-read cut short starts
# again and still ends with the listing that mirrors the deletions.
_RELISTING = "mbox1-relisting"


def _was_read_before(checkpoint: str) -> bool:
    return checkpoint == _RELISTING or _parse_checkpoint(checkpoint) is not None


def _relisted(
    out: Iterator[MailBatch], path: Path, stat: tuple[int, int], since: datetime | None
) -> Iterator[MailBatch]:
    """A rewritten file read again from the start (a message deleted, flags changed): the
    last batch lists every uid read, so the store drops the messages no longer there.

    One batch is held back to know which is last. The listing covers messages dated from
    ``since`` on (older ones are passed over unnamed). If the file changed during the
    read, there is no listing and the next sync reads it all again: a mail client
    rewriting it meanwhile must not make a half-written file look like mass deletion.
    """
    uids: set[str] = set()
    held: MailBatch | None = None
    for batch in out:
        uids.update(r.uid for r in batch.records)
        if held is not None:
            yield dataclasses.replace(held, checkpoint=_RELISTING)
        held = batch
    if held is None:
        return
    try:
        st = os.stat(path)
        unchanged = (st.st_size, st.st_mtime_ns) == stat
    except OSError:
        unchanged = False
    if unchanged:
        yield dataclasses.replace(held, listing=FolderListing(frozenset(uids), since=since))
    else:  # read it all again next time, and list it then
        yield dataclasses.replace(held, checkpoint=_RELISTING)


class MboxSource:
    """Mail from mbox files. Config: ``path`` (a file or a directory), ``sent``,
    ``archive`` (folder names), ``folders`` (restrict), ``since``, ``max_excerpt``.

    Message uids are a hash of the Message-ID (a synthesised one when missing), so they
    survive appends and rewrites; a repeated Message-ID in one folder gets a suffix.
    """

    kind: ClassVar[str] = "mbox"
    KEYS: ClassVar[frozenset[str]] = FILE_KEYS

    def __init__(self, name: str, options: FileOptions, *, batch_size: int = BATCH_SIZE) -> None:
        self.name = name
        self.options = options
        self.batch_size = batch_size
        self._closed = False

    @classmethod
    def from_config(cls, name: str, options: Mapping[str, Any]) -> Self:
        return cls(name, parse_file_options(name, options, kind="mbox"))

    def folders(self) -> dict[str, Path]:
        """The folders this source reads (after the ``folders`` option), by name."""
        root = self.options.path
        if not root.exists():
            raise SourceConfigError(self.name, f"path {str(root)!r} does not exist")
        found = find_mbox_folders(root)
        return {k: v for k, v in found.items() if self.options.wants(k)}

    def sync(self, checkpoints: Mapping[str, str]) -> Iterator[MailBatch]:
        """Yield each folder's new messages in batches; unchanged files cost one stat."""
        if self._closed:
            raise ConnectorError(self.name, "the source is closed")
        yield from sync_folders(
            self.name,
            self.options,
            self.folders(),
            checkpoints,
            self._sync_folder,
            find_mbox_folders,
        )

    def unchanged(self, checkpoints: Mapping[str, str]) -> bool:
        """True when ``sync(checkpoints)`` would yield nothing: every file's size and
        mtime as its checkpoint recorded (one stat each), every configured folder there.
        False says only that a sync must look (followup.quiet_run)."""
        if self._closed:
            return False
        folders = self.folders()
        if self.options.lacks_folder(folders):
            return False
        for folder, path in folders.items():
            parsed = _parse_checkpoint(checkpoints.get(folder, ""))
            try:  # opened as sync opens it: an unreadable file is reported there
                with path.open("rb") as f:
                    st = os.fstat(f.fileno())
            except OSError:
                return False
            if parsed is None or parsed[:2] != (st.st_size, st.st_mtime_ns):
                return False
        return True

    def _sync_folder(self, folder: str, path: Path, checkpoint: str) -> Iterator[MailBatch]:
        role = self.options.role(folder)
        try:
            f = path.open("rb")
        except OSError as e:
            skip = Skipped(folder, "", f"unreadable file: {e.strerror}")
            yield MailBatch(folder, role, (), (skip,), checkpoint)
            return
        with f:
            st = os.fstat(f.fileno())
            size, mtime_ns = st.st_size, st.st_mtime_ns
            start = self._resume_offset(f, checkpoint, size, mtime_ns)
            if start is None:
                logger.debug("%s/%s: unchanged", self.name, folder)
                return
            f.seek(0)
            if start == 0 and size and not _FROM_LINE.match(f.read(1024)):
                reason = "not an mbox file (it does not start with a 'From ' line)"
                # Checkpointed, so the skip is reported again only once the file changes.
                done = _checkpoint(f, size, mtime_ns)
                yield MailBatch(folder, role, (), (Skipped(folder, "", reason),), done, 1)
                return
            logger.debug("%s/%s: reading from offset %d of %d", self.name, folder, start, size)
            state = {"offset": start}
            items = self._items(f, folder, role, start, size, state)
            # A second handle: the checkpoint's tail hash must not move the reading one.
            with path.open("rb") as g:
                out = batches(
                    folder,
                    role,
                    items,
                    lambda done: _checkpoint(g, size if done else state["offset"], mtime_ns),
                    size=self.batch_size,
                )
                if start == 0 and _was_read_before(checkpoint):
                    out = _relisted(out, path, (size, mtime_ns), self.options.since)
                yield from out

    def _resume_offset(self, f: BinaryIO, checkpoint: str, size: int, mtime_ns: int) -> int | None:
        """Where to start reading: None if unchanged, the old end if only appended to, else 0."""
        parsed = _parse_checkpoint(checkpoint)
        if parsed is None:
            return 0
        offset, old_mtime, tail = parsed
        if offset == size and old_mtime == mtime_ns:
            return None
        if offset > size or _tail_hash(f, offset) != tail:
            return 0  # rewritten (a message deleted, flags changed): read it all again
        if offset == size:
            return None  # touched, same bytes
        f.seek(offset)
        if not _FROM_LINE.match(f.readline()):
            return 0
        return offset

    def _items(
        self,
        f: BinaryIO,
        folder: str,
        role: FolderRole,
        start: int,
        size: int,
        state: dict[str, int],
    ) -> Iterator[MailRecord | Skipped | None]:
        # The parser only when there is mail to read: an unchanged file costs a stat.
        from connectors.mime import parse_date, parse_message

        seen_uids: dict[str, int] = {}
        since = self.options.since
        for offset, next_offset, from_line, raw in read_messages(f, start, size):
            fallback = parse_date(from_line[5:].decode("latin-1").split(None, 1)[-1])
            result = parse_message(
                raw,
                source=self.name,
                folder=folder,
                role=role,
                uid=f"o{offset}",
                fallback_date=fallback,
                max_excerpt=self.options.max_excerpt,
            )
            # The checkpoint may move past this message once the caller has it.
            state["offset"] = next_offset
            if isinstance(result, MailRecord):
                uid = _uid(result.message_id)
                n = seen_uids.get(uid, 0)
                seen_uids[uid] = n + 1
                if n:
                    uid = f"{uid}-{n + 1}"
                size_real = next_offset - offset - len(from_line)
                result = dataclasses.replace(result, uid=uid, size=size_real)
                if since is not None and result.date < since:
                    yield None
                    continue
            yield result

    def close(self) -> None:
        """Nothing to release (files are opened per sync); a later sync raises."""
        self._closed = True


if TYPE_CHECKING:  # mypy checks the class against the contract (connectors.base)
    from connectors.base import MailSourceClass

    _CONTRACT: MailSourceClass = MboxSource
