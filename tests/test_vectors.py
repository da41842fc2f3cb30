"""Conformance vectors: every tests/vectors/*.json through ``evaluate`` and through the CLI.

A vector is a scenario document with the result worked out by hand from semantics.md and
scenario-format.md (see tests/vectors/README.md). The CLI part runs ``python -m punchcard apply -``
for every vector, all in one interpreter, and a few vectors again each in a process of its own.

The vectors of the market options (tests/vectors/options/, semantics X) are compared like the
others; ``ENGINE_SUPPORTS_OPTIONS`` skips those comparisons, with the reason shown, for an engine
without the options.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scenario_documents import RESULT_KEYS

from punchcard._booking import PERIOD_CAP
from punchcard.errors import ScenarioError
from punchcard.rules.builtin import REASON_CODES
from punchcard.scenario import dumps, evaluate, parse

VECTOR_DIR = Path(__file__).parent / "vectors"
VECTOR_FILES = sorted(VECTOR_DIR.glob("*.json"))
NAMES = [path.name for path in VECTOR_FILES]
#: The vectors of semantics X, by path under tests/vectors/.
OPTION_NAMES = [f"options/{path.name}" for path in sorted((VECTOR_DIR / "options").glob("*.json"))]
#: Whether the engine implements the market options (semantics X): while it does not, the answers
#: of the option vectors are not compared (it does since the engine of main 0d773b6).
ENGINE_SUPPORTS_OPTIONS = True
_NOT_YET = pytest.mark.skip(
    reason="semantics X (market options) not implemented by the engine yet; "
    "set ENGINE_SUPPORTS_OPTIONS in tests/test_vectors.py to compare"
)


def _load(name: str) -> dict[str, Any]:
    vector: dict[str, Any] = json.loads((VECTOR_DIR / name).read_text(encoding="utf-8"))
    return vector


VECTORS = {name: _load(name) for name in NAMES}
OPTION_VECTORS = {name: _load(name) for name in OPTION_NAMES}
ALL_VECTORS = {**VECTORS, **OPTION_VECTORS}
COMPARED = NAMES + (OPTION_NAMES if ENGINE_SUPPORTS_OPTIONS else [])
_COMPARED_PARAMS = [
    *NAMES,
    *(
        pytest.param(name, id=name, marks=() if ENGINE_SUPPORTS_OPTIONS else _NOT_YET)
        for name in OPTION_NAMES
    ),
]


def test_there_are_enough_vectors_and_each_cites_its_source() -> None:
    assert len(VECTORS) >= 30
    assert len(OPTION_VECTORS) >= 9
    for name, vector in ALL_VECTORS.items():
        assert isinstance(vector.get("cites"), str), name
        assert vector["cites"].strip(), f"{name}: empty 'cites'"


@pytest.mark.parametrize("name", [*NAMES, *OPTION_NAMES], ids=[*NAMES, *OPTION_NAMES])
def test_vector_file_is_well_formed(name: str) -> None:
    vector = ALL_VECTORS[name]
    outcome = {"expected", "expected_error"} & set(vector)
    assert len(outcome) == 1, f"{name}: needs exactly one of expected / expected_error"
    assert set(vector) == {"cites", "description", "input", *outcome}
    assert vector["description"].strip()
    assert isinstance(vector["input"], dict)
    if "expected_error" in vector:
        error = vector["expected_error"]
        assert set(error) == {"path", "message_contains"}
        assert error["path"]
        assert error["message_contains"]
    else:
        # The documented key order (scenario-format.md, Output), so that the byte comparison
        # with the CLI below also checks the order the CLI prints.
        assert list(vector["expected"]) == RESULT_KEYS


def test_vectors_cover_every_reason_code_and_bad_input() -> None:
    reasons = {
        rejection["reason"]
        for vector in ALL_VECTORS.values()
        for rejection in vector.get("expected", {}).get("rejections", ())
    }
    # ('paused', R4a, and 'period_cap', X10, from the option vectors)
    assert reasons == {*REASON_CODES, PERIOD_CAP}
    assert sum("expected_error" in vector for vector in VECTORS.values()) >= 4


@pytest.mark.parametrize("name", OPTION_NAMES, ids=OPTION_NAMES)
def test_option_vector_reads_and_cites_semantics_x(name: str) -> None:
    # Read now, whatever the engine: every option of the input is one the reader accepts.
    vector = OPTION_VECTORS[name]
    assert "semantics.md X" in vector["cites"]
    parse(copy.deepcopy(vector["input"]))


@pytest.mark.parametrize("name", _COMPARED_PARAMS)
def test_vector_evaluate(name: str) -> None:
    vector = ALL_VECTORS[name]
    document = copy.deepcopy(vector["input"])
    if "expected_error" in vector:
        error = vector["expected_error"]
        with pytest.raises(ScenarioError) as info:
            evaluate(document)
        assert info.value.path == error["path"]
        assert error["message_contains"] in info.value.message
    else:
        assert evaluate(document) == vector["expected"]
    assert document == vector["input"], "evaluate must not change its input"


# Runs ``python -m punchcard apply -`` (the package's __main__, argument parsing, standard input
# read as bytes, output and exit code) once per document, all in one interpreter: one process per
# vector would spend most of its time importing. Standard output and error are UTF-8 byte streams,
# as a pipe is; the results go back as ASCII JSON.
_BATCH_DRIVER = r"""
import io, json, runpy, sys, traceback

