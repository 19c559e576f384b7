#!/usr/bin/env python3
"""screen_nb201.py — what screening (exhaust search --screen M) buys on NAS-Bench-201.

For each M and seed, runs the table-evaluator search (cifar10-valid, P=100,
S=5, simulated clock) and counts the evaluations (in the trace's finishing
order) until the best *true* accuracy found — the mean of the cell's logged
200-epoch seeds, not the one seed the evaluator drew — reaches the target.
M = 1 is the plain search: the reference. Screening's cost is predictions:
each screened job made M k-NN predictions over every model finished so far;
the wall and CPU time and peak memory of each search (os.wait4; a search
includes its process start and the table's load) are printed beside, and the
CPU time beyond M = 1's per prediction made (CPU, not wall: the machine is
shared).

usage: bench/screen_nb201.py [--exhaust build/exhaust] [--table PATH] [--seeds 20]
           [--screens 1,5,20] [--candidates 2000] [--target 91.5] [--workers 1]
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
SEEDS = ["c10valid_val200_s777", "c10valid_val200_s888", "c10valid_val200_s999"]


def true_accuracy(table):
    """arch tokens (the trace's p:arch_seq) -> mean of the logged seeds."""
    truth = {}
    with open(table, newline="") as f:
        for row in csv.DictReader(f):
            ops = [part.split("~")[0] for part in row["arch_str"].split("|") if "~" in part]
            values = [float(row[k]) for k in SEEDS if row[k]]
            truth[tuple(OPS.index(op) for op in ops)] = sum(values) / len(values)
    return truth


def run_search(args, m, seed, trace):
    command = [args.exhaust, "search", "--space", "nb201", "--table", args.table,
               "--clock", "simulated", "--candidates", str(args.candidates),
               "--workers", str(args.workers), "--seed", str(seed), "--screen", str(m),
               "--no-fsync", "--trace", trace]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        sys.exit("failed: " + " ".join(command))
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def evaluations_to_target(trace, truth, target):
    """(evaluations until the best true accuracy >= target or None, best at the end,
    predictions made)."""
    reached, best, predictions = None, float("-inf"), 0
    with open(trace, newline="") as f:
        for count, row in enumerate(csv.DictReader(f), start=1):
            arch = tuple(int(t) for t in row["p:arch_seq"].strip("[]").split(","))
            best = max(best, truth[arch])
            predictions += int(row.get("m:screened") or 0)
            if reached is None and best >= target:
                reached = count
    return reached, best, predictions


def summary(values):
    return (statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exhaust", default="build/exhaust")
    parser.add_argument("--table", default="../shared/data/nb201/archs.csv")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--screens", default="1,5,20")
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--target", type=float, default=91.5)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if not os.path.exists(args.table):
        print(f"skipped: {args.table} is absent (the NB201 table, ../shared/data)")
        return 0
    truth = true_accuracy(args.table)
    print(f"NB201 cifar10-valid, P=100 S=5 k=5, {args.workers} worker(s), simulated clock, "
          f"N={args.candidates}, seeds 1..{args.seeds}; target: best true (seed-mean) "
          f"accuracy >= {args.target} (table best {max(truth.values()):.3f})")
    print("| M | reached | evaluations to target, mean ± sd (reached) | median | "
          "best true at N | predictions per search | wall / CPU s per search (median) | "
          "extra CPU per prediction | peak RSS MB | evaluations vs M=1 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    reference = reference_cpu = None
    with tempfile.TemporaryDirectory() as folder:
        for m in (int(x) for x in args.screens.split(",")):
            needed, bests, walls, cpus, peaks, predictions = [], [], [], [], [], []
            for seed in range(1, args.seeds + 1):
                trace = os.path.join(folder, f"m{m}_s{seed}.csv")
                wall, cpu, peak = run_search(args, m, seed, trace)
                reached, best, made = evaluations_to_target(trace, truth, args.target)
                needed.append(reached if reached is not None else float("inf"))
                bests.append(best)
                walls.append(wall)
                cpus.append(cpu)
                peaks.append(peak)
                predictions.append(made)
            hit = [n for n in needed if n != float("inf")]
            median = statistics.median(needed)
            mean, sd = summary(hit) if hit else (float("nan"), float("nan"))
            reference = reference or median
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            reference_cpu = reference_cpu if reference_cpu is not None else cpu
            made = statistics.median(predictions)
            per_prediction = f"{(cpu - reference_cpu) / made * 1e6:.1f} µs" if made else "-"
            best_mean, best_sd = summary(bests)
            print(f"| {m} | {len(hit)}/{len(needed)} | {mean:.0f} ± {sd:.0f} | "
                  f"{'>' + str(args.candidates) if median == float('inf') else f'{median:.0f}'} | "
                  f"{best_mean:.3f} ± {best_sd:.3f} | {made:.0f} | {wall:.2f} / {cpu:.2f} | "
                  f"{per_prediction} | {max(peaks):.1f} | "
                  f"{median / reference:.2f}x (medians) |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
