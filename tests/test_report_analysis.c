/* test_report_analysis.c — the whole analysis of the hand-worked ten-record
 * trace (trace_fixture.h) written as files: the numbers in the CSV files and
 * summary.json are the ones test_popularity.c and test_locality.c work out
 * by hand, and index.html has every section. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/analysis.h"
#include "exhaust/report_analysis.h"
#include "testutil.h"
#include "util/file.h"

#include "trace_fixture.h"

/* dir/name's text (fails the test when it was not written). */
static char *slurp(const char *dir, const char *name)
{
    char path[4096], *text;
    size_t size;
    exh_error err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (file_read_all(path, &text, &size, &err) != 0)
        fail_msg("%s was not written: %s", path, err.message);
    return text;
}

static void fixture_options(exh_analysis_options *o)
{
    exh_analysis_options_default(o);
    o->population = 3;
    o->sample = 2;
    o->popularity.window = 4;
    o->popularity.prefix_length = 2;
    o->popularity.points = 2;
    o->popularity.tier2_count = 1;
    o->popularity.donor_times = 2;
    o->popularity.space_size = 27;
    o->locality.top_tensors = 2;
    o->locality.broadcast_window = 1;
    o->cache_capacities = 2;
    o->cache_bytes[0] = 1;
    o->cache_bytes[1] = 3;
    o->threads = 2;
}

static void test_tables_and_page(void **state)
{
    (void)state;
    exh_error err;
    int64_t n = 0;
    exh_trace_record *records = load_fixture(&n);
    exh_analysis_options o;
    fixture_options(&o);
    exh_analysis a;
    assert_int_equal(exh_analysis_run(records, n, &o, &a, &err), 0);
    assert_int_equal(a.cache_rows, 2 * EXH_CACHESIM_SCOPE_COUNT * EXH_CACHESIM_POLICY_COUNT);
    const char *dir = test_temp_dir();
    assert_int_equal(exh_report_write_tables(&a, dir, &err), 0);

    char *donors = slurp(dir, "donors_again.csv");
    assert_non_null(strstr(donors, "1,4,1,0.25\n"));
    assert_non_null(strstr(donors, "2,1,1,1\n"));
    char *windows = slurp(dir, "popularity_windows.csv");
    assert_non_null(strstr(windows, "0,4,\"0,1\",3,0.75,1\n"));
    char *reuse = slurp(dir, "reuse_distances.csv");
    assert_non_null(strstr(reuse, ",,7,5\n"));      /* first reads: per worker, across */
    assert_non_null(strstr(reuse, "1,1,1,4\n"));    /* distance 1 */
    char *caches = slurp(dir, "caches.csv");
    int lines = 0;
    for (const char *p = caches; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(lines, 1 + a.cache_rows);

    char *summary = slurp(dir, "summary.json");
    json_error_t json_err;
    json_t *root = json_loads(summary, 0, &json_err);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "records")), 10);
    assert_true(json_real_value(json_object_get(root, "best_quality")) == 80);
    json_t *rq4 = json_object_get(root, "popularity");
    assert_true(fabs(json_real_value(json_object_get(rq4, "donor_again_below_d")) - 0.25) <
                1e-12);
    json_decref(root);

    assert_int_equal(exh_report_write_html(&a, dir, "trace.csv", NULL, &err), 0);
    char *page = slurp(dir, "index.html");
    const char *ids[] = {"id=\"structure\"", "id=\"locality\"", "id=\"quality\"",
                         "id=\"popularity\"", "id=\"caches\"", "id=\"quanta\""};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (!strstr(page, ids[i]))
            fail_msg("index.html lacks %s", ids[i]);
    free(donors);
    free(windows);
    free(reuse);
    free(caches);
    free(summary);
    free(page);
    exh_analysis_free(&a);
    free(records);
}

static void test_unwritable_folder(void **state)
{
    (void)state;
    exh_error err;
    int64_t n = 0;
    exh_trace_record *records = load_fixture(&n);
    exh_analysis_options o;
    fixture_options(&o);
    exh_analysis a;
    assert_int_equal(exh_analysis_run(records, n, &o, &a, &err), 0);
    assert_true(exh_report_write_tables(&a, "/nonexistent/folder", &err) < 0);
    assert_non_null(strstr(err.message, "/nonexistent/folder/"));
    exh_analysis_free(&a);
    free(records);
}

/* Any number of threads replays the same caches. */
static void test_threads_same_caches(void **state)
{
    (void)state;
    exh_error err;
    int64_t n = 0;
    exh_trace_record *records = load_fixture(&n);
    exh_analysis_options o;
    fixture_options(&o);
    exh_analysis one, many;
    o.threads = 1;
    assert_int_equal(exh_analysis_run(records, n, &o, &one, &err), 0);
    o.threads = 5;
    assert_int_equal(exh_analysis_run(records, n, &o, &many, &err), 0);
    assert_int_equal(one.cache_rows, many.cache_rows);
    for (int i = 0; i < one.cache_rows; i++) {
        assert_int_equal(one.cache[i].result.hits, many.cache[i].result.hits);
        assert_int_equal(one.cache[i].result.bytes_moved, many.cache[i].result.bytes_moved);
        assert_int_equal(one.cache[i].result.evictions, many.cache[i].result.evictions);
    }
    exh_analysis_free(&one);
    exh_analysis_free(&many);
    free(records);
}

static void test_times_from_order(void **state)
{
    (void)state;
    exh_error err;
    exh_trace_record *records = NULL;
    int64_t n = 0;
    const char *text = "p:arch_seq,objective,job_id\n\"[1, 0]\",0.5,0\n\"[1, 1]\",0.7,1\n";
    assert_int_equal(exh_analyze_load(test_write_file("untimed.csv", text), NULL, &records, &n, &err),
                     0);
    assert_int_equal(exh_analyze_fill_times(records, n), EXH_ANALYZE_FILLED_END | EXH_ANALYZE_FILLED_START);
    assert_true(records[1].end_time == 1 && records[1].start_time == 1);
    assert_int_equal(exh_analyze_fill_times(records, n), 0); /* now it has them */
    free(records);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_and_page),
        cmocka_unit_test(test_unwritable_folder),
        cmocka_unit_test(test_threads_same_caches),
        cmocka_unit_test(test_times_from_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
