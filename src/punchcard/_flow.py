"""The exact allocator behind ``line_order = "optimal"`` (docs/semantics.md#optimal).

The cart is a transportation problem. Each line is a node that wants ``units`` credits, each
package component is a node that has ``remaining`` credits (one node with a capacity, never one
node per credit), and an edge joins a line to a component whose credits may pay for it, worth
``value`` minor units per credit and carrying ``rank``, the position of that component in the
package order (lower is preferred). :func:`max_value_assignment` returns how many credits go along
each edge.

How it is solved
----------------
Every line starts holding its demand, and every unit must reach a sink ``t``: through a supply
(``line -> supply`` at the edge's cost, then ``supply -> t`` within the supply's credits) or along
the line's own "uncovered" arc, of cost 0. A cheapest way of routing all the demand is the best
assignment. It is found by successive shortest paths in primal-dual form: Dijkstra on reduced
costs (Johnson potentials; started from every line with demand left, stopped once ``t`` is
settled) finds the cheapest distance to ``t``, then a blocking-flow pass as in Dinic's algorithm
pushes every path of that distance, each by its bottleneck count. The potentials start as in the
Hungarian method (each line at the gain of its best edge), so the first phase is a greedy pass and
the later ones only settle contention between lines. Counts move in bulk: a line of 10**6 units
against 10**12 credits is one augmentation, as fast as 1 against 1. The searches never explore a
supply that still has credits (see :class:`_Transport`), so a package nobody competes for costs
almost nothing.

Successive shortest paths is fast on carts but, like every augmenting-path method, has contrived
worst cases that need exponentially many phases (Zadeh, 1973). So the number of phases is capped
at a polynomial budget; past it, the flow reached so far is finished by cancelling minimum-mean
cycles (Goldberg and Tarjan, 1989), which is strongly polynomial: its running time depends on the
numbers of nodes and edges only, never on the counts or the values. The whole solver is therefore
polynomial and independent of the size of demands and supplies.

The lexicographic objective as one integer cost
-----------------------------------------------
Let ``F`` bound the units of every feasible flow (``min(sum(demands), sum(supplies))`` over the
lines and supplies that have an edge), ``R`` the largest rank, and put ``B = R*F + 1`` and
``A = B*(F + 1)``. An edge costs ``rank - (A*value + B)`` per unit, so a flow with total value
``V``, units ``U`` and rank sum ``K`` costs ``-(A*V + g)`` with ``g = B*U - K``. Because
``0 <= K <= R*U <= R*F < B`` we have ``0 <= g <= B*F < A``:

* if ``V1 > V2`` then ``A*V1 + g1 >= A*V2 + A > A*V2 + g2``: more value always costs less;
* if ``V1 == V2`` and ``U1 > U2`` then ``g1 >= B*U2 + B - K1 > B*U2 >= g2``, since ``K1 < B``;
* if ``V1 == V2`` and ``U1 == U2`` then the cost differs by ``K1 - K2``.

So a minimum-cost flow maximises the value, then the units, then minimises the rank sum. Every
edge costs less than zero (``rank <= R < B``), so a $0 line is still worth covering. Python's
integers are unbounded, so the large constants are exact.

Remaining ties are broken by the solver's fixed order of work: edges are sorted by (line, supply)
before anything else, so the answer depends neither on the order of the edges nor on any dict or
set iteration order.
"""

from __future__ import annotations

import bisect
import heapq
import operator
from collections.abc import Sequence
from fractions import Fraction
from itertools import compress
from typing import Final, cast

from .errors import InvalidValueError

__all__ = ["max_value_assignment"]

#: (line index, supply index, value per unit, rank)
Edge = tuple[int, int, int, int]
#: The same, column by column: lines, supplies, values, ranks.
Columns = tuple[Sequence[int], Sequence[int], Sequence[int], Sequence[int]]

#: Phases of successive shortest paths allowed per node and edge before the cycle-cancelling
#: finish takes over. Carts need well under one phase per node; see ``benchmarks/flow_bench.py``.
_PHASES_PER_ELEMENT: Final = 2


