"""The Python side of the matching benchmarks: scipy and OR-Tools on the instances concord-bench wrote.

concord-bench starts this once per benchmark and writes a line to stdin each time it wants a timed round; each
round prints one JSON line: {"total": ..., "seconds": ...}. Only the solver call is timed, not the reading or
the building of the model, which favours the peer.

  matching.py assignment DIR N     square assignment of DIR/costs.f64 (N*N float64, row-major), minimised
                                   with scipy.optimize.linear_sum_assignment
  matching.py allocation DIR N M   needs x sources with DIR/capacities.i64 (M), DIR/need.i32, DIR/source.i32,
                                   DIR/score.i64 (one entry per eligible pair), maximised with OR-Tools'
                                   SimpleMinCostFlow (unassigned arcs of cost W, pairs of cost W - score)
"""
import json
import sys
import time

import numpy as np


def assignment(directory, n):
    from scipy.optimize import linear_sum_assignment

    costs = np.fromfile(f"{directory}/costs.f64", dtype=np.float64).reshape(n, n)

    def solve():
        began = time.perf_counter()
        rows, columns = linear_sum_assignment(costs)
        seconds = time.perf_counter() - began
        return float(costs[rows, columns].sum()), seconds

    return solve


def allocation(directory, n, m):
    from ortools.graph.python import min_cost_flow

    capacities = np.fromfile(f"{directory}/capacities.i64", dtype=np.int64)
    need = np.fromfile(f"{directory}/need.i32", dtype=np.int32).astype(np.int64)
    source = np.fromfile(f"{directory}/source.i32", dtype=np.int32).astype(np.int64)
    score = np.fromfile(f"{directory}/score.i64", dtype=np.int64)
    top = int(score.max())
    sink = n + m

    def solve():
        flow = min_cost_flow.SimpleMinCostFlow()
        tails = np.concatenate([need, np.arange(n), n + np.arange(m)])
        heads = np.concatenate([n + source, np.full(n, sink), np.full(m, sink)])
        caps = np.concatenate([np.ones(len(need), dtype=np.int64), np.ones(n, dtype=np.int64), capacities])
        costs = np.concatenate([top - score, np.full(n, top), np.zeros(m, dtype=np.int64)])
        flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
        supplies = np.concatenate([np.ones(n, dtype=np.int64), np.zeros(m, dtype=np.int64), [-n]])
        flow.set_nodes_supplies(np.arange(n + m + 1), supplies)
        began = time.perf_counter()
        status = flow.solve()
        seconds = time.perf_counter() - began
        if status != flow.OPTIMAL:
            raise SystemExit(f"OR-Tools: status {status}")
        return n * top - flow.optimal_cost(), seconds

    return solve


def main():
    kind, directory = sys.argv[1], sys.argv[2]
    if kind == "assignment":
        solve = assignment(directory, int(sys.argv[3]))
    elif kind == "allocation":
        solve = allocation(directory, int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit(f"unknown benchmark {kind}: expected assignment or allocation")
    print(json.dumps({"ready": True}), flush=True)
    for _ in sys.stdin:
        total, seconds = solve()
        print(json.dumps({"total": total, "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
