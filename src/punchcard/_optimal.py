"""The optimal line order (placeholder until the min-cost-flow allocator lands)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import InvalidValueError
from .models import Line

if TYPE_CHECKING:
    from .engine import Allocation, _Plan


def allocate_optimal(lines: Sequence[Line], plan: _Plan) -> list[Allocation]:
    raise InvalidValueError("line_order", "'optimal' is not available yet")
