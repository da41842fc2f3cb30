"""The gettext catalogues of punchcard's explanations: which languages ship, and how one is loaded.

The catalogues live beside this module: ``punchcard.pot`` (the messages, extracted from
``punchcard/explanations.py``) and ``<language>/LC_MESSAGES/punchcard.po`` per language. A wheel also
holds the compiled ``punchcard.mo`` of each language (the build hook ``hatch_build.py`` at the
root of the repository compiles them with :func:`compile_catalogue`); a source or editable checkout
has no ``.mo`` files, so the ``.po`` is compiled in memory, with babel, the first time a language
is used. Either way a language is read once per process.

This module imports nothing from punchcard (the build hook loads it on its own, before punchcard
is installed).

>>> LANGUAGES
('de', 'en', 'es', 'fr')
>>> translations("de").ngettext("{count} night", "{count} nights", 2)
'{count} Nächte'
"""

from __future__ import annotations

import functools
import gettext
import io
import sys
from importlib import resources
from typing import Final

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

__all__ = ["DOMAIN", "LANGUAGES", "catalogue_bytes", "compile_catalogue", "translations"]

#: The gettext domain: the file name of every catalogue.
DOMAIN: Final = "punchcard"

#: The languages whose catalogues ship with punchcard (language codes, sorted).
LANGUAGES: Final[tuple[str, ...]] = ("de", "en", "es", "fr")


def compile_catalogue(po: bytes, language: str) -> bytes:
    """The ``.mo`` file of the ``.po`` text *po* of *language*; fuzzy entries are left out.

    >>> from importlib import resources
    >>> po = (resources.files(__name__) / "fr" / "LC_MESSAGES" / "punchcard.po").read_bytes()
    >>> mo = compile_catalogue(po, "fr")
    >>> gettext.GNUTranslations(io.BytesIO(mo)).gettext("{line}: nothing to pay.")
    '{line}\\xa0: rien à payer.'
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(po), locale=language, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def catalogue_bytes(folder: Traversable, language: str) -> bytes:
    """The compiled catalogue in *folder* (a ``LC_MESSAGES`` folder): its ``.mo`` when there is
    one, else its ``.po`` compiled in memory.

    >>> folder = resources.files(__name__) / "de" / "LC_MESSAGES"
    >>> catalogue_bytes(folder, "de")[:4] in (b"\\xde\\x12\\x04\\x95", b"\\x95\\x04\\x12\\xde")  # .mo magic
    True
    """
    mo = folder / f"{DOMAIN}.mo"
    if mo.is_file():
        return mo.read_bytes()
    return compile_catalogue((folder / f"{DOMAIN}.po").read_bytes(), language)


@functools.cache
def translations(language: str) -> gettext.GNUTranslations:
    """The translations of *language*, one of :data:`LANGUAGES`; read once per process.

    >>> translations("es").gettext("{line}: nothing to pay.")
    '{line}: nada que pagar.'
    >>> translations("it")
    Traceback (most recent call last):
    ...
    KeyError: "no catalogue for 'it'; punchcard ships ('de', 'en', 'es', 'fr')"
    """
    if language not in LANGUAGES:
        raise KeyError(f"no catalogue for {language!r}; punchcard ships {LANGUAGES!r}")
    folder = resources.files(__name__) / language / "LC_MESSAGES"
    return gettext.GNUTranslations(io.BytesIO(catalogue_bytes(folder, language)))
