#!/usr/bin/env python3
"""Ingest all of ../shared/data with the exhaust CLI, then check the store
against the source files read independently here (csv + sqlite3 only):
every NB201 cell x dataset x seed and the 12-epoch values, the fully logged
cells' curves, all 345 NAS-Bench-NLP runs with their epochs and statuses,
and that `exhaust show` prints a run exactly as its source has it.
Skips (exit 77) when the data is absent."""
import csv, json, math, os, resource, sqlite3, subprocess, sys, tempfile, time

DATA = os.environ.get("EXHAUST_DATA", "")
BIN = os.environ.get("EXHAUST_BIN", "")
failures = 0


def check(condition, message):
    global failures
    if not condition:
        failures += 1
        if failures <= 20:
            print("FAIL:", message)


def value(text):
    """A source cell as the store keeps it: empty and NaN are missing (None)."""
    if text is None or text == "" or (isinstance(text, str) and text.lower() == "nan"):
        return None
    return float(text)


def same(stored, source):
    return stored == value(source) if stored is not None else value(source) is None


def exhaust(*args):
    return subprocess.run([BIN, *args], check=True, capture_output=True, text=True).stdout


def check_nb201(db):
    rows = {r[0]: r[1:] for r in db.execute(
        "SELECT key, dataset, seed, e.epoch, e.val_accuracy, e.test_accuracy FROM runs "
        "JOIN epochs e ON e.run_id = runs.id WHERE key LIKE 'nb201/%'")}
    expected_runs = 0
    with open(os.path.join(DATA, "nb201", "archs.csv")) as f:
        for row in csv.DictReader(f):
            i = row["arch_index"]
            expected_runs += 3  # the three 12-epoch runs
            for prefix, dataset in (("c10valid", "cifar10-valid"), ("c100", "cifar100")):
                logged = 0
                for seed in ("777", "888", "999"):
                    got = rows.get("nb201/%s/200/%s/s%s" % (dataset, i, seed))
                    want = row["%s_val200_s%s" % (prefix, seed)]
                    if value(want) is None:
                        # An empty field is a seed that was not logged: no run, no made-up value.
                        if got is not None:
                            check(False, "nb201 cell %s %s seed %s: not logged, stored as %r"
                                  % (i, dataset, seed, got))
                        continue
                    logged += 1
                    if not got or got[2] != 200 or not same(got[3], want) or got[1] != int(seed):
                        check(False, "nb201 cell %s %s seed %s: %r vs %s" % (i, dataset, seed, got, want))
                check(logged >= 2, "nb201 cell %s %s: %d logged seeds" % (i, dataset, logged))
                expected_runs += logged
            twelve = [("cifar10-valid", "c10valid_val12", None), ("cifar10", None, "c10_test12"),
                      ("cifar100", "c100_val12", "c100_test12")]
            for dataset, val, test in twelve:
                got = rows.get("nb201/%s/12/%s" % (dataset, i))
                if (not got or got[2] != 12 or (val and not same(got[3], row[val]))
                        or (test and not same(got[4], row[test]))):
                    check(False, "nb201 cell %s %s 12 epochs: %r" % (i, dataset, got))
    check(len(rows) == expected_runs, "nb201: %d runs, expected %d" % (len(rows), expected_runs))


def check_full_cells(db):
    with open(os.path.join(DATA, "nb201", "nats-3cells-epochs.csv")) as f:
        rows = list(csv.DictReader(f))
    stored = {(k, e): v for k, e, *v in db.execute(
        "SELECT key, epoch, train_accuracy, train_loss, val_accuracy, val_loss, test_accuracy, "
        "test_loss, epoch_seconds FROM runs JOIN epochs ON run_id = runs.id WHERE key LIKE 'nats/%'")}
    check(len(stored) == len(rows), "nats: %d epoch rows stored, %d in the file" % (len(stored), len(rows)))
    columns = ["train_acc", "train_loss", "val_acc", "val_loss", "test_acc", "test_loss", "train_epoch_time_s"]
    for row in rows:
        key = "nats/%s/%s/%s/s%s" % (row["dataset"], row["hp"], row["arch_index"], row["seed"])
        got = stored.get((key, int(row["epoch"]) + 1))
        if got is None or not all(same(g, row[c]) for g, c in zip(got, columns)):
            check(False, "nats %s epoch %s: %r" % (key, row["epoch"], got))


