/* test_cachesim.c — the tensor-cache replay on small traces worked out by
 * hand below (LRU, LFU, tier, threshold, prefetch, scopes, sizes), bad
 * options, the prepared-trace API. (Random traces against a naive reference:
 * test_cachesim_reference.c.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/cachesim.h"
#include "testutil.h"
#include "trace_record_make.h"

#define FAILED NAN /* the quality of a failed evaluation */

static void number_jobs(exh_trace_record *r, int n)
{
    for (int i = 0; i < n; i++)
        r[i].job_id = i;
}

static exh_cachesim_result run(const exh_trace_record *r, int n, exh_cachesim_policy policy,
                               exh_cachesim_scope scope, int64_t capacity)
{
    exh_cachesim_options o;
    exh_cachesim_options_default(&o);
    o.policy = policy;
    o.scope = scope;
    o.capacity_bytes = capacity;
    exh_cachesim_result out;
    exh_error err;
    int rc = exh_cachesim_run(r, n, &o, &out, &err);
    if (rc != 0)
        fail_msg("cachesim_run: %s", err.message);
    return out;
}

/*
 * One-position architectures A = "0", B = "1", C = "2", D = "3" (one tensor
 * each, 1 byte), one worker, capacity 2 bytes = 2 tensors.
 *
 * rec arch start end prefix(reads)
 *  0   A    0    1   0
 *  1   A    1    2   1 (A)
 *  2   A    2    3   1 (A)
 *  3   B    3    4   0
 *  4   C    4    5   0
 *  5   A    5    6   1 (A)
 *  6   C    6    7   1 (C)
 *  7   B    7    8   1 (B)
 *  8   D    8    9   0
 *  9   A    9   10   1 (A)
 * Events at t: the write of the record ending at t, then the read of the one
 * starting at t.
 *
 * LRU (cache listed least recent first):
 *  t1 W0 [A]; R1 A hit      t2 W1 A rewrite; R2 A hit      t3 W2 A rewrite
 *  t4 W3 [A,B]              t5 W4 C evicts A [B,C]; R5 A miss
 *  t6 W5 A evicts B [C,A]; R6 C hit [A,C]           t7 W6 C rewrite; R7 B miss
 *  t8 W7 B evicts A [C,B]   t9 W8 D evicts C [B,D]; R9 A miss
 *  t10 W9 A evicts B [D,A]
 *  => 6 accesses, 3 hits (R1 R2 R6), 3 bytes missed, 10 written, 5 evictions.
 * LFU (uses = hits + writes since insertion):
 *  t1 W0 A:1; R1 hit A:2    t2 W1 A:3; R2 hit A:4          t3 W2 A:5
 *  t4 W3 B:1                t5 W4 C evicts B (1 < 5); R5 A hit A:6
 *  t6 W5 A:7; R6 C hit C:2  t7 W6 C:3; R7 B miss
 *  t8 W7 B evicts C (3 < 7) t9 W8 D evicts B (1); R9 A hit A:8    t10 W9 A:9
 *  => 6 accesses, 5 hits (R1 R2 R5 R6 R9), 1 byte missed, 10 written,
 *     3 evictions.
 * Both: 1 byte held over [1, 4), 2 from 4 to 10: peak 2, time-weighted mean
 * (3 * 1 + 6 * 2) / 10 = 1.5.
 */
static void main_trace(exh_trace_record *r)
{
    r[0] = make_record(0, 0, 1, "0", 50, 0);
    r[1] = make_record(0, 1, 2, "0", 51, 1);
    r[2] = make_record(0, 2, 3, "0", 52, 1);
    r[3] = make_record(0, 3, 4, "1", 53, 0);
    r[4] = make_record(0, 4, 5, "2", 54, 0);
    r[5] = make_record(0, 5, 6, "0", 55, 1);
    r[6] = make_record(0, 6, 7, "2", 56, 1);
    r[7] = make_record(0, 7, 8, "1", 57, 1);
    r[8] = make_record(0, 8, 9, "3", 58, 0);
    r[9] = make_record(0, 9, 10, "0", 59, 1);
    number_jobs(r, 10);
}

