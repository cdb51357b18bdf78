"""Where the shipped cascade gate lives (nlp.cascade), without numpy: the pipeline's
identity names the gate's files, and a run's parent process reads that identity
without loading the gate."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

CASCADE_DIR = "cascade_findings"
WEIGHTS_FILE = "weights.npy"
META_FILE = "cascade.json"


def cascade_path() -> Path | None:
    path = Path(str(resources.files("nlp") / "models" / CASCADE_DIR))
    return path if (path / WEIGHTS_FILE).exists() and (path / META_FILE).exists() else None
