/* test_locality.c — RQ2 and scheduling quanta on the hand-worked ten-record
 * trace (trace_fixture.h).
 *
 * Tensor reads (a child reads positions 0..prefix-1 at its start), with
 * A = [0], B = [0,1], C = [1], D = [1,1], E = [0,0]:
 *   t1 w1: A B   t2 w0: A B   t3 w1: A   t4 w0: C D   t5 w1: A E   t6 w0: A B
 * 11 reads, 5 tensors; A is read 5 times, B 3.
 * Across workers (time order) the reuse distances are A:1 B:1 A:1 A:2 A:1 B:4
 * with 5 first reads; per worker: w0 A:3 B:3, w1 A:1 A:0, with 7 first reads.
 * Broadcast window 1 s: A {t1 w1, t2 w0} {t3} {t5 w1, t6 w0}, B {t1, t2} {t6},
 * C, D, E: 8 groups, 3 of them shared by two workers, holding 6 reads.
 * Quanta on 2 workers, durations in start order 1,2,3,3,...,3 (10 jobs):
 * s = 1 never waits (makespan 14); s = 2 waits once, 1 s, at time 2
 * (hand-outs at 0, 2, 5, 8, 11: first waits average 0.2, per job 0.1).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/analyze.h"
#include "exhaust/locality.h"
#include "testutil.h"

#include "trace_fixture.h"

static void test_reads_and_reuse(void **state)
{
    (void)state;
    int64_t n;
    exh_trace_record *r = load_fixture(&n);
    exh_locality_options o;
    exh_locality_options_default(&o);
    o.top_tensors = 2;
    o.broadcast_window = 1;
    exh_locality l;
    exh_error err;
    assert_int_equal(exh_locality_build(r, n, &o, &l, &err), 0);
    assert_int_equal(l.reads, 11);
    assert_int_equal(l.distinct_tensors, 5);
    assert_int_equal(l.top_count, 2);
    assert_int_equal(l.top_reads[0], 5);
    assert_int_equal(l.top_position[0], 0);
    assert_int_equal(l.top_reads[1], 3);
    assert_int_equal(l.top_position[1], 1);
    assert_int_equal(l.access_count, 8);
    assert_true(l.accesses[0].time == 1 && l.accesses[0].worker == 1);
    assert_true(l.accesses[7].time == 6 && l.accesses[7].worker == 0);

    assert_int_equal(l.cold_global, 5);
    assert_int_equal(l.reuse_global[exh_locality_bucket(1)], 4);
    assert_int_equal(l.reuse_global[exh_locality_bucket(2)], 1);
    assert_int_equal(l.reuse_global[exh_locality_bucket(4)], 1);
    assert_true(l.median_reuse_global == 1);
    assert_int_equal(l.cold_worker, 7);
    assert_int_equal(l.reuse_worker[0], 1);
    assert_int_equal(l.reuse_worker[exh_locality_bucket(1)], 1);
    assert_int_equal(l.reuse_worker[exh_locality_bucket(3)], 2);

    assert_int_equal(l.broadcast_groups, 8);
    assert_int_equal(l.shared_groups, 3);
    assert_int_equal(l.shared_reads, 6);
    assert_int_equal(l.group_workers[exh_locality_bucket(2)], 3);
    assert_int_equal(l.group_workers[exh_locality_bucket(1)], 5);
    exh_locality_free(&l);
    free(r);
}

/* A prefix length past the architecture's end (a trace may say anything)
 * reads the whole architecture, as the cache replay counts it. */