static void test_lru_by_hand(void **state)
{
    (void)state;
    exh_trace_record r[10];
    main_trace(r);
    exh_cachesim_result o = run(r, 10, EXH_CACHESIM_LRU, EXH_CACHESIM_SHARED, 2);
    assert_int_equal(o.records, 10);
    assert_int_equal(o.caches, 1);
    assert_int_equal(o.accesses, 6);
    assert_int_equal(o.hits, 3);
    assert_true(fabs(o.hit_rate - 0.5) < 1e-12);
    assert_int_equal(o.bytes_read_missed, 3);
    assert_int_equal(o.bytes_prefetched, 0);
    assert_int_equal(o.bytes_moved, 3);
    assert_int_equal(o.bytes_written, 10);
    assert_int_equal(o.evictions, 5);
    assert_int_equal(o.peak_bytes_stored, 2);
    assert_true(fabs(o.mean_bytes_stored - 1.5) < 1e-12);
}

static void test_lfu_differs_from_lru(void **state)
{
    (void)state;
    exh_trace_record r[10];
    main_trace(r);
    exh_cachesim_result o = run(r, 10, EXH_CACHESIM_LFU, EXH_CACHESIM_SHARED, 2);
    assert_int_equal(o.accesses, 6);
    assert_int_equal(o.hits, 5);
    assert_int_equal(o.bytes_read_missed, 1);
    assert_int_equal(o.bytes_written, 10);
    assert_int_equal(o.evictions, 3);
    assert_int_equal(o.peak_bytes_stored, 2);
    assert_true(fabs(o.mean_bytes_stored - 1.5) < 1e-12);
    /* A cache of 100 bytes holds all four tensors: every tensor is written
     * before it is read, so all 6 reads hit, with nothing evicted. */
    exh_cachesim_result lru = run(r, 10, EXH_CACHESIM_LRU, EXH_CACHESIM_SHARED, 100);
    exh_cachesim_result lfu = run(r, 10, EXH_CACHESIM_LFU, EXH_CACHESIM_SHARED, 100);
    assert_int_equal(lru.hits, 6);
    assert_int_equal(lfu.hits, 6);
    assert_int_equal(lru.evictions, 0);
    assert_int_equal(lru.peak_bytes_stored, 4);
}

/*
 * LFU ties go to the least recent. Capacity 2, A = "0", B = "1", C = "2":
 * rec arch start end reads
 *  0   A    0    1   -
 *  1   B    0    2   -
 *  2   A    3    9   A
 *  3   B    4    9   B
 *  4   C    0    5   -
 *  5   A    6    9   A    (failed: writes nothing)
 *  t1 W0 A:1   t2 W1 B:1   t3 R2 A hit A:2   t4 R3 B hit B:2
 *  t5 W4 C: A and B both have 2 uses, A's last use (t3) is older: A goes.
 *  t6 R5 A miss   t9 W2 A evicts C (1 use); W3 B rewrite.
 * => 3 accesses, 2 hits, 2 evictions (evicting B at t5 would give 3 hits).
 */
static void test_lfu_ties_least_recent(void **state)
{
    (void)state;
    exh_trace_record r[6] = {
        make_record(0, 0, 1, "0", 1, 0), make_record(0, 0, 2, "1", 1, 0), make_record(0, 3, 9, "0", 1, 1),
        make_record(0, 4, 9, "1", 1, 1), make_record(0, 0, 5, "2", 1, 0), make_record(0, 6, 9, "0", FAILED, 1),
    };
    number_jobs(r, 6);
    exh_cachesim_result o = run(r, 6, EXH_CACHESIM_LFU, EXH_CACHESIM_SHARED, 2);
    assert_int_equal(o.accesses, 3);
    assert_int_equal(o.hits, 2);
    assert_int_equal(o.evictions, 2);
}

