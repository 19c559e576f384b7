/* popularity.c — RQ4: prefix popularity in sliding windows, tiers, donors
 * again, the delay before a new best is used, stage-1 duplicates (see
 * popularity.h). Everything is one or two passes over the trace, so a
 * million records take a fraction of a second. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "repo/keymap.h"
#include "analyze/time_sort.h"
#include "exhaust/popularity.h"
#include "exhaust/transfer.h"

void exh_popularity_options_default(exh_popularity_options *o)
{
    memset(o, 0, sizeof *o);
    o->window = 100;
    o->prefix_length = 3;
    o->points = 5;
    o->tier1_share = 0.30;
    o->tier2_count = 3;
    o->donor_times = 5;
    o->population = 100;
    o->sample = 5;
}

double exh_popularity_birthday(int64_t n, int64_t N, int k)
{
    if (k < 2 || n < k || N < 1)
        return 0;
    /* lambda = C(n, k) / N^(k-1): the expected number of k-sets drawn alike */
    double log_lambda = lgamma((double)n + 1) - lgamma((double)k + 1) -
                        lgamma((double)(n - k) + 1) - (k - 1) * log((double)N);
    return 1 - exp(-exp(log_lambda));
}

static int prefix_length_of(const exh_trace_record *r, int L)
{
    return r->arch_length < L ? r->arch_length : L;
}

static uint64_t prefix_key(const exh_trace_record *r, int L)
{
    int length = prefix_length_of(r, L);
    exh_arch a;
    return length > 0 ? exh_transfer_tensor_key(exh_trace_record_arch(r, &a), length - 1) : 0;
}

/* ---- windows and tiers ---- */

typedef struct window_state {
    keymap counts;             /* prefix key -> count in the window */
    int *count_of_counts;      /* [c]: prefixes held c times */
    int window;
} window_state;

static int window_change(window_state *w, uint64_t key, int delta)
{
    int64_t *count = keymap_upsert(&w->counts, key, 0, NULL);
    if (!count)
        return EXH_ERR_NOMEM;
    w->count_of_counts[*count]--;
    *count += delta;
    w->count_of_counts[*count]++;
    if (*count == 0)
        keymap_remove(&w->counts, key);
    return EXH_OK;
}

static int tier_of(const exh_popularity_options *o, int count, int size)
{
    if (count >= ceil(o->tier1_share * size))
        return 1;
    return count > o->tier2_count ? 2 : 3;
}

static void tier_row(const exh_popularity_options *o, const window_state *w, int64_t record,
                     int size, exh_popularity_tier_row *row, exh_popularity *out)
{
    memset(row, 0, sizeof *row);
    row->record = record;
    for (int c = 1; c <= w->window; c++) {
        if (!w->count_of_counts[c])
            continue;
        if (size == w->window && (double)c / size > out->max_full_share)
            out->max_full_share = (double)c / size;
        int tier = tier_of(o, c, size);
        row->prefixes[tier] += w->count_of_counts[c];
        row->members[tier] += c * w->count_of_counts[c];
    }
    out->tier1_full_windows += size == w->window && row->prefixes[1] > 0;
}

static int compare_entries(const void *a, const void *b)
{
    const exh_popularity_entry *x = a, *y = b;
    if (x->count != y->count)
        return y->count - x->count;
    if (x->prefix.length != y->prefix.length)
        return x->prefix.length - y->prefix.length;
    return memcmp(x->prefix.token, y->prefix.token, sizeof(int32_t) * (size_t)x->prefix.length);
}

