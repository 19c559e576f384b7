/* test_report_analyze.c — exh_report_analyze: the hand-worked ten-record
 * trace (trace_fixture.h) analysed into a folder in one call. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exhaust/report_analysis.h"
#include "trace_fixture.h"

static json_t *summary_of(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        fail_msg("%s: %s", path, jerr.text);
    return root;
}

static long long integer(json_t *root, const char *key)
{
    return json_integer_value(json_object_get(root, key));
}

/* P and S come from the trace's '#' line (3, 2); the numbers are the
 * fixture's hand-worked ones: 10 records, 1 failed, best 80 in four steps. */
static void test_writes_report(void **state)
{
    (void)state;
    const char *trace = test_write_file("trace.csv", TRACE);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_temp_path("report"));
    exh_error err;
    if (exh_report_analyze(trace, dir, NULL, 0, 0, 0, NULL, &err) < 0)
        fail_msg("%s", err.message);
    json_t *root = summary_of(dir);
    assert_int_equal(integer(root, "records"), 10);
    assert_int_equal(integer(root, "failures"), 1);
    assert_int_equal(integer(root, "best_steps"), 4);
    assert_float_equal(json_number_value(json_object_get(root, "best_quality")), 80, 0);
    assert_int_equal(integer(root, "population"), 3);
    assert_int_equal(integer(root, "sample"), 2);
    json_decref(root);
    char page[4200];
    snprintf(page, sizeof page, "%s/index.html", dir);
    assert_int_equal(access(page, F_OK), 0);
}

/* Without recorded settings the arguments count, then the defaults. */
static void test_arguments_and_defaults(void **state)
{
    (void)state;
    const char *trace = test_write_file("bare.csv", strchr(TRACE, '\n') + 1);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_temp_path("bare"));
    exh_error err;
    assert_int_equal(exh_report_analyze(trace, dir, NULL, 4, 3, 0, NULL, &err), 0);
    json_t *root = summary_of(dir);
    assert_int_equal(integer(root, "population"), 4);
    assert_int_equal(integer(root, "sample"), 3);
    json_decref(root);
    /* The default population (100) is not stated, so a short trace is fine. */
    assert_int_equal(exh_report_analyze(trace, dir, NULL, 0, 0, 0, NULL, &err), 0);
    root = summary_of(dir);
    assert_int_equal(integer(root, "population"), 100);
    json_decref(root);
}

/* Where P and S come from: the sidecar over the arguments, the arguments
 * over a '#' line, that over the defaults. */
static void test_parameter_sources(void **state)
{
    (void)state;
    const char *header = test_write_file("header.csv", TRACE);
    const char *bare = test_write_file("nosettings.csv", strchr(TRACE, '\n') + 1);
    const char *logged = test_write_file("logged.csv", strchr(TRACE, '\n') + 1);
    test_write_file("logged.csv.json",
                    "{\"format\": \"exhaust-trace\", \"version\": 1, \"population\": 5, "
                    "\"sample\": 2, \"mutation_exponent\": 1.5}");
    static const struct {
        int which, population, sample, want_p, want_s;
        const char *from;
        double exponent;
    } cases[] = {
        {0, 0, 0, 3, 2, "the trace header", 0},   {0, 4, 3, 4, 3, "--population", 0},
        {1, 0, 0, 100, 5, "default", 0},          {1, 6, 0, 6, 5, "--population", 0},
        {2, 0, 0, 5, 2, "sidecar", 1.5},          {2, 4, 3, 5, 2, "sidecar", 1.5},
    };
    const char *traces[] = {header, bare, logged};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        exh_analysis_options o;
        exh_analysis_options_default(&o);
        int stated = -1;
        exh_error err;
        int rc = exh_report_search_parameters(traces[cases[i].which], cases[i].population,
                                              cases[i].sample, &o, &stated, &err);
        if (rc < 0)
            fail_msg("case %zu: %s", i, err.message);
        assert_int_equal(o.population, cases[i].want_p);
        assert_int_equal(o.sample, cases[i].want_s);
        assert_string_equal(o.population_source, cases[i].from);
        assert_int_equal(stated, strcmp(cases[i].from, "default") != 0);
        assert_float_equal(o.mutation_exponent, cases[i].exponent, 0);
    }
}