texts = json.load(sys.stdin)
saved = (sys.stdin, sys.stdout, sys.stderr, sys.argv)
results = []
for text in texts:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
    sys.stdout, sys.stderr, sys.argv = out, err, ["punchcard", "apply", "-"]
    try:
        runpy.run_module("punchcard", run_name="__main__", alter_sys=True)
        code = "no exit"
    except SystemExit as exc:
        code = exc.code
    except BaseException:
        code = "crash"
        traceback.print_exc(file=err)
    out.flush()
    err.flush()
    sys.stdin, sys.stdout, sys.stderr, sys.argv = saved
    results.append({
        "code": code,
        "stdout": out.buffer.getvalue().decode("utf-8"),
        "stderr": err.buffer.getvalue().decode("utf-8"),
    })
json.dump(results, sys.stdout)
"""


def _stdin_text(name: str) -> str:
    return json.dumps(ALL_VECTORS[name]["input"], ensure_ascii=False)


@pytest.fixture(scope="module")
def cli_runs() -> dict[str, dict[str, Any]]:
    """``python -m punchcard apply -`` on every vector: exit code, stdout and stderr as text."""
    proc = subprocess.run(
        [sys.executable, "-c", _BATCH_DRIVER],
        input=json.dumps([_stdin_text(name) for name in COMPARED]).encode("ascii"),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    results: list[dict[str, Any]] = json.loads(proc.stdout)
    return dict(zip(COMPARED, results, strict=True))


def _check_cli(name: str, code: object, stdout: str, stderr: str) -> None:
    vector = ALL_VECTORS[name]
    if "expected_error" in vector:
        error = vector["expected_error"]
        assert code == 2, stderr
        assert stdout == ""
        assert stderr.endswith("\n")
        lines = stderr.splitlines()
        assert len(lines) == 1, stderr
        assert lines[0].startswith(f"punchcard: error: {error['path']}: ")
        assert error["message_contains"] in lines[0]
    else:
        assert code == 0, stderr
        assert stderr == ""
        assert json.loads(stdout) == vector["expected"]
        assert stdout == dumps(vector["expected"])


@pytest.mark.parametrize("name", _COMPARED_PARAMS)
def test_vector_cli(name: str, cli_runs: dict[str, dict[str, Any]]) -> None:
    run = cli_runs[name]
    _check_cli(name, run["code"], run["stdout"], run["stderr"])


# A few vectors also as separate processes, exactly as a host shells out: a result with non-ASCII
# ids, a plain result, and bad input.
END_TO_END = ["m_jpy_no_minor_units.json", "v_default_rate_voucher.json", "x_float_money.json"]


@pytest.mark.parametrize("name", END_TO_END, ids=END_TO_END)
def test_vector_cli_own_process(name: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "punchcard", "apply", "-"],
        input=_stdin_text(name).encode("utf-8"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    _check_cli(name, proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))
