"""exhaust.read_trace: a search trace (include/exhaust/trace.h) as pandas."""

import ctypes
import math
import os

import pandas as pd

from . import _lib
from ._lib import declare, lib

P = ctypes.c_void_p
ERR = ctypes.POINTER(_lib.ErrorStruct)
SETTING_MAX = 256


class TraceSettings(ctypes.Structure):  # exh_trace_settings (trace.h)
    _fields_ = [("space", ctypes.c_char * SETTING_MAX), ("dataset", ctypes.c_char * SETTING_MAX),
                ("evaluator", ctypes.c_char * SETTING_MAX), ("clock", ctypes.c_char * 16),
                ("transfer_from", ctypes.c_char * 16), ("mutate_after", ctypes.c_char * 16),
                ("population", ctypes.c_int), ("sample", ctypes.c_int), ("workers", ctypes.c_int),
                ("screen", ctypes.c_int), ("k", ctypes.c_int), ("seed", ctypes.c_longlong),
                ("candidates", ctypes.c_longlong),
                ("mutation_exponent", ctypes.c_double), ("lines", P), ("line_count", ctypes.c_int),
                ("repo", ctypes.c_char * SETTING_MAX)]


declare("exh_trace_read", ctypes.c_int, ctypes.c_char_p, P, ctypes.c_int, ctypes.POINTER(P),
        ctypes.POINTER(ctypes.c_int64), ERR)
declare("exh_trace_settings_read", ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(TraceSettings),
        ERR)

TEXT_SETTINGS = ("space", "dataset", "evaluator", "clock", "transfer_from", "mutate_after", "repo")
NUMBER_SETTINGS = ("population", "sample", "workers", "screen", "k", "seed", "candidates")


def trace_settings(path):
    """A trace's settings as a dict (the sidecar `<trace>.json`, or an older
    trace's '#' lines; keys as trace.h's exh_trace_settings, None where
    unknown), or {} when the trace has neither (a DeepHyper results.csv)."""
    padded = _lib.Spare(TraceSettings)()
    s = padded.value
    err = _lib.ErrorStruct()
    rc = lib.exh_trace_settings_read(_lib.path_bytes(path, "trace path"), ctypes.byref(s),
                                     ctypes.byref(err))
    if rc == -6:
        return {}
    _lib.check(rc, err)
    out = {k: _lib.text(getattr(s, k)) or None for k in TEXT_SETTINGS}
    out.update({k: (getattr(s, k) if getattr(s, k) >= 0 else None) for k in NUMBER_SETTINGS})
    out["mutation_exponent"] = None if math.isnan(s.mutation_exponent) else s.mutation_exponent
    return out


def _comment_lines(path):
    """Leading '#' lines (older traces) that pandas must skip."""
    count = 0
    with open(path, "rb") as f:
        for line in f:
            if not line.startswith(b"#"):
                break
            count += 1
    return count


def read_trace(path, space=None):
    """Read a search trace (exhaust's, or DeepHyper's results.csv) as a
    DataFrame with DeepHyper's column names (job_id, p:arch_seq, objective,
    m:timestamp_submit, m:timestamp_start, m:timestamp_gather, m:worker,
    m:parent_id, ...; trace.h lists them). The library reads the trace first
    and refuses a bad one (missing columns, a malformed line: the error names
    file and line); with `space` ("nb201", ...) every p:arch_seq must be an
    architecture of that space. The search's settings are in
    df.attrs["settings"] (see trace_settings; {} when there are none)."""
    encoded = _lib.path_bytes(path, "trace path")
    if not os.path.exists(encoded):
        raise _lib.NotFoundError(f"{os.fsdecode(encoded)}: no such trace", -6)
    records, count = P(), ctypes.c_int64(0)
    err = _lib.ErrorStruct()
    with _lib.Space(space) as handle:
        rc = lib.exh_trace_read(encoded, handle, 0, ctypes.byref(records), ctypes.byref(count),
                                ctypes.byref(err))
    _lib.libc.free(records)
    _lib.check(rc, err)
    frame = pd.read_csv(os.fsdecode(encoded), skiprows=_comment_lines(encoded))
    if len(frame) != count.value:  # the two readers must agree on what a record is
        raise _lib.ParseError(f"{os.fsdecode(encoded)}: exhaust read {count.value} records, "
                              f"pandas {len(frame)}", -2)
    frame.attrs["settings"] = trace_settings(encoded)
    return frame
