"""The gettext catalogues of punchcard.explanations (punchcard.locale): complete, up to date, shipped.

- the template ``punchcard.pot`` is what extracting the messages of ``explanations.py`` gives now;
- every ``.po`` has exactly the template's messages, each translated (every plural form), none
  fuzzy, with the placeholders of its source text and CLDR's plural rule for its language;
- a checkout without ``.mo`` files compiles a ``.po`` in memory; a ``.mo`` wins when there is one;
- a built wheel holds a compiled ``.mo`` per language, with the same translations, and an
  installed punchcard reads them (``slow``: it builds a wheel).
"""

from __future__ import annotations

import gettext
import io
import os
import string
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from punchcard import locale as catalogues
from punchcard.locale import DOMAIN, LANGUAGES, catalogue_bytes, compile_catalogue, translations

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "punchcard" / "locale"
#: Counts that pick every plural form of the shipped languages (French and Spanish have a form
#: for millions).
COUNTS = (0, 1, 2, 5, 1_000_000)


def template() -> Catalog:
    with open(LOCALE / f"{DOMAIN}.pot", "rb") as handle:
        return read_po(handle)


def catalogue(language: str) -> Catalog:
    with open(LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_template_is_what_the_source_gives() -> None:
    # The same extraction as the pybabel command of docs/explanations.md: default keywords,
    # comments tagged "Translators:".
    extracted = [
        (message, " ".join(comments))
        for _, message, comments, _ in extract_from_file(
            "python",
            str(ROOT / "src" / "punchcard" / "explanations.py"),
            keywords=DEFAULT_KEYWORDS,
            comment_tags=("Translators:",),
        )
    ]
    assert extracted, "no message found: the extraction keywords no longer match explanations.py"
    # (The template wraps long comments over several lines.)
    assert [(m.id, " ".join(m.auto_comments)) for m in messages(template())] == extracted


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_catalogue_has_exactly_the_messages_of_the_template(language: str) -> None:
    assert [m.id for m in messages(catalogue(language))] == [m.id for m in messages(template())]
    assert not catalogue(language).obsolete


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_is_untranslated_or_fuzzy(language: str) -> None:
    catalog = catalogue(language)
    assert not catalog.fuzzy, "a fuzzy header loses the plural rule in the compiled catalogue"
    for message in messages(catalog):
        assert not message.fuzzy, message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(form.strip() for form in forms), message.id
        if message.pluralizable:
            assert len(forms) == catalog.num_plurals, message.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language: str) -> None:
    for message in messages(catalogue(language)):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = fields(ids[-1])
        assert fields(ids[0]) == wanted
        for form in forms:
            assert fields(form) == wanted, (message.id, form)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_plural_rule_is_cldr_s(language: str) -> None:
    catalog = catalogue(language)
    expected = get_plural(language)
    assert (catalog.num_plurals, catalog.plural_expr) == (
        expected.num_plurals,
        expected.plural_expr,
    )


def test_english_is_the_source_text() -> None:
    for message in messages(catalogue("en")):
        assert message.string == message.id


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_message_reads_differently_from_english(language: str) -> None:
    found = translations(language)
    for message in messages(template()):
        if isinstance(message.id, tuple):
            for n in COUNTS:
                english = message.id[0] if n == 1 else message.id[1]
                assert found.ngettext(*message.id, n) != english, (message.id, n)
        else:
            assert found.gettext(message.id) != message.id, message.id


def test_a_source_checkout_has_no_compiled_catalogue() -> None:
    # A .mo in the tree would win over the .po beside it, however stale: .mo files are built.
    assert sorted(LOCALE.rglob("*.mo")) == []


def test_a_catalogue_is_compiled_in_memory_when_there_is_no_mo(tmp_path: Path) -> None:
    po = (LOCALE / "de" / "LC_MESSAGES" / f"{DOMAIN}.po").read_bytes()
    (tmp_path / f"{DOMAIN}.po").write_bytes(po)
    compiled = gettext.GNUTranslations(io.BytesIO(catalogue_bytes(tmp_path, "de")))
    assert compiled.ngettext("{count} night", "{count} nights", 2) == "{count} Nächte"
    assert compiled.ngettext("{count} night", "{count} nights", 1) == "{count} Nacht"


