/* libFuzzer target: the nb201_epochs parser. */
#include "fuzz_ingest.h"

FUZZ_INGEST_TARGET(INGEST_NB201_EPOCHS)
