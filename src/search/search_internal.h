/* search_internal.h — the population and proposal logic every clock shares. */
#ifndef EXHAUST_SEARCH_INTERNAL_H
#define EXHAUST_SEARCH_INTERNAL_H

#include "exhaust/knn.h"
#include "exhaust/search.h"
#include "exhaust/trie.h"
#include "search/arch_arena.h"

#define SEARCH_MAX_WORKERS 1000000
#define SEARCH_DUPLICATE_TRIES 100

typedef struct search_fast_tier search_fast_tier;
typedef struct search_keep search_keep;

/* An architecture proposed: its first job, and its tokens (in the arena). */
typedef struct search_seen {
    int64_t job;               /* -1: an empty slot */
    const int32_t *token;
    int length;
} search_seen;

/* A failed job waiting to be tried again: what its retry copies. */
typedef struct search_retry {
    int64_t job, parent_id;
    int mutated_position;
} search_retry;

/* A running job in the simulated clock's heap: its key and its worker's
 * slot, beside each other so that sifting reads no records. */
typedef struct search_event {
    double end_time;
    int64_t job;
    int worker;
} search_event;

typedef struct search_state {
    const exh_space *space;
    exh_evaluator *evaluator;
    const exh_search_options *options;
    exh_trace_writer *trace;
    exh_rng *random;
    /* Whole records only for the jobs in flight, one per worker (a worker
     * runs one job at a time; MPI's are ranks 1..workers): slot w is
     * reused once its job is in the trace. A finished job keeps only what
     * its consumers read, by job id: its tokens (parent, donor, screen) and
     * quality (tournaments), 18 bytes instead of a 184-byte record. */
    exh_trace_record *running;     /* workers + 1 slots, indexed by worker */
    const int32_t **job_token;     /* per job: its tokens in the arena; NULL: no such job */
    uint16_t *job_length;          /* per job: its arch_length (<= EXH_ARCH_MAX_TOKENS) */
    /* The tokens: one copy per distinct architecture, repeats point at the first. */
    arch_arena archs;
    double *quality;               /* per job; tournaments read only these */
    int64_t submitted;         /* jobs proposed so far (finished, running, resumed) */
    int64_t next_job;          /* the next job id (ids may have gaps after a resume) */
    int64_t job_capacity;      /* slots in jobs[] */
    search_event *heap;        /* the jobs running (simulated clock) */
    int64_t heap_size;
    int64_t *population;       /* ring of job ids, oldest at population_start */
    int population_start, population_size;
    int *sample_scratch;       /* for sampling without replacement */
    int scratch_size;
    double *position_weights;  /* NULL: uniform mutation */
    search_seen *seen;         /* open-addressing set of the architectures proposed */
    int64_t seen_capacity;
    int64_t distinct;          /* architectures in the seen-set: distinct ones proposed */
    int exhausted;             /* 1: a proposal found nothing new (search_propose) */
    exh_trie *finished;            /* finished models by prefix (transfer_from_any) */
    int *attempt;              /* per job: 0 first try, k the k-th retry */
    search_retry *retry;       /* failed jobs waiting to be tried again (a stack) */
    int64_t retry_count;
    exh_knn_repository *screen_models; /* screening: known models (NULL: not screening) */
    exh_knn_prediction screen_prediction;
    int screen_k;
    search_fast_tier *fast;    /* NULL: no fast directory (search_fast_tier.c) */
    search_keep *keep;         /* NULL: no removal during the search (search_repo.c) */
} search_state;

int search_validate_options(const exh_search_options *o, exh_error *err);
void search_result_init(exh_search_result *result);
/* A job has its end time, quality and status: write it to the trace, and if
 * it succeeded add it to the population, the donors and the best. */
int search_record_finished(search_state *s, exh_trace_record *record, exh_search_result *result,
                           exh_error *err);
/* Worker w's slot, cleared for its next job (as a fresh record: all zero). */
exh_trace_record *search_running_slot(search_state *s, int worker);
/* Job `job`'s architecture (it was proposed or resumed), read into *out. */
const exh_arch *search_job_arch(const search_state *s, int64_t job, exh_arch *out);

