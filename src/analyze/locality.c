/* locality.c — RQ2: tensor reads across workers: the most read tensors,
 * reuse distances, broadcast groups (see locality.h). Reuse distances use a
 * Fenwick tree over the read stream, so they are O(n log n), not O(n^2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "repo/keymap.h"
#include "analyze/time_sort.h"
#include "exhaust/locality.h"
#include "exhaust/transfer.h"

void exh_locality_options_default(exh_locality_options *o)
{
    o->top_tensors = 5;
    o->broadcast_window = 0;
}

int exh_locality_bucket(int64_t value)
{
    int b = 0;
    while (value > 0 && b < EXH_LOCALITY_BUCKETS - 1) {
        value >>= 1;
        b++;
    }
    return b;
}

int64_t exh_locality_bucket_floor(int bucket)
{
    return bucket == 0 ? 0 : (int64_t)1 << (bucket - 1);
}

/* One tensor read. `id` numbers the distinct tensors 0, 1, ... in the order
 * they are first read, so the passes below index arrays instead of hashing. */
typedef struct read_event {
    double time;
    uint64_t key;
    int32_t id, record, worker, position;
} read_event;

static int64_t count_reads(const exh_trace_record *records, int64_t count)
{
    int64_t n = 0;
    for (int64_t i = 0; i < count; i++)
        if (records[i].donor_id >= 0 || records[i].donor_run_id >= 0) {
            exh_arch a;
            n += exh_transfer_received_count(exh_trace_record_arch(&records[i], &a),
                                             records[i].prefix_length);
        }
    return n;
}

/* Every read, in start-time order; *tensors: how many distinct. */
static int collect_reads(const exh_trace_record *records, int64_t count, read_event *reads,
                         int64_t *tensors)
{
    const exh_trace_record **by_start = start_order(records, count);
    keymap ids;
    if (!by_start || keymap_init(&ids, 1024) != 0) {
        free((void *)by_start);
        return EXH_ERR_NOMEM;
    }
    int32_t n = 0;
    for (int64_t i = 0; i < count; i++) {
        const exh_trace_record *r = by_start[i];
        if (r->donor_id < 0 && r->donor_run_id < 0)
            continue;
        exh_arch a;
        int length = exh_transfer_received_count(exh_trace_record_arch(r, &a), r->prefix_length);
        for (int p = 0; p < length; p++, n++) {
            uint64_t key = exh_transfer_tensor_key(&a, p);
            int64_t *id = keymap_upsert(&ids, key, ids.count, NULL);
            if (!id)
                break;
            reads[n] = (read_event){r->start_time, key, (int32_t)*id, (int32_t)(r - records),
                                    r->worker, p};
        }
    }
    *tensors = ids.count;
    int rc = n == count_reads(records, count) ? EXH_OK : EXH_ERR_NOMEM;
    keymap_free(&ids);
    free((void *)by_start);
    return rc;
}

/* The stream grouped by tensor, each tensor's reads still in time order
 * (a counting sort on the dense ids: stable and O(n)). */
static int group_by_tensor(const read_event *reads, int64_t n, int64_t tensors, read_event *out)
{
    int64_t *start = calloc((size_t)tensors + 1, sizeof *start);
    if (!start)
        return EXH_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++)
        start[reads[i].id + 1]++;
    for (int64_t t = 1; t <= tensors; t++)
        start[t] += start[t - 1];
    for (int64_t i = 0; i < n; i++)
        out[start[reads[i].id]++] = reads[i];
    free(start);
    return EXH_OK;
}

/* The stream regrouped by worker, each worker's reads still in time order
 * (a counting sort: stable and O(n)). Workers are small non-negative
 * numbers; anything else (-1: unknown) is one group. */
static int group_by_worker(const read_event *reads, int64_t n, read_event *out)
{
    int max = 0;
    for (int64_t i = 0; i < n; i++)
        max = reads[i].worker > max ? reads[i].worker : max;
    int64_t *start = calloc((size_t)max + 3, sizeof *start);
    if (!start)
        return EXH_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++)
        start[(reads[i].worker >= 0 ? reads[i].worker + 1 : 0) + 1]++;
    for (int w = 1; w <= max + 2; w++)
        start[w] += start[w - 1];
    for (int64_t i = 0; i < n; i++)
        out[start[reads[i].worker >= 0 ? reads[i].worker + 1 : 0]++] = reads[i];
    free(start);
    return EXH_OK;
}

