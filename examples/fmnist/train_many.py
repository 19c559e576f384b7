#!/usr/bin/env python3
"""Train N random conv-chain architectures on Fashion-MNIST and log each one as
exhaust JSONL: OUT/runs/NNNN.jsonl (one run per file, written atomically by
temp file + rename), plus a few architectures retrained with a second seed
(OUT/runs/NNNN-seed2.jsonl, key .../seed2) for the noise floor.

Architectures: numpy's default_rng(--seed), sampled uniformly as
include/exhaust/space_convchain.h defines it (depth uniform in 8..18, then every
position uniform), one after the other, so the same seed gives the same list and
a longer list starts with the shorter one. OUT/archs.txt lists them.

Resumable: a model whose file already exists is skipped (its file is checked to
hold that architecture), so rerunning the same command continues where a killed
run stopped. The training settings are kept in OUT/settings.txt; a rerun with
other settings is refused, so one folder never mixes two setups.
OUT/README.md is rewritten after every model (settings, machine, progress,
seconds per model, validation accuracy range).

Order: models 0..9, then the repeats (the first --repeats architectures with
--repeat-seed), then models 10..N-1, so the noise floor exists early.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import convchain  # noqa: E402
import train as trainer  # noqa: E402
from exhaust.logger import _replace  # noqa: E402  (train put python/ on sys.path)

KEY_PREFIX = "fmnist-convchain"
REPEATS_AFTER = 10  # the repeats run after this many models


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def read_run(path):
    """The run stored in one per-model file (its only JSON line)."""
    with open(path) as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    if len(lines) != 1:
        raise ValueError(f"{path}: expected one run line, found {len(lines)}")
    try:
        return json.loads(lines[0])
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None


def plan(archs, repeats, seed, repeat_seed):
    """(file stem, key, arch, training seed) in training order."""
    main = [(f"{i:04d}", f"{KEY_PREFIX}/{i:04d}", a, seed) for i, a in enumerate(archs)]
    extra = [(f"{i:04d}-seed{repeat_seed}", f"{KEY_PREFIX}/{i:04d}/seed{repeat_seed}",
              archs[i], repeat_seed) for i in range(min(repeats, len(archs)))]
    return main[:REPEATS_AFTER] + extra + main[REPEATS_AFTER:]


def check_settings(path, settings):
    """Write settings.txt, or refuse when the folder was made with other settings.
    One `name = JSON value` per line: not JSON as a whole, because `exhaust ingest`
    reads any file whose first line starts with '{' as JSONL runs."""
    if os.path.exists(path):
        old = {}
        with open(path) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    name, _, value = line.partition("=")
                    old[name.strip()] = json.loads(value)
        # count may grow (the list is prefix-stable); anything else must match.
        differ = {k for k in set(old) | set(settings)
                  if k != "count" and old.get(k) != settings.get(k)}
        if differ:
            raise SystemExit(f"{path}: this folder was trained with other settings "
                             f"({', '.join(sorted(differ))}); use another --out")
    text = "# train_many.py settings of this folder (a rerun must match them)\n" + "".join(
        f"{name} = {json.dumps(settings[name])}\n" for name in sorted(settings))
    _replace(path, text.encode())


def summary(runs_dir):
    """(model runs, repeat runs) as lists of (stem, run) from the folder."""
    models, repeats = [], []
    for name in sorted(os.listdir(runs_dir)):
        if name.endswith(".jsonl") and not name.startswith("."):
            run = read_run(os.path.join(runs_dir, name))
            (repeats if "-seed" in name else models).append((name[:-6], run))
    return models, repeats


def final_val(run):
    epochs = run.get("epochs") or []
    return epochs[-1].get("val_accuracy") if epochs else None


def run_seconds(run):
    return sum(e.get("epoch_seconds") or 0.0 for e in run.get("epochs") or [])


def write_readme(out, args, settings, started_at):
    models, repeats = summary(os.path.join(out, "runs"))
    seconds = [run_seconds(r) for _, r in models + repeats]
    vals = [final_val(r) for _, r in models if r.get("status") == "ok" and final_val(r) is not None]
    failed = [stem for stem, r in models + repeats if r.get("status") != "ok"]
    by_stem = {stem: r for stem, r in models}
    lines = [
        "# Fashion-MNIST conv-chain training logs",
        "",
        "Real training runs of random architectures of exhaust's `convchain` space",
        "(include/exhaust/space_convchain.h), one exhaust JSONL run per file in `runs/`,",
        "made by `examples/fmnist/train_many.py` (model and training: `examples/fmnist/train.py`).",
        "Ingest with `exhaust ingest data/fmnist-convchain --store x.db`.",
        "",
        "This file is rewritten by the script after every model; the figures below are",
        "computed from the files in `runs/` at that moment.",
        "",
        "## How they were made",
        "",
        "```",
        "nice -n 10 env OMP_NUM_THREADS=1 /usr/bin/python3 examples/fmnist/train_many.py \\",
        f"    --count {args.count} --seed {args.seed} --out {args.out_shown}",
        "```",
        "",
        f"* architectures: numpy `default_rng({args.seed})`, uniform sampling (depth 8..18, each",
        "  position uniform); `archs.txt` lists all of them, `settings.txt` the settings",
        f"* keys: `{KEY_PREFIX}/NNNN` (training seed {settings['train_seed']}), and for the first "
        f"{settings['repeats']} architectures a second run `{KEY_PREFIX}/NNNN/seed{settings['repeat_seed']}`"
        f" (file `NNNN-seed{settings['repeat_seed']}.jsonl`) for the noise floor",
        f"* data: Fashion-MNIST training images, {settings['train_size']} for training and "
        f"{settings['val_size']} for validation (disjoint, fixed by data seed "
        f"{settings['data_seed']}), average-pooled to 14x14; the test set is not used",
        f"* model: each layer conv + BatchNorm + ReLU with channels = ceil(filters / "
        f"{settings['width_divisor']}); skips added after a 1x1 projection when shapes differ;",
        "  global average pool + linear",
        f"* training: Adam lr {settings['lr']}, batch {settings['batch_size']}, "
        f"{settings['epochs']} epochs, no schedule; metrics every epoch",
        f"* machine: {os.cpu_count()} cores shared with other jobs (compilers), training on ONE thread "
        "at nice 10;",
        f"  CPU {cpu_model()}; torch {torch.__version__}; Python {platform.python_version()}",
        "",
        "## Progress",
        "",
        f"* models logged: {len(models)} of {args.count}; seed-{settings['repeat_seed']} repeats: "
        f"{len(repeats)} of {settings['repeats']}; not ok: {len(failed)} {' '.join(failed)}",
    ]
    if seconds:
        lines.append(f"* wall seconds per model (sum of epoch_seconds): median "
                     f"{statistics.median(seconds):.1f}, min {min(seconds):.1f}, "
                     f"max {max(seconds):.1f} (wall time on a shared machine)")
    if vals:
        vals_sorted = sorted(vals)
        q = lambda p: vals_sorted[min(len(vals_sorted) - 1, int(p * len(vals_sorted)))]
        lines.append(f"* final validation accuracy (%) over models: min {min(vals):.2f}, "
                     f"10th pct {q(0.1):.2f}, median {statistics.median(vals):.2f}, "
                     f"90th pct {q(0.9):.2f}, max {max(vals):.2f}")
    pairs = []
    for stem, run in repeats:
        base = by_stem.get(stem.split("-seed")[0])
        if base and final_val(base) is not None and final_val(run) is not None:
            pairs.append((stem.split("-seed")[0], final_val(base), final_val(run)))
    if pairs:
        lines.append("* noise floor (same architecture, two seeds; final val accuracy):")
        for stem, a, b in pairs:
            lines.append(f"  * {stem}: {a:.2f} vs {b:.2f} (difference {abs(a - b):.2f})")
    lines += ["", f"Last updated {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())} "
              f"(this invocation started {started_at})."]
    _replace(os.path.join(out, "README.md"), ("\n".join(lines) + "\n").encode())


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Train N random conv-chain architectures on Fashion-MNIST; one exhaust "
                    "JSONL file per model under OUT/runs/. Resumable: rerun the same command.")
    parser.add_argument("--count", type=int, default=200, help="architectures (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1,
                        help="architecture sampling seed (default %(default)s)")
    parser.add_argument("--out", default="data/fmnist-convchain", help="output folder")
    parser.add_argument("--train-seed", type=int, default=1, help="training seed of every model")
    parser.add_argument("--repeats", type=int, default=5,
                        help="architectures trained a second time (default %(default)s)")
    parser.add_argument("--repeat-seed", type=int, default=2)
    # Sized for a 2-core machine shared with compilers, at nice 10 on one thread
    # (train.py's defaults are larger: 8000 images, 12 epochs).
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--train-size", type=int, default=3000)
    parser.add_argument("--val-size", type=int, default=2000)
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--width-divisor", type=int, default=8)
    parser.add_argument("--lr", type=float, default=trainer.DEFAULTS["lr"])
    parser.add_argument("--batch-size", type=int, default=trainer.DEFAULTS["batch_size"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None,
                        help="stop after training this many models in this invocation")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be >= 1")
    args.out_shown = args.out
    out = os.path.abspath(args.out)
    runs_dir = os.path.join(out, "runs")
    os.makedirs(runs_dir, exist_ok=True)
    settings = {"seed": args.seed, "count": args.count, "train_seed": args.train_seed,
                "repeats": args.repeats, "repeat_seed": args.repeat_seed,
                "epochs": args.epochs, "train_size": args.train_size,
                "val_size": args.val_size, "data_seed": args.data_seed,
                "width_divisor": args.width_divisor, "lr": args.lr,
                "batch_size": args.batch_size, "threads": args.threads}
    check_settings(os.path.join(out, "settings.txt"), settings)

    rng = np.random.default_rng(args.seed)
    archs = [convchain.format_arch(convchain.sample(rng)) for _ in range(args.count)]
    _replace(os.path.join(out, "archs.txt"),
             "".join(f"{i:04d} {a}\n" for i, a in enumerate(archs)).encode())

    trainer.tune_malloc()
    trainer.set_threads(args.threads)
    data = trainer.load_splits(args.train_size, args.val_size, args.data_seed)
    started_at = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    trained = 0
    todo = plan(archs, args.repeats, args.train_seed, args.repeat_seed)
    for stem, key, arch, seed in todo:
        path = os.path.join(runs_dir, stem + ".jsonl")
        if os.path.exists(path):
            run = read_run(path)
            if run.get("arch") != arch or run.get("key") != key:
                raise SystemExit(f"{path} holds {run.get('key')} {run.get('arch')}, "
                                 f"expected {key} {arch}")
            continue
        if args.limit is not None and trained >= args.limit:
            break
        t0 = time.perf_counter()
        try:
            rows = trainer.train(arch, data, path, key=key, seed=seed, epochs=args.epochs,
                                 lr=args.lr, batch_size=args.batch_size,
                                 width_divisor=args.width_divisor, data_seed=args.data_seed,
                                 threads=args.threads, mode="replace")
        except Exception as error:
            # train() has logged the run as failed; keep going with the others.
            print(f"{stem}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            rows = [{}]
        trained += 1
        print(f"{time.strftime('%H:%M:%S')} {stem} {len(arch.split('-')):2d} layers "
              f"val {rows[-1].get('val_accuracy')} in {time.perf_counter() - t0:.1f}s",
              flush=True)
        write_readme(out, args, settings, started_at)
    write_readme(out, args, settings, started_at)
    return 0


if __name__ == "__main__":
    sys.exit(main())
