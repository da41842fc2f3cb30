"""Hatch build hook: compile the gettext catalogues into the wheel.

For every ``src/punchcard/locale/<language>/LC_MESSAGES/punchcard.po`` the wheel gets the
compiled ``punchcard/locale/<language>/LC_MESSAGES/punchcard.mo`` beside it, so an installed
punchcard reads its catalogues without compiling them. The ``.mo`` files are written to a
temporary folder, never into the source tree; an editable install gets none (punchcard then
compiles a ``.po`` in memory the first time its language is used).

The compiler is :func:`punchcard.locale.compile_catalogue`, loaded from its file: punchcard itself
is not importable while it is being built (only babel is, from ``build-system.requires``).
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LOCALE = Path("src", "punchcard", "locale")


def _catalogues(root: Path) -> ModuleType:
    """The module ``punchcard.locale``, loaded on its own from the source tree at *root*."""
    spec = importlib.util.spec_from_file_location(
        "_punchcard_locale", root / LOCALE / "__init__.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class CatalogueBuildHook(BuildHookInterface):
    """Compile each ``.po`` of ``src/punchcard/locale`` into a ``.mo`` of the wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        catalogues = _catalogues(root)
        self._compiled = Path(tempfile.mkdtemp(prefix="punchcard-mo-"))
        for language in catalogues.LANGUAGES:
            folder = Path(language, "LC_MESSAGES")
            po = root / LOCALE / folder / f"{catalogues.DOMAIN}.po"
            mo = self._compiled / folder / f"{catalogues.DOMAIN}.mo"
            mo.parent.mkdir(parents=True)
            mo.write_bytes(catalogues.compile_catalogue(po.read_bytes(), language))
            target = Path("punchcard", "locale", folder, mo.name).as_posix()
            build_data["force_include"][str(mo)] = target

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        compiled = getattr(self, "_compiled", None)
        if compiled is not None:
            shutil.rmtree(compiled, ignore_errors=True)
