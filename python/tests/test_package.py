"""The bindings (exhaust.Store, predict, read_trace, analyze) against
independent references: the fixture's own numbers, sqlite3 reading the
store, pandas reading the trace, and the exhaust command on the same input.

The library is EXHAUST_LIBRARY (set by CTest), else the build tree's; the
command EXHAUST_BIN, else build/exhaust.
"""

import csv
import io
import json
import math
import os
import random
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, ".."))

import exhaust  # noqa: E402

SANITIZED = bool(os.environ.get("EXHAUST_SANITIZED"))
if SANITIZED and "asan" not in os.environ.get("LD_PRELOAD", ""):
    pytest.skip("sanitized build: libexhaust.so loads only with the ASan runtime preloaded "
                "(the test python_bindings_asan runs these)", allow_module_level=True)

OPS = 5  # NB201 operations per edge


def exhaust_bin():
    path = os.environ.get("EXHAUST_BIN") or os.path.join(ROOT, "build", "exhaust")
    if not os.path.exists(path):
        pytest.fail(f"exhaust binary not found at {path}: run `make build` or set EXHAUST_BIN")
    return path


def run_cli(*args):
    # The command links its own ASan runtime in a sanitized build: no preloaded one.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    done = subprocess.run([exhaust_bin(), *args], capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


# Twelve NB201 cells on "cifar10-valid", each with two epochs: validation
# accuracy 40 + i then 50 + i (best 50 + i), 10 + i seconds per epoch.
CELLS = ["302140", "302141", "302100", "000000", "111111", "222222", "333333", "444444",
         "012340", "401234", "340123", "234012"]


def fixture_runs():
    runs = []
    for i, cell in enumerate(CELLS):
        runs.append({"key": f"cell{i}", "space": "nb201", "arch": cell, "dataset": "cifar10-valid",
                     "seed": i if i % 2 == 0 else None, "status": "ok",
                     "epochs": [{"epoch": 1, "val_accuracy": 40.0 + i, "epoch_seconds": 10.0 + i},
                                {"epoch": 2, "val_accuracy": 50.0 + i, "train_loss": 1.0 / (i + 1),
                                 "epoch_seconds": 10.0 + i}]})
    return runs


def write_jsonl(path, runs):
    with open(path, "w") as f:
        for r in runs:
            r = {k: v for k, v in r.items() if v is not None}
            f.write(json.dumps(r) + "\n")


