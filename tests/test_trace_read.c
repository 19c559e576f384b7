/* test_trace_read.c — big traces are parsed in two halves at once; the
 * result must be the sequential one: every record, in order, and a bad line
 * in the second half named by its true line number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/trace.h"
#include "testutil.h"

enum { RECORDS = 120000 }; /* about 12 MB: over the two-halves threshold */

static char *write_trace(const char *name, long bad_line)
{
    char *path = test_temp_path(name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "# a comment line\n");
    fprintf(f, "job_id,p:arch_seq,objective,m:timestamp_start,m:timestamp_gather,m:worker,"
               "m:parent_id,m:prefix_len,m:mutated_position,m:status,m:padding\n");
    for (long i = 0; i < RECORDS; i++) {
        long line = i + 3; /* comment and header come first */
        if (line == bad_line)
            fprintf(f, "%ld,\"[1, 2, x]\",0.5,0,1,0,-1,0,-1,ok,pad\n", i);
        else
            fprintf(f, "%ld,\"[%ld, %ld, %ld]\",%ld.25,%ld,%ld,%ld,%ld,%ld,%ld,ok,"
                       "padding-to-make-the-file-bigger\n",
                    i, i % 5, i % 7, i % 3, i % 100, i, i + 1, i % 64, i - 1, i % 4, i % 3);
    }
    fclose(f);
    return path;
}

static void test_halves_match_the_file(void **state)
{
    (void)state;
    char path[4096];
    strcpy(path, write_trace("big.csv", -1));
    trace_record *r = NULL;
    int64_t n = 0;
    exh_error err;
    assert_int_equal(trace_read(path, NULL, 0, &r, &n, &err), 0);
    assert_int_equal(n, RECORDS);
    for (long i = 0; i < RECORDS; i++) {
        if (r[i].job_id != i || r[i].architecture.length != 3 ||
            r[i].architecture.token[0] != i % 5 || r[i].architecture.token[2] != i % 3 ||
            r[i].quality != (double)(i % 100) + 0.25 || r[i].worker != i % 64 ||
            r[i].parent_id != i - 1 || r[i].prefix_length != i % 4)
            fail_msg("record %ld differs", i);
    }
    free(r);
}

static void test_bad_line_in_second_half(void **state)
{
    (void)state;
    long bad = RECORDS - 10; /* near the end: in the second half */
    char path[4096];
    strcpy(path, write_trace("bad.csv", bad));
    trace_record *r = NULL;
    int64_t n = 0;
    exh_error err;
    assert_true(trace_read(path, NULL, 0, &r, &n, &err) < 0);
    char expected[64];
    snprintf(expected, sizeof expected, "line %ld", bad);
    if (!strstr(err.message, expected))
        fail_msg("'%s' does not name %s", err.message, expected);
    assert_null(r);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_halves_match_the_file),
        cmocka_unit_test(test_bad_line_in_second_half),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
