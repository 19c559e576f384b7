"""exhaust.RunLogger / KerasLogger: what they write is what `exhaust ingest` stores.

The round trips run build/exhaust (EXHAUST_BIN, else ../../build/exhaust from
this folder) and read the SQLite store back with sqlite3.
"""

import json
import math
import os
import sqlite3
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

import exhaust  # noqa: E402
from exhaust.logger import METRICS  # noqa: E402

ARCH = "f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x3s1+0+1-f24k3x3s1-f36k3x7s2+2-f64k3x3s1-f64k7x3s1+0+3+5"


def exhaust_bin():
    path = os.environ.get("EXHAUST_BIN") or os.path.join(HERE, "..", "..", "build", "exhaust")
    if not os.path.exists(path):
        pytest.fail(f"exhaust binary not found at {path}: run `make build` or set EXHAUST_BIN")
    return path


def ingest(paths, store):
    result = subprocess.run([exhaust_bin(), "ingest", *paths, "--store", str(store), "--strict"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout
    return result


def stored_runs(store):
    """{key: {"run": row dict, "params": {name: text}, "epochs": {epoch: row dict}}}"""
    db = sqlite3.connect(str(store))
    db.row_factory = sqlite3.Row
    runs = {}
    for row in db.execute("SELECT * FROM runs"):
        runs[row["key"]] = {"run": dict(row), "params": {}, "epochs": {}}
        runs[row["key"]]["id"] = row["id"]
    for entry in runs.values():
        for p in db.execute("SELECT key, value FROM run_params WHERE run_id = ? ORDER BY position",
                            (entry["id"],)):
            entry["params"][p["key"]] = p["value"]
        for e in db.execute("SELECT * FROM epochs WHERE run_id = ?", (entry["id"],)):
            entry["epochs"][e["epoch"]] = dict(e)
    db.close()
    return runs


def metrics(i):
    """Distinct, awkward values per epoch (long fractions, tiny and large numbers)."""
    return {"train_loss": 2.302585092994046 / i, "train_accuracy": 10.0 + i * 7.123456789,
            "val_loss": 1e-7 * i + 0.1, "val_accuracy": 99.99999 - i / 3.0,
            "seconds": 12.5 + i}


def test_round_trip(tmp_path):
    path = tmp_path / "runs.jsonl"
    params = {"lr": 0.001, "optimizer": "adam", "batch_size": 128, "nesterov": False,
              "width": 1.0 / 3.0}
    log = exhaust.RunLogger(path, key="fm/1", space="convchain", arch=ARCH,
                            dataset="fashion-mnist", seed=7, params=params)
    for i in range(1, 6):
        log.epoch(i, **metrics(i))
    log.close(status="ok")
    # A second run in the same file, appended, with missing and NaN values.
    with exhaust.RunLogger(path, key="fm/2", dataset="fashion-mnist") as second:
        second.epoch(1, val_accuracy=float("nan"), train_loss=0.5)
        second.epoch(2, val_accuracy=None, train_loss=float("inf"), test_accuracy=42.0)
    assert len(path.read_text().splitlines()) == 2

    store = tmp_path / "x.db"
    ingest([path], store)
    runs = stored_runs(store)
    assert set(runs) == {"fm/1", "fm/2"}

    first = runs["fm/1"]
    assert first["run"]["space"] == "convchain"
    assert first["run"]["arch"] == ARCH  # already canonical: the C parser keeps it
    assert first["run"]["dataset"] == "fashion-mnist"
    assert first["run"]["seed"] == 7
    assert first["run"]["status"] == "ok"
    assert first["params"]["optimizer"] == "adam"
    assert first["params"]["nesterov"] == "false"
    assert int(first["params"]["batch_size"]) == 128
    assert float(first["params"]["lr"]) == 0.001
    assert float(first["params"]["width"]) == 1.0 / 3.0  # shortest round-trip text both sides
    assert sorted(first["epochs"]) == [1, 2, 3, 4, 5]
    for i, row in first["epochs"].items():
        want = metrics(i)
        want["epoch_seconds"] = want.pop("seconds")
        for name in METRICS:
            if name in want:
                assert row[name] == want[name], (i, name)  # exact: JSON keeps doubles
            else:
                assert row[name] is None, (i, name)

    second = runs["fm/2"]["epochs"]
    assert second[1]["val_accuracy"] is None and second[1]["train_loss"] == 0.5
    assert second[2]["train_loss"] is None and second[2]["test_accuracy"] == 42.0
    assert runs["fm/2"]["run"]["status"] == "ok"
    assert runs["fm/2"]["run"]["space"] is None


def test_replace_mode_and_failure_status(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text('{"key": "old"}\n')
    with pytest.raises(ZeroDivisionError):
        with exhaust.RunLogger(path, key="new", mode="replace") as log:
            log.epoch(1, val_accuracy=50.0)
            1 / 0
    lines = path.read_text().splitlines()
    assert len(lines) == 1  # replaced, not appended
    record = json.loads(lines[0])
    assert record["key"] == "new"
    assert record["status"].startswith("failed: ZeroDivisionError")
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]  # no temp left behind
    store = tmp_path / "x.db"
    ingest([path], store)
    assert stored_runs(store)["new"]["run"]["status"] == record["status"]


def test_nothing_written_before_close(tmp_path):
    path = tmp_path / "runs.jsonl"
    log = exhaust.RunLogger(path, key="k")
    log.epoch(1, val_accuracy=1.0)
    assert not path.exists()
    log.close()
    with pytest.raises(RuntimeError, match="already closed"):
        log.epoch(2, val_accuracy=2.0)
    with pytest.raises(RuntimeError, match="already closed"):
        log.close()


def test_errors(tmp_path):
    path = tmp_path / "runs.jsonl"
    with pytest.raises(ValueError, match="mode"):
        exhaust.RunLogger(path, mode="sometimes")
    with pytest.raises(TypeError, match="seed"):
        exhaust.RunLogger(path, seed="1")
    with pytest.raises(TypeError, match="param"):
        exhaust.RunLogger(path, params={"layers": [1, 2]})
    log = exhaust.RunLogger(path, key="k")
    log.epoch(1, val_accuracy=3.0)
    with pytest.raises(ValueError, match="twice"):
        log.epoch(1, val_accuracy=4.0)
    with pytest.raises(TypeError, match="epoch"):
        log.epoch(2.5)
    with pytest.raises(TypeError, match="val_accuracy"):
        log.epoch(3, val_accuracy="high")


def test_numpy_and_torch_scalars(tmp_path):
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    path = tmp_path / "runs.jsonl"
    with exhaust.RunLogger(path, key="k", seed=np.int64(3), params={"lr": np.float32(0.5)}) as log:
        log.epoch(np.int64(1), val_accuracy=np.float32(12.5), train_loss=torch.tensor(0.25))
    record = json.loads(path.read_text())
    assert record["seed"] == 3 and record["params"]["lr"] == 0.5
    assert record["epochs"] == [{"epoch": 1, "train_loss": 0.25, "val_accuracy": 12.5}]


class FakeKerasModel:
    """Stands in for Keras's fit loop: calls the callback protocol as fit does."""

    def __init__(self, history):
        self.history = history

    def fit(self, callbacks):
        for callback in callbacks:
            callback.set_model(self)
            callback.set_params({"epochs": len(self.history)})
            callback.on_train_begin()
        for epoch, logs in enumerate(self.history):
            for callback in callbacks:
                callback.on_epoch_begin(epoch)
                callback.on_train_batch_end(0, {})
                callback.on_epoch_end(epoch, dict(logs))
        for callback in callbacks:
            callback.on_train_end()


def test_keras_logger(tmp_path):
    path = tmp_path / "keras.jsonl"
    history = [{"loss": 0.9, "accuracy": 0.61, "val_loss": 0.8, "val_accuracy": 0.655, "lr": 1e-3},
               {"loss": 0.5, "acc": 0.81, "val_loss": 0.45, "val_acc": 0.8125}]
    callback = exhaust.KerasLogger(path, key="keras/1", space="convchain", arch=ARCH,
                                   dataset="fashion-mnist", seed=1, params={"lr": 0.001})
    FakeKerasModel(history).fit([callback])
    assert callback.logger.closed

    store = tmp_path / "x.db"
    ingest([path], store)
    run = stored_runs(store)["keras/1"]
    assert run["run"]["arch"] == ARCH and run["run"]["status"] == "ok"
    epochs = run["epochs"]
    assert sorted(epochs) == [1, 2]  # Keras's 0-based epochs, stored 1-based
    assert epochs[1]["train_accuracy"] == pytest.approx(61.0)
    assert epochs[1]["val_accuracy"] == pytest.approx(65.5)
    assert epochs[1]["train_loss"] == 0.9 and epochs[1]["val_loss"] == 0.8
    assert epochs[2]["train_accuracy"] == pytest.approx(81.0)
    assert epochs[2]["val_accuracy"] == pytest.approx(81.25)
    for row in epochs.values():
        assert row["epoch_seconds"] is not None and 0 <= row["epoch_seconds"] < 5
        assert row["test_accuracy"] is None


def test_keras_logger_is_a_keras_callback_when_keras_exists(tmp_path, monkeypatch):
    """With a (fake) keras module the logger subclasses keras.callbacks.Callback."""
    import types

    class Callback:
        def __init__(self):
            self.model = None
            self.params = {}
            self.made_by_keras = True

        def set_model(self, model):
            self.model = model

        def set_params(self, params):
            self.params = params

    keras = types.ModuleType("keras")
    keras.callbacks = types.SimpleNamespace(Callback=Callback)
    monkeypatch.setitem(sys.modules, "keras", keras)
    callback = exhaust.KerasLogger(tmp_path / "k.jsonl", key="k")
    assert isinstance(callback, Callback) and isinstance(callback, exhaust.KerasLogger)
    assert callback.made_by_keras
    FakeKerasModel([{"loss": 1.0}]).fit([callback])
    assert callback.model is not None
    assert json.loads((tmp_path / "k.jsonl").read_text())["epochs"][0]["train_loss"] == 1.0


def test_keras_not_imported_by_the_package():
    code = "import sys; sys.path.insert(0, %r); import exhaust; print('keras' in sys.modules)" % (
        os.path.join(HERE, ".."))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_nan_never_reaches_the_file(tmp_path):
    path = tmp_path / "runs.jsonl"
    with exhaust.RunLogger(path, key="k", params={"clip": float("nan")}) as log:
        log.epoch(1, val_loss=math.nan)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text

    def reject(constant):
        raise AssertionError(f"{constant} in the JSON line")
    record = json.loads(text, parse_constant=reject)
    assert record["params"]["clip"] == "nan" and record["epochs"][0]["val_loss"] is None
