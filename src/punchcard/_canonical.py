"""The one canonical JSON text of a value, and its SHA-256: what an idempotency key is bound to
(a checkout's, :attr:`punchcard.Application.idempotency_key`, and a stored request's)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical", "digest"]


def canonical(data: Any) -> str:
    """The one JSON text of *data*: keys sorted, no spaces, non-ASCII kept. JSON quotes every
    string, so no value can be mistaken for a separator.

    >>> canonical({"b": [1, "x"], "a": None})
    '{"a":null,"b":[1,"x"]}'
    """
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(data: Any) -> tuple[str, str]:
    """The canonical text of *data* and its SHA-256 (hex) over UTF-8.

    >>> digest([1])[1][:12]
    '080a9ed42855'
    """
    text = canonical(data)
    return text, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
