"""Real transfer end to end: `exhaust search --repo` running
examples/fmnist/train.py --freeze on Fashion-MNIST (1 epoch, 300 images):
the trace shows transfers, a frozen child's transferred tensors are the
donor's bytes (the same SHA-256 in both manifests, read with json; and
recomputed from the blob with hashlib), and `exhaust repo check` passes.
Skips without torch or the dataset."""

import hashlib
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
FMNIST = os.path.join(ROOT, "examples", "fmnist")
DATASET = "/usr/share/datasets/fashion-mnist"
POSITIONS_PER_LAYER = 5

if os.environ.get("EXHAUST_SANITIZED") and "asan" not in os.environ.get("LD_PRELOAD", ""):
    pytest.skip("sanitized build: train.py loads libexhaust.so into Python",
                allow_module_level=True)


def exhaust_bin():
    return os.environ.get("EXHAUST_BIN") or os.path.join(ROOT, "build", "exhaust")


def manifest(repo, job):
    return json.load(open(os.path.join(repo, "manifests", f"{job}.json")))


def test_search_transfers_frozen_prefix_through_the_repository(tmp_path):
    pytest.importorskip("torch")
    if not os.path.exists(DATASET):
        pytest.skip(f"{DATASET} absent (Debian package dataset-fashion-mnist)")
    repo, trace = str(tmp_path / "R"), str(tmp_path / "t.csv")
    train = (f"{sys.executable} {FMNIST}/train.py --arch {{arch}} --arch-seq {{arch_seq}} "
             "--repo {repo} --job-id {job_id} --donor {donor_id} --prefix {prefix_len} "
             f"--freeze --epochs 1 --train-size 256 --val-size 128 --quiet "
             f"--out {tmp_path}/runs.jsonl")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    subprocess.run([exhaust_bin(), "search", "--space", "convchain", "--evaluator", "command",
                    "--workers", "2", "--candidates", "6", "--population", "3", "--sample", "2",
                    "--transfer-from", "any", "--clock", "real", "--seed", "3", "--repo", repo,
                    "--trace", trace, "--command", train], check=True, env=env, timeout=600,
                   stdout=subprocess.DEVNULL)
    t = pd.read_csv(trace)
    assert len(t) == 6 and (t["m:status"] == "ok").all() and (t["m:repo_error"] == 0).all()
    children = t[(t["m:donor_id"] >= 0) & (t["m:prefix_len"] >= POSITIONS_PER_LAYER)]
    assert len(children) >= 1, "no child received a whole layer: nothing transferred"
    compared = 0
    for _, child in children.iterrows():
        mine = {e["name"]: e for e in manifest(repo, child["job_id"])["tensors"]}
        donor = {e["name"]: e for e in manifest(repo, child["m:donor_id"])["tensors"]}
        received = [n for n, e in mine.items() if e["position"] < child["m:prefix_len"]]
        assert received and child["m:repo_store_reads"] == len(received)
        for name in received:
            assert mine[name]["sha256"] == donor[name]["sha256"], name  # frozen: the same bytes
            digest = mine[name]["sha256"]
            folder = os.path.join(repo, "blobs", digest[:2])
            blob = next(os.path.join(folder, f) for f in os.listdir(folder) if digest.endswith(f))
            assert hashlib.sha256(open(blob, "rb").read()).hexdigest() == digest
            compared += 1
        # layers past the prefix were trained here: not the donor's
        assert any(mine[n]["sha256"] != donor.get(n, {}).get("sha256") for n in mine
                   if mine[n]["position"] >= child["m:prefix_len"])
    assert compared > 0
    subprocess.run([exhaust_bin(), "repo", "check", repo], check=True, stdout=subprocess.DEVNULL)
