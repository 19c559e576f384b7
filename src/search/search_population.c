/* search_population.c — the aging population, tournament selection,
 * mutation, and the set of architectures already proposed. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/search_internal.h"
#include "util/hash.h"
#include "util/huge.h"

/* In the donor trie, logged run i is stored as id -2 - i (jobs are >= 0). */
#define LOGGED_ID(i) (-2 - (int64_t)(i))

static uint64_t tokens_hash(const int32_t *token, int length)
{
    return hash_tokens(HASH_START ^ (uint64_t)length, token, length);
}

static int same_arch(const search_seen *e, const exh_arch *a)
{
    return e->length == a->length &&
           memcmp(e->token, a->token, sizeof *a->token * (size_t)a->length) == 0;
}

/* Point job's record at `a`'s tokens: those of the seen-set's `slot` when it
 * holds them (a repeat), else a new copy in the arena, which `slot` then
 * holds for `job`. */
static int keep_arch(search_state *s, exh_trace_record *record, int64_t job, const exh_arch *a,
                     search_seen *slot, exh_error *err)
{
    record->arch_length = a->length;
    record->arch_token = slot->job >= 0 ? slot->token
                                        : arch_arena_add(&s->archs, a->token, a->length);
    if (!record->arch_token)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory for the architectures of %lld "
                             "jobs", (long long)s->submitted);
    if (slot->job < 0) {
        *slot = (search_seen){job, record->arch_token, a->length};
        s->distinct++;
    }
    s->job_token[job] = record->arch_token;
    s->job_length[job] = (uint16_t)record->arch_length;
    return EXH_OK;
}

const exh_arch *search_job_arch(const search_state *s, int64_t job, exh_arch *out)
{
    exh_trace_record r = {.arch_length = s->job_length[job], .arch_token = s->job_token[job]};
    return exh_trace_record_arch(&r, out);
}

exh_trace_record *search_running_slot(search_state *s, int worker)
{
    exh_trace_record *record = &s->running[worker];
    memset(record, 0, sizeof *record);
    return record;
}

static void seen_clear(search_seen *seen, int64_t capacity)
{
    for (int64_t i = 0; i < capacity; i++)
        seen[i] = (search_seen){-1, NULL, 0};
}

/* Double the seen-set: it holds the distinct architectures, which a small
 * space (NB201: 15,625) keeps far below the candidates. 0, or -1 when out of
 * memory (then the set stays as it was, fuller). */
static int seen_grow(search_state *s)
{
    int64_t capacity = 2 * s->seen_capacity, mask = capacity - 1;
    search_seen *seen = malloc(sizeof *seen * (size_t)capacity);
    if (!seen)
        return -1;
    seen_clear(seen, capacity);
    for (int64_t k = 0; k < s->seen_capacity; k++) {
        const search_seen *e = &s->seen[k];
        if (e->job < 0)
            continue;
        int64_t i = (int64_t)(tokens_hash(e->token, e->length) & (uint64_t)mask);
        while (seen[i].job >= 0)
            i = (i + 1) & mask;
        seen[i] = *e;
    }
    free(s->seen);
    s->seen = seen;
    s->seen_capacity = capacity;
    return 0;
}

/* The slot of `a` in the seen-set: holds its first job, or job -1 where it
 * would go (grown first, so that an insertion there keeps it at most half
 * full). Entries hold the tokens, so a lookup reads the arena, not a job. */
search_seen *search_seen_slot(search_state *s, const exh_arch *a)
{
    if (2 * (s->distinct + 1) > s->seen_capacity)
        seen_grow(s); /* out of memory: fuller, still correct while a slot is free */
    int64_t i = (int64_t)(tokens_hash(a->token, a->length) & (uint64_t)(s->seen_capacity - 1));
    while (s->seen[i].job >= 0 && !same_arch(&s->seen[i], a))
        i = (i + 1) & (s->seen_capacity - 1);
    return &s->seen[i];
}

static int64_t resume_capacity(const exh_search_options *o)
{
    /* Resumed job ids may have gaps (jobs lost in flight): make room for the
     * largest id plus the evaluations still to come. */
    int64_t largest = -1;
    for (int64_t i = 0; i < o->resume_count; i++) /* ids past 2^40 are refused as bad below */
        if (o->resume_records[i].job_id > largest && o->resume_records[i].job_id < (int64_t)1 << 40)
            largest = o->resume_records[i].job_id; /* (2^63-1 + 1 overflowed) */
    int64_t left = o->candidates - o->resume_count;
    return largest + 1 + (left > 0 ? left : 0);
}

