/* test_untrusted_input.c — files and records exhaust did not write (issue 11):
 * numbers too big for their integer column are refused, not cast (UB);
 * a resumed job id of 2^63-1 is refused, not incremented (UB); a record
 * cannot make the ingest read a file of its choosing (dense:/dev/zero), a
 * space description has a size cap and its errors never quote its bytes;
 * a dangling link in a data folder is skipped, not fatal. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exhaust/ingest.h"
#include "exhaust/search.h"
#include "exhaust/trace.h"
#include "testutil.h"
#include "trace_record_make.h"

static void test_trace_integers_out_of_range(void **state)
{
    (void)state;
    static const struct {
        const char *column, *value;
    } cases[] = {
        {"m:worker", "1e300"},     {"m:parent_id", "1e30"},  {"m:prefix_len", "-1e20"},
        {"m:mutated_position", "3e9"}, {"m:donor_id", "1e19"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "job_id,p:arch_seq,objective,%s\n0,\"[1, 2, 3, 0, 1, 2]\",0.5,%s\n",
                 cases[i].column, cases[i].value);
        char *path = test_write_file("range.csv", text);
        exh_trace_record *r = NULL;
        int64_t n = 0;
        exh_error err;
        if (exh_trace_read(path, NULL, 0, &r, &n, &err) >= 0)
            fail_msg("%s=%s was read (worker %d, parent %lld)", cases[i].column, cases[i].value,
                     n ? r[0].worker : 0, n ? (long long)r[0].parent_id : 0);
        if (!strstr(err.message, cases[i].column) || !strstr(err.message, "line 2"))
            fail_msg("%s: '%s' names neither column nor line", cases[i].column, err.message);
        free(r);
    }
    /* In range, and empty (the defaults), still read. */
    char *path = test_write_file("ok.csv", "job_id,p:arch_seq,objective,m:worker,m:parent_id\n"
                                           "0,\"[1, 2]\",0.5,1000,\n1,\"[1]\",F,3,0\n");
    exh_trace_record *r = NULL;
    int64_t n = 0;
    exh_error err;
    if (exh_trace_read(path, NULL, 0, &r, &n, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].worker, 1000);
    assert_int_equal(r[0].parent_id, -1);
    assert_int_equal(r[1].parent_id, 0);
    free(r);
}

static int toy_evaluate(void *state, const exh_evaluation_request *request, exh_rng *r,
                        exh_evaluation *out, exh_error *err)
{
    (void)state;
    (void)r;
    (void)err;
    out->quality = (double)request->architecture->token[0];
    out->cost_seconds = 1.0;
    out->status = EXH_EVALUATION_OK;
    return 0;
}

/* A resumed trace whose job id is 2^63-1: next_job = id + 1 overflowed. */
static void test_resumed_job_id_at_the_limit(void **state)
{
    (void)state;
    exh_space *s;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    exh_evaluator toy = {"toy", NULL, toy_evaluate, NULL, NULL};
    exh_trace_record done[2];
    const int32_t tokens[2][6] = {{1}, {2}}; /* token 0: i + 1 */
    memset(done, 0, sizeof done);
    for (int i = 0; i < 2; i++) {
        done[i].job_id = i == 0 ? 0 : INT64_MAX;
        done[i].arch_length = 6;
        done[i].arch_token = tokens[i];
        done[i].quality = 1.0;
        done[i].end_time = 1.0;
        done[i].parent_id = done[i].donor_id = -1;
    }
    exh_search_options o;
    exh_search_options_default(&o);
    o.population = 2;
    o.sample = 1;
    o.candidates = 4;
    o.resume_records = done;
    o.resume_count = 2;
    exh_search_result result;
    assert_true(exh_search_run_simulated(s, &toy, &o, NULL, &result, &err) < 0);
    if (!strstr(err.message, "job id"))
        fail_msg("'%s' does not name the job id", err.message);
    exh_space_free(s);
}

