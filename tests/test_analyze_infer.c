/* test_analyze_infer.c — what a DeepHyper results.csv lacks, inferred
 * (analyze_infer), on small traces in DeepHyper's layout worked out by hand.
 *
 * The trace: population P = 3, 2 workers, no worker or parent columns.
 *   job arch     quality submit gather   (trace order = gather order)
 *    0  0,0,0     50       0      10
 *    1  1,1,1     60       0      12
 *    2  2,2,2     55      10      20
 *    3  0,2,1     52      12      25
 *    4  2,2,1     65      20      30
 *    5  0,2,2     58      25      33
 *    6  1,0,0     57      30      40
 * Jobs 0-2 are the first P by job id: random. Job 3 started at 12, when two
 * had finished (< P), and no finished one is one mutation away: random too
 * (DeepHyper fills its population with random ones). Job 4 started at 20:
 * finished 0,1,2, population all three; only job 2 differs in one position
 * (2): parent 2. Job 5 started at 25: finished 0-3, population the last
 * three (1,2,3); job 2 (position 0, quality 55) and job 3 (position 2,
 * quality 52) both qualify: a tie, the better one wins, parent 2, position
 * 0. Job 6 started at 30: population 2,3,4, none one mutation away (job 0
 * is, but it retired): no candidate.
 * Workers: at most 2 intervals overlap (at 10, job 0 ends before job 2
 * starts); busy 10+12+10+13+10+8+10 = 73 s over 40 s, 1.825 on average. The
 * worker freed last is taken: 0->w0, 1->w1, 2->w0, 3->w1, 4->w0, 5->w1, 6->w0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/analysis.h"
#include "exhaust/analyze.h"
#include "exhaust/report_analysis.h"
#include "testutil.h"
#include "util/file.h"

static const char *const ARCHS[7] = {"0, 0, 0", "1, 1, 1", "2, 2, 2", "0, 2, 1",
                                     "2, 2, 1", "0, 2, 2", "1, 0, 0"};
static const int QUALITY[7] = {50, 60, 55, 52, 65, 58, 57};
static const int SUBMIT[7] = {0, 0, 10, 12, 20, 25, 30};
static const int GATHER[7] = {10, 12, 20, 25, 30, 33, 40};

/* The trace in DeepHyper's layout; with_submit 0: only m:timestamp_gather
 * (older DeepHyper). */
