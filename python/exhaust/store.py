"""exhaust.Store: the log store (include/exhaust/store.h, ingest.h) as pandas."""

import ctypes
import os

import numpy as np
import pandas as pd

from . import _lib
from ._lib import declare, lib

c_char_pp = ctypes.POINTER(ctypes.c_char_p)


class Run(ctypes.Structure):  # exh_run (run.h)
    _fields_ = [("id", ctypes.c_int64), ("key", ctypes.c_char_p), ("space", ctypes.c_char_p),
                ("arch", ctypes.c_char_p), ("arch_sequence", ctypes.c_char_p),
                ("dataset", ctypes.c_char_p), ("has_seed", ctypes.c_int), ("seed", ctypes.c_int64),
                ("status", ctypes.c_char_p), ("source", ctypes.c_char_p),
                ("param_count", ctypes.c_size_t), ("params", ctypes.c_void_p),
                ("epoch_count", ctypes.c_size_t), ("epochs", ctypes.c_void_p),
                ("param_capacity", ctypes.c_size_t), ("epoch_capacity", ctypes.c_size_t)]


class RunFilter(ctypes.Structure):  # exh_run_filter (store.h)
    _fields_ = [("space", ctypes.c_char_p), ("dataset", ctypes.c_char_p), ("arch", ctypes.c_char_p),
                ("status", ctypes.c_char_p), ("with_epochs", ctypes.c_int),
                ("limit", ctypes.c_int64)]


MESSAGES_KEPT = 20
PROGRESS = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int64, ctypes.c_void_p)


class IngestOptions(ctypes.Structure):  # exh_ingest_options (ingest.h)
    _fields_ = [("format", ctypes.c_int), ("strict", ctypes.c_int), ("space", ctypes.c_char_p),
                ("arch", ctypes.c_char_p), ("dataset", ctypes.c_char_p),
                ("run_key", ctypes.c_char_p), ("tag_map", ctypes.c_char_p),
                ("progress", PROGRESS), ("progress_context", ctypes.c_void_p)]


class IngestStats(ctypes.Structure):  # exh_ingest_stats (ingest.h)
    _fields_ = [("files", ctypes.c_int64), ("runs", ctypes.c_int64), ("epochs", ctypes.c_int64),
                ("skipped", ctypes.c_int64), ("without_arch", ctypes.c_int64),
                ("message_count", ctypes.c_int),
                ("messages", (ctypes.c_char * _lib.ERROR_MESSAGE_SIZE) * MESSAGES_KEPT)]


METRICS = ("train_accuracy", "train_loss", "val_accuracy", "val_loss", "test_accuracy",
           "test_loss", "epoch_seconds")
# exh_epoch_record: int epoch, (padding), seven doubles.
EPOCH_DTYPE = np.dtype([("epoch", "<i4"), ("_pad", "<i4")] + [(m, "<f8") for m in METRICS])

VISITOR = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Run), ctypes.c_void_p)
ERR = ctypes.POINTER(_lib.ErrorStruct)
P = ctypes.c_void_p
declare("exh_store_open", ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(P), ERR)
declare("exh_store_open_readonly", ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(P), ERR)
declare("exh_store_close", None, P)
declare("exh_store_each_run", ctypes.c_int, P, ctypes.POINTER(RunFilter), VISITOR, P, ERR)
declare("exh_ingest_format_parse", ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ERR)
declare("exh_ingest_paths", ctypes.c_int, P, c_char_pp, ctypes.c_int, ctypes.POINTER(IngestOptions),
        ctypes.POINTER(IngestStats), ERR)

RUN_COLUMNS = ["id", "key", "space", "arch", "arch_sequence", "dataset", "seed", "status", "source"]


class _Opened:
    """The C store open for one operation (closed on exit, also on errors)."""

    def __init__(self, path, writable):
        self.path, self.writable, self.handle = path, writable, P()

    def __enter__(self):
        err = _lib.ErrorStruct()
        opener = lib.exh_store_open if self.writable else lib.exh_store_open_readonly
        _lib.check(opener(self.path, ctypes.byref(self.handle), ctypes.byref(err)), err)
        return self.handle

    def __exit__(self, *exc):
        lib.exh_store_close(self.handle)


