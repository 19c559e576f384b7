/*
 * ingest.h — reading training logs into the store.
 *
 * Formats (docs/formats.md describes each with an example):
 *   jsonl        exhaust's own: one run per line
 *   csv          exhaust's own long CSV: one row per run x epoch
 *   keras-csv    Keras CSVLogger output; the architecture comes from options
 *                or a sidecar file
 *   tfevents     TensorBoard event files (TFRecord + Event protobufs)
 *   nb201        NAS-Bench-201 archs.csv (15,625 cells, per-seed 200-epoch and
 *                12-epoch accuracies)
 *   nb201-epochs NATS-Bench per-epoch records (nats-3cells-epochs.csv)
 *   nlp          NAS-Bench-NLP runs.csv (+ epochs.csv beside it)
 * EXH_INGEST_AUTO detects the format from the file name and first line.
 *
 * Bad records: by default a malformed record is skipped, counted, and its
 * message (naming file and line, or byte offset) kept in the stats; with
 * `strict` the first one stops the ingest. Either way an ingest that fails
 * leaves the store exactly as before: all files go in one transaction.
 */
#ifndef EXHAUST_INGEST_H
#define EXHAUST_INGEST_H

#include "exhaust/export.h"

#include <stddef.h>
#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/run.h"
#include "exhaust/store.h"

typedef enum exh_ingest_format {
    EXH_INGEST_AUTO = 0,
    EXH_INGEST_JSONL,
    EXH_INGEST_CSV,
    EXH_INGEST_KERAS_CSV,
    EXH_INGEST_TFEVENTS,
    EXH_INGEST_NB201,
    EXH_INGEST_NB201_EPOCHS,
    EXH_INGEST_NLP,
} exh_ingest_format;

EXH_API const char *exh_ingest_format_name(exh_ingest_format f);
/* Parse a --format value; returns 0, or EXH_ERR_INVALID for an unknown name. */
EXH_API int exh_ingest_format_parse(const char *name, exh_ingest_format *out, exh_error *err);

typedef struct exh_ingest_options {
    exh_ingest_format format;
    int strict;
    /* For formats whose files do not say what was trained (keras-csv,
     * tfevents): applied to every run read; a sidecar overrides them. */
    const char *space;
    const char *arch;
    const char *dataset;
    const char *run_key;  /* key for a single-run file; default from the path */
    /* TensorBoard tag -> metric mapping, "metric=tag1|tag2,metric=..." added in
     * front of the defaults (see ingest_tfevents.c). NULL: defaults only. */
    const char *tag_map;
    /* Called after each file (may be NULL), for progress output. */
    void (*progress)(const char *path, int64_t runs_so_far, void *context);
    void *progress_context;
} exh_ingest_options;

#define EXH_INGEST_MESSAGES_KEPT 20

typedef struct exh_ingest_stats {
    int64_t files;
    int64_t runs;
    int64_t epochs;
    int64_t skipped;      /* bad records skipped (non-strict) */
    int64_t without_arch; /* runs stored with no architecture (no --arch, no sidecar):
                             prediction and search cannot use them */
    int message_count;    /* first EXH_INGEST_MESSAGES_KEPT skip messages */
    char messages[EXH_INGEST_MESSAGES_KEPT][EXH_ERROR_MESSAGE_SIZE];
} exh_ingest_stats;

/* Ingest files (a directory is walked for files in a known format) in one
 * transaction. On error nothing is stored and err names the file and place. */
EXH_API int exh_ingest_paths(exh_store *s, const char *const *paths, int path_count,
                             const exh_ingest_options *options, exh_ingest_stats *stats, exh_error *err);

/* Decide a file's format from its name and first bytes. */
EXH_API int exh_ingest_detect(const char *path, const char *head, size_t head_size, exh_ingest_format *out,
                              exh_error *err);

/*
 * The parsers, callable without a store (tests, fuzzers): each reads `data`
 * (size bytes, the contents of `path`, which is used for messages and
 * defaults only) and hands every complete run to `sink`. A sink returning < 0
 * stops the parser with that code.
 */
typedef int (*exh_run_sink)(exh_run *r, void *context, exh_error *err);

typedef struct exh_ingest_parser_context {
    const exh_ingest_options *options;
    const char *path;
    exh_run_sink sink;
    void *sink_context;
    exh_ingest_stats *stats;
} exh_ingest_parser_context;

EXH_API int exh_ingest_parse(exh_ingest_format format, const char *data, size_t size,
                             exh_ingest_parser_context *context, exh_error *err);

/* For parsers: report a bad record. In strict mode this returns the error
 * (the parser must stop and return it); otherwise it counts the skip, keeps
 * the message and returns 0 (the parser goes on with the next record). */
EXH_API int exh_ingest_bad_record(exh_ingest_parser_context *context, exh_error *err, int code,
                                  const char *format, ...) __attribute__((format(printf, 4, 5)));

#endif
