/* testutil.h — small helpers shared by the cmocka tests. */
#ifndef EXHAUST_TESTUTIL_H
#define EXHAUST_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Exit code that CTest reads as "skipped" (SKIP_RETURN_CODE 77). */
#define TEST_SKIP_CODE 77

/* The real data folder (../shared/data), or NULL when absent; tests that need
 * it call test_require_data(), which prints why and exits 77 when it is missing. */
const char *test_data_dir(void);
const char *test_require_data(void);

/* A fresh temporary directory for this test process (removed at exit) and a
 * path inside it. */
const char *test_temp_dir(void);
/* Static buffers, reused after 16 calls: copy a path you keep long. */
char *test_temp_path(const char *name);

/* Write text to a file in the temp dir; returns its path (as test_temp_path). */
char *test_write_file(const char *name, const char *text);

/* How many times needle occurs in text (not overlapping). */
int test_count_of(const char *text, const char *needle);

#endif