static void test_prefix_longer_than_architecture(void **state)
{
    (void)state;
    int64_t n;
    exh_trace_record *r = load_fixture(&n);
    r[3].prefix_length = 9; /* job 3: [0, 1, 1], received 2 before */
    exh_locality_options o;
    exh_locality_options_default(&o);
    exh_locality l;
    exh_error err;
    if (exh_locality_build(r, n, &o, &l, &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(l.reads, 12);
    assert_int_equal(l.distinct_tensors, 6);
    exh_locality_free(&l);
    free(r);
}

static void test_buckets(void **state)
{
    (void)state;
    assert_int_equal(exh_locality_bucket(0), 0);
    assert_int_equal(exh_locality_bucket(1), 1);
    assert_int_equal(exh_locality_bucket(3), 2);
    assert_int_equal(exh_locality_bucket(4), 3);
    for (int b = 1; b < 20; b++) {
        assert_int_equal(exh_locality_bucket(exh_locality_bucket_floor(b)), b);
        assert_int_equal(exh_locality_bucket(2 * exh_locality_bucket_floor(b) - 1), b);
    }
}

static void test_order_statistics(void **state)
{
    (void)state;
    /* Exact expectations: the smaller of two standard normals -1/sqrt(pi);
     * the largest of 100 about 2.5076. Elfving's approximation is close. */
    assert_true(fabs(exh_quanta_order_statistic(1, 2) + 1 / sqrt(3.14159265358979)) < 0.05);
    assert_true(fabs(exh_quanta_order_statistic(100, 100) - 2.5076) < 0.02);
    assert_true(fabs(exh_quanta_order_statistic(1, 9) + exh_quanta_order_statistic(9, 9)) < 1e-12);
    assert_true(fabs(exh_quanta_order_statistic(5, 9)) < 1e-12);
}

static void test_quanta_replay(void **state)
{
    (void)state;
    int64_t n;
    exh_trace_record *r = load_fixture(&n);
    int list[] = {1, 2};
    exh_quanta q;
    exh_error err;
    assert_int_equal(exh_quanta_build(r, n, 0, list, 2, &q, &err), 0);
    assert_int_equal(q.workers, 2);
    assert_true(fabs(q.mean_duration - 2.7) < 1e-12);
    assert_true(fabs(q.sigma - sqrt(4.1 / 9)) < 1e-12);
    assert_true(q.rows[0].measured_mean_wait == 0 && q.rows[0].makespan == 14);
    assert_true(q.rows[0].theory_first_wait == 0);
    assert_true(fabs(q.rows[1].measured_first_wait - 0.2) < 1e-12);
    assert_true(fabs(q.rows[1].measured_mean_wait - 0.1) < 1e-12);
    assert_true(q.rows[1].makespan == 14);
    double spread = exh_quanta_order_statistic(2, 2) - exh_quanta_order_statistic(1, 2);
    assert_true(fabs(q.rows[1].theory_first_wait - q.sigma * spread) < 1e-12);
    assert_true(fabs(q.rows[1].theory_mean_wait - q.sigma * spread / 2) < 1e-12);
    assert_true(fabs(q.rows[1].theory_barrier_saving) < 1e-12);
    exh_quanta_free(&q);
    int bad[] = {3};
    assert_true(exh_quanta_build(r, n, 0, bad, 1, &q, &err) < 0);
    assert_non_null(strstr(err.message, "quantum 3"));
    free(r);
}

/* The workers are counted once each however many records name them (a
 * byte counter once wrapped after 255 records of one worker and counted it
 * again): 600 records on workers 0 and 1 are 2 workers. */
static void test_quanta_many_records_per_worker(void **state)
{
    (void)state;
    int64_t n = 600;
    exh_trace_record *r = calloc((size_t)n, sizeof *r);
    for (int64_t i = 0; i < n; i++) {
        r[i].job_id = i;
        r[i].worker = (int)(i % 2);
        r[i].start_time = (double)(i / 2);
        r[i].end_time = (double)(i / 2) + 1;
        r[i].parent_id = r[i].donor_id = r[i].donor_run_id = -1;
    }
    exh_quanta q;
    exh_error err;
    assert_int_equal(exh_quanta_build(r, n, 0, NULL, 0, &q, &err), 0);
    assert_int_equal(q.workers, 2);
    exh_quanta_free(&q);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_and_reuse),
        cmocka_unit_test(test_prefix_longer_than_architecture),
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_order_statistics),
        cmocka_unit_test(test_quanta_replay),
        cmocka_unit_test(test_quanta_many_records_per_worker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
