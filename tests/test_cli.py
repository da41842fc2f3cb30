"""The ``punchcard`` command line (scenario-format.md).

``punchcard apply FILE`` (``-`` = standard input) and ``python -m punchcard apply FILE`` print
the result document, exit 0; ``demo`` runs the built-in daycare scenario; ``--explain`` adds
sentences. Bad input: exit 2, one line ``punchcard: error: <path>: <what is wrong>`` on standard
error, nothing on standard output, never a traceback.

Each behaviour is checked both in a subprocess (``sys.executable -m punchcard``, the real thing:
encodings, exit status, interpreter start-up) and in-process through ``punchcard.cli.main`` with
``capsys`` (fast, and it shows the exit code as a return value).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from babel.numbers import format_currency

import punchcard
from punchcard import cli
from punchcard._demo import DEMO
from punchcard.cli import main
from punchcard.explanations import explain
from punchcard.scenario import dumps, evaluate, parse

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class Run(NamedTuple):
    code: int
    out: bytes
    err: bytes


Runner = Callable[..., Run]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "PYTHONUTF8")}
    env.update(extra)
    return env


def run_subprocess(
    args: Sequence[str], stdin: bytes = b"", *, command: Sequence[str] | None = None, **env: str
) -> Run:
    argv = [*(command or (sys.executable, "-m", "punchcard")), *args]
    proc = subprocess.run(
        argv, input=stdin, capture_output=True, timeout=120, env=_env(**env), check=False
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def run_in_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Run]:
    def run(args: Sequence[str], stdin: bytes = b"") -> Run:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --version, usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out.encode("utf-8"), captured.err.encode("utf-8"))

    return run


@pytest.fixture(params=["subprocess", "in-process"])
def run(request: pytest.FixtureRequest) -> Runner:
    if request.param == "subprocess":
        return run_subprocess
    runner: Runner = request.getfixturevalue("run_in_process")
    return runner


def scenario(item: str = "daycare_full") -> dict[str, Any]:
    return {
        "version": 1,
        "at": "2026-03-02T17:30:00",
        "timezone": "America/New_York",
        "currency": "USD",
        "cart": {
            "owner": "smith",
            "location": "downtown",
            "lines": [
                {"id": "l1", "item": item, "for": "rex", "unit_price": "30.00"},
                {"id": "l2", "item": item, "for": "bella", "unit_price": "30.00", "units": 2},
            ],
        },
        "packages": [
            {
                "id": "p1",
                "owner": "smith",
                "location": "downtown",
                "purchased_at": "2026-01-05T10:00:00",
                "expires_on": "2026-03-31",
                "credits": [{"item": item, "remaining": 2}],
            }
        ],
    }


def encoded(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def expected_output(doc: Any, *, explain_in: str | None = None) -> bytes:
    """The document ``apply`` prints; with ``--explain --locale explain_in``, plus the customer
    sentences of :func:`punchcard.explanations.explain`."""
    result = evaluate(doc)
    if explain_in is not None:
        result["explanation"] = explain(parse(doc).run(), locale=explain_in)
    return dumps(result).encode("utf-8")


def assert_success(result: Run, expected: bytes) -> None:
    assert result.err == b""
    assert result.code == 0
    assert result.out == expected
    assert result.out.endswith(b"}\n")


# --- Success ------------------------------------------------------------------------------------


def test_apply_file(run: Runner, tmp_path: Path) -> None:
    doc = scenario()
    path = tmp_path / "cart.json"
    path.write_bytes(encoded(doc))
    assert_success(run(["apply", str(path)]), expected_output(doc))


def test_apply_stdin(run: Runner) -> None:
    doc = scenario()
    assert_success(run(["apply", "-"], encoded(doc)), expected_output(doc))


def test_apply_keeps_non_ascii_as_is(run: Runner, tmp_path: Path) -> None:
    doc = scenario("toilettage-été")
    path = tmp_path / "toilettage.json"
    path.write_bytes(encoded(doc))
    result = run(["apply", str(path)])
    assert_success(result, expected_output(doc))
    assert '"item": "toilettage-été"'.encode() in result.out
    assert b"\\u00e9" not in result.out
    assert json.loads(result.out.decode("utf-8"))["packages"][0]["remaining"] == {
        "toilettage-été": 0
    }


def test_apply_with_explain(run: Runner) -> None:
    doc = scenario()
    result = run(["apply", "--explain", "-"], encoded(doc))
    assert_success(result, expected_output(doc, explain_in="en_US"))
    sentences = json.loads(result.out)["explanation"]
    assert len(sentences) == 2
    assert "$30.00" in sentences[0]


def test_apply_explain_with_locale(run: Runner) -> None:
    doc = scenario()
    doc["currency"] = "EUR"
    result = run(["apply", "-", "--explain", "--locale", "de_DE"], encoded(doc))
    assert_success(result, expected_output(doc, explain_in="de_DE"))
    assert "30,00\N{NO-BREAK SPACE}€" in json.loads(result.out)["explanation"][0]


def test_demo(run: Runner) -> None:
    result = run(["demo"])
    assert_success(result, expected_output(DEMO))
    assert "explanation" not in json.loads(result.out)


def test_demo_explain(run: Runner) -> None:
    result = run(["demo", "--explain"])
    assert_success(result, expected_output(DEMO, explain_in="en_US"))
    out = json.loads(result.out)
    assert len(out["explanation"]) == len(DEMO["cart"]["lines"])
    for sentence, line in zip(out["explanation"], DEMO["cart"]["lines"], strict=True):
        assert sentence.startswith(f"{line['item']} for {line['for']}")


def test_demo_explain_locale(run: Runner) -> None:
    result = run(["demo", "--explain", "--locale", "fr_FR"])
    assert_success(result, expected_output(DEMO, explain_in="fr_FR"))
    first = json.loads(result.out)["explanation"][0]
    assert format_currency(Decimal("5.00"), "USD", locale="fr_FR") in first  # still to pay
    assert "reste à payer" in first


def test_demo_is_the_daycare_example() -> None:
    # _demo.py promises the same document as examples/daycare.json.
    assert json.loads((EXAMPLES / "daycare.json").read_text(encoding="utf-8")) == DEMO


def test_apply_the_example_file_equals_demo(run: Runner) -> None:
    applied = run(["apply", str(EXAMPLES / "daycare.json")])
    assert_success(applied, run(["demo"]).out)


def test_version(run: Runner) -> None:
    result = run(["--version"])
    assert (result.code, result.err) == (0, b"")
    assert result.out == f"punchcard {punchcard.__version__}\n".encode()


def test_main_returns_the_exit_code(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("[]", encoding="utf-8")
    assert main(["demo"]) == 0
    assert main(["apply", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == "punchcard: error: document: must be an object, got []\n"


def test_output_is_utf8_whatever_the_console_encoding(tmp_path: Path) -> None:
    # JSON between systems is UTF-8 (RFC 8259 section 8.1) and the output must be dumps(...)
    # byte for byte. A console in cp1252 (the Windows default for pipes) must change neither the
    # bytes of "été" nor the line ends.
    doc = scenario("toilettage-été")
    path = tmp_path / "toilettage.json"
    path.write_bytes(encoded(doc))
    result = run_subprocess(["apply", str(path)], PYTHONIOENCODING="cp1252")
    assert_success(result, expected_output(doc))


# --- Bad input ----------------------------------------------------------------------------------


def bad_doc(**changes: Any) -> bytes:
    doc = scenario()
    doc.update(changes)
    return encoded(doc)


def with_remaining(value: int) -> bytes:
    doc = scenario()
    doc["packages"].append({**doc["packages"][0], "id": "p2"})
    doc["packages"][1]["credits"] = [{"item": "daycare_full", "remaining": value}]
    return encoded(doc)


class Bad(NamedTuple):
    stdin: bytes
    path: str | None  # None: any path
    fragment: str


BAD_STDIN = {
    "spec-example": Bad(
        with_remaining(-1),
        "packages[1].credits[0].remaining",
        "must be a whole number >= 0, got -1",
    ),
    "not-JSON": Bad(b"this is not JSON", "document", "not valid JSON"),
    "truncated-JSON": Bad(encoded(scenario())[:-1], "document", "not valid JSON"),
    "JSON-array": Bad(b"[]", "document", "must be an object"),
    "JSON-array-of-the-document": Bad(b"[" + encoded(scenario()) + b"]", "document", "object"),
    "empty-stdin": Bad(b"", "document", "not valid JSON"),
    "invalid-UTF-8": Bad(b'{"at": "\xff\xfe"}', "document", "UTF-8"),
    "latin-1-text": Bad(
        encoded(scenario()).replace(b"smith", "sm\xefth".encode("latin-1")), "document", "UTF-8"
    ),
    "unknown-key": Bad(bad_doc(discount="10%"), "discount", "unknown key 'discount'"),
    "duplicate-key": Bad(b'{"currency": "USD", "currency": "EUR"}', "currency", "duplicate key"),
    "float-money": Bad(
        encoded(scenario()).replace(b'"30.00"', b"30.0", 1),
        "cart.lines[0].unit_price",
        "numbers are refused",
    ),
    "NaN": Bad(
        encoded(scenario()).replace(b'"remaining": 2', b'"remaining": NaN'),
        "packages[0].credits[0].remaining",
        "got NaN",
    ),
    "DST-gap": Bad(bad_doc(at="2026-03-08T02:30:00"), "at", "does not exist in America/New_York"),
    "version-2": Bad(bad_doc(version=2), "version", "must be the integer 1, got 2"),
    # A newline in a key must not break the one-line promise (however the path then spells it).
    "newline-in-a-key": Bad(bad_doc(**{"a\nb": 1}), None, "unknown key 'a\\nb'"),
    # A folder of the zone database is no zone: bad input too, never a traceback.
    "timezone-a-folder": Bad(bad_doc(timezone="America"), "timezone", "'America'"),
}


def assert_one_error_line(result: Run, path: str | None, fragment: str) -> None:
    assert b"Traceback" not in result.err + result.out
    assert result.out == b""
    assert result.code == 2
    err = result.err.decode("utf-8")
    assert err.endswith("\n")
    lines = err.splitlines()
    assert len(lines) == 1, err
    prefix = "punchcard: error: " if path is None else f"punchcard: error: {path}: "
    assert lines[0].startswith(prefix), lines[0]
    assert fragment in lines[0]


@pytest.mark.parametrize("case", BAD_STDIN.values(), ids=BAD_STDIN.keys())
def test_bad_input_on_stdin(run_in_process: Runner, case: Bad) -> None:
    assert_one_error_line(run_in_process(["apply", "-"], case.stdin), case.path, case.fragment)


# A subprocess costs a second of interpreter start-up on a busy machine: the cases whose bytes
# travel differently through a real pipe (encodings, empty input) run there too.
SUBPROCESS_CASES = (
    "spec-example",
    "empty-stdin",
    "invalid-UTF-8",
    "JSON-array",
    "newline-in-a-key",
)


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_bad_input_on_stdin_in_a_subprocess(name: str) -> None:
    case = BAD_STDIN[name]
    assert_one_error_line(run_subprocess(["apply", "-"], case.stdin), case.path, case.fragment)


@pytest.mark.parametrize("explain", [[], ["--explain"]], ids=["plain", "explain"])
def test_bad_input_from_a_file(run: Runner, tmp_path: Path, explain: list[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(with_remaining(-1))
    result = run(["apply", *explain, str(path)])
    assert result.err == (
        b"punchcard: error: packages[1].credits[0].remaining: must be a whole number >= 0, got -1\n"
    )
    assert_one_error_line(result, "packages[1].credits[0].remaining", "got -1")


def test_missing_file(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    result = run(["apply", str(path)])
    assert_one_error_line(result, "document", "cannot read")
    assert str(path) in result.err.decode()


def test_a_directory(run: Runner, tmp_path: Path) -> None:
    assert_one_error_line(run(["apply", str(tmp_path)]), "document", "cannot read")


def test_a_path_through_a_file(run: Runner, tmp_path: Path) -> None:
    file = tmp_path / "cart.json"
    file.write_bytes(encoded(scenario()))
    assert_one_error_line(run(["apply", str(file / "more.json")]), "document", "cannot read")


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0,
    reason="file permissions do not stop root (or Windows) from reading a file",
)
def test_unreadable_file(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "secret.json"
    path.write_bytes(encoded(scenario()))
    path.chmod(0)
    try:
        assert_one_error_line(run(["apply", str(path)]), "document", "cannot read")
    finally:
        path.chmod(0o600)


def test_unreadable_file_even_as_root(
    run_in_process: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root reads through file permissions, so the refusal is simulated where the CLI opens.
    path = tmp_path / "secret.json"
    path.write_bytes(encoded(scenario()))

    def refuse(file: Any, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr(cli, "open", refuse, raising=False)
    result = run_in_process(["apply", str(path)])
    assert_one_error_line(result, "document", "cannot read")
    assert "Permission denied" in result.err.decode()


def test_a_file_with_invalid_utf8(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "cart.json"
    path.write_bytes(b"\xff\xfe" + "{}".encode("utf-16-le"))
    assert_one_error_line(run(["apply", str(path)]), "document", "UTF-8")


def test_an_empty_file(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    assert_one_error_line(run(["apply", str(path)]), "document", "not valid JSON")


@pytest.mark.parametrize("command", [["demo"], ["apply", "-"]], ids=["demo", "apply"])
def test_unknown_locale(run: Runner, command: list[str]) -> None:
    result = run([*command, "--explain", "--locale", "xx_XX"], encoded(scenario()))
    assert_one_error_line(result, "--locale", "'xx_XX'")


def test_bad_document_is_reported_before_a_bad_locale(run: Runner) -> None:
    result = run(["apply", "-", "--explain", "--locale", "xx_XX"], b"[]")
    assert_one_error_line(result, "document", "must be an object")


@pytest.mark.parametrize(
    "args",
    [[], ["apply"], ["frobnicate"], ["apply", "-", "--nope"]],
    ids=["no-command", "apply-without-file", "unknown-command", "unknown-option"],
)
def test_usage_errors_exit_2_without_traceback(run: Runner, args: list[str]) -> None:
    result = run(args)
    assert result.code == 2
    assert result.out == b""
    assert b"Traceback" not in result.err
    assert b"usage: punchcard" in result.err


# --- The installed console script ---------------------------------------------------------------


def console_script() -> Path:
    bindir = Path(sys.executable).parent
    for name in ("punchcard", "punchcard.exe"):
        if (bindir / name).is_file():
            return bindir / name
    pytest.skip(f"no 'punchcard' console script next to {sys.executable} (package not installed)")


def test_console_script_demo() -> None:
    script = console_script()
    result = run_subprocess(["demo"], command=[str(script)])
    assert_success(result, expected_output(DEMO))


def test_console_script_apply_stdin_and_bad_input() -> None:
    script = console_script()
    doc = scenario("toilettage-été")
    assert_success(
        run_subprocess(["apply", "-"], encoded(doc), command=[str(script)]), expected_output(doc)
    )
    result = run_subprocess(["apply", "-"], with_remaining(-1), command=[str(script)])
    assert_one_error_line(result, "packages[1].credits[0].remaining", "got -1")


def test_console_script_version() -> None:
    result = run_subprocess(["--version"], command=[str(console_script())])
    assert (result.code, result.out) == (0, f"punchcard {punchcard.__version__}\n".encode())
