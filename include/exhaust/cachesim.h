/*
 * cachesim.h — replay a search trace against caches of transferred tensors:
 * how many of the tensors children receive (transfer.h) a cache of a given
 * size would hold, how many bytes would move from the store, and which
 * admission and eviction rules pay off.
 *
 * The replay (exh_cachesim_run). Every record is two events:
 *   READ at its start_time: the child fetches the tensors it receives from
 *     its donor, positions 0..prefix_length-1 (clamped to the architecture's
 *     length; a negative prefix_length is 0). Each tensor with bytes > 0 is
 *     one access, keyed exh_transfer_tensor_key(&child->architecture, p): a hit
 *     when the child's cache holds the key, else a miss that moves its bytes
 *     from the store. A miss does not fill the cache: the child fine-tunes
 *     what it fetched, and its own WRITE stores the result under the same keys.
 *   WRITE at its end_time, only if it succeeded (quality not NAN): each of its
 *     positions' tensors with bytes > 0 is offered to the cache of the worker
 *     that trained it; the policy decides whether it is admitted. Rewriting a
 *     key the cache holds replaces the tensor in place (newer weights, same
 *     key, same size): it counts as a use and its bytes as written.
 * Events are replayed in time order (the trace lists records by end time,
 * not start time, so the events are sorted; any input order works); at
 * equal times writes come before reads (a model that ends when another
 * starts can be its donor), and otherwise records keep their array order.
 * Zero-byte tensors (none, skip_connect, pooling in NB201) are not tensors:
 * never accessed, never stored. A tensor larger than the capacity is never
 * stored. Times must be finite and end_time >= start_time.
 *
 * Scope: EXH_CACHESIM_SHARED is one cache for all workers; EXH_CACHESIM_PER_WORKER is
 * one cache per worker id (ids may be any int, sparse), each of
 * capacity_bytes: reads use the child's worker's cache, writes go to the
 * worker that produced the tensor.
 *
 * Policies (eviction frees the least valuable entries until the new one fits):
 *   lru        admit every write; evict the least recently used (a write or
 *              a hit is a use).
 *   lfu        admit every write; evict the least frequently used: hits +
 *              writes since the entry was inserted (the insertion counts 1),
 *              ties to the least recently used. A binary heap: O(log n).
 *   tier       lru eviction, but a tensor is admitted only if its key was
 *              read (donated) at least tier_donations times by the last
 *              `window` records in start order (the population: what is
 *              popular now is what will be donated next). Only reads of
 *              tensors (bytes > 0) count: nothing else is ever offered.
 *   threshold  lru, but the writes of records flagged in skip_store (the
 *              caller's per-record 0/1 array, indexed like `records`; NULL:
 *              none) are not admitted: "never transferred, do not store"
 *              (exh_analyze_parents' threshold, or any other predictor).
 *   prefetch   lru, and when a record ends with a quality better than every
 *              earlier end (a new best: it will be a parent soon), its tensors
 *              are also pushed into every cache (all workers' caches in
 *              per-worker scope). A push stores the tensor in each cache that
 *              does not hold it and counts its bytes as prefetch traffic; a
 *              cache that holds it counts a use. In shared scope the record's
 *              own write already stored it, so prefetch equals lru there.
 *
 * One implementation: the policies live in src/repo/cache_policy.c, which
 * the search's live fast tier (search.h repo_fast_dir) runs too, on the
 * same events as jobs are dispatched and gathered.
 *
 * Cost: one pass over the records gathers what the replay needs (tensor
 * ids and sizes, workers, qualities: about 60 bytes a record and 4 a
 * tensor) and sorts the 2n events (radix sort, O(n), 32 bytes a record
 * while sorting); each replay is then O(n L) cache operations of O(1) (LRU)
 * or O(log size) (LFU), plus O(workers L) per new best under prefetch in
 * per-worker scope. The gathering pass reads every (large) exh_trace_record and
 * costs several replays: to replay one trace under many options, prepare it
 * once (exh_cachesim_trace_prepare) and run each (exh_cachesim_trace_run).
 *
 * Typical use:
 *     exh_cachesim_options o;
 *     exh_cachesim_options_default(&o);
 *     o.capacity_bytes = 64 << 20;
 *     o.tensor_bytes = exh_cachesim_nb201_tensor_bytes;
 *     exh_cachesim_result r;
 *     if (exh_cachesim_run(records, count, &o, &r, &err) < 0) ...
 */
#ifndef EXHAUST_CACHESIM_H
#define EXHAUST_CACHESIM_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/space.h"
#include "exhaust/trace.h"

#define EXH_CACHESIM_DEFAULT_WINDOW 100 /* records: the population size */
#define EXH_CACHESIM_DEFAULT_TIER_DONATIONS 5

typedef enum exh_cachesim_policy {
    EXH_CACHESIM_LRU,
    EXH_CACHESIM_LFU,
    EXH_CACHESIM_TIER,
    EXH_CACHESIM_THRESHOLD,
    EXH_CACHESIM_PREFETCH,
} exh_cachesim_policy;
#define EXH_CACHESIM_POLICY_COUNT 5

