#!/usr/bin/env python3
"""The Python package's binding overhead: k-NN predictions of all 15,625
NAS-Bench-201 cells through exhaust.predict against the same predictions from
the command a user would otherwise run (`exhaust predict ARCH... --format
csv`, every cell in one call, its output read with pandas).

usage: python3 bench/bench_python_predict.py [--data DIR] [--repeats R] [--k K]
  from the repository root, after `make build`; the store is ingested from
  DIR/nb201/archs.csv (default ../shared/data) into a temporary folder.

Each run is a fresh process (so peak memory is the run's own): the Python
figure is the exhaust.predict call alone (the interpreter, numpy and pandas
imports are reported apart); the command's is its whole process plus
pandas.read_csv of its output. Both load the store's 15,625 cifar10-valid
models and predict every cell against them. Times are wall-clock medians of
R runs; peak memory is getrusage's ru_maxrss of the run's process. The
outputs are checked equal: canonical texts, values, and every neighbour's
key, distance (%.3g) and weight (%.2f) as the command prints them.
"""
import argparse
import csv
import io
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BIN = os.environ.get("EXHAUST_BIN") or os.path.join(ROOT, "build", "exhaust")
CELLS = ["".join(map(str, c)) for c in itertools.product(range(5), repeat=6)]


def python_run(store, k, out_path):
    """Child: one exhaust.predict of every cell; writes timings and results."""
    t0 = time.perf_counter()
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import exhaust
    imported = time.perf_counter()
    import_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    df = exhaust.predict(store, CELLS, k=k)
    seconds = time.perf_counter() - imported
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    df.to_pickle(out_path)
    print(json.dumps({"seconds": seconds, "import_seconds": imported - t0,
                      "maxrss_kib": rss, "import_maxrss_kib": import_rss}))


def cli_run(store, k):
    """The command with every cell, its CSV read with pandas; wall time of
    both, and the command's own peak memory (wait4 on its process)."""
    import pandas as pd
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        child = subprocess.Popen([BIN, "predict", *CELLS, "--store", store, "--k", str(k),
                                  "--format", "csv"], stdout=out)
        _, status, usage = os.wait4(child.pid, 0)
        alone = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            sys.exit(f"exhaust predict failed ({child.returncode})")
        out.seek(0)
        df = pd.read_csv(out, dtype={"neighbours": str}, keep_default_na=False)
        seconds = time.perf_counter() - t0
    return seconds, alone, usage.ru_maxrss, df


def python_once(store, k, tmp):
    path = os.path.join(tmp, "py.pkl")
    done = subprocess.run([sys.executable, __file__, "--child", store, "--k", str(k),
                           "--out", path], capture_output=True, text=True, check=True)
    import pandas as pd
    return json.loads(done.stdout.strip().splitlines()[-1]), pd.read_pickle(path)


def neighbours_text(row, k):
    return "; ".join(f"{row[f'neighbour_{j}']} (d={row[f'distance_{j}']:.3g}, "
                     f"w={row[f'weight_{j}']:.2f})" for j in range(1, k + 1))


def check_equal(mine, theirs, k):
    assert len(mine) == len(theirs) == len(CELLS), (len(mine), len(theirs))
    assert list(mine["arch"]) == list(theirs["arch"]), "canonical texts differ"
    assert list(mine["value"]) == list(theirs["value"].astype(float)), "values differ"
    texts = [neighbours_text(r, k) for r in mine.to_dict("records")]
    differ = sum(a != b for a, b in zip(texts, theirs["neighbours"]))
    assert differ == 0, f"{differ} neighbour lists differ"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("EXHAUST_DATA",
                                                     os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--child")
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.child:
        return python_run(a.child, a.k, a.out)
    table = os.path.join(a.data, "nb201", "archs.csv")
    if not os.path.exists(table):
        print(f"bench_python_predict: {table} not found (real data at ../shared/data): skipped")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "nb201.db")
        subprocess.run([BIN, "ingest", table, "--store", store], check=True,
                       stdout=subprocess.DEVNULL)
        py_times, cli_times, alone_times, py_rss, cli_rss, imports = [], [], [], [], [], []
        for _ in range(a.repeats):  # interleaved, so machine load hits both alike
            figures, mine = python_once(store, a.k, tmp)
            py_times.append(figures["seconds"])
            py_rss.append(figures["maxrss_kib"])
            imports.append((figures["import_seconds"], figures["import_maxrss_kib"]))
            seconds, alone, rss, theirs = cli_run(store, a.k)
            cli_times.append(seconds)
            alone_times.append(alone)
            cli_rss.append(rss)
        check_equal(mine, theirs, a.k)
    py, cli = statistics.median(py_times), statistics.median(cli_times)
    print(f"predict all {len(CELLS)} NB201 cells by {a.k}-NN from {len(CELLS)} logged "
          f"cifar10-valid models; medians of {a.repeats} runs; outputs checked equal")
    print(f"  exhaust.predict (Python, ctypes)      {py:7.3f} s   "
          f"peak {max(py_rss) / 1024:6.1f} MiB "
          f"(after import {statistics.median(i[1] for i in imports) / 1024:.1f} MiB; "
          f"import {statistics.median(i[0] for i in imports):.2f} s, not counted)")
    print(f"  exhaust predict + pandas.read_csv     {cli:7.3f} s   "
          f"peak {max(cli_rss) / 1024:6.1f} MiB "
          "(the command's process)")
    alone = statistics.median(alone_times)
    print(f"  exhaust predict alone (CSV not read)  {alone:7.3f} s")
    print(f"  ratio Python / command: {py / cli:.3f} "
          f"(binding overhead {100 * (py / cli - 1):+.1f}%; goal < +10%); "
          f"against the command alone {py / alone:.3f} ({100 * (py / alone - 1):+.1f}%)")
    print(f"  runs (s): python {', '.join(f'{t:.3f}' for t in py_times)}; "
          f"command {', '.join(f'{t:.3f}' for t in cli_times)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
