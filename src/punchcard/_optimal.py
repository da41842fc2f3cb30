"""The optimal line order (placeholder until the min-cost-flow allocator lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import InvalidValueError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .models import Line
    from .rules.base import Candidate, Context


def allocate_optimal(
    lines: Sequence[Line], candidates: Sequence[Candidate], judge: Any, policy: Any, ctx: Context
) -> list[tuple[int, Candidate, int, int]]:
    raise InvalidValueError("line_order", "'optimal' is not available yet")
