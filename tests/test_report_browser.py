#!/usr/bin/env python3
"""test_report_browser.py — `exhaust analyze` on a synthetic NB201 search
trace (written here, seeded), then:
  * the CSV files read back with the csv module agree with the trace
    (record counts, the best quality, mutation positions), and
  * index.html opens in headless Chromium (browser_check.py): every section
    is there, every chart drew, no JavaScript or console error, and a
    screenshot that is not blank.
Skips (77) when Chromium is not installed."""
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile

BIN = os.environ.get("EXHAUST_BIN", "")
HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77


def synthetic_trace(path, records=600, workers=16, population=50, seed=7):
    """An aging-evolution-like trace: random stage 1, then children of good
    models mutated at one position, on `workers` asynchronous workers."""
    rng = random.Random(seed)
    free_at = [0.0] * workers
    finished = []
    rows = []
    for job in range(records):
        worker = min(range(workers), key=lambda w: free_at[w])
        start = free_at[worker]
        if job < population or len(finished) < 5:
            arch = [rng.randrange(5) for _ in range(6)]
            parent, position, prefix = -1, -1, 0
        else:
            window = finished[-population:]
            parent_row = max(rng.sample(window, 5), key=lambda r: r[2])
            arch = list(parent_row[1])
            position = rng.randrange(6)
            arch[position] = (arch[position] + 1 + rng.randrange(4)) % 5
            parent, prefix = parent_row[0], position
        quality = 80 + 2 * arch.count(3) + rng.random()
        duration = 100 + 30 * arch.count(3) + rng.random() * 20
        free_at[worker] = start + duration
        rows.append((start + duration, job, arch, quality, start, worker, parent, prefix, position))
        finished.append((job, arch, quality))
    rows.sort(key=lambda r: (r[0], r[1]))
    with open(path, "w") as f:
        f.write("# exhaust search: space=nb201 population=%d sample=5\n" % population)
        f.write("job_id,p:arch_seq,objective,m:timestamp_submit,m:timestamp_start,"
                "m:timestamp_gather,m:worker,m:parent_id,m:donor_id,m:prefix_len,"
                "m:mutated_position,m:status\n")
        for end, job, arch, quality, start, worker, parent, prefix, position in rows:
            f.write('%d,"[%s]",%.4f,%.3f,%.3f,%.3f,%d,%d,%d,%d,%d,ok\n' % (
                job, ", ".join(map(str, arch)), quality, start, start, end, worker, parent,
                parent, prefix, position))
    return rows


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def check_tables(out, rows):
    summary = json.load(open(os.path.join(out, "summary.json")))
    assert summary["records"] == len(rows), summary["records"]
    best = max(r[3] for r in rows)
    assert abs(summary["best_quality"] - round(best, 4)) < 1e-9, summary["best_quality"]
    positions = read_csv(os.path.join(out, "positions.csv"))
    for p in positions:
        expected = sum(1 for r in rows if r[8] == int(p["position"]))
        assert int(p["mutations"]) == expected, (p, expected)
    caches = read_csv(os.path.join(out, "caches.csv"))
    assert len(caches) == 3 * 2 * 5, len(caches)  # capacities x scopes x policies
    for c in caches:
        assert 0 <= float(c["hit_rate"]) <= 1, c
        assert int(c["hits"]) <= int(c["accesses"]), c
    quanta = read_csv(os.path.join(out, "quanta.csv"))
    assert quanta[0]["quantum"] == "1" and float(quanta[0]["measured_mean_wait"]) == 0, quanta[0]
    print("ok: the CSV files agree with the trace")


def main():
    if not BIN:
        print("EXHAUST_BIN not set")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace.csv")
        out = os.path.join(tmp, "report")
        rows = synthetic_trace(trace)
        result = subprocess.run([BIN, "analyze", trace, "--space", "nb201", "--out", out],
                                capture_output=True, text=True)
        if result.returncode != 0:
            print("exhaust analyze failed:", result.stdout, result.stderr)
            return 1
        check_tables(out, rows)
        page = open(os.path.join(out, "index.html")).read()
        # P and S from the trace's '#' header, and the page says so
        assert "population 50 (from the trace header)" in page, "P's source not named"
        assert not re.search(r"(?i)\bnan\b", re.sub(r"<(script|style)\b.*?</\1>", "", page,
                                                    flags=re.S)), "nan on the page"
        sections = ["#structure", "#locality", "#quality", "#popularity", "#caches",
                    "#top-tensors", "#quanta", "#tiers", "#cache-shared", "nav.toc"]
        command = [sys.executable, os.path.join(HERE, "browser_check.py"),
                   os.path.join(out, "index.html"), "--screenshot",
                   os.path.join(tmp, "report.png"), "--min-charts", "10"]
        for s in sections:
            command += ["--expect-selector", s]
        if os.path.exists(os.path.join(out, "trie.svg")):
            command += ["--expect-selector", "figure.svg"]
        check = subprocess.run(command)
        if check.returncode == SKIP:
            print("SKIP: Chromium is not installed (scripts/install-deps.sh installs it)")
        return check.returncode


if __name__ == "__main__":
    sys.exit(main())
