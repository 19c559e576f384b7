/* libFuzzer target: the jsonl parser. */
#include "fuzz_ingest.h"

FUZZ_INGEST_TARGET(EXH_INGEST_JSONL)
