/* libFuzzer target: the csv parser. */
#include "fuzz_ingest.h"

FUZZ_INGEST_TARGET(INGEST_CSV)
