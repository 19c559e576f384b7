"""Training-loop logger: writes exhaust's ``jsonl`` run format (docs/formats.md).

One run is one JSON line::

    {"key": ..., "space": ..., "arch": ..., "dataset": ..., "seed": ...,
     "status": "ok", "params": {...}, "epochs": [{"epoch": 1, ...}, ...]}

The logger keeps the run in memory and writes the whole line only at
``close()``, so a crash mid-training never leaves half a run in the file, and
``exhaust ingest`` never sees a run that is still growing.

How the line is written (``mode``):

``"append"`` (default)
    The file is opened with ``O_APPEND`` and the line (ending in ``\\n``) goes
    out in a single ``os.write`` followed by ``fsync``. Several runs, even from
    several processes, can share one file: POSIX appends of one write to a
    local regular file do not interleave. A short write (a full disk) raises.
``"replace"``
    The line is written to a temporary file in the same folder, fsync'ed, and
    renamed over ``path`` (``os.replace``), then the folder is fsync'ed. The
    file then holds exactly this run; a reader sees either the old file or the
    new one, never a partial file. Use it for one file per run.

Accuracies are in percent, as exhaust stores them (``KerasLogger`` converts
Keras's fractions). A NaN or infinite metric is written as ``null`` (JSON has no
NaN; exhaust stores a missing value either way).

Usage::

    log = RunLogger("runs.jsonl", key="m1", space="convchain", arch="f24k3x3s1-...",
                    dataset="fashion-mnist", seed=1, params={"lr": 0.01})
    for epoch in range(1, epochs + 1):
        ...
        log.epoch(epoch, train_loss=tl, train_accuracy=ta, val_loss=vl,
                  val_accuracy=va, seconds=dt)
    log.close(status="ok")

or as a context manager, which closes with ``status="failed: <exception>"``
when the block raises (and then re-raises)::

    with RunLogger(path, key="m1") as log:
        ...
"""

import json
import math
import numbers
import os
import tempfile
import time

__all__ = ["RunLogger", "KerasLogger", "METRICS"]

# The per-epoch metrics exhaust stores (include/exhaust/run.h), in its order.
METRICS = ("train_accuracy", "train_loss", "val_accuracy", "val_loss",
           "test_accuracy", "test_loss", "epoch_seconds")

_MODES = ("append", "replace")


def _metric_value(name, value):
    """A metric as JSON wants it: a float, or None for missing/NaN/inf."""
    if value is None:
        return None
    # bool is a numbers.Number too, but True as an accuracy is surely a bug.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        # numpy scalars and 0-d tensors pass through float(); anything else is a bug.
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"metric {name} must be a number or None, got {value!r}") from None
    value = float(value)
    return value if math.isfinite(value) else None


