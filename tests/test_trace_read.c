/* test_trace_read.c — big traces are parsed in two halves at once; the
 * result must be the sequential one: every record, in order, and a bad line
 * in the second half named by its true line number. And the writer's side:
 * sidecar, lock, shortest doubles, torn tails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "exhaust/store.h"
#include "exhaust/trace.h"
#include "testutil.h"
#include "trace_record_make.h"

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
    exh_trace_record *r = NULL;
    int64_t n = 0;
    exh_error err;
    assert_int_equal(exh_trace_read(path, NULL, 0, &r, &n, &err), 0);
    assert_int_equal(n, RECORDS);
    for (long i = 0; i < RECORDS; i++) {
        if (r[i].job_id != i || r[i].arch_length != 3 ||
            r[i].arch_token[0] != i % 5 || r[i].arch_token[2] != i % 3 ||
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
    exh_trace_record *r = NULL;
    int64_t n = 0;
    exh_error err;
    assert_true(exh_trace_read(path, NULL, 0, &r, &n, &err) < 0);
    char expected[64];
    snprintf(expected, sizeof expected, "line %ld", bad);
    if (!strstr(err.message, expected))
        fail_msg("'%s' does not name %s", err.message, expected);
    assert_null(r);
    assert_int_equal(n, 0);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    return text;
}

/* The writer's side (trace.c, trace_settings.c): a pure CSV with the
 * settings in TRACE.json, shortest doubles, the lock, and a torn last line
 * (cut after its closing ']"', so it would parse) that a resume drops. */
static void test_writer_sidecar_lock_and_torn_tail(void **state)
{
    (void)state;
    char path[4096];
    strcpy(path, test_temp_path("written.csv"));
    const char *lines[] = {"exhaust search: a test"};
    exh_trace_settings settings;
    exh_trace_settings_init(&settings);
    strcpy(settings.space, "nb201");
    settings.population = 20;
    settings.sample = 4;
    settings.seed = 7;
    settings.mutation_exponent = 0.1;
    settings.lines = lines;
    settings.line_count = 1;
    exh_trace_writer *t;
    exh_error err;
    assert_int_equal(exh_trace_open(path, &settings, &t, &err), 0);
    /* A second writer (a second --resume) is refused while the first holds it. */
    exh_trace_writer *second;
    assert_int_equal(exh_trace_open_append(path, &(int64_t){0}, &second, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "another search"));
    for (int i = 0; i < 3; i++) {
        exh_trace_record r = make_record(0, i, i + 1, "012345", 36.028 + i, 0);
        r.job_id = i;
        assert_int_equal(exh_trace_append(t, &r, &err), 0);
    }
    assert_int_equal(exh_trace_close(t, &err), 0);
    char *text = read_text(path);
    assert_true(strncmp(text, "job_id,p:arch_seq,objective,", 28) == 0); /* no '#' lines */
    assert_non_null(strstr(text, ",36.028,"));                             /* not 36.027999... */
    assert_null(strstr(text, "99999"));

    exh_trace_settings back;
    assert_int_equal(exh_trace_settings_read(path, &back, &err), 0);
    assert_string_equal(back.space, "nb201");
    assert_int_equal(back.population, 20);
    assert_int_equal(back.sample, 4);
    assert_int_equal(back.seed, 7);
    assert_true(back.mutation_exponent == 0.1);
    char sidecar[4200];
    snprintf(sidecar, sizeof sidecar, "%s.json", path);
    assert_non_null(strstr(read_text(sidecar), "\"mutation_exponent\": 0.1,"));
    assert_non_null(strstr(read_text(sidecar), "\"exhaust search: a test\""));

    /* A killed writer's last record, cut after its arch_seq. */
    FILE *f = fopen(path, "a");
    fputs("3,\"[0, 1, 2, 3, 4, 5]\"", f);
    fclose(f);
    exh_trace_record *r = NULL;
    int64_t n = 0;
    assert_int_equal(exh_trace_read(path, NULL, 0, &r, &n, &err), 0);
    assert_int_equal(n, 4); /* analyze of a live trace reads what is there */
    free(r);
    assert_int_equal(exh_trace_read(path, NULL, 1, &r, &n, &err), 0);
    assert_int_equal(n, 3); /* a resume: complete records only */
    free(r);
    int64_t torn = 0;
    assert_int_equal(exh_trace_open_append(path, &torn, &t, &err), 0);
    assert_int_equal(torn, (int64_t)strlen("3,\"[0, 1, 2, 3, 4, 5]\""));
    assert_int_equal(exh_trace_close(t, &err), 0);
    assert_int_equal(exh_trace_read(path, NULL, 0, &r, &n, &err), 0);
    assert_int_equal(n, 3);
    free(r);

    /* An older trace keeps its settings in '#' lines; one with neither has none. */
    char *old = test_write_file("old.csv", "# exhaust search: space=nb201 population=30 "
                                           "sample=3 seed=2\njob_id,p:arch_seq,objective\n");
    assert_int_equal(exh_trace_settings_read(old, &back, &err), 0);
    assert_int_equal(back.population, 30);
    assert_int_equal(back.sample, 3);
    char *none = test_write_file("none.csv", "job_id,p:arch_seq,objective\n");
    assert_int_equal(exh_trace_settings_read(none, &back, &err), EXH_ERR_NOT_FOUND);
}

