"""quickstart.py — exhaust from Python: ingest logs, predict untrained cells,
read a search trace and analyse it.

    python3 examples/python/quickstart.py LOGS STORE TRACE OUT_DIR
    e.g. ../shared/data/nb201/archs.csv runs.db out/search-nb201.csv out/analysis-py
"""
import sys

import exhaust

logs, store_path, trace_path, out_dir = sys.argv[1:5]

store = exhaust.Store(store_path, create=True)
counts = store.ingest(logs)                      # as `exhaust ingest LOGS`
print(f"exhaust {exhaust.__version__}: {counts['runs']} runs, {counts['epochs']} epochs")
runs = store.runs(space="nb201")                 # a DataFrame, one row per run
print(runs.groupby("dataset").size().to_string())

# k-NN by edit distance, as `exhaust predict 302140 444444 --k 3`
predictions = exhaust.predict(store, ["302140", "444444"], k=3, dataset="cifar10-valid")
print(predictions[["input", "value", "neighbour_1", "distance_1", "weight_1"]].to_string())

trace = exhaust.read_trace(trace_path)           # DeepHyper's column names
print(trace[["job_id", "p:arch_seq", "objective", "m:timestamp_gather"]].head().to_string())
print("population", trace.attrs["settings"].get("population"))

summary = exhaust.analyze(trace_path, out_dir, space="nb201")  # as `exhaust analyze`
print(f"best {summary['best_quality']} after {summary['records']} evaluations; "
      f"report: {out_dir}/index.html")

try:
    exhaust.predict(store, ["not-a-cell"])
except exhaust.Error as e:                       # the library's message
    print("refused:", e)
