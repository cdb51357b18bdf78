"""Maildir as a mail source: a Maildir++ tree or a directory of Maildirs.

Layouts accepted for ``path``:

- a Maildir++ tree (Dovecot, Courier): ``path`` itself is a Maildir and is the INBOX,
  its ``.Sent``, ``.Archive.2023``... subdirectories are folders ``Sent``, ``Archive/2023``;
- a directory of Maildirs (offlineimap, mbsync, isync): every Maildir below ``path`` is
  a folder named by its relative path (``INBOX``, ``Sent``, ``Archive/2023``).

The directory is listed with ``os.scandir`` rather than ``mailbox.Maildir``, which
caches listings for two seconds and offers no ctime. A message's uid is its unique name
without the ``:2,FLAGS`` suffix, so flag changes and the new/ -> cur/ move keep the uid.

The checkpoint holds the number of messages, a hash of their uids and the newest inode
change time (ctime) seen, and the mtimes of new/ and cur/ where they were settled
when listed. An unchanged folder costs two stat calls (the directories' mtimes are as
recorded: no file was added, removed or renamed; Maildir never rewrites a file in
place), else one directory listing. When it
changed, only files whose ctime is not older than that are read: delivery, a move from
another folder and a flag change all set the ctime (POSIX rename semantics). Elsewhere
(Windows, where ctime is the creation time) a changed folder is read again in full.
A changed folder's first batch also lists every uid it holds, so the store drops the
messages whose files are gone; unless the files not changed after that ctime hash as
the checkpoint's listing did: every file it held is still there untouched, so nothing
went (new mail alone costs no listing, nor the store a read of the folder's uids).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Self

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
from connectors.mbox import MAX_MESSAGE_READ
from connectors.records import FolderListing, FolderRole, MailBatch, MailRecord, Skipped

logger = logging.getLogger(__name__)

_CHECKPOINT_VERSION = "maildir1"
_INCREMENTAL = os.name == "posix"
_MAX_DEPTH = 6
# How long before a look a directory's mtime must be for the checkpoint to trust it.
QUIET_NS = 2_000_000_000


class _Entry(NamedTuple):
    uid: str
    path: str
    mtime_ns: int
    ctime_ns: int


def is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def find_maildir_folders(root: Path) -> dict[str, Path]:
    """Folder name -> Maildir directory, for either accepted layout."""
    if is_maildir(root):
        folders = {"INBOX": root}
        for entry in sorted(os.scandir(root), key=lambda e: e.name):
            if entry.name.startswith(".") and entry.name not in (".", "..") and entry.is_dir():
                sub = Path(entry.path)
                if is_maildir(sub):
                    folders.setdefault(text_key(entry.name[1:].replace(".", "/")), sub)
        return folders
    folders = {}
    for dirpath, dirnames, _files in os.walk(root):
        here = Path(dirpath)
        depth = len(here.relative_to(root).parts)
        if here != root and is_maildir(here):
            rel = text_key("/".join(here.relative_to(root).parts))
            folders.setdefault(rel, here)
            # Maildir++ subfolders of a nested Maildir are folders too; cur/new/tmp are not.
            for d in sorted(dirnames):
                if d.startswith(".") and is_maildir(here / d):
                    folders.setdefault(text_key(f"{rel}/{d[1:].replace('.', '/')}"), here / d)
            dirnames[:] = []
        elif depth < _MAX_DEPTH:
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        else:
            dirnames[:] = []
    return folders


def _list(folder: Path) -> list[_Entry]:
    entries: list[_Entry] = []
    for sub in ("new", "cur"):
        try:
            it = os.scandir(folder / sub)
        except FileNotFoundError:
            continue
        with it:
            for e in it:
                if e.name.startswith("."):
                    continue
                try:
                    st = e.stat()
                except FileNotFoundError:  # renamed by a mail client while listing
                    continue
                uid = text_key(e.name.split(":", 1)[0])
                entries.append(_Entry(uid, e.path, st.st_mtime_ns, st.st_ctime_ns))
    return entries


def _state(entries: list[_Entry]) -> tuple[int, str, int]:
    h = hashlib.sha1(usedforsecurity=False)
    for uid in sorted(e.uid for e in entries):
        h.update(uid.encode("utf-8", "surrogateescape"))
        h.update(b"\n")
    newest = max((e.ctime_ns for e in entries), default=0)
    return len(entries), h.hexdigest()[:20], newest


def _parse_checkpoint(value: str) -> tuple[str, str, int] | None:
    parts = value.split()
    if len(parts) not in (4, 6) or parts[0] != _CHECKPOINT_VERSION:
        return None
    try:
        return parts[1], parts[2], int(parts[3])
    except ValueError:
        return None


def _checkpoint_dirs(value: str) -> tuple[int, int] | None:
    """The new/ and cur/ mtimes a checkpoint recorded (its optional last two fields)."""
    parts = value.split()
    if len(parts) != 6 or parts[0] != _CHECKPOINT_VERSION:
        return None
    try:
        return int(parts[4]), int(parts[5])
    except ValueError:
        return None


def _dir_mtimes(folder: Path) -> tuple[int, int] | None:
    try:
        return tuple(os.stat(folder / sub).st_mtime_ns for sub in ("new", "cur"))  # type: ignore[return-value]
    except OSError:
        return None


def _settled(dirs: tuple[int, int] | None, checkpoint: str) -> bool:
    """No file came, went or was renamed (a flag change) in new/ or cur/ since the
    listing that recorded these mtimes: the folder is as it was then."""
    return _INCREMENTAL and dirs is not None and dirs == _checkpoint_dirs(checkpoint)


def _read(entry: _Entry, folder_path: Path) -> bytes | None:
    """The message's first MAX_MESSAGE_READ bytes; None if it vanished (deleted)."""
    try:
        with open(entry.path, "rb") as f:
            return f.read(MAX_MESSAGE_READ)
    except FileNotFoundError:
        # A flag change renamed it since the listing: look it up again by its uid.
        for sub in ("cur", "new"):
            try:
                names = os.listdir(folder_path / sub)
            except FileNotFoundError:
                continue
            for name in names:
                if text_key(name.split(":", 1)[0]) == entry.uid:
                    with open(folder_path / sub / name, "rb") as f:
                        return f.read(MAX_MESSAGE_READ)
        return None