/*
 * Threshold: the main trace under LRU with records 3 (B) and 8 (D) flagged
 * "do not store":
 *  t1 W0 [A]; R1 hit   t2 W1; R2 hit   t3 W2   t4 W3 B skipped
 *  t5 W4 [A,C]; R5 A hit [C,A]   t6 W5 A; R6 C hit [A,C]   t7 W6 C; R7 B miss
 *  t8 W7 B evicts A [C,B]   t9 W8 D skipped; R9 A miss   t10 W9 A evicts C [B,A]
 *  => 4 hits (R1 R2 R5 R6), 2 misses, 8 written, 2 evictions.
 */
static void test_threshold_skips_flagged(void **state)
{
    (void)state;
    exh_trace_record r[10];
    main_trace(r);
    unsigned char skip[10] = {0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
    exh_cachesim_options o;
    exh_cachesim_options_default(&o);
    o.policy = EXH_CACHESIM_THRESHOLD;
    o.capacity_bytes = 2;
    o.skip_store = skip;
    exh_cachesim_result out;
    assert_int_equal(exh_cachesim_run(r, 10, &o, &out, NULL), 0);
    assert_int_equal(out.hits, 4);
    assert_int_equal(out.bytes_read_missed, 2);
    assert_int_equal(out.bytes_written, 8);
    assert_int_equal(out.evictions, 2);
    /* No flags, or flags under another policy: plain LRU (3 hits). */
    o.skip_store = NULL;
    assert_int_equal(exh_cachesim_run(r, 10, &o, &out, NULL), 0);
    assert_int_equal(out.hits, 3);
    o.skip_store = skip;
    o.policy = EXH_CACHESIM_LRU;
    assert_int_equal(exh_cachesim_run(r, 10, &o, &out, NULL), 0);
    assert_int_equal(out.hits, 3);
    assert_int_equal(out.bytes_written, 10);
}

/*
 * Tier, 2 donations needed, window 3 records, capacity 10 (nothing evicted),
 * X = "0", Y = "1":
 * rec arch start end reads  window at its end (records started)  X reads  write
 *  0   X    0    1   -      {0}                                   0        no
 *  1   X    2    3   X miss {0,1}                                 1        no
 *  2   X    4    5   X miss {0,1,2}                               2        admitted
 *  3   X    6    7   X hit  {1,2,3}                               3        admitted
 *  4   Y    8    9   -      {2,3,4}                        (Y: 0)          no
 *  5   Y   10   11   Y miss {3,4,5}                        (Y: 1)          no
 *  6   X   12   13   X hit  {4,5,6}                               1        no
 * => 5 accesses, 2 hits, 3 missed, 2 written. With window 100, record 6's
 * write is admitted too (4 reads of X): 3 written. LRU stores X at t1 and Y
 * at t9, before any read of them: all 5 reads hit, 7 written.
 */
static void tier_trace(exh_trace_record *r)
{
    r[0] = make_record(0, 0, 1, "0", 1, 0);
    r[1] = make_record(0, 2, 3, "0", 1, 1);
    r[2] = make_record(0, 4, 5, "0", 1, 1);
    r[3] = make_record(0, 6, 7, "0", 1, 1);
    r[4] = make_record(0, 8, 9, "1", 1, 0);
    r[5] = make_record(0, 10, 11, "1", 1, 1);
    r[6] = make_record(0, 12, 13, "0", 1, 1);
    number_jobs(r, 7);
}

static void test_tier_admits_after_donations(void **state)
{
    (void)state;
    exh_trace_record r[7];
    tier_trace(r);
    exh_cachesim_options o;
    exh_cachesim_options_default(&o);
    o.policy = EXH_CACHESIM_TIER;
    o.capacity_bytes = 10;
    o.window = 3;
    o.tier_donations = 2;
    exh_cachesim_result out;
    assert_int_equal(exh_cachesim_run(r, 7, &o, &out, NULL), 0);
    assert_int_equal(out.accesses, 5);
    assert_int_equal(out.hits, 2);
    assert_int_equal(out.bytes_read_missed, 3);
    assert_int_equal(out.bytes_written, 2);
    assert_int_equal(out.peak_bytes_stored, 1);
    o.window = 100;
    assert_int_equal(exh_cachesim_run(r, 7, &o, &out, NULL), 0);
    assert_int_equal(out.hits, 2);
    assert_int_equal(out.bytes_written, 3);
    o.tier_donations = 0; /* admits everything: LRU */
    assert_int_equal(exh_cachesim_run(r, 7, &o, &out, NULL), 0);
    assert_int_equal(out.hits, 5);
    assert_int_equal(out.bytes_written, 7);
    exh_cachesim_result lru = run(r, 7, EXH_CACHESIM_LRU, EXH_CACHESIM_SHARED, 10);
    assert_int_equal(lru.hits, 5);
}

/*
 * Scopes, capacity 10, A = "0" on workers 5 and 1000000 (sparse ids):
 * rec worker start end reads quality
 *  0   5        0    1   -     50
 *  1   1000000  2    3   A     40
 *  2   5        4    5   A     45
 *  3   1000000  6    7   A     60
 * Shared: 3 hits of 3; peak 1. Per worker: R1 misses (worker 1000000's cache
 * is empty until its own write at t3), R2 and R3 hit: 2 hits; 2 caches; peak
 * 2 (A in each after t3).
 * Prefetch, per worker: record 0 ends as the first best, so A is also pushed
 * into worker 1000000's cache at t1 (1 byte prefetched; worker 5's cache got
 * it by the write): R1 hits, 3 hits; record 3 (60) is a new best again but
 * both caches hold A: nothing moves. Bytes moved: 1 either way, the
 * prefetched byte moved before it was needed. Shared prefetch = LRU.
 */
static void scope_trace(exh_trace_record *r)
{
    r[0] = make_record(5, 0, 1, "0", 50, 0);
    r[1] = make_record(1000000, 2, 3, "0", 40, 1);
    r[2] = make_record(5, 4, 5, "0", 45, 1);
    r[3] = make_record(1000000, 6, 7, "0", 60, 1);
    number_jobs(r, 4);
}

static void test_scopes_and_prefetch(void **state)
{
    (void)state;
    exh_trace_record r[4];
    scope_trace(r);
    exh_cachesim_result shared = run(r, 4, EXH_CACHESIM_LRU, EXH_CACHESIM_SHARED, 10);
    assert_int_equal(shared.caches, 1);
    assert_int_equal(shared.hits, 3);
    assert_int_equal(shared.peak_bytes_stored, 1);
    exh_cachesim_result worker = run(r, 4, EXH_CACHESIM_LRU, EXH_CACHESIM_PER_WORKER, 10);
    assert_int_equal(worker.caches, 2);
    assert_int_equal(worker.accesses, 3);
    assert_int_equal(worker.hits, 2);
    assert_int_equal(worker.bytes_read_missed, 1);
    assert_int_equal(worker.bytes_moved, 1);
    assert_int_equal(worker.peak_bytes_stored, 2);
    exh_cachesim_result prefetch = run(r, 4, EXH_CACHESIM_PREFETCH, EXH_CACHESIM_PER_WORKER, 10);
    assert_int_equal(prefetch.hits, 3);
    assert_int_equal(prefetch.bytes_read_missed, 0);
    assert_int_equal(prefetch.bytes_prefetched, 1);
    assert_int_equal(prefetch.bytes_moved, 1);
    assert_int_equal(prefetch.bytes_written, 4);
    exh_cachesim_result shared_prefetch = run(r, 4, EXH_CACHESIM_PREFETCH, EXH_CACHESIM_SHARED, 10);
    assert_int_equal(shared_prefetch.hits, 3);
    assert_int_equal(shared_prefetch.bytes_prefetched, 0);
}

/* Sizes by token: 0 -> 5 bytes, 1 -> 1 byte, 2 -> 0 bytes (no tensor). */
static int64_t bytes_by_token(const exh_arch *a, int position, void *context)
{
    (void)context;
    static const int64_t sizes[3] = {5, 1, 0};
    return sizes[a->token[position]];
}

/*
 * Capacity 3, architecture [0, 1, 2] twice, the second receiving all three:
 * W0 offers position 0 (5 bytes > 3: never stored), position 1 (1 byte:
 * stored), not position 2 (0 bytes). R1: position 0 misses (5 bytes),
 * position 1 hits, position 2 is no access. W1 rewrites position 1.
 * => 2 accesses, 1 hit, 5 missed, 2 written, peak 1, no evictions.
 */
static void test_sizes_too_big_and_zero(void **state)
{
    (void)state;
    exh_trace_record r[2] = {make_record(0, 0, 1, "012", 1, 0), make_record(0, 2, 3, "012", 2, 3)};
    number_jobs(r, 2);
    exh_cachesim_options o;
    exh_cachesim_options_default(&o);
    o.capacity_bytes = 3;
    o.tensor_bytes = bytes_by_token;
    exh_cachesim_result out;
    assert_int_equal(exh_cachesim_run(r, 2, &o, &out, NULL), 0);
    assert_int_equal(out.accesses, 2);
    assert_int_equal(out.hits, 1);
    assert_int_equal(out.bytes_read_missed, 5);
    assert_int_equal(out.bytes_written, 2);
    assert_int_equal(out.peak_bytes_stored, 1);
    assert_int_equal(out.evictions, 0);
    /* Capacity 0 stores nothing. */
    o.capacity_bytes = 0;
    assert_int_equal(exh_cachesim_run(r, 2, &o, &out, NULL), 0);
    assert_int_equal(out.hits, 0);
    assert_int_equal(out.bytes_written, 0);
    assert_int_equal(out.peak_bytes_stored, 0);
    /* Uniform sizes. */
    int64_t seven = 7;
    o.capacity_bytes = 100;
    o.tensor_bytes = exh_cachesim_uniform_tensor_bytes;
    o.tensor_context = &seven;
    assert_int_equal(exh_cachesim_run(r, 2, &o, &out, NULL), 0);
    assert_int_equal(out.accesses, 3);
    assert_int_equal(out.hits, 3);
    assert_int_equal(out.bytes_written, 42);
    assert_int_equal(out.peak_bytes_stored, 21);
}

static void test_unsorted_input(void **state)
{
    (void)state;
    exh_trace_record r[10], shuffled[10];
    main_trace(r);
    static const int order[10] = {7, 2, 9, 0, 5, 3, 8, 1, 6, 4};
    for (int i = 0; i < 10; i++)
        shuffled[i] = r[order[i]];
    for (int policy = 0; policy < EXH_CACHESIM_POLICY_COUNT; policy++) {
        exh_cachesim_result a = run(r, 10, (exh_cachesim_policy)policy, EXH_CACHESIM_SHARED, 2);
        exh_cachesim_result b = run(shuffled, 10, (exh_cachesim_policy)policy, EXH_CACHESIM_SHARED, 2);
        assert_int_equal(a.hits, b.hits);
        assert_int_equal(a.evictions, b.evictions);
        assert_int_equal(a.bytes_written, b.bytes_written);
        assert_true(fabs(a.mean_bytes_stored - b.mean_bytes_stored) < 1e-12);
    }
    exh_cachesim_result lru = run(shuffled, 10, EXH_CACHESIM_LRU, EXH_CACHESIM_SHARED, 2);
    assert_int_equal(lru.hits, 3);
}

/* At equal times writes come first: a model ending at 5 donates to one
 * starting at 5. Negative times sort too. */
static void test_ties_and_negative_times(void **state)
{
    (void)state;
    exh_trace_record r[3] = {make_record(0, 5, 5, "1", 1, 1), make_record(0, -3, 5, "1", 1, 0),
                         make_record(0, -2, -1, "0", 1, 0)};
    number_jobs(r, 3);
    exh_cachesim_result o = run(r, 3, EXH_CACHESIM_LRU, EXH_CACHESIM_SHARED, 10);
    /* Record 0 reads "1" at 5 after record 1's write at 5 (and its own write,
     * at 5 too, comes before its read). */
    assert_int_equal(o.accesses, 1);
    assert_int_equal(o.hits, 1);
    /* Held: "0" from -1, "1" from 5: (5 - -1) * 1 over [-3, 5] = 6 / 8. */
    assert_true(fabs(o.mean_bytes_stored - 0.75) < 1e-12);
}

static void test_empty_trace(void **state)
{
    (void)state;
    exh_cachesim_result o = run(NULL, 0, EXH_CACHESIM_LFU, EXH_CACHESIM_PER_WORKER, 10);
    assert_int_equal(o.accesses, 0);
    assert_true(isnan(o.hit_rate));
    assert_int_equal(o.peak_bytes_stored, 0);
}

static void expect_invalid(const exh_trace_record *r, int n, const exh_cachesim_options *o,
                           const char *needle)
{
    exh_cachesim_result out;
    exh_error err;
    assert_int_equal(exh_cachesim_run(r, n, o, &out, &err), EXH_ERR_INVALID);
    if (!strstr(err.message, needle))
        fail_msg("message '%s' lacks '%s'", err.message, needle);
}

static void test_bad_options(void **state)
{
    (void)state;
    exh_trace_record r[10];
    main_trace(r);
    exh_cachesim_options o;
    exh_cachesim_options_default(&o);
    o.capacity_bytes = -1;
    expect_invalid(r, 10, &o, "capacity");
    exh_cachesim_options_default(&o);
    o.window = 0;
    expect_invalid(r, 10, &o, "window");
    exh_cachesim_options_default(&o);
    o.tier_donations = -1;
    expect_invalid(r, 10, &o, "donations");
    exh_cachesim_options_default(&o);
    o.policy = (exh_cachesim_policy)99;
    expect_invalid(r, 10, &o, "policy");
    exh_cachesim_options_default(&o);
    o.scope = (exh_cachesim_scope)7;
    expect_invalid(r, 10, &o, "scope");
    expect_invalid(r, 10, NULL, "options");
    exh_cachesim_options_default(&o);
    r[4].start_time = NAN;
    expect_invalid(r, 10, &o, "record 4 (job 4)");
    main_trace(r);
    r[6].end_time = 1;
    expect_invalid(r, 10, &o, "record 6 (job 6): ends");
    main_trace(r);
    o.tensor_bytes = exh_cachesim_nb201_tensor_bytes; /* token 7 is no operation */
    static const int32_t seven[] = {7};
    r[5].arch_token = seven;
    expect_invalid(r, 10, &o, "record 5 (job 5): no tensor size for position 0");
}

/* Prepared once, replayed under every policy and scope: the same results as
 * cachesim_run; the options' tensor_bytes are not used by cachesim_trace_run. */
static void test_prepared_trace(void **state)
{
    (void)state;
    exh_trace_record r[10];
    main_trace(r);
    exh_cachesim_trace *t;
    exh_error err;
    assert_int_equal(exh_cachesim_trace_prepare(r, 10, NULL, NULL, &t, &err), 0);
    for (int policy = 0; policy < EXH_CACHESIM_POLICY_COUNT; policy++)
        for (int scope = 0; scope < EXH_CACHESIM_SCOPE_COUNT; scope++) {
            exh_cachesim_options o;
            exh_cachesim_options_default(&o);
            o.policy = (exh_cachesim_policy)policy;
            o.scope = (exh_cachesim_scope)scope;
            o.capacity_bytes = 2;
            exh_cachesim_result a, b;
            assert_int_equal(exh_cachesim_run(r, 10, &o, &a, &err), 0);
            o.tensor_bytes = bytes_by_token; /* ignored */
            assert_int_equal(exh_cachesim_trace_run(t, &o, &b, &err), 0);
            assert_memory_equal(&a, &b, sizeof a);
        }
    exh_cachesim_options o;
    exh_cachesim_options_default(&o);
    o.window = -5;
    exh_cachesim_result out;
    assert_int_equal(exh_cachesim_trace_run(t, &o, &out, &err), EXH_ERR_INVALID);
    exh_cachesim_trace_free(t);
    exh_cachesim_trace_free(NULL);
    r[2].arch_length = EXH_ARCH_MAX_TOKENS + 1;
    assert_int_equal(exh_cachesim_trace_prepare(r, 10, NULL, NULL, &t, &err), EXH_ERR_INVALID);
    assert_null(t);
    assert_non_null(strstr(err.message, "record 2 (job 2): architecture length 257"));
}

static void test_names(void **state)
{
    (void)state;
    for (int p = 0; p < EXH_CACHESIM_POLICY_COUNT; p++) {
        exh_cachesim_policy back;
        assert_int_equal(exh_cachesim_policy_parse(exh_cachesim_policy_name((exh_cachesim_policy)p), &back,
                                                   NULL), 0);
        assert_int_equal(back, p);
    }
    for (int s = 0; s < EXH_CACHESIM_SCOPE_COUNT; s++) {
        exh_cachesim_scope back;
        assert_int_equal(exh_cachesim_scope_parse(exh_cachesim_scope_name((exh_cachesim_scope)s), &back,
                                                  NULL), 0);
        assert_int_equal(back, s);
    }
    assert_string_equal(exh_cachesim_policy_name(EXH_CACHESIM_TIER), "tier");
    assert_string_equal(exh_cachesim_scope_name(EXH_CACHESIM_PER_WORKER), "per-worker");
    exh_cachesim_policy p;
    exh_error err;
    assert_int_equal(exh_cachesim_policy_parse("mru", &p, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "mru"));
    assert_string_equal(exh_cachesim_policy_name((exh_cachesim_policy)42), "?");
}

/* NB201: nor_conv_3x3 = 4 bytes * 5 * sum over C of (9 C^2 + 2 C)
 * = 20 * (2336 + 9280 + 36992) = 972,160; nor_conv_1x1 = 20 * (288 + 1088 +
 * 4224) = 112,000. */
static void test_nb201_sizes(void **state)
{
    (void)state;
    exh_arch a = {.length = 6, .token = {3, 2, 0, 1, 4, 3}};
    static const int64_t expected[6] = {972160, 112000, 0, 0, 0, 972160};
    for (int p = 0; p < 6; p++)
        assert_int_equal(exh_cachesim_nb201_tensor_bytes(&a, p, NULL), expected[p]);
    assert_int_equal(exh_cachesim_nb201_tensor_bytes(&a, 6, NULL), -1);
    a.token[1] = 5;
    assert_int_equal(exh_cachesim_nb201_tensor_bytes(&a, 1, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lru_by_hand),
        cmocka_unit_test(test_lfu_differs_from_lru),
        cmocka_unit_test(test_lfu_ties_least_recent),
        cmocka_unit_test(test_threshold_skips_flagged),
        cmocka_unit_test(test_tier_admits_after_donations),
        cmocka_unit_test(test_scopes_and_prefetch),
        cmocka_unit_test(test_sizes_too_big_and_zero),
        cmocka_unit_test(test_unsorted_input),
        cmocka_unit_test(test_ties_and_negative_times),
        cmocka_unit_test(test_empty_trace),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_prepared_trace),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_nb201_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
