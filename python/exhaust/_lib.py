"""The ctypes plumbing shared by every binding: finding and loading
libexhaust.so, the exh_error struct and its exceptions, strings.

Where the library comes from, first found wins:
  1. the environment variable EXHAUST_LIBRARY (a path to libexhaust.so.0);
  2. the build tree, when the package is imported from the source tree
     (<repo>/python/exhaust -> <repo>/build/libexhaust.so.0);
  3. a copy beside this file (a wheel that ships one);
  4. the system's (ctypes.util.find_library("exhaust"), then the loader's
     search for libexhaust.so.0, LD_LIBRARY_PATH included: `make install`).
"""

import ctypes
import ctypes.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SONAME = "libexhaust.so.0"

# include/exhaust/error.h
EXH_OK = 0
ERROR_MESSAGE_SIZE = 512
ERROR_CODES = {-1: "IO", -2: "PARSE", -3: "INVALID", -4: "NOMEM", -5: "STORE", -6: "NOT_FOUND",
               -7: "CORRUPT", -8: "INTERRUPTED"}


class Error(Exception):
    """An exhaust library error: `code` (a negative EXH_ERR_* value), `message`
    (the library's, naming the file and line or the offending input)."""

    def __init__(self, message, code=-3):
        super().__init__(message)
        self.message = message
        self.code = code


class FileError(Error, OSError):
    """EXH_ERR_IO: a file could not be opened, read or written."""


class ParseError(Error, ValueError):
    """EXH_ERR_PARSE / EXH_ERR_CORRUPT: malformed input (a line, record, field)."""


class InvalidError(Error, ValueError):
    """EXH_ERR_INVALID: well-formed but not allowed (a bad name or number)."""


class NotFoundError(Error, LookupError):
    """EXH_ERR_NOT_FOUND: a run, file or name does not exist."""


class StoreError(Error):
    """EXH_ERR_STORE: SQLite reported an error."""


class ArgumentTypeError(Error, TypeError):
    """A Python argument of the wrong type (raised before the library is called)."""


_CLASSES = {-1: FileError, -2: ParseError, -3: InvalidError, -5: StoreError, -6: NotFoundError,
            -7: ParseError}


class ErrorStruct(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * ERROR_MESSAGE_SIZE)]


def error_for(code, message):
    """The exception for a library code and message."""
    if code == -4:
        return MemoryError(message)
    return _CLASSES.get(code, Error)(message, code)


def Spare(struct):
    """A struct the library fills, with spare bytes after it: should the C
    struct grow before its mirror here does, the library writes into them,
    not past the buffer (the values read are then wrong, and the tests that
    compare them with their source fail, but memory stays intact)."""
    return type(struct.__name__ + "Spare", (ctypes.Structure,),
                {"_fields_": [("value", struct), ("spare", ctypes.c_char * 1024)]})


def check(rc, err):
    """Raise the library's error when rc < 0; return rc otherwise."""
    if rc < 0:
        message = err.message.decode("utf-8", "replace") or ERROR_CODES.get(rc, str(rc))
        raise error_for(rc, message)
    return rc


def path_bytes(value, what="path"):
    """A str or os.PathLike as bytes for C; anything else is ArgumentTypeError."""
    if isinstance(value, (str, bytes, os.PathLike)):
        data = os.fsencode(value)
        if b"\0" in data:
            raise InvalidError(f"{what} contains a NUL byte: {value!r}")
        return data
    raise ArgumentTypeError(f"{what} must be a str or path, not {type(value).__name__}")


def text_bytes(value, what, allow_none=True):
    """A str as UTF-8 bytes for C (None stays None when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, str):
        data = value.encode("utf-8")
        if b"\0" in data:
            raise InvalidError(f"{what} contains a NUL byte: {value!r}")
        return data
    raise ArgumentTypeError(f"{what} must be a str, not {type(value).__name__}")


def integer(value, what, low, high):
    """An int within low..high for C (ctypes would silently truncate one
    too large); bool and other types are ArgumentTypeError."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise ArgumentTypeError(f"{what} must be an int, not {type(value).__name__}")
    value = value.__index__()
    if not low <= value <= high:
        raise InvalidError(f"{what} must be within {low}..{high}, not {value}")
    return value


def text(value):
    """A C string (bytes or None) as str."""
    return None if value is None else value.decode("utf-8", "replace")


def _candidates():
    env = os.environ.get("EXHAUST_LIBRARY")
    if env:
        yield env
        return  # an explicit choice: never fall back to another library silently
    yield os.path.join(HERE, "..", "..", "build", SONAME)
    yield os.path.join(HERE, SONAME)
    found = ctypes.util.find_library("exhaust")
    if found:
        yield found
    yield SONAME  # the dynamic loader's own search (LD_LIBRARY_PATH, ld.so.cache)


def _load():
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise ImportError("libexhaust.so not found; build it (make build), install it (make install) "
                      "or set EXHAUST_LIBRARY. Tried: " + "; ".join(tried or ["nothing"]))


lib, LIBRARY_PATH = _load()
libc = ctypes.CDLL(None)
libc.free.argtypes = [ctypes.c_void_p]
libc.free.restype = None


def declare(name, restype, *argtypes):
    """Give a library function its C signature; returns it."""
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


declare("exh_version", ctypes.c_char_p)
VERSION = lib.exh_version().decode()


P = ctypes.c_void_p
declare("exh_space_open", ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(P),
        ctypes.POINTER(ErrorStruct))
declare("exh_space_free", None, P)


class Space:
    """An architecture space opened by name (None: no space), closed on exit."""

    def __init__(self, name):
        self.name, self.handle = text_bytes(name, "space"), ctypes.c_void_p()

    def __enter__(self):
        if self.name is not None:
            err = ErrorStruct()
            rc = lib.exh_space_open(self.name, ctypes.byref(self.handle), ctypes.byref(err))
            check(rc, err)
        return self.handle

    def __exit__(self, *exc):
        lib.exh_space_free(self.handle)
