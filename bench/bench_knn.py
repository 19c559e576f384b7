#!/usr/bin/env python3
"""NumPy k-NN over the whole NAS-Bench-201 space, the reference for bench_knn.

The same edit-distance programme as exhaust (src/predict/editdist.c) with an
nb201 penalty table, vectorized as a NumPy user would: over the repository,
one array operation per DP step, the repository's replace costs precomputed
(cost[o, e, m] = replace[o][op of model m on edge e], as the C code does).
Then the K nearest (ties by index), inverse-distance weights (exact matches
share all the weight) and the weighted mean of their one-epoch curves.

usage: bench_knn.py REPOSITORY PENALTIES_JSON [--k K] [--repeats R] [--queries Q]
       bench_knn.py --graph FILE [REPEATS]   (the graph space: see graph_reference)
  REPOSITORY: one cell a line, six operation digits and the logged accuracy.
Prints: numpy_dp_seconds_median=... numpy_predict_seconds_median=...
        distance_sum=... index_sum=... value_sum=...
        numpy_batched_seconds_median=... numpy_diagonal_seconds_median=...
  (the batched figures: the programme over (queries x models) arrays, in CPU
  seconds; the diagonal one only with an infinite indel, else -1)
"""
import argparse
import json
import statistics
import time  # process_time: CPU seconds, fairer than the wall on a shared machine

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


class Batched:
    """The same programme over a batch of queries at once: every DP step is
    one array operation on a (queries x models) array, as a NumPy user who
    batches over both would write it. With an infinite indel (the default)
    also the degenerate form a user who knows it would write: the sum of
    the six diagonal costs."""

    def __init__(self, ops, replace, indel, disconnect, batch=16):
        self.costs = np.ascontiguousarray(replace[:, ops.T])  # [query op, edge, model]
        self.connected = np.array([connected(c) for c in ops])
        self.indel, self.disconnect, self.batch = indel, disconnect, batch
        self.n = len(ops)

    def distances(self, queries, diagonal=False):
        """queries: (Q, 6) ints; returns (Q, models)."""
        queries = np.asarray(queries)
        out = np.empty((len(queries), self.n))
        c = self.indel
        for start in range(0, len(queries), self.batch):
            q = queries[start:start + self.batch]
            if diagonal:
                d = self.costs[q[:, 0], 0].copy()
                for e in range(1, EDGES):
                    d += self.costs[q[:, e], e]
            else:
                shape = (len(q), self.n)
                prev = [np.full(shape, j * c if j else 0.0) for j in range(EDGES + 1)]
                cur = [np.empty(shape) for _ in range(EDGES + 1)]
                t = np.empty(shape)
                for i in range(1, EDGES + 1):
                    row = self.costs[q[:, i - 1]]  # (Q, edge, model)
                    cur[0].fill(i * c)
                    for j in range(1, EDGES + 1):
                        np.add(prev[j - 1], row[:, j - 1], out=cur[j])
                        np.add(prev[j], c, out=t)
                        np.minimum(cur[j], t, out=cur[j])
                        np.add(cur[j - 1], c, out=t)
                        np.minimum(cur[j], t, out=cur[j])
                    prev, cur = cur, prev
                d = prev[EDGES]
            query_connected = np.array([connected(x) for x in q])
            out[start:start + len(q)] = d + np.where(
                self.connected[None, :] != query_connected[:, None], self.disconnect, 0.0)
        return out


def predict(d, values, k):
    nearest = np.argsort(d, kind="stable")[:k]
    near = d[nearest]
    if np.any(near == 0):
        w = (near == 0).astype(float)
    else:
        w = np.where(np.isinf(near), 0.0, near[0] / near)
    w /= w.sum()
    return nearest, near, float(np.dot(w, values[nearest]))


