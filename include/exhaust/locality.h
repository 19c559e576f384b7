/*
 * locality.h — RQ2: where and when transferred tensors are read, across
 * workers, and what waiting to batch work would cost.
 *
 * An access is one tensor a child receives: a child with transferred prefix
 * length L reads the tensors of positions 0..L-1 (keys: transfer.h) at its
 * start time, on its worker. From the accesses:
 *
 *   top tensors     the k most read tensors, each access as (start time,
 *                   worker): a scatter shows whether the same tensor is wanted
 *                   by many workers at once (broadcast) or by one worker again
 *                   and again (a worker-local cache)
 *   reuse distance  for each access, the number of distinct tensors read
 *                   since the last read of the same tensor (LRU stack
 *                   distance): a cache of c tensors hits exactly the accesses
 *                   with distance < c. Computed per worker (each worker's own
 *                   stream) and across workers (one stream in time order).
 *   broadcast       accesses of one tensor grouped greedily into windows of
 *                   `broadcast_window` seconds; a group read by several
 *                   distinct workers could be one broadcast instead of
 *                   several reads.
 *
 * Scheduling quanta (quanta_*): a scheduler that hands out work only when s
 * of the w workers are free (so that the s new jobs can share transfers)
 * makes the first of them wait. If the w workers' training times were
 * independent normal draws with spread sigma started together, the r-th to
 * finish would finish at about mu + sigma E(r,w), with Elfving's order
 * statistic E(r,w) = Phi^-1((r - pi/8) / (w - pi/4 + 1)); so the first
 * finisher waits sigma (E(s,w) - E(1,w)), on average the s wait
 * sigma (E(s,w) - mean_{r<=s} E(r,w)), and waiting for s instead of all w
 * saves sigma (E(w,w) - E(s,w)) over a barrier. quanta_replay measures the
 * same waits by replaying the trace's training times on w workers.
 */
#ifndef EXHAUST_LOCALITY_H
#define EXHAUST_LOCALITY_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/trace.h"

#define EXH_LOCALITY_MAX_TOP 16
#define EXH_LOCALITY_BUCKETS 40   /* reuse distances in power-of-two buckets */

typedef struct exh_locality_options {
    int top_tensors;          /* k (default 5, at most EXH_LOCALITY_MAX_TOP) */
    double broadcast_window;  /* seconds; <= 0: a tenth of the median training time */
} exh_locality_options;

EXH_API void exh_locality_options_default(exh_locality_options *o);

typedef struct exh_locality_access {
    double time;
    int worker;
    int tensor;               /* index into locality.top_* */
} exh_locality_access;

typedef struct exh_locality {
    int top_count;
    uint64_t top_key[EXH_LOCALITY_MAX_TOP];
    int64_t top_reads[EXH_LOCALITY_MAX_TOP];
    int64_t top_example[EXH_LOCALITY_MAX_TOP]; /* a record that read it (for its prefix) */
    int top_position[EXH_LOCALITY_MAX_TOP];    /* the tensor's position: prefix tokens 0..position */
    exh_locality_access *accesses;             /* every read of a top tensor, in time order */
    int64_t access_count;
    int64_t reads;                         /* all tensor reads */
    int64_t distinct_tensors;
    /* Reuse distances: bucket 0 holds distance 0, bucket b >= 1 holds
     * [2^(b-1), 2^b); first reads (cold) are counted apart. */
    int64_t reuse_worker[EXH_LOCALITY_BUCKETS], reuse_global[EXH_LOCALITY_BUCKETS];
    int64_t cold_worker, cold_global;
    double median_reuse_worker, median_reuse_global; /* over the non-cold reads */
    double broadcast_window;
    int64_t broadcast_groups;               /* groups (one read each if broadcast) */
    int64_t shared_groups;                  /* groups read by >= 2 distinct workers */
    int64_t shared_reads;                   /* reads in those groups */
    int64_t group_workers[EXH_LOCALITY_BUCKETS]; /* groups by distinct workers, buckets as above */
} exh_locality;

EXH_API int exh_locality_build(const exh_trace_record *records, int64_t count, const exh_locality_options *o,
                               exh_locality *out, exh_error *err);
EXH_API void exh_locality_free(exh_locality *l);

/* The bucket of a distance or count (0 -> 0, [2^(b-1), 2^b) -> b) and its
 * smallest member. */
EXH_API int exh_locality_bucket(int64_t value);
EXH_API int64_t exh_locality_bucket_floor(int bucket);

/* ---- scheduling quanta ---- */

/* Elfving's approximation of the expected r-th smallest of w standard
 * normal draws (1 <= r <= w). */
EXH_API double exh_quanta_order_statistic(int r, int w);

typedef struct exh_quanta_row {
    int quantum;                  /* s: hand out work when s workers are free */
    double theory_first_wait;     /* sigma (E(s,w) - E(1,w)) */
    double theory_mean_wait;      /* sigma (E(s,w) - mean_{r<=s} E(r,w)) */
    double theory_barrier_saving; /* sigma (E(w,w) - E(s,w)) */
    double measured_first_wait;   /* replay: mean over hand-outs of the longest wait */
    double measured_mean_wait;    /* replay: mean wait per job */
    double makespan;              /* replay: when the last job ends */
} exh_quanta_row;

typedef struct exh_quanta {
    int workers;                  /* w */
    double sigma, mean_duration;  /* of the trace's training times */
    exh_quanta_row *rows;
    int row_count;
} exh_quanta;

/* Replay the trace's training times (end - start, in start order) on
 * `workers` workers (<= 0: the trace's distinct workers) for each quantum
 * in `quanta_list` (NULL: 1 and powers of two up to w, at most 8 values). */
EXH_API int exh_quanta_build(const exh_trace_record *records, int64_t count, int workers,
                             const int *quanta_list, int quanta_count, exh_quanta *out, exh_error *err);
EXH_API void exh_quanta_free(exh_quanta *q);

#endif
