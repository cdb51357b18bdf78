"""The NLP pipeline in a child process, started as a run begins.

Loading the pipeline (importing spaCy, building the matcher, the scorer's weights) takes
about a second, and a run after a few new messages needs it after the sync. A child
process started as soon as the run knows a sync must look loads it on the other core
while this one imports the store and syncs; the run then hands it the texts. The child
is this package's ``analysis_worker``: a length-prefixed pickle (``child_pipes``) per
request and per answer over its stdin and stdout (pipes of its own parent, nobody else's).

Whatever the child does, the run goes on: a child that fails to start or to load is
replaced by the pipeline loaded here, as without it; a child that dies on a batch (a
text that crashes the model) makes that batch fail like any analysis error (extract.py
retries it one message at a time, so the message that did it is found and marked) and is
started again for the next, a few times a run, then the pipeline is loaded here.

Off where it cannot help (one core) and with ``FOLLOWUP_ANALYSIS_PROCESS=0``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from followup.child_pipes import end_child, read_frame, write_frame

logger = logging.getLogger(__name__)

ENV = "FOLLOWUP_ANALYSIS_PROCESS"
# Children started again after one died, per run; then the pipeline is loaded here.
RESTARTS = 3


class AnalysisProcessGone(RuntimeError):
    """The child died while analysing a batch (no text of the mail in the message)."""


class AnalysisFailed(RuntimeError):
    """The pipeline raised in the child; the message names the exception's class only,
    whose text may quote the mail."""


def wanted() -> bool:
    """Whether a run should start the child: two cores or more, not switched off."""
    if os.environ.get(ENV, "1").strip() == "0":
        return False
    return (os.cpu_count() or 1) >= 2


def receive(stream: IO[bytes]) -> Any:
    """The next message, or raise EOFError when the other side has gone."""
    message = read_frame(stream)
    if message is None:
        raise EOFError
    return message


def worker_command(prefer: str, identity_cache: Path | None = None) -> list[str]:
    """The child's command; ``identity_cache``: where the model files' hash is cached
    (Config.model_identity_cache), so the child names its pipeline without hashing."""
    # -P: the working directory is not put on sys.path (a stray nlp.py there).
    cache = [str(identity_cache)] if identity_cache is not None else []
    return [sys.executable, "-P", "-m", "followup.analysis_worker", prefer, *cache]


class _Child:
    """One worker process: started at once, its pipeline ready after ``hello``."""

    def __init__(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        self.hello: tuple[Any, str] | None = None

    def ready(self) -> tuple[Any, str]:
        """(installed, name) of the child's pipeline, once it has loaded it."""
        if self.hello is None:
            assert self.proc.stdout is not None
            answer = receive(self.proc.stdout)
            if answer[0] != "ready":
                raise AnalysisFailed(str(answer[1]))
            self.hello = (answer[1], answer[2])
        return self.hello

    def ask(self, request: tuple[Any, ...]) -> list[Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.ready()  # a child started again answers with its hello first
            write_frame(self.proc.stdin, request)
            answer = receive(self.proc.stdout)
        except (EOFError, OSError) as e:
            raise AnalysisProcessGone("the analysis process stopped") from e
        if answer[0] == "error":
            raise AnalysisFailed(str(answer[1]))
        return list(answer[1])

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        end_child(self.proc, timeout=2)


class AnalysisProcess:
    """The pipeline of a run, loading in a child from the moment this is made.

    ``start()`` starts the child (once; ``start=True`` at once): as soon as the run
    knows it will analyse. ``pipeline()`` gives what extract.py analyses with: a proxy
    to the child, or the pipeline loaded here when no child was started (it would only
    add its start to the wait) or it could not serve. ``close()`` ends the child."""

    def __init__(
        self,
        prefer: str,
        command: list[str] | None = None,
        *,
        start: bool = True,
        identity_cache: Path | None = None,
    ):
        self.prefer = prefer
        self.identity_cache = identity_cache
        self.command = command or worker_command(prefer, identity_cache)
        self.restarts = 0
        self.started = False
        self._local: Any = None
        self._child: _Child | None = None
        if start:
            self.start()

    def start(self) -> None:
        if self.started:
            return
        self.started = True
        try:
            self._child = _Child(self.command)
        except OSError as e:
            logger.info("analysis process not started (%s): loading here", e.__class__.__name__)

    def pipeline(self) -> Any:
        if self._child is not None:
            try:
                installed, name = self._child.ready()
                logger.info("The NLP pipeline loaded in a child process (%d)", self._child.proc.pid)
                return RemotePipeline(self, installed, name)
            except (EOFError, OSError, AnalysisFailed) as e:
                logger.warning(
                    "the analysis process did not start (%s); analysing here",
                    e.__class__.__name__,
                )
                self._drop_child()
        return self.local()

    def local(self) -> Any:
        if self._local is None:
            import nlp

            self._local = nlp.load_pipeline(self.prefer, identity_cache=self.identity_cache)
        return self._local

    def extract(self, items: list[Any], batch_size: int, people: bool) -> list[Any]:
        if self._child is None:
            return list(self.local().extract_many(items, batch_size, people=people))
        try:
            return self._child.ask(("extract", items, batch_size, people))
        except AnalysisProcessGone:
            self._drop_child()
            if self.restarts < RESTARTS:
                self.restarts += 1
                self._child = _Child(self.command)
            raise

    def _drop_child(self) -> None:
        if self._child is not None:
            self._child.close()
            self._child = None

    def close(self) -> None:
        self._drop_child()

    def __enter__(self) -> AnalysisProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RemotePipeline:
    """What extract.py needs of nlp.pipeline.Pipeline: ``installed``, ``name`` and
    ``extract_many``, answered by the child."""

    def __init__(self, owner: AnalysisProcess, installed: Any, name: str) -> None:
        self.owner = owner
        self.installed = installed
        self.name = name

    def extract_many(
        self, items: Iterable[Any], batch_size: int = 64, *, people: bool = True
    ) -> Iterator[Any]:
        yield from self.owner.extract(list(items), batch_size, people)