/* The histogram of the window ending at `end`: one entry per distinct prefix. */
static int histogram(const exh_trace_record *records, int64_t end, int size, int point,
                     const exh_popularity_options *o, const window_state *w, exh_popularity *out)
{
    int64_t first = out->entry_count;
    for (int64_t i = end - size + 1; i <= end; i++) {
        const exh_trace_record *r = &records[i];
        exh_popularity_entry e = {.point = point};
        exh_trace_record_arch(r, &e.prefix);
        e.prefix.length = prefix_length_of(r, o->prefix_length);
        int seen = 0;
        for (int64_t j = first; j < out->entry_count && !seen; j++)
            seen = exh_arch_equal(&out->entries[j].prefix, &e.prefix);
        if (seen)
            continue;
        const int64_t *count = keymap_find(&w->counts, prefix_key(r, o->prefix_length));
        e.count = count ? (int)*count : 0;
        e.share = (double)e.count / size;
        e.tier = tier_of(o, e.count, size);
        out->entries[out->entry_count++] = e;
    }
    qsort(out->entries + first, (size_t)(out->entry_count - first), sizeof *out->entries,
          compare_entries);
    return EXH_OK;
}

static int build_windows(const exh_trace_record *records, int64_t count, exh_popularity *out,
                         exh_error *err)
{
    const exh_popularity_options *o = &out->options;
    window_state w = {.window = o->window};
    int64_t stride = count / 400 > 1 ? count / 400 : 1;
    w.count_of_counts = calloc((size_t)o->window + 1, sizeof *w.count_of_counts);
    out->entries = malloc(sizeof *out->entries * (size_t)out->points * (size_t)o->window);
    out->tiers = malloc(sizeof *out->tiers * (size_t)(count / stride + 2));
    if (!w.count_of_counts || !out->entries || !out->tiers ||
        keymap_init(&w.counts, 2 * o->window) != 0) {
        free(w.count_of_counts);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    int rc = EXH_OK, point = 0;
    for (int64_t i = 0; rc == 0 && i < count; i++) {
        rc = window_change(&w, prefix_key(&records[i], o->prefix_length), +1);
        if (rc == 0 && i >= o->window)
            rc = window_change(&w, prefix_key(&records[i - o->window], o->prefix_length), -1);
        int size = i + 1 < o->window ? (int)i + 1 : o->window;
        if (rc == 0 && ((i + 1) % stride == 0 || i == count - 1))
            tier_row(o, &w, i, size, &out->tiers[out->tier_count++], out);
        while (rc == 0 && point < out->points && out->point_record[point] == i)
            rc = histogram(records, i, size, point++, o, &w, out);
    }
    keymap_free(&w.counts);
    free(w.count_of_counts);
    return rc < 0 ? exh_error_set(err, EXH_ERR_NOMEM, "out of memory") : EXH_OK;
}

static void choose_points(int64_t count, exh_popularity *out)
{
    int64_t first = (count < out->options.window ? count : out->options.window) - 1;
    out->points = out->options.points < 64 ? out->options.points : 64;
    for (int j = 0; j < out->points; j++) {
        int64_t at = (int64_t)((double)(j + 1) * (double)count / out->points) - 1;
        out->point_record[j] = at < first ? first : at;
    }
}

/* ---- donors ---- */

/* Each record's donor as a record index (-1: none, or not in this trace). */
static int donor_indices(const exh_trace_record *records, int64_t count, int64_t *donor,
                         exh_error *err)
{
    keymap index;
    if (keymap_init(&index, count) != 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < count; i++)
        if (!keymap_upsert(&index, (uint64_t)records[i].job_id, i, NULL)) {
            keymap_free(&index);
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
        }
    for (int64_t i = 0; i < count; i++) {
        int64_t id = records[i].donor_id >= 0 ? records[i].donor_id : records[i].parent_id;
        const int64_t *at = id >= 0 ? keymap_find(&index, (uint64_t)id) : NULL;
        donor[i] = at ? *at : -1;
    }
    keymap_free(&index);
    return EXH_OK;
}

typedef struct donor_state {
    int64_t *offset, *list;    /* CSR: each model's donations (record indices) */
    int64_t *seen, *in_window; /* donations up to the current record; within the window */
    int64_t *active, *slot;    /* models with donations in the window; slot[m] in active */
    int64_t active_count;
} donor_state;

static void donor_state_free(donor_state *s)
{
    free(s->offset);
    free(s->list);
    free(s->seen);
    free(s->in_window);
    free(s->active);
    free(s->slot);
}

static int donor_state_init(donor_state *s, const int64_t *donor, int64_t count)
{
    size_t n = (size_t)count + 1;
    s->offset = calloc(n + 1, sizeof(int64_t));
    s->list = malloc(n * sizeof(int64_t));
    s->seen = calloc(n, sizeof(int64_t));
    s->in_window = calloc(n, sizeof(int64_t));
    s->active = malloc(n * sizeof(int64_t));
    s->slot = malloc(n * sizeof(int64_t));
    if (!s->offset || !s->list || !s->seen || !s->in_window || !s->active || !s->slot)
        return EXH_ERR_NOMEM;
    for (int64_t i = 0; i < count; i++)
        if (donor[i] >= 0)
            s->offset[donor[i] + 1]++;
    for (int64_t m = 0; m < count; m++)
        s->offset[m + 1] += s->offset[m];
    for (int64_t i = 0; i < count; i++) /* in record order: each list ascends */
        if (donor[i] >= 0)
            s->list[s->offset[donor[i]] + s->seen[donor[i]]++] = i;
    memset(s->seen, 0, n * sizeof(int64_t));
    return EXH_OK;
}

static void donor_window_change(donor_state *s, int64_t model, int delta)
{
    s->in_window[model] += delta;
    if (delta > 0 && s->in_window[model] == 1) {
        s->slot[model] = s->active_count;
        s->active[s->active_count++] = model;
    } else if (delta < 0 && s->in_window[model] == 0) {
        int64_t last = s->active[--s->active_count];
        s->active[s->slot[model]] = last;
        s->slot[last] = s->slot[model];
    }
}

/* Per block of observation points (one window each): pairs and agains with
 * >= d donations, for the bootstrap. */
typedef struct donor_block {
    int64_t pairs, again;
} donor_block;

/* For each active model at record t: was it a donor in (t, t + window]? */
static void donor_observe(const donor_state *s, int64_t t, int window, exh_popularity *out,
                          donor_block *block)
{
    for (int64_t k = 0; k < s->active_count; k++) {
        int64_t m = s->active[k];
        int64_t c = s->in_window[m];
        int64_t next_at = s->offset[m] + s->seen[m];
        int again = next_at < s->offset[m + 1] && s->list[next_at] <= t + window;
        out->donor_pairs[c]++;
        out->donor_again[c] += again;
        if (c >= out->options.donor_times) {
            block->pairs++;
            block->again += again;
        }
        if (c > out->max_donor_count)
            out->max_donor_count = (int)c;
    }
}

/* splitmix64: a fixed, seeded stream, so the interval is reproducible */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The 2.5% and 97.5% quantiles of P(again | >= d) over resamples of the
 * blocks; NAN when fewer than 2 blocks hold a pair (nothing to resample). */
static void bootstrap_interval(const donor_block *blocks, int64_t n, exh_popularity *out)
{
    out->donor_again_low = out->donor_again_high = NAN;
    int64_t with_pairs = 0;
    for (int64_t b = 0; b < n; b++)
        with_pairs += blocks[b].pairs > 0;
    out->donor_blocks = (int)n;
    if (with_pairs < 2)
        return;
    double values[EXH_POPULARITY_BOOTSTRAP];
    int kept = 0;
    uint64_t state = 0x5eed;
    for (int k = 0; k < EXH_POPULARITY_BOOTSTRAP; k++) {
        int64_t pairs = 0, again = 0;
        for (int64_t j = 0; j < n; j++) {
            const donor_block *b = &blocks[next_random(&state) % (uint64_t)n];
            pairs += b->pairs;
            again += b->again;
        }
        if (pairs > 0)
            values[kept++] = (double)again / (double)pairs;
    }
    if (kept < 2)
        return;
    qsort(values, (size_t)kept, sizeof *values, compare_doubles);
    out->donor_again_low = values[(int)(0.025 * (kept - 1) + 0.5)];
    out->donor_again_high = values[(int)(0.975 * (kept - 1) + 0.5)];
}

static int build_donors(const int64_t *donor, int64_t count, exh_popularity *out, exh_error *err)
{
    int window = out->options.window;
    donor_state s = {0};
    int64_t block_count = count / window + 1;
    donor_block *blocks = calloc((size_t)block_count, sizeof *blocks);
    out->donor_pairs = calloc((size_t)window + 1, sizeof(int64_t));
    out->donor_again = calloc((size_t)window + 1, sizeof(int64_t));
    if (!blocks || !out->donor_pairs || !out->donor_again ||
        donor_state_init(&s, donor, count) != 0) {
        donor_state_free(&s);
        free(blocks);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    /* Only windows whose next window is inside the trace, so nothing is
     * censored; sampled so a million records stay fast. */
    int64_t stride = count / 100000 > 1 ? count / 100000 : 1;
    for (int64_t t = 0; t < count; t++) {
        if (donor[t] >= 0) {
            s.seen[donor[t]]++;
            donor_window_change(&s, donor[t], +1);
        }
        if (t >= window && donor[t - window] >= 0)
            donor_window_change(&s, donor[t - window], -1);
        if (t >= window - 1 && t + window < count && t % stride == 0)
            donor_observe(&s, t, window, out, &blocks[(t - (window - 1)) / window]);
    }
    donor_state_free(&s);
    /* blocks whose observation points lie inside the trace */
    int64_t used_blocks = count >= 2 * window ? (count - 2 * window) / window + 1 : 0;
    bootstrap_interval(blocks, used_blocks, out);
    free(blocks);
    int64_t pairs[2] = {0}, again[2] = {0};
    for (int c = 1; c <= out->max_donor_count; c++) {
        int frequent = c >= out->options.donor_times;
        pairs[frequent] += out->donor_pairs[c];
        again[frequent] += out->donor_again[c];
    }
    out->donor_again_below_d = pairs[0] ? (double)again[0] / (double)pairs[0] : NAN;
    out->donor_again_at_least_d = pairs[1] ? (double)again[1] / (double)pairs[1] : NAN;
    return EXH_OK;
}

/* ---- the delay before a new best is used ---- */

/* The first position in start order whose record starts at or after `time`. */
static int64_t first_start_at(const exh_trace_record *const *order, int64_t count, double time)
{
    int64_t lo = 0, hi = count;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (order[mid]->start_time < time)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void measure_delay(const exh_trace_record *records, const exh_trace_record *const *order,
                          int64_t count, int64_t best, double superseded_at,
                          exh_popularity_best_delay *d)
{
    const exh_trace_record *b = &records[best];
    d->record = best;
    d->proposals = d->superseded = -1;
    d->seconds = NAN;
    int64_t proposals = 0;
    for (int64_t k = first_start_at(order, count, b->end_time); k < count; k++) {
        const exh_trace_record *r = order[k];
        if (r->parent_id < 0)
            continue;
        if (d->superseded < 0 && r->start_time >= superseded_at)
            d->superseded = proposals;
        proposals++;
        if (r->parent_id == b->job_id) {
            d->proposals = proposals;
            d->seconds = r->start_time - b->end_time;
            return;
        }
    }
}

static int build_best_delays(const exh_trace_record *records, int64_t count, exh_popularity *out,
                             exh_error *err)
{
    const exh_trace_record **order = start_order(records, count);
    int64_t *bests = malloc(sizeof *bests * (size_t)count);
    if (!order || !bests) {
        free((void *)order);
        free(bests);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    int64_t best_count = 0, proposals = 0;
    double best = -INFINITY, first = NAN, last = NAN;
    for (int64_t i = 0; i < count; i++) {
        if (records[i].quality > best) {
            best = records[i].quality;
            bests[best_count++] = i;
        }
    }
    for (int64_t k = 0; k < count; k++)
        if (order[k]->parent_id >= 0) {
            last = order[k]->start_time;
            first = proposals++ ? first : last;
        }
    out->mean_seconds_per_proposal = proposals > 1 ? (last - first) / (double)(proposals - 1) : NAN;
    out->best_delays = calloc((size_t)best_count + 1, sizeof *out->best_delays);
    if (!out->best_delays) {
        free((void *)order);
        free(bests);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    double sum = 0;
    int64_t used = 0;
    for (int64_t j = 0; j < best_count; j++) {
        double next_end = j + 1 < best_count ? records[bests[j + 1]].end_time : INFINITY;
        exh_popularity_best_delay *d = &out->best_delays[out->best_delay_count++];
        measure_delay(records, order, count, bests[j], next_end, d);
        if (d->proposals > 0) {
            sum += (double)d->proposals;
            used++;
        }
    }
    out->mean_best_delay = used ? sum / (double)used : NAN;
    out->expected_best_delay = (double)out->options.population / out->options.sample;
    free((void *)order);
    free(bests);
    return EXH_OK;
}

/* ---- stage-1 duplicates ---- */

typedef struct stage1_item {
    int64_t job;
    const exh_trace_record *record;
} stage1_item;

static int compare_jobs(const void *a, const void *b)
{
    int64_t x = ((const stage1_item *)a)->job, y = ((const stage1_item *)b)->job;
    return (x > y) - (x < y);
}

static int compare_keys(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int build_duplicates(const exh_trace_record *records, int64_t count, exh_popularity *out,
                            exh_error *err)
{
    int L = out->options.prefix_length;
    stage1_item *stage1 = malloc(sizeof *stage1 * (size_t)(count + 1));
    uint64_t *keys = malloc(sizeof *keys * (size_t)(count + 1));
    int64_t n = 0;
    if (!stage1 || !keys) {
        free(stage1);
        free(keys);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    for (int64_t i = 0; i < count; i++)
        if (out->options.stage1_first > 0 || records[i].parent_id < 0)
            stage1[n++] = (stage1_item){records[i].job_id, &records[i]};
    if (out->options.stage1_first > 0) { /* the first P submitted: by job id */
        qsort(stage1, (size_t)n, sizeof *stage1, compare_jobs);
        n = n < out->options.stage1_first ? n : out->options.stage1_first;
    }
    for (int64_t k = 0; k < n; k++)
        keys[k] = prefix_key(stage1[k].record, L);
    qsort(keys, (size_t)n, sizeof *keys, compare_keys);
    int run = 0;
    for (int64_t k = 0; k < n; k++) {
        run = k > 0 && keys[k - 1] == keys[k] ? run + 1 : 1;
        if (run > out->stage1_max_duplicates)
            out->stage1_max_duplicates = run;
    }
    free(stage1);
    free(keys);
    out->stage1_records = (int)n;
    out->birthday_expected_max = 1;
    for (int k = 2; k < 8; k++) {
        out->birthday_p[k] = exh_popularity_birthday(n, out->options.space_size, k);
        if (out->birthday_p[k] >= 0.5)
            out->birthday_expected_max = k;
    }
    return EXH_OK;
}

int exh_popularity_build(const exh_trace_record *records, int64_t count, const exh_popularity_options *o,
                         exh_popularity *out, exh_error *err)
{
    memset(out, 0, sizeof *out);
    out->options = *o;
    if (o->window < 1 || o->prefix_length < 1 || o->points < 1 || o->population < 1 ||
        o->sample < 1 || o->sample > o->population || o->tier1_share <= 0 ||
        o->tier1_share > 1 || o->donor_times < 1)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "popularity: window, prefix length, points, population, sample and "
                             "donor times must be positive, sample <= population and the tier-1 "
                             "share in (0, 1]");
    if (count < 1)
        return exh_error_set(err, EXH_ERR_INVALID, "popularity: the trace has no records");
    int64_t *donor = malloc(sizeof *donor * (size_t)count);
    if (!donor)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    choose_points(count, out);
    int rc = build_windows(records, count, out, err);
    if (rc == 0)
        rc = donor_indices(records, count, donor, err);
    if (rc == 0)
        rc = build_donors(donor, count, out, err);
    if (rc == 0)
        rc = build_best_delays(records, count, out, err);
    if (rc == 0)
        rc = build_duplicates(records, count, out, err);
    free(donor);
    if (rc < 0)
        exh_popularity_free(out);
    return rc;
}

void exh_popularity_free(exh_popularity *p)
{
    free(p->entries);
    free(p->tiers);
    free(p->donor_pairs);
    free(p->donor_again);
    free(p->best_delays);
    memset(p, 0, sizeof *p);
}