def test_a_compiled_catalogue_wins_over_its_po(tmp_path: Path) -> None:
    po = (LOCALE / "de" / "LC_MESSAGES" / f"{DOMAIN}.po").read_text(encoding="utf-8")
    (tmp_path / f"{DOMAIN}.po").write_text(po, encoding="utf-8")
    changed = po.replace('msgstr "{line}: nichts zu zahlen."', 'msgstr "{line}: gratis."')
    assert changed != po
    (tmp_path / f"{DOMAIN}.mo").write_bytes(compile_catalogue(changed.encode(), "de"))
    compiled = gettext.GNUTranslations(io.BytesIO(catalogue_bytes(tmp_path, "de")))
    assert compiled.gettext("{line}: nothing to pay.") == "{line}: gratis."


def test_fuzzy_entries_are_left_out_of_a_compiled_catalogue() -> None:
    po = (LOCALE / "es" / "LC_MESSAGES" / f"{DOMAIN}.po").read_text(encoding="utf-8")
    entry = 'msgid "{line}: nothing to pay."'
    fuzzy = po.replace(entry, "#, fuzzy\n" + entry)
    assert fuzzy != po
    compiled = gettext.GNUTranslations(io.BytesIO(compile_catalogue(fuzzy.encode(), "es")))
    assert compiled.gettext("{line}: nothing to pay.") == "{line}: nothing to pay."
    assert compiled.gettext("{line}: {due} to pay.") == "{line}: {due} por pagar."


def test_a_language_is_read_once() -> None:
    assert translations("fr") is translations("fr")
    assert resources.files(catalogues).joinpath("fr", "LC_MESSAGES", f"{DOMAIN}.po").is_file()


def _same_translations(a: gettext.NullTranslations, b: gettext.NullTranslations) -> None:
    for message in messages(template()):
        if isinstance(message.id, tuple):
            for n in COUNTS:
                assert a.ngettext(*message.id, n) == b.ngettext(*message.id, n), message.id
        else:
            assert a.gettext(message.id) == b.gettext(message.id), message.id


@pytest.mark.slow
def test_the_built_wheel_ships_the_compiled_catalogues(tmp_path: Path) -> None:
    out = tmp_path / "wheel"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "-w", str(out), "--no-deps", "-q"],
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, build.stderr.decode("utf-8", "replace")
    (wheel,) = out.glob("punchcard-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for language in LANGUAGES:
            mo = f"punchcard/locale/{language}/LC_MESSAGES/{DOMAIN}.mo"
            assert mo in names
            assert f"punchcard/locale/{language}/LC_MESSAGES/{DOMAIN}.po" in names
            shipped = gettext.GNUTranslations(io.BytesIO(archive.read(mo)))
            _same_translations(shipped, translations(language))
        archive.extractall(tmp_path / "site")
    assert sorted(LOCALE.rglob("*.mo")) == [], "the build wrote into the source tree"

    # The installed package reads its .mo files: babel's .po reader is never imported.
    probe = (
        "import sys, datetime as dt, punchcard, punchcard.explanations as e\n"
        "from punchcard import Cart, Component, Line, Money, Package, apply\n"
        "cart = Cart('o', 'here', 'EUR', [Line('l1', 'x', Money('5', 'EUR'), units=2)])\n"
        "p = Package(id='p1', owner='o', purchased_at=dt.datetime(2026, 1, 5),"
        " components=[Component('x', 1)])\n"
        "r = apply(cart, [p], as_of=dt.datetime(2026, 3, 2), timezone='Europe/Berlin')\n"
        "print(punchcard.__file__)\n"
        "print(e.explain(r, locale='de_DE')[0])\n"
        "print('babel.messages.pofile' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, env=env, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")
    where, sentence, po_reader = run.stdout.decode("utf-8").splitlines()
    assert Path(where).is_relative_to(tmp_path / "site")
    assert sentence == (
        "x (2 Stück): 5,00\N{NO-BREAK SPACE}€ bezahlt mit 1 Einheit von p1"
        " (5,00\N{NO-BREAK SPACE}€); noch zu zahlen: 5,00\N{NO-BREAK SPACE}€."
    )
    assert po_reader == "False"
