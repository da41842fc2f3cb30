"""The documented limits of a scenario document: refused at once with a path, never slow.

The result lists one rejection per (uncovered line, package that took nothing off it), so its
size grows with ``lines x packages`` (issue 10 item 9: 1,500 x 1,500 took 9.7 s and 136 MB). A
document may hold at most :data:`~punchcard.scenario.MAX_PAIRS` such pairs and
:data:`~punchcard.scenario.MAX_PACKAGES` packages; beyond, the error comes before the packages
are read.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from scenario_documents import checkout

from punchcard import ScenarioError
from punchcard.scenario import MAX_PACKAGES, MAX_PAIRS, evaluate, parse


def document(lines: int, packages: int) -> dict[str, Any]:
    return checkout(
        [{"id": f"l{i}", "item": "walk", "unit_price": "12.50"} for i in range(lines)],
        [
            {
                "id": f"p{j}",
                "owner": "smith",
                "purchased_at": "2026-01-05T10:00:00",
                "credits": [{"item": "daycare_full", "remaining": 1}],
            }
            for j in range(packages)
        ],
    )


@pytest.mark.parametrize(("lines", "packages"), [(200, 1_000), (100_000, 3), (1, 2_000)])
def test_the_limits_leave_room_for_every_realistic_cart(lines: int, packages: int) -> None:
    # A long boarding stay with its add-ons against every package a long-time client ever
    # bought; the 100,000-line cart of the hostile-input tests against three packages; a
    # client with 2,000 packages.
    scenario = parse(document(lines, packages))
    assert (len(scenario.cart.lines), len(scenario.packages)) == (lines, packages)


def test_a_document_at_the_pairs_limit_is_read() -> None:
    lines = 500
    scenario = parse(document(lines, MAX_PAIRS // lines))
    assert len(scenario.cart.lines) * len(scenario.packages) == MAX_PAIRS


def test_a_document_beyond_the_pairs_limit_is_refused_at_the_cart_lines() -> None:
    lines = 500
    doc = document(lines, MAX_PAIRS // lines + 1)
    with pytest.raises(ScenarioError) as info:
        evaluate(doc)
    assert info.value.path == "cart.lines"
    message = info.value.message
    assert f"{MAX_PAIRS:,}" in message
    assert "500 lines" in message
    assert f"{MAX_PAIRS // lines + 1:,} packages" in message


def test_the_pairs_limit_is_checked_before_the_packages_are_read() -> None:
    # Packages that are not even objects: the limit is what is reported, so no package was read.
    doc = document(MAX_PAIRS // 1000 + 1, 0)
    doc["packages"] = [None] * 1000
    with pytest.raises(ScenarioError) as info:
        parse(doc)
    assert info.value.path == "cart.lines"


def test_a_document_at_the_packages_limit_is_read() -> None:
    assert len(parse(document(1, MAX_PACKAGES)).packages) == MAX_PACKAGES


def test_a_document_beyond_the_packages_limit_is_refused_before_reading_them() -> None:
    doc = document(0, 0)
    doc["packages"] = [None] * (MAX_PACKAGES + 1)
    with pytest.raises(ScenarioError) as info:
        parse(doc)
    assert info.value.path == "packages"
    assert f"at most {MAX_PACKAGES:,} packages" in info.value.message
    assert f"{MAX_PACKAGES + 1:,}" in info.value.message


def test_an_oversized_document_is_refused_quickly() -> None:
    # 2,000 x 2,000: evaluating it would list 4,000,000 rejections; refusing it takes the time
    # to read the cart.
    doc = document(2_000, 2_000)
    started = time.process_time()
    with pytest.raises(ScenarioError) as info:
        evaluate(doc)
    assert time.process_time() - started < 2
    assert info.value.path == "cart.lines"


def test_the_limits_are_documented() -> None:
    from pathlib import Path

    page = (Path(__file__).parent.parent / "docs" / "scenario-format.md").read_text("utf-8")
    assert f"{MAX_PAIRS:,}" in page
    assert f"{MAX_PACKAGES:,}" in page


def test_every_limit_docs_limits_md_names_exists_with_the_value_it_states() -> None:
    """docs/limits.md names each bound by its Python name (it once named a constant that had
    been removed): each ``punchcard.<module>.<NAME>`` it cites exists, and the bounds of
    ``punchcard.limits`` it states in bold are their values."""
    import importlib
    import re
    from pathlib import Path

    import punchcard.limits

    text = (Path(__file__).parents[1] / "docs" / "limits.md").read_text(encoding="utf-8")
    cited = re.findall(r"`(punchcard(?:\.\w+)+)\.([A-Z_]+)`", text)
    assert len(cited) >= 5
    for module, name in cited:
        assert hasattr(importlib.import_module(module), name), f"{module}.{name}"
    for name in punchcard.limits.__all__:
        value = getattr(punchcard.limits, name)
        assert f"**{value:,}**" in text, name
