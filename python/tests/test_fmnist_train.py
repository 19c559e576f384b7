"""examples/fmnist: the Python conv-chain parser agrees with exhaust's C parser,
and a CI-sized training run (1 epoch, 256 + 128 images) lands in the store.

Needs build/exhaust (EXHAUST_BIN); the training test also needs torch and the
Debian dataset-fashion-mnist files, and skips without them.
"""

import json
import os
import sqlite3
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FMNIST = os.path.join(ROOT, "examples", "fmnist")
sys.path.insert(0, FMNIST)

import convchain  # noqa: E402

from test_logger import exhaust_bin, ingest, stored_runs  # noqa: E402

DATASET = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def test_sampled_archs_round_trip_through_the_c_parser(tmp_path):
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(5)
    archs = [convchain.format_arch(convchain.sample(rng)) for _ in range(300)]
    assert {len(a.split("-")) for a in archs} == set(range(8, 19))  # every depth drawn
    path = tmp_path / "archs.jsonl"
    with open(path, "w") as f:
        for i, arch in enumerate(archs):
            assert convchain.format_arch(convchain.parse(arch)) == arch
            f.write(json.dumps({"key": f"a{i}", "space": "convchain", "arch": arch}) + "\n")
    store = tmp_path / "x.db"
    ingest([path], store)
    db = sqlite3.connect(str(store))
    stored = dict(db.execute("SELECT key, arch FROM runs"))
    assert stored == {f"a{i}": arch for i, arch in enumerate(archs)}
    # The same list comes from the same seed (train_many relies on it).
    again = np.random.default_rng(5)
    assert [convchain.format_arch(convchain.sample(again)) for _ in range(300)] == archs


@pytest.mark.parametrize("text, why", [
    ("f24k3x3s1-" * 7 + "f24k3x3s1", None),  # valid: 8 layers
    ("-".join(["f24k3x3s1"] * 7), "7 layers"),
    ("-".join(["f24k3x3s1"] * 19), "19 layers"),
    ("f25k3x3s1-" + "-".join(["f24k3x3s1"] * 7), "filters 25"),
    ("f24k4x3s1-" + "-".join(["f24k3x3s1"] * 7), "kernel height 4"),
    ("f24k3x3s2-" + "-".join(["f24k3x3s1"] * 7), "stride 2"),
    ("-".join(["f24k3x3s1"] * 2) + "-f24k3x3s1+1-" + "-".join(["f24k3x3s1"] * 5),
     "skip source 1"),
    ("-".join(["f24k3x3s1"] * 5) + "-f24k3x3s1+0+1+2+3-" + "-".join(["f24k3x3s1"] * 2),
     "4 skips"),
    ("-".join(["f24k3x3s1"] * 5) + "-f24k3x3s1+0+0-" + "-".join(["f24k3x3s1"] * 2), "twice"),
])
def test_python_and_c_parsers_agree_on_validity(tmp_path, text, why):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"key": "k", "space": "convchain", "arch": text}) + "\n")
    result = subprocess.run([exhaust_bin(), "ingest", str(path), "--store",
                             str(tmp_path / "x.db"), "--strict"], capture_output=True, text=True)
    if why is None:
        convchain.parse(text)
        assert result.returncode == 0, result.stderr
    else:
        with pytest.raises(convchain.ArchError, match=why):
            convchain.parse(text)
        assert result.returncode != 0


def test_skip_order_is_canonical():
    layers = convchain.parse("f24k3x3s1 f24k3x3s1 f24k3x3s1 f24k3x3s1+0,f24k3x3s1+2+0+1 "
                             "f24k3x3s2 f24k3x3s1 f24k3x3s1")
    assert convchain.format_arch(layers).split("-")[4] == "f24k3x3s1+0+1+2"


