"""exhaust.Repo: the model repository (include/exhaust/repo.h) from Python.

    repo = exhaust.Repo("models")
    donor, prefix = repo.donor([0, 3, 1, 2])           # longest stored prefix
    loaded = repo.load_prefix([0, 3, 1, 2], model, positions=position_of)
    ...train...
    repo.save(job, [0, 3, 1, 2], model, accuracy, donor_id=donor, prefix_len=prefix,
              positions=position_of)

`positions` maps a parameter (or buffer) name to its architecture position,
or None for what is not positional (a classifier head): only positions below
the donor's prefix are loaded, and only positional tensors are saved.
Two ways in. load_prefix copies the donor's bytes straight into the model's
own tensors (exh_repo_load_into: read() into memory that is already there;
every blob is checked before anything is written, so a failed load leaves
the model as it was). load() serves without a copy: NumPy arrays (or, with
Loaded.torch(), torch tensors) over the library's read-only mapping of each
blob; the mapping lives as long as any of them. Errors raise exhaust.Error
with the library's message. A Repo is one handle: use one per thread or
process.
"""

import ctypes
import os
import warnings

import numpy as np

from . import _lib
from ._lib import ErrorStruct, declare, lib

MAX_DIMS = 8
MAX_TOKENS = 256
SPACE_TEXT_MAX = 4096
DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16", "int32",
          "int64", "bool"]
FAST_DIR_ENV = "EXHAUST_REPO_FAST_DIR"


class Arch(ctypes.Structure):  # exh_arch (space.h)
    _fields_ = [("length", ctypes.c_int), ("token", ctypes.c_int32 * MAX_TOKENS)]


class Options(ctypes.Structure):  # exh_repo_options
    _fields_ = [("read_only", ctypes.c_int), ("no_index", ctypes.c_int), ("verify", ctypes.c_int),
                ("fsync", ctypes.c_int), ("cache_bytes", ctypes.c_int64),
                ("cache_policy", ctypes.c_int), ("tier_window", ctypes.c_int),
                ("tier_donations", ctypes.c_int), ("fast_dir", ctypes.c_char_p)]


class Model(ctypes.Structure):  # exh_repo_model
    _fields_ = [("id", ctypes.c_int64), ("parent_id", ctypes.c_int64),
                ("donor_id", ctypes.c_int64), ("prefix_length", ctypes.c_int),
                ("quality", ctypes.c_double), ("architecture", Arch),
                ("space", ctypes.c_char * 64), ("arch_text", ctypes.c_char * SPACE_TEXT_MAX),
                ("skip_fast_tier", ctypes.c_int), ("tensor_count", ctypes.c_int),
                ("tensor_bytes", ctypes.c_int64)]


class Tensor(ctypes.Structure):  # exh_repo_tensor
    _fields_ = [("position", ctypes.c_int), ("name", ctypes.c_char * 128),
                ("dtype", ctypes.c_int), ("ndim", ctypes.c_int),
                ("shape", ctypes.c_int64 * MAX_DIMS), ("bytes", ctypes.c_int64),
                ("data", ctypes.c_void_p), ("sha256", ctypes.c_char * 65),
                ("from_fast_tier", ctypes.c_int)]


class Tensors(ctypes.Structure):  # exh_repo_tensors
    _fields_ = [("count", ctypes.c_int), ("tensors", ctypes.POINTER(Tensor)),
                ("owner", ctypes.c_void_p)]


class Traffic(ctypes.Structure):  # exh_repo_traffic
    _fields_ = [(name, ctypes.c_int64) for name in
                ("loads", "saves", "tensors", "fast_hits", "fast_misses", "fast_bytes",
                 "store_bytes", "written_bytes", "dedup_bytes", "evictions")] + \
               [("io_seconds", ctypes.c_double)]


P, E = ctypes.c_void_p, ctypes.POINTER(ErrorStruct)
declare("exh_repo_options_default", None, ctypes.POINTER(Options))
declare("exh_repo_open", ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(Options),
        ctypes.POINTER(P), E)