def max_value_assignment(
    demands: Sequence[int],
    supplies: Sequence[int],
    edges: Sequence[tuple[int, int, int, int]],
) -> dict[tuple[int, int], int]:
    """Assign whole counts of supply to lines: most value, then most units, then lowest rank.

    *demands* holds the units each line wants (each ``>= 1``), *supplies* the credits each supply
    node has (each ``>= 0``), and *edges* ``(line, supply, value, rank)``: one unit of flow from
    that supply to that line is worth *value* (``>= 0``) and carries *rank* (``>= 0``, lower is
    preferred). No line receives more than its demand, no supply gives more than it has. Among
    all such assignments the one returned maximises ``sum(flow * value)``, then ``sum(flow)``,
    then minimises ``sum(flow * rank)``; remaining ties are broken deterministically. The answer
    maps ``(line, supply)`` to a count, for positive counts only, in sorted order.

    >>> max_value_assignment([2, 1], [2], [(0, 0, 2000, 0), (1, 0, 5000, 1)])
    {(0, 0): 1, (1, 0): 1}
    >>> max_value_assignment([1], [10**12], [(0, 0, 0, 0)])
    {(0, 0): 1}

    A cheap line does not take the only credit a dear line may use:

    >>> max_value_assignment([1, 1], [1, 1], [(0, 0, 2000, 0), (0, 1, 2000, 0), (1, 0, 5000, 0)])
    {(0, 1): 1, (1, 0): 1}

    Raises :class:`~punchcard.errors.InvalidValueError` naming the offending argument:

    >>> max_value_assignment([1], [1], [(0, 1, 100, 0)])
    Traceback (most recent call last):
    ...
    punchcard.errors.InvalidValueError: edges[0]: supply index must be in range(0, 1), got 1
    """
    demand = _counts("demands", demands, 1)
    supply = _counts("supplies", supplies, 0)
    checked = _edges(edges, len(demand), len(supply))
    return _solve(demand, supply, checked, None)


# --- validation --------------------------------------------------------------------------------


