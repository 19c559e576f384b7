/* test_cachesim_reference.c — every cache policy and scope against a naive
 * reference (linear scans, qsort, the window recounted on every write) on
 * random traces with many equal times, failures, zero-byte tensors and
 * prefix lengths out of range. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/cachesim.h"
#include "exhaust/rng.h"
#include "exhaust/transfer.h"
#include "testutil.h"
#include "trace_record_make.h"

typedef struct ref_entry {
    uint64_t key;
    int64_t bytes, uses, last_use;
} ref_entry;

typedef struct ref_cache {
    ref_entry e[64];
    int n;
    int64_t stored;
} ref_cache;

typedef struct ref_state {
    const exh_trace_record *r;
    const exh_cachesim_options *o;
    ref_cache caches[8];
    int worker_cache[8];
    int64_t clock, stored;
    double best;
    int have_best;
    int64_t *started; /* records in start order so far */
    int64_t started_count;
    exh_cachesim_result *out;
} ref_state;

static int ref_find(ref_cache *c, uint64_t key)
{
    for (int i = 0; i < c->n; i++)
        if (c->e[i].key == key)
            return i;
    return -1;
}

static int ref_victim(const ref_cache *c, int lfu)
{
    int v = 0;
    for (int i = 1; i < c->n; i++) {
        const ref_entry *a = &c->e[i], *b = &c->e[v];
        int better = lfu ? (a->uses < b->uses || (a->uses == b->uses && a->last_use < b->last_use))
                         : a->last_use < b->last_use;
        if (better)
            v = i;
    }
    return v;
}

static int64_t ref_bytes(const ref_state *s, int64_t i, int p)
{
    return s->o->tensor_bytes(RECORD_ARCH(&s->r[i]), p, s->o->tensor_context);
}

/* 1 if inserted, 0 if held (used) or too big. */
static int ref_offer(ref_state *s, ref_cache *c, uint64_t key, int64_t bytes, int *held)
{
    int at = ref_find(c, key);
    s->clock++;
    *held = at >= 0;
    if (at >= 0) {
        c->e[at].uses++;
        c->e[at].last_use = s->clock;
        return 0;
    }
    if (bytes > s->o->capacity_bytes)
        return 0;
    while (c->stored + bytes > s->o->capacity_bytes) {
        int v = ref_victim(c, s->o->policy == EXH_CACHESIM_LFU);
        c->stored -= c->e[v].bytes;
        s->stored -= c->e[v].bytes;
        c->e[v] = c->e[--c->n];
        s->out->evictions++;
    }
    assert_true(c->n < 64);
    c->e[c->n++] = (ref_entry){key, bytes, 1, s->clock};
    c->stored += bytes;
    s->stored += bytes;
    return 1;
}

static int ref_prefix(const exh_trace_record *r)
{
    int p = r->prefix_length < 0 ? 0 : r->prefix_length;
    return p < r->arch_length ? p : r->arch_length;
}

static void ref_read(ref_state *s, int64_t i)
{
    s->started[s->started_count++] = i;
    ref_cache *c = &s->caches[s->worker_cache[s->r[i].worker]];
    for (int p = 0; p < ref_prefix(&s->r[i]); p++) {
        int64_t bytes = ref_bytes(s, i, p);
        if (bytes == 0)
            continue;
        s->out->accesses++;
        uint64_t key = exh_transfer_tensor_key(RECORD_ARCH(&s->r[i]), p);
        int at = ref_find(c, key);
        s->clock++;
        if (at >= 0) {
            s->out->hits++;
            c->e[at].uses++;
            c->e[at].last_use = s->clock;
        } else {
            s->out->bytes_read_missed += bytes;
        }
    }
}

static int64_t ref_donations(const ref_state *s, uint64_t key)
{
    int64_t n = 0;
    int64_t from = s->started_count - s->o->window;
    for (int64_t k = from < 0 ? 0 : from; k < s->started_count; k++) {
        const exh_trace_record *r = &s->r[s->started[k]];
        for (int p = 0; p < ref_prefix(r); p++)
            n += ref_bytes(s, s->started[k], p) > 0 &&
                 exh_transfer_tensor_key(RECORD_ARCH(r), p) == key;
    }
    return n;
}

static void ref_write(ref_state *s, int64_t i, int cache_count)
{
    const exh_trace_record *r = &s->r[i];
    if (isnan(r->quality))
        return;
    exh_cachesim_policy policy = s->o->policy;
    int admit = !(policy == EXH_CACHESIM_THRESHOLD && s->o->skip_store[i]);
    int best = policy == EXH_CACHESIM_PREFETCH && (!s->have_best || r->quality > s->best);
    if (best) {
        s->best = r->quality;
        s->have_best = 1;
    }
    for (int p = 0; p < r->arch_length; p++) {
        int64_t bytes = ref_bytes(s, i, p);
        if (bytes == 0)
            continue;
        uint64_t key = exh_transfer_tensor_key(RECORD_ARCH(r), p);
        int held;
        if (admit && (policy != EXH_CACHESIM_TIER || ref_donations(s, key) >= s->o->tier_donations))
            if (ref_offer(s, &s->caches[s->worker_cache[r->worker]], key, bytes, &held) || held)
                s->out->bytes_written += bytes;
        for (int c = 0; best && c < cache_count; c++)
            if (ref_offer(s, &s->caches[c], key, bytes, &held))
                s->out->bytes_prefetched += bytes;
    }
}

static const exh_trace_record *sort_records;

static double event_time(int64_t e)
{
    return (e & 1) ? sort_records[e >> 1].start_time : sort_records[e >> 1].end_time;
}

