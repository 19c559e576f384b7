/* libFuzzer target: the tfevents parser. */
#include "fuzz_ingest.h"

FUZZ_INGEST_TARGET(EXH_INGEST_TFEVENTS)
