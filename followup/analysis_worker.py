"""The child of followup.analysis_process: loads the pipeline, then analyses what its
parent sends until its stdin closes (the parent is done, or gone).

It answers with the exception's class only when the pipeline fails: the text of an
exception may quote the mail. SIGINT is the parent's to handle (Ctrl-C reaches the
whole process group): the child ends when its parent closes the pipe.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from followup.analysis_process import receive
from followup.child_pipes import write_frame
from followup.gc_budget import fewer_collections


# The pipeline makes many small objects per text, all kept until its answer is out:
# collections at the default threshold were 6% of the analysis.
@fewer_collections()
def main(prefer: str, identity_cache: Path | None = None) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Nothing else may write to the answers' stream.
    sys.stdout = sys.stderr
    try:
        import nlp

        pipe = nlp.load_pipeline(prefer, identity_cache=identity_cache)
    except Exception as e:
        write_frame(stdout, ("failed", e.__class__.__name__))
        return 1
    write_frame(stdout, ("ready", pipe.installed, pipe.name))
    while True:
        try:
            request = receive(stdin)
        except EOFError:
            return 0
        _, items, batch_size, people = request
        try:
            answer: tuple[str, object] = (
                "ok",
                list(pipe.extract_many(items, batch_size, people=people)),
            )
        except Exception as e:
            answer = ("error", e.__class__.__name__)
        try:
            write_frame(stdout, answer)
        except (BrokenPipeError, OSError):
            return 0


def _exit(code: int) -> None:
    """End at once: the interpreter's teardown of the pipeline (spaCy's objects, ONNX
    Runtime's session) took 50-200 ms, which the parent waited for. Nothing is left to
    write: every answer went out whole (write_frame flushes)."""
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit(
        main(
            sys.argv[1] if len(sys.argv) > 1 else "auto",
            Path(sys.argv[2]) if len(sys.argv) > 2 else None,
        )
    )
