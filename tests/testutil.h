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
char *test_temp_path(const char *name); /* static buffer, copy if kept */

/* Write text to a file in the temp dir; returns its path (static buffer). */
char *test_write_file(const char *name, const char *text);

#endif
