"""Timings of the optimal-order solver, ``punchcard._flow.max_value_assignment``.

Run ``python benchmarks/flow_bench.py`` (``--quick`` for one repetition of each case). It prints
the median and the best of 21 timed runs of one solve of a seeded random instance shaped like a cart:
lines of one of ten items at one of a few prices, supply nodes (package components) of one of the
ten items, an edge where the component may pay for the line. "full" joins every line to every
supply (as with ``any_type`` and ``greater_value`` on), "sparse" only same-item pairs and 2% of the
cross-item ones, "quarter" a quarter of them.

Measured on the project machine (2 cores, CPython 3.11.7, shared with other jobs, so figures
moved by up to 2x between runs; ranges of the "best ms" column over several runs)::

    1 line x 1 supply, 1 vs 1 and 10**6 vs 10**12     0.03 - 0.07 ms
    5 lines x 10 supplies, full (50 edges)            0.08 - 0.17 ms
    50 lines x 200 supplies, sparse (1,162 edges)     1.9 - 3.2 ms
    50 lines x 200 supplies, quarter (3,241 edges)    4.5 - 7.6 ms
    50 lines x 200 supplies, full (10,000 edges)      9.7 - 16.6 ms
    50 lines x 2000 supplies, sparse (11,800 edges)   11 - 21 ms
    the same carts with 10**6 units a line            no slower than with 1 to 3

Of the 10,000-edge solve, about a quarter is checking the input and a quarter building the
network; the phases of the solver itself (10 to 16 here) take the rest.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time

from punchcard._flow import max_value_assignment

Instance = tuple[list[int], list[int], list[tuple[int, int, int, int]]]

ITEMS = 10
PRICES = [0, 1500, 2500, 3000, 3500, 4500, 6000]


def cart(lines: int, supplies: int, *, cross: float, seed: int, units: int = 3) -> Instance:
    """A seeded cart: each cross-item pair becomes an edge with probability *cross*."""
    rng = random.Random(seed)
    line_item = [rng.randrange(ITEMS) for _ in range(lines)]
    line_price = [rng.choice(PRICES) for _ in range(lines)]
    supply_item = [rng.randrange(ITEMS) for _ in range(supplies)]
    rate = [rng.choice(PRICES[1:]) for _ in range(ITEMS)]
    # rank: the position in a package order (own item first, then purchase order).
    order = sorted(range(supplies), key=lambda j: (rng.random(), j))
    position = {j: k for k, j in enumerate(order)}
    demands = [rng.randint(1, units) for _ in range(lines)]
    stock = [rng.randint(0, 10 * units // 3) for _ in range(supplies)]
    edges = []
    for i in range(lines):
        for j in range(supplies):
            same = supply_item[j] == line_item[i]
            if not (same or rng.random() < cross):
                continue
            value = line_price[i] if same else min(rate[supply_item[j]], line_price[i])
            rank = position[j] + (0 if same else supplies)
            edges.append((i, j, value, rank))
    return demands, stock, edges


def timings_ms(instance: Instance, repeat: int) -> tuple[float, float, int]:
    """Median and best wall-clock time of one solve, and the units it covers."""
    demands, supplies, edges = instance
    times = []
    units = 0
    for _ in range(repeat):
        start = time.perf_counter()
        flows = max_value_assignment(demands, supplies, edges)
        times.append(time.perf_counter() - start)
        units = sum(flows.values())
    return statistics.median(times) * 1000, min(times) * 1000, units


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run of each case")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else 21
    cases: list[tuple[str, Instance]] = [
        ("1 line x 1 supply, 1 vs 1", ([1], [1], [(0, 0, 3000, 0)])),
        ("1 line x 1 supply, 10**6 vs 10**12", ([10**6], [10**12], [(0, 0, 3000, 0)])),
        ("5 lines x 10 supplies, full", cart(5, 10, cross=1, seed=1)),
        ("50 lines x 200 supplies, sparse", cart(50, 200, cross=0.02, seed=2)),
        ("50 lines x 200 supplies, quarter", cart(50, 200, cross=0.25, seed=7)),
        ("50 lines x 200 supplies, full", cart(50, 200, cross=1, seed=3)),
        ("50 lines x 2000 supplies, sparse", cart(50, 2000, cross=0.02, seed=4)),
        ("50 lines x 200 supplies, sparse, bulk", cart(50, 200, cross=0.02, seed=5, units=10**6)),
        ("50 lines x 200 supplies, full, bulk", cart(50, 200, cross=1, seed=6, units=10**6)),
    ]
    print(f"Python {platform.python_version()} on {platform.machine()} ({sys.platform})")
    print(f"{'case':<40} {'edges':>7} {'units':>9} {'median ms':>10} {'best ms':>8}")
    for name, instance in cases:
        median, best, units = timings_ms(instance, repeat)
        print(f"{name:<40} {len(instance[2]):>7} {units:>9} {median:>10.3f} {best:>8.3f}")


if __name__ == "__main__":
    main()
