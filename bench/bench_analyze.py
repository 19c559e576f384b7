#!/usr/bin/env python3
"""What a user would otherwise write in plain Python for part of `exhaust
analyze`, on the same trace, for bench_analyze to compare against:
  * read the CSV trace (csv module),
  * the prefix trie as counts per prefix, mutation positions, transferred
    prefix lengths,
  * popularity windows (population-sized) of length-3 prefixes, tiers at 400
    points,
  * one shared LRU cache of transferred tensors (NB201 sizes, 4 MiB),
  * the quanta replay (heapq) for quanta 1, 4, 16, 64, 256.
exhaust does all of that and more (locality, reuse distances, parents,
donors, four more cache policies, per-worker caches, the report).

usage: bench_analyze.py TRACE [--repeats R]
Prints: python_seconds_median=<seconds>
"""
import collections, csv, heapq, statistics, sys, time

CONV3, CONV1 = 3, 2
CHANNELS = (16, 32, 64)


def tensor_bytes(op):
    if op == CONV3:
        return 4 * sum(5 * (9 * c * c + 2 * c) for c in CHANNELS)
    if op == CONV1:
        return 4 * sum(5 * (c * c + 2 * c) for c in CHANNELS)
    return 0


def read(path):
    with open(path) as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    out = []
    for r in rows:
        arch = tuple(int(t) for t in r["p:arch_seq"].strip("[]").split(","))
        out.append((arch, float(r["m:timestamp_start"]), float(r["m:timestamp_gather"]),
                    int(r["m:worker"]), int(r["m:donor_id"]), int(r["m:prefix_len"]),
                    int(r["m:mutated_position"]), float(r["objective"])))
    return out


def structure(records):
    prefixes = collections.Counter()
    positions = collections.Counter()
    lengths = collections.Counter()
    for arch, _, _, _, donor, prefix, mutated, _ in records:
        for depth in range(1, len(arch) + 1):
            prefixes[arch[:depth]] += 1
        if mutated >= 0:
            positions[mutated] += 1
        if donor >= 0:
            lengths[prefix] += 1
    return prefixes, positions, lengths


def popularity(records, window=100, length=3):
    counts = collections.Counter()
    tiers = []
    stride = max(1, len(records) // 400)
    for i, r in enumerate(records):
        counts[r[0][:length]] += 1
        if i >= window:
            old = records[i - window][0][:length]
            counts[old] -= 1
            if counts[old] == 0:
                del counts[old]
        if (i + 1) % stride == 0:
            size = min(i + 1, window)
            tiers.append(sum(1 for c in counts.values() if c >= 0.3 * size))
    return tiers


def lru(records, capacity=4 << 20):
    events = []
    for i, (arch, start, end, _, donor, prefix, _, quality) in enumerate(records):
        events.append((end, 0, i))
        if donor >= 0:
            events.append((start, 1, i))
    events.sort()
    cache, stored, hits, reads = collections.OrderedDict(), 0, 0, 0
    for _, kind, i in events:
        arch, _, _, _, _, prefix, _, _ = records[i]
        for p in range(prefix if kind else len(arch)):
            size = tensor_bytes(arch[p])
            if size == 0:
                continue
            key = arch[:p + 1]
            if kind:
                reads += 1
                if key in cache:
                    hits += 1
                    cache.move_to_end(key)
            elif size <= capacity:
                if key in cache:
                    cache.move_to_end(key)
                    continue
                while stored + size > capacity:
                    _, old = cache.popitem(last=False)
                    stored -= old
                cache[key] = size
                stored += size
    return hits / reads if reads else float("nan")


def quanta(records, workers):
    durations = [end - start for _, start, end, *_ in sorted(records, key=lambda r: r[1])]
    results = []
    for s in (1, 4, 16, 64, 256):
        s = min(s, workers)
        idle = [0.0] * workers
        busy, now, waited, j = [], 0.0, 0.0, 0
        while j < len(durations):
            while len(idle) < min(s, len(durations) - j):
                now = heapq.heappop(busy)
                idle.append(now)
            while idle and j < len(durations):
                waited += now - idle.pop()
                heapq.heappush(busy, now + durations[j])
                j += 1
        results.append(waited / len(durations))
    return results


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 1
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        records = read(path)
        records.sort(key=lambda r: r[2])
        structure(records)
        popularity(records)
        lru(records)
        quanta(records, len({r[3] for r in records}))
        times.append(time.perf_counter() - start)
    print("python_seconds_median=%.4f" % statistics.median(times))


if __name__ == "__main__":
    main()