def _whole(field: str, what: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError(field, f"{what}must be a whole number >= {minimum}, got {value!r}")
    if value < minimum:
        raise InvalidValueError(field, f"{what}must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _sequence(field: str, value: object) -> Sequence[object]:
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        raise InvalidValueError(field, f"must be a sequence, got {value!r}")
    return value


def _counts(field: str, values: object, minimum: int) -> list[int]:
    return [
        _whole(f"{field}[{k}]", "", value, minimum)
        for k, value in enumerate(_sequence(field, values))
    ]


def _edges(values: object, lines: int, supplies: int) -> Columns:
    """The edges sorted by (line, supply), as columns; checked in bulk, or one by one to explain.

    The bulk checks run as C loops (``sorted``, ``zip``, ``map``, ``set``, ``min``), several
    times faster than a loop over the edges in Python, which matters when the solve itself takes
    a few milliseconds.
    """
    checked = _sequence("edges", values)
    columns = _bulk_checked(checked, lines, supplies)
    if columns is not None:
        return columns
    edges = _edges_one_by_one(checked, lines, supplies)
    if not edges:
        return (), (), (), ()
    line, sup, value, rank = zip(*edges, strict=True)
    return line, sup, value, rank


def _bulk_checked(edges: Sequence[object], lines: int, supplies: int) -> Columns | None:
    """The sorted columns of *edges* if all is well, else None (nothing is raised)."""
    if not edges or set(map(type, edges)) != {tuple}:
        return None
    try:  # sorted before the values are checked: anything odd fails here or below
        columns = list(zip(*sorted(cast("Sequence[Edge]", edges)), strict=True))
    except (TypeError, ValueError):  # values that do not compare, rows of several lengths
        return None
    if len(columns) != 4 or any(set(map(type, column)) != {int} for column in columns):
        return None
    line, sup, value, rank = columns
    if not (
        line[0] >= 0
        and line[-1] < lines
        and min(sup) >= 0
        and max(sup) < supplies
        and min(value) >= 0
        and min(rank) >= 0
    ):
        return None
    # each line's supplies are distinct: no (line, supply) pair twice
    start = 0
    while start < len(line):
        end = bisect.bisect_right(line, line[start], start)
        if len(set(sup[start:end])) != end - start:
            return None
        start = end
    return line, sup, value, rank


def _edges_one_by_one(values: Sequence[object], lines: int, supplies: int) -> list[Edge]:
    seen: dict[tuple[int, int], int] = {}
    out: list[Edge] = []
    for k, edge in enumerate(values):
        field = f"edges[{k}]"
        if not isinstance(edge, Sequence) or isinstance(edge, (str, bytes)) or len(edge) != 4:
            raise InvalidValueError(
                field, f"must be a (line, supply, value, rank) tuple, got {edge!r}"
            )
        line = _whole(field, "line index ", edge[0], 0)
        supply = _whole(field, "supply index ", edge[1], 0)
        if line >= lines:
            raise InvalidValueError(field, f"line index must be in range(0, {lines}), got {line}")
        if supply >= supplies:
            raise InvalidValueError(
                field, f"supply index must be in range(0, {supplies}), got {supply}"
            )
        value = _whole(field, "value ", edge[2], 0)
        rank = _whole(field, "rank ", edge[3], 0)
        first = seen.setdefault((line, supply), k)
        if first != k:
            raise InvalidValueError(
                field, f"repeats the (line, supply) pair {(line, supply)!r} of edges[{first}]"
            )
        out.append((line, supply, value, rank))
    out.sort()
    return out


# --- the solver --------------------------------------------------------------------------------


def _solve(
    demand: Sequence[int], supply: Sequence[int], edges: Columns, budget: int | None
) -> dict[tuple[int, int], int]:
    """Solve validated input (*edges* from :func:`_edges`); *budget* overrides the phase cap."""
    if 0 in supply:  # edges to empty supplies can carry nothing
        keep = list(map(supply.__getitem__, edges[1]))
        line, sup, value, rank = (list(compress(column, keep)) for column in edges)
        edges = line, sup, value, rank
    if not edges[0]:
        return {}
    problem = _Transport(demand, supply, edges)
    if budget is None:
        budget = _PHASES_PER_ELEMENT * (problem.n_lines + problem.n_supplies + len(edges[0]))
    phases = 0
    while problem.shortest_paths():
        if phases == budget:
            problem.finish_by_cancelling_cycles()
            break
        phases += 1
        problem.push_along_tight_arcs()
    return problem.flows()


class _Transport:
    """The transportation network of one solve, with its flow and its potentials.

    Nodes are the lines (``0 <= u < L``), the supplies (``L + j``) and the sink ``t = L + S``.
    Arcs: line -> supply for each edge, supply -> t with the supply's credits, and line -> t
    with cost 0 for units left uncovered. The lines start with their demand as excess; a
    solve routes all of it to t at minimum cost.

    Successive shortest paths keeps, for every arc with room left, a reduced cost
    ``cost + pi[u] - pi[v] >= 0``. Two facts keep the searches small:

    * A supply with credits left is never explored. Its potential stays equal to t's (its arc to
      t has room, so it is not above t's, and lowering it to t's would only raise the reduced
      costs of the arcs into it), so it lies at t's distance and no path through it can reach t
      sooner. A line reaches t through its cheapest edge to such a supply, found by a pointer into
      its edges sorted by cost: supplies only ever fill up (a path never leaves t), so the pointer
      only moves forward.
    * A full supply (no credit left) is explored like any node, through the edges of the lines
      that may use it (``line -> supply``, without a limit of its own) and back through its
      edges with flow (``supply -> line``, up to that flow).
    """

    __slots__ = (
        "by_cost",
        "cost",
        "demand",
        "excess",
        "full",
        "into",
        "line",
        "line_ids",
        "n_lines",
        "n_supplies",
        "open",
        "pi",
        "pointer",
        "rem",
        "starts",
        "sup",
        "supply_ids",
        "to_full",
        "uncovered",
        "x",
    )

    def __init__(self, demand: Sequence[int], supply: Sequence[int], edges: Columns) -> None:
        # The edges are sorted by line, then supply.
        line, sup, values, ranks = (list(column) for column in edges)
        line_ids = self.line_ids = sorted(set(line))
        supply_ids = self.supply_ids = sorted(set(sup))
        n_lines = self.n_lines = len(line_ids)
        n_supplies = self.n_supplies = len(supply_ids)
        if line_ids[-1] != n_lines - 1:  # some line has no edge: number the others densely
            line = list(map({i: u for u, i in enumerate(line_ids)}.__getitem__, line))
        if supply_ids[-1] != n_supplies - 1:
            sup = list(map({i: j for j, i in enumerate(supply_ids)}.__getitem__, sup))
        #: per edge: its line node, its supply (numbered among supplies), its cost, its flow
        self.line = line
        self.sup = sup
        #: per line: its demand, the part not routed yet, the units routed as "uncovered"
        self.demand = [demand[i] for i in line_ids]
        self.excess = list(self.demand)
        self.uncovered = [0] * n_lines
        #: per supply: the credits left
        self.rem = [supply[j] for j in supply_ids]

        bound = min(sum(self.demand), sum(self.rem))
        b = max(ranks) * bound + 1
        a = b * (bound + 1)
        gain = {value: a * value + b for value in set(values)}
        cost = self.cost = list(map(operator.sub, ranks, map(gain.__getitem__, values)))
        self.x = [0] * len(line)

        #: per line: where its edges start (they are sorted by supply), its edges by cost (a
        #: stable sort: then by supply), the position in that of its cheapest edge to a supply
        #: with credits left, its edges to supplies without
        self.starts = [bisect.bisect_left(line, u) for u in range(n_lines)] + [len(line)]
        self.by_cost = [
            sorted(range(self.starts[u], self.starts[u + 1]), key=cost.__getitem__)
            for u in range(n_lines)
        ]
        self.pointer = [0] * n_lines
        self.open = [order[0] for order in self.by_cost]
        self.to_full: list[list[int]] = [[] for _ in range(n_lines)]
        #: per supply, once it is full: its edges
        self.into: list[list[int]] = [[] for _ in range(n_supplies)]
        #: the supplies with no credit left, in the order they filled up
        self.full: list[int] = []
        # Potentials (node order lines, supplies, t): t and the supplies at 0, each line at the
        # gain of its best edge (the Hungarian method's start), so that every reduced cost is
        # >= 0 and each line's best edges are tight: the first phase is a greedy pass.
        self.pi = [-cost[order[0]] for order in self.by_cost] + [0] * (n_supplies + 1)

    def flows(self) -> dict[tuple[int, int], int]:
        line_ids, supply_ids, line, sup, x = (
            self.line_ids,
            self.supply_ids,
            self.line,
            self.sup,
            self.x,
        )
        return {(line_ids[line[e]], supply_ids[sup[e]]): x[e] for e in compress(range(len(x)), x)}

    def _open_edge(self, u: int) -> int:
        """The cheapest edge of line *u* to a supply with credits left, or -1.

        The hot loops read ``self.open[u]`` and call this only once its supply has filled up.
        """
        order, rem, sup = self.by_cost[u], self.rem, self.sup
        k = self.pointer[u]
        while k < len(order) and not rem[sup[order[k]]]:
            k += 1
        self.pointer[u] = k
        e = self.open[u] = order[k] if k < len(order) else -1
        return e

    def shortest_paths(self) -> bool:
        """Dijkstra from the lines with excess to t; move the potentials. False when done."""
        excess = self.excess
        roots = [u for u, left in enumerate(excess) if left]
        if not roots:
            return False
        n_lines = self.n_lines
        t = n_lines + self.n_supplies
        pi, cost, x, sup, line = self.pi, self.cost, self.x, self.sup, self.line
        to_full, into, rem = self.to_full, self.into, self.rem
        open_, open_edge = self.open, self._open_edge
        heappush, heappop = heapq.heappush, heapq.heappop
        pt = pi[t]
        dist: list[int | None] = [None] * (t + 1)
        done = [False] * (t + 1)
        for u in roots:
            dist[u] = 0
        heap = [(0, u) for u in roots]  # sorted, so already a heap
        while heap:
            d, u = heappop(heap)
            if done[u]:
                continue
            done[u] = True
            if u == t:
                break
            if u < n_lines:
                base = d + pi[u]
                # to t: through the cheapest open supply, else as uncovered (cost 0)
                e = open_[u]
                if e >= 0 and not rem[sup[e]]:
                    e = open_edge(u)
                nd = base - pt + (cost[e] if e >= 0 else 0)
                dv = dist[t]
                if dv is None or nd < dv:
                    dist[t] = nd
                    heappush(heap, (nd, t))
                for e in to_full[u]:  # line -> supply has no limit of its own
                    v = n_lines + sup[e]
                    if not done[v]:
                        nd = base + cost[e] - pi[v]
                        dv = dist[v]
                        if dv is None or nd < dv:
                            dist[v] = nd
                            heappush(heap, (nd, v))
            else:
                base = d + pi[u]
                for e in into[u - n_lines]:
                    if x[e]:
                        v = line[e]
                        if not done[v]:
                            nd = base - cost[e] - pi[v]
                            dv = dist[v]
                            if dv is None or nd < dv:
                                dist[v] = nd
                                heappush(heap, (nd, v))
        # t is always reached: a line with excess has room left on its "uncovered" arc.
        # Settled nodes move by their distance, the others by t's: reduced costs stay >= 0 and
        # become 0 along every shortest path. Open supplies move with t, implicitly.
        dt = dist[t]
        assert dt is not None
        for u in range(n_lines):
            du = dist[u]
            pi[u] += du if done[u] and du is not None else dt
        for j in self.full:
            v = n_lines + j
            dv = dist[v]
            pi[v] += dv if done[v] and dv is not None else dt
        pi[t] = pt + dt
        return True

    def _fill(self, j: int) -> None:
        """Supply *j* just gave its last credit: from now on it is explored like any node."""
        n_lines, sup, starts, to_full = self.n_lines, self.sup, self.starts, self.to_full
        self.pi[n_lines + j] = self.pi[n_lines + self.n_supplies]
        self.full.append(j)
        edges = self.into[j]
        for u in range(n_lines):  # each line has at most one edge to j: a binary search
            e = bisect.bisect_left(sup, j, starts[u], starts[u + 1])
            if e < starts[u + 1] and sup[e] == j:
                edges.append(e)
                to_full[u].append(e)

    def push_along_tight_arcs(self) -> None:
        """Route as much excess as possible over arcs of reduced cost 0 (Dinic's algorithm)."""
        excess, pi, cost, x = self.excess, self.pi, self.cost, self.x
        sup, line, rem, to_full, into = self.sup, self.line, self.rem, self.to_full, self.into
        n_lines = self.n_lines
        t = n_lines + self.n_supplies
        open_, open_edge = self.open, self._open_edge
        while True:
            roots = [u for u, left in enumerate(excess) if left]
            if not roots:
                return
            # Breadth-first levels over tight arcs with room, up to t's level.
            pt = pi[t]
            level = [-1] * (t + 1)
            for u in roots:
                level[u] = 0
            queue = list(roots)
            for u in queue:  # the list grows while it is read
                lu = level[u]
                if level[t] >= 0 and lu >= level[t]:
                    break
                pu = pi[u]
                if u < n_lines:
                    e = open_[u]
                    if e >= 0 and not rem[sup[e]]:
                        e = open_edge(u)
                    if (cost[e] if e >= 0 else 0) + pu == pt and level[t] < 0:
                        level[t] = lu + 1
                    for e in to_full[u]:
                        v = n_lines + sup[e]
                        if level[v] < 0 and cost[e] + pu == pi[v]:
                            level[v] = lu + 1
                            queue.append(v)
                else:
                    for e in into[u - n_lines]:
                        if x[e]:
                            v = line[e]
                            if level[v] < 0 and pu - cost[e] == pi[v]:
                                level[v] = lu + 1
                                queue.append(v)
            last = level[t]
            if last < 0:
                return
            # Depth-first augmenting paths in the level graph; a path is a list of edge codes,
            # 2*e for line -> supply and 2*e + 1 for supply -> line (flow sent back).
            current = [0] * t
            for root in roots:
                while excess[root]:
                    path: list[int] = []
                    u = root
                    end = -2  # the edge to the open supply that ends the path, -1 uncovered
                    while True:
                        lu = level[u]
                        i = current[u]
                        if u < n_lines:
                            if lu + 1 == last:  # only t lies at the next level
                                e = open_[u]
                                if e >= 0 and not rem[sup[e]]:
                                    e = open_edge(u)
                                if (cost[e] if e >= 0 else 0) + pi[u] == pt:
                                    end = e
                                    break
                                i = current[u] = len(to_full[u])
                            arcs = to_full[u]
                            pu = pi[u]
                            while i < len(arcs):
                                e = arcs[i]
                                v = n_lines + sup[e]
                                if level[v] == lu + 1 and cost[e] + pu == pi[v]:
                                    break
                                i += 1
                            current[u] = i
                            if i < len(arcs):
                                path.append(2 * arcs[i])
                                u = n_lines + sup[arcs[i]]
                                continue
                        else:
                            arcs = into[u - n_lines]
                            pu = pi[u]
                            while i < len(arcs):
                                e = arcs[i]
                                if x[e]:
                                    v = line[e]
                                    if level[v] == lu + 1 and pu - cost[e] == pi[v]:
                                        break
                                i += 1
                            current[u] = i
                            if i < len(arcs):
                                path.append(2 * arcs[i] + 1)
                                u = line[arcs[i]]
                                continue
                        if u == root:
                            break
                        level[u] = -1  # a dead end: never entered again in this round
                        code = path.pop()
                        u = line[code >> 1] if code & 1 == 0 else n_lines + sup[code >> 1]
                        current[u] += 1
                    if end == -2:
                        break
                    amount = excess[root]
                    for code in path:  # only flow sent back can run out
                        if code & 1 and x[code >> 1] < amount:
                            amount = x[code >> 1]
                    if end >= 0 and rem[sup[end]] < amount:
                        amount = rem[sup[end]]
                    excess[root] -= amount
                    for code in path:
                        if code & 1:
                            x[code >> 1] -= amount
                        else:
                            x[code >> 1] += amount
                    if end >= 0:
                        x[end] += amount
                        j = sup[end]
                        rem[j] -= amount
                        if not rem[j]:
                            self._fill(j)
                    else:
                        self.uncovered[u] += amount

    def finish_by_cancelling_cycles(self) -> None:
        """Leave what is left uncovered, then make the flow optimal by cancelling cycles."""
        n_lines = self.n_lines
        t = n_lines + self.n_supplies
        net = _Network(t + 1)
        cap = net.cap

        def arc(u: int, v: int, capacity: int, cost: int, flow: int) -> int:
            a = net.add(u, v, capacity, cost)
            cap[a] -= flow
            cap[a ^ 1] += flow
            return a

        x, demand = self.x, self.demand
        used = [0] * self.n_supplies
        for j, flow in zip(self.sup, x, strict=True):
            used[j] += flow
        arcs = [
            arc(u, n_lines + j, demand[u], cost, flow)
            for u, j, cost, flow in zip(self.line, self.sup, self.cost, x, strict=True)
        ]
        for j, left in enumerate(self.rem):
            arc(n_lines + j, t, left + used[j], 0, used[j])
        for u, left in enumerate(self.excess):
            arc(u, t, demand[u], 0, self.uncovered[u] + left)
        _cancel_min_mean_cycles(net)
        self.x = [cap[a ^ 1] for a in arcs]
        self.excess = [0] * n_lines


class _Network:
    """A residual network in flat lists: arc ``a`` runs to ``head[a]``; ``a ^ 1`` is its reverse."""

    __slots__ = ("cap", "cost", "head", "nodes")

    def __init__(self, nodes: int) -> None:
        self.nodes = nodes
        self.head: list[int] = []
        self.cap: list[int] = []
        self.cost: list[int] = []

    def add(self, u: int, v: int, capacity: int, cost: int) -> int:
        a = len(self.head)
        self.head.append(v)
        self.cap.append(capacity)
        self.cost.append(cost)
        self.head.append(u)
        self.cap.append(0)
        self.cost.append(-cost)
        return a


def _cancel_min_mean_cycles(net: _Network) -> None:
    """Turn a feasible flow into an optimal one by cancelling minimum-mean cycles.

    A flow of fixed size is optimal exactly when its residual network has no negative cycle.
    Cancelling a cycle of minimum mean cost each time ends after a number of steps polynomial in
    the nodes and arcs alone (Goldberg and Tarjan); each step finds the minimum mean with Karp's
    algorithm and a cycle of that mean among the tight arcs once every cost is shifted by it.
    """
    head, cap, cost = net.head, net.cap, net.cost
    n = net.nodes
    while True:
        arcs = [arc for arc in range(len(head)) if cap[arc]]
        tail = {arc: head[arc ^ 1] for arc in arcs}
        # Karp: walks[k][v] is the cheapest walk of exactly k arcs ending at v, from anywhere.
        walks: list[list[int | None]] = [[0] * n]
        for _ in range(n):
            prev = walks[-1]
            cur: list[int | None] = [None] * n
            for arc in arcs:
                du = prev[tail[arc]]
                if du is not None:
                    v = head[arc]
                    nd = du + cost[arc]
                    dv = cur[v]
                    if dv is None or nd < dv:
                        cur[v] = nd
            walks.append(cur)
        mean: Fraction | None = None
        for v in range(n):
            last = walks[n][v]
            if last is None:
                continue
            worst = max(
                Fraction(last - dk, n - k) for k in range(n) if (dk := walks[k][v]) is not None
            )
            if mean is None or worst < mean:
                mean = worst
        if mean is None or mean >= 0:
            return
        # Shifted costs q*cost - p have no negative cycle, and the cycles of mean p/q are the
        # cycles made of tight arcs (zero reduced cost) for shortest distances under them.
        p, q = mean.numerator, mean.denominator
        dist = [0] * n
        for _ in range(n):
            changed = False
            for arc in arcs:
                nd = dist[tail[arc]] + q * cost[arc] - p
                if nd < dist[head[arc]]:
                    dist[head[arc]] = nd
                    changed = True
            if not changed:
                break
        tight: list[list[int]] = [[] for _ in range(n)]
        for arc in arcs:
            if dist[tail[arc]] + q * cost[arc] - p == dist[head[arc]]:
                tight[tail[arc]].append(arc)
        cycle = _find_cycle(tight, head, tail)
        pushed = min(cap[arc] for arc in cycle)
        for arc in cycle:
            cap[arc] -= pushed
            cap[arc ^ 1] += pushed


def _find_cycle(out: list[list[int]], head: list[int], tail: dict[int, int]) -> list[int]:
    """The arcs of one directed cycle of the graph *out* (which must have one)."""
    n = len(out)
    state = [0] * n  # 0 new, 1 on the current path, 2 finished
    via = [-1] * n
    for root in range(n):
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, 0)]
        while stack:
            u, i = stack[-1]
            if i == len(out[u]):
                state[u] = 2
                stack.pop()
                continue
            stack[-1] = (u, i + 1)
            arc = out[u][i]
            v = head[arc]
            if state[v] == 0:
                state[v] = 1
                via[v] = arc
                stack.append((v, 0))
            elif state[v] == 1:
                cycle = [arc]
                while u != v:
                    cycle.append(via[u])
                    u = tail[via[u]]
                return cycle
    raise AssertionError("no cycle among the tight arcs")  # pragma: no cover - see the caller