def test_tiny_training_run_is_ingested(tmp_path):
    pytest.importorskip("torch")
    if not os.path.exists(DATASET):
        pytest.skip(f"{DATASET} absent (Debian package dataset-fashion-mnist)")
    arch = ("f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x3s1+0+1-f24k3x3s1-f36k3x7s2+2-"
            "f64k3x3s1-f64k7x3s1+0+3+5")
    out = tmp_path / "runs.jsonl"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    for run in (0, 1):  # twice, same seed: the same metrics (seconds aside)
        subprocess.run([sys.executable, os.path.join(FMNIST, "train.py"), "--arch", arch,
                        "--epochs", "2", "--train-size", "256", "--val-size", "128",
                        "--seed", "3", "--out", str(out), "--key", f"tiny/{run}", "--quiet"],
                       check=True, env=env, timeout=300)
    store = tmp_path / "x.db"
    ingest([out], store)
    runs = stored_runs(store)
    assert set(runs) == {"tiny/0", "tiny/1"}
    first, second = runs["tiny/0"], runs["tiny/1"]
    assert first["run"]["arch"] == arch and first["run"]["space"] == "convchain"
    assert first["run"]["dataset"] == "fashion-mnist" and first["run"]["seed"] == 3
    assert first["run"]["status"] == "ok"
    assert first["params"]["train_size"] == "256" and first["params"]["val_size"] == "128"
    assert sorted(first["epochs"]) == [1, 2]
    for row in first["epochs"].values():
        assert 0.0 <= row["train_accuracy"] <= 100.0
        assert 0.0 <= row["val_accuracy"] <= 100.0
        assert row["train_loss"] > 0 and row["val_loss"] > 0
        assert row["epoch_seconds"] > 0
    # No "better than chance" check: 4 optimizer steps leave BatchNorm's running
    # statistics (used at validation) far from the data's, so val accuracy can
    # still sit near 10% here; the real runs take 24+ steps per epoch.
    for epoch in (1, 2):
        for name in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
            assert first["epochs"][epoch][name] == second["epochs"][epoch][name], (epoch, name)


def test_train_many_is_resumable_and_ingestible(tmp_path):
    pytest.importorskip("torch")
    if not os.path.exists(DATASET):
        pytest.skip(f"{DATASET} absent (Debian package dataset-fashion-mnist)")
    out = tmp_path / "fm"
    command = [sys.executable, os.path.join(FMNIST, "train_many.py"), "--count", "3",
               "--repeats", "1", "--epochs", "1", "--train-size", "128", "--val-size", "64",
               "--out", str(out)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    subprocess.run(command + ["--limit", "2"], check=True, env=env, timeout=300,
                   capture_output=True)
    assert sorted(os.listdir(out / "runs")) == ["0000.jsonl", "0001.jsonl"]
    before = (out / "runs" / "0000.jsonl").read_bytes()
    subprocess.run(command, check=True, env=env, timeout=300, capture_output=True)
    assert sorted(os.listdir(out / "runs")) == ["0000-seed2.jsonl", "0000.jsonl", "0001.jsonl",
                                                 "0002.jsonl"]
    assert (out / "runs" / "0000.jsonl").read_bytes() == before  # skipped, not retrained
    refused = subprocess.run(command[:-2] + ["--out", str(out), "--epochs", "2"], env=env,
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "other settings" in refused.stderr
    store = tmp_path / "x.db"
    ingest([out], store)  # README.md, archs.txt, settings.txt are not taken for runs
    runs = stored_runs(store)
    assert set(runs) == {"fmnist-convchain/0000", "fmnist-convchain/0001",
                         "fmnist-convchain/0002", "fmnist-convchain/0000/seed2"}
    archs = dict(line.split() for line in (out / "archs.txt").read_text().splitlines())
    for key, entry in runs.items():
        assert entry["run"]["arch"] == archs[key.split("/")[1]]
    assert runs["fmnist-convchain/0000/seed2"]["run"]["seed"] == 2
    assert "models logged: 3 of 3" in (out / "README.md").read_text()
