"""``python -m punchcard.schema``: write the schema files again from the format's description."""

from __future__ import annotations

from . import write

if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    for path in write():
        print(f"wrote {path}")
