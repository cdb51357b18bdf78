"""The mail reader's child process: one mail source read here, its batches sent up a pipe.

Started by ``followup.source_process`` as ``python -P -O -m followup.source_child``.
Everything it is told comes on stdin (the source's options, secrets' commands included,
never on the command line or in the environment); everything it says goes to stdout as
length-prefixed pickles (``frame``): log lines, batches, then ``done`` or one error.

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

import logging
import os
import pickle
import signal
import struct
import sys
import threading
from typing import IO, Any

HEADER = struct.Struct(">I")


def read_frame(stream: IO[bytes]) -> Any:
    """The next pickled frame of ``stream``; None at its end (or a cut-off frame)."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    body = stream.read(size)
    if len(body) < size:
        return None
    return pickle.loads(body)


def write_frame(stream: IO[bytes], value: Any) -> None:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(body)) + body)
    stream.flush()


class _PipeHandler(logging.Handler):
    """Log records go up the pipe, formatted here, as ("log", logger, level, text)."""

    def __init__(self, out: IO[bytes], lock: threading.Lock) -> None:
        super().__init__()
        self.out = out
        self.frame_lock = lock

    def emit(self, record: logging.LogRecord) -> None:
        try:
            with self.frame_lock:
                write_frame(self.out, ("log", record.name, record.levelno, record.getMessage()))
        except Exception:  # the parent is gone: the watcher ends us
            pass


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
    lock = threading.Lock()
    root = logging.getLogger()
    root.setLevel(job["log_level"])
    root.addHandler(_PipeHandler(out, lock))

    def send(value: Any) -> None:
        with lock:
            write_frame(out, value)

    from connectors import mail_source_class
    from connectors.errors import AuthError, ConnectorError, SourceConfigError

    name = job["name"]
    try:
        try:
            source = mail_source_class(job["kind"]).from_config(name, job["options"])
            checkpoints = read_frame(stdin)
            if checkpoints is None:
                return
            threading.Thread(target=_exit_when_closed, args=(stdin,), daemon=True).start()
            from followup.own_text import own_text_only

            try:
                for batch in source.sync(checkpoints):
                    send(("batch", own_text_only(batch)))
            finally:
                source.close()
        except ConnectorError as e:
            kind = next(c.__name__ for c in (SourceConfigError, AuthError, ConnectorError)
                        if isinstance(e, c))  # fmt: skip
            send(("error", kind, e.source, e.message, e.retryable))
            return
        except OSError as e:  # as sync reports it in-process
            send(("oserror", e.strerror or str(e)))
            return
        except Exception as e:
            logging.getLogger(__name__).debug("the mail reader failed", exc_info=True)
            send(("error", "ConnectorError", name, f"unexpected error: {type(e).__name__}", False))
            return
        send(("done",))
    except BrokenPipeError:  # the parent is gone
        os._exit(0)


if __name__ == "__main__":
    main()
