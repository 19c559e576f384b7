/*
 * csv.h — an RFC 4180 CSV reader over a buffer in memory.
 *
 * Quoted fields may hold commas, doubled quotes and newlines; \r\n and \n both
 * end records. The reader never allocates per field: fields point into a
 * buffer the reader owns, valid until the next csv_next call.
 *
 *     csv_reader reader;
 *     csv_open(&reader, data, size);
 *     while ((rc = csv_next(&reader, &err)) > 0) {
 *         for (int i = 0; i < reader.field_count; i++) use(reader.fields[i]);
 *         // reader.line is the 1-based line the record started on
 *     }
 *     csv_close(&reader);   // rc == 0: end of input, rc < 0: err says why
 */
#ifndef EXHAUST_CSV_H
#define EXHAUST_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "exhaust/error.h"

typedef struct csv_reader {
    const char *data;
    size_t size, offset;
    long line;            /* line where the current record starts (1-based) */
    long next_line;
    int field_count;
    char **fields;        /* field_count NUL-terminated strings */
    size_t *field_lengths;
    /* private */
    char *buffer;
    size_t buffer_capacity;
    int field_capacity;
    /* After csv_next failed: 1 when only that record was bad (a NUL byte in
     * it) and reading may go on with the next one, 0 when the rest of the
     * input is unusable (an unterminated quote swallowed it). */
    int resumable;
} csv_reader;

void csv_open(csv_reader *reader, const char *data, size_t size);
/* Read the next record: 1 when one was read, 0 at end of input, < 0 on an
 * unterminated quote or a NUL byte inside the record (err names the line;
 * reader->resumable says whether the next call may go on). A NUL is an error
 * rather than data: fields are C strings, and "63\0.364" would otherwise read
 * as 63. Blank lines are skipped. */
int csv_next(csv_reader *reader, exh_error *err);
void csv_close(csv_reader *reader);

/* Index of the column named `name` in the current record (a header), or -1. */
int csv_column(const csv_reader *reader, const char *name);

/* Field parsers for CSV and similar text. Each returns 0, or EXH_ERR_PARSE
 * when the text is not entirely a number (surrounding blanks allowed).
 * csv_parse_double maps "", "nan", "NaN", "NA", "null", "None" to NAN and
 * refuses "inf", "infinity" and values past DBL_MAX: no log format exhaust
 * reads can carry an infinite metric (JSON cannot), so all formats agree. */
int csv_parse_double(const char *text, double *out);
int csv_parse_long(const char *text, long long *out);

/* Write text as one CSV field (RFC 4180): quoted, with quotes doubled, when
 * it holds a comma, a quote or a line break; as it is otherwise. */
void csv_write_field(FILE *out, const char *text);

#endif