class Store:
    """The log store at `path` (an SQLite file, as `exhaust --store`).

    Store(path) refuses a missing file (NotFoundError) unless create=True,
    which makes an empty store. Each call opens the file and closes it again,
    so a Store can be kept while `exhaust` writes the same file.
    """

    def __init__(self, path, create=False):
        self.path = _lib.path_bytes(path, "store path")
        self.name = os.fsdecode(self.path)
        if not os.path.exists(self.path):
            if not create:
                raise _lib.NotFoundError(f"{self.name}: no such store (Store(path, create=True) "
                                         "makes one)", -6)
            with _Opened(self.path, True):
                pass

    def __repr__(self):
        return f"exhaust.Store({self.name!r})"

    def _each(self, visit, space, dataset, status, limit, with_epochs):
        flt = RunFilter(_lib.text_bytes(space, "space"), _lib.text_bytes(dataset, "dataset"), None,
                        _lib.text_bytes(status, "status"), int(with_epochs), _limit(limit))
        failure = []

        def visitor(run, _context):
            try:
                visit(run.contents)
                return 0
            except BaseException as e:  # never let an exception cross the C frames
                failure.append(e)
                return 1

        callback = VISITOR(visitor)
        err = _lib.ErrorStruct()
        with _Opened(self.path, False) as handle:
            rc = lib.exh_store_each_run(handle, ctypes.byref(flt), callback, None,
                                        ctypes.byref(err))
        if failure:
            raise failure[0]
        _lib.check(rc, err)

    def runs(self, space=None, dataset=None, status=None, limit=0):
        """One row per run (id order): id, key, space, arch (canonical text),
        arch_sequence (DeepHyper's arch_seq as "i,j,k"), dataset, seed (<NA>
        when not logged), status, source ("path:line"). Hyperparameters are
        not included (exhaust show has them)."""
        rows = []
        append = rows.append

        def visit(r):
            # Bytes here, decoded per column below: a call per field is the cost.
            append((r.id, r.key, r.space, r.arch, r.arch_sequence, r.dataset,
                    r.seed if r.has_seed else None, r.status, r.source))

        self._each(visit, space, dataset, status, limit, False)
        columns = list(zip(*rows)) if rows else [()] * len(RUN_COLUMNS)
        data = {}
        for name, values in zip(RUN_COLUMNS, columns):
            if name in ("id", "seed"):
                data[name] = list(values)
            else:
                data[name] = [None if v is None else v.decode("utf-8", "replace") for v in values]
        frame = pd.DataFrame(data, columns=RUN_COLUMNS)
        frame["id"] = frame["id"].astype("int64")
        frame["seed"] = frame["seed"].astype("Int64")
        return frame

    def epochs(self, space=None, dataset=None, status=None, limit=0):
        """One row per run x epoch: run_id, key, epoch and the seven metrics of
        run.h (train/val/test accuracy in percent and loss, epoch_seconds;
        NaN where not logged), runs in id order, epochs sorted."""
        ids, keys, chunks = [], [], []

        def visit(r):
            n = r.epoch_count
            if n == 0:
                return
            raw = ctypes.string_at(r.epochs, n * EPOCH_DTYPE.itemsize)
            chunks.append(np.frombuffer(raw, dtype=EPOCH_DTYPE))
            ids.append((r.id, n))
            keys.append(r.key)

        self._each(visit, space, dataset, status, limit, True)
        counts = np.array([n for _, n in ids], dtype=np.int64)
        records = np.concatenate(chunks) if chunks else np.zeros(0, dtype=EPOCH_DTYPE)
        frame = pd.DataFrame({
            "run_id": np.repeat(np.array([i for i, _ in ids], dtype=np.int64), counts),
            "key": np.repeat(np.array([_lib.text(k) for k in keys], dtype=object), counts),
            "epoch": records["epoch"].astype(np.int64),
        })
        for m in METRICS:
            frame[m] = records[m]
        return frame

    def ingest(self, paths, format="auto", strict=False, space=None, arch=None, dataset=None,
               run_key=None, tag_map=None):
        """Read training logs into the store, as `exhaust ingest` does: paths
        (a path or a list; folders are walked), all in one transaction (an
        error stores nothing and raises, naming the file and line). Returns
        the counts: files, runs, epochs, skipped (bad records skipped when not
        strict), without_arch, and messages (the first skip messages)."""
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        if not isinstance(paths, (list, tuple)):
            raise _lib.ArgumentTypeError("paths must be a path or a list of paths, not "
                                         f"{type(paths).__name__}")
        encoded = [_lib.path_bytes(p, "log path") for p in paths]
        for p in encoded:
            if not os.path.exists(p):
                raise _lib.NotFoundError(f"{os.fsdecode(p)}: no such file or folder", -6)
        err = _lib.ErrorStruct()
        fmt = ctypes.c_int(0)
        _lib.check(lib.exh_ingest_format_parse(_lib.text_bytes(format, "format", False),
                                               ctypes.byref(fmt), ctypes.byref(err)), err)
        options = IngestOptions(fmt.value, int(bool(strict)), _lib.text_bytes(space, "space"),
                                _lib.text_bytes(arch, "arch"), _lib.text_bytes(dataset, "dataset"),
                                _lib.text_bytes(run_key, "run_key"),
                                _lib.text_bytes(tag_map, "tag_map"), PROGRESS(), None)
        stats = _lib.Spare(IngestStats)().value
        array = (ctypes.c_char_p * len(encoded))(*encoded)
        with _Opened(self.path, True) as handle:
            rc = lib.exh_ingest_paths(handle, array, len(encoded), ctypes.byref(options),
                                      ctypes.byref(stats), ctypes.byref(err))
        _lib.check(rc, err)
        return {"files": stats.files, "runs": stats.runs, "epochs": stats.epochs,
                "skipped": stats.skipped, "without_arch": stats.without_arch,
                "messages": [_lib.text(stats.messages[i].value)
                             for i in range(min(stats.message_count, MESSAGES_KEPT))]}


def _limit(limit):
    return _lib.integer(limit, "limit", 0, 2 ** 63 - 1)
