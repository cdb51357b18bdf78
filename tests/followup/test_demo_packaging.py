"""The demo's data ships with followup; its generator (tools/demo) stays in the repository.

``followup demo`` running without the generator is checked in a real process by
test_demo_digest.py (cwd elsewhere, so ``tools`` cannot be imported).
"""

from __future__ import annotations

import ast
import tomllib
from fnmatch import fnmatchcase
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNTIME = ("followup", "connectors", "nlp")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_installed_module_imports_the_generator() -> None:
    offenders = [
        f"{path.relative_to(REPO)}: {name}"
        for package in RUNTIME
        for path in sorted((REPO / package).rglob("*.py"))
        for name in imported_modules(path)
        if name == "tools" or name.startswith("tools.")
    ]
    assert offenders == []
    # The installed demo package is its data and the loader of it, nothing else.
    assert [p.name for p in (REPO / "followup" / "demo").glob("*.py")] == ["__init__.py"]


def test_the_generator_is_not_in_the_package_list() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    include = setuptools["packages"]["find"]["include"]
    # setuptools matches these patterns against dotted package names.
    assert not [p for p in include if fnmatchcase("tools", p) or fnmatchcase("tools.demo", p)]
    assert all(
        p.startswith("demo/data/")
        for p in setuptools["package-data"]["followup"]
        if p.startswith("demo/")
    )


def test_the_generator_reads_the_data_dir_the_package_ships() -> None:
    from followup.demo import DEMO_DIR
    from tools.demo.generate import DEFAULT_OUT

    assert DEFAULT_OUT == DEMO_DIR == REPO / "followup" / "demo" / "data"
