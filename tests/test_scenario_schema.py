"""The JSON Schema of the scenario format agrees with the reader (issue 14 item 3).

The schema files (``src/punchcard/schema/``) are generated from the description the reader is
compiled from, so the tests check what generation cannot promise by itself:

- the committed files are what generating gives now, they are valid 2020-12 schemas, and they ship
  in the package;
- every document the reader accepts validates: the examples, the vectors, Hypothesis-generated
  documents with and without the options;
- every document the reader refuses for a reason JSON Schema can state (an unknown key, a missing
  one, a wrong JSON type, a name not in the list, the shape of money or of a date...) is refused by
  the schema too: a table of such cases, and a property over mutations of a document that uses
  every field. The reasons it cannot state are the ones docs/scenario-format.md lists
  (:data:`NOT_STATED` below);
- every result document validates against the output schema.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
from pathlib import Path
from typing import Any

import pytest
from builders import every_field_document
from hypothesis import example, given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from scenario_documents import drop, every_option_document, from_drawn, path_of, put, with_options

import punchcard.schema
from punchcard import ScenarioError
from punchcard.scenario import evaluate, input_schema, output_schema, parse
from punchcard.testing import scenarios

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "src" / "punchcard" / "schema"
INPUT = Draft202012Validator(input_schema())
OUTPUT = Draft202012Validator(output_schema())
VECTOR_FILES = sorted((ROOT / "tests" / "vectors").rglob("*.json"))
VECTORS = {
    str(p.relative_to(ROOT / "tests" / "vectors")): json.loads(p.read_text("utf-8"))
    for p in VECTOR_FILES
}
EXAMPLES = {
    p.name: json.loads(p.read_text("utf-8")) for p in sorted((ROOT / "examples").glob("*.json"))
}

#: Fragments of the reader's messages for what JSON Schema cannot state (the list in
#: docs/scenario-format.md, "JSON Schema").
NOT_STATED = (
    # ids and items unique across the objects of a list
    "duplicate line id",
    "duplicate package id",
    "appears twice in the package",
    "is paid by two components",
    "is named like another component",
    # a currency's minor units, the currencies CLDR knows, the zones of the IANA database
    "more decimals than",
    "unknown ISO 4217 currency code",
    "IANA time zone",
    # the calendar: 30 February, a local time skipped by a clock change, the range of dates
    "not a valid date",
    "not a valid ISO 8601 date-time",
    "does not exist in",
    "is out of range",
    # comparisons between values
    "before it starts",
    "overlaps another pause",
    "is after the checkout time",
    "is an item of this credit itself",
    "pairs a document may hold",
)


def stated(error: ScenarioError, document: Any) -> bool:
    """Whether JSON Schema can state the reason the reader gave for refusing *document*."""
    if any(fragment in error.message for fragment in NOT_STATED):
        return False
    if error.message.startswith("must be a whole number >= -"):
        return False  # remaining below an overdraft: a minimum that is another field's value
    # JSON Schema counts 1.0 as the integer 1; the reader refuses numbers that are not ints.
    return re.search(r"got -?[0-9]+\.0$", error.message) is None


def reader_outcome(document: Any) -> ScenarioError | None:
    try:
        parse(copy.deepcopy(document))
    except ScenarioError as error:
        return error
    return None


BASE = every_option_document()


# --- the files ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(punchcard.schema.FILES))
def test_the_committed_schema_is_what_the_description_generates(name: str) -> None:
    committed = (SCHEMA_DIR / name).read_text("utf-8")
    generated = punchcard.schema.render(punchcard.schema.FILES[name]())
    assert committed == generated, f"run python -m punchcard.schema to write {name} again"


@pytest.mark.parametrize("name", sorted(punchcard.schema.FILES))
def test_the_schema_files_are_package_data_and_valid_2020_12_schemas(name: str) -> None:
    text = importlib.resources.files("punchcard.schema").joinpath(name).read_text("utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema == punchcard.schema.FILES[name]()


def test_input_schema_and_output_schema_return_the_shipped_schemas() -> None:
    files = importlib.resources.files("punchcard.schema")
    assert input_schema() == json.loads(
        files.joinpath("scenario-input.schema.json").read_text("utf-8")
    )
    assert output_schema() == json.loads(
        files.joinpath("scenario-output.schema.json").read_text("utf-8")
    )


def test_the_format_page_links_the_schema_and_lists_what_it_cannot_state() -> None:
    page = (ROOT / "docs" / "scenario-format.md").read_text("utf-8")
    assert "../src/punchcard/schema/scenario-input.schema.json" in page
    assert "../src/punchcard/schema/scenario-output.schema.json" in page
    for topic in ("unique", "minor units", "any_type", "overdraft", "1.0"):
        assert topic in page.split("## JSON Schema", 1)[1].split("\n## ", 1)[0], topic


# --- what the reader accepts validates ---------------------------------------------------------


def test_the_every_option_document_is_valid_for_both() -> None:
    assert reader_outcome(BASE) is None
    INPUT.validate(BASE)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_example_validates(name: str) -> None:
    INPUT.validate(EXAMPLES[name])
    OUTPUT.validate(evaluate(EXAMPLES[name]))


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_every_vector_validates_or_is_refused_by_both(name: str) -> None:
    vector = VECTORS[name]
    document = vector["input"]
    if "expected_error" in vector:
        error = reader_outcome(document)
        assert error is not None
        if stated(error, document):
            assert not INPUT.is_valid(document), (error.path, error.message)
        return
    INPUT.validate(document)
    OUTPUT.validate(vector["expected"])


@given(drawn=scenarios(), sparse=st.booleans())
def test_generated_documents_validate_and_so_do_their_results(drawn: Any, sparse: bool) -> None:
    document = from_drawn(drawn, sparse=sparse)
    INPUT.validate(document)
    OUTPUT.validate(evaluate(document))


@given(document=with_options())
def test_generated_documents_with_options_are_read_and_validate(document: dict[str, Any]) -> None:
    error = reader_outcome(document)
    assert error is None, (error.path, error.message) if error else None
    INPUT.validate(document)


# --- what the reader refuses for a reason the schema states, the schema refuses ------------------


P4 = ("packages", 3)
C4 = (*P4, "credits", 0)
P5 = ("packages", 4)

#: (id, where, value): the document with *value* at *where* is refused there.
REPLACED: list[tuple[str, tuple[Any, ...], Any]] = [
    # unknown keys
    ("unknown-top-level-key", ("verison",), 1),
    ("unknown-line-key", ("cart", "lines", 0, "qty"), 2),
    ("unknown-unit", (*P4, "valid_for", "years"), 1),
    ("unknown-credit-key", (*C4, "overdraf"), 1),
    # wrong JSON types
    ("lines-an-object", ("cart", "lines"), {}),
    ("units-a-string", ("cart", "lines", 0, "units"), "2"),
    ("units-a-fraction", ("cart", "lines", 0, "units"), 1.5),
    ("flag-a-number", ("settings", "any_type"), 1),
    ("owner-null", ("cart", "owner"), None),
    ("owner-empty", ("cart", "owner"), ""),
    ("priority-a-string", (*P4, "priority"), "10"),
    ("pauses-an-object", (*P4, "pauses"), {}),
    ("version-true", ("version",), True),
    # names not in the list, numbers out of range
    ("bad-line-order", ("policy", "line_order"), "random"),
    ("bad-expiry", ("policy", "expiry"), "midnight"),
    ("bad-charge-by", ("cart", "lines", 0, "charge_by"), "week"),
    ("units-0", ("cart", "lines", 0, "units"), 0),
    ("priority-101", (*P4, "priority"), 101),
    ("remaining-below-0", ("packages", 0, "credits", 0, "remaining"), -1),
    ("version-2", ("version",), 2),
    # the shape of money, dates, date-times, times of day, currencies
    ("money-a-number", ("cart", "lines", 0, "unit_price"), 30),
    ("money-negative", ("cart", "lines", 0, "unit_price"), "-30.00"),
    ("money-exponent", ("cart", "lines", 0, "unit_price"), "3e1"),
    ("money-newline", ("cart", "lines", 0, "unit_price"), "30.00\n"),
    ("rate-comma", ("rates", "downtown", "walk"), "1,000"),
    ("balance-two-dots", (*P5, "balance"), "40.0.0"),
    ("date-unpadded", ("packages", 0, "expires_on"), "2026-3-31"),
    ("date-with-a-time", (*P4, "pauses", 0, "from"), "2026-02-10T00:00"),
    ("date-time-a-date", ("at",), "2026-03-02"),
    ("date-time-a-word", ("at",), "yesterday"),
    ("time-of-day-25", ("policy", "expires_at"), "25:00"),
    ("currency-lowercase", ("currency",), "usd"),
    ("valid_for-empty", (*P4, "valid_for"), {}),
    ("valid_for-two-units", (*P4, "valid_for"), {"days": 1, "months": 1}),
    ("no-credit", ("packages", 0, "credits"), []),
    ("pool-of-nothing", (*C4, "items"), []),
]
#: (id, where): the document without the key at *where* is refused there.
DROPPED: list[tuple[str, tuple[Any, ...]]] = [
    ("missing-at", ("at",)),
    ("missing-unit_price", ("cart", "lines", 0, "unit_price")),
    ("missing-credits", ("packages", 0, "credits")),
    ("pool-missing-items", (*C4, "items")),
    ("pause-missing-to", (*P4, "pauses", 0, "to")),
]
#: Documents refused elsewhere than where they were changed: the rules between fields.
ELSEWHERE = [
    pytest.param(
        put(put(BASE, ("settings", "any_type"), False), ("settings", "greater_value"), True),
        "settings.greater_value",
        id="greater_value-without-any_type",
    ),
    pytest.param(
        put(BASE, (*P5, "credits"), [{"item": "x", "remaining": 1}]),
        "packages[4].balance",
        id="balance-and-credits",
    ),
    pytest.param(drop(BASE, (*P5, "balance")), "packages[4].items", id="items-without-balance"),
    pytest.param(
        put(BASE, (*C4, "item"), "bath"), "packages[3].credits[0].pool", id="item-and-pool"
    ),
    pytest.param(
        put(BASE, (*P4, "days_to_expiration"), 30), "packages[3].valid_for", id="valid_for-and-days"
    ),
    pytest.param(
        put(BASE, (*C4, "items"), ["bath", "bath"]),
        "packages[3].credits[0].items[1]",
        id="pool-item-twice",
    ),
    pytest.param(
        put(
            put(BASE, ("policy", "line_order"), "optimal"),
            ("cart", "lines"),
            [{"id": f"l{i}", "item": "x", "unit_price": "1"} for i in range(1001)],
        ),
        "policy.line_order",
        id="optimal-beyond-1000-lines",
    ),
]
STRUCTURAL = [
    *(
        pytest.param(put(BASE, where, value), path_of(where), id=name)
        for name, where, value in REPLACED
    ),
    *(pytest.param(drop(BASE, where), path_of(where), id=name) for name, where in DROPPED),
    *ELSEWHERE,
]


@pytest.mark.parametrize(("document", "path"), STRUCTURAL)
def test_a_structural_refusal_is_the_schemas_too(document: Any, path: str) -> None:
    error = reader_outcome(document)
    assert error is not None
    assert error.path == path, (error.path, error.message)
    assert stated(error, document), error.message
    assert not INPUT.is_valid(document), (error.path, error.message)


NOT_STATED_CASES = [
    pytest.param(
        put(BASE, ("cart", "lines", 1, "id"), "l1"), "duplicate line id", id="duplicate-id"
    ),
    pytest.param(
        put(BASE, ("cart", "lines", 0, "unit_price"), "30.001"),
        "more decimals than",
        id="minor-units",
    ),
    pytest.param(
        put(BASE, ("packages", 0, "expires_on"), "2026-02-30"), "not a valid date", id="30-february"
    ),
    pytest.param(put(BASE, ("at",), "2026-03-08T02:30:00"), "does not exist in", id="dst-gap"),
    pytest.param(put(BASE, ("currency",), "XYZ"), "unknown ISO 4217", id="unknown-currency"),
    pytest.param(put(BASE, ("timezone",), "Mars/Olympus"), "IANA time zone", id="unknown-zone"),
    pytest.param(
        put(BASE, (*P4, "credits", 1, "remaining"), -5),
        "must be a whole number >= -",
        id="beyond-overdraft",
    ),
    pytest.param(put(BASE, ("cart", "lines", 0, "units"), 2.0), "got 2.0", id="integral-float"),
]


@pytest.mark.parametrize(("document", "fragment"), NOT_STATED_CASES)
def test_what_the_schema_cannot_state_is_left_to_the_reader(document: Any, fragment: str) -> None:
    # These documents pass the schema: the reader alone refuses them (documented).
    error = reader_outcome(document)
    assert error is not None
    assert fragment in error.message
    assert not stated(error, document)
    assert INPUT.is_valid(document)


# --- a property over mutations -----------------------------------------------------------------


def places(value: Any, where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [where] if where else []
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(places(item, (*where, key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.extend(places(item, (*where, i)))
    return out


PLACES = places(BASE)
_LOOK_ALIKES = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        1,
        -1,
        2,
        1.5,
        2**70,
        "",
        " ",
        "1",
        "30",
        "30.00",
        "30.001",
        "30.",
        "-1.00",
        "1e3",
        "30.00\n",
        "\uff13\uff10",
        "2026-03-02T17:30:00",
        "2026-03-02T17:30:00Z",
        "2026-03-02",
        "2026-02-30",
        "2026-03-08T02:30:00",
        "23:59",
        "24:00",
        "24:01",
        "optimal",
        "elapsed",
        "first_use",
        "hour",
        "USD",
        "XYZ",
        "bath",
        "p1",
        "l1",
        "grooming",
        [],
        {},
        ["bath"],
        ["bath", "bath"],
        {"days": 1},
        {"weeks": 1, "days": 1},
        [{"from": "2026-03-01", "to": "2026-03-02"}],
        [{"item": "x", "remaining": 1}],
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """The every-option document with one to three changes: a value replaced, a key removed, an
    unknown key added."""
    document: Any = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(places(document) or [("x",)]))
        parent = document
        for key in where[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace":
            parent[where[-1]] = copy.deepcopy(draw(_LOOK_ALIKES))
        elif action == "drop" and isinstance(parent, dict):
            del parent[where[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[
                draw(st.sampled_from(["x_extra", "balance", "pool", "items", "days_to_expiration"]))
            ] = copy.deepcopy(draw(_LOOK_ALIKES))
    return document


@given(document=mutated())
@example(document=put(BASE, ("cart", "lines", 0, "unit_price"), "30.00\n"))
@example(document=drop(BASE, (*P5, "balance")))
def test_reader_and_schema_agree_on_mutated_documents(document: Any) -> None:
    error = reader_outcome(document)
    valid = INPUT.is_valid(document)
    if error is None:
        assert valid, [e.message for e in INPUT.iter_errors(document)][:3]
    elif stated(error, document):
        assert not valid, (error.path, error.message)


# --- the result ------------------------------------------------------------------------------


def test_the_output_schema_refuses_a_result_it_does_not_describe() -> None:
    result = evaluate(every_field_document())
    OUTPUT.validate(result)
    for broken in (
        {**result, "total": 60},
        {**result, "extra": 1},
        {
            **result,
            "packages": [{**result["packages"][0], "remaining": {"x": 1}, "balance": "1.00"}],
        },
        {**result, "rejections": [{"line": "l1", "package": "p1", "reason": "because"}]},
    ):
        assert not OUTPUT.is_valid(broken)
