"""docs/lifecycle.md runs as written (issue 10 item 11): each section's code blocks, in order, in
a fresh namespace, without the names the doctest setup of the docs puts in every example."""

from __future__ import annotations

import doctest
import io
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _sections() -> list[tuple[str, str]]:
    """(title, the code of its python blocks) for each ``## `` section that has code."""
    text = PAGE.read_text(encoding="utf-8")
    out = []
    for part in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        title = part.splitlines()[0]
        code = "\n".join(_BLOCK.findall(part))
        if code:
            out.append((title, code))
    return out


SECTIONS = _sections()


def test_the_page_has_the_sections_it_should() -> None:
    assert [title for title, _ in SECTIONS] == [
        "The business",
        "A walk through",
        "Closing a ticket",
        "Refunds",
        "Subscriptions",
        "Permissions are a policy",
        "Franchises",
        "Market options in the lifecycle",
        "Instants, not wall clocks",
        "How a host persists events",
    ]


@pytest.mark.parametrize(("title", "code"), SECTIONS, ids=[title for title, _ in SECTIONS])
def test_issue10_item11_each_section_runs_as_written_in_a_fresh_namespace(
    title: str, code: str
) -> None:
    test = doctest.DocTestParser().get_doctest(code, {}, title, str(PAGE), 0)
    assert test.examples, title
    out = io.StringIO()
    result = doctest.DocTestRunner(verbose=False).run(test, out=out.write)
    assert result.failed == 0, out.getvalue()
    # it really ran on its own: it imported what it used
    assert "punchcard" in "".join(e.source for e in test.examples if "import" in e.source)
