/* file.h — whole-file reads and small path helpers. */
#ifndef EXHAUST_FILE_H
#define EXHAUST_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "exhaust/error.h"

/* Read all of path into a malloc'd buffer with a NUL byte after the data
 * (so text parsers may treat it as a string; size excludes the NUL). */
int file_read_all(const char *path, char **data, size_t *size, exh_error *err);

/* file_read_all for small files a name may point anywhere (a space
 * description): only a regular file of at most `limit` bytes; /dev/zero or
 * a FIFO is refused rather than read until memory runs out. */
int file_read_limited(const char *path, size_t limit, char **data, size_t *size,
                      exh_error *err);

/* fopen(path, mode) for writing ("w", "wb") that never follows a symbolic
 * link at path (O_NOFOLLOW: a link planted at DIR/index.html must not make
 * a report overwrite what it points to) and is closed on exec. NULL with
 * errno set (ELOOP for a link) on failure. */
FILE *file_create(const char *path, const char *mode);

/* Write dir/name of `path` into out: file_directory("a/b/c.csv") = "a/b",
 * file_directory("c.csv") = ".". Returns 0 or EXH_ERR_INVALID if out is too small. */
int file_directory(const char *path, char *out, size_t size);
/* The part after the last '/'. */
const char *file_basename(const char *path);

#endif
