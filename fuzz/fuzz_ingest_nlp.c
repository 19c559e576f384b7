/* libFuzzer target: the NAS-Bench-NLP parser on both of its files. The input
 * is split at its first NUL byte: runs.csv before, epochs.csv after. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_ingest.h"
#include "logs/ingest_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *split = memchr(data, 0, size);
    size_t runs_size = split ? (size_t)(split - data) : size;
    size_t epochs_size = split ? size - runs_size - 1 : 0;
    char *runs = malloc(runs_size + 1), *epochs = malloc(epochs_size + 1);
    if (runs && epochs) {
        memcpy(runs, data, runs_size);
        runs[runs_size] = '\0';
        memcpy(epochs, split ? split + 1 : data, epochs_size);
        epochs[epochs_size] = '\0';
        exh_ingest_options options = {0};
        exh_ingest_stats stats = {0};
        exh_ingest_parser_context context = {&options, "fuzz-runs.csv", fuzz_discard_run, NULL,
                                         &stats};
        exh_error err;
        ingest_nlp_parse_buffers(runs, runs_size, epochs, epochs_size, "fuzz-epochs.csv",
                                 &context, &err);
    }
    free(runs);
    free(epochs);
    return 0;
}
