"""IMAP mail read in a child process, so reading and storing use two cores at once.

``followup sync`` starts one child per IMAP account (``MailChildren.start``) as soon as
it holds the cycle lock, before it imports and opens the store: the child's start-up,
connection and login overlap the parent's. A ``ChildMailSource`` is a ``MailSource``
whose ``sync`` sends the checkpoints to its child and yields the batches it sends back;
the child keeps up to ``source_child.READ_AHEAD`` batches queued, so it fetches and
parses while the parent writes.

The parent alone commits, each batch with its checkpoint, so a crash of either process
continues from the last stored batch. A connector error in the child comes back as its
class, text and retryable flag and is raised here as the same error: the CLI prints the
same line and exits with the same code as when the source runs in-process. A child that
dies mid-sync is one retryable error. The protocol is in ``followup.source_child``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import IO, Any

from connectors.errors import AuthError, ConnectorError, SourceConfigError
from connectors.records import MailBatch
from followup.child_pipes import end_child, read_frame, write_frame
from followup.config import SourceSettings

logger = logging.getLogger(__name__)

CHILD_KINDS = frozenset({"imap"})
"""The mail kinds read in a child: network sources, whose reading is the sync's bulk."""

_ERRORS: dict[str, type[ConnectorError]] = {
    c.__name__: c for c in (ConnectorError, AuthError, SourceConfigError)
}
# A pipe this big holds a batch or two: fewer wake-ups on both sides (Linux; the
# default elsewhere).
PIPE_BYTES = 1 << 20


def _widen(stream: IO[bytes]) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


class ChildMailSource:
    """A mail source read by a child process (see the module docstring).

    Its batches come ``prepared``: their records made by ``connectors.mime.build_record``
    (so sanitised) and their excerpts cut to the writer's own text, both in the child.
    """

    prepared = True

    def __init__(
        self,
        settings: SourceSettings,
        *,
        log_level: int,
        checkpoints: Mapping[str, str] | None = None,
    ) -> None:
        """Start the child. ``checkpoints``, when already known (a store not yet
        created has none), are sent at once, so the child starts reading at once."""
        self.name = settings.name
        self._closed = False
        self._synced = False
        self._process = subprocess.Popen(
            [sys.executable, "-P", "-O", "-m", "followup.source_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # Its tracebacks (a bug) on the terminal only when debugging.
            stderr=None if log_level <= logging.DEBUG else subprocess.DEVNULL,
            close_fds=True,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        _widen(self._process.stdout)
        # The job, secrets' commands included, goes on stdin: never argv or environment.
        job = {
            "name": settings.name,
            "kind": settings.kind,
            "options": dict(settings.options),
            "log_level": log_level,
        }
        self._sent = None if checkpoints is None else dict(checkpoints)
        try:
            write_frame(self._process.stdin, job)
            if self._sent is not None:
                write_frame(self._process.stdin, self._sent)
        except OSError:
            logger.debug("the mail reader for %s did not start", self.name, exc_info=True)

    def __repr__(self) -> str:
        return f"ChildMailSource({self.name!r}, pid {self._process.pid})"

    @property
    def pid(self) -> int:
        return self._process.pid

    def sync(self, checkpoints: Mapping[str, str]) -> Iterator[MailBatch]:
        """As ``MailSource.sync``; once per child."""
        if self._closed or self._synced:
            raise ConnectorError(self.name, "the source is closed")
        self._synced = True
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        if self._sent is None:
            with contextlib.suppress(OSError):  # a child gone: its end is reported below
                write_frame(stdin, dict(checkpoints))
        elif self._sent != dict(checkpoints):  # the store held by our lock: never
            raise ConnectorError(self.name, "the store changed as the sync began: try again")
        while (frame := read_frame(stdout)) is not None:
            kind = frame[0]
            if kind == "batch":
                yield frame[1]
            elif kind == "log":
                _name, level, text = frame[1:]
                logging.getLogger(_name).log(level, "%s", text)
            elif kind == "done":
                return
            elif kind == "error":
                cls_name, source, message, retryable = frame[1:]
                raise _ERRORS.get(cls_name, ConnectorError)(source, message, retryable=retryable)
            elif kind == "oserror":
                raise OSError(frame[1])
        raise self._died()

    def _died(self) -> ConnectorError:
        code = self._process.wait()
        how = f"was killed (signal {-code})" if code < 0 else f"exited ({code})"
        return ConnectorError(
            self.name,
            f"the mail reader process {how} before the sync finished: try again; "
            "the next run resumes after the last saved batch",
            retryable=True,
        )

    def close(self) -> None:
        """Close the job pipe, which ends the child; harmless twice."""
        if self._closed:
            return
        self._closed = True
        stdin = self._process.stdin
        if stdin is not None:
            with contextlib.suppress(OSError):
                stdin.close()
        # Not waited for long: it exits on the closed pipe; a stuck one is killed.
        end_child(self._process, timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()


class MailChildren:
    """The children started for a sync, one per IMAP account, taken by ``opener``."""

    def __init__(self) -> None:
        self._started: dict[str, ChildMailSource] = {}

    def start(
        self,
        mail: Sequence[SourceSettings],
        *,
        only: str | None,
        since: Any,
        new_store: bool = False,
    ) -> None:
        """Start a child for each IMAP account synced. ``new_store``: the store does not
        exist yet (the caller holds the lock), so there are no checkpoints to wait for."""
        level = logging.getLogger().getEffectiveLevel()
        checkpoints: dict[str, str] | None = {} if new_store else None
        for settings in mail:
            if settings.kind in CHILD_KINDS and only in (None, settings.name):
                if since:
                    settings = replace(settings, options={**settings.options, "since": since})
                self._started[settings.name] = ChildMailSource(
                    settings, log_level=level, checkpoints=checkpoints
                )

    def opener(self, settings: SourceSettings) -> Any:
        """The child started for ``settings``' source, else the source opened here."""
        child = self._started.pop(settings.name, None)
        if child is not None:
            return child
        from followup.sync import open_mail_source

        return open_mail_source(settings)

    def close(self) -> None:
        """End the children no sync took (the sync closes those it took)."""
        for child in self._started.values():
            child.close()
        self._started.clear()

    def __enter__(self) -> MailChildren:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
