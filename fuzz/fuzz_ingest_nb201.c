/* libFuzzer target: the nb201 parser. */
#include "fuzz_ingest.h"

FUZZ_INGEST_TARGET(INGEST_NB201)
