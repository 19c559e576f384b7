/*
 * ingest_internal.h — one parser per format, all with the same shape as
 * ingest_parse (see ingest.h); ingest.c dispatches on the format.
 */
#ifndef EXHAUST_INGEST_INTERNAL_H
#define EXHAUST_INGEST_INTERNAL_H

#include "exhaust/ingest.h"
#include "util/csv.h"

/* The next CSV record of `path` (the file being read: context->path, or a
 * companion), a CSV fault reported as a bad record: a record with a NUL byte
 * is skipped and reading goes on; an unterminated quote swallows the rest of
 * the file, so reading stops. 1: a record, 0: done, < 0: stop with that error. */
int ingest_csv_next(csv_reader *reader, const char *path, exh_ingest_parser_context *context,
                    exh_error *err);

/* ingest_detect's code for a file another parser reads as a companion
 * (NAS-Bench-NLP's epochs.csv): skipped in folder walks, an error when named. */
#define INGEST_DETECT_COMPANION (-100)

int ingest_parse_jsonl(const char *data, size_t size, exh_ingest_parser_context *c, exh_error *err);
int ingest_parse_csv(const char *data, size_t size, exh_ingest_parser_context *c, exh_error *err);
int ingest_parse_keras_csv(const char *data, size_t size, exh_ingest_parser_context *c,
                           exh_error *err);
int ingest_parse_tfevents(const char *data, size_t size, exh_ingest_parser_context *c,
                          exh_error *err);
int ingest_parse_nb201(const char *data, size_t size, exh_ingest_parser_context *c, exh_error *err);
int ingest_parse_nb201_epochs(const char *data, size_t size, exh_ingest_parser_context *c,
                              exh_error *err);
int ingest_parse_nlp(const char *data, size_t size, exh_ingest_parser_context *c, exh_error *err);
/* The NAS-Bench-NLP parser on both files' contents (ingest_parse_nlp reads
 * epochs.csv from beside runs.csv and calls this; fuzzers call it directly). */
int ingest_nlp_parse_buffers(const char *runs, size_t runs_size, const char *epochs,
                             size_t epochs_size, const char *epochs_path,
                             exh_ingest_parser_context *c, exh_error *err);

#endif