# -- deletions ---------------------------------------------------------------------------


def _folder_listing(path: Path, entries: list[_Entry]) -> FolderListing | None:
    """The folder's uids for mirroring deletions, or None if it cannot be listed whole.

    A flag change renames a file while the directory is read, and a rename can hide a
    file from ``readdir`` altogether; so a second listing (names only) is added to the
    first: a file counts as gone only when both listings miss it. A folder whose cur/
    or new/ went missing lists nothing rather than everything as deleted.
    """
    if not is_maildir(path):
        return None
    uids = {e.uid for e in entries}
    for sub in ("new", "cur"):  # new/ first: a message moves from new/ to cur/
        try:
            names = os.listdir(path / sub)
        except FileNotFoundError:
            return None
        uids.update(n.split(":", 1)[0] for n in names if not n.startswith("."))
    return FolderListing(frozenset(uids))


def _with_listing(out: Iterator[MailBatch], listing: FolderListing | None) -> Iterator[MailBatch]:
    """The batches, the first carrying ``listing``: it is complete before any is read."""
    for index, batch in enumerate(out):
        yield dataclasses.replace(batch, listing=listing) if index == 0 else batch


class MaildirSource:
    """Mail from Maildirs. Config: ``path``, ``sent``, ``archive`` (folder names),
    ``folders`` (restrict), ``since``, ``max_excerpt``."""

    kind: ClassVar[str] = "maildir"
    KEYS: ClassVar[frozenset[str]] = FILE_KEYS

    def __init__(self, name: str, options: FileOptions, *, batch_size: int = BATCH_SIZE) -> None:
        self.name = name
        self.options = options
        self.batch_size = batch_size
        self._closed = False

    @classmethod
    def from_config(cls, name: str, options: Mapping[str, Any]) -> Self:
        opts = parse_file_options(name, options, kind="maildir")
        if not opts.path.is_dir():
            raise SourceConfigError(name, f"path {str(opts.path)!r} is not a directory")
        if not find_maildir_folders(opts.path):
            raise SourceConfigError(
                name,
                f"path {str(opts.path)!r} is not a Maildir (no cur/ and new/) "
                "and holds no Maildir folders",
            )
        return cls(name, opts)

    def folders(self) -> dict[str, Path]:
        root = self.options.path
        if not root.is_dir():
            raise SourceConfigError(self.name, f"path {str(root)!r} is not a directory")
        return {k: v for k, v in find_maildir_folders(root).items() if self.options.wants(k)}

    def sync(self, checkpoints: Mapping[str, str]) -> Iterator[MailBatch]:
        """Yield each folder's new or changed messages in batches of at most 500."""
        if self._closed:
            raise ConnectorError(self.name, "the source is closed")
        yield from sync_folders(
            self.name,
            self.options,
            self.folders(),
            checkpoints,
            self._sync_folder,
            find_maildir_folders,
        )

    def unchanged(self, checkpoints: Mapping[str, str]) -> bool:
        """True when ``sync(checkpoints)`` would yield nothing: every folder settled as
        its checkpoint says (two stat calls each), and every configured folder there.
        False says only that a sync must look (followup.quiet_run)."""
        if self._closed:
            return False
        folders = self.folders()
        if self.options.lacks_folder(folders):
            return False
        return all(_settled(_dir_mtimes(p), checkpoints.get(f, "")) for f, p in folders.items())

    def _sync_folder(self, folder: str, path: Path, checkpoint: str) -> Iterator[MailBatch]:
        role = self.options.role(folder)
        looked = time.time_ns()
        dirs = _dir_mtimes(path)
        if _settled(dirs, checkpoint):
            logger.debug("%s/%s: unchanged (directories)", self.name, folder)
            return
        entries = _list(path)
        count, digest, newest = _state(entries)
        final = f"{_CHECKPOINT_VERSION} {count} {digest} {newest}"
        # The mtimes are recorded only when older than this look by QUIET_NS: a change
        # in the same timestamp tick as the look would leave them as they were.
        quiet = _INCREMENTAL and dirs is not None and max(dirs) < looked - QUIET_NS
        if quiet and dirs is not None:
            final += f" {dirs[0]} {dirs[1]}"
        old = _parse_checkpoint(checkpoint)
        if old is not None and old[:2] == (str(count), digest) and old[2] == newest:
            logger.debug("%s/%s: unchanged", self.name, folder)
            if final != checkpoint:  # the same listing, now with quiet directories
                yield MailBatch(folder, role, checkpoint=final)
            return
        # Changed since a checkpoint: files may be gone too (deleted, moved elsewhere).
        listing = None
        if old is not None and _INCREMENTAL:
            # Not older than the newest change already read: ctimes can tie.
            fresh = [e for e in entries if e.ctime_ns >= old[2]]
            # The files unchanged since the checkpoint's newest change (a tie may be
            # either): when their uids hash as its listing's did, every file it held is
            # still here, so nothing went and new mail alone costs no listing.
            untouched = [e for e in entries if e.ctime_ns <= old[2]]
            kept, kept_digest, _ = _state(untouched)
            if (str(kept), kept_digest) != old[:2]:
                listing = _folder_listing(path, entries)
            entries = fresh
        elif old is not None:
            listing = _folder_listing(path, entries)
        entries.sort(key=lambda e: (e.ctime_ns, e.uid))
        logger.debug("%s/%s: reading %d messages", self.name, folder, len(entries))
        progress = {"ctime": old[2] if old is not None else 0}

        def checkpoint_after(done: bool) -> str:
            if done:
                return final
            # Mid-folder: never matches the listing, so the next run resumes from here.
            return f"{_CHECKPOINT_VERSION} - - {progress['ctime']}"

        items = self._items(folder, path, role, entries, progress)
        out = batches(
            folder, role, items, checkpoint_after, size=self.batch_size, total=len(entries)
        )
        yield from _with_listing(out, listing)

    def _items(
        self,
        folder: str,
        path: Path,
        role: FolderRole,
        entries: list[_Entry],
        progress: dict[str, int],
    ) -> Iterator[MailRecord | Skipped | None]:
        # The parser only when there is mail to read: a settled folder costs two stats.
        from connectors.mime import parse_message

        since = self.options.since
        for entry in entries:
            progress["ctime"] = entry.ctime_ns
            try:
                raw = _read(entry, path)
            except OSError as e:
                yield Skipped(folder, entry.uid, f"unreadable file: {e.strerror or e}")
                continue
            if raw is None:  # deleted since the listing
                yield None
                continue
            result = parse_message(
                raw,
                source=self.name,
                folder=folder,
                role=role,
                uid=entry.uid,
                fallback_date=datetime.fromtimestamp(entry.mtime_ns / 1e9, UTC),
                max_excerpt=self.options.max_excerpt,
            )
            if isinstance(result, MailRecord):
                if len(raw) == MAX_MESSAGE_READ:  # cut: record the real size
                    with contextlib.suppress(OSError):
                        result = dataclasses.replace(result, size=os.path.getsize(entry.path))
                if since is not None and result.date < since:
                    yield None
                    continue
            yield result

    def close(self) -> None:
        """Nothing to release (files are opened per sync); a later sync raises."""
        self._closed = True


if TYPE_CHECKING:  # mypy checks the class against the contract (connectors.base)
    from connectors.base import MailSourceClass

    _CONTRACT: MailSourceClass = MaildirSource
