"""punchcard benchmarks: ``python benchmarks/run.py [--quick] [--json]``.

Every figure is the median over repeated runs (``timeit``), printed with the Python version and
the machine. The ``apply`` figures call it as a till does on every keystroke of a cart: with the
owner's packages prepared once (``punchcard.prepare``: their times and layout) and the policy
compiled once (``Policy.compile``), the two explicit objects a till keeps. The ``_cold`` figures
pass a plain list of new package values and a plain policy on every call, so nothing is reused.

``evaluate_typical_us`` is :func:`punchcard.scenario.evaluate` of a typical JSON document (read,
checked, applied, written back); ``apply_document_us`` applies that document's own cart and
packages as a till does (prepared once), so ``ratio_evaluate_to_apply`` compares the two on the
same cart. ``evaluate_run_only_us`` is the part of ``evaluate`` that neither reads nor writes
JSON: the engine's run on the packages as read, which are new values on every call and so are
prepared on every call. ``ratio_run_only_to_apply`` is therefore a floor under
``ratio_evaluate_to_apply``: a reader and a writer that cost nothing would leave it.

``--quick`` runs each case a few times on smaller inputs only to check that the benchmarks still
run (CI does this); its figures mean nothing. ``--json`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import timeit
from collections.abc import Callable
from typing import Any

import attrs

from punchcard import Cart, Component, Line, Money, Package, Policy, Settings, apply, prepare
from punchcard.scenario import evaluate, parse, render

AT = dt.datetime(2026, 3, 2, 17, 30)
TZ = "America/New_York"
ITEMS = [
    "daycare_full",
    "daycare_half",
    "boarding",
    "bath",
    "nails",
    "groom",
    "shampoo",
    "walk",
    "training",
    "pickup",
]


def median_seconds(fn: Callable[[], object], *, repeat: int, number: int) -> float:
    """Median time of one call of *fn*, over *repeat* timings of *number* calls each."""
    gc.collect()
    timings = timeit.repeat(fn, repeat=repeat, number=number)
    return statistics.median(timings) / number


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for row in handle:
                if row.startswith("model name"):
                    cpu = row.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "python": platform.python_implementation() + " " + platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
    }


# -- workloads -------------------------------------------------------------------------------


def typical_cart(lines: int = 5, units: int = 2, packages: int = 10) -> tuple[Cart, list[Package]]:
    """*lines* lines of *units* units each; *packages* one-item packages of the same owner."""
    cart = Cart(
        "smith",
        "downtown",
        "USD",
        [
            Line(
                f"l{i}",
                ITEMS[i % len(ITEMS)],
                Money(f"{20 + (i * 7) % 40}.00", "USD"),
                units=units,
                beneficiary="rex" if i % 2 else "bella",
            )
            for i in range(lines)
        ],
    )
    pkgs = [
        Package(
            id=f"p{j:04d}",
            owner="smith",
            location="downtown" if j % 3 else None,
            beneficiary="rex" if j % 4 == 0 else None,
            purchased_at=dt.datetime(2026, 1, 1) + dt.timedelta(hours=j),
            days_to_expiration=90 if j % 2 else None,
            components=[Component(ITEMS[j % len(ITEMS)], 1 + j % 3)],
        )
        for j in range(packages)
    ]
    return cart, pkgs


def large_cart(lines: int = 50, packages: int = 200, items: int = 10) -> tuple[Cart, list[Package]]:
    """*lines* lines; *packages* packages of *items* components each."""
    cart, _ = typical_cart(lines=lines, units=2, packages=0)
    pkgs = [
        Package(
            id=f"p{j:04d}",
            owner="smith",
            location="downtown" if j % 3 else None,
            beneficiary="rex" if j % 4 == 0 else None,
            purchased_at=dt.datetime(2026, 1, 1) + dt.timedelta(hours=j),
            days_to_expiration=90 if j % 2 else None,
            components=[Component(ITEMS[k % len(ITEMS)], 1 + (j + k) % 2) for k in range(items)],
        )
        for j in range(packages)
    ]
    return cart, pkgs


def hand_written_greedy(cart: Cart, packages: list[Package]) -> int:
    """The minimal loop a host would write for the same greedy checks (the baseline).

    Same owner, beneficiary, purchased before, not expired, location, same item, hourly, not $0;
    individual first, then FIFO, then id; cheapest line first; whole units. Money as ints.
    """
    at = AT
    rows = []
    for p in packages:
        expires = None
        if p.expires_on is not None:
            expires = p.expires_on
        elif p.days_to_expiration is not None:
            expires = p.purchased_at.date() + dt.timedelta(days=p.days_to_expiration)
        for c in p.components:
            rows.append([p, c, c.remaining, expires])
    covered = 0
    order = sorted(range(len(cart.lines)), key=lambda i: (cart.lines[i].unit_price.amount, i))
    for i in order:
        line = cart.lines[i]
        price = line.unit_price.minor
        if price == 0:
            continue
        hourly = line.charge_by == "hour"
        usable = []
        for row in rows:
            p, c, left, expires = row
            if left <= 0 or p.owner != cart.owner or c.item != line.item:
                continue
            if p.beneficiary is not None and p.beneficiary != line.beneficiary:
                continue
            if p.location is not None and p.location != cart.location:
                continue
            if p.purchased_at > at or c.hourly != hourly:
                continue
            if expires is not None and at >= dt.datetime.combine(expires, dt.time(23, 59)):
                continue
            usable.append(row)
        usable.sort(key=lambda r: (r[0].beneficiary is None, r[0].purchased_at, r[0].id))
        need = line.units
        for row in usable:
            take = min(need, row[2])
            row[2] -= take
            need -= take
            covered += take * price
            if not need:
                break
    return covered


def typical_document() -> dict[str, Any]:
    return {
        "version": 1,
        "at": "2026-03-02T17:30:00",
        "timezone": TZ,
        "currency": "USD",
        "settings": {"any_type": False, "any_location": False},
        "policy": {"line_order": "cheapest_first", "package_order": "fifo"},
        "rates": {"downtown": {"daycare_full": "30.00", "daycare_half": "18.00"}},
        "cart": {
            "owner": "smith",
            "location": "downtown",
            "lines": [
                {
                    "id": f"l{i}",
                    "item": ITEMS[i % 3],
                    "for": "rex",
                    "unit_price": "30.00",
                    "units": 2,
                }
                for i in range(5)
            ],
        },
        "packages": [
            {
                "id": f"p{j}",
                "owner": "smith",
                "location": "downtown",
                "purchased_at": f"2026-01-{j + 1:02d}T10:00:00",
                "days_to_expiration": 90,
                "credits": [{"item": ITEMS[j % 3], "remaining": 2}],
            }
            for j in range(10)
        ],
    }


# -- cases -----------------------------------------------------------------------------------


def run(quick: bool, lifecycle: bool = True) -> dict[str, Any]:
    repeat, scale = (3, 0.02) if quick else (15, 1.0)

    def number(n: int) -> int:
        return max(1, int(n * scale))

    figures: dict[str, Any] = {"machine": machine(), "quick": quick}

    default = Policy().compile()

    def till(pkgs: list[Package], policy: Any = default) -> Any:
        """The owner's packages as a till keeps them: prepared once for the zone and policy."""
        return prepare(pkgs, timezone=TZ, policy=policy)

    cart, pkgs = typical_cart()
    kept = till(pkgs)
    ours = median_seconds(
        lambda: apply(cart, kept, as_of=AT, timezone=TZ, policy=default),
        repeat=repeat,
        number=number(2000),
    )
    full = median_seconds(
        lambda: apply(cart, kept, as_of=AT, timezone=TZ, policy=default).events,
        repeat=repeat,
        number=number(2000),
    )
    base = median_seconds(
        lambda: hand_written_greedy(cart, pkgs), repeat=repeat, number=number(2000)
    )
    assert hand_written_greedy(cart, pkgs) == apply(cart, pkgs, as_of=AT, timezone=TZ).covered.minor
    # Cold: new package values on every call (as a nightly job sees them, or a host that
    # rebuilds its packages for every keystroke), a plain policy, nothing prepared.
    cold_number = number(300)
    fresh = iter([[attrs.evolve(p) for p in pkgs] for _ in range(repeat * cold_number + 1)])
    cold = median_seconds(
        lambda: apply(cart, next(fresh), as_of=AT, timezone=TZ, policy=Policy()),
        repeat=repeat,
        number=cold_number,
    )
    figures["apply_typical_us"] = ours * 1e6
    figures["apply_typical_cold_us"] = cold * 1e6
    figures["apply_typical_with_events_us"] = full * 1e6
    figures["hand_written_typical_us"] = base * 1e6
    figures["ratio_to_hand_written"] = ours / base
    figures["ratio_cold_to_hand_written"] = cold / base

    cart, pkgs = large_cart()
    kept = till(pkgs)
    figures["apply_large_ms"] = 1e3 * median_seconds(
        lambda: apply(cart, kept, as_of=AT, timezone=TZ, policy=default),
        repeat=repeat,
        number=number(50),
    )
    cold_number = number(10)
    fresh = iter([[attrs.evolve(p) for p in pkgs] for _ in range(repeat * cold_number + 1)])
    figures["apply_large_cold_ms"] = 1e3 * median_seconds(
        lambda: apply(cart, next(fresh), as_of=AT, timezone=TZ), repeat=repeat, number=cold_number
    )
    optimal = Policy(line_order="optimal").compile()
    kept = till(pkgs, optimal)
    try:
        apply(cart, kept, as_of=AT, timezone=TZ, policy=optimal)
    except ValueError as exc:
        figures["apply_optimal_large_ms"] = f"unavailable: {exc}"
    else:
        figures["apply_optimal_large_ms"] = 1e3 * median_seconds(
            lambda: apply(cart, kept, as_of=AT, timezone=TZ, policy=optimal),
            repeat=repeat,
            number=number(20),
        )
        any_type = Settings(any_type=True)
        figures["apply_optimal_large_any_type_ms"] = 1e3 * median_seconds(
            lambda: apply(cart, kept, as_of=AT, timezone=TZ, policy=optimal, settings=any_type),
            repeat=repeat,
            number=number(5),
        )

    doc = typical_document()
    figures["evaluate_typical_us"] = 1e6 * median_seconds(
        lambda: evaluate(doc), repeat=repeat, number=number(1000)
    )
    # The same cart as a till applies it: the document's own cart and packages, prepared once,
    # its policy compiled once (issue 11 compares evaluate with apply "on the same cart").
    scenario = parse(doc)
    compiled = scenario.policy.compile()
    prepared = prepare(scenario.packages, timezone=scenario.timezone, policy=compiled)

    def apply_document() -> Any:
        return apply(
            scenario.cart,
            prepared,
            as_of=scenario.at,
            timezone=scenario.timezone,
            settings=scenario.settings,
            policy=compiled,
            rates=scenario.rates,
        )

    assert render(apply_document(), scenario.withheld()) == evaluate(doc)
    figures["apply_document_us"] = 1e6 * median_seconds(
        apply_document, repeat=repeat, number=number(2000)
    )
    # What evaluate cannot skip, with no reading and no writing of JSON: the engine's run on the
    # packages as read (they are new values each time, so they are prepared on every call).
    figures["evaluate_run_only_us"] = 1e6 * median_seconds(
        scenario.run, repeat=repeat, number=number(1000)
    )
    figures["ratio_evaluate_to_apply"] = (
        figures["evaluate_typical_us"] / figures["apply_document_us"]
    )
    figures["ratio_run_only_to_apply"] = (
        figures["evaluate_run_only_us"] / figures["apply_document_us"]
    )
    figures["ratio_evaluate_to_apply_cold"] = (
        figures["evaluate_typical_us"] / figures["apply_typical_cold_us"]
    )

    # Bulk units: a line of 1,000,000 hours against 10**12 credits vs a line of one unit.
    one = Cart(
        "smith", "downtown", "USD", [Line("l", "walk", Money("20", "USD"), charge_by="hour")]
    )
    bulk = Cart(
        "smith",
        "downtown",
        "USD",
        [Line("l", "walk", Money("20", "USD"), units=1_000_000, charge_by="hour")],
    )
    big = [
        Package(
            id="p",
            owner="smith",
            purchased_at=dt.datetime(2026, 1, 1),
            components=[Component("walk", 10**12, hourly=True)],
        )
    ]
    figures["apply_one_unit_us"] = 1e6 * median_seconds(
        lambda: apply(one, big, as_of=AT, timezone=TZ), repeat=repeat, number=number(2000)
    )
    figures["apply_million_units_us"] = 1e6 * median_seconds(
        lambda: apply(bulk, big, as_of=AT, timezone=TZ), repeat=repeat, number=number(2000)
    )

    # Scaling: cart size and package count x1, x2, x4, x8 (nothing quadratic should hide).
    scaling: dict[str, list[float]] = {"lines": [], "packages": [], "unrelated_packages": []}
    for factor in (1, 2, 4, 8):
        cart, pkgs = typical_cart(lines=5 * factor, packages=10)
        scaling["lines"].append(
            1e6
            * median_seconds(
                lambda cart=cart, pkgs=pkgs: apply(cart, pkgs, as_of=AT, timezone=TZ),
                repeat=repeat,
                number=number(300),
            )
        )
        cart, pkgs = typical_cart(lines=5, packages=10 * factor)
        scaling["packages"].append(
            1e6
            * median_seconds(
                lambda cart=cart, pkgs=pkgs: apply(cart, pkgs, as_of=AT, timezone=TZ),
                repeat=repeat,
                number=number(300),
            )
        )
        cart, pkgs = typical_cart(lines=5, packages=10)
        other = [
            Package(
                id=f"x{k}",
                owner=f"other{k}",
                purchased_at=dt.datetime(2026, 1, 1),
                components=[Component("unrelated", 5)],
            )
            for k in range(10 * factor)
        ]
        mixed = pkgs + other
        scaling["unrelated_packages"].append(
            1e6
            * median_seconds(
                lambda cart=cart, mixed=mixed: apply(cart, mixed, as_of=AT, timezone=TZ),
                repeat=repeat,
                number=number(300),
            )
        )
    figures["scaling_us_x1_x2_x4_x8"] = scaling

    figures["import_punchcard_ms"] = import_time(3 if quick else 11)

    if lifecycle:
        import lifecycle_bench  # beside this script

        figures.update(lifecycle_bench.run(quick))
    return figures


