"""The shell examples of the documentation run, exit as documented and print what the page shows.

The Python examples of the docs pages are doctests (pytest collects ``docs/*.md`` and README.md
with ``--doctest-glob``). This module checks the rest, so that no command of the docs drifts from
the code:

- every ``punchcard ...`` (or ``python3 -m punchcard ...``) command of a ``sh`` block in
  ``docs/*.md`` and README.md is run from the repository root as ``sys.executable -m punchcard``
  with the same arguments, and must exit with status 0, or with the status its line documents in a
  comment (``# exits with status 2``);
- a fenced block marked ``<!-- punchcard-output: stdout -->`` (optionally ``keys=a,b`` for an
  excerpt of the top-level keys) or ``<!-- punchcard-output: stderr -->`` must be what the last
  command of the ``sh`` block before it prints: JSON compared as data, text exactly;
- a JSON block marked ``<!-- punchcard-file: PATH -->`` must hold the same data as that file;
- a ``json`` or ``text`` block right after a ``sh`` block of punchcard commands reads as that
  command's output, so it must carry an output marker (it cannot silently go unchecked).

Supported shell forms: ``punchcard ARGS``, ``punchcard ARGS < FILE``, ``echo 'TEXT' | punchcard
ARGS``, several of them joined by ``&&`` or ``;`` (other commands on the line are not run); any
other form of a punchcard command fails the test, so that it cannot go unchecked either.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES: tuple[Path, ...] = (*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md")

_FENCE = re.compile(r"^```([\w+-]*)\s*$")
_MARKER = re.compile(r"^<!--\s*(punchcard-[\w-]+):?\s*(.*?)\s*-->\s*$")
_EXIT = re.compile(r"exits? with status (\d+)")
_SHELLS = frozenset({"sh", "bash", "shell", "console"})


@attrs.frozen
class Block:
    """A fenced block of a page."""

    page: Path
    line: int  # line number of the opening fence (1-based)
    lang: str
    body: str
    marker: tuple[str, str] | None  # (kind, argument) of a punchcard marker just above it


@attrs.frozen
class Command:
    """A punchcard invocation found in a shell block."""

    page: Path
    line: int
    text: str
    args: tuple[str, ...]
    stdin: bytes | None
    expected_status: int

    @property
    def id(self) -> str:
        return f"{self.page.name}:{self.line}:{' '.join(self.args)}"[:90]


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of *page*, each with the punchcard marker on the line above, if any."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        assert i < len(lines), f"{page.name}:{start + 1}: a fence that is never closed"
        marker = None
        if start > 0:
            m = _MARKER.match(lines[start - 1].strip())
            if m:
                marker = (m.group(1), m.group(2))
        found.append(Block(page, start + 1, match.group(1), "\n".join(body) + "\n", marker))
        i += 1
    return found


def logical_lines(body: str) -> Iterator[tuple[int, str, str]]:
    """Split shell text into (line offset, command, comment), honouring quotes and ``\\``-newlines."""
    command: list[str] = []
    comment: list[str] = []
    quote = ""
    offset = first = 0
    i = 0
    while i < len(body):
        ch = body[i]
        if quote:
            command.append(ch)
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < len(body):
                command.append(body[i + 1])
                i += 1
            if ch == "\n":
                offset += 1
        elif ch in "'\"":
            quote = ch
            command.append(ch)
        elif ch == "\\" and body[i + 1 : i + 2] == "\n":
            command.append(" ")
            offset += 1
            i += 1
        elif ch == "#" and (not command or command[-1].isspace()):
            end = body.find("\n", i)
            end = len(body) if end < 0 else end
            comment.append(body[i + 1 : end])
            i = end
            continue
        elif ch == "\n":
            if "".join(command).strip():
                yield first, "".join(command).strip(), " ".join(comment).strip()
            command, comment = [], []
            offset += 1
            first = offset
        else:
            command.append(ch)
        i += 1
    assert not quote, f"unterminated quote in shell block: {body!r}"
    if "".join(command).strip():
        yield first, "".join(command).strip(), " ".join(comment).strip()


def _is_punchcard(words: list[str]) -> int:
    """How many leading words name the punchcard program (0 when it is another program)."""
    if words[:1] == ["punchcard"]:
        return 1
    if len(words) >= 3 and words[0] in ("python", "python3") and words[1:3] == ["-m", "punchcard"]:
        return 3
    return 0


def commands_of(block: Block) -> list[Command]:
    """The punchcard invocations of a shell block."""
    found: list[Command] = []
    for offset, text, comment in logical_lines(block.body):
        lexer = shlex.shlex(text, posix=True, punctuation_chars="|&;<>")
        lexer.whitespace_split = True
        tokens = list(lexer)
        segments: list[list[str]] = [[]]
        for token in tokens:
            if token in ("&&", ";"):
                segments.append([])
            else:
                segments[-1].append(token)
        status = _EXIT.search(comment)
        expected = int(status.group(1)) if status else 0
        for segment in segments:
            stages: list[list[str]] = [[]]
            for token in segment:
                if token == "|":
                    stages.append([])
                else:
                    stages[-1].append(token)
            program = stages[-1]
            skip = _is_punchcard(program) if program else 0
            if not skip:
                assert not any(_is_punchcard(s) for s in stages if s), (
                    f"{block.page.name}:{block.line}: unsupported shell form {text!r}"
                )
                continue
            args = program[skip:]
            stdin: bytes | None = None
            if "<" in args:
                at = args.index("<")
                assert at == len(args) - 2, f"unsupported redirection in {text!r}"
                stdin = (ROOT / args[at + 1]).read_bytes()
                args = args[:at]
            if len(stages) == 2:
                unsupported = (
                    f"{block.page.name}:{block.line}: unsupported shell form (only "
                    f"`echo 'TEXT' | punchcard` pipes are run), got {text!r}"
                )
                assert stages[0][:1] == ["echo"], unsupported
                assert len(stages[0]) == 2, unsupported
                assert stdin is None, f"two standard inputs in {text!r}"
                stdin = (stages[0][1] + "\n").encode("utf-8")
            assert len(stages) <= 2, f"unsupported pipeline {text!r}"
            assert not any(t in ("|", "&", ">", ">>", "<<", "&>") for t in args), (
                f"{block.page.name}:{block.line}: unsupported shell syntax in {text!r}"
            )
            found.append(
                Command(block.page, block.line + 1 + offset, text, tuple(args), stdin, expected)
            )
    return found


def _all_blocks() -> list[Block]:
    return [block for page in PAGES for block in blocks(page)]


def _all_commands() -> list[Command]:
    return [c for b in _all_blocks() if b.lang in _SHELLS for c in commands_of(b)]


@attrs.frozen
class Output:
    """A block that shows what a command prints."""

    block: Block
    command: Command
    stream: str
    keys: tuple[str, ...] | None


def _outputs() -> list[Output]:
    found: list[Output] = []
    for page in PAGES:
        last: Command | None = None
        for block in blocks(page):
            if block.lang in _SHELLS:
                cmds = commands_of(block)
                last = cmds[-1] if cmds else None
                continue
            if block.marker is None or block.marker[0] != "punchcard-output":
                continue
            assert last is not None, (
                f"{page.name}:{block.line}: an output marker with no punchcard command before it"
            )
            stream, *options = block.marker[1].split()
            assert stream in ("stdout", "stderr"), f"{page.name}:{block.line}: stream {stream!r}"
            keys: tuple[str, ...] | None = None
            for option in options:
                name, _, value = option.partition("=")
                assert name == "keys", f"{page.name}:{block.line}: unknown option {option!r}"
                keys = tuple(value.split(","))
            found.append(Output(block, last, stream, keys))
    return found


@functools.cache
def run(args: tuple[str, ...], stdin: bytes | None) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m punchcard ARGS`` from the repository root (cached: pure and deterministic)."""
    env = {**os.environ, "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "punchcard", *args],
        cwd=ROOT,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=120,
        env=env,
        check=False,
    )


