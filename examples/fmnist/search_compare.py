#!/usr/bin/env python3
"""The real conv-chain search on Fashion-MNIST, four ways on the same seeds
(issue 14, items 3-4): `exhaust search --space convchain --evaluator command`
running train.py, with

  none    --transfer-from none: every model trains from scratch (the baseline)
  parent  --transfer-from parent: a child receives its parent's common prefix
  any     --transfer-from any: from the finished model with the longest common prefix
  screen  no transfer, --screen M: each proposal is the best of M mutations as
          predicted by k-NN over data/fmnist-convchain plus the search's own models

Every search has its own model repository (OUT/repos/, not committed) and the
live fast tier on (--repo-fast-dir under /dev/shm, --repo-cache-bytes a fraction
of the models). Runs are interleaved (seed 1: none, parent, any, screen; seed 2:
...) so the machine's load hits every arm alike.

Resumable: a search whose OUT/RUN/run.json says complete is skipped; one that
was cut short is restarted cleanly (its trace, repository and logs removed),
since the live fast tier's state is not in the trace.

    python3 examples/fmnist/search_compare.py --out data/fmnist-search   # run
    python3 examples/fmnist/search_compare.py --out data/fmnist-search --report

--report (search_report.py) aggregates what has finished into OUT/results.md
and OUT/results.csv.
"""

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
REPORT = os.path.join(HERE, "search_report.py")
ARMS = ("none", "parent", "any", "screen")
MODEL_BYTES = 45000  # mean conv chain at width divisor 8: ~10,700 float32 params + buffers


def settings_from(args):
    return {k: getattr(args, k) for k in
            ("seeds", "arms", "population", "sample", "candidates", "workers", "screen", "k",
             "epochs", "train_size", "val_size", "batch_size", "cache_fraction", "cache_policy",
             "freeze")}


def cache_bytes(args):
    """--repo-cache-bytes: --cache-fraction of the search's models at the mean size."""
    return int(args.cache_fraction * args.candidates * MODEL_BYTES)


def trainer_command(args, run_dir, name):
    freeze = " --freeze" if args.freeze else ""
    return (f"{shlex.quote(sys.executable)} {shlex.quote(os.path.join(HERE, 'train.py'))} "
            "--arch {arch} --arch-seq {arch_seq} --repo {repo} --job-id {job_id} "
            "--donor {donor_id} --prefix {prefix_len} --parent {parent_id}" + freeze +
            f" --epochs {args.epochs} --train-size {args.train_size} --val-size {args.val_size}"
            f" --batch-size {args.batch_size}"
            f" --quiet --key {name}/{{job_id}} --out {shlex.quote(run_dir)}/runs.jsonl")


def search_command(args, seed, arm, run_dir, repo, fast_dir):
    name = f"s{seed}-{arm}"
    cmd = [args.exhaust, "search", "--space", "convchain", "--dataset", "fashion-mnist",
           "--evaluator", "command", "--command", trainer_command(args, run_dir, name),
           "--workers", str(args.workers), "--clock", "real", "--seed", str(seed),
           "--population", str(args.population), "--sample", str(args.sample),
           "--candidates", str(args.candidates), "--trace", os.path.join(run_dir, "trace.csv"),
           "--repo", repo, "--repo-fast-dir", fast_dir,
           "--repo-cache-bytes", str(cache_bytes(args)),
           "--repo-cache-policy", args.cache_policy, "--quiet",
           "--transfer-from", "none" if arm in ("none", "screen") else arm]
    if arm == "screen":
        cmd += ["--screen", str(args.screen), "--k", str(args.k), "--logs", args.logs_store]
    return cmd


def complete(run_dir, candidates):
    try:
        with open(os.path.join(run_dir, "run.json")) as f:
            if not json.load(f).get("complete"):
                return False
        return len(pd.read_csv(os.path.join(run_dir, "trace.csv"))) >= candidates
    except (OSError, ValueError):
        return False


def fresh(*paths):
    for p in paths:
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.remove(p)


def load_average():
    try:
        return os.getloadavg()
    except OSError:
        return None


def run_forwarding_term(cmd, env, log):
    """Run the search; a SIGTERM to this driver goes to it (it then stops its
    trainers and completes its trace) and the driver exits after it."""
    child = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signal.SIGTERM))
    rc = child.wait()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if rc == 128 + signal.SIGTERM:
        sys.exit(f"terminated: the search stopped with its trace complete (exit {rc})")
    return rc