static int allocate_state(search_state *s, const exh_space *sp, exh_evaluator *e,
                          const exh_search_options *o, exh_trace_writer *trace, exh_error *err)
{
    memset(s, 0, sizeof *s);
    arch_arena_init(&s->archs);
    s->space = sp;
    s->evaluator = e;
    s->options = o;
    s->trace = trace;
    s->job_capacity = o->resume_count > 0 ? resume_capacity(o) : o->candidates;
    s->seen_capacity = 1024; /* grows with the distinct architectures (seen_grow) */
    s->random = exh_rng_new(o->seed);
    /* Per job: calloc'd (untouched pages cost nothing until a job is there);
     * huge pages where every job writes (fewer page faults). */
    s->running = calloc((size_t)o->workers + 1, sizeof *s->running);
    s->job_token = huge_alloc(sizeof *s->job_token * (size_t)s->job_capacity);
    if (s->job_token)
        memset(s->job_token, 0, sizeof *s->job_token * (size_t)s->job_capacity);
    s->job_length = huge_alloc(sizeof *s->job_length * (size_t)s->job_capacity);
    s->quality = huge_alloc(sizeof *s->quality * (size_t)s->job_capacity);
    s->attempt = calloc((size_t)s->job_capacity, sizeof *s->attempt);
    s->retry = malloc(sizeof *s->retry * (size_t)s->job_capacity);
    s->heap = malloc(sizeof *s->heap * (size_t)(o->workers < o->candidates ? o->workers
                                                                            : o->candidates));
    s->population = malloc(sizeof *s->population * (size_t)o->population);
    s->sample_scratch = malloc(sizeof *s->sample_scratch * (size_t)o->population);
    s->seen = malloc(sizeof *s->seen * (size_t)s->seen_capacity);
    if (o->mutation_exponent != 0.0) {
        s->position_weights = malloc(sizeof(double) * EXH_ARCH_MAX_TOKENS);
        if (s->position_weights)
            for (int i = 0; i < EXH_ARCH_MAX_TOKENS; i++)
                s->position_weights[i] = pow(i + 1.0, o->mutation_exponent);
    }
    if (!s->random || !s->running || !s->job_token || !s->job_length || !s->quality ||
        !s->attempt || !s->retry || !s->heap || !s->population || !s->sample_scratch ||
        !s->seen || (o->mutation_exponent != 0.0 && !s->position_weights)) {
        search_state_free(s);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory for a search of %lld candidates",
                             (long long)o->candidates);
    }
    seen_clear(s->seen, s->seen_capacity);
    if (o->transfer_from_any && !o->transfer_none && !(s->finished = exh_trie_new())) {
        search_state_free(s);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory for the prefix trie");
    }
    for (int64_t i = 0; s->finished && i < o->logged_count; i++)
        if (exh_trie_insert(s->finished, &o->logged_archs[i], LOGGED_ID(i), err) < 0) {
            search_state_free(s);
            return err ? err->code : EXH_ERR_NOMEM;
        }
    return EXH_OK;
}

/* Replay resumed records in finishing order, as if they had just finished,
 * without writing them to the trace again. */
static int restore(search_state *s, exh_search_result *result, exh_error *err)
{
    const exh_search_options *o = s->options;
    exh_trace_writer *trace = s->trace;
    s->trace = NULL;
    int rc = EXH_OK;
    for (int64_t i = 0; rc == 0 && i < o->resume_count; i++) {
        const exh_trace_record *r = &o->resume_records[i];
        if (r->job_id < 0 || r->job_id >= s->job_capacity)
            rc = exh_error_set(err, EXH_ERR_INVALID, "resume: bad job id %lld", (long long)r->job_id);
        else if (s->job_token[r->job_id]) /* its tokens are kept: seen */
            rc = exh_error_set(err, EXH_ERR_INVALID, "resume: job %lld appears twice in the trace",
                               (long long)r->job_id);
        if (rc < 0)
            break;
        exh_trace_record record = *r;
        s->quality[r->job_id] = r->status == EXH_EVALUATION_OK ? r->quality : NAN;
        exh_arch a;
        search_seen *slot = search_seen_slot(s, exh_trace_record_arch(r, &a));
        if ((rc = keep_arch(s, &record, r->job_id, &a, slot, err)) < 0)
            break;
        if (r->job_id >= s->next_job)
            s->next_job = r->job_id + 1;
        s->submitted++;
        rc = search_record_finished(s, &record, result, err);
    }
    s->trace = trace;
    /* A new stream for the rest, still a function of seed and trace only. */
    exh_rng_seed(s->random, o->seed ^ ((uint64_t)o->resume_count * 0x9E3779B97F4A7C15ULL));
    return rc;
}

