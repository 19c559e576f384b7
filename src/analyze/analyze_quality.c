/* analyze_quality.c — RQ3: quality over time (steps of the cumulative
 * maximum) and who becomes a parent, against the hypergeometric estimate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/analyze.h"
#include "repo/cache_policy.h"

int exh_analyze_quality_build(const exh_trace_record *records, int64_t count, exh_analyze_quality *out,
                              exh_error *err)
{
    memset(out, 0, sizeof *out);
    out->best = NAN;
    out->first_time = count ? records[0].end_time : NAN;
    out->last_time = count ? records[count - 1].end_time : NAN;
    int64_t capacity = 0;
    for (int64_t i = 0; i < count; i++) {
        double q = records[i].quality;
        if (isnan(q)) {
            out->failures++;
            continue;
        }
        if (!isnan(out->best) && q <= out->best)
            continue;
        if (out->step_count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            exh_analyze_step *grown = realloc(out->steps, sizeof *grown * (size_t)capacity);
            if (!grown) {
                exh_analyze_quality_free(out);
                return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
            }
            out->steps = grown;
        }
        out->steps[out->step_count++] =
            (exh_analyze_step){i, records[i].end_time, q, isnan(out->best) ? 0.0 : q - out->best};
        out->best = q;
    }
    return EXH_OK;
}

void exh_analyze_quality_free(exh_analyze_quality *q)
{
    free(q->steps);
    memset(q, 0, sizeof *q);
}

double exh_analyze_parent_bound(int population, int sample, int rank)
{
    return cache_policy_parent_bound(population, sample, rank); /* the live tier's too */
}

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int was_parent(const int64_t *parents, int64_t count, int64_t id)
{
    return bsearch(&id, parents, (size_t)count, sizeof *parents, compare_ids) != NULL;
}

/* Replay the aging population; each successful model's rank as it joins. */
static void replay_ranks(const exh_trace_record *records, int64_t count, int population,
                         const int64_t *parents, int64_t parent_count, exh_analyze_parents *out,
                         int64_t *ring)
{
    int start = 0, size = 0;
    for (int64_t i = 0; i < count; i++) {
        double q = records[i].quality;
        if (isnan(q))
            continue;
        int rank = 1;
        for (int k = 0; k < size; k++)
            rank += records[ring[(start + k) % population]].quality > q;
        if (size == population) /* the oldest retires as the child joins */
            start = (start + 1) % population;
        else
            size++;
        ring[(start + size - 1) % population] = i;
        if (rank > population)
            rank = population;
        out->join_rank[i] = rank;
        out->joined[rank]++;
        int chosen = was_parent(parents, parent_count, records[i].job_id);
        out->chosen[rank] += chosen;
        if (rank >= out->threshold_rank) {
            out->skipped++;
            out->false_skips += chosen;
        }
    }
}

int exh_analyze_parents_build(const exh_trace_record *records, int64_t count, int population, int sample,
                              double epsilon, exh_analyze_parents *out, exh_error *err)
{
    memset(out, 0, sizeof *out);
    if (population < 1 || sample < 1 || sample > population)
        return exh_error_set(err, EXH_ERR_INVALID, "population %d and sample %d make no tournament",
                             population, sample);
    out->population = population;
    out->sample = sample;
    out->epsilon = epsilon;
    out->joined = calloc((size_t)population + 1, sizeof *out->joined);
    out->chosen = calloc((size_t)population + 1, sizeof *out->chosen);
    out->bound = calloc((size_t)population + 1, sizeof *out->bound);
    out->join_rank = calloc((size_t)(count ? count : 1), sizeof *out->join_rank);
    int64_t *parents = malloc(sizeof *parents * (size_t)(count ? count : 1));
    int64_t *ring = malloc(sizeof *ring * (size_t)population);
    if (!out->joined || !out->chosen || !out->bound || !out->join_rank || !parents || !ring) {
        free(parents);
        free(ring);
        exh_analyze_parents_free(out);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    for (int r = population; r >= 1; r--)
        out->bound[r] = exh_analyze_parent_bound(population, sample, r);
    out->threshold_rank = cache_policy_threshold_rank(population, sample, epsilon);
    int64_t parent_count = 0;
    for (int64_t i = 0; i < count; i++)
        if (records[i].parent_id >= 0)
            parents[parent_count++] = records[i].parent_id;
    qsort(parents, (size_t)parent_count, sizeof *parents, compare_ids);
    replay_ranks(records, count, population, parents, parent_count, out, ring);
    free(parents);
    free(ring);
    return EXH_OK;
}

void exh_analyze_parents_free(exh_analyze_parents *p)
{
    free(p->joined);
    free(p->chosen);
    free(p->bound);
    free(p->join_rank);
    memset(p, 0, sizeof *p);
}