typedef enum exh_cachesim_scope {
    EXH_CACHESIM_SHARED,
    EXH_CACHESIM_PER_WORKER,
} exh_cachesim_scope;
#define EXH_CACHESIM_SCOPE_COUNT 2

/* "lru", "lfu", "tier", "threshold", "prefetch"; "?" when out of range. */
EXH_API const char *exh_cachesim_policy_name(exh_cachesim_policy p);
/* Parse a policy name; returns 0, or EXH_ERR_INVALID for an unknown name. */
EXH_API int exh_cachesim_policy_parse(const char *name, exh_cachesim_policy *out, exh_error *err);
/* "shared", "per-worker". */
EXH_API const char *exh_cachesim_scope_name(exh_cachesim_scope s);
EXH_API int exh_cachesim_scope_parse(const char *name, exh_cachesim_scope *out, exh_error *err);

/* Bytes of the tensor at `position` of `a`: >= 0 (0: no tensor), or < 0 for
 * an architecture it does not know (exh_cachesim_run then fails, naming the
 * record). Like the tensor's key, it must depend only on the position and
 * the tokens up to it: one key, one size. Called once per record and
 * position. */
typedef int64_t (*exh_cachesim_bytes_fn)(const exh_arch *a, int position, void *context);

typedef struct exh_cachesim_options {
    exh_cachesim_policy policy;
    exh_cachesim_scope scope;
    int64_t capacity_bytes;        /* per cache; >= 0 (0 stores nothing) */
    int window;                    /* tier: records in the sliding window, >= 1 */
    int tier_donations;            /* tier: reads needed for admission, >= 0 */
    const unsigned char *skip_store; /* threshold: per record, 1 = do not store; may be NULL */
    exh_cachesim_bytes_fn tensor_bytes; /* NULL: 1 byte per position */
    void *tensor_context;
} exh_cachesim_options;

/* lru, shared, capacity 0, window 100, 5 donations, no skips, 1 byte a position. */
EXH_API void exh_cachesim_options_default(exh_cachesim_options *o);

typedef struct exh_cachesim_result {
    int64_t records;           /* records replayed */
    int64_t caches;            /* 1, or the number of distinct workers */
    int64_t accesses;          /* tensor reads (bytes > 0) */
    int64_t hits;
    double hit_rate;           /* hits / accesses; NAN when no accesses */
    int64_t bytes_read_missed; /* bytes the misses moved from the store */
    int64_t bytes_prefetched;  /* bytes pushed by prefetch */
    int64_t bytes_moved;       /* bytes_read_missed + bytes_prefetched */
    int64_t bytes_written;     /* bytes of admitted writes (rewrites included) */
    int64_t peak_bytes_stored; /* max over time of the bytes held by all caches */
    /* Time-weighted mean of the bytes held by all caches, over [first event,
     * last event]; when every event has the same time, the mean over events
     * (after each). */
    double mean_bytes_stored;
    int64_t evictions;         /* entries removed to make room */
} exh_cachesim_result;

/* Replay `count` records (any order) under `o`. Returns EXH_OK, or
 * EXH_ERR_INVALID (bad options, a non-finite time, a negative tensor size:
 * the message names the record) or EXH_ERR_NOMEM. */
EXH_API int exh_cachesim_run(const exh_trace_record *records, int64_t count, const exh_cachesim_options *o,
                             exh_cachesim_result *out, exh_error *err);

/* The same in two steps, for many replays of one trace: prepare gathers the
 * records (their sizes by tensor_bytes, NULL: 1 byte a position; the checks
 * and errors of exh_cachesim_run) and sorts the events; the records may be freed
 * afterwards. exh_cachesim_trace_run replays it under o, whose tensor_bytes and
 * tensor_context are not used (the sizes are the prepared ones); skip_store
 * is indexed like the prepared records. */
typedef struct exh_cachesim_trace exh_cachesim_trace;
EXH_API int exh_cachesim_trace_prepare(const exh_trace_record *records, int64_t count,
                                       exh_cachesim_bytes_fn tensor_bytes, void *tensor_context,
                                       exh_cachesim_trace **out, exh_error *err);
EXH_API int exh_cachesim_trace_run(const exh_cachesim_trace *t, const exh_cachesim_options *o, exh_cachesim_result *out,
                                   exh_error *err);
EXH_API void exh_cachesim_trace_free(exh_cachesim_trace *t);

/* NB201 (space_nb201.h): float32 parameter bytes of the edge's operation
 * summed over the 15 searched cells (3 stages of 5 cells, C = 16, 32, 64):
 * nor_conv_3x3 is ReLU-Conv-BN with 9*C*C weights + 2*C BN affine (972,160
 * bytes in all), nor_conv_1x1 C*C + 2*C (112,000 bytes); none, skip_connect
 * and avg_pool_3x3 have no parameters (0). -1 for a token outside 0..4 or a
 * position outside 0..5. context is unused. */
EXH_API int64_t exh_cachesim_nb201_tensor_bytes(const exh_arch *a, int position, void *context);
/* Every position the same size: *(const int64_t *)context bytes. */
EXH_API int64_t exh_cachesim_uniform_tensor_bytes(const exh_arch *a, int position, void *context);

#endif
