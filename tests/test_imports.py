"""The package's import graph: no cycle among punchcard's modules (counting every import, at the
top, inside functions and under ``TYPE_CHECKING``), and the core imports nothing but the
standard library, attrs, python-dateutil and babel (issue 11 item 5; the brief's core
dependencies)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
#: The parts that bring their own dependencies, imported only when a host uses them.
EXTRAS = ("punchcard.store", "punchcard.scale", "punchcard.testing")
CORE_DEPENDENCIES = {"attrs", "dateutil", "babel"}


def _modules() -> dict[str, tuple[Path, bool]]:
    found: dict[str, tuple[Path, bool]] = {}
    for path in sorted((SRC / "punchcard").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        package = parts[-1] == "__init__"
        if package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, package)
    return found


def _imports(module: str, path: Path, package: bool) -> Iterator[str]:
    """Every module name *module* imports, absolute: for ``from X import n``, ``X.n`` when that
    is a module, else ``X``."""
    modules = _MODULES
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            for alias in node.names:
                name = f"{stem}.{alias.name}"
                yield name if name in modules else stem


_MODULES = _modules()


def _graph() -> dict[str, set[str]]:
    modules = _MODULES
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, (path, package) in modules.items():
        for target in _imports(name, path, package):
            if target in modules and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_issue11_item5_no_import_cycle_among_punchcards_modules() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_core_depends_on_attrs_dateutil_and_babel_only() -> None:
    stdlib = set(sys.stdlib_module_names)
    offending: list[tuple[str, str]] = []
    for name, (path, package) in _MODULES.items():
        if name.startswith(EXTRAS):
            continue
        for target in _imports(name, path, package):
            top = target.split(".")[0]
            if top and top != "punchcard" and top not in stdlib and top not in CORE_DEPENDENCIES:
                offending.append((name, target))
    assert offending == []


HEAVY = ("hypothesis", "sqlalchemy", "dask", "pyarrow", "psycopg")


@pytest.fixture(scope="module")
def loaded_by_import_punchcard() -> dict[str, bool]:
    """Which of HEAVY a fresh interpreter holds after ``import punchcard, punchcard.lifecycle``
    (one process for all of them)."""
    code = (
        "import sys, punchcard\n"
        "ledger = 'punchcard.events' in sys.modules\n"
        "import punchcard.lifecycle\n"
        f"print(ledger, *[heavy in sys.modules for heavy in {HEAVY!r}])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    keys = (LEDGER_AT_IMPORT, *HEAVY)
    return dict(zip(keys, [word == "True" for word in out.stdout.split()], strict=True))


#: Whether ``import punchcard`` alone loaded the ledger's event classes.
LEDGER_AT_IMPORT = "punchcard.events after import punchcard"


def test_import_punchcard_leaves_the_ledger_events_until_they_are_used(
    loaded_by_import_punchcard: dict[str, bool],
) -> None:
    """The ~40 event classes of the ledger took about 27 of the 157 ms of ``import punchcard``:
    a till that only previews carts never needs them; ``Application.events`` loads them."""
    assert loaded_by_import_punchcard[LEDGER_AT_IMPORT] is False


@pytest.mark.parametrize("heavy", HEAVY)
def test_import_punchcard_imports_no_extra(
    heavy: str, loaded_by_import_punchcard: dict[str, bool]
) -> None:
    assert loaded_by_import_punchcard[heavy] is False


def test_every_public_model_type_and_error_is_importable_from_punchcard() -> None:
    """Issue 9 item 6: the types a signature of the core names (``ChargeBy``, ``Duration``,
    ``Pause``...) and every error come from where users import the rest; only the tuples of
    allowed values stay in ``punchcard.models``."""
    import punchcard
    import punchcard.errors
    import punchcard.models

    kept_in_models = {"CHARGE_BY", "DURATION_UNITS"}
    for name in [*punchcard.models.__all__, *punchcard.errors.__all__]:
        if name not in kept_in_models:
            assert name in punchcard.__all__, name
            assert getattr(punchcard, name) is getattr(
                punchcard.models if name in punchcard.models.__all__ else punchcard.errors, name
            )