/* Allocate the state; with o->resume_records, rebuild the population,
 * the evaluated set, the donors and `result` from them. */
int search_state_init(search_state *s, const exh_space *sp, exh_evaluator *e, const exh_search_options *o,
                      exh_trace_writer *trace, exh_search_result *result, exh_error *err);
/* The latest end time among resumed records (0 without a resume). */
double search_resume_time(const exh_search_options *o);
/* The seen-set slot of `a`: its first job, or job -1 where it would go. */
search_seen *search_seen_slot(search_state *s, const exh_arch *a);
/* Take the next job id and its slot; counts it as submitted. */
int64_t search_next_job(search_state *s);
void search_state_free(search_state *s);

/* Fill record's architecture, parent_id, prefix_length, mutated_position for
 * the next job: random while stage 1 lasts, else tournament + mutation.
 * Without allow_duplicates, when SEARCH_DUPLICATE_TRIES draws in a row were
 * all proposed before, sets s->exhausted and fails with a message counting
 * the distinct architectures proposed (and, in an enumerable space, those
 * never proposed): the clock stops submitting instead of repeating. */
int search_propose(search_state *s, exh_trace_record *record, exh_error *err);

/* Fill r's m:repo_* fields from the traffic in job r->job_id's manifest in
 * the repository folder `repo` (search_repo.c); none (repo_fast_hits -1)
 * when repo is NULL or the job saved no manifest with traffic. */
void search_repo_traffic(const char *repo, exh_trace_record *r);

/* The live fast tier (search_fast_tier.c): open it when the options ask
 * (its counts go to `result`); a job's READ when it is dispatched, its
 * WRITE when it is gathered (before it joins the population); free. */
int search_fast_tier_open(search_state *s, exh_search_result *result, exh_error *err);
void search_fast_tier_read(search_state *s, const exh_trace_record *r);
void search_fast_tier_write(search_state *s, const exh_trace_record *r);
void search_fast_tier_free(search_state *s);

/* A job is dispatched (its id, worker and start time set, its command not
 * yet run): the fast tier's READ, and the repository's protection of its
 * parent and donor (search_repo.c). Every clock calls it. */
void search_dispatched(search_state *s, const exh_trace_record *r);

/* --repo-keep population during the search (search_repo.c): open (when the
 * options ask; removals are counted in `result`), free; a job gathered
 * (before it joins the population: its parent and donor unprotected, a
 * failed one's model removed); model `id` left the population (removed
 * now, or when no running job holds it). */
int search_keep_open(search_state *s, exh_search_result *result, exh_error *err);
void search_keep_free(search_state *s);
void search_keep_gathered(search_state *s, const exh_trace_record *r);
void search_keep_left(search_state *s, int64_t id);

/* Queue a failed job to be proposed again, if it has retries left. */
void search_retry_later(search_state *s, const exh_trace_record *record);

/* A finished job joins the population; the oldest retires when it is full:
 * returns its id, or -1 when none retired. */
int64_t search_population_add(search_state *s, int64_t job);

/* Choose record's transfer donor and prefix length (parent, or any finished
 * model by longest prefix). */
void search_choose_donor(search_state *s, exh_trace_record *record);
/* Remember a finished model as a possible donor. */
int search_donor_add(search_state *s, int64_t job, exh_error *err);

/* Screening (search_screen.c). Build the k-NN models from the logged ones
 * (nothing when o->screen <= 1). */
int search_screen_init(search_state *s, exh_error *err);
/* A job finished: its quality becomes known to the screen. */
int search_screen_learn(search_state *s, const exh_trace_record *record, exh_error *err);
/* Fill *out and record with the best predicted of M mutations of `parent`. */
int search_screen_mutate(search_state *s, int64_t parent, exh_trace_record *record,
                         exh_arch *out, exh_error *err);
void search_screen_free(search_state *s);

#endif
