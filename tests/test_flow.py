"""The transportation solver behind ``line_order = "optimal"`` (section O of the semantics).

Section O asks for the assignment of credits to line units that maximises the amount covered,
then the units covered, with ties broken deterministically, equal to an exhaustive search on small
carts and polynomial (independent of the counts). These tests check the solver's answer against an
exhaustive search, its handling of bulk counts, its determinism and its input checks.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from punchcard._flow import _edges, _solve, _Transport, max_value_assignment
from punchcard.errors import InvalidValueError

Edge = tuple[int, int, int, int]
Objective = tuple[int, int, int]


def objective(flows: dict[tuple[int, int], int], edges: Sequence[Edge]) -> Objective:
    """(value covered, units covered, -rank sum): larger is better, compared as a tuple."""
    by_pair = {(line, sup): (value, rank) for line, sup, value, rank in edges}
    value = sum(count * by_pair[pair][0] for pair, count in flows.items())
    units = sum(flows.values())
    rank = sum(count * by_pair[pair][1] for pair, count in flows.items())
    return value, units, -rank


def assert_feasible(
    flows: dict[tuple[int, int], int],
    demands: Sequence[int],
    supplies: Sequence[int],
    edges: Sequence[Edge],
) -> None:
    pairs = {(line, sup) for line, sup, _, _ in edges}
    assert set(flows) <= pairs
    assert all(type(count) is int and count > 0 for count in flows.values())
    for line, demand in enumerate(demands):
        assert sum(c for (i, _), c in flows.items() if i == line) <= demand
    for sup, supply in enumerate(supplies):
        assert sum(c for (_, j), c in flows.items() if j == sup) <= supply


def exhaustive_best(
    demands: Sequence[int], supplies: Sequence[int], edges: Sequence[Edge]
) -> Objective:
    """The best objective over every integer assignment, by plain enumeration.

    Line by line, every way of splitting at most the line's demand over its edges within what is
    left of each supply; the memo only spares re-enumerating the same lines from the same state.
    """
    per_line = [[e for e in edges if e[0] == line] for line in range(len(demands))]

    @functools.cache
    def best(line: int, left: tuple[int, ...]) -> Objective:
        if line == len(demands):
            return (0, 0, 0)
        mine = per_line[line]
        top: Objective | None = None
        ranges = [range(min(demands[line], left[sup]) + 1) for _, sup, _, _ in mine]
        for counts in itertools.product(*ranges):
            if sum(counts) > demands[line]:
                continue
            rest = list(left)
            for (_, sup, _, _), count in zip(mine, counts, strict=True):
                rest[sup] -= count
            if min(rest, default=0) < 0:
                continue
            value, units, rank = best(line + 1, tuple(rest))
            here = (
                value + sum(c * e[2] for c, e in zip(counts, mine, strict=True)),
                units + sum(counts),
                rank - sum(c * e[3] for c, e in zip(counts, mine, strict=True)),
            )
            if top is None or here > top:
                top = here
        assert top is not None  # all-zero counts are always allowed
        return top

    return best(0, tuple(supplies))


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    max_lines: int = 4,
    max_supplies: int = 4,
    max_count: int = 3,
    max_value: int = 20,
    max_rank: int = 5,
) -> tuple[list[int], list[int], list[Edge]]:
    demands = draw(st.lists(st.integers(1, max_count), min_size=1, max_size=max_lines))
    supplies = draw(st.lists(st.integers(0, max_count), min_size=1, max_size=max_supplies))
    pairs = list(itertools.product(range(len(demands)), range(len(supplies))))
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    edges = [
        (line, sup, draw(st.integers(0, max_value)), draw(st.integers(0, max_rank)))
        for line, sup in chosen
    ]
    return demands, supplies, edges


@contextmanager
def shortest_paths_only() -> Iterator[None]:
    """Fail if the cycle-cancelling finish runs: it would hide a fault of the main solver."""
    with mock.patch.object(
        _Transport, "finish_by_cancelling_cycles", side_effect=AssertionError("fallback ran")
    ):
        yield


@settings(max_examples=200, deadline=None)
@given(instances())
def test_optimal_equals_exhaustive_search(case: tuple[list[int], list[int], list[Edge]]) -> None:
    demands, supplies, edges = case
    with shortest_paths_only():
        flows = max_value_assignment(demands, supplies, edges)
    assert_feasible(flows, demands, supplies, edges)
    assert objective(flows, edges) == exhaustive_best(demands, supplies, edges)


@settings(max_examples=150, deadline=None)
@given(instances(), st.integers(0, 2))
def test_cycle_cancelling_finish_equals_exhaustive_search(
    case: tuple[list[int], list[int], list[Edge]], budget: int
) -> None:
    # The polynomial fallback that takes over after the phase budget, forced early.
    demands, supplies, edges = case
    flows = _solve(demands, supplies, _edges(edges, len(demands), len(supplies)), budget)
    assert_feasible(flows, demands, supplies, edges)
    assert objective(flows, edges) == exhaustive_best(demands, supplies, edges)


@settings(max_examples=60, deadline=None)
@given(
    instances(max_lines=6, max_supplies=7, max_count=10**9, max_value=10**6, max_rank=40),
    st.integers(0, 3),
)
def test_fallback_and_shortest_paths_agree_on_large_counts(
    case: tuple[list[int], list[int], list[Edge]], budget: int
) -> None:
    demands, supplies, edges = case
    checked = _edges(edges, len(demands), len(supplies))
    with shortest_paths_only():
        fast = _solve(demands, supplies, checked, None)
    assert_feasible(fast, demands, supplies, edges)
    finished = _solve(demands, supplies, checked, budget)
    assert_feasible(finished, demands, supplies, edges)
    assert objective(finished, edges) == objective(fast, edges)


def test_value_beats_units() -> None:
    # Supply 0 may pay 10 on line 0 or 3 on line 1; supply 1 only fits line 0, for 0.
    # Two units (3 + 0) lose to one unit worth 10.
    edges = [(0, 0, 10, 0), (1, 0, 3, 0), (0, 1, 0, 0)]
    assert max_value_assignment([1, 1], [1, 1], edges) == {(0, 0): 1}


def test_units_break_value_ties_and_zero_value_units_count() -> None:
    # Same value either way (3): the assignment covering two units wins, the $0 unit included.
    edges = [(0, 0, 3, 0), (1, 0, 3, 0), (0, 1, 0, 0)]
    assert max_value_assignment([1, 1], [1, 1], edges) == {(0, 1): 1, (1, 0): 1}


def test_zero_value_edges_are_still_covered() -> None:
    flows = max_value_assignment([3, 2], [4], [(0, 0, 0, 0), (1, 0, 0, 2)])
    assert sum(flows.values()) == 4
    # Lower rank first: line 0's three units, then one of line 1's.
    assert flows == {(0, 0): 3, (1, 0): 1}


def test_lower_rank_breaks_value_and_unit_ties() -> None:
    edges = [(0, 0, 500, 3), (0, 1, 500, 1), (0, 2, 500, 2)]
    assert max_value_assignment([4], [2, 1, 5], edges) == {(0, 1): 1, (0, 2): 3}


def test_dear_line_keeps_the_credit_only_it_may_use() -> None:
    # Greedy cheapest-first would give supply 0 to line 0 and leave line 1 uncovered.
    edges = [(0, 0, 2000, 0), (0, 1, 2000, 1), (1, 0, 5000, 0)]
    flows = max_value_assignment([1, 1], [1, 1], edges)
    assert flows == {(0, 1): 1, (1, 0): 1}
    assert objective(flows, edges) == (7000, 2, -1)


def test_bulk_counts_single_edge() -> None:
    assert max_value_assignment([10**6], [10**12], [(0, 0, 3000, 0)]) == {(0, 0): 10**6}
    assert max_value_assignment([10**12], [10**6], [(0, 0, 3000, 0)]) == {(0, 0): 10**6}


def test_bulk_counts_with_competition() -> None:
    # Line 1 is dearer on supply 0, so it takes all it can; line 0 falls back on supply 1.
    demands = [10**6, 3 * 10**6]
    supplies = [2 * 10**6 + 5, 10**12, 7]
    edges = [(0, 0, 100, 0), (0, 1, 40, 1), (1, 0, 250, 0), (1, 2, 0, 0)]
    flows = max_value_assignment(demands, supplies, edges)
    assert flows == {(0, 1): 10**6, (1, 0): 2 * 10**6 + 5, (1, 2): 7}


def test_bulk_counts_match_the_same_shape_scaled_down() -> None:
    # Same structure with every count multiplied by 10**9: every flow scales the same way.
    demands = [3, 2, 4]
    supplies = [2, 5, 1]
    edges = [(0, 0, 7, 1), (0, 1, 3, 0), (1, 0, 9, 0), (1, 2, 2, 0), (2, 1, 4, 2), (2, 2, 4, 0)]
    small = max_value_assignment(demands, supplies, edges)
    big = max_value_assignment([d * 10**9 for d in demands], [s * 10**9 for s in supplies], edges)
    assert objective(small, edges) == exhaustive_best(demands, supplies, edges)
    assert {pair: count * 10**9 for pair, count in small.items()} == big


def test_same_input_same_output() -> None:
    rng = random.Random(7)
    demands = [rng.randint(1, 9) for _ in range(8)]
    supplies = [rng.randint(0, 9) for _ in range(12)]
    edges = [
        (i, j, rng.choice([0, 1500, 3000, 3000, 4500]), rng.randint(0, 3))
        for i in range(8)
        for j in range(12)
        if rng.random() < 0.5
    ]
    first = max_value_assignment(demands, supplies, edges)
    second = max_value_assignment(list(demands), list(supplies), list(edges))
    assert first == second
    assert list(first) == list(second) == sorted(first)


@settings(max_examples=100, deadline=None)
@given(instances(max_lines=5, max_supplies=6, max_count=5, max_value=3, max_rank=1), st.randoms())
def test_shuffled_edges_same_answer(
    case: tuple[list[int], list[int], list[Edge]], rng: random.Random
) -> None:
    # Few distinct values and ranks, so many optimal assignments tie.
    demands, supplies, edges = case
    shuffled = list(edges)
    rng.shuffle(shuffled)
    first = max_value_assignment(demands, supplies, edges)
    again = max_value_assignment(demands, supplies, shuffled)
    assert objective(again, edges) == objective(first, edges)
    assert again == first  # edges are put in a canonical order first


def test_no_edges() -> None:
    assert max_value_assignment([1, 2], [3], []) == {}
    assert max_value_assignment([], [], []) == {}


def test_zero_supplies_give_nothing() -> None:
    assert max_value_assignment([2], [0, 0], [(0, 0, 100, 0), (0, 1, 100, 0)]) == {}
    assert max_value_assignment([2], [0, 1], [(0, 0, 100, 0), (0, 1, 5, 0)]) == {(0, 1): 1}


def test_accepts_any_sequences() -> None:
    # Tuples of arguments, a list as an edge: checked one by one, same answer.
    edges = ((0, 0, 1, 0), [0, 1, 1, 1])
    assert max_value_assignment((2,), (1, 1), edges) == {  # type: ignore[arg-type]
        (0, 0): 1,
        (0, 1): 1,
    }


@pytest.mark.parametrize(
    ("demands", "supplies", "edges", "field", "detail"),
    [
        ([0], [1], [], "demands[0]", "must be a whole number >= 1, got 0"),
        ([1, -2], [1], [], "demands[1]", "must be a whole number >= 1, got -2"),
        ([True], [1], [], "demands[0]", "got True"),
        ([1.0], [1], [], "demands[0]", "got 1.0"),
        (5, [1], [], "demands", "must be a sequence, got 5"),
        ([1], [-1], [], "supplies[0]", "must be a whole number >= 0, got -1"),
        ([1], [False], [], "supplies[0]", "got False"),
        ([1], "1", [], "supplies", "must be a sequence"),
        ([1], [1], [(1, 0, 5, 0)], "edges[0]", "line index must be in range(0, 1), got 1"),
        ([1], [1], [(0, 0, 5, 0), (0, 3, 5, 0)], "edges[1]", "supply index must be in range"),
        ([1], [1], [(-1, 0, 5, 0)], "edges[0]", "line index must be a whole number >= 0"),
        ([1], [1], [(0, 0, -5, 0)], "edges[0]", "value must be a whole number >= 0, got -5"),
        ([1], [1], [(0, 0, 5, -1)], "edges[0]", "rank must be a whole number >= 0, got -1"),
        ([1], [1], [(0, 0, 5, True)], "edges[0]", "rank must be a whole number >= 0, got True"),
        ([1], [1], [(0, True, 5, 0)], "edges[0]", "supply index must be a whole number"),
        ([1], [1], [(0, 0, 5)], "edges[0]", "must be a (line, supply, value, rank) tuple"),
        ([1], [1], [(0, 0, 5, 0), (0, 0, 6, 1)], "edges[1]", "repeats the (line, supply) pair"),
        ([1], [1], None, "edges", "must be a sequence, got None"),
    ],
)
def test_invalid_input_names_the_argument(
    demands: object, supplies: object, edges: object, field: str, detail: str
) -> None:
    with pytest.raises(InvalidValueError) as caught:
        max_value_assignment(demands, supplies, edges)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert detail in caught.value.message


def test_invalid_input_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^demands\[0\]: "):
        max_value_assignment([0], [1], [])
