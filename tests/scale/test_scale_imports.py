"""What punchcard.scale may import, and when.

- ``import punchcard`` (and ``punchcard.scale``, and the command line) loads neither Dask nor
  PyArrow: they are loaded when a job runs;
- in src/punchcard only punchcard/scale imports them;
- in punchcard/scale only the adapter ``_lifecycle.py`` imports punchcard.lifecycle (the one
  module to re-point when the lifecycle's signatures change).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "punchcard"
HEAVY = ("dask", "distributed", "pyarrow")


def _imports(path: Path) -> set[str]:
    """The absolute names of the modules *path* imports (relative ones resolved)."""
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            names.add(name)
            names |= {f"{name}.{alias.name}" for alias in node.names}
    return names


def test_importing_punchcard_loads_neither_dask_nor_pyarrow() -> None:
    code = (
        "import sys, punchcard, punchcard.scale, punchcard.cli\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_only_punchcard_scale_imports_dask_or_pyarrow() -> None:
    users = {
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if any(name.split(".")[0] in HEAVY for name in _imports(p))
    }
    assert users
    assert all(u.startswith("scale/") for u in users), users


def test_only_the_adapter_calls_the_lifecycle() -> None:
    callers = {
        p.name
        for p in (SRC / "scale").glob("*.py")
        if any(
            n == "punchcard.lifecycle" or n.startswith("punchcard.lifecycle.") for n in _imports(p)
        )
    }
    assert callers == {"_lifecycle.py"}
