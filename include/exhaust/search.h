/*
 * search.h — regularized evolution (aging evolution), steady-state and
 * asynchronous, as HPC users run it.
 *
 * Stage 1 evaluates random architectures until the population holds
 * `population` finished models (as Real et al. 2019 and DeepHyper do: with W
 * workers that is more than P submissions). Stage 2, each time a
 * worker is free: sample `sample` members of the population, take the best,
 * mutate one position to a different value, evaluate the child; when an
 * evaluation finishes its architecture joins the population and the oldest
 * member retires. The search stops after `candidates` evaluations (or when
 * the time budget is spent).
 *
 * Clocks: with the simulated clock the search is a discrete-event simulation:
 * each evaluation takes its `cost_seconds`, so thousands of workers run on one
 * core, deterministic for a seed. (Real threads and MPI come with their own
 * modules.)
 *
 * Screening (screen = M > 1, "exhaust search --screen M"): in stage 2 a free
 * worker's parent is chosen by the tournament as usual, then M mutations of it
 * are drawn and each is predicted by k-NN (knn.h: the space's edit distance
 * with its default penalties, screen_k neighbours, 1/distance weights) over
 * the models known so far: the screen_logged models given (e.g. logged runs'
 * best validation accuracy) plus every evaluation of this search that
 * finished OK (its quality). Only the mutation with the highest prediction
 * is evaluated; ties go to the one drawn first. Details:
 *   - Fewer than screen_k models known: k is the number known. None known,
 *     or none reachable (every distance infinite): the first mutation drawn.
 *   - Duplicates: without allow_duplicates a mutation already proposed is
 *     not a candidate; when all M are, the tournament is drawn again (up to
 *     the same bounded tries as without screening).
 *   - Reproducibility: the M mutations always come from the search's one
 *     seeded generator and predictions are deterministic, so with the
 *     simulated clock the same seed gives the same trace. Predictions take
 *     no simulated time (their wall time is the cost of screening).
 *   - M = 1 (or 0) is no screening: exactly the search without it, trace
 *     byte for byte included.
 *   - Random stage-1 proposals and retries of failed jobs are not screened.
 * The trace records the screen per job (trace.h: m:screened, m:predicted).
 *
 * Every evaluation is written to a trace (trace.h) as it finishes.
 */
#ifndef EXHAUST_SEARCH_H
#define EXHAUST_SEARCH_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/evaluator.h"
#include "exhaust/space.h"
#include "exhaust/trace.h"

#define EXH_SEARCH_DEFAULT_POPULATION 100  /* P, Real et al. 2019 */
#define EXH_SEARCH_DEFAULT_SAMPLE 5        /* S */
#define EXH_SEARCH_DEFAULT_CANDIDATES 1000 /* N */
#define EXH_SEARCH_DEFAULT_SCREEN_K 5      /* neighbours when screening */
#define EXH_SEARCH_MAX_SCREEN 100000       /* M at most */

struct exh_search_result;

