"""The mail reader's child process: one mail source read here, its batches sent up a pipe.

Started by ``followup.source_process`` as ``python -P -O -m followup.source_child``.
Everything it is told comes on stdin (the source's options, secrets' commands included,
never on the command line or in the environment); everything it says goes to stdout as
length-prefixed pickles (``child_pipes``): log lines, batches, then ``done`` or one error.

It reads the source's options first and connects while the parent still imports its
store; then it waits for the checkpoints the parent read from the store. It cuts each
batch's excerpts to the writer's own text (``followup.own_text``) before sending, which
the parent would do otherwise: the two cores share the work.

SIGINT and SIGTERM are ignored: the parent handles them and, when it exits however it
exits, closes stdin, which ends this process (a thread watches for it), so no reader
outlives its sync. ``-O`` drops imaplib's debug bookkeeping, which formats every line
the server sends.
"""

from __future__ import annotations

import copyreg
import dataclasses
import logging
import operator
import os
import queue
import signal
import sys
import threading
from typing import IO, Any

from followup.child_pipes import frame, read_frame

READ_AHEAD = 8
"""Frames queued in the child while the parent stores: the read-ahead."""


def _pickle_as_fields() -> None:
    """Pickle records and addresses as their class and field values (the class called
    on load): half the cost, both sides, of the dataclasses' own state functions."""
    from connectors.records import Address, MailRecord

    for cls in (MailRecord, Address):
        fields = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))

        def reduce(obj: Any, cls: type = cls, fields: Any = fields) -> tuple[type, tuple[Any, ...]]:
            return cls, fields(obj)

        copyreg.pickle(cls, reduce)


class _Sender:
    """Frames go out from a thread of their own, up to ``READ_AHEAD`` of them queued.

    The writing thread makes one blocking ``write`` per frame (the GIL released for all
    of it) while the main thread goes on fetching and parsing; the parent then reads the
    frames in its main thread. (A reading thread on the parent's side would wake, and
    wait for the GIL, for every pipe-full of each frame: slower than not reading ahead.)
    """

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.queue: queue.Queue[bytes | None] = queue.Queue(READ_AHEAD)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def send(self, value: Any) -> None:
        self.queue.put(frame(value))

    def _run(self) -> None:
        fd = self.out.fileno()
        while (data := self.queue.get()) is not None:
            view = memoryview(data)
            try:
                while view:
                    view = view[os.write(fd, view) :]
            except OSError:  # the parent is gone
                os._exit(0)

    def finish(self) -> None:
        self.queue.put(None)
        self.thread.join()


class _PipeHandler(logging.Handler):
    """Log records go up the pipe, formatted here, as ("log", logger, level, text)."""

    def __init__(self, sender: _Sender) -> None:
        super().__init__()
        self.sender = sender

    def emit(self, record: logging.LogRecord) -> None:
        self.sender.send(("log", record.name, record.levelno, record.getMessage()))


def _exit_when_closed(stdin: IO[bytes]) -> None:
    """End the process once the parent closes the job pipe (or dies)."""
    while stdin.read(65536):
        pass
    os._exit(0)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stdin, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the frames
    job = read_frame(stdin)
    if job is None:
        return
    _pickle_as_fields()
    sender = _Sender(out)
    send = sender.send
    root = logging.getLogger()
    root.setLevel(job["log_level"])
    root.addHandler(_PipeHandler(sender))

    from connectors import mail_source_class
    from connectors.errors import AuthError, ConnectorError, SourceConfigError

    name = job["name"]
    try:
        source = mail_source_class(job["kind"]).from_config(name, job["options"])
        checkpoints = read_frame(stdin)
        if checkpoints is None:
            return
        threading.Thread(target=_exit_when_closed, args=(stdin,), daemon=True).start()
        from followup.gc_budget import fewer_collections
        from followup.own_text import own_text_only

        with fewer_collections():
            for batch in source.sync(checkpoints):
                send(("batch", own_text_only(batch)))
        send(("done",))
    except ConnectorError as e:
        kind = next(c.__name__ for c in (SourceConfigError, AuthError, ConnectorError)
                    if isinstance(e, c))  # fmt: skip
        send(("error", kind, e.source, e.message, e.retryable))
    except OSError as e:  # as sync reports it in-process
        send(("oserror", e.strerror or str(e)))
    except Exception as e:
        logging.getLogger(__name__).debug("the mail reader failed", exc_info=True)
        send(("error", "ConnectorError", name, f"unexpected error: {type(e).__name__}", False))
    finally:
        sender.finish()
        # Done: no interpreter teardown (freeing every object) keeps the parent waiting.
        os._exit(0)


if __name__ == "__main__":
    main()