declare("exh_repo_close", None, P)
declare("exh_repo_donor", ctypes.c_int, P, ctypes.POINTER(Arch), ctypes.POINTER(ctypes.c_int64),
        ctypes.POINTER(ctypes.c_int), E)
declare("exh_repo_load_prefix", ctypes.c_int, P, ctypes.c_int64, ctypes.c_int,
        ctypes.POINTER(Tensors), E)
declare("exh_repo_tensors_release", None, ctypes.POINTER(Tensors))
declare("exh_repo_prefix_info", ctypes.c_int, P, ctypes.c_int64, ctypes.c_int,
        ctypes.POINTER(Tensors), E)
declare("exh_repo_load_into", ctypes.c_int, P, ctypes.c_int64, ctypes.c_int,
        ctypes.POINTER(Tensors), ctypes.POINTER(ctypes.c_void_p), E)
declare("exh_repo_model_get", ctypes.c_int, P, ctypes.c_int64, ctypes.POINTER(Model), E)
declare("exh_repo_save_begin", ctypes.c_int, P, ctypes.POINTER(Model), ctypes.POINTER(P), E)
declare("exh_repo_save_add_tensor", ctypes.c_int, P, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
        ctypes.c_int, ctypes.POINTER(ctypes.c_int64), ctypes.c_void_p, ctypes.c_int64, E)
declare("exh_repo_save_commit", ctypes.c_int, P, E)
declare("exh_repo_save_abort", None, P)
declare("exh_repo_traffic_get", None, P, ctypes.POINTER(Traffic), ctypes.POINTER(Traffic))


def _arch(value):
    """An architecture (a sequence of ints) as exh_arch."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise _lib.ArgumentTypeError("an architecture is a sequence of ints (its tokens), not "
                                     f"{type(value).__name__}")
    if len(value) > MAX_TOKENS:
        raise _lib.InvalidError(f"an architecture has at most {MAX_TOKENS} positions, "
                                f"not {len(value)}")
    a = Arch()
    a.length = len(value)
    for i, token in enumerate(value):
        a.token[i] = _lib.integer(token, "an architecture token", -2**31, 2**31 - 1)
    return a


class _Mapping:
    """The library's mappings of one load: unmapped when the last array (or
    torch tensor made from one) over them is gone, never under a live one."""

    def __init__(self, tensors):
        self.tensors = tensors

    def __del__(self):
        if lib is not None and self.tensors is not None:
            lib.exh_repo_tensors_release(ctypes.byref(self.tensors))
            self.tensors = None


def _numpy(t, mapping):
    """A read-only NumPy array over a served tensor's bytes: no copy (the
    array's base is a ctypes view of the mapping, which holds `mapping`)."""
    dtype = DTYPES[t.dtype] if 0 <= t.dtype < len(DTYPES) else None
    if dtype is None or dtype == "bfloat16":
        raise _lib.InvalidError(f"tensor {t.name.decode()!r}: dtype {dtype} has no NumPy type")
    shape = tuple(t.shape[i] for i in range(t.ndim))
    if t.bytes == 0:
        return np.zeros(shape, dtype=dtype)
    buffer = (ctypes.c_char * t.bytes).from_address(t.data)
    buffer._mapping = mapping  # the views keep the mapping alive
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape)
    array.flags.writeable = False  # a read-only mapping: a write would fault
    return array


