/* libFuzzer target: the csv parser. */
#include "fuzz_ingest.h"

FUZZ_INGEST_TARGET(EXH_INGEST_CSV)
