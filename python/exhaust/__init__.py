"""exhaust's Python package: the library (libexhaust.so, through ctypes) as
pandas, and the training-loop logger.

    import exhaust
    store = exhaust.Store("runs.db", create=True)
    store.ingest("../shared/data/nb201")            # as `exhaust ingest`
    store.runs(), store.epochs()                    # DataFrames
    exhaust.predict(store, ["302140"], k=5)         # as `exhaust predict`
    exhaust.read_trace("out/search-nb201.csv")      # DeepHyper column names
    exhaust.analyze("out/search-nb201.csv", "out/analysis")  # summary as a dict
    repo = exhaust.Repo("models")                   # the model repository (repo.py)

Library errors raise exhaust.Error (subclasses by kind) with the library's
message. The logger (RunLogger, KerasLogger) needs no library.
"""

from .logger import KerasLogger, RunLogger

__all__ = ["RunLogger", "KerasLogger"]

try:
    from ._lib import (ArgumentTypeError, Error, FileError, InvalidError, NotFoundError,
                       ParseError, StoreError, VERSION as __version__)
    from .analyze import analyze
    from .predict import Predictor, predict
    from .repo import Repo
    from .store import Store
    from .trace import read_trace, trace_settings
except ImportError as _missing:  # no libexhaust.so, numpy or pandas: the logger still works
    _reason = str(_missing)

    def __getattr__(name):
        raise ImportError(f"exhaust.{name} is unavailable: {_reason} (the bindings need "
                          "libexhaust.so, numpy and pandas)")
else:
    __all__ += ["Error", "FileError", "ParseError", "InvalidError", "NotFoundError", "StoreError",
                "ArgumentTypeError", "Store", "Predictor", "predict", "read_trace",
                "trace_settings", "analyze", "Repo", "__version__"]