class Loaded:
    """A donor's prefix as served: `arrays` maps each tensor name to a
    read-only NumPy array over the library's mapping, `tensors` the served
    entries (position, sha256, from_fast_tier). release() (or the end of a
    `with`) drops this object's hold; the mapping goes when no array or
    tensor made from one is left."""

    def __init__(self, tensors):
        self._mapping = mapping = _Mapping(tensors)  # the entries point into it too
        self.entries = [tensors.tensors[i] for i in range(tensors.count)]
        self.arrays = {e.name.decode(): _numpy(e, mapping) for e in self.entries}
        self.positions = {e.name.decode(): e.position for e in self.entries}
        self.sha256 = {e.name.decode(): e.sha256.decode() for e in self.entries}
        self.fast_hits = sum(e.from_fast_tier for e in self.entries)

    def torch(self):
        """{name: torch tensor} over the same mapping, no copy. The memory is
        read-only and torch cannot mark a tensor so: writing into one (an
        in-place op, an optimizer step) kills the process with SIGSEGV. Read
        them, or copy (tensor.clone(), param.copy_(tensor))."""
        import torch
        with warnings.catch_warnings():
            # from_numpy warns that the arrays are not writable: that is the point
            warnings.simplefilter("ignore", UserWarning)
            return {name: torch.from_numpy(array) for name, array in self.arrays.items()}

    def release(self):
        self.arrays = {}
        self.entries = []
        self._mapping = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def _destination(target, entry):
    """Where load_into may write entry's bytes: target's own memory when it
    is a C-contiguous CPU tensor or writable array of the stored dtype (and
    so of the same size, the shape being checked); None: copy through a
    mapping instead (dtype conversion, a GPU tensor, a strided view)."""
    stored = DTYPES[entry.dtype] if 0 <= entry.dtype < len(DTYPES) else None
    if hasattr(target, "data_ptr"):
        if (target.device.type != "cpu" or not target.is_contiguous() or
                str(target.dtype).rsplit(".", 1)[-1] != stored):
            return None
        return target.data_ptr()
    if (isinstance(target, np.ndarray) and target.flags.c_contiguous and
            target.flags.writeable and ("bool" if target.dtype == np.bool_
                                        else target.dtype.name) == stored):
        return target.ctypes.data
    return None


def _state_items(model):
    """(name, tensor-or-array) of a torch module (its state dict: parameters and
    buffers) or of a dict of arrays/tensors."""
    if hasattr(model, "state_dict"):
        return list(model.state_dict().items())
    if isinstance(model, dict):
        return list(model.items())
    raise _lib.ArgumentTypeError("a model is a torch module or a dict of tensors or arrays, "
                                 f"not {type(model).__name__}")


def _as_numpy(value):
    """A C-contiguous NumPy view of a tensor or array (a torch tensor on the
    CPU shares its memory; only a non-contiguous one is copied)."""
    if hasattr(value, "detach"):
        value = value.detach()
        if value.device.type != "cpu":
            value = value.cpu()
        value = value.contiguous().numpy()
    array = np.asarray(value)
    # ascontiguousarray would make a 0-d tensor (a step counter) 1-d
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