/* ---- reuse distance ---- */

static void fenwick_add(int64_t *tree, int64_t n, int64_t at, int64_t delta)
{
    for (at++; at <= n; at += at & -at)
        tree[at] += delta;
}

static int64_t fenwick_prefix(const int64_t *tree, int64_t at) /* sum of [0, at) */
{
    int64_t sum = 0;
    for (; at > 0; at -= at & -at)
        sum += tree[at];
    return sum;
}

/* Stack distances of reads in the given order. With per_worker, the stream
 * is grouped by worker and each worker's segment starts afresh: a tensor's
 * last read counts only if it was in the same segment, so the tree (which
 * keeps earlier segments' marks, all before `last`) counts only that
 * worker's reads in between. */
static int reuse_distances(const read_event *reads, int64_t n, int64_t tensors, int per_worker,
                           int64_t *buckets, int64_t *cold, double *median)
{
    int64_t *tree = calloc((size_t)n + 1, sizeof *tree);
    int64_t *last = malloc(sizeof *last * (size_t)(tensors + 1));
    int64_t *segment_of = malloc(sizeof *segment_of * (size_t)(tensors + 1));
    if (!tree || !last || !segment_of) {
        free(tree);
        free(last);
        free(segment_of);
        return EXH_ERR_NOMEM;
    }
    for (int64_t t = 0; t < tensors; t++)
        segment_of[t] = -1;
    int64_t segment = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t id = reads[i].id;
        if (per_worker && i > 0 && reads[i].worker != reads[i - 1].worker)
            segment++;
        if (segment_of[id] != segment) {
            (*cold)++;
            segment_of[id] = segment;
        } else {
            int64_t distance = fenwick_prefix(tree, i) - fenwick_prefix(tree, last[id] + 1);
            buckets[exh_locality_bucket(distance)]++;
            fenwick_add(tree, n, last[id], -1);
        }
        last[id] = i;
        fenwick_add(tree, n, i, +1);
    }
    free(tree);
    free(last);
    free(segment_of);
    int64_t warm = 0, seen = 0;
    for (int b = 0; b < EXH_LOCALITY_BUCKETS; b++)
        warm += buckets[b];
    *median = NAN;
    for (int b = 0; b < EXH_LOCALITY_BUCKETS && warm; b++)
        if ((seen += buckets[b]) * 2 >= warm) {
            *median = (double)exh_locality_bucket_floor(b);
            break;
        }
    return EXH_OK;
}

/* ---- broadcast groups ---- */

