"""The engine and the ledger before and after a change, measured in one run on one machine.

A figure taken on another day is not a baseline: this machine's speed drifts by 10% and more
from one hour to the next (another session's load, the host's). This script checks out the
*before* commit (default: ``a278601``, where the consolidation of issue 11 began) into a
temporary git worktree and measures it and this checkout in turns, each in a fresh process
(``--rounds`` times each, alternating), with each tree's own benchmark code for the workloads
(``benchmarks/run.py``: the typical and the large cart, the document; ``lifecycle_bench.py``:
the replay and the sweep), so drift falls on both alike. It prints the median of the rounds
and the ratio after / before (below 1: faster now). (The hand-written loop is no yardstick of
the machine between turns: it reads each tree's own models, ``Money.minor`` and the like, whose
cost changed.)

Each tree is measured the way its own till would run it: *before*, the packages and the policy
passed as they are (that engine kept memos on them); *after*, packages prepared once and a
compiled policy (:func:`punchcard.engine.prepare`, :meth:`punchcard.Policy.compile`).

    python benchmarks/before_after.py                    # a278601 against this checkout
    python benchmarks/before_after.py --before HEAD~5 --rounds 5 --json figures.json
    python benchmarks/before_after.py --engine-only      # not the replay and the sweep
    python benchmarks/before_after.py --quick            # tiny runs: only check it runs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BEFORE = "a278601"

#: figure -> (unit, what it is)
FIGURES = {
    "apply_typical_us": ("us", "apply, typical cart (5 lines, 10 packages), as a till runs it"),
    "hand_written_typical_us": ("us", "the hand-written loop on the same cart"),
    "apply_large_ms": ("ms", "apply, large cart (50 lines, 200 packages of 10 components)"),
    "apply_optimal_large_ms": ("ms", "apply, large cart, line_order=optimal"),
    "evaluate_typical_us": ("us", "evaluate, the typical JSON document"),
    "replay_events_per_s": ("events/s", "ledger replay, 300,000 events (CPU time)"),
    "sweep_and_notifications_1m_s": ("s", "expiry sweep + notifications, per 1M packages"),
}


def _median_seconds(fn: Callable[[], object], number: int, repeat: int = 7) -> float:
    fn()
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - began) / number)
    return statistics.median(runs)


def child(tree: Path, quick: bool, engine_only: bool = False) -> dict[str, float]:
    """The figures of the punchcard in *tree* (run in a process of its own); with
    *engine_only*, not the replay and the sweep."""
    sys.path[:0] = [str(tree / "src"), str(tree / "benchmarks")]
    import lifecycle_bench as lb
    import run

    from punchcard import Policy, apply
    from punchcard.scenario import evaluate

    scale = 0.05 if quick else 1.0

    def n(count: int) -> int:
        return max(1, int(count * scale))

    try:
        from punchcard.engine import prepare
    except ImportError:  # the engine before: memos on the values passed

        def till(pkgs: Any, policy: Any) -> tuple[Any, Any]:
            return pkgs, policy
    else:

        def till(pkgs: Any, policy: Any) -> tuple[Any, Any]:
            compiled = policy.compile()
            return prepare(pkgs, timezone=run.TZ, policy=compiled), compiled

    out: dict[str, float] = {}
    cart, pkgs = run.typical_cart()
    kept, policy = till(pkgs, Policy())
    out["apply_typical_us"] = 1e6 * _median_seconds(
        lambda: apply(cart, kept, as_of=run.AT, timezone=run.TZ, policy=policy), n(2000)
    )
    out["hand_written_typical_us"] = 1e6 * _median_seconds(
        lambda: run.hand_written_greedy(cart, pkgs), n(2000)
    )
    cart, pkgs = run.large_cart()
    kept, policy = till(pkgs, Policy())
    out["apply_large_ms"] = 1e3 * _median_seconds(
        lambda: apply(cart, kept, as_of=run.AT, timezone=run.TZ, policy=policy), n(50)
    )
    kept, policy = till(pkgs, Policy(line_order="optimal"))
    out["apply_optimal_large_ms"] = 1e3 * _median_seconds(
        lambda: apply(cart, kept, as_of=run.AT, timezone=run.TZ, policy=policy), n(10), 5
    )
    doc = run.typical_document()
    out["evaluate_typical_us"] = 1e6 * _median_seconds(lambda: evaluate(doc), n(1000))
    if engine_only:
        return out
    lb.time = _CpuClock()  # the replay's figure in CPU time, less disturbed by other jobs
    events = 300_000 if not quick else 10_000
    out["replay_events_per_s"] = statistics.median(
        lb._replay_rates(events, 1_500, validate=False)[0] for _ in range(3)
    )
    count = 200_000 if not quick else 10_000
    swept = [lb.sweep(count) for _ in range(3)]
    out["sweep_and_notifications_1m_s"] = statistics.median(
        (r["expiries_s"] + r["notifications_s"]) * 1_000_000 / count for r in swept
    )
    return out


class _CpuClock:
    """Stands in for the ``time`` module in lifecycle_bench: its ``perf_counter`` is CPU time."""

    perf_counter = staticmethod(time.process_time)


def _measure(tree: Path, quick: bool, engine_only: bool) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = [sys.executable, __file__, "--child", str(tree)]
    command += (["--quick"] if quick else []) + (["--engine-only"] if engine_only else [])
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="the commit to compare against")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tree, alternating")
    parser.add_argument("--json", help="write the figures as JSON to this file")
    parser.add_argument("--quick", action="store_true", help="tiny runs: only check it runs")
    parser.add_argument(
        "--engine-only", action="store_true", help="not the replay and the sweep (minutes)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(Path(args.child), args.quick, args.engine_only)))
        return 0
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    rounds: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="punchcard-before-") as tmp:
        old = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), args.before],
            check=True,
        )
        try:
            for k in range(args.rounds):
                for name, tree in (("before", old), ("after", ROOT)):
                    rounds[name].append(_measure(tree, args.quick, args.engine_only))
                    print(f"round {k + 1}/{args.rounds}: {name} measured", file=sys.stderr)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=True
            )
    shown = [key for key in FIGURES if key in rounds["after"][0]]
    medians = {
        name: {key: statistics.median(r[key] for r in runs) for key in shown}
        for name, runs in rounds.items()
    }
    print(f"before = {args.before}, after = {head} (this checkout), {args.rounds} rounds each")
    if args.quick:
        print("QUICK MODE: figures are not meaningful")
    print(f"{'figure':32} {'before':>12} {'after':>12} {'after/before':>13}  unit")
    for key in shown:
        unit = FIGURES[key][0]
        b, a = medians["before"][key], medians["after"][key]
        print(f"{key:32} {b:12,.2f} {a:12,.2f} {a / b:13.2f}  {unit}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"before": args.before, "after": head, "rounds": rounds, "medians": medians},
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
