"""Doctests in the docs pages run with the public names of punchcard already imported.

(The same few lines as in tests/conftest.py: docs/ is its own pytest testpath and does not
import from tests/.)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

import punchcard

# --doctest-modules would also import this file as a test module named "conftest", which
# clashes with the other conftest.py (tests/ and docs/ are not packages). It holds no doctests.
collect_ignore = ["conftest.py"]


@pytest.fixture(autouse=True)
def _punchcard_doctest_namespace(doctest_namespace: dict[str, Any]) -> None:
    """Put ``punchcard``, its main classes, ``apply``, ``dt`` and ``Decimal`` in every doctest."""
    doctest_namespace.update(
        punchcard=punchcard,
        Money=punchcard.Money,
        Package=punchcard.Package,
        Component=punchcard.Component,
        Line=punchcard.Line,
        Cart=punchcard.Cart,
        Settings=punchcard.Settings,
        Policy=punchcard.Policy,
        apply=punchcard.apply,
        dt=dt,
        Decimal=Decimal,
    )
