"""docs/persistence.md shows the reference layer's code as its worked example: every block marked
``<!-- source: module.Class.function -->`` must be that function's source, as it is now.

(The page's Python examples are doctests; pytest runs them with ``--doctest-glob``.)
"""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "persistence.md"
_BLOCK = re.compile(r"<!-- source: ([\w.]+) -->\n```python\n(.*?)\n```", re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    return _BLOCK.findall(PAGE.read_text(encoding="utf-8"))


def _source(dotted: str) -> str:
    module_name, _, rest = dotted.partition("._common.")
    target: object = importlib.import_module(module_name + "._common")
    for name in rest.split("."):
        target = getattr(target, name)
    return textwrap.dedent(inspect.getsource(target)).rstrip("\n")  # type: ignore[arg-type]


def test_the_page_shows_the_commit_its_steps_and_the_retry_loop() -> None:
    assert [name.rsplit(".", 1)[-1] for name, _ in _blocks()] == [
        "commit",
        "_claim",
        "_append_events",
        "_apply_guards",
        "_set_remaining",
        "_record_first_use",
        "checkout",
    ]


@pytest.mark.parametrize(
    ("dotted", "shown"), [pytest.param(name, code, id=name) for name, code in _blocks()]
)
def test_a_source_block_is_the_code_as_it_is(dotted: str, shown: str) -> None:
    assert shown == _source(dotted)
