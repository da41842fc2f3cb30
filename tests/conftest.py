"""Shared test configuration: Hypothesis profiles and the doctest namespace.

Profiles: ``ci`` (deterministic, 100 examples, no deadline) is loaded when the ``CI`` environment
variable is set; ``fast`` (20 examples) when ``HYPOTHESIS_PROFILE=fast``; ``dev`` otherwise.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import punchcard

# --doctest-modules would also import this file as a test module named "conftest", which
# clashes with the other conftest.py (tests/ and docs/ are not packages). It holds no doctests.
collect_ignore = ["conftest.py"]

# derandomize: the same examples on every run, so CI never flakes on a lucky draw; no example
# database either (a CI checkout starts empty, and a stored failure would change what runs).
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("fast", max_examples=20, deadline=None)
# Hypothesis's defaults, except the deadline: the first call of a run loads time zones and
# babel data, which can exceed 200 ms on a busy machine and make a sound test flaky.
settings.register_profile("dev", deadline=None)

if os.environ.get("CI"):
    settings.load_profile("ci")
elif os.environ.get("HYPOTHESIS_PROFILE") == "fast":
    settings.load_profile("fast")
else:
    settings.load_profile("dev")


def _doctest_names() -> dict[str, Any]:
    return {
        "punchcard": punchcard,
        "Money": punchcard.Money,
        "Package": punchcard.Package,
        "Component": punchcard.Component,
        "Line": punchcard.Line,
        "Cart": punchcard.Cart,
        "Settings": punchcard.Settings,
        "Policy": punchcard.Policy,
        "apply": punchcard.apply,
        "dt": dt,
        "Decimal": Decimal,
    }


@pytest.fixture(autouse=True)
def _punchcard_doctest_namespace(doctest_namespace: dict[str, Any]) -> None:
    """Doctests under tests/ run with the public names already imported."""
    doctest_namespace.update(_doctest_names())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures a test recorded as ``record_property("summary_line", text)``.

    A test's own output is not shown under pytest-xdist (its workers' output stays in the
    workers); the recorded properties travel with the reports to the main process, which prints
    them here, once, whether or not the run is distributed.
    """
    lines = [
        f"{value} ({report.nodeid})"
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if report.when == "call"
        for name, value in report.user_properties
        if name == "summary_line"
    ]
    if lines:
        terminalreporter.section("recorded figures")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move what collection made (modules, test items, Hypothesis strategies) out of the
    garbage collector's reach: it lives to the end of the run, and a full collection would
    otherwise walk all of it again each time a test makes many objects."""
    gc.collect()
    gc.freeze()
