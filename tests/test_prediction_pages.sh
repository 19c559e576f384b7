#!/usr/bin/env bash
# exhaust predict --curve / --out DIR: the predicted curve per epoch beside
# each neighbour's, checked independently (pandas: the prediction is the
# weighted mean of the neighbours' curves at every epoch, the weights sum to
# 1, the nearest come first), and the page opened in headless Chromium.
# exhaust eval --out DIR: every test prediction per method and split in
# predictions.csv (its errors agree with eval.csv's table), and the page.
set -euo pipefail
bin=${EXHAUST_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3

# Ten NB201 cells with 5-epoch curves: accuracy rises with the epoch and
# with the number of 3x3 convolutions; the train curve runs 2 above.
for cell in 000001 000003 000033 000333 003333 033333 333333 111111 222222 444444; do
  n3=$(echo "$cell" | tr -cd 3 | wc -c)
  epochs=""
  for e in 1 2 3 4 5; do
    v=$((40 + 5 * n3 + 4 * e))
    epochs="$epochs${epochs:+, }{\"epoch\": $e, \"val_accuracy\": $v, \"train_accuracy\": $((v + 2))}"
  done
  echo "{\"key\": \"c$cell\", \"space\": \"nb201\", \"arch\": \"$cell\", \"dataset\": \"toy\", \"epochs\": [$epochs]}"
done > cells.jsonl
"$bin" ingest cells.jsonl --store c.db > /dev/null

"$bin" predict 033330 300000 --store c.db --dataset toy --k 3 --curve --format csv > rows.csv ||
  fail "predict --curve"
"$py" - rows.csv <<'EOF' || fail "the curve rows"
import sys
import pandas as pd
rows = pd.read_csv(sys.argv[1])
assert list(rows.columns) == ["arch", "series", "model", "distance", "weight", "epoch",
                              "validation", "train"], list(rows.columns)
assert rows["arch"].nunique() == 2
for arch, group in rows.groupby("arch"):
    predicted = group[group.series == "predicted"].set_index("epoch")
    neighbours = group[group.series == "neighbour"]
    assert list(predicted.index) == [1, 2, 3, 4, 5], arch
    assert neighbours.model.nunique() == 3, arch
    weights = neighbours.groupby("model").weight.first()
    assert abs(weights.sum() - 1) < 1e-9, weights
    distances = neighbours.drop_duplicates("model").distance.tolist()
    assert distances == sorted(distances), distances  # nearest first
    for epoch, row in predicted.iterrows():
        at = neighbours[neighbours.epoch == epoch]
        mean = (at.validation * at.weight).sum()
        assert abs(mean - row.validation) < 1e-6, (arch, epoch, mean, row.validation)
        assert abs(row.train - row.validation - 2) < 1e-6, (arch, epoch)
print("curve rows: predicted = weighted mean of neighbours at every epoch")
EOF

"$bin" predict 033330 --store c.db --dataset toy --k 3 --out page > table.txt ||
  fail "predict --out"
grep -q "neighbours" table.txt || fail "--out without --curve still prints the table"
[ -s page/index.html ] && [ -s page/curves.csv ] || fail "--out writes index.html and curves.csv"
rc=0
"$bin" predict 033330 --store c.db --dataset toy --method lstm --curve > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--curve with the LSTM is a usage error (exit $rc)"

rc=0
"$py" "$here/browser_check.py" page/index.html --screenshot shot.png --min-charts 1 \
  --expect-selector '#arch-1' --expect-selector table || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || fail "the page in Chromium"
"$bin" eval --store c.db --dataset toy --models 10 --repeats 2 --top3-repeats 0 --no-lstm \
  --out evalpage > eval.txt || fail "eval --out"
"$py" - evalpage <<'EOF' || fail "eval --out files"
import sys
import pandas as pd
folder = sys.argv[1]
predictions = pd.read_csv(folder + "/predictions.csv")
table = pd.read_csv(folder + "/eval.csv").set_index("method")
# 10 models a split, 3:1:1 -> 2 test models, 2 splits: 4 rows per method.
counts = predictions.groupby("method").size()
assert (counts == 4).all(), counts
assert set(counts.index) == {"baseline1", "baseline2", "1-NN", "3-NN", "5-NN", "GP"}, counts
# The table's error is the mean over splits of each split's mean |error|.
predictions["error"] = (predictions.predicted_best - predictions.true_best).abs()
for method, rows in predictions.groupby("method"):
    per_split = rows.groupby("repeat").error.mean().mean()
    assert abs(per_split - table.loc[method, "best_error_mean"]) < 1e-4, (method, per_split)
print("eval --out: predictions.csv agrees with eval.csv")
EOF
rc=0
"$py" "$here/browser_check.py" evalpage/index.html --screenshot eval.png --min-charts 7 \
  --expect-selector '#scatter' --expect-selector '#curves' || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || fail "the evaluation page in Chromium"
echo "1 passed, 0 failed"