COMMANDS = _all_commands()
OUTPUTS = _outputs()


@pytest.mark.slow  # starts an interpreter (CI's full run has it)
@pytest.mark.parametrize("command", COMMANDS, ids=[c.id for c in COMMANDS])
def test_command_exits_as_documented(command: Command) -> None:
    done = run(command.args, command.stdin)
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == command.expected_status, (
        f"{command.page.name}:{command.line}: `{command.text}` exited {done.returncode}, "
        f"documented {command.expected_status}; stderr: {stderr}"
    )
    assert "Traceback" not in stderr
    if command.expected_status == 2:
        # scenario-format: one line on standard error, never a partial result.
        assert done.stdout == b""
        assert stderr.count("\n") == 1
        assert stderr.startswith("punchcard: error: ")


@pytest.mark.parametrize(
    "output", OUTPUTS, ids=[f"{o.block.page.name}:{o.block.line}" for o in OUTPUTS]
)
def test_shown_output_is_the_real_output(output: Output) -> None:
    command = output.command
    done = run(command.args, command.stdin)
    real = (done.stdout if output.stream == "stdout" else done.stderr).decode("utf-8")
    where = f"{output.block.page.name}:{output.block.line} (output of `{command.text}`)"
    if output.block.lang == "json":
        shown = json.loads(output.block.body)
        actual: Any = json.loads(real)
        if output.keys is not None:
            assert list(shown) == list(output.keys), f"{where}: the block shows other keys"
            actual = {key: actual[key] for key in output.keys}
        assert shown == actual, where
    else:
        assert output.block.body.strip() == real.strip(), where


