"""The ``punchcard`` command: ``apply FILE|-``, ``demo``, and the scale-out jobs ``sweep`` and
``backtest`` (see ``punchcard.scale``).

Bad input exits 2 with one line ``punchcard: error: <path>: <what is wrong>``; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .errors import ScenarioError
from .scale._cli import SCALE_COMMANDS, add_scale_commands, run_scale_command
from .scenario import dumps, evaluate, loads

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="punchcard",
        description="Apply prepaid package credits to a cart, as a JSON scenario says.",
    )
    parser.add_argument("--version", action="version", version=f"punchcard {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    apply_cmd = commands.add_parser(
        "apply", help="apply a scenario document (FILE, or - for standard input)"
    )
    apply_cmd.add_argument("file", metavar="FILE", help="scenario JSON file, or - for stdin")
    for cmd in (apply_cmd, commands.add_parser("demo", help="apply a built-in daycare scenario")):
        cmd.add_argument(
            "--explain", action="store_true", help="add readable sentences to the result"
        )
        cmd.add_argument("--locale", default="en_US", help="locale of --explain (default en_US)")
    add_scale_commands(commands)
    return parser


def _read(path: str) -> Any:
    try:
        if path == "-":
            text = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                text = handle.read()
    except OSError as exc:
        raise ScenarioError("document", f"cannot read {path!r}: {exc.strerror}") from None
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError("document", "not UTF-8 text") from None
    return loads(decoded)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 done, 2 bad input)."""
    args = _parser().parse_args(argv)
    if args.command in SCALE_COMMANDS:
        return run_scale_command(args)
    try:
        if args.command == "demo":
            from ._demo import DEMO

            document = DEMO
        else:
            document = _read(args.file)
        result = evaluate(document, explain=args.explain, locale=args.locale)
    except ScenarioError as exc:
        print(f"punchcard: error: {exc.path}: {exc.message}", file=sys.stderr)
        return 2
    # The document is UTF-8 whatever the console's encoding (ids may be non-ASCII).
    text = dumps(result)
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
    else:
        sys.stdout.flush()
        buffer.write(text.encode("utf-8", "backslashreplace"))
        buffer.flush()
    return 0
