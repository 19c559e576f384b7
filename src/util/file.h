/* file.h — whole-file reads and small path helpers. */
#ifndef EXHAUST_FILE_H
#define EXHAUST_FILE_H

#include <stddef.h>

#include "exhaust/error.h"

/* Read all of path into a malloc'd buffer with a NUL byte after the data
 * (so text parsers may treat it as a string; size excludes the NUL). */
int file_read_all(const char *path, char **data, size_t *size, exh_error *err);

/* Write dir/name of `path` into out: file_directory("a/b/c.csv") = "a/b",
 * file_directory("c.csv") = ".". Returns 0 or EXH_ERR_INVALID if out is too small. */
int file_directory(const char *path, char *out, size_t size);
/* The part after the last '/'. */
const char *file_basename(const char *path);

#endif
