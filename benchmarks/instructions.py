"""Instructions per call of a workload, counted by callgrind: the same on a busy machine.

Runs the workload under ``valgrind --tool=callgrind`` twice, once making *N* calls and once
making none (after one warm-up call each, so imports and first-call work cancel out), and prints
the difference divided by *N*. The workloads are this tree's own (``benchmarks/run.py`` and
``benchmarks/lifecycle_bench.py``), or another checkout's with ``--tree`` (an older commit's
``apply`` is called the way that engine ran a till: packages and policy as they are).

    python benchmarks/instructions.py evaluate apply_large optimal_large
    python benchmarks/instructions.py sweep notifications --calls 5
    python benchmarks/instructions.py apply_large --tree /tmp/old-checkout

Needs valgrind. A workload run under callgrind is about 50 times slower than without.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: workload -> (calls by default, what one call is)
WORKLOADS = {
    "apply_typical": (20, "apply, typical cart, as a till runs it"),
    "apply_large": (10, "apply, large cart, as a till runs it"),
    "hand_written": (20, "the hand-written greedy loop of run.py, typical cart"),
    "optimal_large": (3, "apply, large cart, line_order=optimal"),
    "evaluate": (20, "scenario.evaluate of the typical document"),
    "parse": (20, "scenario.parse of the typical document"),
    "run": (20, "Scenario.run of the typical document, read once (the packages as read)"),
    "run_render": (20, "render(Scenario.run()) of the typical document, read once"),
    "sweep": (5, "expiries_due over 20,000 packages (divide by 20,000 for one)"),
    "notifications": (5, "notifications_due over 20,000 packages"),
}


def workload(name: str, tree: Path) -> Callable[[], Any]:
    """One call of *name*, with the punchcard of *tree*."""
    sys.path[:0] = [str(tree / "src"), str(tree / "benchmarks")]
    if name in ("sweep", "notifications"):
        import lifecycle_bench as lb

        from punchcard.lifecycle import expiries_due, notifications_due

        chunks = list(lb.package_states(20_000, seed=2))
        due = expiries_due if name == "sweep" else notifications_due

        def swept() -> None:
            for chunk in chunks:
                for _ in due(chunk, as_of=lb.AS_OF):
                    pass

        return swept
    import run

    from punchcard import Policy, apply
    from punchcard.scenario import evaluate, parse

    if name in ("evaluate", "parse"):
        doc = run.typical_document()
        read = evaluate if name == "evaluate" else parse
        return lambda: read(doc)
    if name in ("run", "run_render"):
        from punchcard.scenario import render

        scenario = parse(run.typical_document())
        if name == "run":
            return scenario.run
        withheld = scenario.withheld()
        return lambda: render(scenario.run(), withheld)
    if name == "hand_written":
        cart, pkgs = run.typical_cart()
        return lambda: run.hand_written_greedy(cart, pkgs)
    cart, pkgs = run.typical_cart() if name == "apply_typical" else run.large_cart()
    policy: Any = Policy(line_order="optimal") if name == "optimal_large" else Policy()
    kept: Any = pkgs
    try:
        from punchcard.engine import prepare
    except ImportError:  # an engine that kept memos on the values passed
        pass
    else:
        policy = policy.compile()
        kept = prepare(pkgs, timezone=run.TZ, policy=policy)
    return lambda: apply(cart, kept, as_of=run.AT, timezone=run.TZ, policy=policy)


def _count(name: str, tree: Path, calls: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        name,
        "--tree",
        str(tree),
        "--calls",
        str(calls),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no count from callgrind:\n{done.stderr}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", choices=[*WORKLOADS, []], default=[])
    parser.add_argument("--tree", default=str(HERE.parent), help="the checkout to measure")
    parser.add_argument("--calls", type=int, help="calls counted (default: per workload)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    tree = Path(args.tree).resolve()
    if args.child:
        call = workload(args.child, tree)
        call()  # the warm-up call, in both counts
        for _ in range(args.calls):
            call()
        return 0
    for name in args.workloads or list(WORKLOADS):
        calls = args.calls or WORKLOADS[name][0]
        per_call = (_count(name, tree, calls) - _count(name, tree, 0)) // calls
        print(f"{name:16} {per_call:>14,} instructions a call   ({WORKLOADS[name][1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
