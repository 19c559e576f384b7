"""examples/fmnist/search_report.py on a hand-made folder of three searches
(none, parent, screen; seed 1) and a seed cut short (seed 2: parent done, none
not): every figure below
was worked out by hand from the fixture, so the aggregation of the real
search (data/fmnist-search/results.md) cannot rot."""

import json
import math
import os
import sys

import pandas as pd
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "fmnist"))

import search_report  # noqa: E402

COLUMNS = ["job_id", "p:arch_seq", "objective", "m:timestamp_gather", "m:parent_id",
           "m:donor_id", "m:prefix_len", "m:status", "m:cost"]
# job, objective, gather, parent, donor, prefix, status
TRACES = {
    "s1-none": [  # written out of finishing order: the report sorts by gather time
        (1, 60, 20, -1, -1, 0, "ok"), (0, 50, 10, -1, -1, 0, "ok"),
        (2, 55, 30, 1, -1, 0, "ok"), (3, 70, 40, 1, -1, 0, "ok")],
    "s1-parent": [
        (0, 52, 8, -1, -1, 0, "ok"), (1, 58, 16, -1, -1, 0, "ok"),
        (2, 71, 24, 1, 1, 12, "ok"), (3, None, 30, 2, 2, 3, "failed")],
    "s1-screen": [
        (0, 40, 12, -1, -1, 0, "ok"), (1, 45, 25, -1, -1, 0, "ok"),
        (2, 65, 35, 1, -1, 0, "ok"), (3, 69, 50, 1, -1, 0, "ok")],
}
WALL = {"s1-none": 40.0, "s1-parent": 30.0, "s1-screen": 50.0}


def write_run(folder, name, records, complete=True):
    run = folder / name
    (run / "analysis").mkdir(parents=True)
    rows = [(j, "[0, 1]", obj, g, p, d, n, st, 1.0) for j, obj, g, p, d, n, st in records]
    pd.DataFrame(rows, columns=COLUMNS).to_csv(run / "trace.csv", index=False)
    (run / "run.json").write_text(json.dumps(
        {"complete": complete, "wall_seconds": WALL.get(name, 1.0), "cpu_seconds": 9.0}))
    (run / "analysis" / "summary.json").write_text(json.dumps(
        {"repo_measured": {"fast_hits": 1, "store_reads": 3, "fast_hit_rate": 0.25}}))
    (run / "analysis" / "caches.csv").write_text(
        "capacity_bytes,scope,policy,hit_rate\n1048576,shared,lru,1\n100,per-worker,lru,0.1\n"
        "100,shared,lfu,0.3\n100,shared,lru,0.4\n")
    (run / "repo-stats.txt").write_text(
        "models  bytes_stored  bytes_one_file_per_model\n4       1000          1500\n")
    (run / "search.log").write_text("fast tier: the coordinator's cache: 3 hits, 1 misses, "
                                    "0 evictions, 10 bytes copied in\n")
    (run / "runs.jsonl").write_text(
        json.dumps({"epochs": [{"epoch_seconds": 1.0}, {"epoch_seconds": 2.0}]}) + "\n" +
        json.dumps({"epochs": [{"epoch_seconds": 3.0}]}) + "\n")


@pytest.fixture
def results(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"settings": {"cache_policy": "lru"}}))
    for name, records in TRACES.items():
        write_run(tmp_path, name, records)
    write_run(tmp_path, "s2-none", TRACES["s1-none"][:1], complete=False)
    write_run(tmp_path, "s2-parent", TRACES["s1-parent"])  # complete, but its seed is not
    assert search_report.main(["--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "results.csv").set_index("run")
    return table, (tmp_path / "results.md").read_text()


def test_best_found_by_shares_of_the_slowest_search(results):
    table, _ = results
    # slowest: 50 s, so the points are 12.5, 25, 37.5 and 50 s; the failed record never counts
    expected = {"s1-none": (50, 60, 60, 70), "s1-parent": (52, 71, 71, 71),
                "s1-screen": (40, 45, 65, 69)}
    for run, best in expected.items():
        got = tuple(table.loc[run, f"best_at_{p}"] for p in (25, 50, 75, 100))
        assert got == best, run
    assert table.loc["s1-parent", "best"] == 71 and table.loc["s1-parent", "failed"] == 1
    # after 1, 2, 3, 4 of the 4 evaluations (finishing order; the failed one is the 4th)
    after = {"s1-none": (50, 60, 60, 70), "s1-parent": (52, 58, 71, 71)}
    for run, best in after.items():
        assert tuple(table.loc[run, f"best_after_{p}"] for p in (25, 50, 75, 100)) == best, run


def test_differences_from_the_same_seed_without_transfer(results):
    table, _ = results
    assert table.loc["s1-parent", "best_minus_none"] == 1  # 71 - 70
    assert table.loc["s1-screen", "best_minus_none"] == -1  # 69 - 70
    assert table.loc["s1-parent", "wall_seconds_minus_none"] == -10  # 30 - 40
    assert table.loc["s1-none", "cpu_seconds_minus_none"] == 0


def test_transfer_figures(results):
    table, _ = results
    parent = table.loc["s1-parent"]
    assert parent["children"] == 2 and parent["received_share"] == 1.0
    assert parent["prefix_positions"] == 7.5  # (12 + 3) / 2
    assert parent["prefix_layers"] == 1.0  # 12 // 5 = 2 whole layers, 3 // 5 = 0
    none = table.loc["s1-none"]
    assert none["children"] == 2 and none["received_share"] == 0 and none["prefix_layers"] == 0
    assert parent["measured_hit_rate"] == 0.25 and parent["tensors_read"] == 4
    assert parent["coordinator_hit_rate"] == 0.75  # 3 hits, 1 miss
    assert parent["simulated_hit_rate"] == 0.4  # shared LRU at the smallest capacity
    assert parent["bytes_stored"] == 1000 and parent["bytes_one_file_per_model"] == 1500
    assert parent["train_seconds"] == 3.0  # (1 + 2 + 3) / 2 models
    assert parent["wall_seconds"] == 30.0 and parent["cpu_seconds"] == 9.0


def test_reaching_the_no_transfer_best(results):
    table, _ = results
    assert (table["none_best"] == 70).all()
    assert table.loc["s1-none", "evals_to_none_best"] == 4  # in finishing order
    assert table.loc["s1-none", "seconds_to_none_best"] == 40
    assert table.loc["s1-parent", "evals_to_none_best"] == 3
    assert table.loc["s1-parent", "seconds_to_none_best"] == 24
    assert table.loc["s1-screen", "reached_none_best"] == 0
    assert math.isnan(table.loc["s1-screen", "evals_to_none_best"])


def test_partial_searches_are_left_out_and_named(results):
    table, md = results
    assert len(table) == 3 and (table["seed"] == 1).all()
    assert "left out (their seed is not complete in every arm): s2-none, s2-parent" in md
    assert "| screen | 1 | 70.0 | 69.0 | 0 | - | - |" in md


def test_spread_over_seeds():
    assert search_report.spread([1.0, 2.0, 3.0]) == "2 (1..3)"
    assert search_report.spread([math.nan, 70.0]) == "70.0"
    assert search_report.spread([]) == "-"
    assert search_report.spread([1000.0, 3000.0]) == "2,000 (1,000..3,000)"
