"""The documented bounds on what one checkout may ask of the engine.

A till never comes near them; they keep a hostile or broken input from holding a CPU or memory
for long (``docs/limits.md``). Past one, the engine refuses the input at once with an
:class:`~punchcard.errors.InvalidValueError` naming the field.

>>> MAX_OPTIMAL_LINES, MAX_PAIRS, MAX_PACKAGES
(1000, 500000, 5000)
"""

from __future__ import annotations

from typing import Final

__all__ = ["MAX_OPTIMAL_LINES", "MAX_OPTIMAL_WORK", "MAX_PACKAGES", "MAX_PAIRS"]

#: The most lines ``line_order="optimal"`` allocates: the flow grows with lines x candidates.
MAX_OPTIMAL_LINES: Final = 1000
#: The most work ``optimal`` takes on: lines x (line, credit) offers. Its min-cost flow may need
#: a phase per line, each over every offer: at this bound the worst carts measured (1,000 lines
#: competing for 950 credits of 5 packages) took under a second on a loaded 2-core machine;
#: ten times more took 3 s, and the review's 1,000-line document 40 s.
MAX_OPTIMAL_WORK: Final = 5_000_000
#: The most (line, package) pairs of one checkout: the rejections are one entry per pair of a
#: line that wants more credits and a package that took nothing off it.
MAX_PAIRS: Final = 500000
#: The most packages a scenario document may hold: an owner's packages on file, with room to
#: spare (a document of more is refused before its packages are read).
MAX_PACKAGES: Final = 5000