def run_one(args, seed, arm):
    name = f"s{seed}-{arm}"
    run_dir = os.path.join(args.out, name)
    if complete(run_dir, args.candidates):
        print(f"{name}: complete, skipped", flush=True)
        return
    repo = os.path.join(args.out, "repos", name)
    fast_dir = os.path.join(args.fast_root, name)
    trace = os.path.join(run_dir, "trace.csv")
    fresh(run_dir, repo, fast_dir)  # a cut-short search restarts cleanly
    os.makedirs(run_dir)
    os.makedirs(os.path.dirname(repo), exist_ok=True)
    os.makedirs(args.fast_root, exist_ok=True)
    cmd = search_command(args, seed, arm, run_dir, repo, fast_dir)
    info = {"name": name, "seed": seed, "arm": arm, "command": cmd, "complete": False,
            "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "load_before": load_average()}
    with open(os.path.join(run_dir, "run.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"{name}: started {info['started']}", flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    env = dict(os.environ, OMP_NUM_THREADS="1")
    with open(os.path.join(run_dir, "search.log"), "w") as log:
        rc = run_forwarding_term(cmd, env, log)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    info.update(wall_seconds=time.monotonic() - t0, returncode=rc,
                cpu_seconds=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
                load_after=load_average(),
                ended=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
    if rc == 0:
        post_process(args, run_dir, repo, trace)
        info["complete"] = True
    with open(os.path.join(run_dir, "run.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"{name}: rc {rc}, {info['wall_seconds']:.0f} s wall, "
          f"{info['cpu_seconds']:.0f} s CPU", flush=True)
    shutil.rmtree(fast_dir, ignore_errors=True)


def sim_capacities(args, trace):
    """analyze's capacities in MiB: it models a convchain position as 1 byte (no tensor
    sizes for the space), so the live tier's fraction of the models becomes that fraction
    of the positions the search wrote; and 1 MiB, which holds everything."""
    t = pd.read_csv(trace)
    ok = t[t["m:status"] == "ok"]
    positions = sum(len(json.loads(a)) for a in ok["p:arch_seq"])
    return f"{args.cache_fraction * positions / 2**20:.9f},1"


def post_process(args, run_dir, repo, trace):
    """analyze (summary.json: the cache simulations and repo_measured) and repo stats."""
    analysis = os.path.join(run_dir, "analysis")
    subprocess.run([args.exhaust, "analyze", trace, "--space", "convchain", "--out", analysis,
                    "--quiet", "--threads", "1", "--cache-mib", sim_capacities(args, trace)],
                   stdout=subprocess.DEVNULL, check=False)
    with open(os.path.join(run_dir, "repo-stats.txt"), "w") as f:
        subprocess.run([args.exhaust, "repo", "stats", repo], stdout=f,
                       stderr=subprocess.STDOUT, check=False)


def ensure_logs_store(args):
    if os.path.exists(args.logs_store):
        return
    os.makedirs(os.path.dirname(args.logs_store), exist_ok=True)
    subprocess.run([args.exhaust, "ingest", args.logs, "--store", args.logs_store],
                   check=True, stdout=subprocess.DEVNULL)


def write_settings(args):
    path = os.path.join(args.out, "settings.json")
    settings = settings_from(args)
    first_load = load_average()
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
        # more seeds or arms may join a folder; another setup may not
        same = {k: v for k, v in settings.items() if k not in ("seeds", "arms")}
        if any(old.get("settings", {}).get(k) != v for k, v in same.items()):
            sys.exit(f"{path}: other settings ({old.get('settings')}); use another --out")
        first_load = old.get("load_at_start", first_load)
        settings["seeds"] = ",".join(sorted(set(old["settings"]["seeds"].split(",")) |
                                            set(settings["seeds"].split(",")), key=int))
        settings["arms"] = ",".join(a for a in ARMS if a in old["settings"]["arms"].split(",")
                                    + settings["arms"].split(","))
    uname = " ".join(platform.uname())
    with open(path, "w") as f:
        json.dump({"settings": settings, "cache_bytes": cache_bytes(args), "nproc": os.cpu_count(),
                   "uname": uname, "load_at_start": first_load,
                   "load_at_last_start": load_average(),
                   "python": sys.version.split()[0],
                   "script": "examples/fmnist/search_compare.py"}, f, indent=1)


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(ROOT, "data", "fmnist-search"))
    p.add_argument("--exhaust", default=os.path.join(ROOT, "build", "exhaust"))
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--arms", default=",".join(ARMS))
    p.add_argument("--population", type=int, default=6)
    p.add_argument("--sample", type=int, default=3)
    p.add_argument("--candidates", type=int, default=20)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--screen", type=int, default=5)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--train-size", type=int, default=1000)
    p.add_argument("--val-size", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=32,
                   help="small batches: more steps for the same compute (64 in 2 epochs)")
    p.add_argument("--freeze", type=int, default=1, help="1: --freeze (default), 0: fine-tune")
    p.add_argument("--cache-fraction", type=float, default=0.25)
    p.add_argument("--cache-policy", default="lru")
    p.add_argument("--logs", default=os.path.join(ROOT, "data", "fmnist-convchain"))
    p.add_argument("--logs-store", default=None, help="default OUT/logs.db (ingested --logs)")
    p.add_argument("--fast-root", default="/dev/shm/exhaust-fmnist-search")
    p.add_argument("--report", action="store_true", help="only aggregate what finished")
    args = p.parse_args(argv)
    args.out = os.path.abspath(args.out)
    args.logs_store = args.logs_store or os.path.join(args.out, "logs.db")
    return args


def main(argv=None):
    args = parse(argv)
    if args.report:
        return subprocess.run([sys.executable, REPORT, "--out", args.out]).returncode
    os.makedirs(args.out, exist_ok=True)
    write_settings(args)
    arms = args.arms.split(",")
    if "screen" in arms:
        ensure_logs_store(args)
    for seed in (int(s) for s in args.seeds.split(",")):
        for arm in arms:
            run_one(args, seed, arm)
        # a subprocess: the report script may change while a long run goes on
        subprocess.run([sys.executable, REPORT, "--out", args.out], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