typedef struct exh_search_options {
    int population;            /* P */
    int sample;                /* S */
    int64_t candidates;        /* N: total evaluations, stage 1 included */
    int workers;               /* W */
    uint64_t seed;
    int sample_with_replacement;
    /* 0: a child already proposed is drawn again, up to 100 times; when all
     * were proposed before, the search stops submitting, finishes what runs
     * and fails (EXH_ERR_INVALID) with the count of distinct architectures
     * proposed and, in an enumerable space, of those never proposed. It also
     * refuses `candidates` past exh_space_size (times 1 + retry_failures).
     * 1: repeats are evaluated as drawn (one draw per proposal). */
    int allow_duplicates;
    /* A failed or timed-out evaluation is recorded as such; with
     * retry_failures = R > 0 its architecture is also proposed again (same
     * parent, a new job id), up to R more times, before anything new. */
    int retry_failures;
    /* Mutation position distribution: weight of position i is (i+1)^exponent;
     * 0 = uniform. Positive exponents favour later positions, so more of the
     * parent's prefix (and its trained tensors) is kept. */
    double mutation_exponent;
    /* 0 (default): stage 2 starts once P evaluations have finished, so the
     * first tournament draws from a full population of P models. 1: once P
     * have been submitted (exhaust before this option): with W workers the
     * first children come from the few that have finished by then. */
    int mutate_after_submitted;
    double time_budget_seconds; /* 0: none (simulated seconds with the simulated clock) */
    /* Transfer source: 0 = the parent; 1 = any finished model, the one with
     * the longest common prefix, found with a trie (trie.h). */
    int transfer_from_any;
    /* 1: no child receives tensors (donor -1, prefix 0 in every request and
     * record): the baseline a transfer is compared with. Overrides the above. */
    int transfer_none;
    /* With transfer_from_any: logged models that may donate too (their
     * architectures and store run ids); NULL / 0 for none. */
    const exh_arch *logged_archs;
    const int64_t *logged_run_ids;
    int64_t logged_count;
    /* Called after every finished evaluation (under the search's lock with
     * threads); NULL for none. The CLI draws its progress bar with it. */
    void (*progress)(const struct exh_search_result *so_far, int64_t candidates, void *context);
    void *progress_context;
    /* Resume: the finished evaluations of a killed search (exh_trace_read), in
     * the order they finished. The population, the set of evaluated
     * architectures and the donors are rebuilt from them; the search goes on
     * with new job ids until `candidates` evaluations in all. Jobs that were
     * running when it died are not in the trace and are proposed afresh. */
    const exh_trace_record *resume_records;
    int64_t resume_count;
    /* Screening (see above): M mutations per stage-2 proposal, the best
     * predicted evaluated; 0 or 1: none. screen_k: the k of k-NN (0: the
     * default 5). screen_logged_archs / _quality: models known before the
     * search (NULL / 0 for none), their quality on the search's scale. */
    int screen;
    int screen_k;
    const exh_arch *screen_logged_archs;
    const double *screen_logged_quality;
    int64_t screen_logged_count;
    /* The model repository's folder (repo.h; exhaust search --repo), or NULL.
     * After each evaluation the traffic recorded in the manifest the job
     * saved there becomes the trace's m:repo_* columns (trace.h); the
     * search itself moves no tensors: the training command does. */
    const char *repo_path;
    /* The live fast tier across processes (exhaust search --repo-fast-dir):
     * a node-local folder the search keeps holding the blobs its cache
     * admits: the replay's policies and code (cachesim.h: repo_cache_policy,
     * an exh_cachesim_policy; capacity repo_cache_bytes; tier: window and
     * donations; threshold: epsilon on the parent estimate with this
     * search's population and sample) in one shared cache, on the replay's
     * events: a job's READ of its donor's prefix when it is dispatched
     * (before its command runs), its WRITE when its result is gathered (if
     * it succeeded). The training processes' loads read the folder first
     * (repo.h options.fast_dir; the CLI sets EXHAUST_REPO_FAST_DIR for
     * them). NULL: none. Needs repo_path. */
    const char *repo_fast_dir;
    int64_t repo_cache_bytes;
    int repo_cache_policy;     /* exh_cachesim_policy (0: lru) */
    int repo_cache_window;     /* tier: records (default EXH_CACHESIM_DEFAULT_WINDOW) */
    int repo_cache_donations;  /* tier (default EXH_CACHESIM_DEFAULT_TIER_DONATIONS) */
    double repo_cache_epsilon; /* threshold (default 0.01, as exhaust analyze's) */
    /* --repo-keep population during the search: a model is removed from the
     * repository as it leaves the population (aging), unless a running job
     * receives its prefix or mutates it (then when that job is gathered).
     * Needs repo_path. See search_repo.c for why it cannot race a save. */
    int repo_keep_population;
} exh_search_options;

EXH_API void exh_search_options_default(exh_search_options *o);

typedef struct exh_search_result {
    int workers;               /* workers that evaluated (MPI: ranks - 1) */
    int64_t evaluations;
    int64_t failures;
    double end_time;           /* simulated seconds at the last finish */
    int64_t best_job_id;
    double best_quality;
    exh_arch best_architecture;
    /* The fast tier's own cache (repo_fast_dir): READs that found the tensor
     * held / not held, evictions, bytes copied into the folder. The trace's
     * m:repo_fast_hits are what the readers measured. */
    int64_t fast_hits, fast_misses, fast_evictions, fast_bytes_copied;
    /* repo_keep_population: models removed as they left the population,
     * and the blobs and bytes that went with them. */
    int64_t repo_models_removed, repo_blobs_removed, repo_bytes_removed;
} exh_search_result;

/* Run the whole search with the simulated clock. `trace` may be NULL. */
EXH_API int exh_search_run_simulated(const exh_space *s, exh_evaluator *e, const exh_search_options *o,
                                     exh_trace_writer *trace, exh_search_result *result, exh_error *err);

/* Run it with `workers` real threads and wall-clock times (for evaluators
 * that really train, e.g. the command evaluator). The evaluator must be
 * thread-safe; each worker passes it its own random stream. Not
 * deterministic: which worker finishes first is up to the machine. */
EXH_API int exh_search_run_threads(const exh_space *s, exh_evaluator *e, const exh_search_options *o,
                                   exh_trace_writer *trace, exh_search_result *result, exh_error *err);

/*
 * Past one machine: `mpirun -np K exhaust search --mpi ...`. Rank 0 holds
 * the population and writes the trace; ranks 1..K-1 evaluate (o->workers is
 * ignored: there are K-1 workers). Call exh_search_mpi_rank first (it starts
 * MPI) to know whether this process coordinates (rank 0), and
 * exh_search_mpi_finalize at the end. Without MPI support exh_search_mpi_rank is -1
 * and exh_search_run_mpi fails with a message saying so.
 */
EXH_API int exh_search_mpi_rank(void);
EXH_API void exh_search_mpi_finalize(void);
EXH_API int exh_search_run_mpi(const exh_space *s, exh_evaluator *e, const exh_search_options *o, exh_trace_writer *trace,
                               exh_search_result *result, exh_error *err);

#endif
