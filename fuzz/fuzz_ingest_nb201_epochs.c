/* libFuzzer target: the nb201_epochs parser. */
#include "fuzz_ingest.h"

FUZZ_INGEST_TARGET(EXH_INGEST_NB201_EPOCHS)
