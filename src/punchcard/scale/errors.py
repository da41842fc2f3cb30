"""The error of :mod:`punchcard.scale`: a file or a source that is not what it should be."""

from __future__ import annotations

from ..errors import PunchcardError

__all__ = ["DataError"]


class DataError(PunchcardError, ValueError):
    """A ledger, an activity file or an output directory is not valid; ``.path`` names where.

    >>> err = DataError("activity/part-00001.jsonl:3.lines[0].unit_price", "must be a decimal string, got 3.5")
    >>> err.path
    'activity/part-00001.jsonl:3.lines[0].unit_price'
    >>> str(err)
    'activity/part-00001.jsonl:3.lines[0].unit_price: must be a decimal string, got 3.5'
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        #: Where the problem is: a file, a line, a field.
        self.path = path
        #: What is wrong, without the path.
        self.message = message