/* Events e = 2 * record + is_read: by time, writes first, then record. */
static int compare_events(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    double tx = event_time(x), ty = event_time(y);
    if (tx != ty)
        return tx < ty ? -1 : 1;
    if ((x & 1) != (y & 1))
        return (int)(x & 1) - (int)(y & 1);
    return (x >> 1) < (y >> 1) ? -1 : (x >> 1) > (y >> 1);
}

static void reference(const exh_trace_record *r, int n, const exh_cachesim_options *o,
                      exh_cachesim_result *out)
{
    memset(out, 0, sizeof *out);
    ref_state *s = calloc(1, sizeof *s);
    int64_t *events = malloc(sizeof *events * 2 * (size_t)n);
    s->started = malloc(sizeof *s->started * (size_t)n);
    assert_true(s && events && s->started);
    s->r = r;
    s->o = o;
    s->out = out;
    int cache_count = o->scope == EXH_CACHESIM_PER_WORKER ? 8 : 1;
    for (int w = 0; w < 8; w++)
        s->worker_cache[w] = o->scope == EXH_CACHESIM_PER_WORKER ? w : 0;
    for (int e = 0; e < 2 * n; e++)
        events[e] = e;
    sort_records = r;
    qsort(events, 2 * (size_t)n, sizeof *events, compare_events);
    double first = event_time(events[0]), previous = first, area = 0;
    for (int k = 0; k < 2 * n; k++) {
        double t = event_time(events[k]);
        area += (double)s->stored * (t - previous);
        previous = t;
        if (events[k] & 1)
            ref_read(s, events[k] >> 1);
        else
            ref_write(s, events[k] >> 1, cache_count);
        if (s->stored > out->peak_bytes_stored)
            out->peak_bytes_stored = s->stored;
    }
    out->mean_bytes_stored = area / (previous - first);
    free(s->started);
    free(s);
    free(events);
}

/* Sizes 0..3 bytes by token and position (some zero). */
static int64_t random_sizes(const exh_arch *a, int position, void *context)
{
    (void)context;
    return (a->token[position] + position) % 4;
}

static void random_trace(exh_rng *g, exh_trace_record *r, int n)
{
    for (int i = 0; i < n; i++) {
        char tokens[4] = {0};
        int length = 1 + (int)exh_rng_below(g, 3);
        for (int p = 0; p < length; p++)
            tokens[p] = (char)('0' + exh_rng_below(g, 3));
        double start = exh_rng_below(g, 400);     /* integers: many ties */
        double end = start + exh_rng_below(g, 6);
        double quality = exh_rng_below(g, 10) == 0 ? NAN : exh_rng_uniform(g) * i;
        int prefix = (int)exh_rng_below(g, 5) - 1; /* -1 and past the length too */
        r[i] = make_record((int)exh_rng_below(g, 8), start, end, tokens, quality, prefix);
        r[i].job_id = i;
    }
}

static void test_random_against_reference(void **state)
{
    (void)state;
    enum { N = 1500 };
    exh_trace_record *r = malloc(sizeof *r * N);
    unsigned char *skip = malloc(N);
    exh_rng *g = exh_rng_new(20240611);
    assert_true(r && skip && g);
    int64_t total_hits = 0, total_evictions = 0;
    for (int round = 0; round < 6; round++) {
        random_trace(g, r, N);
        for (int i = 0; i < N; i++)
            skip[i] = exh_rng_below(g, 3) == 0;
        for (int policy = 0; policy < EXH_CACHESIM_POLICY_COUNT; policy++)
            for (int scope = 0; scope < EXH_CACHESIM_SCOPE_COUNT; scope++) {
                exh_cachesim_options o;
                exh_cachesim_options_default(&o);
                o.policy = (exh_cachesim_policy)policy;
                o.scope = (exh_cachesim_scope)scope;
                o.capacity_bytes = 2 + exh_rng_below(g, 12);
                o.window = 1 + (int)exh_rng_below(g, 40);
                o.tier_donations = (int)exh_rng_below(g, 4);
                o.skip_store = skip;
                o.tensor_bytes = random_sizes;
                exh_cachesim_result got, want;
                exh_error err;
                if (exh_cachesim_run(r, N, &o, &got, &err) != 0)
                    fail_msg("%s", err.message);
                reference(r, N, &o, &want);
                if (got.hits != want.hits || got.accesses != want.accesses ||
                    got.evictions != want.evictions || got.bytes_written != want.bytes_written ||
                    got.bytes_read_missed != want.bytes_read_missed ||
                    got.bytes_prefetched != want.bytes_prefetched ||
                    got.peak_bytes_stored != want.peak_bytes_stored ||
                    fabs(got.mean_bytes_stored - want.mean_bytes_stored) > 1e-9)
                    fail_msg("round %d %s %s: hits %lld/%lld evictions %lld/%lld written "
                             "%lld/%lld prefetched %lld/%lld peak %lld/%lld",
                             round, exh_cachesim_policy_name(o.policy), exh_cachesim_scope_name(o.scope),
                             (long long)got.hits, (long long)want.hits,
                             (long long)got.evictions, (long long)want.evictions,
                             (long long)got.bytes_written, (long long)want.bytes_written,
                             (long long)got.bytes_prefetched, (long long)want.bytes_prefetched,
                             (long long)got.peak_bytes_stored, (long long)want.peak_bytes_stored);
                total_hits += got.hits;
                total_evictions += got.evictions;
            }
    }
    assert_true(total_hits > 1000 && total_evictions > 1000); /* the test means something */
    exh_rng_free(g);
    free(skip);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
