#!/usr/bin/env python3
"""test_deephyper_sim.py — `exhaust analyze` on a trace written the way
DeepHyper's aging evolution writes one, where the truth is known: 30
workers, population 100, tournament 10 (DeepHyper's defaults), random
architectures until 100 results were gathered (so W + P - 1 = 129 random
ones, not P), then one mutated child per gathered result, submitted a few
milliseconds after the gather; results.csv has job_id, p:arch_seq,
objective, m:timestamp_submit and m:timestamp_gather only. P and S come
from a sidecar. Checks: 30 workers estimated, the random ones recognised
(the first P by job id, and those started before P had finished with no
candidate), and the share of parents inferred right, printed, above the
bound measured when this was written (0.477: the space is small, so the
population converges and 93% of the children have several candidates; the
best of them is the likeliest tournament winner, not always the real one).
Seeded: the same trace every run. No data needed."""
import csv
import heapq
import json
import os
import random
import subprocess
import sys
import tempfile

BIN = os.environ.get("EXHAUST_BIN", "")
W, P, S, N, L, K = 30, 100, 10, 2000, 6, 5
MIN_RIGHT = 0.45      # measured 893 of 1871 (0.477)
MIN_RANDOM_KEPT = 120  # measured 126 of 129


def simulate(path, seed=1):
    rng = random.Random(seed)
    jobs, running, population, order = {}, [], [], []

    def submit(now, arch, parent):
        job = len(jobs)
        duration = 50 + 30 * rng.random()
        quality = sum((x == 3) * (i + 1) for i, x in enumerate(arch)) + rng.random()
        jobs[job] = dict(arch=arch, parent=parent, submit=now, q=quality)
        heapq.heappush(running, (now + duration, job))

    for _ in range(W):
        submit(0.0, [rng.randrange(K) for _ in range(L)], -1)
    while running and len(order) < N:
        end, job = heapq.heappop(running)
        gather = end + 0.001
        jobs[job]["gather"] = gather
        order.append(job)
        population = (population + [job])[-P:]
        if len(jobs) >= N:
            continue
        if len(population) < P:
            submit(gather + 0.002, [rng.randrange(K) for _ in range(L)], -1)
        else:
            parent = max(rng.sample(population, S), key=lambda k: jobs[k]["q"])
            arch = list(jobs[parent]["arch"])
            i = rng.randrange(L)
            arch[i] = rng.choice([v for v in range(K) if v != arch[i]])
            submit(gather + 0.002, arch, parent)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["p:arch_seq", "objective", "job_id", "m:timestamp_submit",
                    "m:timestamp_gather"])
        for job in order:
            r = jobs[job]
            w.writerow([str(r["arch"]), "%.6f" % r["q"], job, "%.6f" % r["submit"],
                        "%.6f" % r["gather"]])
    return {str(j): str(jobs[j]["parent"]) for j in order}


def main():
    if not BIN:
        print("EXHAUST_BIN not set")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "results.csv")
        truth = simulate(trace)
        with open(trace + ".json", "w") as f:
            json.dump({"format": "exhaust-trace", "version": 1, "population": P, "sample": S}, f)
        out = os.path.join(tmp, "report")
        result = subprocess.run([BIN, "analyze", trace, "--out", out], capture_output=True,
                                text=True)
        assert result.returncode == 0, result.stderr
        summary = json.load(open(os.path.join(out, "summary.json")))
        inference = summary["inference"]
        assert summary["population"] == P and summary["sample"] == S, summary
        assert inference["population_from"] == "sidecar", inference
        assert inference["workers"] == W, inference
        inferred = {r["job_id"]: r["parent_id"]
                    for r in csv.DictReader(open(os.path.join(out, "inferred.csv")))}
        children = [j for j, p in truth.items() if p != "-1"]
        randoms = [j for j, p in truth.items() if p == "-1"]
        right = sum(inferred[j] == truth[j] for j in children)
        kept = sum(inferred[j] == "-1" for j in randoms)
        print("workers %d (truth %d); random recognised %d of %d; parents right %d of %d "
              "(%.3f), %d children with ties"
              % (inference["workers"], W, kept, len(randoms), right, len(children),
                 right / len(children), inference["ties"]))
        assert len(randoms) == W + P - 1, len(randoms)
        assert kept >= MIN_RANDOM_KEPT, kept
        assert right / len(children) >= MIN_RIGHT, right / len(children)
    return 0


if __name__ == "__main__":
    sys.exit(main())