def import_time(runs: int) -> float:
    """Median wall time of ``import punchcard`` in a fresh interpreter, minus an empty one."""

    def once(code: str) -> float:
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return float(out.stdout)

    return 1e3 * statistics.median(once("import punchcard") for _ in range(runs))


def table(figures: dict[str, Any]) -> str:
    rows = [
        f"punchcard benchmarks on {figures['machine']['python']}, "
        f"{figures['machine']['cpu']} ({figures['machine']['cores']} cores)"
    ]
    if figures["quick"]:
        rows.append("QUICK MODE: figures are not meaningful")
    targets = {
        "ratio_to_hand_written": "<= 3x (issue 11)",
        "apply_large_ms": "no slower than before (benchmarks/before_after.py, one run)",
        "apply_optimal_large_ms": "no slower than before (benchmarks/before_after.py)",
        "ratio_evaluate_to_apply": "<= 2.5x (issue 11)",
        "import_punchcard_ms": "<= 150 ms",
        "replay_events_per_s": ">= 500,000",
        "sweep_and_notifications_1m_s": "<= 3 s",
    }
    for key, value in figures.items():
        if key in ("machine", "quick"):
            continue
        if isinstance(value, dict):
            for sub, series in value.items():
                shown = "  ".join(f"{v:9.1f}" for v in series)
                rows.append(f"{key}[{sub}]".ljust(44) + shown)
            continue
        shown = f"{value:12.2f}" if isinstance(value, float) else f"{value!s:>12}"
        rows.append(key.ljust(44) + shown + ("   target " + targets[key] if key in targets else ""))
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny runs: only check they run")
    parser.add_argument("--json", action="store_true", help="print a JSON object of the figures")
    parser.add_argument(
        "--engine-only", action="store_true", help="skip the lifecycle figures (minutes)"
    )
    args = parser.parse_args()
    figures = run(args.quick, lifecycle=not args.engine_only)
    print(json.dumps(figures, indent=2) if args.json else table(figures))


if __name__ == "__main__":
    main()
