"""exhaust.predict / exhaust.Predictor: k-NN and baseline predictions
(include/exhaust/predictor.h), as `exhaust predict` makes them."""

import ctypes
import os

import numpy as np
import pandas as pd

from . import _lib
from ._lib import declare, lib
from .store import Store

P = ctypes.c_void_p
ERR = ctypes.POINTER(_lib.ErrorStruct)
DOUBLES = ctypes.POINTER(ctypes.c_double)
INTS = ctypes.POINTER(ctypes.c_int)


class PredictorOutput(ctypes.Structure):  # exh_predictor_output (predictor.h)
    _fields_ = [("values", DOUBLES), ("texts", ctypes.c_char_p), ("text_size", ctypes.c_size_t),
                ("text_used", ctypes.c_size_t), ("neighbours", ctypes.c_int), ("index", INTS),
                ("distance", DOUBLES), ("weight", DOUBLES), ("lower_is_better", ctypes.c_int)]


declare("exh_predictor_open", ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
        ctypes.c_char_p, ctypes.POINTER(P), ERR)
declare("exh_predictor_free", None, P)
declare("exh_predictor_count", ctypes.c_int, P)
declare("exh_predictor_name", ctypes.c_char_p, P, ctypes.c_int)
declare("exh_predictor_higher_is_better", ctypes.c_int, P)
declare("exh_predictor_run", ctypes.c_int, P, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int,
        ctypes.c_uint64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
        ctypes.POINTER(PredictorOutput), INTS, ERR)


def _store_path(store):
    if isinstance(store, Store):
        return store.path
    path = _lib.path_bytes(store, "store")
    if not os.path.exists(path):
        raise _lib.NotFoundError(f"{os.fsdecode(path)}: no such store", -6)
    return path


def _pointer(array, kind):
    return array.ctypes.data_as(kind)


class Predictor:
    """The logged models of one space and dataset in a store, loaded once for
    many predictions: Predictor(store, space="nb201", dataset="cifar10-valid",
    penalties=None) where store is a Store or a path and penalties a JSON
    file of edit-distance penalties (exhaust fit-penalties; None: the
    space's defaults). Runs whose status is not ok are left out."""

    def __init__(self, store, space="nb201", dataset="cifar10-valid", penalties=None):
        path = _store_path(store)
        self.space, self.dataset = space, dataset
        self._handle = P()
        err = _lib.ErrorStruct()
        penalties = None if penalties is None else _lib.path_bytes(penalties, "penalties")
        _lib.check(lib.exh_predictor_open(path, _lib.text_bytes(space, "space", False),
                                          _lib.text_bytes(dataset, "dataset", False), penalties,
                                          ctypes.byref(self._handle), ctypes.byref(err)), err)
        self._names = None

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle and lib is not None:  # at interpreter exit module globals may be gone
            lib.exh_predictor_free(handle)
            self._handle = None

    def __len__(self):
        return lib.exh_predictor_count(self._handle)

    @property
    def higher_is_better(self):
        """True when the logged metric is accuracy, False for losses."""
        return bool(lib.exh_predictor_higher_is_better(self._handle))

    def names(self):
        """The logged models' run keys, in repository order."""
        if self._names is None:
            self._names = np.array([_lib.text(lib.exh_predictor_name(self._handle, i))
                                    for i in range(len(self))] + [None], dtype=object)
        return self._names[:-1]

    def predict(self, archs, method="knn", target="best", k=5, seed=1):
        """Predict each architecture (a str in the space's text form, or a
        list of them). method: "knn", "baseline1" or "baseline2"; target:
        "best", "overfit", "epoch-time" or "budget=SECONDS"; seed: the
        baselines' random choice (as exhaust predict --seed).

        Returns one row per architecture: arch (canonical text), input (as
        given), method, target, value, then neighbour_1..k (run keys, nearest
        first), distance_1..k (edit distances) and weight_1..k (their shares
        of the average; None / NaN / 0 past the neighbours a method used).
        df.attrs["lower_is_better"] says which way the target goes."""
        if isinstance(archs, str):
            archs = [archs]
        if not isinstance(archs, (list, tuple, np.ndarray, pd.Series)):
            raise _lib.ArgumentTypeError("archs must be a str or a list of str, not "
                                         f"{type(archs).__name__}")
        archs = list(archs)
        encoded = [_lib.text_bytes(a, f"archs[{i}]", False) for i, a in enumerate(archs)]
        k = _lib.integer(k, "k", 1, len(self))  # before arrays are sized by it
        seed = _lib.integer(seed, "seed", 0, 2 ** 64 - 1)
        slots = k
        n = len(encoded)
        values = np.empty(n)
        index = np.empty(n * slots, dtype=np.intc)
        distance = np.empty(n * slots)
        weight = np.empty(n * slots)
        # Canonical texts are rarely over 4x their input plus 128 bytes; if
        # they are, the library says how much it needs and we run again.
        size = sum(4 * len(a) + 128 for a in encoded)
        for _ in range(2):
            texts = ctypes.create_string_buffer(max(size, 1))
            out = PredictorOutput(_pointer(values, DOUBLES), ctypes.cast(texts, ctypes.c_char_p),
                                  len(texts), 0, slots, _pointer(index, INTS),
                                  _pointer(distance, DOUBLES), _pointer(weight, DOUBLES), 0)
            err = _lib.ErrorStruct()
            rc = lib.exh_predictor_run(self._handle, _lib.text_bytes(method, "method", False),
                                       _lib.text_bytes(target, "target", False), k, seed,
                                       (ctypes.c_char_p * n)(*encoded), n, ctypes.byref(out),
                                       None, ctypes.byref(err))
            _lib.check(rc, err)
            if out.text_used <= len(texts):
                break
            size = out.text_used
        canonical = texts.raw[:out.text_used].decode("utf-8", "replace").split("\0")[:n]
        frame = pd.DataFrame({"arch": canonical, "input": archs, "method": method,
                              "target": target, "value": values})
        names = self.names() if n else np.array([], dtype=object)
        index = index.reshape(n, slots)
        padded = np.append(names, None)  # index -1 -> None
        for j in range(k):
            frame[f"neighbour_{j + 1}"] = padded[index[:, j]]
        for j in range(k):
            frame[f"distance_{j + 1}"] = distance.reshape(n, slots)[:, j]
        for j in range(k):
            frame[f"weight_{j + 1}"] = weight.reshape(n, slots)[:, j]
        frame.attrs["lower_is_better"] = bool(out.lower_is_better)
        return frame


def predict(store, archs, method="knn", target="best", k=5, space="nb201",
            dataset="cifar10-valid", seed=1, penalties=None):
    """Predict untrained architectures from a store's logged models, as
    `exhaust predict ARCH... --method M --target T --k K --space S --dataset D`
    does (Predictor(...).predict(...) in one call; keep a Predictor to
    predict again without loading the models again). See Predictor.predict
    for the columns."""
    return Predictor(store, space, dataset, penalties).predict(archs, method, target, k, seed)
