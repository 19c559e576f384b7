#!/usr/bin/env python3
"""Aggregate search_compare.py's searches: OUT/results.md and OUT/results.csv.

Reads, for every OUT/s<seed>-<arm>/ whose run.json says complete: trace.csv
(the search's record of truth), run.json (wall and CPU seconds), runs.jsonl
(the trainer's per-epoch seconds), analysis/summary.json and caches.csv
(`exhaust analyze`: the measured fast tier, `repo_measured`, and the replay's
simulation) and repo-stats.txt (`exhaust repo stats`). Searches still
running or cut short are listed as missing, so a partial set reports what it has.

Per arm, means over seeds (with min..max): best validation accuracy found by
25/50/75/100% of the slowest search's wall time and at the end; wall and CPU
seconds; training seconds per model; the share of children that received a
prefix and its mean length (positions, and whole layers: train.py stores layer
i at position 5i+4); the fast tier's measured hit rate beside the coordinator's
own replay (search.log) and analyze's simulation; bytes stored with dedup vs one
file per model; each arm minus the same seed's no-transfer search. For screening, per
seed: evaluations and seconds to reach the no-transfer search's final best.
"""

import argparse
import json
import math
import os
import re
import sys

import pandas as pd

ARMS = ("none", "parent", "any", "screen")
POSITIONS_PER_LAYER = 5  # train.py: layer i's tensors sit at position 5i+4
FRACTIONS = (0.25, 0.5, 0.75, 1.0)
RUN_NAME = re.compile(r"^s(\d+)-([a-z]+)$")


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def read_stats(path):
    """`exhaust repo stats` output: a header line and a value line, whitespace-separated."""
    try:
        with open(path) as f:
            lines = [line.split() for line in f if line.strip()]
        return {k: float(v) for k, v in zip(lines[0], lines[1])}
    except (OSError, IndexError, ValueError):
        return {}


