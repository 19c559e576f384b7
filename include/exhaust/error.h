/*
 * error.h — how every exhaust library function reports failure.
 *
 * A function that can fail returns an int: 0 (EXH_OK) on success, one of the
 * negative EXH_ERR_* codes otherwise, and fills the exh_error the caller passed
 * (which may be NULL when the caller does not care) with a message that names
 * the input: "runs.csv:17: column 'epoch' is not an integer". The library never
 * prints and never exits; the CLI prints err.message and picks the exit status.
 */
#ifndef EXHAUST_ERROR_H
#define EXHAUST_ERROR_H

#include "exhaust/export.h"

#include <stddef.h>

enum {
    EXH_OK = 0,
    EXH_ERR_IO = -1,        /* a file could not be opened, read or written */
    EXH_ERR_PARSE = -2,     /* malformed input: a line, record or field */
    EXH_ERR_INVALID = -3,   /* well-formed but not allowed (bad argument, out of range) */
    EXH_ERR_NOMEM = -4,     /* an allocation failed */
    EXH_ERR_STORE = -5,     /* SQLite reported an error */
    EXH_ERR_NOT_FOUND = -6, /* a run, file or name does not exist */
    EXH_ERR_CORRUPT = -7,   /* a checksum or framing check failed */
    EXH_ERR_INTERRUPTED = -8, /* stopped by a signal (SIGINT, SIGTERM) */
};

#define EXH_ERROR_MESSAGE_SIZE 512

typedef struct exh_error {
    int code;
    char message[EXH_ERROR_MESSAGE_SIZE];
} exh_error;

/* Fill err (if not NULL) with code and a printf-style message; returns code,
 * so a failing path can say `return exh_error_set(err, EXH_ERR_PARSE, ...)`. */
EXH_API int exh_error_set(exh_error *err, int code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Put "prefix: " in front of the message already in err (e.g. the file name
 * when a lower layer only knew the line). Returns err->code. */
EXH_API int exh_error_prefix(exh_error *err, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset err to "no error". */
EXH_API void exh_error_clear(exh_error *err);

/* A short name for a code: "parse error", "I/O error", ... */
EXH_API const char *exh_error_code_name(int code);

#endif
