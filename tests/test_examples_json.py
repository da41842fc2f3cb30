"""The bundled scenario examples (examples/*.json) through the command line, and their key facts.

Every example must run with and without ``--explain`` (exit 0, valid JSON, the same answer as
``evaluate``). The facts each example exists to show are then checked one by one: which package
paid which line, and why the others did not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from punchcard.scenario import dumps, evaluate, loads

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NAMES = sorted(path.name for path in EXAMPLES.glob("*.json"))


def _cli(name: str, *options: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "punchcard", "apply", str(EXAMPLES / name), *options],
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, bool], subprocess.CompletedProcess[bytes]]:
    """The CLI run of every example, plain and with --explain."""
    return {
        (name, explain): _cli(name, *(["--explain"] if explain else []))
        for name in NAMES
        for explain in (False, True)
    }


def _result(runs: dict[tuple[str, bool], subprocess.CompletedProcess[bytes]], name: str) -> Any:
    proc = runs[name, False]
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return json.loads(proc.stdout)


def test_the_documented_examples_exist() -> None:
    assert {"daycare.json", "salon_products.json", "family_pets.json"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES, ids=NAMES)
def test_example_runs_through_the_cli(
    name: str, runs: dict[tuple[str, bool], subprocess.CompletedProcess[bytes]]
) -> None:
    proc = runs[name, False]
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert proc.stderr == b""
    stdout = proc.stdout.decode("utf-8")
    expected = evaluate(loads((EXAMPLES / name).read_bytes()))
    assert json.loads(stdout) == expected
    assert stdout == dumps(expected)
    assert "explanation" not in expected


@pytest.mark.parametrize("name", NAMES, ids=NAMES)
def test_example_runs_with_explain(
    name: str, runs: dict[tuple[str, bool], subprocess.CompletedProcess[bytes]]
) -> None:
    proc = runs[name, True]
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert proc.stderr == b""
    explained = json.loads(proc.stdout)
    sentences = explained.pop("explanation")
    assert explained == _result(runs, name)
    document = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    lines = document["cart"]["lines"]
    assert len(sentences) == max(1, len(lines))
    assert all(isinstance(s, str) and s for s in sentences)
    for line, sentence in zip(lines, sentences, strict=False):
        assert sentence.startswith(line["item"])  # the customer sentence of punchcard.explanations


def _redemptions(result: Any, line: str) -> list[tuple[str, str, int, str]]:
    return [
        (r["package"], r["item"], r["credits"], r["amount"])
        for r in result["redemptions"]
        if r["line"] == line
    ]


def _rejections(result: Any, line: str) -> dict[str, str]:
    return {r["package"]: r["reason"] for r in result["rejections"] if r["line"] == line}


def _line(result: Any, line: str) -> tuple[str, str, str, int]:
    (found,) = [entry for entry in result["lines"] if entry["id"] == line]
    return found["total"], found["covered"], found["due"], found["credits"]


def _package(result: Any, package: str) -> dict[str, Any]:
    (found,) = [entry for entry in result["packages"] if entry["id"] == package]
    return dict(found)


def test_daycare_facts(runs: dict[tuple[str, bool], subprocess.CompletedProcess[bytes]]) -> None:
    # semantics.md V default_rate: a credit takes off the $30 location rate; the $35 holiday
    # line keeps $5 due. The lapsed pass (expired 2026-02-28) is never used, rex's half-day
    # package never pays bella's line.
    result = _result(runs, "daycare.json")
    assert (result["total"], result["covered"], result["due"]) == ("83.00", "60.00", "23.00")
    assert _redemptions(result, "bella-mon") == [("pass-2026-01", "daycare_full", 1, "30.00")]
    assert _redemptions(result, "rex-mon") == [("pass-2026-01", "daycare_full", 1, "30.00")]
    assert _line(result, "rex-mon") == ("35.00", "30.00", "5.00", 1)
    assert _redemptions(result, "bella-half") == []
    assert _rejections(result, "bella-half") == {
        "half-rex": "beneficiary_mismatch",
        "pass-2025-11": "expired",
        "pass-2026-01": "type_mismatch",
    }
    assert _package(result, "pass-2026-01")["remaining"] == {"daycare_full": 0}
    assert _package(result, "pass-2025-11")["remaining"] == {"daycare_full": 3}


def test_salon_products_facts(
    runs: dict[tuple[str, bool], subprocess.CompletedProcess[bytes]],
) -> None:
    # Seed 004: products only if included in the package; one credit goes to the cheapest
    # eligible product; FIFO by purchase, whatever the expiry dates.
    document = json.loads((EXAMPLES / "salon_products.json").read_text(encoding="utf-8"))
    older, newer = document["packages"]
    assert older["purchased_at"] < newer["purchased_at"]
    assert older["expires_on"] > newer["expires_on"]  # the newer package expires first

    result = _result(runs, "salon_products.json")
    assert (result["total"], result["covered"], result["due"]) == ("132.80", "88.80", "44.00")

    # The last shampoo credit pays the cheaper bottle ($20.80), not the $26 one.
    assert _redemptions(result, "tkt-20931-3") == [
        ("pkg-1001", "hydrating-shampoo-300ml", 1, "20.80")
    ]
    assert _line(result, "tkt-20931-1") == ("26.00", "0.00", "26.00", 0)
    assert _rejections(result, "tkt-20931-1") == {"pkg-1001": "exhausted", "pkg-1187": "exhausted"}

    # Two masks: the older package first although the newer one expires sooner.
    assert _redemptions(result, "tkt-20931-2") == [
        ("pkg-1001", "bond-repair-mask-200ml", 1, "34.00"),
        ("pkg-1187", "bond-repair-mask-200ml", 1, "34.00"),
    ]

    # A product in no package, and a $0 sample that keeps its credit.
    assert _rejections(result, "tkt-20931-4") == {
        "pkg-1001": "type_mismatch",
        "pkg-1187": "type_mismatch",
    }
    assert _rejections(result, "tkt-20931-5") == {
        "pkg-1001": "zero_price",
        "pkg-1187": "type_mismatch",
    }

    assert _package(result, "pkg-1001")["remaining"] == {
        "hydrating-shampoo-300ml": 0,
        "bond-repair-mask-200ml": 0,
        "leave-in-conditioner-50ml": 2,
    }
    assert _package(result, "pkg-1187")["remaining"] == {
        "hydrating-shampoo-300ml": 0,
        "bond-repair-mask-200ml": 1,
    }
    # Both were used before: first_used_at is kept, not moved to this ticket.
    assert _package(result, "pkg-1001")["first_used_at"] == "2025-12-02T12:15:00-05:00"
    assert _package(result, "pkg-1187")["first_used_at"] == "2026-02-07T10:05:00-05:00"


def test_family_pets_facts(
    runs: dict[tuple[str, bool], subprocess.CompletedProcess[bytes]],
) -> None:
    # Seed 002: an individual pet's package is used before the shared family package (bought
    # earlier), then FIFO; a package for one pet never pays for another.
    result = _result(runs, "family_pets.json")
    assert (result["total"], result["covered"], result["due"]) == ("210.00", "185.00", "25.00")

    assert _redemptions(result, "luna-week") == [
        ("pkg-luna-10", "daycare_full", 2, "64.00"),
        ("pkg-family-20", "daycare_full", 1, "32.00"),
    ]
    assert _redemptions(result, "max-week") == [("pkg-family-20", "daycare_full", 2, "64.00")]
    assert _redemptions(result, "max-bath") == [("pkg-max-bath", "bath", 1, "25.00")]
    assert _redemptions(result, "luna-bath") == []
    assert _rejections(result, "luna-bath") == {
        "pkg-family-20": "type_mismatch",
        "pkg-luna-10": "type_mismatch",
        "pkg-max-bath": "beneficiary_mismatch",
    }

    assert _package(result, "pkg-family-20")["remaining"] == {"daycare_full": 6}
    assert _package(result, "pkg-luna-10") == {
        "id": "pkg-luna-10",
        "remaining": {"daycare_full": 0},
        "expires_on": "2026-04-11",  # sold 2026-02-10, 60 days
        "expires_at": "2026-04-11T23:59:00-05:00",  # 23:59 that day, daylight time (CDT)
        "first_used_at": "2026-02-11T08:10:00-06:00",
    }
    # First use of max's bath package is recorded at this checkout (Chicago, CST).
    assert _package(result, "pkg-max-bath")["first_used_at"] == "2026-03-06T18:05:00-06:00"