/* The CSV is the record of truth: a store that fails is set aside, and the
 * trace still gets every record. */
static void test_store_error_does_not_stop_the_trace(void **state)
{
    (void)state;
    char path[4096], db[4096];
    strcpy(path, test_temp_path("stored.csv"));
    strcpy(db, test_temp_path("stored.db"));
    remove(db);
    exh_store *st;
    exh_trace_store *records;
    exh_trace_writer *t;
    exh_error err;
    assert_int_equal(exh_store_open(db, &st, &err), 0);
    assert_int_equal(exh_trace_store_open(st, "s", "", 0, &records, &err), 0);
    assert_int_equal(exh_trace_open(path, NULL, &t, &err), 0);
    exh_trace_attach_store(t, records);
    exh_trace_record r = make_record(0, 0, 1, "012345", 50, 0);
    assert_int_equal(exh_trace_append(t, &r, &err), 0);
    assert_null(exh_trace_store_error(t));
    /* Another program breaks the store under the search. */
    assert_int_equal(sqlite3_exec(exh_store_database(st), "DROP TABLE trace_records", NULL, NULL,
                                  NULL), SQLITE_OK);
    for (int i = 1; i < 3; i++) {
        r.job_id = i;
        assert_int_equal(exh_trace_append(t, &r, &err), 0);
    }
    assert_non_null(exh_trace_store_error(t));
    assert_int_equal(exh_trace_close(t, &err), 0);
    exh_trace_store_close(records);
    exh_store_close(st);
    exh_trace_record *back = NULL;
    int64_t n = 0;
    assert_int_equal(exh_trace_read(path, NULL, 0, &back, &n, &err), 0);
    assert_int_equal(n, 3);
    free(back);
}

/* The writer formats a double once and copies its text when the same bits
 * come again (a direct-mapped cache, trace.c): values that repeat, that
 * evict each other (more of them than entries), and that compare equal with
 * other bits (0 and -0) must read back exactly as written. */
static void test_writer_repeated_doubles(void **state)
{
    (void)state;
    enum { VALUES = 40000 };
    static double value[VALUES];
    const double special[] = {0.0, -0.0, 1e-300, -1e300, 0.1, 36.028, 1e15, 9.5e-5, 5e-324,
                             -2.2250738585072e-308};
    uint64_t x = 88172645463325252ULL; /* xorshift64: a fixed, seeded stream */
    for (int i = 0; i < VALUES; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        value[i] = i < (int)(sizeof special / sizeof *special)
                       ? special[i]
                       : (double)(x >> 11) / 9007199254740992.0 * (double)(i % 9 * 1000 + 1);
    }
    char path[4096];
    strcpy(path, test_temp_path("repeats.csv"));
    exh_trace_settings settings;
    exh_trace_settings_init(&settings);
    strcpy(settings.space, "nb201");
    exh_trace_writer *t;
    exh_error err;
    assert_int_equal(exh_trace_open(path, &settings, &t, &err), 0);
    exh_trace_set_durable(t, 0); /* 40,000 fsyncs would take minutes */
    for (int i = 0; i < VALUES; i++) {
        exh_trace_record r = make_record(i % 8, value[i / 2], value[(i * 7) % VALUES], "0123",
                                         value[i], 0);
        r.job_id = i;
        r.submit_time = r.start_time;
        r.cost_seconds = value[i / 3];
        assert_int_equal(exh_trace_append(t, &r, &err), 0);
    }
    assert_int_equal(exh_trace_close(t, &err), 0);
    exh_trace_record *back = NULL;
    int64_t n = 0;
    assert_int_equal(exh_trace_read(path, NULL, 0, &back, &n, &err), 0);
    assert_int_equal(n, VALUES);
    for (int i = 0; i < VALUES; i++) {
        double want[] = {value[i], value[i / 2], value[(i * 7) % VALUES], value[i / 3]};
        double got[] = {back[i].quality, back[i].start_time, back[i].end_time,
                        back[i].cost_seconds};
        if (memcmp(want, got, sizeof want) != 0)
            fail_msg("record %d: %.17g %.17g %.17g %.17g read back as %.17g %.17g %.17g %.17g",
                     i, want[0], want[1], want[2], want[3], got[0], got[1], got[2], got[3]);
    }
    free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_halves_match_the_file),
        cmocka_unit_test(test_bad_line_in_second_half),
        cmocka_unit_test(test_writer_sidecar_lock_and_torn_tail),
        cmocka_unit_test(test_store_error_does_not_stop_the_trace),
        cmocka_unit_test(test_writer_repeated_doubles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
