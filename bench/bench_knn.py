#!/usr/bin/env python3
"""NumPy k-NN over the whole NAS-Bench-201 space, the reference for bench_knn.

The same edit-distance programme as exhaust (src/predict/editdist.c) with an
nb201 penalty table, vectorized as a NumPy user would: over the repository,
one array operation per DP step, the repository's replace costs precomputed
(cost[o, e, m] = replace[o][op of model m on edge e], as the C code does).
Then the K nearest (ties by index), inverse-distance weights (exact matches
share all the weight) and the weighted mean of their one-epoch curves.

usage: bench_knn.py REPOSITORY PENALTIES_JSON [--k K] [--repeats R] [--queries Q]
  REPOSITORY: one cell a line, six operation digits and the logged accuracy.
Prints: numpy_dp_seconds_median=... numpy_predict_seconds_median=...
        distance_sum=... index_sum=... value_sum=...
"""
import argparse
import json
import statistics
import time

import numpy as np

EDGES = 6
SOURCE = (0, 0, 1, 0, 1, 2)
TARGET = (1, 2, 2, 3, 3, 3)


def cost(value):
    return float("inf") if isinstance(value, str) else float(value)


def connected(cell):
    reached = {0}
    changed = True
    while changed:
        changed = False
        for e in range(EDGES):
            if cell[e] != 0 and SOURCE[e] in reached and TARGET[e] not in reached:
                reached.add(TARGET[e])
                changed = True
    return 3 in reached


def load(repository_path, penalties_path):
    ops, values = [], []
    with open(repository_path) as f:
        for line in f:
            digits, value = line.split()
            ops.append([int(c) for c in digits])
            values.append(float(value))
    with open(penalties_path) as f:
        table = json.load(f)
    replace = np.array([[cost(v) for v in row] for row in table["replace"]])
    return (np.array(ops), np.array(values), replace, cost(table["indel"]),
            cost(table["disconnect"]))


class Programme:
    def __init__(self, ops, replace, indel, disconnect):
        n = len(ops)
        self.costs = np.ascontiguousarray(replace[:, ops.T])  # [query op, edge, model]
        self.connected = np.array([connected(c) for c in ops])
        self.indel, self.disconnect = indel, disconnect
        self.previous = np.empty((EDGES + 1, n))
        self.current = np.empty((EDGES + 1, n))
        self.scratch = np.empty(n)
        self.boundary = [0.0]
        for _ in range(EDGES):
            self.boundary.append(self.boundary[-1] + indel)

    def distances(self, query):
        prev, cur, t, c = self.previous, self.current, self.scratch, self.indel
        for j in range(EDGES + 1):
            prev[j].fill(self.boundary[j])
        for i in range(1, EDGES + 1):
            row = self.costs[query[i - 1]]
            cur[0].fill(self.boundary[i])
            for j in range(1, EDGES + 1):
                np.add(prev[j - 1], row[j - 1], out=cur[j])
                np.add(prev[j], c, out=t)
                np.minimum(cur[j], t, out=cur[j])
                np.add(cur[j - 1], c, out=t)
                np.minimum(cur[j], t, out=cur[j])
            prev, cur = cur, prev
        d = prev[EDGES].copy()
        d[self.connected != connected(query)] += self.disconnect
        return d


def predict(d, values, k):
    nearest = np.argsort(d, kind="stable")[:k]
    near = d[nearest]
    if np.any(near == 0):
        w = (near == 0).astype(float)
    else:
        w = np.where(np.isinf(near), 0.0, near[0] / near)
    w /= w.sum()
    return nearest, near, float(np.dot(w, values[nearest]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("repository")
    parser.add_argument("penalties")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--queries", type=int, default=5 ** EDGES)
    a = parser.parse_args()
    ops, values, replace, indel, disconnect = load(a.repository, a.penalties)
    programme = Programme(ops, replace, indel, disconnect)
    queries = [[(q // 5 ** (EDGES - 1 - e)) % 5 for e in range(EDGES)] for q in range(a.queries)]
    dp_times, predict_times = [], []
    for _ in range(a.repeats):
        dp = 0.0
        distance_sum = index_sum = value_sum = 0.0
        start = time.perf_counter()
        for query in queries:
            t0 = time.perf_counter()
            d = programme.distances(query)
            dp += time.perf_counter() - t0
            nearest, near, value = predict(d, values, a.k)
            distance_sum += float(near.sum())
            index_sum += float(np.dot(nearest + 1, np.arange(1, a.k + 1)))
            value_sum += value
        predict_times.append(time.perf_counter() - start)
        dp_times.append(dp)
    scale = 5 ** EDGES / a.queries
    print("numpy_dp_seconds_median=%.6f numpy_predict_seconds_median=%.6f "
          "distance_sum=%.17g index_sum=%.17g value_sum=%.17g"
          % (statistics.median(dp_times) * scale, statistics.median(predict_times) * scale,
             distance_sum, index_sum, value_sum))


if __name__ == "__main__":
    main()
