/*
 * fuzz_ingest.h — the shared body of the per-format libFuzzer targets: feed
 * the input to one parser with a sink that keeps nothing. Any crash, leak or
 * undefined behaviour the sanitizers see is a bug.
 */
#ifndef EXHAUST_FUZZ_INGEST_H
#define EXHAUST_FUZZ_INGEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/ingest.h"
#include "exhaust/run.h"

static inline int fuzz_discard_run(exh_run *r, void *context, exh_error *err)
{
    (void)r;
    (void)context;
    (void)err;
    return 0;
}

static inline int fuzz_ingest(exh_ingest_format format, const uint8_t *data, size_t size, int strict)
{
    /* Parsers get what file_read_all gives them: the bytes plus a NUL. */
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    exh_ingest_options options = {0};
    options.format = format;
    options.strict = strict;
    options.space = "nb201";
    exh_ingest_stats stats = {0};
    exh_ingest_parser_context context = {
        .options = &options,
        .path = "fuzz-input",
        .sink = fuzz_discard_run,
        .sink_context = NULL,
        .stats = &stats,
    };
    exh_error err;
    exh_ingest_parse(format, copy, size, &context, &err);
    free(copy);
    return 0;
}

#define FUZZ_INGEST_TARGET(format)                                              \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);               \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                \
    {                                                                           \
        /* The first byte chooses strict or lenient mode: both paths matter. */ \
        if (size == 0)                                                          \
            return 0;                                                           \
        return fuzz_ingest(format, data + 1, size - 1, data[0] & 1);            \
    }

#endif