class Repo:
    """The model repository at `path` (created when absent, unless
    readonly). fast_dir: the node-local fast directory the search's
    coordinator fills (exhaust search --repo-fast-dir; None: the
    EXHAUST_REPO_FAST_DIR environment variable, else none): loads look there
    first (fast-tier hits) and fall back to the store."""

    def __init__(self, path, fast_dir=None, readonly=False, verify=True, fsync=True):
        self.path = os.fspath(path)
        self.fast_dir = fast_dir if fast_dir is not None else os.environ.get(FAST_DIR_ENV)
        options = Options()
        lib.exh_repo_options_default(ctypes.byref(options))
        options.read_only = 1 if readonly else 0
        # True: the default check (EXH_REPO_VERIFY_FAST); 2: the full SHA-256
        options.verify = int(verify) if isinstance(verify, int) else int(bool(verify))
        options.fsync = int(bool(fsync))
        if self.fast_dir:
            options.fast_dir = _lib.path_bytes(self.fast_dir, "fast_dir")
        self._handle, err = ctypes.c_void_p(), ErrorStruct()
        rc = lib.exh_repo_open(_lib.path_bytes(path), ctypes.byref(options),
                               ctypes.byref(self._handle), ctypes.byref(err))
        _lib.check(rc, err)

    def close(self):
        if self._handle:
            lib.exh_repo_close(self._handle)
            self._handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def _live(self):
        if not self._handle:
            raise _lib.InvalidError(f"{self.path}: the repository is closed")
        return self._handle

    def donor(self, arch):
        """(model_id, prefix_len): the stored model sharing the longest prefix
        with arch (ties: best quality, then latest); (-1, 0) when none."""
        a, model, prefix, err = _arch(arch), ctypes.c_int64(), ctypes.c_int(), ErrorStruct()
        rc = lib.exh_repo_donor(self._live(), ctypes.byref(a), ctypes.byref(model),
                                ctypes.byref(prefix), ctypes.byref(err))
        _lib.check(rc, err)
        return model.value, prefix.value

    def model(self, model_id):
        """A stored model's manifest fields as a dict."""
        m, err = Model(), ErrorStruct()
        rc = lib.exh_repo_model_get(self._live(), _lib.integer(model_id, "model", 0, 2**63 - 1),
                                    ctypes.byref(m), ctypes.byref(err))
        _lib.check(rc, err)
        return {"id": m.id, "parent_id": m.parent_id, "donor_id": m.donor_id,
                "prefix_len": m.prefix_length, "quality": m.quality,
                "arch": [m.architecture.token[i] for i in range(m.architecture.length)],
                "tensor_count": m.tensor_count, "tensor_bytes": m.tensor_bytes}

    def load(self, donor, prefix_len):
        """The tensors of model `donor` at positions < prefix_len, as a
        Loaded (arrays over the mapping, no copy). donor -1: nothing (still
        counted as a load, as the fast tier's policies expect)."""
        donor = _lib.integer(donor, "donor", -1, 2**63 - 1)
        prefix_len = _lib.integer(prefix_len, "prefix_len", 0, 2**31 - 1)
        tensors, err = Tensors(), ErrorStruct()
        rc = lib.exh_repo_load_prefix(self._live(), donor, prefix_len, ctypes.byref(tensors),
                                      ctypes.byref(err))
        _lib.check(rc, err)
        return Loaded(tensors)

    def load_prefix(self, arch_or_model, model, positions, donor=None, prefix_len=None):
        """Copy the donor's tensors at positions < prefix_len into `model` (a
        torch module or a dict of tensors/arrays) in place. The donor is
        `donor` with `prefix_len`, else repo.donor(arch_or_model) when it is
        an architecture, else model id arch_or_model's whole prefix.
        positions(name) -> int or None says which of the model's tensors are
        positional. Returns {name: sha256} of the tensors copied. A served
        tensor whose name, position or shape the model lacks is an
        InvalidError, and a missing or corrupt blob an exhaust.Error; either
        way nothing was copied. CPU tensors and arrays of the stored dtype
        are filled by the library directly (not through torch, so autograd's
        version counters do not move: load before training, as a trainer
        does); others are copied with torch's copy_ (converting dtypes)."""
        if donor is None:
            if isinstance(arch_or_model, int):
                donor, prefix_len = arch_or_model, (prefix_len if prefix_len is not None
                                                    else MAX_TOKENS)
            else:
                donor, found = self.donor(arch_or_model)
                prefix_len = found if prefix_len is None else min(prefix_len, found)
        if prefix_len is None:
            raise _lib.InvalidError("load_prefix: a donor needs its prefix_len")
        targets = dict(_state_items(model))
        donor = _lib.integer(donor, "donor", -1, 2**63 - 1)
        prefix_len = _lib.integer(prefix_len, "prefix_len", 0, 2**31 - 1)
        info, err = Tensors(), ErrorStruct()
        _lib.check(lib.exh_repo_prefix_info(self._live(), donor, prefix_len, ctypes.byref(info),
                                            ctypes.byref(err)), err)
        try:
            entries = [info.tensors[i] for i in range(info.count)]
            for e in entries:
                self._check_target(donor, e, targets.get(e.name.decode()), positions)
            addresses = [_destination(targets[e.name.decode()], e) for e in entries]
            if all(a is not None or e.bytes == 0 for a, e in zip(addresses, entries)):
                # straight into the model's memory: no mapping, one copy
                destinations = (ctypes.c_void_p * (len(entries) + 1))(*addresses)
                _lib.check(lib.exh_repo_load_into(self._live(), donor, prefix_len,
                                                  ctypes.byref(info), destinations,
                                                  ctypes.byref(err)), err)
            else:
                self._copy_mapped(donor, prefix_len, targets)
            return {e.name.decode(): e.sha256.decode() for e in entries}
        finally:
            lib.exh_repo_tensors_release(ctypes.byref(info))

    @staticmethod
    def _check_target(donor, entry, target, positions):
        name, position = entry.name.decode(), entry.position
        if target is None or positions(name) != position:
            raise _lib.InvalidError(
                f"model {donor}, tensor {name!r} (position {position}): "
                "the receiving model has no such tensor at that position")
        shape = tuple(entry.shape[i] for i in range(entry.ndim))
        if tuple(target.shape) != shape:
            raise _lib.InvalidError(
                f"model {donor}, tensor {name!r}: shape {shape} does not fit the "
                f"receiving model's {tuple(target.shape)}")

    def _copy_mapped(self, donor, prefix_len, targets):
        """Serve mapped, then copy each into its target (converting dtypes,
        to a GPU): for the targets load_into cannot fill in place."""
        with self.load(donor, prefix_len) as loaded:
            for name, array in loaded.arrays.items():
                target = targets[name]
                if hasattr(target, "detach"):
                    import torch
                    with torch.no_grad(), warnings.catch_warnings():
                        # from_numpy warns that the array is read-only: it is
                        # only read here (copied into the parameter)
                        warnings.simplefilter("ignore", UserWarning)
                        target.copy_(torch.from_numpy(array))
                else:
                    target[...] = array

    def save(self, job_id, arch, model, quality, parent_id=-1, donor_id=-1, prefix_len=0,
             positions=None, space=""):
        """Store model `job_id`: every tensor of `model` (torch module or
        dict) whose positions(name) is not None, at that position. A tensor
        identical to a stored one (a frozen prefix) writes no new blob."""
        if positions is None:
            raise _lib.InvalidError("save: positions(name) is needed to place each tensor")
        m = Model(id=_lib.integer(job_id, "job_id", 0, 2**63 - 1),
                  parent_id=_lib.integer(parent_id, "parent_id", -1, 2**63 - 1),
                  donor_id=_lib.integer(donor_id, "donor_id", -1, 2**63 - 1),
                  prefix_length=_lib.integer(prefix_len, "prefix_len", 0, 2**31 - 1),
                  quality=float("nan") if quality is None else float(quality),
                  architecture=_arch(arch))
        m.space = _lib.text_bytes(space, "space")
        save, err = ctypes.c_void_p(), ErrorStruct()
        _lib.check(lib.exh_repo_save_begin(self._live(), ctypes.byref(m), ctypes.byref(save),
                                           ctypes.byref(err)), err)
        try:
            for name, value in _state_items(model):
                position = positions(name)
                if position is None:
                    continue
                self._add(save, position, name, _as_numpy(value))
        except BaseException:
            lib.exh_repo_save_abort(save)
            raise
        _lib.check(lib.exh_repo_save_commit(save, ctypes.byref(err)), err)

    @staticmethod
    def _add(save, position, name, array):
        dtype = "bool" if array.dtype == np.bool_ else array.dtype.name
        if array.ndim > MAX_DIMS:
            raise _lib.InvalidError(f"tensor {name!r}: {array.ndim} dimensions, at most "
                                    f"{MAX_DIMS}")
        if dtype not in DTYPES:
            raise _lib.InvalidError(f"tensor {name!r}: dtype {dtype} is not storable")
        shape = (ctypes.c_int64 * MAX_DIMS)(*array.shape)
        err = ErrorStruct()
        rc = lib.exh_repo_save_add_tensor(
            save, _lib.integer(position, f"position of {name!r}", 0, 2**31 - 1),
            _lib.text_bytes(name, "a tensor name"), DTYPES.index(dtype), array.ndim, shape,
            array.ctypes.data_as(ctypes.c_void_p), array.nbytes, ctypes.byref(err))
        _lib.check(rc, err)

    def traffic(self):
        """What this handle moved since it was opened: a dict (repo.h
        exh_repo_traffic)."""
        last, total = Traffic(), Traffic()
        lib.exh_repo_traffic_get(self._live(), ctypes.byref(last), ctypes.byref(total))
        return {name: getattr(total, name) for name, _ in Traffic._fields_}
