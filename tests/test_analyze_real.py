#!/usr/bin/env python3
"""A real NAS-Bench-201 search (1000 candidates, 64 simulated workers, the
table in ../shared/data) and its analysis: the report has all five parts,
the numbers agree with the trace read here independently (csv module), and
what the cache simulation shows is printed (the best policy next to LRU, at
each capacity: reported either way, as the issue asks). Skips (77) without
the data."""
import csv, json, os, subprocess, sys, tempfile

DATA = os.environ.get("EXHAUST_DATA", "")
BIN = os.environ.get("EXHAUST_BIN", "")


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def main():
    table = os.path.join(DATA, "nb201", "archs.csv")
    if not DATA or not os.path.exists(table):
        print("SKIP: real data not found (EXHAUST_DATA=%r); this test needs ../shared/data" % DATA)
        return 77
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "search.csv")
        out = os.path.join(tmp, "analysis")
        subprocess.run([BIN, "search", "--space", "nb201", "--evaluator", "table", "--table", table,
                        "--clock", "simulated", "--workers", "64", "--candidates", "1000",
                        "--seed", "1", "--trace", trace], check=True, capture_output=True)
        printed = subprocess.run([BIN, "analyze", trace, "--space", "nb201", "--out", out],
                                 check=True, capture_output=True, text=True).stdout
        print(printed.strip())
        records = rows(trace)
        summary = json.load(open(os.path.join(out, "summary.json")))
        if summary["records"] != len(records):
            failures.append("records %d vs %d" % (summary["records"], len(records)))
        best = max(float(r["objective"]) for r in records if r["objective"] != "F")
        if abs(summary["best_quality"] - best) > 1e-9:
            failures.append("best quality %g vs %g" % (summary["best_quality"], best))
        children = [r for r in records if int(r["m:donor_id"]) >= 0]
        mean_prefix = sum(int(r["m:prefix_len"]) for r in children) / len(children)
        if abs(summary["structure"]["mean_prefix_length"] - mean_prefix) > 1e-6:
            failures.append("mean prefix %g vs %g" % (summary["structure"]["mean_prefix_length"],
                                                      mean_prefix))
        page = open(os.path.join(out, "index.html")).read()
        for section in ("structure", "locality", "quality", "popularity", "caches"):
            if 'id="%s"' % section not in page:
                failures.append("index.html lacks the %s section" % section)
        caches = rows(os.path.join(out, "caches.csv"))
        for capacity in sorted({int(c["capacity_bytes"]) for c in caches}):
            for scope in ("shared", "per-worker"):
                group = [c for c in caches
                         if int(c["capacity_bytes"]) == capacity and c["scope"] == scope]
                lru = next(c for c in group if c["policy"] == "lru")
                top = max(group, key=lambda c: float(c["hit_rate"]))
                print("caches %5.1f MiB %-10s best %-9s %.1f%%  lru %.1f%%" % (
                    capacity / 2 ** 20, scope, top["policy"], 100 * float(top["hit_rate"]),
                    100 * float(lru["hit_rate"])))
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