static exh_trace_record *load(int with_submit, int64_t *n)
{
    char text[2048];
    size_t used = (size_t)snprintf(text, sizeof text,
                                   "p:arch_seq,objective,job_id,%sm:timestamp_gather\n",
                                   with_submit ? "m:timestamp_submit," : "");
    for (int i = 0; i < 7; i++) {
        used += (size_t)snprintf(text + used, sizeof text - used, "\"[%s]\",%d,%d,", ARCHS[i],
                                 QUALITY[i], i);
        if (with_submit)
            used += (size_t)snprintf(text + used, sizeof text - used, "%d,", SUBMIT[i]);
        used += (size_t)snprintf(text + used, sizeof text - used, "%d\n", GATHER[i]);
    }
    exh_error err;
    exh_trace_record *r = NULL;
    if (exh_analyze_load(test_write_file("dh.csv", text), NULL, &r, n, &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(*n, 7);
    return r;
}

static void assert_parents(const exh_trace_record *r, const int64_t *parent, const int *position)
{
    for (int i = 0; i < 7; i++) {
        if (r[i].parent_id != parent[i] || r[i].mutated_position != position[i])
            fail_msg("job %d: parent %lld at %d, expected %lld at %d", i,
                     (long long)r[i].parent_id, r[i].mutated_position, (long long)parent[i],
                     position[i]);
        assert_int_equal(r[i].donor_id, parent[i]);
        assert_int_equal(r[i].prefix_length, position[i] < 0 ? 0 : position[i]);
    }
}

/* The inference the fixture's submit times give (worked out by hand at the
 * fixture): four random records, jobs 4 and 5 children of job 2 (one of them
 * after a tie), job 6 without a candidate. */
static void assert_submit_parents(const exh_trace_record *r, const exh_analyze_inference *inf)
{
    assert_int_equal(inf->random_records, 4);
    assert_int_equal(inf->children, 2);
    assert_int_equal(inf->ties, 1);
    assert_int_equal(inf->no_candidate, 1);
    static const int64_t parent[7] = {-1, -1, -1, -1, 2, 2, -1};
    static const int position[7] = {-1, -1, -1, -1, 2, 0, -1};
    assert_parents(r, parent, position);
}

static void test_submit_and_gather(void **state)
{
    (void)state;
    int64_t n;
    exh_trace_record *r = load(1, &n);
    exh_analyze_inference inf;
    exh_error err;
    assert_int_equal(exh_analyze_infer(r, n, 3, 0, &inf, &err), 0);
    assert_int_equal(inf.times, EXH_ANALYZE_TIMES_LOGGED);
    assert_int_equal(inf.clock_aligned, 0);
    assert_int_equal(inf.workers_source, EXH_ANALYZE_WORKERS_OVERLAP);
    assert_int_equal(inf.workers, 2);
    assert_true(fabs(inf.mean_concurrency - 73.0 / 40) < 1e-12);
    static const int workers[7] = {0, 1, 0, 1, 0, 1, 0};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(r[i].worker, workers[i]);
        assert_true(r[i].start_time == SUBMIT[i]); /* durations: gather - submit */
    }
    assert_int_equal(inf.parents_inferred, 1);
    assert_submit_parents(r, &inf);
    free(r);
}

/* Only end times, --workers 2: job i starts when job i-2 ended, which is
 * exactly the submit column above, so the same parents come out; the
 * workers alternate (i runs on i-2's worker). */
static void test_gather_only_with_workers(void **state)
{
    (void)state;
    int64_t n;
    exh_trace_record *r = load(0, &n);
    exh_analyze_inference inf;
    exh_error err;
    assert_int_equal(exh_analyze_infer(r, n, 3, 2, &inf, &err), 0);
    assert_int_equal(inf.times, EXH_ANALYZE_TIMES_INFERRED);
    assert_int_equal(inf.workers_source, EXH_ANALYZE_WORKERS_OPTION);
    assert_int_equal(inf.workers, 2);
    for (int i = 0; i < 7; i++) {
        assert_true(r[i].start_time == SUBMIT[i]);
        assert_int_equal(r[i].worker, i % 2);
    }
    assert_submit_parents(r, &inf);
    free(r);
}

/* Only end times and no --workers: no durations (start = end), the worker
 * count unknown, and the population when a record "starts" is the last P
 * finished before it: job 3 (population 0,1,2) has no candidate and is past
 * stage 1; job 4 (1,2,3): job 2 (position 2) and now also job 3 (position
 * 0, quality 52) qualify: a tie, 2 wins; job 5 (2,3,4): 2 and 3 tie, 2
 * wins; job 6 (3,4,5): none. */
static void test_gather_only(void **state)
{
    (void)state;
    int64_t n;
    exh_trace_record *r = load(0, &n);
    exh_analyze_inference inf;
    exh_error err;
    assert_int_equal(exh_analyze_infer(r, n, 3, 0, &inf, &err), 0);
    assert_int_equal(inf.times, EXH_ANALYZE_TIMES_END_ONLY);
    assert_int_equal(inf.workers_source, EXH_ANALYZE_WORKERS_UNKNOWN);
    assert_int_equal(inf.workers, 0);
    for (int i = 0; i < 7; i++) {
        assert_true(r[i].start_time == r[i].end_time);
        assert_int_equal(r[i].worker, -1);
    }
    assert_int_equal(inf.random_records, 3);
    assert_int_equal(inf.children, 2);
    assert_int_equal(inf.ties, 2);
    assert_int_equal(inf.no_candidate, 2);
    static const int64_t parent[7] = {-1, -1, -1, -1, 2, 2, -1};
    static const int position[7] = {-1, -1, -1, -1, 2, 0, -1};
    assert_parents(r, parent, position);
    /* and the whole analysis runs on it: no quanta (no durations) */
    exh_analysis_options o;
    exh_analysis_options_default(&o);
    o.population = 3;
    o.sample = 2;
    o.popularity.window = 3;
    o.inference = inf;
    o.threads = 1;
    exh_analysis a;
    assert_int_equal(exh_analysis_run(r, n, &o, &a, &err), 0);
    assert_int_equal(a.quanta.row_count, 0);
    assert_int_equal(a.structure.children, 2);
    assert_int_equal(a.popularity.stage1_records, 3); /* the first P only */
    exh_analysis_free(&a);
    free(r);
}

/* DeepHyper's @profile: m:timestamp_start/_end on the wall clock, submit and
 * gather from the search's start. Job 0 waited 0.5 s on the wall clock
 * minus the offset, job 1 0.7: the least wait is taken as 0, so the offset is
 * 1.7e9 + 0.5 and the starts become 0 and 1.2. The run ends move by the same
 * offset: 1700000009.5 -> 9.0, 1700000011.6 -> 11.1 (before the gathers, 10
 * and 12), so the durations are 9.0 and 9.9 (not 10 and 10.8), their mean
 * 9.45, and the mean concurrency (9 + 9.9) / (11.1 - 0). The whole analysis
 * (cache replay included: it refused "ends before it starts") then runs. */
static void test_wall_clock_starts(void **state)
{
    (void)state;
    const char *text =
        "job_id,p:arch_seq,objective,m:timestamp_submit,m:timestamp_gather,"
        "m:timestamp_start,m:timestamp_end\n"
        "0,\"[0, 0, 0]\",50,0,10,1700000000.5,1700000009.5\n"
        "1,\"[0, 0, 1]\",60,1,12,1700000001.7,1700000011.6\n";
    exh_error err;
    exh_trace_record *r = NULL;
    int64_t n;
    if (exh_analyze_load(test_write_file("wall.csv", text), NULL, &r, &n, &err) != 0)
        fail_msg("%s", err.message);
    exh_analyze_inference inf;
    assert_int_equal(exh_analyze_infer(r, n, 1, 0, &inf, &err), 0);
    assert_int_equal(inf.clock_aligned, 1);
    assert_true(fabs(inf.clock_offset - 1700000000.5) < 1e-6);
    assert_true(fabs(r[0].start_time - 0) < 1e-6);
    assert_true(fabs(r[1].start_time - 1.2) < 1e-6);
    assert_int_equal(inf.run_ends, 2);
    assert_true(fabs(exh_trace_run_end(&r[0]) - 9.0) < 1e-6);
    assert_true(fabs(exh_trace_run_end(&r[1]) - 11.1) < 1e-6);
    assert_true(r[0].end_time == 10 && r[1].end_time == 12); /* the gathers stay */
    assert_true(fabs(inf.mean_concurrency - 18.9 / 11.1) < 1e-6);
    assert_int_equal(inf.workers, 2);
    /* job 1 started (1.2) before job 0 ended (10): nothing had finished, so
     * it is random, though one mutation from job 0 */
    assert_int_equal(r[1].parent_id, -1);
    assert_int_equal(inf.random_records, 2);
    exh_analysis_options o;
    exh_analysis_options_default(&o);
    o.population = 1;
    o.sample = 1;
    o.popularity.window = 1;
    o.inference = inf;
    o.threads = 1;
    exh_analysis a;
    if (exh_analysis_run(r, n, &o, &a, &err) != 0)
        fail_msg("%s", err.message);
    assert_true(fabs(a.quanta.mean_duration - 9.45) < 1e-6);
    /* the page and summary.json say which end the durations used */
    const char *dir = test_temp_dir();
    assert_int_equal(exh_report_write_tables(&a, dir, &err), 0);
    assert_int_equal(exh_report_write_html(&a, dir, "wall.csv", NULL, &err), 0);
    static const struct {
        const char *file, *says;
    } said[] = {{"summary.json", "\"durations_end\": \"m:timestamp_end\""},
                {"index.html", "to m:timestamp_end (when the run itself ended, 2 of 2 records"}};
    for (size_t i = 0; i < sizeof said / sizeof *said; i++) {
        char *written, path[4096];
        size_t size;
        snprintf(path, sizeof path, "%s/%s", dir, said[i].file);
        assert_int_equal(file_read_all(path, &written, &size, &err), 0);
        if (!strstr(written, said[i].says))
            fail_msg("%s does not say '%s'", said[i].file, said[i].says);
        free(written);
    }
    exh_analysis_free(&a);
    free(r);
}

/* End times in whole seconds (older DeepHyper), --workers 2, P = 2: records
 * 0, 1, 2 all end in second 1. Record 3 was submitted when record 1 ended
 * (its start is record 1's end), so it knew records 0 and 1 only, although
 * record 2 ended in the same tick: record 2 ([0, 2], one mutation from
 * record 3's [1, 2]) is not its population, and records 0 ([0, 0]) and 1
 * ([3, 3]) are not one mutation away: no candidate. */
static void test_same_tick(void **state)
{
    (void)state;
    const char *text = "job_id,p:arch_seq,objective,m:timestamp_gather\n"
                       "0,\"[0, 0]\",50,1\n"
                       "1,\"[3, 3]\",60,1\n"
                       "2,\"[0, 2]\",70,1\n"
                       "3,\"[1, 2]\",65,2\n";
    exh_error err;
    exh_trace_record *r = NULL;
    int64_t n;
    if (exh_analyze_load(test_write_file("tick.csv", text), NULL, &r, &n, &err) != 0)
        fail_msg("%s", err.message);
    exh_analyze_inference inf;
    assert_int_equal(exh_analyze_infer(r, n, 2, 2, &inf, &err), 0);
    assert_int_equal(inf.times, EXH_ANALYZE_TIMES_INFERRED);
    assert_true(r[3].start_time == 1 && r[2].start_time == 1);
    assert_int_equal(r[3].parent_id, -1);
    assert_int_equal(inf.no_candidate, 1);
    /* 0, 1 by id; record 2 knew record 0 only, which is one mutation away
     * ([0, 0] -> [0, 2]): a child (the rule does not ask whether P had
     * finished when a candidate exists) */
    assert_int_equal(inf.random_records, 2);
    assert_int_equal(r[2].parent_id, 0);
    assert_int_equal(inf.children, 1);
    free(r);
}

/* A trace that names its parents is left alone. */
static void test_logged_parents_kept(void **state)
{
    (void)state;
    const char *text = "job_id,p:arch_seq,objective,m:timestamp_start,m:timestamp_gather,"
                       "m:worker,m:parent_id\n"
                       "0,\"[0, 0]\",50,0,1,5,-1\n"
                       "1,\"[1, 1]\",60,0,2,6,-1\n"
                       "2,\"[0, 1]\",70,1,3,5,1\n";
    exh_error err;
    exh_trace_record *r = NULL;
    int64_t n;
    if (exh_analyze_load(test_write_file("logged.csv", text), NULL, &r, &n, &err) != 0)
        fail_msg("%s", err.message);
    exh_analyze_inference inf;
    assert_int_equal(exh_analyze_infer(r, n, 1, 0, &inf, &err), 0);
    assert_int_equal(inf.parents_inferred, 0);
    assert_int_equal(inf.workers_source, EXH_ANALYZE_WORKERS_LOGGED);
    assert_int_equal(inf.workers, 2);
    assert_int_equal(r[2].parent_id, 1);
    assert_int_equal(r[0].worker, 5);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_and_gather),
        cmocka_unit_test(test_gather_only_with_workers),
        cmocka_unit_test(test_gather_only),
        cmocka_unit_test(test_wall_clock_starts),
        cmocka_unit_test(test_same_tick),
        cmocka_unit_test(test_logged_parents_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
