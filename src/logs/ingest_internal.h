/*
 * ingest_internal.h — one parser per format, all with the same shape as
 * ingest_parse (see ingest.h); ingest.c dispatches on the format.
 */
#ifndef EXHAUST_INGEST_INTERNAL_H
#define EXHAUST_INGEST_INTERNAL_H

#include "exhaust/ingest.h"

int ingest_parse_jsonl(const char *data, size_t size, ingest_parser_context *c, exh_error *err);
int ingest_parse_csv(const char *data, size_t size, ingest_parser_context *c, exh_error *err);
int ingest_parse_keras_csv(const char *data, size_t size, ingest_parser_context *c,
                           exh_error *err);
int ingest_parse_tfevents(const char *data, size_t size, ingest_parser_context *c,
                          exh_error *err);
int ingest_parse_nb201(const char *data, size_t size, ingest_parser_context *c, exh_error *err);
int ingest_parse_nb201_epochs(const char *data, size_t size, ingest_parser_context *c,
                              exh_error *err);
int ingest_parse_nlp(const char *data, size_t size, ingest_parser_context *c, exh_error *err);

#endif