/* More candidates than distinct architectures (each tried 1 + retry_failures
 * times at most) can only be met by repeats: refuse unless they are allowed,
 * rather than search the last few for ever. Spaces that cannot say their
 * size (or are too large to count) are not checked. */
static int check_space_size(const exh_space *sp, const exh_search_options *o, exh_error *err)
{
    int64_t size = exh_space_size(sp), tries = 1 + (int64_t)o->retry_failures;
    if (o->allow_duplicates || size <= 0 || size > INT64_MAX / tries || o->candidates <= size * tries)
        return EXH_OK;
    return exh_error_set(err, EXH_ERR_INVALID, "candidates %" PRId64 " exceed the %" PRId64
                         " distinct architectures of space %s%s: pass --allow-duplicates "
                         "(allow_duplicates) to evaluate some more than once, or ask for at "
                         "most %" PRId64, o->candidates, size, exh_space_name(sp),
                         tries > 1 ? " times the tries per architecture" : "", size * tries);
}

int search_state_init(search_state *s, const exh_space *sp, exh_evaluator *e, const exh_search_options *o,
                      exh_trace_writer *trace, exh_search_result *result, exh_error *err)
{
    int rc = check_space_size(sp, o, err);
    if (rc < 0)
        return rc;
    rc = allocate_state(s, sp, e, o, trace, err);
    if (rc < 0)
        return rc;
    if ((rc = search_screen_init(s, err)) < 0 || (rc = search_fast_tier_open(s, result, err)) < 0 ||
        (rc = search_keep_open(s, result, err)) < 0) {
        search_state_free(s);
        return rc;
    }
    search_result_init(result);
    result->workers = o->workers;
    rc = restore(s, result, err);
    if (rc < 0)
        search_state_free(s);
    return rc;
}

double search_resume_time(const exh_search_options *o)
{
    double latest = 0.0;
    for (int64_t i = 0; i < o->resume_count; i++)
        if (o->resume_records[i].end_time > latest)
            latest = o->resume_records[i].end_time;
    return latest;
}

int64_t search_next_job(search_state *s)
{
    s->submitted++;
    return s->next_job++;
}

void search_state_free(search_state *s)
{
    search_fast_tier_free(s);
    search_keep_free(s);
    exh_rng_free(s->random);
    free(s->running);
    free(s->job_token);
    free(s->job_length);
    free(s->quality);
    free(s->attempt);
    free(s->retry);
    free(s->heap);
    free(s->population);
    free(s->sample_scratch);
    free(s->position_weights);
    free(s->seen);
    arch_arena_free(&s->archs);
    exh_trie_free(s->finished);
    search_screen_free(s);
    memset(s, 0, sizeof *s);
}