def training_seconds(path):
    """Sum of epoch_seconds of each run the trainer logged (one JSON line per model)."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    run = json.loads(line)
                    out.append(sum(e.get("epoch_seconds", 0.0) for e in run.get("epochs", [])))
    except (OSError, ValueError):
        pass
    return out


def coordinator_hit_rate(path):
    """The search's own replay of its fast tier on the real blob sizes, as it printed it
    ("fast tier: the coordinator's cache: H hits, M misses, ..."); NaN when absent."""
    try:
        with open(path) as f:
            m = re.search(r"coordinator's cache: (\d+) hits, (\d+) misses", f.read())
    except OSError:
        m = None
    if not m or int(m.group(1)) + int(m.group(2)) == 0:
        return math.nan
    return int(m.group(1)) / (int(m.group(1)) + int(m.group(2)))


def load_run(run_dir):
    """One finished search, or None when it is not complete."""
    info = read_json(os.path.join(run_dir, "run.json"), {})
    if not info.get("complete"):
        return None
    trace = pd.read_csv(os.path.join(run_dir, "trace.csv"))
    trace = trace.sort_values("m:timestamp_gather", kind="stable").reset_index(drop=True)
    analysis = os.path.join(run_dir, "analysis")
    caches = os.path.join(analysis, "caches.csv")
    return {"info": info, "trace": trace,
            "summary": read_json(os.path.join(analysis, "summary.json"), {}),
            "caches": pd.read_csv(caches) if os.path.exists(caches) else None,
            "stats": read_stats(os.path.join(run_dir, "repo-stats.txt")),
            "coordinator": coordinator_hit_rate(os.path.join(run_dir, "search.log")),
            "train_seconds": training_seconds(os.path.join(run_dir, "runs.jsonl"))}


def best_by(trace, seconds):
    """Best objective among evaluations finished by `seconds` (NaN: none yet)."""
    done = trace.loc[(trace["m:timestamp_gather"] <= seconds) & (trace["m:status"] == "ok"),
                     "objective"]
    return float(done.max()) if len(done) else math.nan


def reach(trace, target):
    """(evaluations, seconds) until the best so far first reaches target; (None, None)."""
    best = trace["objective"].where(trace["m:status"] == "ok").cummax()
    hit = best.index[best >= target - 1e-9]
    if len(hit) == 0:
        return None, None
    i = int(hit[0])
    return i + 1, float(trace.loc[i, "m:timestamp_gather"])


def transfer_stats(trace):
    """Share of children (records with a parent) that received a prefix from a donor,
    and the mean prefix over children, in positions and in whole layers."""
    children = trace[trace["m:parent_id"] >= 0]
    if len(children) == 0:
        return {"children": 0, "received_share": math.nan, "prefix_positions": math.nan,
                "prefix_layers": math.nan}
    prefix = children["m:prefix_len"].where(children["m:donor_id"] >= 0, 0)
    return {"children": len(children),
            "received_share": float((prefix > 0).mean()),
            "prefix_positions": float(prefix.mean()),
            "prefix_layers": float((prefix // POSITIONS_PER_LAYER).mean())}


def simulated_hit_rate(caches, policy):
    """analyze's shared cache of `policy` at its smallest capacity (the driver's first:
    the live tier's fraction, in analyze's units of one byte per position)."""
    if caches is None or len(caches) == 0:
        return math.nan
    rows = caches[(caches["scope"] == "shared") & (caches["policy"] == policy)]
    if len(rows) == 0:
        return math.nan
    return float(rows.sort_values("capacity_bytes").iloc[0]["hit_rate"])


def run_row(name, seed, arm, run, policy):
    t, info = run["trace"], run["info"]
    measured = run["summary"].get("repo_measured") or {}
    ok = t[t["m:status"] == "ok"]
    row = {"run": name, "seed": seed, "arm": arm, "evaluations": len(t),
           "failed": int((t["m:status"] != "ok").sum()),
           "best": float(ok["objective"].max()) if len(ok) else math.nan,
           "wall_seconds": info.get("wall_seconds", math.nan),
           "cpu_seconds": info.get("cpu_seconds", math.nan),
           "eval_seconds": float(t["m:cost"].mean()),
           "train_seconds": (sum(run["train_seconds"]) / len(run["train_seconds"])
                             if run["train_seconds"] else math.nan),
           "measured_hit_rate": measured.get("fast_hit_rate", math.nan),
           "tensors_read": (measured.get("fast_hits", 0) + measured.get("store_reads", 0)),
           "coordinator_hit_rate": run["coordinator"],
           "simulated_hit_rate": simulated_hit_rate(run["caches"], policy),
           "bytes_stored": run["stats"].get("bytes_stored", math.nan),
           "bytes_one_file_per_model": run["stats"].get("bytes_one_file_per_model", math.nan)}
    row.update(transfer_stats(t))
    return row


def collect(out):
    """(rows, runs, missing): one row per complete search, in name order, of the seeds
    whose every arm present is complete (a seed half done would tilt the arms' means);
    missing names the searches left out."""
    settings = read_json(os.path.join(out, "settings.json"), {}).get("settings", {})
    policy = settings.get("cache_policy", "lru")
    found = {}
    for name in sorted(os.listdir(out)):
        m = RUN_NAME.match(name)
        if m and os.path.isdir(os.path.join(out, name)):
            found[name] = (int(m.group(1)), m.group(2), load_run(os.path.join(out, name)))
    arms = {arm for _, arm, _ in found.values()}
    whole = {seed for seed, _, _ in found.values()
             if all(found.get(f"s{seed}-{arm}", (0, 0, None))[2] is not None for arm in arms)}
    rows, runs, missing = [], {}, []
    for name, (seed, arm, run) in found.items():
        if seed not in whole:
            missing.append(name)
            continue
        runs[name] = run
        rows.append(run_row(name, seed, arm, run, policy))
    return rows, runs, missing


def add_time_points(rows, runs):
    """best_at_25 ... best_at_100: best found by that share of the slowest search."""
    slowest = max((r["wall_seconds"] for r in rows), default=math.nan)
    for r in rows:
        t = runs[r["run"]]["trace"]
        best = t["objective"].where(t["m:status"] == "ok").cummax().ffill()  # failed: NaN
        for f in FRACTIONS:
            r[f"best_at_{int(f * 100)}"] = best_by(t, f * slowest)
            # and after that share of the evaluations (in finishing order): load-free
            k = max(1, int(round(f * len(t))))
            r[f"best_after_{int(f * 100)}"] = float(best.iloc[k - 1]) if len(t) else math.nan
    return slowest


def add_paired(rows):
    """Per seed, each arm minus the none arm: final best, wall and CPU seconds."""
    base = {r["seed"]: r for r in rows if r["arm"] == "none"}
    for r in rows:
        b = base.get(r["seed"])
        for key in ("best", "wall_seconds", "cpu_seconds"):
            r[f"{key}_minus_none"] = r[key] - b[key] if b else math.nan


def add_screen_reach(rows, runs):
    """Per seed, for every arm: evaluations and seconds to reach the none arm's final best."""
    target = {r["seed"]: r["best"] for r in rows if r["arm"] == "none"}
    for r in rows:
        goal = target.get(r["seed"])
        evals, secs = reach(runs[r["run"]]["trace"], goal) if goal is not None else (None, None)
        r["none_best"] = goal if goal is not None else math.nan
        r["reached_none_best"] = float(evals is not None)
        r["evals_to_none_best"] = evals if evals is not None else math.nan
        r["seconds_to_none_best"] = secs if secs is not None else math.nan


def spread(values):
    """'mean (min..max)' over seeds, or the single value, or '-'."""
    v = [x for x in values if x is not None and not (isinstance(x, float) and math.isnan(x))]
    if not v:
        return "-"
    mean = sum(v) / len(v)
    fmt = ((lambda x: f"{x:.3g}") if abs(mean) < 10 else (lambda x: f"{x:.1f}")
           if abs(mean) < 1000 else (lambda x: f"{x:,.0f}"))
    return fmt(mean) if len(v) == 1 else f"{fmt(mean)} ({fmt(min(v))}..{fmt(max(v))})"


def arm_table(rows, columns):
    lines = ["| arm | seeds | " + " | ".join(title for title, _ in columns) + " |",
             "|---|---|" + "---|" * len(columns)]
    for arm in ARMS:
        mine = [r for r in rows if r["arm"] == arm]
        if mine:
            cells = [spread([r[key] for r in mine]) for _, key in columns]
            lines.append(f"| {arm} | {len(mine)} | " + " | ".join(cells) + " |")
    return lines


def markdown(out, rows, missing, slowest):
    settings = read_json(os.path.join(out, "settings.json"), {})
    s = settings.get("settings", {})
    head = [
        "# Real conv-chain search on Fashion-MNIST: transfer three ways, and screening",
        "",
        "Made by `examples/fmnist/search_compare.py` (`make fmnist-search`); aggregated by "
        "`examples/fmnist/search_report.py`. Cells: mean over seeds (min..max).",
        "",
        f"Settings: {json.dumps(s)}; fast tier {settings.get('cache_bytes')} bytes; "
        f"machine: nproc {settings.get('nproc')}, {settings.get('uname')}, "
        f"load at start {settings.get('load_at_start')}.",
        "",
        f"Searches complete: {len(rows)}"
        + (f"; left out (their seed is not complete in every arm): {', '.join(missing)}"
           if missing else "")
        + ".",
        "",
        f"## Best validation accuracy (%) found by a share of the slowest search ({slowest:.0f} s)",
        "",
    ]
    best_cols = [(f"{int(f * 100)}%", f"best_at_{int(f * 100)}") for f in FRACTIONS]
    cost_cols = [("wall s", "wall_seconds"), ("CPU s", "cpu_seconds"),
                 ("eval s", "eval_seconds"), ("train s/model", "train_seconds"),
                 ("failed", "failed")]
    transfer_cols = [("children", "children"), ("received share", "received_share"),
                     ("prefix positions", "prefix_positions"), ("prefix layers", "prefix_layers"),
                     ("tensors read", "tensors_read"),
                     ("measured hit rate", "measured_hit_rate"),
                     ("coordinator's cache", "coordinator_hit_rate"),
                     ("simulated hit rate", "simulated_hit_rate"),
                     ("bytes stored", "bytes_stored"),
                     ("one file per model", "bytes_one_file_per_model")]
    screen_cols = [("none's final best", "none_best"), ("best at end", "best"),
                   ("share of seeds reaching it", "reached_none_best"),
                   ("evals to reach it", "evals_to_none_best"),
                   ("seconds to reach it", "seconds_to_none_best")]
    after_cols = [(f"{int(f * 100)}%", f"best_after_{int(f * 100)}") for f in FRACTIONS]
    paired_cols = [("best", "best_minus_none"), ("wall s", "wall_seconds_minus_none"),
                   ("CPU s", "cpu_seconds_minus_none")]
    body = arm_table(rows, best_cols + [("end", "best")])
    body += ["", "## Best validation accuracy (%) after a share of the evaluations", "",
             "In finishing order; unlike wall time, not moved by the machine's load."]
    body += [""] + arm_table(rows, after_cols)
    body += ["", "## Each arm minus the no-transfer search of the same seed", "",
             "The spread over seeds is the noise to judge a difference against."]
    body += [""] + arm_table(rows, paired_cols)
    body += ["", "## Cost", ""] + arm_table(rows, cost_cols)
    body += ["", "## Transfer and the repository", "",
             "Hit rates: measured = the trainers' fast-tier hits / tensors read "
             "(`repo_measured`); coordinator's cache = the search's own replay of the tier on "
             "the real blob sizes, in finishing order (what decides what the tier holds; with "
             "2 workers a trainer may read before a neighbour's WRITE lands); "
             "simulated = `exhaust analyze`'s LRU replay of the same trace "
             "at the same fraction of the models, but it models a convchain position as one "
             "byte (it has no tensor sizes for the space) where the live tier holds the real "
             "blobs, so the two count different units.", ""]
    body += arm_table(rows, transfer_cols)
    body += ["", "## Reaching the no-transfer search's final best (same seed)", "",
             "Evaluations (in finishing order) and seconds until the best so far reaches the "
             "`none` search's final best; means over the seeds that got there, '-' where none "
             "did.", ""]
    body += arm_table(rows, screen_cols)
    return "\n".join(head + body) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="search_compare.py's folder")
    args = p.parse_args(argv)
    rows, runs, missing = collect(args.out)
    slowest = add_time_points(rows, runs)
    add_screen_reach(rows, runs)
    add_paired(rows)
    pd.DataFrame(rows).to_csv(os.path.join(args.out, "results.csv"), index=False)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(markdown(args.out, rows, missing, slowest))
    print(f"{len(rows)} searches aggregated ({len(missing)} missing): "
          f"{os.path.join(args.out, 'results.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
