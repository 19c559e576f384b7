/* cachesim_trace.c — gather a trace for replay: one pass over the records
 * (checks, tensors, workers, events), then the events sorted (see
 * cachesim_trace.h). */
#include "analyze/cachesim_trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "repo/keymap.h"
#include "exhaust/transfer.h"

typedef struct gathering {
    exh_cachesim_trace *t;
    exh_cachesim_bytes_fn tensor_bytes;
    void *tensor_context;
    keymap workers;            /* worker id -> number */
    keymap tensor_ids;         /* transfer_tensor_key -> id */
    exh_error *err;
} gathering;

static int out_of_memory(exh_error *err)
{
    return exh_error_set(err, EXH_ERR_NOMEM, "cachesim: out of memory");
}

static int check_times(const exh_trace_record *r, int64_t i, exh_error *err)
{
    if (!isfinite(r->start_time) || !isfinite(r->end_time))
        return exh_error_set(err, EXH_ERR_INVALID,
                             "cachesim: record %lld (job %lld): start and end times are needed",
                             (long long)i, (long long)r->job_id);
    if (r->end_time < r->start_time)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "cachesim: record %lld (job %lld): ends (%g) before it starts (%g)",
                             (long long)i, (long long)r->job_id, r->end_time, r->start_time);
    return EXH_OK;
}

/* Double a malloc'd array of `*capacity` elements of `size` bytes. */
static int grow(void **array, int64_t *capacity, size_t size)
{
    int64_t doubled = *capacity ? *capacity * 2 : 64;
    void *grown = realloc(*array, size * (size_t)doubled);
    if (!grown)
        return EXH_ERR_NOMEM;
    *array = grown;
    *capacity = doubled;
    return EXH_OK;
}

/* The id of `key` (a new one, sized `bytes`, the first time it is seen). */
static int intern(gathering *g, uint64_t key, int64_t bytes, int32_t *id)
{
    exh_cachesim_trace *t = g->t;
    if (t->distinct == INT32_MAX)
        return exh_error_set(g->err, EXH_ERR_INVALID, "cachesim: more than %d distinct tensors",
                             INT32_MAX);
    int inserted;
    int64_t *slot = keymap_upsert(&g->tensor_ids, key, t->distinct, &inserted);
    if (!slot)
        return out_of_memory(g->err);
    *id = (int32_t)*slot;
    if (!inserted)
        return EXH_OK;
    if (t->distinct == t->distinct_capacity &&
        grow((void **)&t->sizes, &t->distinct_capacity, sizeof *t->sizes) < 0)
        return out_of_memory(g->err);
    t->sizes[t->distinct++] = bytes;
    return EXH_OK;
}

static int add_tensor(gathering *g, uint64_t key, int64_t bytes)
{
    exh_cachesim_trace *t = g->t;
    int32_t id = 0;
    int rc = intern(g, key, bytes, &id);
    if (rc < 0)
        return rc;
    if (t->id_count == t->id_capacity &&
        grow((void **)&t->ids, &t->id_capacity, sizeof *t->ids) < 0)
        return out_of_memory(g->err);
    t->ids[t->id_count++] = id;
    return EXH_OK;
}

static int64_t tensor_size(const gathering *g, const exh_arch *a, int position)
{
    return g->tensor_bytes ? g->tensor_bytes(a, position, g->tensor_context) : 1;
}