/* A JSONL record names the space "dense:FILE": the ingest must not open it. */
static void test_record_cannot_name_a_file(void **state)
{
    (void)state;
    const char *secret = test_write_file("secret.json", "{\"root\": \"s3cr3t-bytes\"");
    char text[1024];
    snprintf(text, sizeof text,
             "{\"key\": \"a\", \"space\": \"dense:/dev/zero\", \"arch\": \"1\"}\n"
             "{\"key\": \"b\", \"space\": \"dense:%s\", \"arch\": \"1\"}\n",
             secret);
    const char *path = test_write_file("records.jsonl", text);
    char db[4096];
    snprintf(db, sizeof db, "%s", test_temp_path("records.db"));
    exh_store *st;
    exh_error err;
    assert_int_equal(exh_store_open(db, &st, &err), 0);
    exh_ingest_stats stats;
    const char *paths[] = {path};
    if (exh_ingest_paths(st, paths, 1, NULL, &stats, &err) < 0) /* /dev/zero: would never end */
        fail_msg("%s", err.message);
    assert_int_equal(stats.runs, 0);
    assert_int_equal(stats.skipped, 2);
    for (int i = 0; i < stats.message_count; i++) {
        if (!strstr(stats.messages[i], "may not name a file"))
            fail_msg("message %d: %s", i, stats.messages[i]);
        assert_null(strstr(stats.messages[i], "s3cr3t"));
    }
    exh_store_close(st);
}

/* Named on the command line, a description is read, with a cap; a broken
 * one is reported by place, without quoting the file. */
static void test_space_file_cap_and_quiet_errors(void **state)
{
    (void)state;
    exh_space *s;
    exh_error err;
    assert_true(exh_space_open("dense:/dev/zero", &s, &err) < 0);
    assert_non_null(strstr(err.message, "not a regular file"));
    const char *secret = test_write_file("broken.json", "{\"nodes\": [ s3cr3t-bytes ]}");
    char name[4200];
    snprintf(name, sizeof name, "dense:%s", secret);
    assert_true(exh_space_open(name, &s, &err) < 0);
    if (strstr(err.message, "s3cr3t") || !strstr(err.message, ":1:"))
        fail_msg("'%s' quotes the file or does not name the place", err.message);
    char *big = malloc((2 << 20) + 2);
    assert_non_null(big);
    memset(big, ' ', 2 << 20);
    big[0] = '{';
    big[(2 << 20)] = '}';
    big[(2 << 20) + 1] = '\0';
    snprintf(name, sizeof name, "dense:%s", test_write_file("big.json", big));
    free(big);
    assert_true(exh_space_open(name, &s, &err) < 0);
    if (!strstr(err.message, "allowed"))
        fail_msg("a 2 MiB description: '%s'", err.message);
}

/* A dangling symbolic link in a data folder: skipped with a message. */
static void test_dangling_link_skipped(void **state)
{
    (void)state;
    char folder[4096], target[4200], link_path[4200], log[4200];
    snprintf(folder, sizeof folder, "%s", test_temp_path("logs"));
    assert_int_equal(mkdir(folder, 0700), 0);
    snprintf(log, sizeof log, "%s/a.jsonl", folder);
    FILE *f = fopen(log, "w");
    assert_non_null(f);
    fputs("{\"key\": \"a\", \"epochs\": [{\"epoch\": 1, \"val_accuracy\": 50}]}\n", f);
    fclose(f);
    snprintf(target, sizeof target, "%s/gone.jsonl", folder);
    snprintf(link_path, sizeof link_path, "%s/b.jsonl", folder);
    assert_int_equal(symlink(target, link_path), 0);
    exh_store *st;
    exh_error err;
    assert_int_equal(exh_store_open(test_temp_path("links.db"), &st, &err), 0);
    exh_ingest_stats stats;
    const char *paths[] = {folder};
    if (exh_ingest_paths(st, paths, 1, NULL, &stats, &err) < 0)
        fail_msg("the ingest failed: %s", err.message);
    assert_int_equal(stats.runs, 1);
    assert_int_equal(stats.skipped, 1);
    assert_non_null(strstr(stats.messages[0], "b.jsonl"));
    exh_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_integers_out_of_range),
        cmocka_unit_test(test_resumed_job_id_at_the_limit),
        cmocka_unit_test(test_record_cannot_name_a_file),
        cmocka_unit_test(test_space_file_cap_and_quiet_errors),
        cmocka_unit_test(test_dangling_link_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
