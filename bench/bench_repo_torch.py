#!/usr/bin/env python3
"""Saving a model and loading half of it (a donor's prefix) through
exhaust.Repo, against what a PyTorch user does without it: torch.save of the
whole state dict to one file per model, torch.load of the whole donor. Also
the floors: a memcpy of the prefix's bytes (np.copyto) and reading them from
one plain file. Medians of --runs runs, page cache warm.

    OMP_NUM_THREADS=1 PYTHONPATH=python python3 bench/bench_repo_torch.py [--sizes 3.1,10,100]

State dicts of 8 float32 tensors (positions 0..7), one per position; the
prefix is positions 0..3 (half). load_prefix copies into the receiving state
dict in place (exh_repo_load_into: read() into the tensors' memory, each blob
checked first); "store" reads the blob files (verify on: the default check,
XXH3-64 against the manifest's; off: none); "fast" reads the fast directory
(exh_repo_options.fast_dir) the search's coordinator fills, here in /dev/shm
(verify off unless said). "zero-copy" is Repo.load(...).torch(): torch
tensors over the mapped blobs, no copy (read-only). Each row: median wall
time and median CPU time (user + sys of this process) of --runs runs.
Peak memory is the process's ru_maxrss after each size (it only grows).
Then --workers processes save and load concurrently, each load checked
against the bytes its model must hold (no lost or torn tensors).
"""
import argparse
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import exhaust  # noqa: E402

POSITIONS = 8
HALF = POSITIONS // 2


def state_dict(megabytes, seed):
    n = int(megabytes * 1e6 / 4 / POSITIONS)
    g = torch.Generator().manual_seed(seed)
    return {f"layer{p}.weight": torch.randn(n, generator=g) for p in range(POSITIONS)}


def position(name):
    return int(name[5:name.index(".")]) if name.startswith("layer") else None


def median_seconds(fn, runs):
    """(median wall seconds, median CPU seconds) of runs calls."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def fill_fast_dir(repo_dir, fast, model):
    """What the coordinator does on admission: copy model's blobs in."""
    import json
    os.makedirs(fast, exist_ok=True)
    for t in json.load(open(os.path.join(repo_dir, "manifests", f"{model}.json")))["tensors"]:
        h = t["sha256"]
        shutil.copyfile(os.path.join(repo_dir, "blobs", h[:2], h[2:]), os.path.join(fast, h[:16]))