static void test_refusals(void **state)
{
    (void)state;
    const char *bare = test_write_file("refused.csv", strchr(TRACE, '\n') + 1);
    const char *bad = test_write_file(
        "badline.csv", "job_id,p:arch_seq,objective\n0,\"[0, 1]\",5\n1,\"[0, x]\",6\n");
    static const struct {
        int which, population, sample;
        const char *space, *says;
    } cases[] = {
        {0, 11, 2, NULL, "population 11 is more than the trace's 10 records"},
        {0, 3, 4, NULL, "tournament size 4"},
        {0, 3, 2, "nb999", "nb999"},
        {1, 0, 0, NULL, "badline.csv: line 3"},
        {2, 0, 0, NULL, "missing.csv"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *trace = cases[i].which == 0   ? bare
                            : cases[i].which == 1 ? bad
                                                  : test_temp_path("missing.csv");
        exh_error err;
        int rc = exh_report_analyze(trace, test_temp_path("refused"), cases[i].space,
                                    cases[i].population, cases[i].sample, 0, NULL, &err);
        assert_true(rc < 0);
        if (!strstr(err.message, cases[i].says))
            fail_msg("case %zu: '%s' does not say '%s'", i, err.message, cases[i].says);
    }
    exh_error err;
    assert_int_equal(exh_report_analyze(NULL, "x", NULL, 0, 0, 0, NULL, &err), EXH_ERR_INVALID);
}

/* The live fast tier measured beside its replay: four jobs on one worker,
 * each position one 10-byte blob, LRU of 30 bytes (the sidecar's
 * repo_cache). Worked by hand: job 0 writes (0) (0,0); job 1 reads (0), a
 * hit, writes (0,1); job 2 writes (1) and (1,1), evicting (0,0) then (0);
 * job 3 reads (0), a miss, and (0,1), a hit, then writes (0), evicting (1).
 * The replay: 2 hits of 3 reads, 10 bytes from the store, 3 evictions;
 * the trainers measured the same 2 of 3. */
static void test_live_tier_beside_its_replay(void **state)
{
    (void)state;
    const char *trace = test_write_file(
        "live.csv",
        "job_id,p:arch_seq,objective,m:timestamp_submit,m:timestamp_start,m:timestamp_gather,"
        "m:worker,m:parent_id,m:donor_id,m:prefix_len,m:mutated_position,m:status,m:cost,"
        "m:donor_run_id,m:repo_fast_hits,m:repo_store_reads,m:repo_read_bytes_fast,"
        "m:repo_read_bytes_store,m:repo_write_bytes,m:repo_seconds,m:repo_error\n"
        "0,\"[0, 0]\",1,0,0,1,0,-1,-1,0,-1,ok,1,-1,0,0,0,0,20,0.1,0\n"
        "1,\"[0, 1]\",2,1,1,2,0,0,0,1,1,ok,1,-1,1,0,10,0,10,0.1,0\n"
        "2,\"[1, 1]\",3,2,2,3,0,-1,-1,0,-1,ok,1,-1,0,0,0,0,20,0.1,0\n"
        "3,\"[0, 1]\",4,3,3,4,0,1,1,2,0,ok,1,-1,1,1,10,10,0,0.1,0\n");
    test_write_file("live.csv.json",
                    "{\"format\": \"exhaust-trace\", \"version\": 1, \"population\": 2, "
                    "\"sample\": 1, \"repo\": \"r\", \"repo_cache\": {\"policy\": \"lru\", "
                    "\"bytes\": 30, \"window\": 100, \"donations\": 5, \"epsilon\": 0.01}}");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_temp_path("live"));
    exh_error err;
    if (exh_report_analyze(trace, dir, NULL, 0, 0, 0, NULL, &err) < 0)
        fail_msg("%s", err.message);
    json_t *root = summary_of(dir);
    json_t *measured = json_object_get(root, "repo_measured");
    assert_int_equal(integer(measured, "fast_hits"), 2);
    assert_int_equal(integer(measured, "store_reads"), 1);
    json_t *simulated = json_object_get(measured, "simulated");
    assert_string_equal(json_string_value(json_object_get(simulated, "policy")), "lru");
    assert_int_equal(integer(simulated, "capacity_bytes"), 30);
    assert_int_equal(integer(simulated, "tensor_bytes"), 10);
    json_t *replay = json_object_get(simulated, "measured_sizes");
    assert_int_equal(integer(replay, "hits"), 2);
    assert_int_equal(integer(replay, "accesses"), 3);
    assert_int_equal(integer(replay, "evictions"), 3);
    assert_int_equal(integer(replay, "bytes_read_missed"), 10);
    assert_true(json_is_null(json_object_get(simulated, "space_sizes"))); /* no space given */
    json_decref(root);
    char path[4200];
    snprintf(path, sizeof path, "%s/index.html", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char page[1 << 22];
    size_t n = fread(page, 1, sizeof page - 1, f);
    fclose(f);
    page[n] = '\0';
    assert_non_null(strstr(page, "The live fast tier: measured and simulated"));
    assert_non_null(strstr(page, "every position 10 bytes (the measured mean read)"));
    assert_non_null(strstr(page, "2 of 3"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writes_report),
        cmocka_unit_test(test_live_tier_beside_its_replay),
        cmocka_unit_test(test_arguments_and_defaults),
        cmocka_unit_test(test_parameter_sources),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
