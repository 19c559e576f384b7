/* search_population.c — the aging population, tournament selection,
 * mutation, and the set of architectures already proposed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search/search_internal.h"

static uint64_t arch_hash(const arch *a)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)a->length;
    for (int i = 0; i < a->length; i++)
        h = (h ^ (uint32_t)a->token[i]) * 1099511628211ULL;
    return h;
}

/* The slot of `a` in the seen-set: holds its job id, or -1 where it would go. */
static int64_t *seen_slot(search_state *s, const arch *a)
{
    int64_t i = (int64_t)(arch_hash(a) & (uint64_t)(s->seen_capacity - 1));
    while (s->seen[i] >= 0 && !arch_equal(&s->jobs[s->seen[i]].architecture, a))
        i = (i + 1) & (s->seen_capacity - 1);
    return &s->seen[i];
}

int search_state_init(search_state *s, const space *sp, evaluator *e, const search_options *o,
                      trace_writer *trace, exh_error *err)
{
    memset(s, 0, sizeof *s);
    s->space = sp;
    s->evaluator = e;
    s->options = o;
    s->trace = trace;
    s->seen_capacity = 16;
    while (s->seen_capacity < 2 * o->candidates)
        s->seen_capacity *= 2;
    s->random = rng_new(o->seed);
    s->jobs = malloc(sizeof *s->jobs * (size_t)o->candidates);
    s->quality = malloc(sizeof *s->quality * (size_t)o->candidates);
    s->end_time = malloc(sizeof *s->end_time * (size_t)o->candidates);
    s->heap = malloc(sizeof *s->heap * (size_t)(o->workers < o->candidates ? o->workers
                                                                            : o->candidates));
    s->population = malloc(sizeof *s->population * (size_t)o->population);
    s->sample_scratch = malloc(sizeof *s->sample_scratch * (size_t)o->population);
    s->seen = malloc(sizeof *s->seen * (size_t)s->seen_capacity);
    if (o->mutation_exponent != 0.0) {
        s->position_weights = malloc(sizeof(double) * ARCH_MAX_TOKENS);
        if (s->position_weights)
            for (int i = 0; i < ARCH_MAX_TOKENS; i++)
                s->position_weights[i] = pow(i + 1.0, o->mutation_exponent);
    }
    if (!s->random || !s->jobs || !s->quality || !s->end_time || !s->heap || !s->population || !s->sample_scratch ||
        !s->seen || (o->mutation_exponent != 0.0 && !s->position_weights)) {
        search_state_free(s);
        return error_set(err, EXH_ERR_NOMEM, "out of memory for a search of %lld candidates",
                         (long long)o->candidates);
    }
    memset(s->seen, 0xff, sizeof *s->seen * (size_t)s->seen_capacity); /* all -1 */
    if (o->transfer_from_any && !(s->finished = trie_new())) {
        search_state_free(s);
        return error_set(err, EXH_ERR_NOMEM, "out of memory for the prefix trie");
    }
    return EXH_OK;
}

void search_state_free(search_state *s)
{
    rng_free(s->random);
    free(s->jobs);
    free(s->quality);
    free(s->end_time);
    free(s->heap);
    free(s->population);
    free(s->sample_scratch);
    free(s->position_weights);
    free(s->seen);
    trie_free(s->finished);
    memset(s, 0, sizeof *s);
}

void search_population_add(search_state *s, int64_t job)
{
    int capacity = s->options->population;
    if (s->population_size < capacity) {
        s->population[(s->population_start + s->population_size++) % capacity] = job;
    } else {
        s->population[s->population_start] = job; /* the oldest retires */
        s->population_start = (s->population_start + 1) % capacity;
    }
}

/* Tournament: the best of `sample` members drawn from the population. Ties
 * go to the member drawn first. */
static int64_t select_parent(search_state *s)
{
    int size = s->population_size, draws = s->options->sample;
    if (draws > size)
        draws = size;
    int64_t best = -1;
    /* The scratch stays a permutation of 0..size-1 between calls: a partial
     * Fisher-Yates shuffle from any permutation draws a uniform sample, so it
     * is only extended as the population grows, never reset. */
    for (; s->scratch_size < size; s->scratch_size++)
        s->sample_scratch[s->scratch_size] = s->scratch_size;
    for (int d = 0; d < draws; d++) {
        int pick;
        if (s->options->sample_with_replacement) {
            pick = (int)rng_below(s->random, (uint32_t)size);
        } else { /* partial Fisher-Yates */
            int j = d + (int)rng_below(s->random, (uint32_t)(size - d));
            pick = s->sample_scratch[j];
            s->sample_scratch[j] = s->sample_scratch[d];
            s->sample_scratch[d] = pick;
        }
        int slot = s->population_start + pick; /* ring index without a division */
        if (slot >= s->options->population)
            slot -= s->options->population;
        int64_t job = s->population[slot];
        if (best < 0 || s->quality[job] > s->quality[best])
            best = job;
    }
    return best;
}

static int propose_once(search_state *s, trace_record *record, exh_error *err)
{
    int stage_one = s->submitted < s->options->population || s->population_size == 0;
    if (stage_one) {
        record->parent_id = -1;
        record->mutated_position = -1;
        return space_sample(s->space, s->random, &record->architecture, err);
    }
    int64_t parent = select_parent(s);
    const arch *parent_arch = &s->jobs[parent].architecture;
    int position;
    int rc = space_mutate(s->space, s->random, parent_arch, &record->architecture, &position,
                          s->position_weights, err);
    if (rc < 0)
        return rc;
    record->parent_id = parent;
    record->mutated_position = position;
    return EXH_OK;
}

void search_choose_donor(search_state *s, trace_record *record)
{
    record->donor_id = record->parent_id;
    record->prefix_length = 0;
    if (s->finished) {
        int64_t donor;
        int length = trie_longest_prefix(s->finished, &record->architecture, &donor);
        if (donor >= 0) {
            record->donor_id = donor;
            record->prefix_length = length;
        }
    } else if (record->parent_id >= 0) {
        record->prefix_length = arch_common_prefix(&s->jobs[record->parent_id].architecture,
                                                   &record->architecture);
    }
}

int search_donor_add(search_state *s, int64_t job, exh_error *err)
{
    return s->finished ? trie_insert(s->finished, &s->jobs[job].architecture, job, err) : EXH_OK;
}

int search_propose(search_state *s, trace_record *record, exh_error *err)
{
    int tries = s->options->allow_duplicates ? 1 : SEARCH_DUPLICATE_TRIES;
    int64_t *slot = NULL;
    for (int t = 0; t < tries; t++) {
        int rc = propose_once(s, record, err);
        if (rc < 0)
            return rc;
        slot = seen_slot(s, &record->architecture);
        if (*slot < 0 || s->options->allow_duplicates)
            break; /* new, or duplicates are fine; after the last try a duplicate stays */
    }
    if (*slot < 0)
        *slot = s->submitted;
    return EXH_OK;
}