def graph_reference(path, repeats):
    """The graph space's programme in NumPy, batched over queries and models.

    File (from bench_knn generic): the penalties' op, input and indel costs
    on the first line, then "R" (repository) or "Q" (query) lines of layers
    op,input0,input1,input2 (an unused input slot is -1). Models and queries
    are padded to the longest; the programme runs over the padded grid and
    each pair's distance is read at (query length, model length) — prefixes
    do not see the padding. Prints CPU seconds (median) and a checksum of
    the distances (an infinite one counts 1e6), as bench_knn's C side does."""
    with open(path) as f:
        op_cost, input_cost, indel = (float(x) for x in f.readline().split())
        models, queries = [], []
        for line in f:
            kind, *layers = line.split()
            cell = [[int(v) for v in layer.split(",")] for layer in layers]
            (models if kind == "R" else queries).append(cell)

    def pad(cells):
        longest = max(len(c) for c in cells)
        features = np.full((len(cells), max(longest, 1), 4), -2, dtype=np.int32)
        for k, c in enumerate(cells):
            if c:
                features[k, :len(c)] = c
        return features, np.array([len(c) for c in cells])

    mf, model_len = pad(models)
    qf, query_len = pad(queries)
    # replace cost by mask of differing features, added in penalties.c's order
    table = np.zeros(16)
    for m in range(16):
        cost = 0.0
        if m & 1:
            cost += op_cost
        for slot in range(3):
            if m >> (1 + slot) & 1:
                cost += input_cost
        table[m] = cost
    weights = np.array([1, 2, 4, 8], dtype=np.int32)
    n, batch = len(models), 16
    times, checksum = [], 0.0
    for _ in range(repeats):
        t0 = time.process_time()
        checksum = 0.0
        for start in range(0, len(queries), batch):
            qb, lb = qf[start:start + batch], query_len[start:start + batch]
            rows, cols = int(lb.max()), mf.shape[1]
            # costs of every (query, layer, model, layer): one array operation
            mask = (qb[:, :rows, None, None, :] != mf[None, None, :, :cols, :]) @ weights
            rep = table[mask]  # (Q, rows, n, cols)
            prev = np.empty((cols + 1, len(qb), n))
            prev[0] = 0.0
            for j in range(1, cols + 1):
                prev[j] = prev[j - 1] + indel
            cur = np.empty_like(prev)
            final = np.empty((len(qb), n))
            for i in range(1, rows + 1):
                cur[0] = prev[0] + indel
                for j in range(1, cols + 1):
                    best = prev[j - 1] + rep[:, i - 1, :, j - 1]
                    np.minimum(best, prev[j] + indel, out=best)
                    np.minimum(best, cur[j - 1] + indel, out=best)
                    cur[j] = best
                prev, cur = cur, prev
                done = lb == i
                if done.any():
                    final[done] = np.take_along_axis(
                        prev[:, done], model_len[None, None, :], axis=0)[0]
            finite = np.isfinite(final)
            checksum += float(final[finite].sum()) + 1e6 * float((~finite).sum())
        times.append(time.process_time() - t0)
    print("numpy_graph_seconds_median=%.6f checksum=%.17g" % (statistics.median(times), checksum))


def main():
    import sys
    if len(sys.argv) > 2 and sys.argv[1] == "--graph":
        graph_reference(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
        return
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
        start = time.process_time()
        for query in queries:
            t0 = time.process_time()
            d = programme.distances(query)
            dp += time.process_time() - t0
            nearest, near, value = predict(d, values, a.k)
            distance_sum += float(near.sum())
            index_sum += float(np.dot(nearest + 1, np.arange(1, a.k + 1)))
            value_sum += value
        predict_times.append(time.process_time() - start)
        dp_times.append(dp)
    scale = 5 ** EDGES / a.queries
    # batched over queries and models: the full programme, and (infinite
    # indel) the diagonal sum; both checked against the looped distances
    batched = Batched(ops, replace, indel, disconnect)
    reference = np.array([programme.distances(q) for q in queries[:64]])
    batched_times, diagonal_times = [], []
    for _ in range(a.repeats):
        t0 = time.process_time()
        d = batched.distances(queries)
        batched_times.append(time.process_time() - t0)
        assert np.array_equal(d[:64], reference)
        if np.isinf(indel):
            t0 = time.process_time()
            d = batched.distances(queries, diagonal=True)
            diagonal_times.append(time.process_time() - t0)
            assert np.array_equal(d[:64], reference)
    print("numpy_dp_seconds_median=%.6f numpy_predict_seconds_median=%.6f "
          "distance_sum=%.17g index_sum=%.17g value_sum=%.17g "
          "numpy_batched_seconds_median=%.6f numpy_diagonal_seconds_median=%.6f"
          % (statistics.median(dp_times) * scale, statistics.median(predict_times) * scale,
             distance_sum, index_sum, value_sum, statistics.median(batched_times) * scale,
             statistics.median(diagonal_times) * scale if diagonal_times else -1.0))


if __name__ == "__main__":
    main()