def check_nlp(db):
    with open(os.path.join(DATA, "nas-bench-nlp", "runs.csv")) as f:
        runs = list(csv.DictReader(f))
    stored = {k: (s, n) for k, s, n in db.execute(
        "SELECT key, status, (SELECT count(*) FROM epochs WHERE run_id = runs.id) FROM runs "
        "WHERE key LIKE 'nlp/%'")}
    check(len(stored) == 345, "nlp: %d runs stored" % len(stored))
    for r in runs:
        key = "nlp/%s/%s" % (r["recipe_id"], r["experiment_id"])
        want = "ok" if r["status"] == "OK" else "failed: " + r["status"]
        got = stored.get(key)
        if got != (want, int(r["epochs_logged"])):
            check(False, "nlp %s: %r, expected %r" % (key, got, (want, r["epochs_logged"])))
    check(sum(1 for s, _ in stored.values() if s == "ok") == 341, "nlp: 341 ok runs")
    epochs = {(k, e): v for k, e, *v in db.execute(
        "SELECT key, epoch, train_loss, val_loss, test_loss, epoch_seconds FROM runs "
        "JOIN epochs ON run_id = runs.id WHERE key LIKE 'nlp/%'")}
    with open(os.path.join(DATA, "nas-bench-nlp", "epochs.csv")) as f:
        for row in csv.DictReader(f):
            key = "nlp/%s/%s" % (row["recipe_id"], row["experiment_id"])
            got = epochs.get((key, int(row["epoch"])))
            want = [row["train_loss"], row["val_loss"], row["test_loss"], row["epoch_wall_time_s"]]
            if got is None or not all(same(g, w) for g, w in zip(got, want)):
                check(False, "nlp %s epoch %s: %r vs %r" % (key, row["epoch"], got, want))


def check_show(store):
    """`exhaust show --format json` prints each value exactly as the source has it."""
    with open(os.path.join(DATA, "nas-bench-nlp", "epochs.csv")) as f:
        first = next(csv.DictReader(f))
    key = "nlp/%s/%s" % (first["recipe_id"], first["experiment_id"])
    shown = json.loads(exhaust("show", key, "--store", store, "--format", "json"))
    check(shown["dataset"] == "wikitext-2" and shown["space"] == "graph", "show: identity of " + key)
    check(same(shown["epochs"][0]["val_loss"], first["val_loss"]), "show: val_loss of " + key)
    check(same(shown["epochs"][0]["epoch_seconds"], first["epoch_wall_time_s"]), "show: time of " + key)
    with open(os.path.join(DATA, "nb201", "archs.csv")) as f:
        row = next(csv.DictReader(f))
    shown = json.loads(exhaust("show", "nb201/cifar100/200/0/s888", "--store", store, "--format", "json"))
    check(same(shown["epochs"][0]["val_accuracy"], row["c100_val200_s888"]), "show: nb201 value")
    check(shown["arch"] == row["arch_str"], "show: nb201 arch string")
    failed = [r for r in exhaust("runs", "--store", store, "--status", "failed: loss is nan!",
                                 "--format", "csv").splitlines()[1:]]
    check(len(failed) == 4, "runs --status: %d failed NLP runs" % len(failed))


def main():
    if not DATA or not os.path.isdir(DATA):
        print("SKIP: real data not found (EXHAUST_DATA=%r); this test needs ../shared/data" % DATA)
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "all.db")
        # CPU time of the child (user + system), not wall time: the limit is
        # about the ingest's own work, which a loaded machine does not change.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.time()
        out = exhaust("ingest", DATA, "--store", store, "--quiet")
        wall = time.time() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(out.strip())
        print("ingest of all real data: %.2f s CPU, %.2f s wall" % (seconds, wall))
        if os.environ.get("EXHAUST_SANITIZED"):
            print("(sanitizer build: the 30 s limit applies to the normal build)")
        else:
            check(seconds < 30, "ingest took %.1f s of CPU, the limit is 30 s" % seconds)
        db = sqlite3.connect(store)
        check_nb201(db)
        check_full_cells(db)
        check_nlp(db)
        check_show(store)
        db.close()
    print("%d passed, %d failed" % (1 if failures == 0 else 0, 1 if failures else 0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
