# exhaust — the two commands a newcomer needs:
#   make run    install what is missing, build, run the main job on ../shared/data
#   make test   build and run the whole test suite (ctest)
# and a few more for developers: make asan-test, make fuzz, make clean.

BUILD     ?= build
DATA      ?= ../shared/data
OUT       ?= out
STORE     ?= $(OUT)/exhaust.db
JOBS      ?= 2
# Warnings are errors in CI (CI=true) and for developers who ask (WERROR=ON).
WERROR    ?= $(if $(CI),ON,OFF)
GENERATOR := $(if $(shell command -v ninja 2>/dev/null),-G Ninja,)
FUZZ_SECONDS ?= 10

.PHONY: all deps build run test asan-test fuzz clean fmnist-logs fmnist-search install

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(GENERATOR) -DEXHAUST_WERROR=$(WERROR) >/dev/null

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The main job: the whole pipeline on the real data. So far: ingest every log
# in $(DATA) into one store and summarise it; evaluate the predictors on
# NAS-Bench-201 and NAS-Bench-NLP; then a regularized-evolution search over
# NAS-Bench-201 (simulated clock, 64 workers) with its trace, and its analysis.
run: deps build
	@mkdir -p $(OUT)
	./$(BUILD)/exhaust ingest $(DATA) --store $(STORE)
	./$(BUILD)/exhaust summary --store $(STORE)
	./$(BUILD)/exhaust eval --store $(STORE) --space nb201 --dataset cifar10-valid \
	  --csv $(OUT)/eval-nb201.csv
	./$(BUILD)/exhaust eval --store $(STORE) --space graph --dataset wikitext-2 \
	  --csv $(OUT)/eval-nlp.csv
	./$(BUILD)/exhaust eval --store $(STORE) --space graph --dataset wikitext-2 \
	  --partial-epochs 5 --top3-repeats 0 --csv $(OUT)/eval-nlp-partial5.csv
	./$(BUILD)/exhaust search --space nb201 --evaluator table --table $(DATA)/nb201/archs.csv \
	  --clock simulated --workers 64 --population 100 --sample 5 --candidates 1000 --seed 1 \
	  --trace $(OUT)/search-nb201.csv
	./$(BUILD)/exhaust analyze $(OUT)/search-nb201.csv --space nb201 --out $(OUT)/analysis

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# Headers, libexhaust.so/.a, the exhaust command, exhaust.pc and the CMake
# package under PREFIX (examples/c/ builds against them with pkg-config).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# Real training logs: FMNIST_COUNT random conv-chain architectures trained on
# Fashion-MNIST (one thread, nice 10), one exhaust JSONL file per model in
# data/fmnist-convchain/runs/. Resumable: rerunning skips the models already logged.
FMNIST_COUNT ?= 200
FMNIST_SEED  ?= 1
fmnist-logs:
	nice -n 10 env OMP_NUM_THREADS=1 /usr/bin/python3 examples/fmnist/train_many.py \
	  --count $(FMNIST_COUNT) --seed $(FMNIST_SEED) --out data/fmnist-convchain

# The real search on Fashion-MNIST four ways (no transfer, from the parent, from
# any, screening) on 3 seeds, interleaved, each with its own repository and the
# live fast tier: ~70 min on 2 loaded cores. Resumable (finished searches are
# skipped); results in data/fmnist-search/results.md.
fmnist-search: build
	nice -n 10 env OMP_NUM_THREADS=1 /usr/bin/python3 examples/fmnist/search_compare.py \
	  --out data/fmnist-search --exhaust $(BUILD)/exhaust

# The same tests built by clang with AddressSanitizer and UndefinedBehaviorSanitizer
# (float-cast-overflow included); any report aborts the test that triggers it.
SAN_CC ?= clang
asan-test:
	cmake -S . -B $(BUILD)-asan $(GENERATOR) -DEXHAUST_WERROR=$(WERROR) \
	  -DCMAKE_C_COMPILER=$(SAN_CC) -DEXHAUST_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(BUILD)-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD)-asan --output-on-failure -j $(JOBS)

# Every parser's libFuzzer target, briefly (FUZZ_SECONDS each), from its seeds.
fuzz:
	cmake -S . -B $(BUILD)-fuzz $(GENERATOR) -DCMAKE_C_COMPILER=clang -DEXHAUST_FUZZ=ON \
	  -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(BUILD)-fuzz -j $(JOBS)
	bash fuzz/run.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz $(OUT)