static int compare_ints(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int distinct_workers(const read_event *reads, int64_t n, int *scratch)
{
    for (int64_t i = 0; i < n; i++)
        scratch[i] = reads[i].worker;
    qsort(scratch, (size_t)n, sizeof *scratch, compare_ints);
    int distinct = n > 0;
    for (int64_t i = 1; i < n; i++)
        distinct += scratch[i] != scratch[i - 1];
    return distinct;
}

/* reads sorted by (key, time): a group starts at the first read not yet
 * grouped and takes every read of that tensor within the window. */
static void broadcast_groups(const read_event *reads, int64_t n, int *scratch, exh_locality *out)
{
    for (int64_t start = 0; start < n;) {
        int64_t end = start + 1;
        while (end < n && reads[end].id == reads[start].id &&
               reads[end].time <= reads[start].time + out->broadcast_window)
            end++;
        int workers = distinct_workers(reads + start, end - start, scratch);
        out->broadcast_groups++;
        out->group_workers[exh_locality_bucket(workers)]++;
        if (workers >= 2) {
            out->shared_groups++;
            out->shared_reads += end - start;
        }
        start = end;
    }
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_duration(const exh_trace_record *records, int64_t count)
{
    double *d = malloc(sizeof *d * (size_t)count);
    int64_t n = 0;
    for (int64_t i = 0; d && i < count; i++) {
        double x = exh_trace_run_end(&records[i]) - records[i].start_time;
        if (isfinite(x) && x >= 0)
            d[n++] = x;
    }
    if (!d || n == 0) {
        free(d);
        return NAN;
    }
    qsort(d, (size_t)n, sizeof *d, compare_doubles);
    double m = d[n / 2];
    free(d);
    return m;
}

/* ---- the most read tensors ---- */

/* Keep the k most read tensors, sorted by reads (ties: the one read first,
 * since tensors arrive in the order of their first read). */
static void offer_top(exh_locality *out, int k, int64_t reads, const read_event *first)
{
    if (out->top_count == k && out->top_reads[k - 1] >= reads)
        return;
    int slot = out->top_count < k ? out->top_count++ : k - 1;
    for (; slot > 0 && out->top_reads[slot - 1] < reads; slot--) {
        out->top_reads[slot] = out->top_reads[slot - 1];
        out->top_key[slot] = out->top_key[slot - 1];
        out->top_example[slot] = out->top_example[slot - 1];
        out->top_position[slot] = out->top_position[slot - 1];
    }
    out->top_reads[slot] = reads;
    out->top_key[slot] = first->key;
    out->top_example[slot] = first->record;
    out->top_position[slot] = first->position;
}

/* reads sorted by key: each run is one tensor. */
static void choose_top(const read_event *reads, int64_t n, int k, exh_locality *out)
{
    for (int64_t start = 0, end; start < n; start = end) {
        for (end = start; end < n && reads[end].id == reads[start].id; end++)
            ;
        out->distinct_tensors++;
        offer_top(out, k, end - start, &reads[start]);
    }
}

static int top_index(const exh_locality *l, uint64_t key)
{
    for (int t = 0; t < l->top_count; t++)
        if (l->top_key[t] == key)
            return t;
    return -1;
}

static int collect_top_accesses(const read_event *by_time, int64_t n, exh_locality *out)
{
    int64_t total = 0;
    for (int t = 0; t < out->top_count; t++)
        total += out->top_reads[t];
    out->accesses = malloc(sizeof *out->accesses * (size_t)(total + 1));
    if (!out->accesses)
        return EXH_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++) {
        int t = top_index(out, by_time[i].key);
        if (t >= 0)
            out->accesses[out->access_count++] =
                (exh_locality_access){by_time[i].time, by_time[i].worker, t};
    }
    return EXH_OK;
}

static int analyze_reads(const read_event *stream, int64_t n, int64_t tensors,
                         const exh_locality_options *o, exh_locality *out)
{
    read_event *sorted = malloc(sizeof *sorted * (size_t)(n + 1));
    int *scratch = malloc(sizeof *scratch * (size_t)(n + 1));
    int rc = sorted && scratch ? EXH_OK : EXH_ERR_NOMEM;
    if (rc == 0)
        rc = group_by_tensor(stream, n, tensors, sorted);
    if (rc == 0) {
        choose_top(sorted, n, o->top_tensors, out);
        broadcast_groups(sorted, n, scratch, out);
        rc = collect_top_accesses(stream, n, out);
    }
    if (rc == 0)
        rc = reuse_distances(stream, n, tensors, 0, out->reuse_global, &out->cold_global,
                             &out->median_reuse_global);
    if (rc == 0)
        rc = group_by_worker(stream, n, sorted);
    if (rc == 0)
        rc = reuse_distances(sorted, n, tensors, 1, out->reuse_worker, &out->cold_worker,
                             &out->median_reuse_worker);
    free(sorted);
    free(scratch);
    return rc;
}

int exh_locality_build(const exh_trace_record *records, int64_t count,
                       const exh_locality_options *o, exh_locality *out, exh_error *err)
{
    memset(out, 0, sizeof *out);
    if (o->top_tensors < 1 || o->top_tensors > EXH_LOCALITY_MAX_TOP)
        return exh_error_set(err, EXH_ERR_INVALID, "locality: top tensors must be 1 to %d",
                             EXH_LOCALITY_MAX_TOP);
    out->broadcast_window = o->broadcast_window > 0 ? o->broadcast_window
                                                    : median_duration(records, count) / 10;
    if (!(out->broadcast_window >= 0))
        out->broadcast_window = 0;
    int64_t n = count_reads(records, count);
    if (count > INT32_MAX || n > INT32_MAX)
        return exh_error_set(err, EXH_ERR_INVALID, "locality: at most 2^31 records and reads");
    read_event *reads = malloc(sizeof *reads * (size_t)(n + 1));
    if (!reads)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    out->reads = n;
    int64_t tensors = 0;
    int rc = collect_reads(records, count, reads, &tensors);
    if (rc == 0)
        rc = analyze_reads(reads, n, tensors, o, out);
    free(reads);
    if (rc < 0) {
        exh_locality_free(out);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    return EXH_OK;
}

void exh_locality_free(exh_locality *l)
{
    free(l->accesses);
    memset(l, 0, sizeof *l);
}
