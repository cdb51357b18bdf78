"""What the run's child processes (source_child, analysis_worker) and their parents
say to each other: length-prefixed pickles over the child's own stdin and stdout, and
how a child is ended. Light at import: the children start with it."""

from __future__ import annotations

import pickle
import struct
import subprocess
from typing import IO, Any

HEADER = struct.Struct(">I")


def frame(value: Any) -> bytes:
    """``value`` as one frame: its pickle's length, then the pickle."""
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body)) + body


def write_frame(stream: IO[bytes], value: Any) -> None:
    stream.write(frame(value))
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """The next pickled frame of ``stream``; None at its end (or a cut-off frame).
    Frames come only from this program's own child or parent, over their own pipes."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    body = stream.read(size)
    if len(body) < size:
        return None
    return pickle.loads(body)


def end_child(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait ``timeout`` seconds for a child whose job pipe was closed (it exits on
    that), then kill it."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
