"""Progress of long runs: partitions done / total on standard error when it is a terminal,
nothing with ``--quiet`` or when it is not one (punchcard.scale.progress, and both commands
run in a real process whose standard error is a pseudo-terminal or a pipe)."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from scale_kit import AS_OF, population

from punchcard.cli import main
from punchcard.scale import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_counts_partitions_on_a_terminal_only() -> None:
    screen = Terminal()
    bar = Progress("sweep", 3, stream=screen, clock=iter([0.0, 2.5]).__next__)
    for _ in range(3):
        bar.advance()
    bar.finish()
    assert screen.getvalue() == (
        "\rsweep: 0/3 partitions\rsweep: 1/3 partitions\rsweep: 2/3 partitions"
        "\rsweep: 3/3 partitions\rsweep: 3/3 partitions, done in 2.5 s\n"
    )
    assert bar.shown
    for stream, quiet in ((Terminal(), True), (io.StringIO(), False)):
        silent = Progress("sweep", 3, stream=stream, quiet=quiet)
        silent.advance()
        silent.finish()
        assert stream.getvalue() == ""
        assert not silent.shown


def _run(args: list[str], *, terminal: bool) -> tuple[int, bytes, bytes]:
    """Run ``python -m punchcard ARGS`` with standard error on a pseudo-terminal or a pipe."""
    command = [sys.executable, "-m", "punchcard", *args]
    if not terminal:
        done = subprocess.run(command, capture_output=True, timeout=120, check=False)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    with subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.stdout is not None
        out = proc.stdout.read()
        code = proc.wait(timeout=120)
    os.close(leader)
    return code, out, b"".join(chunks)


def _args(command: str, tmp_path: Path) -> list[str]:
    activity, ledger = population(tmp_path)
    if command == "sweep":
        args = [command, str(ledger), "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "o")]
    else:
        args = [command, str(activity), "--json", str(tmp_path / "r.json")]
    return [*args, "--workers", "0"]


def _shown(text: str, command: str) -> None:
    assert f"\r{command}: 0/4 partitions" in text
    assert f"\r{command}: 4/4 partitions, done in " in text
    assert text.endswith(" s\n")


@pytest.mark.slow  # (three processes on a pseudo-terminal or a pipe)
def test_a_real_terminal_shows_the_progress_and_a_pipe_or_quiet_does_not(tmp_path: Path) -> None:
    args = _args("sweep", tmp_path)
    code, out, err = _run(args, terminal=True)
    assert code == 0
    assert out.startswith(b"{")
    _shown(err.decode().replace("\r\n", "\n"), "sweep")
    for quiet, terminal in (([], False), (["--quiet"], True)):
        code, out, err = _run([*args, *quiet], terminal=terminal)
        assert (code, err) == (0, b"")
        assert out.startswith(b"{")


@pytest.mark.parametrize("command", ["sweep", "backtest"])
def test_both_commands_show_progress_on_a_terminal_unless_quiet(
    tmp_path: Path,
    command: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = _args(command, tmp_path)
    for quiet in (False, True):
        screen = Terminal()
        monkeypatch.setattr(sys, "stderr", screen)
        assert main([*args, *(["--quiet"] if quiet else [])]) == 0
        assert capsys.readouterr().out.startswith("{")
        if quiet:
            assert screen.getvalue() == ""
        else:
            _shown(screen.getvalue(), command)