def nb201_trace(n=24, population=4, seed=3):
    """A small regularized-evolution-like NB201 trace: `population` random
    cells, then children one mutation from a parent (seeded)."""
    g = random.Random(seed)
    rows, archs = [], []
    for job in range(n):
        if job < population:
            arch, parent, position = [g.randrange(OPS) for _ in range(6)], -1, -1
        else:
            parent = g.randrange(job)
            position = g.randrange(6)
            arch = list(archs[parent])
            arch[position] = (arch[position] + 1 + g.randrange(OPS - 1)) % OPS
        archs.append(arch)
        quality = "F" if job == 7 else f"{50 + g.random() * 40:.3f}"
        start = float(job)
        rows.append([job, json.dumps(arch), quality, start, start, start + 1.5, job % 2, parent,
                     parent, max(position, 0), position, "failed" if job == 7 else "ok", 1.5])
    header = ["job_id", "p:arch_seq", "objective", "m:timestamp_submit", "m:timestamp_start",
              "m:timestamp_gather", "m:worker", "m:parent_id", "m:donor_id", "m:prefix_len",
              "m:mutated_position", "m:status", "m:cost"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


SETTINGS = {"format": "exhaust-trace", "version": 1, "space": "nb201", "dataset": "cifar10-valid",
            "evaluator": "table", "population": 4, "sample": 2, "seed": 3, "workers": 2,
            "candidates": 24, "clock": "simulated", "transfer_from": "parent", "screen": 1, "k": 5,
            "mutation_exponent": 0, "mutate_after": "finished", "settings_lines": []}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("package")
    write_jsonl(d / "runs.jsonl", fixture_runs())
    (d / "trace.csv").write_text(nb201_trace())
    (d / "trace.csv.json").write_text(json.dumps(SETTINGS))
    store = exhaust.Store(str(d / "runs.db"), create=True)
    stats = store.ingest(str(d / "runs.jsonl"))
    return {"dir": d, "store": store, "stats": stats, "db": str(d / "runs.db"),
            "trace": str(d / "trace.csv")}


def test_version_is_the_library_and_the_command():
    assert exhaust.__version__ == run_cli("--version").split()[-1]


def test_ingest_and_runs(files):
    stats = files["stats"]
    assert (stats["files"], stats["runs"], stats["epochs"], stats["skipped"]) == (1, 12, 24, 0)
    runs = files["store"].runs()
    assert list(runs["key"]) == [f"cell{i}" for i in range(12)]
    assert list(runs["seed"]) == [i if i % 2 == 0 else pd.NA for i in range(12)]
    assert set(runs["dataset"]) == {"cifar10-valid"} and set(runs["status"]) == {"ok"}
    with sqlite3.connect(files["db"]) as db:  # an independent reader of the store
        rows = db.execute("SELECT id, key, arch, arch_sequence, source FROM runs "
                          "ORDER BY id").fetchall()
    assert [tuple(r) for r in runs[["id", "key", "arch", "arch_sequence", "source"]].itertuples(
        index=False)] == rows
    assert runs.loc[0, "arch_sequence"] == "3,0,2,1,4,0"
    assert len(files["store"].runs(limit=3)) == 3
    assert len(files["store"].runs(dataset="cifar100")) == 0


def test_epochs(files):
    epochs = files["store"].epochs()
    assert len(epochs) == 24
    for i, r in enumerate(fixture_runs()):
        mine = epochs[epochs["key"] == r["key"]].reset_index(drop=True)
        assert list(mine["epoch"]) == [1, 2]
        assert list(mine["val_accuracy"]) == [40.0 + i, 50.0 + i]
        assert list(mine["epoch_seconds"]) == [10.0 + i] * 2
        assert math.isnan(mine.loc[0, "train_loss"]) and mine.loc[1, "train_loss"] == 1.0 / (i + 1)
        assert mine["test_accuracy"].isna().all()


def test_predict_exact_match_is_hand_worked(files):
    """A logged cell's nearest model is itself (distance 0, all the weight):
    its best validation accuracy 50 + i and mean epoch time 10 + i."""
    best = exhaust.predict(files["store"], CELLS, k=3)
    assert list(best["value"]) == [50.0 + i for i in range(12)]
    assert list(best["neighbour_1"]) == [f"cell{i}" for i in range(12)]
    assert (best["distance_1"] == 0).all() and (best["weight_1"] == 1).all()
    assert (best["weight_2"] == 0).all() and not best.attrs["lower_is_better"]
    times = exhaust.predict(files["db"], CELLS[:4], target="epoch-time", k=2)
    assert list(times["value"]) == [10.0, 11.0, 12.0, 13.0] and times.attrs["lower_is_better"]
    assert best.loc[0, "arch"].startswith("|nor_conv_3x3~0|+")


def cli_predictions(db, archs, *options):
    text = run_cli("predict", *archs, "--store", db, "--format", "csv", *options)
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("method,options", [("knn", ["--k", "4"]),
                                            ("baseline1", ["--seed", "9"]),
                                            ("baseline2", ["--seed", "9"]),
                                            ("knn", ["--k", "2", "--target", "budget=30"])])
def test_predict_matches_the_command(files, method, options):
    archs = ["302143", "444440", "012344", "100000", "302140"]
    k = int(options[options.index("--k") + 1]) if "--k" in options else 5
    seed = int(options[options.index("--seed") + 1]) if "--seed" in options else 1
    target = options[options.index("--target") + 1] if "--target" in options else "best"
    mine = exhaust.predict(files["store"], archs, method=method, target=target, k=k, seed=seed)
    theirs = cli_predictions(files["db"], archs, "--method", method, *options)
    assert list(mine["arch"]) == [row["arch"] for row in theirs]
    for i, row in enumerate(theirs):
        assert mine.loc[i, "value"] == pytest.approx(float(row["value"]), rel=1e-9)
        if method != "knn":
            continue
        text = "; ".join(f"{mine.loc[i, f'neighbour_{j}']} (d={mine.loc[i, f'distance_{j}']:.3g}, "
                         f"w={mine.loc[i, f'weight_{j}']:.2f})" for j in range(1, k + 1))
        assert text == row["neighbours"]


def test_predictor_reused(files):
    p = exhaust.Predictor(files["store"])
    assert len(p) == 12 and p.higher_is_better
    assert p.predict("000000", k=1)["value"].tolist() == [53.0]
    assert len(p.predict([], k=1)) == 0


def test_read_trace_is_pandas_plus_settings(files):
    df = exhaust.read_trace(files["trace"], space="nb201")
    pd.testing.assert_frame_equal(df, pd.read_csv(files["trace"]))
    expected = {k: SETTINGS[k] for k in ("space", "dataset", "evaluator", "population", "sample",
                                         "seed", "workers", "candidates", "clock",
                                         "transfer_from", "mutate_after", "screen", "k")}
    assert {k: df.attrs["settings"][k] for k in expected} == expected
    # An older trace: settings on a '#' line, which pandas is told to skip.
    old = files["dir"] / "old.csv"
    old.write_text("# exhaust search: space=nb201 population=5 sample=3\n" + nb201_trace())
    df = exhaust.read_trace(str(old))
    pd.testing.assert_frame_equal(df, pd.read_csv(files["trace"]))
    assert (df.attrs["settings"]["population"], df.attrs["settings"]["sample"]) == (5, 3)
    # DeepHyper's five columns, no settings.
    dh = files["dir"] / "results.csv"
    pd.read_csv(files["trace"])[["job_id", "p:arch_seq", "objective", "m:timestamp_start",
                                 "m:timestamp_gather"]].to_csv(dh, index=False)
    assert exhaust.read_trace(str(dh)).attrs["settings"] == {}


def test_analyze_matches_the_command(files, tmp_path):
    summary = exhaust.analyze(files["trace"], str(tmp_path / "py"), space="nb201")
    run_cli("analyze", files["trace"], "--out", str(tmp_path / "cli"), "--space", "nb201")
    with open(tmp_path / "cli" / "summary.json") as f:
        assert summary == json.load(f)
    assert (summary["records"], summary["failures"]) == (24, 1)
    assert (summary["population"], summary["sample"]) == (4, 2)  # from the sidecar
    assert (tmp_path / "py" / "index.html").exists()


def test_example_runs(files, tmp_path):
    """examples/python/quickstart.py, quoted in the README, on the fixture."""
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    example = os.path.join(ROOT, "examples", "python", "quickstart.py")
    done = subprocess.run([sys.executable, example, str(files["dir"] / "runs.jsonl"),
                           str(tmp_path / "q.db"), files["trace"], str(tmp_path / "report")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "12 runs, 24 epochs" in done.stdout
    assert "refused: 'not-a-cell'" in done.stdout
    assert (tmp_path / "report" / "summary.json").exists()
    # The README quotes the example: every quoted line is the example's.
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    quoted = readme.split("`examples/python/quickstart.py`", 1)[1].split("```python\n", 1)[1]
    quoted = quoted.split("```", 1)[0].splitlines()
    with open(os.path.join(ROOT, "examples", "python", "quickstart.py")) as f:
        example = f.read().splitlines()
    assert len(quoted) > 10 and all(line in example for line in quoted)


def bad_calls(files):
    d = files["dir"]
    (d / "bad.jsonl").write_text('{"key": "x", "arch": "302140", "space": "nb201"}\n{"key": \n')
    (d / "badtrace.csv").write_text("job_id,p:arch_seq,objective\n0,\"[0, 1, 2, 3, 4, 0]\",5\n"
                                    "1,\"[0, x]\",6\n")
    (d / "nocolumn.csv").write_text("job_id,objective\n0,5\n")
    (d / "bare.csv").write_text(nb201_trace())  # no sidecar: P and S from the caller
    missing = str(d / "missing")
    store = files["store"]
    E = exhaust
    return [
        # (call, exception, words the message must hold)
        (lambda: E.Store(missing + ".db"), E.NotFoundError, "missing.db"),
        (lambda: store.ingest(missing + ".jsonl"), E.NotFoundError, "missing.jsonl"),
        (lambda: store.ingest(str(d / "bad.jsonl"), strict=True), E.ParseError,
         "bad.jsonl: line 2"),
        (lambda: store.ingest(str(d / "runs.jsonl"), format="xml"), E.InvalidError, "xml"),
        (lambda: E.read_trace(missing + ".csv"), E.NotFoundError, "missing.csv"),
        (lambda: E.read_trace(str(d / "badtrace.csv")), E.ParseError, "badtrace.csv: line 3"),
        (lambda: E.read_trace(str(d / "nocolumn.csv")), E.Error, "p:arch_seq"),
        (lambda: E.read_trace(files["trace"], space="nb999"), E.Error, "nb999"),
        (lambda: E.analyze(missing + ".csv", str(d / "out")), E.NotFoundError, "missing.csv"),
        (lambda: E.analyze(str(d / "badtrace.csv"), str(d / "out")), E.ParseError, "line 3"),
        (lambda: E.analyze(str(d / "bare.csv"), str(d / "out"), population=2, sample=3),
         E.InvalidError, "tournament"),
        (lambda: E.predict(missing + ".db", ["302140"]), E.NotFoundError, "missing.db"),
        (lambda: E.predict(store, ["302140", "9z"]), E.ParseError, "'9z'"),
        (lambda: E.predict(store, ["302145"]), E.ParseError, "302145"),
        (lambda: E.predict(store, ["302140"], method="forest"), E.InvalidError, "forest"),
        (lambda: E.predict(store, ["302140"], target="worst"), E.InvalidError, "worst"),
        (lambda: E.predict(store, ["302140"], k=13), E.InvalidError, "k must be within 1..12"),
        (lambda: E.predict(store, ["302140"], dataset="imagenet"), E.InvalidError, "imagenet"),
        (lambda: E.predict(store, ["302140"], space="nb999"), E.Error, "nb999"),
        (lambda: E.predict(store, 302140), E.ArgumentTypeError, "archs"),
        (lambda: E.predict(store, [302140]), E.ArgumentTypeError, "archs[0]"),
        (lambda: E.predict(store, ["302140"], k="3"), E.ArgumentTypeError, "k must be an int"),
        (lambda: E.predict(store, ["302140"], seed=-1), E.InvalidError, "seed"),
        (lambda: E.predict(store, ["302140"], seed=2 ** 64), E.InvalidError, "seed"),
        (lambda: E.predict(store, ["302140"], method="baseline1", k=10 ** 12), E.InvalidError,
         "1..12"),
        (lambda: E.Store(3), E.ArgumentTypeError, "store path"),
        (lambda: store.runs(limit="all"), E.ArgumentTypeError, "limit"),
        (lambda: store.runs(space=5), E.ArgumentTypeError, "space"),
        (lambda: store.ingest(7), E.ArgumentTypeError, "paths"),
        (lambda: E.analyze(files["trace"], 3), E.ArgumentTypeError, "out_dir"),
        (lambda: E.analyze(files["trace"], str(d / "out"), workers=0), E.InvalidError, "workers"),
        (lambda: E.analyze(files["trace"], str(d / "out"), population=2 ** 40), E.InvalidError,
         "population must be within 1..1000000000"),
        (lambda: store.runs(limit=2 ** 70), E.InvalidError, "limit"),
    ]


def test_bad_input_raises_and_names_it(files):
    for call, kind, words in bad_calls(files):
        with pytest.raises(kind) as caught:
            call()
        assert isinstance(caught.value, exhaust.Error)
        assert words in str(caught.value), f"{words!r} not in {caught.value}"
    # A failed ingest stored nothing; the store still reads.
    assert len(files["store"].runs()) == 12


def test_missing_library_is_an_import_error():
    """EXHAUST_LIBRARY naming no library: the logger still imports, the
    bindings say what was tried; never a crash."""
    env = dict(os.environ, EXHAUST_LIBRARY="/nonexistent/libexhaust.so.0",
               PYTHONPATH=os.path.join(ROOT, "python"))
    code = ("import exhaust\nassert exhaust.RunLogger\ntry:\n    exhaust.Store\n"
            "except ImportError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "/nonexistent/libexhaust.so.0" in done.stdout and "EXHAUST_LIBRARY" in done.stdout


def test_real_search_trace(tmp_path):
    data = os.environ.get("EXHAUST_DATA") or os.path.join(ROOT, "..", "shared", "data")
    table = os.path.join(data, "nb201", "archs.csv")
    if not os.path.exists(table):
        pytest.skip(f"real data not found at {data} (../shared/data): skipping the real search")
    trace = str(tmp_path / "search.csv")
    run_cli("search", "--space", "nb201", "--table", table, "--clock", "simulated",
            "--workers", "16", "--candidates", "300", "--seed", "2", "--trace", trace)
    df = exhaust.read_trace(trace, space="nb201")
    pd.testing.assert_frame_equal(df, pd.read_csv(trace))
    assert df.attrs["settings"]["candidates"] == 300 and df.attrs["settings"]["workers"] == 16
    summary = exhaust.analyze(trace, str(tmp_path / "py"), space="nb201")
    run_cli("analyze", trace, "--out", str(tmp_path / "cli"), "--space", "nb201")
    with open(tmp_path / "cli" / "summary.json") as f:
        assert summary == json.load(f)
    assert summary["best_quality"] == df["objective"].max()


def test_pip_install(tmp_path):
    """pip install ./python (offline, Debian's pip) gives a package that
    imports from anywhere with the library copied beside it."""
    if SANITIZED:
        pytest.skip("sanitized build: the install is tested in the normal build")
    pip = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True)
    if pip.returncode != 0:
        pytest.skip("pip is not installed (python3-pip): skipping the install test")
    prefix = tmp_path / "prefix"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-compile", "--no-build-isolation",
                           "--no-deps", "--no-index", "--prefix", str(prefix),
                           os.path.join(ROOT, "python")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    site = [os.path.join(dirpath) for dirpath, dirs, _ in os.walk(prefix) if "exhaust" in dirs]
    assert len(site) == 1, site
    env = {k: v for k, v in os.environ.items() if k not in ("EXHAUST_LIBRARY", "PYTHONPATH")}
    env["PYTHONPATH"] = site[0]
    done = subprocess.run([sys.executable, "-c", "import exhaust; print(exhaust.__version__, "
                           "exhaust._lib.LIBRARY_PATH)"], capture_output=True, text=True,
                          env=env, cwd=str(tmp_path), timeout=60)
    assert done.returncode == 0, done.stderr
    version, library = done.stdout.split()
    assert version == exhaust.__version__ and library.startswith(site[0])
