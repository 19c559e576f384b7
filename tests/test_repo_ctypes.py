#!/usr/bin/env python3
"""The model repository from Python through ctypes, as future bindings will
use it: libexhaust.so opens a repository that tests/repo_writer.c filled,
serves a model's prefix, and NumPy wraps each tensor without a copy (the
array's address is the served pointer). Independent references: the manifest
read with Python's json, each blob read with numpy.fromfile and hashed with
hashlib. Skips (exit 77) without NumPy or the library, and under sanitizers."""
import ctypes, hashlib, json, os, subprocess, sys, tempfile

LIB = os.environ.get("EXHAUST_LIB", "")
WRITER = os.environ.get("EXHAUST_REPO_WRITER", "")
try:
    import numpy as np
except ImportError:
    print("skip: NumPy is not installed")
    sys.exit(77)
if os.environ.get("EXHAUST_SANITIZED"):
    print("skip: a sanitized library cannot be loaded into an uninstrumented Python")
    sys.exit(77)
if not os.path.exists(LIB) or not os.path.exists(WRITER):
    print("skip: EXHAUST_LIB or EXHAUST_REPO_WRITER not built")
    sys.exit(77)


class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]


class Tensor(ctypes.Structure):
    _fields_ = [("position", ctypes.c_int), ("name", ctypes.c_char * 128),
                ("dtype", ctypes.c_int), ("ndim", ctypes.c_int),
                ("shape", ctypes.c_int64 * 8), ("bytes", ctypes.c_int64),
                ("data", ctypes.c_void_p), ("sha256", ctypes.c_char * 65),
                ("from_fast_tier", ctypes.c_int)]


class Tensors(ctypes.Structure):
    _fields_ = [("count", ctypes.c_int), ("tensors", ctypes.POINTER(Tensor)),
                ("owner", ctypes.c_void_p)]


lib = ctypes.CDLL(LIB)
lib.exh_repo_open.argtypes = [ctypes.c_char_p, ctypes.c_void_p,
                              ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(Error)]
lib.exh_repo_load_prefix.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int,
                                     ctypes.POINTER(Tensors), ctypes.POINTER(Error)]
lib.exh_repo_tensors_release.argtypes = [ctypes.POINTER(Tensors)]
lib.exh_repo_close.argtypes = [ctypes.c_void_p]
lib.exh_repo_dtype_name.argtypes = [ctypes.c_int]
lib.exh_repo_dtype_name.restype = ctypes.c_char_p

failures = []
with tempfile.TemporaryDirectory() as work:
    repo_dir = os.path.join(work, "models")
    subprocess.run([WRITER, repo_dir, "0", "4", "3"], check=True)
    repo, err = ctypes.c_void_p(), Error()
    if lib.exh_repo_open(repo_dir.encode(), None, ctypes.byref(repo), ctypes.byref(err)) != 0:
        sys.exit("open: " + err.message.decode())
    for model in range(4):
        manifest = json.load(open(os.path.join(repo_dir, "manifests", "%d.json" % model)))
        served = Tensors()
        if lib.exh_repo_load_prefix(repo, model, 6, ctypes.byref(served), ctypes.byref(err)):
            sys.exit("load: " + err.message.decode())
        if served.count != len(manifest["tensors"]):
            failures.append("model %d: %d tensors served, manifest lists %d"
                            % (model, served.count, len(manifest["tensors"])))
        for t, expected in zip(served.tensors[:served.count], manifest["tensors"]):
            dtype = lib.exh_repo_dtype_name(t.dtype).decode()
            shape = tuple(t.shape[:t.ndim])
            array = np.ctypeslib.as_array(
                ctypes.cast(t.data, ctypes.POINTER(np.ctypeslib.as_ctypes_type(dtype))), shape)
            blob = os.path.join(repo_dir, "blobs", expected["sha256"][:2], expected["sha256"][2:])
            on_disk = np.fromfile(blob, dtype=dtype).reshape(shape)
            checks = {
                "name": t.name.decode() == expected["name"],
                "dtype": dtype == expected["dtype"],
                "shape": list(shape) == expected["shape"],
                "no copy": array.ctypes.data == t.data,
                "bytes": np.array_equal(array, on_disk),
                "hash": hashlib.sha256(open(blob, "rb").read()).hexdigest()
                        == t.sha256.decode() == expected["sha256"],
            }
            failures += ["model %d, %s: %s" % (model, expected["name"], what)
                         for what, ok in checks.items() if not ok]
        lib.exh_repo_tensors_release(ctypes.byref(served))
        if served.count != 0:
            failures.append("release did not empty the tensors")
    lib.exh_repo_close(repo)

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok: 4 models served through ctypes, wrapped by NumPy without a copy")