FILES = [b for b in _all_blocks() if b.marker and b.marker[0] == "punchcard-file"]


@pytest.mark.parametrize("block", FILES, ids=[f"{b.page.name}:{b.line}" for b in FILES])
def test_shown_file_is_the_real_file(block: Block) -> None:
    assert block.marker is not None
    path = ROOT / block.marker[1]
    assert json.loads(block.body) == json.loads(path.read_text(encoding="utf-8"))


def test_markers_are_known() -> None:
    kinds = {b.marker[0] for b in _all_blocks() if b.marker}
    assert kinds <= {"punchcard-output", "punchcard-file"}


def test_output_after_a_command_is_marked() -> None:
    """A JSON or text block right after a punchcard shell block reads as its output: check it."""
    for page in PAGES:
        page_blocks = blocks(page)
        for before, block in itertools.pairwise(page_blocks):
            if before.lang in _SHELLS and commands_of(before) and block.lang in ("json", "text"):
                assert block.marker is not None, (
                    f"{page.name}:{block.line}: mark this block "
                    "<!-- punchcard-output: stdout --> (or stderr), or move it"
                )


def test_the_docs_have_commands_to_check() -> None:
    """The extraction finds the commands and outputs the pages are known to hold."""
    texts = {c.text for c in COMMANDS}
    assert "punchcard apply examples/daycare.json --explain" in texts  # README.md
    assert {c.page.name for c in COMMANDS} >= {"README.md", "quickstart.md", "scenario-format.md"}
    assert any(c.expected_status == 2 for c in COMMANDS)
    assert any(c.stdin is not None for c in COMMANDS)
    assert {o.stream for o in OUTPUTS} == {"stdout", "stderr"}
    assert FILES


def test_shell_parsing() -> None:
    """The extraction itself: quotes over several lines, pipes, redirections, other programs."""
    block = Block(
        Path("x.md"),
        1,
        "sh",
        "python3 -m pip install . && punchcard apply a.json --explain\n"
        "echo '{\"a\":\n  1}' | punchcard apply -    # exits with status 2\n"
        "python3 -m punchcard demo\n"
        "python3 examples/host_integration.py\n",
        None,
    )
    found = commands_of(block)
    assert [(c.args, c.stdin, c.expected_status, c.line) for c in found] == [
        (("apply", "a.json", "--explain"), None, 0, 2),
        (("apply", "-"), b'{"a":\n  1}\n', 2, 3),
        (("demo",), None, 0, 5),
    ]
    with pytest.raises(AssertionError, match="unsupported"):
        commands_of(Block(Path("x.md"), 1, "sh", "cat a.json | punchcard apply -\n", None))


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    in_fence = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        if not in_fence and line.startswith("#"):
            slug = _slug(line.lstrip("#"))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_links_between_pages_resolve(page: Path) -> None:
    """Every relative link names a file that exists and, with ``#anchor``, one of its headings."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # an absolute URL
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: link to missing {target!r}"
        if anchor:
            assert anchor in _anchors(linked), f"{page.name}: no heading for {target!r}"


def test_slugs_follow_github() -> None:
    assert _slug(" R1 `owner_mismatch`") == "r1-owner_mismatch"
    assert _slug(" R: may this credit pay for this line?") == "r-may-this-credit-pay-for-this-line"
    assert _slug(" Purity: no clock, no database") == "purity-no-clock-no-database"