def bench_size(megabytes, runs, work):
    donor = state_dict(megabytes, 1)
    target = {k: torch.empty_like(v) for k, v in donor.items()}
    half_bytes = sum(v.numel() * 4 for k, v in donor.items() if position(k) < HALF)
    repo_dir = os.path.join(work, f"repo{megabytes}")
    # node-local memory, as the search's --repo-fast-dir is meant to be
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else work
    fast = tempfile.mkdtemp(prefix=f"exhaust-bench-fast{megabytes}-", dir=shm)
    counter = iter(range(1, 10**6))
    repo = exhaust.Repo(repo_dir, fsync=False)
    repo.save(0, list(range(POSITIONS)), donor, 1.0, positions=position)
    fill_fast_dir(repo_dir, fast, 0)
    torch_file = os.path.join(work, "donor.pt")
    torch.save(donor, torch_file)
    plain = os.path.join(work, "plain.bin")
    with open(plain, "wb") as f:
        for k, v in donor.items():
            if position(k) < HALF:
                f.write(v.numpy().tobytes())
    source = np.concatenate([donor[f"layer{p}.weight"].numpy() for p in range(HALF)])
    sink = np.empty_like(source)
    fresh = [state_dict(megabytes, 100 + i) for i in range(runs)]  # new bytes per save
    saves = iter(fresh)
    store = {v: exhaust.Repo(repo_dir, verify=v, fast_dir="", fsync=False) for v in (True, False)}
    fast_repo = exhaust.Repo(repo_dir, fast_dir=fast, fsync=False, verify=False)
    fast_verified = exhaust.Repo(repo_dir, fast_dir=fast, fsync=False)

    def load(r):
        return lambda: r.load_prefix(0, target, positions=position, donor=0, prefix_len=HALF)

    def zero_copy(r):
        def run():
            with r.load(0, HALF) as loaded:
                views = loaded.torch()
            assert len(views) == HALF
        return run

    def torch_load_half():
        loaded = torch.load(torch_file)
        for k in target:
            if position(k) < HALF:
                target[k].copy_(loaded[k])

    def read_plain():
        with open(plain, "rb") as f:
            f.readinto(memoryview(sink).cast("B"))

    rows = {
        "memcpy of the prefix (np.copyto)": median_seconds(lambda: np.copyto(sink, source), runs),
        "read the prefix from one plain file": median_seconds(read_plain, runs),
        "exhaust.Repo load_prefix, fast tier": median_seconds(load(fast_repo), runs),
        "exhaust.Repo load_prefix, fast tier, verify on": median_seconds(load(fast_verified),
                                                                         runs),
        "exhaust.Repo load_prefix, store, verify off": median_seconds(load(store[False]), runs),
        "exhaust.Repo load_prefix, store, verify on": median_seconds(load(store[True]), runs),
        "exhaust.Repo zero-copy torch views, store": median_seconds(zero_copy(store[True]),
                                                                    runs),
        "exhaust.Repo zero-copy torch views, fast tier": median_seconds(zero_copy(fast_repo),
                                                                        runs),
        "torch.load whole donor + copy half": median_seconds(torch_load_half, runs),
        "torch.load whole donor (no copy)": median_seconds(lambda: torch.load(torch_file), runs),
        "exhaust.Repo save (new tensors, fsync off)": median_seconds(
            lambda: repo.save(next(counter), list(range(POSITIONS)), next(saves), 1.0,
                              positions=position), runs),
        "torch.save whole state dict": median_seconds(
            lambda: torch.save(donor, os.path.join(work, "x.pt")), runs),
    }
    hits = fast_repo.traffic()["fast_hits"]
    assert hits == 2 * HALF * runs, f"the fast tier served {hits} of {2 * HALF * runs} tensors"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"\n{megabytes} MB state dict, prefix {half_bytes / 1e6:.1f} MB "
          f"(median of {runs}; peak RSS {peak} MB)")
    print(f"  {'':46s} {'wall':>9s}    {'CPU':>9s}")
    for name, (wall, cpu) in rows.items():
        print(f"  {name:46s} {wall * 1e3:9.2f} ms {cpu * 1e3:9.2f} ms")
    ratios = [
        ("fast tier / memcpy", "exhaust.Repo load_prefix, fast tier",
         "memcpy of the prefix (np.copyto)", "goal <= 2"),
        ("store (verify off) / plain read", "exhaust.Repo load_prefix, store, verify off",
         "read the prefix from one plain file", "goal <= 2"),
        ("store (verify on) / plain read", "exhaust.Repo load_prefix, store, verify on",
         "read the prefix from one plain file", ""),
        ("torch.load / fast tier", "torch.load whole donor + copy half",
         "exhaust.Repo load_prefix, fast tier", "faster, goal >= 5"),
        ("torch.load / store (verify on)", "torch.load whole donor + copy half",
         "exhaust.Repo load_prefix, store, verify on", "faster, goal >= 5"),
        ("torch.load / zero-copy (store)", "torch.load whole donor (no copy)",
         "exhaust.Repo zero-copy torch views, store", "faster"),
    ]
    for label, top, bottom, goal in ratios:
        wall, cpu = rows[top][0] / rows[bottom][0], rows[top][1] / max(rows[bottom][1], 1e-9)
        print(f"  {label + ':':33s} {wall:7.2f}x (CPU {cpu:6.2f}x) {goal}")
    for r_ in list(store.values()) + [fast_repo, fast_verified, repo]:
        r_.close()
    shutil.rmtree(fast)


def worker(args):
    """Save `count` models, then load every model's prefix and check each
    tensor is the one its model was saved with (seeded by model id)."""
    repo_dir, rank, count, total = args
    repo = exhaust.Repo(repo_dir, fsync=False)
    for i in range(count):
        model = rank * count + i
        repo.save(model, [model % 7] * POSITIONS, state_dict(0.4, model), 1.0, positions=position)
    bad = 0
    for model in range(total):
        try:
            with repo.load(model, HALF) as loaded:
                want = state_dict(0.4, model)
                bad += sum(not np.array_equal(a, want[n].numpy()) for n, a in loaded.arrays.items())
        except exhaust.NotFoundError:
            pass  # another worker has not saved it yet
    return bad


def concurrent(work, workers, count):
    repo_dir = os.path.join(work, "shared")
    exhaust.Repo(repo_dir).close()
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        bad = sum(pool.map(worker, [(repo_dir, r, count, workers * count) for r in range(workers)]))
    seconds = time.perf_counter() - start
    check = exhaust.Repo(repo_dir)
    missing = sum(1 for m in range(workers * count) if not check.model(m))
    print(f"\n{workers} processes x {count} models (0.4 MB each) saved and loaded concurrently: "
          f"{seconds:.1f} s, {bad} torn or wrong tensors, {missing} lost models")
    return bad + missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="3.1,10,100", help="state dict MB, comma-separated")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--models", type=int, default=10, help="models per worker")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as work:
        for size in args.sizes.split(","):
            bench_size(float(size), args.runs, work)
        failures = concurrent(work, args.workers, args.models)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
