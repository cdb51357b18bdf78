"""Options shared by the file-based mail sources (Maildir, mbox), validated in one place."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from connectors.errors import SourceConfigError
from connectors.folders import guess_role
from connectors.records import FolderRole, MailBatch, MailRecord, Skipped

FILE_KEYS = frozenset({"path", "sent", "archive", "folders", "since", "max_excerpt"})
DEFAULT_MAX_EXCERPT = 4096
BATCH_SIZE = 500


def text_key(name: str) -> str:
    """A file name as text that any database stores: unchanged when it is valid UTF-8.

    ``os.scandir`` gives names that are not UTF-8 with surrogate escapes (PEP 383), which
    no UTF-8 encoder accepts; their undecodable bytes become ``\\xNN`` here, the same on
    every run, so uids and folder names stay stable. The file is still opened by its
    real name.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = name.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate no file system decoder makes
            raw = name.encode("utf-8", "surrogatepass")
        return raw.decode("utf-8", "backslashreplace")
    return name


@dataclass(frozen=True, slots=True)
class FileOptions:
    path: Path
    sent: tuple[str, ...] | None = None
    archive: tuple[str, ...] | None = None
    folders: tuple[str, ...] | None = None
    since: datetime | None = None
    max_excerpt: int = DEFAULT_MAX_EXCERPT

    def lacks_folder(self, found: Mapping[str, Path]) -> bool:
        """Whether a configured folder is not among ``found`` (a quiet-run check
        cannot vouch for a folder it cannot see: the sync reports it)."""
        if not self.folders:
            return False
        have = {k.casefold() for k in found}
        return any(f.casefold() not in have for f in self.folders)

    def role(self, folder: str) -> FolderRole:
        return guess_role(folder, self.sent, self.archive)

    def wants(self, folder: str) -> bool:
        return self.folders is None or folder.casefold() in {f.casefold() for f in self.folders}


def parse_since(value: Any) -> datetime | None:
    """A ``since`` option (TOML date or datetime, ISO string) as aware UTC; ValueError if bad."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return parse_since(parsed)
    raise ValueError(f"expected a date like 2024-01-01, got {value!r}")


def since_date(value: Any) -> date:
    """A server-side ``since`` option (IMAP SEARCH SINCE, Gmail's dates) as a day;
    ValueError if bad."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value.strip())
    raise ValueError(value)


def _names(value: Any, key: str, problems: list[str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        problems.append(f'{key} must be a list of folder names, e.g. {key} = ["Sent"]')
        return None
    return tuple(value)


def parse_file_options(name: str, options: Mapping[str, Any], *, kind: str) -> FileOptions:
    """Validate a Maildir/mbox source's options; SourceConfigError lists every problem.

    ``path`` must exist (``~`` is expanded). Unknown keys are problems too, so a typo in
    a key name is not silently ignored.
    """
    problems: list[str] = []
    for key in options:
        if key not in FILE_KEYS and key not in ("name", "kind"):
            problems.append(f"unknown key {key!r}; known: {', '.join(sorted(FILE_KEYS))}")
    raw_path = options.get("path")
    path = Path()
    if not isinstance(raw_path, str | Path) or not str(raw_path).strip():
        example = "~/Maildir" if kind == "maildir" else "~/mail/archive.mbox"
        problems.append(f'missing path = "..." (the {kind} to read, e.g. "{example}")')
    else:
        path = Path(raw_path).expanduser()
        if not path.exists():
            problems.append(f"path {str(path)!r} does not exist")
    sent = _names(options.get("sent"), "sent", problems)
    archive = _names(options.get("archive"), "archive", problems)
    folders = _names(options.get("folders"), "folders", problems)
    since = None
    try:
        since = parse_since(options.get("since"))
    except (ValueError, TypeError) as e:
        problems.append(f"since: {e}")
    max_excerpt = options.get("max_excerpt", DEFAULT_MAX_EXCERPT)
    if isinstance(max_excerpt, bool) or not isinstance(max_excerpt, int) or max_excerpt < 0:
        problems.append(
            f"max_excerpt must be a whole number of characters >= 0, not {max_excerpt!r}"
        )
        max_excerpt = DEFAULT_MAX_EXCERPT
    if problems:
        raise SourceConfigError(name, "\n".join(problems))
    return FileOptions(path, sent, archive, folders, since, max_excerpt)


def batches(
    folder: str,
    role: FolderRole,
    items: Iterable[MailRecord | Skipped | None],
    checkpoint: Callable[[bool], str],
    *,
    size: int = BATCH_SIZE,
    total: int = 0,
) -> Iterator[MailBatch]:
    """Group a folder's parse results into MailBatches of at most ``size`` records.

    ``None`` in ``items`` stands for a message looked at but not kept (older than
    ``since``). ``checkpoint(done)`` gives the checkpoint valid once everything consumed
    so far is committed (``done``: the folder was read to the end). The last batch is
    always yielded, even empty, so the folder's final checkpoint is committed.
    """
    records: list[MailRecord] = []
    skipped: list[Skipped] = []
    seen = 0
    for item in items:
        seen += 1
        if isinstance(item, MailRecord):
            records.append(item)
        elif isinstance(item, Skipped):
            skipped.append(item)
        if len(records) + len(skipped) >= size:
            yield MailBatch(
                folder, role, tuple(records), tuple(skipped), checkpoint(False), seen, total=total
            )
            records, skipped, seen = [], [], 0
    yield MailBatch(
        folder, role, tuple(records), tuple(skipped), checkpoint(True), seen, total=total
    )


def sync_folders(
    source: str,
    options: FileOptions,
    folders: Mapping[str, Path],
    checkpoints: Mapping[str, str],
    sync_folder: Callable[[str, Path, str], Iterator[MailBatch]],
    find_folders: Callable[[Path], Mapping[str, Path]],
) -> Iterator[MailBatch]:
    """Sync each folder from its checkpoint; then fail on a configured folder that is
    not there, so the others are synced first."""
    for folder, path in folders.items():
        yield from sync_folder(folder, path, checkpoints.get(folder, ""))
    if options.folders:
        have = {k.casefold() for k in folders}
        missing = [f for f in options.folders if f.casefold() not in have]
        if missing:
            raise SourceConfigError(
                source,
                f"folder {missing[0]!r} not found in {str(options.path)!r}; "
                f"found: {', '.join(find_folders(options.path)) or 'none'}",
            )
