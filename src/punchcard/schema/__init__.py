"""The JSON Schemas (2020-12) of the scenario format, shipped for hosts in other languages.

``scenario-input.schema.json`` describes a scenario document, ``scenario-output.schema.json``
the result document. Both are generated from the one description of the format
(:mod:`punchcard._format`): after changing it, run ``python -m punchcard.schema`` to write them
again (a test fails until the files match). In Python, :func:`punchcard.scenario.input_schema`
and :func:`punchcard.scenario.output_schema` return them as dicts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from .._format import input_schema, output_schema

__all__ = ["FILES", "render", "write"]

#: The schema files and what each describes.
FILES: Final = {
    "scenario-input.schema.json": input_schema,
    "scenario-output.schema.json": output_schema,
}


def render(schema: dict[str, Any]) -> str:
    """*schema* as its file holds it: 2-space indent, non-ASCII as is, a final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write(folder: Path | None = None) -> list[Path]:
    """Write the schema files into *folder* (default: this package's folder)."""
    folder = Path(__file__).parent if folder is None else folder
    written = []
    for name, make in FILES.items():
        path = folder / name
        path.write_text(render(make()), encoding="utf-8")
        written.append(path)
    return written
