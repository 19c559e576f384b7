/* libFuzzer target: the keras_csv parser. */
#include "fuzz_ingest.h"

FUZZ_INGEST_TARGET(EXH_INGEST_KERAS_CSV)
