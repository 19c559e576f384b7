/* test_analyze.c — trace analyses on a ten-record trace whose trie, steps
 * and parent ranks are worked out by hand below; bad traces; DeepHyper's
 * results.csv. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/analyze.h"
#include "testutil.h"

#include "trace_fixture.h"
#include "trace_record_make.h"

static exh_trace_record *load(const char *name, const char *text, int64_t *count, int expect_rc,
                              exh_error *err)
{
    char *path = test_write_file(name, text);
    exh_trace_record *records = NULL;
    int rc = exh_analyze_load(path, NULL, &records, count, err);
    if (rc != expect_rc)
        fail_msg("%s: rc %d, expected %d: %s", name, rc, expect_rc, rc ? err->message : "");
    return records;
}

static int node_of(const exh_analyze_structure *s, int length, const int *tokens)
{
    exh_arch a = {.length = length};
    for (int i = 0; i < length; i++)
        a.token[i] = tokens[i];
    return exh_trie_find(s->prefixes, &a, length);
}

static void test_structure_by_hand(void **state)
{
    (void)state;
    int64_t n;
    exh_error err;
    exh_trace_record *r = load("trace.csv", TRACE, &n, 0, &err);
    assert_int_equal(n, 10);
    assert_true(isnan(r[4].quality));
    exh_analyze_structure s;
    assert_int_equal(exh_analyze_structure_build(r, n, &s, &err), 0);
    struct { int length, tokens[3], models, transfers; } expected[] = {
        {1, {0}, 7, 5}, {1, {1}, 2, 1}, {1, {2}, 1, 0}, {2, {0, 1}, 4, 3},
        {2, {0, 0}, 2, 1}, {2, {0, 2}, 1, 0}, {2, {1, 1}, 2, 1}, {3, {0, 1, 1}, 1, 0},
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        int node = node_of(&s, expected[i].length, expected[i].tokens);
        assert_true(node > 0);
        assert_int_equal(exh_trie_node(s.prefixes, node).count, expected[i].models);
        assert_int_equal(s.transfers[node], expected[i].transfers);
    }
    assert_int_equal(s.children, 7);
    assert_int_equal(s.mutation_positions[2], 5);
    assert_int_equal(s.mutation_positions[1], 1);
    assert_int_equal(s.prefix_lengths[2], 5);
    assert_true(fabs(s.mean_prefix - 11.0 / 7.0) < 1e-12); /* (2*5 + 1 + 0) / 7 */
    assert_true(fabs(s.expected_mean_prefix - 1.0) < 1e-12); /* (3 - 1) / 2 */
    /* --mutation-exponent 1: position i of 3 with weight i+1, E[i] =
     * (0*1 + 1*2 + 2*3) / (1 + 2 + 3) = 4/3 for every child of length 3. */
    exh_analyze_structure weighted;
    assert_int_equal(exh_analyze_structure_build_weighted(r, n, 1.0, &weighted, &err), 0);
    assert_true(fabs(weighted.expected_mean_prefix - 4.0 / 3.0) < 1e-12);
    assert_true(fabs(exh_analyze_expected_kept_prefix(6, 0.0) - 2.5) < 1e-12);
    assert_true(fabs(exh_analyze_expected_kept_prefix(6, 2.0) - 350.0 / 91.0) < 1e-12);
    exh_analyze_structure_free(&weighted);
    char *path = test_temp_path("trie.dot");
    FILE *f = fopen(path, "w");
    exh_analyze_trie_dot(&s, NULL, 0.15, f); /* prunes the 10% nodes: "2", "0,2", "0,1,1" */
    fclose(f);
    char text[8192];
    f = fopen(path, "r");
    size_t got = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[got] = '\0';
    assert_non_null(strstr(text, "70.0% of models\\n5 transfers"));
    assert_null(strstr(text, "10.0% of models"));
    exh_analyze_structure_free(&s);
    free(r);
}

