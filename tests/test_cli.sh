#!/usr/bin/env bash
# The exhaust command as a user meets it: help, usage errors and exit codes,
# ingest / runs / show / summary on a small store, output formats.
set -uo pipefail
bin=${EXHAUST_BIN:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
failed=0
pass() { echo "ok: $1"; }
fail() { echo "FAIL: $1"; failed=1; }
expect_status() { # status description command...
  local want=$1 what=$2; shift 2
  "$@" >out.txt 2>err.txt; local got=$?
  if [ "$got" -eq "$want" ]; then pass "$what"; else fail "$what (exit $got, wanted $want)"; cat err.txt; fi
}

expect_status 0 "exhaust --help" "$bin" --help
grep -q "ingest" out.txt && grep -q "search" out.txt || fail "--help lists the commands"
grep -q -- "--version" out.txt || fail "--help lists --version"
expect_status 0 "exhaust --version" "$bin" --version
version=$(sed -n 's/^#define EXH_VERSION "\(.*\)"$/\1/p' "${EXHAUST_SOURCE:?}/include/exhaust/version.h")
[ -n "$version" ] && [ "$(cat out.txt)" = "exhaust $version" ] || fail "--version prints version.h's EXH_VERSION ($version): $(cat out.txt)"
for command in ingest runs show summary search predict rank eval fit-penalties analyze; do
  expect_status 0 "$command --help" "$bin" "$command" --help
  grep -q "usage: exhaust $command" out.txt || fail "$command --help has a usage line"
  grep -q "example" out.txt || fail "$command --help has an example"
done
expect_status 0 "--version" "$bin" --version
grep -q "^exhaust [0-9]" out.txt || fail "--version prints the version: $(cat out.txt)"
expect_status 0 "help show" "$bin" help show
grep -q "usage: exhaust show" out.txt || fail "help CMD prints the command's help"
expect_status 2 "help for an unknown command" "$bin" help frobnicate
expect_status 2 "unknown command" "$bin" frobnicate
grep -q "frobnicate" err.txt && grep -q "summary" err.txt || fail "an unknown command is named and the commands listed"
# MPI evaluates in real time: a simulated clock would be silently ignored.
expect_status 2 "search --mpi --clock simulated is refused" "$bin" search --mpi --clock simulated
grep -q "does not work with --mpi" err.txt || fail "the refusal says why"
expect_status 2 "search --mutate-after takes finished or submitted" "$bin" search --mutate-after never
expect_status 2 "the table evaluator without --table" "$bin" search --candidates 10
grep -q -- "--evaluator table needs --table" err.txt || fail "a missing table names the option: $(cat err.txt)"
expect_status 2 "no command" "$bin"
expect_status 2 "unknown option" "$bin" runs --bogus
grep -q "bogus" err.txt || fail "the unknown option is named"
expect_status 2 "missing option value" "$bin" runs --store
expect_status 2 "bad --format" "$bin" runs --format xml
expect_status 2 "ingest without files" "$bin" ingest
expect_status 1 "runs on a missing store" "$bin" runs --store missing.db
grep -q "missing.db" err.txt || fail "the missing store is named"
[ ! -e missing.db ] || fail "reading commands must not create a store"

cat > runs.jsonl <<'JSON'
{"key": "alpha", "space": "nb201", "arch": "302140", "dataset": "cifar10", "seed": 1, "params": {"lr": "0.1"}, "epochs": [{"epoch": 1, "val_accuracy": 50.5}, {"epoch": 2, "val_accuracy": 91.61, "train_loss": 0.25}]}
{"key": "beta, with comma", "dataset": "cifar100", "epochs": [{"epoch": 1, "val_loss": 2.5}]}
{"key": "broken", "epochs": [{"epoch": "one"}]}
JSON
expect_status 0 "ingest skips a bad record" "$bin" ingest runs.jsonl --store s.db
grep -q "skipped 1 bad record" out.txt || fail "the skip is counted"
grep -q "runs.jsonl: line 3" out.txt || fail "the bad record is named by file and line"
grep -q "1 of the runs have no architecture" err.txt || fail "beta has no architecture: warned"
[ -z "$(grep -v 'no architecture' err.txt)" ] || fail "no progress on stderr when it is not a terminal: $(cat err.txt)"
expect_status 1 "strict ingest fails" "$bin" ingest runs.jsonl --store s2.db --strict
grep -q "as it was before" err.txt || fail "a failed ingest says the store is unchanged"
expect_status 1 "strict ingest into a filled store" "$bin" ingest runs.jsonl --store s.db --strict
expect_status 0 "ingest the same file again" "$bin" ingest runs.jsonl --store s.db
expect_status 0 "runs after ingesting twice" "$bin" runs --store s.db --format csv
[ "$(wc -l < out.txt)" -eq 3 ] || fail "ingesting again replaces by key: $(cat out.txt)"
expect_status 2 "bad --limit" "$bin" runs --store s.db --limit ten
expect_status 0 "runs --limit" "$bin" runs --store s.db --limit 1 --format csv
[ "$(wc -l < out.txt)" -eq 2 ] || fail "--limit 1 prints one run"

expect_status 0 "runs as csv" "$bin" runs --store s.db --format csv
[ "$(head -1 out.txt)" = "id,key,space,dataset,seed,status,epochs,arch" ] || fail "runs csv header"
grep -q '"beta, with comma"' out.txt || fail "csv quotes a key with a comma"
expect_status 0 "runs filtered" "$bin" runs --store s.db --dataset cifar100 --format csv
[ "$(wc -l < out.txt)" -eq 2 ] || fail "--dataset filters"
expect_status 0 "runs as json" "$bin" runs --store s.db --format json
/usr/bin/python3 -c 'import json,sys; rows=json.load(open("out.txt")); assert len(rows)==2 and rows[0]["key"]=="alpha" and rows[1]["seed"] is None' \
  && pass "runs json parses" || fail "runs json parses"
expect_status 0 "show as table" "$bin" show alpha --store s.db
grep -q "arch:.*|nor_conv_3x3~0|" out.txt || fail "show prints the canonical architecture"
grep -q "val_accuracy" out.txt && ! grep -q "test_loss" out.txt || fail "show's table leaves out empty metric columns"
grep -q "param: *lr = 0.1" out.txt || fail "show prints the params"
expect_status 0 "show as json" "$bin" show alpha --store s.db --format json
/usr/bin/python3 -c 'import json; r=json.load(open("out.txt")); e=r["epochs"][1]; assert e["val_accuracy"]==91.61 and e["train_loss"]==0.25 and e["test_loss"] is None and r["params"]=={"lr":"0.1"}' \
  && pass "show json has exact values and nulls" || fail "show json has exact values and nulls"
expect_status 0 "show as csv" "$bin" show alpha --store s.db --format csv
[ "$(head -1 out.txt)" = "epoch,train_accuracy,train_loss,val_accuracy,val_loss,test_accuracy,test_loss,epoch_seconds" ] \
  || fail "show csv has all seven metric columns: $(head -1 out.txt)"
grep -q "^2,,0.25,91.61,,,,$" out.txt || fail "show csv row: $(sed -n 3p out.txt)"
expect_status 1 "show an unknown run" "$bin" show nobody --store s.db
expect_status 2 "show without a run" "$bin" show --store s.db
expect_status 0 "summary" "$bin" summary --store s.db --format csv
grep -q "^total,,,2,3$" out.txt || fail "summary total: $(tail -1 out.txt)"
expect_status 0 "summary as json" "$bin" summary --store s.db --format json
/usr/bin/python3 -c 'import json; g=json.load(open("out.txt")); assert [r["space"] for r in g]==[None,"nb201","total"] and g[-1]["runs"]==2 and g[-1]["epoch_rows"]==3, g' \
  && pass "summary json: missing space is null" || fail "summary json: missing space is null"
expect_status 2 "summary with an argument" "$bin" summary extra --store s.db
printf 'not a database at all, just text\n%.0s' $(seq 200) > text.db
expect_status 1 "summary on a file that is not a store" "$bin" summary --store text.db
grep -q "text.db" err.txt || fail "the bad store is named: $(cat err.txt)"
EXHAUST_STORE=s.db expect_status 0 "EXHAUST_STORE sets the default store" "$bin" runs

# predict / rank / eval on twelve logged NB201 cells: accuracy = 50 + 5 x (number of 3x3 convs)
for cell in 000001 000003 000033 000333 003333 033333 333333 111111 222222 444444 300000 330000; do
  n3=$(echo "$cell" | tr -cd 3 | wc -c)
  echo "{\"key\": \"c$cell\", \"space\": \"nb201\", \"arch\": \"$cell\", \"dataset\": \"toy\", \"epochs\": [{\"epoch\": 1, \"val_accuracy\": $((50 + 5 * n3)), \"epoch_seconds\": 10}]}"
done > cells.jsonl
expect_status 0 "ingest cells" "$bin" ingest cells.jsonl --store p.db
grep -q "no architecture" err.txt && fail "every cell names its architecture: no warning" || true
printf 'epoch,accuracy,val_accuracy\n0,0.5,0.4\n1,0.6,0.5\n' > anonymous.csv
expect_status 0 "ingest a Keras log without --arch" "$bin" ingest anonymous.csv --store anon.db
grep -q "1 of the runs have no architecture" err.txt || fail "a run stored without an architecture is warned about: $(cat err.txt)"
expect_status 0 "predict an unlogged cell" "$bin" predict 333330 --store p.db --dataset toy --k 2 --format csv
# nearest: 333333 (80%, distance 3: none for conv3x3) and 033333 (75%, distance 6):
# inverse-distance weights 2/3 and 1/3 give 78.33
grep -q "^|nor_conv_3x3~0|.*,knn,best,78.3333333333333" out.txt || fail "predict 333330: $(tail -1 out.txt)"
grep -q "c333333 (d=" out.txt || fail "predict shows the neighbours"
expect_status 1 "K larger than the repository" "$bin" predict 333330 --store p.db --dataset toy --k 50
grep -q "50" err.txt || fail "the error names K"
expect_status 1 "a budget below one epoch" "$bin" predict 333330 --store p.db --dataset toy --target budget=5
grep -q "less than one epoch" err.txt || fail "the error says the budget is below one epoch"
printf '# three candidates\n000000\n333330\n\n033330\n' > candidates.txt
expect_status 0 "rank candidates" "$bin" rank candidates.txt --store p.db --dataset toy --top 2 --format csv
[ "$(sed -n 2p out.txt | cut -d, -f1-2)" = "1,|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|none~2|" ] || fail "rank puts 333330 first, ranked 1: $(sed -n 2p out.txt)"
[ "$(head -1 out.txt | cut -d, -f1)" = "rank" ] && [ "$(sed -n 3p out.txt | cut -d, -f1)" = "2" ] || fail "rank prints a rank column"
[ "$(wc -l < out.txt)" -eq 3 ] || fail "rank --top 2 prints two"
expect_status 0 "predict with a trained LSTM" "$bin" predict 333330 000000 --store p.db --dataset toy --method lstm --quick --save-model m.lstm --format csv
cp out.txt lstm1.txt
grep -q "training the LSTM for best on 12 of 12" err.txt || fail "the LSTM says what it trains on: $(cat err.txt)"
grep -q '"target": "best"' m.lstm.json || fail "--save-model describes the model: $(cat m.lstm.json)"
/usr/bin/python3 -c 'import csv; r = list(csv.DictReader(open("lstm1.txt"))); v = [float(x["value"]) for x in r]; assert [x["method"] for x in r] == ["lstm"] * 2 and v[0] > v[1], v' \
  && pass "the LSTM ranks 333330 above 000000" || fail "the LSTM ranks 333330 above 000000: $(cat lstm1.txt)"
expect_status 0 "the same seed trains the same LSTM" "$bin" predict 333330 000000 --store p.db --dataset toy --method lstm --quick --format csv
cmp -s out.txt lstm1.txt || fail "same seed, same LSTM prediction"
expect_status 0 "predict with a saved LSTM, no store" "$bin" predict 333330 000000 --store nowhere.db --method lstm --model m.lstm --format csv
/usr/bin/python3 -c 'import csv; a = [float(r["value"]) for r in csv.DictReader(open("lstm1.txt"))]; b = [float(r["value"]) for r in csv.DictReader(open("out.txt"))]; assert all(abs(x - y) < 1e-4 for x, y in zip(a, b)), (a, b)' \
  && pass "the saved LSTM predicts as the trained one" || fail "the saved LSTM predicts as the trained one"
expect_status 1 "a saved LSTM asked for another target" "$bin" predict 333330 --method lstm --model m.lstm --target overfit
grep -q "trained to predict target best, not overfit" err.txt || fail "the error names both targets: $(cat err.txt)"
expect_status 0 "rank with a saved LSTM" "$bin" rank candidates.txt --method lstm --model m.lstm --top 3 --format csv
[ "$(wc -l < out.txt)" -eq 4 ] || fail "rank --method lstm prints three"
expect_status 2 "--model with --save-model" "$bin" predict 333330 --method lstm --model m.lstm --save-model n.lstm
expect_status 2 "--quick without the LSTM" "$bin" predict 333330 --store p.db --quick
expect_status 0 "predict with the paper's LSTM, kept" "$bin" predict 333330 000000 --store p.db --dataset toy --method lstm --quick --lstm-variant paper --save-model paper.lstm --format csv
cp out.txt paper1.txt
grep -q '"lstm_variant": "paper"' paper.lstm.json || fail "the description names the variant: $(cat paper.lstm.json)"
grep -q "LSTM (paper variant) for best" paper1.txt || fail "the prediction names the variant: $(cat paper1.txt)"
expect_status 0 "predict with the saved paper LSTM" "$bin" predict 333330 000000 --method lstm --model paper.lstm --format csv
cmp -s out.txt paper1.txt || fail "the saved paper LSTM predicts as the trained one"
expect_status 2 "an unknown --lstm-variant" "$bin" predict 333330 --store p.db --method lstm --lstm-variant peephole
grep -q "default or paper, not 'peephole'" err.txt || fail "the error names the variants: $(cat err.txt)"
expect_status 2 "--lstm-variant with --model" "$bin" predict 333330 --method lstm --model paper.lstm --lstm-variant paper
expect_status 2 "--lstm-variant without the LSTM" "$bin" predict 333330 --store p.db --lstm-variant paper
expect_status 2 "eval with an unknown --lstm-variant" "$bin" eval --store p.db --dataset toy --lstm-variant big
expect_status 0 "eval with the paper's LSTM" "$bin" eval --store p.db --dataset toy --models 12 --repeats 1 --top3-repeats 0 --lstm-variant paper
grep -q "^| LSTM paper | " out.txt && ! grep -q "^| LSTM | " out.txt || fail "eval --lstm-variant paper names its row: $(grep LSTM out.txt)"
expect_status 2 "an unknown target" "$bin" predict 333330 --store p.db --target fastest
grep -q "best, overfit, epoch-time, budget=SECONDS" err.txt || fail "the error lists the targets: $(cat err.txt)"
expect_status 0 "eval on the toy store" "$bin" eval --store p.db --dataset toy --models 12 --repeats 2 --top3-repeats 2 --no-lstm --csv eval.csv
grep -q "| 5-NN |" out.txt && grep -q "^5-NN," eval.csv || fail "eval prints markdown and CSV"
expect_status 0 "eval with a training-size table" "$bin" eval --store p.db --dataset toy --models 12 --repeats 1 --top3-repeats 0 --no-lstm --train-sizes 4,8,30 --sizes-csv sizes.csv
grep -q "^| GP |" out.txt && grep -q "n = 30: n/a" out.txt || fail "eval --train-sizes prints the table and says why a size is n/a"
grep -q "^ensemble,8," sizes.csv || fail "eval --sizes-csv writes one row per method and size"
# Conv chains of every depth with the strides where the space puts them:
# by default a layer of the surrounding stride cannot be inserted, and the
# 10-layer chain is 3 edits away; --same-stride-indel 1 makes it 2.
for d in 8 9 10 11 12 13 14 15 16 17 18; do
  for f in 24 36; do
    chain=""
    for i in $(seq 0 $((d - 1))); do
      s=1; { [ "$i" -eq $((d / 3)) ] || [ "$i" -eq $((2 * d / 3)) ]; } && s=2
      chain="$chain${chain:+-}f${f}k3x3s$s"
    done
    echo "{\"key\": \"cc$d-$f\", \"space\": \"convchain\", \"arch\": \"$chain\", \"dataset\": \"toy\", \"epochs\": [{\"epoch\": 1, \"val_accuracy\": $((50 + d))}]}"
  done
done > chains.jsonl
expect_status 0 "ingest conv chains" "$bin" ingest chains.jsonl --store chains.db
query=f36k3x3s1-f24k3x3s1-f24k3x3s1-f24k3x3s2-f24k3x3s1-f24k3x3s1-f24k3x3s1-f24k3x3s2-f24k3x3s1-f24k3x3s1-f24k3x3s1
expect_status 0 "predict a chain" "$bin" predict $query --store chains.db --space convchain --dataset toy --k 2 --format csv
grep -q "cc10-24 (d=3" out.txt || fail "the default same-stride indel: $(cat out.txt)"
expect_status 0 "predict a chain, --same-stride-indel 1" "$bin" predict $query --store chains.db --space convchain --dataset toy --k 2 --format csv --same-stride-indel 1
grep -q "cc10-24 (d=2" out.txt || fail "--same-stride-indel 1: $(cat out.txt)"
expect_status 0 "eval with --same-stride-indel" "$bin" eval --store chains.db --space convchain --dataset toy --models 20 --repeats 1 --top3-repeats 0 --no-lstm --same-stride-indel 1
grep -q "as given (--penalties, --same-stride-indel)" out.txt || fail "eval says which penalties"
expect_status 2 "--same-stride-indel needs a number" "$bin" eval --store chains.db --same-stride-indel soon
"$bin" predict 302140 --store p.db --dataset toy --same-stride-indel 1 > out.txt 2> err.txt && fail "--same-stride-indel on nb201"
grep -q "is a convchain penalty" err.txt || fail "--same-stride-indel on nb201 says why: $(cat err.txt)"
expect_status 2 "training sizes must increase" "$bin" eval --store p.db --train-sizes 8,4
expect_status 2 "--sizes-csv alone" "$bin" eval --store p.db --sizes-csv x.csv
expect_status 0 "fit-penalties" "$bin" fit-penalties --store p.db --dataset toy --k 2 --out fitted.json
grep -q '"kind"' fitted.json || fail "fit-penalties writes a JSON table"
expect_status 0 "predict with fitted penalties" "$bin" predict 333330 --store p.db --dataset toy --k 2 --penalties fitted.json
expect_status 2 "fit-penalties without --out" "$bin" fit-penalties --store p.db
expect_status 0 "search with the predictor evaluator" "$bin" search --evaluator predictor --logs p.db --dataset toy --clock simulated --candidates 40 --population 10 --k 2 --seed 3
grep -q "predictor evaluator: quality = 2-NN" out.txt || fail "the predictor evaluator describes itself"
grep -q "^evaluations: 40 " out.txt || fail "40 predicted evaluations: $(grep evaluations out.txt)"
expect_status 0 "search transferring from logged runs" "$bin" search --evaluator predictor --logs p.db --dataset toy --clock simulated --candidates 20 --population 5 --k 2 --transfer-from any --trace any.csv
python3 -c 'import csv; rows = [r for r in csv.DictReader(l for l in open("any.csv") if not l.startswith("#"))]; assert any(int(r["m:donor_run_id"]) > 0 for r in rows)' \
  && pass "logged runs donate with --transfer-from any" || fail "logged runs donate with --transfer-from any"
expect_status 0 "search without transfer" "$bin" search --evaluator predictor --logs p.db --dataset toy --clock simulated --candidates 12 --population 4 --sample 2 --k 2 --transfer-from none --trace none.csv
grep -q '"transfer_from": *"none"' none.csv.json || fail "the sidecar records --transfer-from none"
python3 -c 'import csv; rows = list(csv.DictReader(open("none.csv"))); assert rows and all(r["m:donor_id"] == "-1" and r["m:prefix_len"] == "0" for r in rows)' \
  && pass "--transfer-from none: no donor, no prefix" || fail "--transfer-from none: no donor, no prefix"
expect_status 2 "--transfer-from takes parent, any or none" "$bin" search --transfer-from all
expect_status 1 "eval on too few models" "$bin" eval --store s.db --dataset cifar10

# analyze a small DeepHyper-style trace
printf 'p:arch_seq,objective,job_id,m:timestamp_gather,m:parent_id,m:prefix_len,m:mutated_position\n"[1, 0, 3]",0.5,0,1,-1,0,-1\n"[1, 0, 2]",0.7,1,2,0,2,2\n"[1, 1, 2]",0.6,2,3,1,1,1\n' > results.csv
expect_status 0 "analyze a trace" "$bin" analyze results.csv --out analysis --population 2 --sample 1
for f in structure.csv trie.dot positions.csv prefix_lengths.csv quality_steps.csv parents.csv summary.json; do
  [ -s "analysis/$f" ] || fail "analyze wrote $f"
done
grep -q "best quality 0.7, reached in 2 steps" out.txt || fail "analyze summary: $(head -1 out.txt)"
expect_status 2 "analyze without --out" "$bin" analyze results.csv
printf 'job_id,p:arch_seq,objective\n1,"[1]",1\n1,"[2]",2\n' > twice.csv
expect_status 1 "analyze a trace with a repeated job id" "$bin" analyze twice.csv --out a2
grep -q "job_id 1 appears more than once" err.txt || fail "the repeated job id is named"

if [ "$failed" -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; exit 1; fi
