#!/usr/bin/env python3
"""A straightforward Python regularized evolution over the NAS-Bench-201 table,
the same algorithm as exhaust's simulated-clock search (P, S, N, W workers,
evaluation cost = modelled time), for bench_search to compare against.

usage: bench_search.py ARCHS_CSV [--repeats R] [--workers W] [--candidates N]
Prints: python_ms_median=<milliseconds per search> best_mean=<mean true quality over seeds>
"""
import csv, heapq, random, sys, time, statistics

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def load(path):
    table = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            ops = [t.split("~")[0] for t in row["arch_str"].split("|") if "~" in t]
            key = tuple(OPS.index(o) for o in ops)
            # an empty field is a seed that was not logged: never drawn (as in exhaust)
            table[key] = [float(v) for v in
                          (row["c10valid_val200_s%d" % s] for s in (777, 888, 999)) if v]
    return table


def flops(a):
    return 7.78304 + sum(3.93216 if t == 2 else 35.38944 if t == 3 else 0.0 for t in a)


def search(table, seed, population=100, sample=5, candidates=1000, workers=64):
    rng = random.Random(seed)
    pop, running, history = [], [], []
    submitted = 0

    seen = set()  # children already proposed: redrawn, up to 100 tries (as exhaust)

    def propose():
        if len(pop) < population:  # stage 1 until P have finished
            return tuple(rng.randrange(5) for _ in range(6))
        parent = max(rng.sample(pop, min(sample, len(pop))), key=lambda m: m[1])[0]
        child = list(parent)
        pos = rng.randrange(6)
        child[pos] = rng.choice([v for v in range(5) if v != child[pos]])
        return tuple(child)

    def submit(now, worker):
        nonlocal submitted
        for _ in range(100):
            child = propose()
            if child not in seen:
                break
        seen.add(child)
        quality = rng.choice(table[child])
        cost = 200 * (1.0 + 0.1 * flops(child))
        heapq.heappush(running, (now + cost, submitted, worker, child, quality))
        submitted += 1

    for w in range(min(workers, candidates)):
        submit(0.0, w)
    while running:
        end, job, worker, child, quality = heapq.heappop(running)
        pop.append((child, quality))
        if len(pop) > population:
            pop.pop(0)
        history.append((child, quality))
        if submitted < candidates:
            submit(end, worker)
    return max(history, key=lambda m: m[1])[0]


def main():
    args = sys.argv[1:]
    path = args[0]
    opts = {"--repeats": 20, "--workers": 64, "--candidates": 1000}
    for i in range(1, len(args) - 1, 2):
        opts[args[i]] = int(args[i + 1])
    table = load(path)
    times, bests = [], []
    for seed in range(opts["--repeats"]):
        start = time.perf_counter()
        best = search(table, seed, workers=opts["--workers"], candidates=opts["--candidates"])
        times.append((time.perf_counter() - start) * 1e3)
        bests.append(sum(table[best]) / len(table[best]))
    print("python_ms_median=%.4f best_mean=%.4f" % (statistics.median(times), statistics.mean(bests)))


if __name__ == "__main__":
    main()