def _param_value(name, value):
    """A hyperparameter as exhaust takes it: a string, number or boolean."""
    if isinstance(value, (str, bool)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            # JSON has no NaN/inf; keep the information as text.
            return repr(value)
        return value
    raise TypeError(f"param {name} must be a string, number or boolean, got {value!r}")


class RunLogger:
    """Collects one training run and writes it as one exhaust JSONL line at close.

    path     -- the .jsonl file (its folder must exist)
    key      -- the run's unique key in the store (exhaust uses PATH:LINE without one)
    space    -- the architecture space name ("convchain", "nb201", ...), or None
    arch     -- the architecture in the space's text form, or None
    dataset  -- dataset name, or None
    seed     -- an integer seed, or None
    params   -- dict of hyperparameters (str, number or bool values)
    mode     -- "append" or "replace" (see the module docstring)
    """

    def __init__(self, path, key=None, space=None, arch=None, dataset=None, seed=None,
                 params=None, mode="append"):
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        for name, value in (("key", key), ("space", space), ("arch", arch),
                            ("dataset", dataset)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a string or None, got {value!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"seed must be an integer or None, got {seed!r}")
        if params is not None and not isinstance(params, dict):
            raise TypeError(f"params must be a dict, got {type(params).__name__}")
        self.path = os.fspath(path)
        self.mode = mode
        self.closed = False
        self.run = {}
        for name, value in (("key", key), ("space", space), ("arch", arch),
                            ("dataset", dataset)):
            if value is not None:
                self.run[name] = value
        if seed is not None:
            self.run["seed"] = int(seed)
        self.params = {}
        for name, value in (params or {}).items():
            self.param(name, value)
        self.epochs = []
        self._seen = set()

    def param(self, name, value):
        """Add or change one hyperparameter before close."""
        self._check_open()
        if not isinstance(name, str):
            raise TypeError(f"param names must be strings, got {name!r}")
        self.params[name] = _param_value(name, value)

    def epoch(self, epoch, train_loss=None, train_accuracy=None, val_loss=None,
              val_accuracy=None, test_loss=None, test_accuracy=None, seconds=None):
        """Record epoch `epoch` (1-based, as exhaust counts). Accuracies in percent;
        `seconds` is the epoch's wall time (stored as epoch_seconds)."""
        self._check_open()
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral):
            raise TypeError(f"epoch must be an integer, got {epoch!r}")
        epoch = int(epoch)
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        if epoch in self._seen:
            raise ValueError(f"epoch {epoch} logged twice for run {self.run.get('key')!r}")
        given = {"train_accuracy": train_accuracy, "train_loss": train_loss,
                 "val_accuracy": val_accuracy, "val_loss": val_loss,
                 "test_accuracy": test_accuracy, "test_loss": test_loss,
                 "epoch_seconds": seconds}
        row = {"epoch": epoch}
        for name in METRICS:
            if given[name] is not None:
                row[name] = _metric_value(name, given[name])
        self._seen.add(epoch)
        self.epochs.append(row)
        return row

    def to_json(self, status="ok"):
        """The run's JSON line (without the newline), as close() would write it."""
        if not isinstance(status, str) or not status:
            raise TypeError(f"status must be a non-empty string, got {status!r}")
        record = dict(self.run)
        record["status"] = status
        if self.params:
            record["params"] = self.params
        record["epochs"] = self.epochs
        # allow_nan=False: a NaN that slipped through would make the line invalid JSON.
        return json.dumps(record, allow_nan=False, separators=(",", ":"))

    def close(self, status="ok"):
        """Write the run (status "ok", or e.g. "failed: diverged") and finish."""
        self._check_open()
        data = (self.to_json(status) + "\n").encode("utf-8")
        if self.mode == "append":
            _append_once(self.path, data)
        else:
            _replace(self.path, data)
        self.closed = True

    def _check_open(self):
        if self.closed:
            raise RuntimeError(f"run {self.run.get('key')!r} is already closed")

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if not self.closed:
            if kind is None:
                self.close("ok")
            else:
                self.close(f"failed: {kind.__name__}: {value}"[:200])
        return False


def _append_once(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(f"{path}: short write ({written} of {len(data)} bytes); "
                          "the file may end in a partial line")
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                                dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    # The rename is durable only once the folder is.
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# Keras log names -> (exhaust metric, factor). Keras accuracies are fractions.
_KERAS_NAMES = {
    "accuracy": ("train_accuracy", 100.0), "acc": ("train_accuracy", 100.0),
    "loss": ("train_loss", 1.0),
    "val_accuracy": ("val_accuracy", 100.0), "val_acc": ("val_accuracy", 100.0),
    "val_loss": ("val_loss", 1.0),
}

_keras_classes = {}


def _keras_base():
    """keras.callbacks.Callback when Keras is installed, else object (then the
    logger is a duck-typed callback: Keras's CallbackList only calls methods)."""
    try:
        import keras  # noqa: F401  (imported only when a KerasLogger is made)
        return keras.callbacks.Callback
    except ImportError:
        try:
            from tensorflow import keras as tf_keras
            return tf_keras.callbacks.Callback
        except ImportError:
            return object


class KerasLogger:
    """A Keras callback that logs each epoch through a RunLogger.

    ``model.fit(..., callbacks=[KerasLogger(path, key=..., space=..., arch=...)])``

    Keras counts epochs from 0: epoch e is logged as e + 1. ``accuracy``/``acc``
    and ``val_accuracy``/``val_acc`` are multiplied by 100; ``loss``, ``val_loss``
    are kept; the epoch's wall time is measured between on_epoch_begin and
    on_epoch_end. The run is written at on_train_end (status "ok"); call
    ``close(status)`` yourself if training stops another way.

    Keras is imported only when a KerasLogger is created; the instance is then
    a subclass of ``keras.callbacks.Callback``. Arguments are RunLogger's.
    """

    def __new__(cls, *args, **kwargs):
        base = _keras_base()
        if base is object or issubclass(cls, base):
            return super().__new__(cls)
        # Make the class a real Keras Callback the first time Keras is seen.
        sub = _keras_classes.get((cls, base))
        if sub is None:
            # Keras's own set_model/set_params win (Keras 3 keeps the model
            # behind a property); ours are for the duck-typed fallback.
            sub = type(cls.__name__, (cls, base), {"__module__": cls.__module__,
                                                   "set_model": base.set_model,
                                                   "set_params": base.set_params})
            _keras_classes[(cls, base)] = sub
        return super().__new__(sub)

    def __init__(self, path, **run_args):
        base = _keras_base()
        if base is not object:
            base.__init__(self)
        self.logger = RunLogger(path, **run_args)
        self._started = None

    # Keras sets these on every callback; keep them when there is no Keras base.
    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        metrics = {}
        for name, value in logs.items():
            if name in _KERAS_NAMES:
                target, factor = _KERAS_NAMES[name]
                number = _metric_value(name, value)
                metrics[target] = None if number is None else number * factor
        if self._started is not None:
            metrics["seconds"] = time.perf_counter() - self._started
            self._started = None
        self.logger.epoch(int(epoch) + 1, **metrics)

    def on_train_end(self, logs=None):
        if not self.logger.closed:
            self.logger.close("ok")

    def close(self, status="ok"):
        if not self.logger.closed:
            self.logger.close(status)

    # The rest of the callback protocol: nothing to do.
    def _noop(self, *args, **kwargs):
        pass

    on_train_begin = on_test_begin = on_test_end = on_predict_begin = on_predict_end = _noop
    on_train_batch_begin = on_train_batch_end = on_test_batch_begin = _noop
    on_test_batch_end = on_predict_batch_begin = on_predict_batch_end = _noop
    on_batch_begin = on_batch_end = _noop