int64_t search_population_add(search_state *s, int64_t job)
{
    int capacity = s->options->population;
    if (s->population_size < capacity) {
        s->population[(s->population_start + s->population_size++) % capacity] = job;
        return -1;
    }
    int64_t retired = s->population[s->population_start]; /* the oldest retires */
    s->population[s->population_start] = job;
    s->population_start = (s->population_start + 1) % capacity;
    return retired;
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
            pick = (int)exh_rng_below(s->random, (uint32_t)size);
        } else { /* partial Fisher-Yates */
            int j = d + (int)exh_rng_below(s->random, (uint32_t)(size - d));
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

static int propose_once(search_state *s, exh_trace_record *record, exh_arch *out,
                        exh_error *err)
{
    /* Random until the population holds P finished models (failures never
     * join it); or, with mutate_after_submitted, until P were submitted. */
    int stage_one = s->options->mutate_after_submitted
                        ? s->submitted < s->options->population || s->population_size == 0
                        : s->population_size < s->options->population;
    if (stage_one) {
        record->parent_id = -1;
        record->mutated_position = -1;
        return exh_space_sample(s->space, s->random, out, err);
    }
    int64_t parent = select_parent(s);
    if (s->screen_models)
        return search_screen_mutate(s, parent, record, out, err);
    exh_arch parent_arch;
    int position;
    int rc = exh_space_mutate(s->space, s->random,
                              search_job_arch(s, parent, &parent_arch), out,
                              &position, s->position_weights, err);
    if (rc < 0)
        return rc;
    record->parent_id = parent;
    record->mutated_position = position;
    return EXH_OK;
}

void search_choose_donor(search_state *s, exh_trace_record *record)
{
    record->donor_id = record->parent_id;
    record->donor_run_id = -1;
    record->prefix_length = 0;
    if (s->options->transfer_none) {
        record->donor_id = -1;
    } else if (s->finished) {
        int64_t donor;
        exh_arch a;
        int length = exh_trie_longest_prefix(s->finished, exh_trace_record_arch(record, &a),
                                             &donor);
        if (donor >= 0) {
            record->donor_id = donor;
            record->prefix_length = length;
        } else if (donor <= LOGGED_ID(0) && length > 0) {
            record->donor_id = -1;
            record->donor_run_id = s->options->logged_run_ids[LOGGED_ID(0) - donor];
            record->prefix_length = length;
        }
    } else if (record->parent_id >= 0) {
        exh_arch parent, child;
        record->prefix_length =
            exh_arch_common_prefix(search_job_arch(s, record->parent_id, &parent),
                                   exh_trace_record_arch(record, &child));
    }
}

int search_donor_add(search_state *s, int64_t job, exh_error *err)
{
    exh_arch a;
    return s->finished ? exh_trie_insert(s->finished, search_job_arch(s, job, &a), job, err)
                       : EXH_OK;
}

void search_retry_later(search_state *s, const exh_trace_record *record)
{
    if (s->attempt[record->job_id] < s->options->retry_failures)
        s->retry[s->retry_count++] =
            (search_retry){record->job_id, record->parent_id, record->mutated_position};
}

/* No new architecture in `tries` draws: say how far the search got. */
static int exhausted(search_state *s, int tries, exh_error *err)
{
    s->exhausted = 1;
    int64_t size = exh_space_size(s->space);
    char left[160] = "";
    if (size > 0)
        snprintf(left, sizeof left, "; %" PRId64 " of the %" PRId64 " in space %s were never "
                 "proposed", size - s->distinct, size, exh_space_name(s->space));
    return exh_error_set(err, EXH_ERR_INVALID, "search stopped after %" PRId64 " of %" PRId64
                         " candidates: no new architecture in %d draws (%" PRId64 " distinct "
                         "proposed%s); pass --allow-duplicates (allow_duplicates) to go on "
                         "with repeats, or ask for fewer candidates", s->submitted,
                         s->options->candidates, tries, s->distinct, left);
}

int search_propose(search_state *s, exh_trace_record *record, exh_error *err)
{
    record->screened = 0; /* unless the screen chooses it */
    record->predicted = NAN;
    if (s->retry_count > 0) { /* a failed job first: same architecture and parent */
        const search_retry *old = &s->retry[--s->retry_count];
        record->arch_length = s->job_length[old->job];
        record->arch_token = s->job_token[old->job];
        record->parent_id = old->parent_id;
        record->mutated_position = old->mutated_position;
        s->attempt[s->next_job] = s->attempt[old->job] + 1;
        s->job_token[s->next_job] = record->arch_token;
        s->job_length[s->next_job] = (uint16_t)record->arch_length;
        return EXH_OK;
    }
    int tries = s->options->allow_duplicates ? 1 : SEARCH_DUPLICATE_TRIES;
    search_seen *slot = NULL;
    exh_arch a;
    for (int t = 0; t < tries; t++) {
        int rc = propose_once(s, record, &a, err);
        if (rc < 0)
            return rc;
        slot = search_seen_slot(s, &a);
        if (slot->job < 0 || s->options->allow_duplicates)
            break; /* new, or duplicates are fine */
    }
    if (slot->job >= 0 && !s->options->allow_duplicates)
        return exhausted(s, tries, err);
    return keep_arch(s, record, s->next_job, &a, slot, err);
}
