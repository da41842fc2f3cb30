"""Progress of a long run: partitions done out of the total, on a terminal.

It writes to standard error, and only when that is a terminal and the caller did not ask for
quiet: a job run by cron, or piped into a file, writes nothing.

>>> import io
>>> class Terminal(io.StringIO):
...     def isatty(self):
...         return True
>>> screen = Terminal()
>>> bar = Progress("sweep", 2, stream=screen, clock=lambda: 0.0)
>>> bar.advance(); bar.advance(); bar.finish()
>>> screen.getvalue().split("\\r")[1:]
['sweep: 0/2 partitions', 'sweep: 1/2 partitions', 'sweep: 2/2 partitions', 'sweep: 2/2 partitions, done in 0.0 s\\n']
>>> piped = io.StringIO()
>>> quiet = Progress("sweep", 2, stream=piped)
>>> quiet.advance(); quiet.finish(); piped.getvalue()
''
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False


class Progress:
    """Shows ``LABEL: DONE/TOTAL partitions`` on *stream* (default: standard error) when it is
    a terminal and *quiet* is false; otherwise does nothing."""

    def __init__(
        self,
        label: str,
        total: int,
        *,
        stream: TextIO | None = None,
        quiet: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = sys.stderr if stream is None else stream
        #: Whether anything is shown.
        self.shown = not quiet and _is_terminal(self._stream)
        self._label = label
        self._total = total
        self._done = 0
        self._clock = clock
        self._began = clock()
        self._show("")

    def _show(self, tail: str) -> None:
        if self.shown:
            self._stream.write(f"\r{self._label}: {self._done}/{self._total} partitions{tail}")
            self._stream.flush()

    def advance(self, count: int = 1) -> None:
        """*count* more partitions are done."""
        self._done += count
        self._show("")

    def finish(self) -> None:
        """The run is over: the last line, with the time it took."""
        self._show(f", done in {self._clock() - self._began:.1f} s\n")