static void test_quality_and_parents_by_hand(void **state)
{
    (void)state;
    int64_t n;
    exh_error err;
    exh_trace_record *r = load("trace2.csv", TRACE, &n, 0, &err);
    exh_analyze_quality q;
    assert_int_equal(exh_analyze_quality_build(r, n, &q, &err), 0);
    assert_int_equal(q.step_count, 4);
    assert_int_equal(q.failures, 1);
    assert_true(q.best == 80 && q.steps[3].record == 8 && q.steps[3].gain == 10);
    assert_true(q.steps[1].time == 2 && q.steps[1].gain == 10);
    exh_analyze_quality_free(&q);
    /* Population 3. Ranks as each joins: 0:1, 1:1 (60>50), 2:2 (55<60), 3:1 (70; 0 retires),
     * 5:2 (65 < 70, among 55,70,65; 1 retired), 6:3 (58 among 70,65,58), 7:3 (52),
     * 8:1 (80), 9:2 (75 < 80). Parents: 0, 1, 2, 3. */
    exh_analyze_parents p;
    assert_int_equal(exh_analyze_parents_build(r, n, 3, 2, 0.5, &p, &err), 0);
    assert_int_equal(p.joined[1], 4);
    assert_int_equal(p.joined[2], 3);
    assert_int_equal(p.joined[3], 2);
    assert_int_equal(p.chosen[1], 3); /* jobs 0, 1, 3 */
    assert_int_equal(p.chosen[2], 1); /* job 2 */
    assert_int_equal(p.chosen[3], 0);
    /* P=3, S=2: rank 1 wins a tournament with C(2,1)/C(3,2) = 2/3, rank 2 with 1/3,
     * rank 3 never (it is never the best of two). */
    assert_true(fabs(exh_analyze_parent_bound(3, 2, 1) - (1 - pow(1.0 / 3, 3))) < 1e-12);
    assert_true(fabs(exh_analyze_parent_bound(3, 2, 2) - (1 - pow(2.0 / 3, 3))) < 1e-12);
    assert_true(exh_analyze_parent_bound(3, 2, 3) == 0.0);
    assert_int_equal(p.threshold_rank, 3); /* 0.70 >= 0.5 at rank 2; 0 at rank 3 */
    assert_int_equal(p.skipped, 2);
    assert_int_equal(p.false_skips, 0);
    exh_analyze_parents_free(&p);
    free(r);
}

static void test_bad_traces(void **state)
{
    (void)state;
    int64_t n;
    exh_error err;
    load("nocolumn.csv", "job_id,objective\n0,1\n", &n, EXH_ERR_PARSE, &err);
    assert_non_null(strstr(err.message, "p:arch_seq"));
    load("dup.csv", "job_id,p:arch_seq,objective,m:timestamp_gather\n"
                    "0,\"[1]\",1,1\n3,\"[2]\",1,2\n3,\"[3]\",1,3\n", &n, EXH_ERR_INVALID, &err);
    assert_non_null(strstr(err.message, "job_id 3 appears more than once"));
    load("order.csv", "job_id,p:arch_seq,objective,m:timestamp_gather\n"
                      "0,\"[1]\",1,5\n1,\"[2]\",1,4\n", &n, EXH_ERR_INVALID, &err);
    assert_non_null(strstr(err.message, "record 2 (job 1)"));
    load("empty.csv", "job_id,p:arch_seq,objective\n", &n, EXH_ERR_INVALID, &err);
    load("garbage.csv", "job_id,p:arch_seq,objective\nx,\"[1]\",1\n", &n, EXH_ERR_PARSE, &err);
    assert_non_null(strstr(err.message, "job_id 'x'"));
}

static void test_deephyper_results(void **state)
{
    (void)state;
    /* DeepHyper's columns: arch_seq as a Python list, objective, job_id, timestamps. */
    int64_t n;
    exh_error err;
    exh_trace_record *r = load("results.csv",
                               "p:arch_seq,objective,job_id,m:timestamp_submit,m:timestamp_gather\n"
                               "\"[1, 0, 3, 2]\",0.5,0,0.1,1.5\n"
                               "\"[1, 0, 3, 3]\",0.6,1,0.2,2.5\n"
                               "\"[0, 0, 3, 3]\",F,2,0.3,3.5\n",
                               &n, 0, &err);
    assert_int_equal(n, 3);
    assert_int_equal(r[1].arch_length, 4);
    assert_int_equal(r[1].arch_token[3], 3);
    assert_true(isnan(r[2].quality) && r[2].status == 1);
    assert_int_equal(r[0].parent_id, -1);
    exh_analyze_quality q;
    assert_int_equal(exh_analyze_quality_build(r, n, &q, &err), 0);
    assert_int_equal(q.step_count, 2);
    exh_analyze_quality_free(&q);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure_by_hand),
        cmocka_unit_test(test_quality_and_parents_by_hand),
        cmocka_unit_test(test_bad_traces),
        cmocka_unit_test(test_deephyper_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