/* The tensors (bytes > 0) of record i, in position order. */
static int gather_tensors(gathering *g, const exh_trace_record *r, int64_t i, cachesim_item *out)
{
    if (r->arch_length < 0 || r->arch_length > EXH_ARCH_MAX_TOKENS)
        return exh_error_set(g->err, EXH_ERR_INVALID,
                             "cachesim: record %lld (job %lld): architecture length %d",
                             (long long)i, (long long)r->job_id, r->arch_length);
    exh_arch a;
    exh_trace_record_arch(r, &a);
    int prefix = exh_transfer_received_count(&a, r->prefix_length);
    out->first = g->t->id_count;
    for (int p = 0; p < a.length; p++) {
        int64_t bytes = tensor_size(g, &a, p);
        if (bytes < 0)
            return exh_error_set(g->err, EXH_ERR_INVALID,
                                 "cachesim: record %lld (job %lld): no tensor size for position %d",
                                 (long long)i, (long long)r->job_id, p);
        if (bytes == 0)
            continue;
        int rc = add_tensor(g, exh_transfer_tensor_key(&a, p), bytes);
        if (rc < 0)
            return rc;
        out->tensors++;
        out->reads += p < prefix;
    }
    return EXH_OK;
}

static int number_worker(gathering *g, int worker, int32_t *number)
{
    int64_t *slot = keymap_upsert(&g->workers, (uint64_t)(int64_t)worker, g->workers.count, NULL);
    if (!slot)
        return out_of_memory(g->err);
    *number = (int32_t)*slot;
    return EXH_OK;
}

static int gather_record(gathering *g, const exh_trace_record *r, int64_t i)
{
    exh_cachesim_trace *t = g->t;
    cachesim_item *x = &t->items[i];
    int rc = check_times(r, i, g->err);
    if (rc == EXH_OK)
        rc = number_worker(g, r->worker, &x->worker);
    if (rc == EXH_OK)
        rc = gather_tensors(g, r, i, x);
    x->quality = r->quality;
    /* Writes first, then reads, each in record order: the tie order. */
    t->events[i] = cachesim_event_make(time_sort_key(r->end_time), i, 0);
    t->events[t->count + i] = cachesim_event_make(time_sort_key(r->start_time), i, 1);
    return rc;
}

static int allocate(exh_cachesim_trace *t, exh_error *err)
{
    size_t n = (size_t)(t->count ? t->count : 1);
    t->items = calloc(n, sizeof *t->items);
    t->events = malloc(sizeof *t->events * 2 * n);
    t->id_capacity = 4 * (int64_t)n;
    t->ids = malloc(sizeof *t->ids * (size_t)t->id_capacity);
    if (!t->items || !t->events || !t->ids)
        return out_of_memory(err);
    return EXH_OK;
}

int exh_cachesim_trace_prepare(const exh_trace_record *records, int64_t count,
                               exh_cachesim_bytes_fn tensor_bytes, void *tensor_context,
                               exh_cachesim_trace **out, exh_error *err)
{
    *out = NULL;
    if (count < 0 || (count > 0 && !records))
        return exh_error_set(err, EXH_ERR_INVALID, "cachesim: no records");
    exh_cachesim_trace *t = calloc(1, sizeof *t);
    if (!t)
        return out_of_memory(err);
    t->count = count;
    gathering g = {.t = t, .tensor_bytes = tensor_bytes, .tensor_context = tensor_context,
                   .err = err};
    int rc = keymap_init(&g.workers, 64) < 0 || keymap_init(&g.tensor_ids, 1024) < 0
                 ? out_of_memory(err)
                 : allocate(t, err);
    for (int64_t i = 0; rc == EXH_OK && i < count; i++)
        rc = gather_record(&g, &records[i], i);
    t->workers = g.workers.count;
    if (g.workers.slots)
        keymap_free(&g.workers);
    if (g.tensor_ids.slots)
        keymap_free(&g.tensor_ids);
    if (rc == EXH_OK && time_sort(&t->events, 2 * count) < 0)
        rc = out_of_memory(err);
    if (rc < 0) {
        exh_cachesim_trace_free(t);
        return rc;
    }
    *out = t;
    return EXH_OK;
}

void exh_cachesim_trace_free(exh_cachesim_trace *t)
{
    if (!t)
        return;
    free(t->items);
    free(t->ids);
    free(t->sizes);
    free(t->events);
    free(t);
}
