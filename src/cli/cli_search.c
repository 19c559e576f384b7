/* cli_search.c — exhaust search: regularized evolution. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_search.h"
#include "exhaust/eval.h"
#include "exhaust/search.h"

static const char HELP[] =
    "usage: exhaust search [--space S] [--evaluator table|command|predictor] [--table PATH]\n"
    "                      [--command CMD] [--timeout SECONDS] [--retry-failures R]\n"
    "                      [--logs PATH] [--k K] [--screen M]\n"
    "                      [--dataset D] [--population P] [--sample S]\n"
    "                      [--candidates N] [--workers W] [--seed N]\n"
    "                      [--clock real|simulated] [--mutation-exponent X]\n"
    "                      [--mutate-after finished|submitted]\n"
    "                      [--with-replacement] [--allow-duplicates]\n"
    "                      [--time-budget SECONDS] [--transfer-from parent|any|none]\n"
    "                      [--trace PATH] [--no-fsync] [--resume TRACE] [--mpi]\n"
    "                      [--store PATH --search-name NAME] [--quiet]\n\n"
    "Regularized (aging) evolution: evaluate random architectures until P have\n"
    "finished, then repeatedly mutate the best of S sampled population members and\n"
    "retire the oldest, until N evaluations. Prints the best architecture found.\n\n"
    "  --space S            architecture space (default nb201; the command evaluator\n"
    "                       takes any: convchain, graph, dense:FILE)\n"
    "  --evaluator E        table (default): look results up in NAS-Bench-201;\n"
    "                       command: run --command per evaluation;\n"
    "                       predictor: the k-NN prediction from logged runs (screening)\n"
    "  --logs PATH          predictor: the store of logged runs (default exhaust.db or\n"
    "                       $EXHAUST_STORE), runs of --space on --dataset\n"
    "  --k K                neighbours of the predictor evaluator and of --screen\n"
    "                       (default 5)\n"
    "  --screen M           screening: each stage-2 proposal is the best of M mutations\n"
    "                       of the tournament's parent as predicted by k-NN (edit\n"
    "                       distance, --k neighbours, fewer while fewer are known) over\n"
    "                       the search's finished models plus the logged runs of\n"
    "                       --space on --dataset in --logs, else in --store (their best\n"
    "                       val_accuracy); only that one is evaluated. Default 1: no\n"
    "                       screening. Before any model is known: the first mutation.\n"
    "                       Mutations already proposed are passed over (unless\n"
    "                       --allow-duplicates). Deterministic for a seed (simulated\n"
    "                       clock); predictions cost wall time, not simulated time.\n"
    "                       The trace gains m:screened (M) and m:predicted\n"
    "  --command CMD        training command; {arch}, {arch_seq}, {job_id}, {parent_id}\n"
    "                       and {donor_id} (both the transfer donor; -1: none),\n"
    "                       {prefix_len} and {repo} (--repo's folder) are replaced by\n"
    "                       values already shell-quoted (write {arch}, not '{arch}');\n"
    "                       its last stdout line is the quality. Each runs in its own\n"
    "                       process group; the evaluation ends when the command exits\n"
    "                       (what it left running is terminated). On SIGINT/SIGTERM\n"
    "                       every command's group gets TERM, then KILL after 5 s,\n"
    "                       and the search exits 128+signal with its trace complete\n"
    "  --repo DIR           model repository (created if absent): the command loads\n"
    "                       there and saves model {job_id}; the trace gains m:repo_*\n"
    "  --repo-keep K        all (default) or population: remove models that left the\n"
    "                       population (as they leave; --transfer-from any: at the end)\n"
    "  --repo-fast-dir DIR  node-local fast tier kept by the replay's cache (--repo-cache-\n"
    "                       bytes B, --repo-cache-policy lru|lfu|tier|threshold|prefetch);\n"
    "                       commands get EXHAUST_REPO_FAST_DIR and read there first;\n"
    "                       --repo-cache-window N, -donations D (tier), -epsilon E\n"
    "                       (threshold): as exhaust analyze's (100, 5, 0.01)\n"
    "  --timeout SEC        per-evaluation limit for --command (default 0: none);\n"
    "                       failures and timeouts are recorded, the search goes on\n"
    "  --retry-failures R   also re-queue a failed or timed-out evaluation, up to R\n"
    "                       more tries (default 0: record it as failed and go on)\n"
    "  --table PATH         the benchmark's archs.csv (required by the table evaluator);\n"
    "                       nats-3cells-epochs.csv beside it calibrates the cost model\n"
    "  --dataset D          cifar10-valid (default) or cifar100\n"
    "  --population P       population size (default 100)\n"
    "  --sample S           tournament size (default 5)\n"
    "  --candidates N       evaluations in total, stage 1 included (default 1000)\n"
    "  --workers W          parallel workers (default 1)\n"
    "  --seed N             random seed (default 1); same seed, same search\n"
    "  --clock C            real (default): W worker threads, wall-clock times;\n"
    "                       simulated: discrete-event simulation where each evaluation\n"
    "                       takes its cost (table: modelled training time), so W can\n"
    "                       be in the thousands; deterministic for a seed\n"
    "  --mutation-exponent X  mutate position i with weight (i+1)^X (default 0:\n"
    "                       uniform; > 0 favours later positions, keeping more prefix)\n"
    "  --mutate-after M     finished (default, as Real et al. and DeepHyper): mutate\n"
    "                       once P evaluations have finished; submitted: once P were\n"
    "                       submitted (with W workers, the first tournaments then\n"
    "                       draw from fewer than P models)\n"
    "  --with-replacement   sample the tournament with replacement\n"
    "  --allow-duplicates   allow re-evaluating an architecture already proposed.\n"
    "                       Without it --candidates past the space's size (nb201:\n"
    "                       15,625) is refused, and a search that finds no new child\n"
    "                       in 100 draws stops, saying how many distinct it proposed\n"
    "  --time-budget SEC    stop submitting after SEC (simulated) seconds\n"
    "  --transfer-from M    parent (default): a child receives its parent's tensors for\n"
    "                       their common prefix; any: from the finished model with the\n"
    "                       longest common prefix (found with a prefix trie), or from a\n"
    "                       logged run of --space on --dataset in --logs when given;\n"
    "                       none: no child receives tensors (the baseline)\n"
    "  --trace PATH         write every evaluation to a CSV trace (DeepHyper columns;\n"
    "                       pandas.read_csv reads it as it is), each record flushed\n"
    "                       to disk as it finishes; the settings go to PATH.json\n"
    "  --no-fsync           write the trace without an fsync per record: much faster\n"
    "                       for huge simulated searches, but a crash of the machine\n"
    "                       may lose the last records (a killed process loses none)\n"
    "  --resume TRACE       continue a killed search from its trace: the settings come\n"
    "                       from TRACE.json (options given must match it: population,\n"
    "                       sample, seed, space, evaluator, dataset, screen, k), the\n"
    "                       population\n"
    "                       is rebuilt from the finished evaluations, new ones are\n"
    "                       appended to TRACE; evaluations that were running when it\n"
    "                       died, or whose line was torn, are proposed afresh. A\n"
    "                       trace is locked while a search writes it\n"
    "  --store PATH         also record every evaluation in this log store (tables\n"
    "                       searches and trace_records), one commit per record; while\n"
    "                       another process holds the store, records wait in memory\n"
    "                       (the trace is the record of truth; --resume backfills)\n"
    "  --search-name NAME   the search's name in the store (default: the trace path,\n"
    "                       or 'search'); re-using a name replaces that search\n"
    "  --mpi                under mpirun -np K: rank 0 holds the population and the\n"
    "                       trace, ranks 1..K-1 evaluate (--workers is ignored; real\n"
    "                       clock only: --clock simulated is refused)\n"
    "  --quiet              no progress line on stderr (evaluations done, best so far,\n"
    "                       time left)\n\n"
    "example: exhaust search --space nb201 --population 100 --sample 5 --candidates 1000 \\\n"
    "             --workers 64 --clock simulated --seed 1 --trace out.csv\n"
    "         mpirun -np 9 exhaust search --mpi --evaluator command --command ./train.sh\n";

static int parse_number(const char *option, const char *text, double low, double *out)
{
    char *end;
    *out = strtod(text, &end);
    if (*end || end == text || !(*out >= low) || isinf(*out))
        return cli_usage_error("search", "%s needs a number >= %g, not '%s'", option, low, text);
    return CLI_OK;
}

/* An int option in [low, high] (cli_parse_integer). */
static int parse_whole(const char *option, const char *text, int low, int high, int *out)
{
    return cli_parse_int("search", option, text, low, high, out);
}

static int parse_options(int argc, char **argv, search_cli_options *o)
{
    static const struct option options[] = {
        {"space", required_argument, NULL, 'p'},      {"evaluator", required_argument, NULL, 'e'},
        {"table", required_argument, NULL, 'T'},      {"dataset", required_argument, NULL, 'd'},
        {"population", required_argument, NULL, 'P'}, {"sample", required_argument, NULL, 'S'},
        {"candidates", required_argument, NULL, 'N'}, {"workers", required_argument, NULL, 'W'},
        {"seed", required_argument, NULL, 's'},       {"clock", required_argument, NULL, 'c'},
        {"mutation-exponent", required_argument, NULL, 'x'},
        {"mutate-after", required_argument, NULL, 'A'},
        {"with-replacement", no_argument, NULL, 'r'}, {"allow-duplicates", no_argument, NULL, 'D'},
        {"time-budget", required_argument, NULL, 'b'}, {"trace", required_argument, NULL, 't'},
        {"transfer-from", required_argument, NULL, 'X'},
        {"command", required_argument, NULL, 'C'},    {"resume", required_argument, NULL, 'R'},
        {"mpi", no_argument, NULL, 'M'},          {"no-fsync", no_argument, NULL, 'Y'},
        {"retry-failures", required_argument, NULL, 'F'},
        {"store", required_argument, NULL, 'B'}, {"search-name", required_argument, NULL, 'n'},
        {"logs", required_argument, NULL, 'L'},  {"k", required_argument, NULL, 'K'},
        {"screen", required_argument, NULL, 'Q'}, {"timeout", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"repo", required_argument, NULL, 'G'},
        {"repo-fast-dir", required_argument, NULL, 'H'},
        {"repo-keep", required_argument, NULL, 'O'},
        {"repo-cache-bytes", required_argument, NULL, 'I'},
        {"repo-cache-policy", required_argument, NULL, 'J'},
        {"repo-cache-window", required_argument, NULL, CLI_REPO_WINDOW},
        {"repo-cache-donations", required_argument, NULL, CLI_REPO_DONATIONS},
        {"repo-cache-epsilon", required_argument, NULL, CLI_REPO_EPSILON},
        {NULL, 0, NULL, 0},
    };
    int c;
    double value;
    long long whole = 0;
    opterr = 0;
    int index = -1;
    char option_name[64];
    while ((c = getopt_long(argc, argv, ":", options, &index)) != -1) {
        const char *name = cli_option_name(options, index, argv, option_name, sizeof option_name);
        index = -1;
        int rc = CLI_OK;
        static const char KEYS[] = "PSspedNWcXxAQK";
        const char *key = strchr(KEYS, c);
        if (key && c)
            o->given |= 1u << (key - KEYS); /* GIVEN_* in the same order */
        switch (c) {
        case 'A':
            if (strcmp(optarg, "finished") != 0 && strcmp(optarg, "submitted") != 0)
                return cli_usage_error("search", "--mutate-after is finished or submitted");
            o->search.mutate_after_submitted = strcmp(optarg, "submitted") == 0;
            break;
        case 'p': o->space = optarg; break;
        case 'e': o->evaluator = optarg; break;
        case 'T': o->table = optarg; break;
        case 'd': o->dataset = optarg; break;
        case 't': o->trace = optarg; break;
        case 'r': o->search.sample_with_replacement = 1; break;
        case 'D': o->search.allow_duplicates = 1; break;
        case 'X':
            if (cli_search_set_transfer(o, optarg) != 0)
                return cli_usage_error("search", "--transfer-from is parent, any or none");
            break;
        case 'c':
            if (strcmp(optarg, "simulated") != 0 && strcmp(optarg, "real") != 0)
                return cli_usage_error("search", "--clock is real or simulated");
            o->simulated = strcmp(optarg, "simulated") == 0;
            break;
        case 'C': o->command = optarg; break;
        case 'G': case 'H': case 'I': case 'J': case 'O': case CLI_REPO_WINDOW:
        case CLI_REPO_DONATIONS: case CLI_REPO_EPSILON:
            rc = cli_search_repo_option(c, name, optarg, &o->search, &o->keep_population);
            break;
        case 'R': o->resume = optarg; break;
        case 'M': o->mpi = 1; break;
        case 'q': o->quiet = 1; break;
        case 'Y': o->no_fsync = 1; break;
        case 'B': o->store = optarg; break;
        case 'L': o->logs = optarg; break;
        case 'K': rc = parse_whole(name, optarg, 1, 1000000, &o->k); break;
        case 'Q':
            rc = parse_whole(name, optarg, 1, EXH_SEARCH_MAX_SCREEN, &o->search.screen);
            break;
        case 'n': o->search_name = optarg; break;
        case 'F': rc = parse_whole(name, optarg, 0, 1000000, &o->search.retry_failures); break;
        case 'o': rc = parse_number(name, optarg, 0, &o->timeout); break;
        case 'P': rc = parse_whole(name, optarg, 1, 100000000, &o->search.population); break;
        case 'S': rc = parse_whole(name, optarg, 1, 100000000, &o->search.sample); break;
        case 'N':
            rc = cli_parse_integer("search", name, optarg, 1, 1000000000000LL, &whole);
            o->search.candidates = whole;
            break;
        case 'W': rc = parse_whole(name, optarg, 1, 1000000, &o->search.workers); break;
        case 's': rc = cli_parse_seed("search", name, optarg, &o->search.seed); break;
        case 'x':
            rc = parse_number(name, optarg, -100, &value);
            o->search.mutation_exponent = value;
            break;
        case 'b':
            rc = parse_number(name, optarg, 0, &value);
            o->search.time_budget_seconds = value;
            break;
        case ':': return cli_usage_error("search", "%s needs a value", name);
        default: return cli_usage_error("search", "unknown option '%s'", name);
        }
        if (rc != CLI_OK)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error("search", "unexpected argument '%s'", argv[optind]);
    return CLI_OK;
}

/* After a resume has filled in the sidecar's settings. */
static int check_options(const search_cli_options *o)
{
    if (o->mpi && o->simulated) /* MPI evaluates for real: there is no clock to simulate */
        return cli_usage_error("search", "--clock simulated does not work with --mpi: the ranks "
                               "evaluate in real time (use one or the other)");
    if (o->search.sample > o->search.population)
        return cli_usage_error("search", "--sample %d is more than --population %d",
                               o->search.sample, o->search.population);
    int table = strcmp(o->evaluator, "table") == 0;
    if (o->search.repo_fast_dir && (!o->search.repo_path || o->search.repo_cache_bytes <= 0))
        return cli_usage_error("search", "--repo-fast-dir needs --repo and --repo-cache-bytes");
    if (o->keep_population && (!o->search.repo_path || !(o->trace || o->resume)))
        return cli_usage_error("search", "--repo-keep population needs --repo and --trace");
    if (o->search.repo_path && strcmp(o->evaluator, "command") != 0)
        return cli_usage_error("search", "--repo needs --evaluator command: the training "
                               "command moves the tensors");
    if (strcmp(o->evaluator, "predictor") == 0)
        return CLI_OK;
    if (!table && strcmp(o->evaluator, "command") != 0)
        return cli_usage_error("search", "--evaluator is table, command or predictor");
    if (table && strcmp(o->space, "nb201") != 0)
        return cli_usage_error("search", "the table evaluator knows --space nb201 only");
    if (table && !o->table)
        return cli_usage_error("search", "--evaluator table needs --table PATH: NAS-Bench-201's "
                                         "archs.csv (e.g. ../shared/data/nb201/archs.csv)");
    if (!table && !o->command)
        return cli_usage_error("search", "--evaluator command needs --command");
    return CLI_OK;
}

/* The CSV trace (or a writer without one), locked; a resumed trace's torn
 * last line is cut here, before it is read. */
static int open_trace(const search_cli_options *o, exh_evaluator *e, int sidecar,
                      exh_trace_writer **trace, exh_error *err)
{
    *trace = NULL;
    char parameters[512];
    cli_search_describe(o, parameters, sizeof parameters);
    const char *lines[2] = {parameters, e->describe(e->state)};
    exh_trace_settings settings;
    cli_search_fill_settings(o, &settings);
    settings.lines = lines;
    settings.line_count = 2;
    int rc = EXH_OK;
    if (o->resume) {
        int64_t torn = 0;
        rc = exh_trace_open_append(o->resume, &torn, trace, err);
        if (rc == 0 && torn > 0)
            fprintf(stderr, "exhaust search: %s: cut a torn last record (%lld bytes without "
                            "their newline); it will be proposed again\n",
                    o->resume, (long long)torn);
        /* Under the lock: the sidecar now says how far this search goes. */
        if (rc == 0 && sidecar)
            rc = exh_trace_settings_write(o->resume, &settings, err);
    } else if (o->trace || o->store) {
        rc = exh_trace_open(o->trace, o->trace ? &settings : NULL, trace, err);
    }
    if (rc == 0 && *trace && o->no_fsync)
        exh_trace_set_durable(*trace, 0);
    return rc;
}

/* The store beside the trace; a resumed search's finished evaluations are
 * added to it (a kill, or a busy store, can leave some only in the CSV). */
static int open_store(const search_cli_options *o, exh_trace_writer *trace, exh_store **log_store,
                      exh_trace_store **records, exh_error *err)
{
    if (!o->store)
        return EXH_OK;
    char parameters[512];
    cli_search_describe(o, parameters, sizeof parameters);
    const char *name = o->search_name ? o->search_name
                       : o->resume    ? o->resume
                       : o->trace     ? o->trace
                                      : "search";
    int rc = exh_store_open(o->store, log_store, err);
    if (rc == 0)
        rc = exh_trace_store_open(*log_store, name, parameters, o->resume != NULL, records, err);
    if (rc == 0)
        exh_trace_attach_store(trace, *records);
    for (int64_t i = 0; rc == 0 && i < o->search.resume_count; i++)
        rc = exh_trace_store_append(*records, &o->search.resume_records[i], err);
    return rc;
}

/* At the end: give a busy store time to take the waiting records; what it
 * still refuses, the trace keeps (a --resume adds it to the store). */
static void finish_store(const search_cli_options *o, exh_trace_store *records)
{
    enum { FINAL_WAIT_SECONDS = 30 };
    exh_error err;
    if (exh_trace_store_pending(records) > 0 &&
        exh_trace_store_flush(records, FINAL_WAIT_SECONDS, &err) < 0)
        cli_error("search", "%s", err.message);
    int64_t pending = exh_trace_store_pending(records);
    const char *trace = o->resume ? o->resume : o->trace ? o->trace : "TRACE";
    if (pending > 0)
        cli_error("search", "%s: busy: %lld records are in the trace but not yet in the store; "
                  "`exhaust search --resume %s --store %s` adds them",
                  o->store, (long long)pending, trace, o->store);
}

static void print_result(const search_cli_options *o, const exh_space *s, exh_evaluator *e,
                         const exh_search_result *r)
{
    char text[EXH_SPACE_TEXT_MAX] = "-";
    if (r->best_job_id >= 0)
        exh_space_format(s, &r->best_architecture, text, sizeof text);
    printf("%s\n", e->describe(e->state));
    printf("evaluations: %lld (%lld failed), %s time %.1f s with %d workers\n",
           (long long)r->evaluations, (long long)r->failures,
           o->simulated && !o->mpi ? "simulated" : "wall", r->end_time, r->workers);
    if (r->best_job_id < 0)
        printf("best: none (every evaluation failed)\n");
    else if (strcmp(o->evaluator, "table") == 0)
        printf("best: job %lld, validation accuracy %.3f (one logged seed), 3-seed mean %.3f "
               "(table best %.3f)\n",
               (long long)r->best_job_id, r->best_quality,
               exh_evaluator_nb201_mean_quality(e, &r->best_architecture),
               exh_evaluator_nb201_best_mean_quality(e));
    else
        printf("best: job %lld, quality %.6g\n", (long long)r->best_job_id, r->best_quality);
    printf("architecture: %s\n", text);
    if (o->trace || o->resume)
        printf("trace: %s\n", o->resume ? o->resume : o->trace);
}

/* The search's callback onto the command's progress line, with the best
 * quality so far. */
static void show_progress(const exh_search_result *so_far, int64_t candidates, void *context)
{
    char best[48];
    snprintf(best, sizeof best, "best %.4g", so_far->best_quality);
    progress_update(context, "evaluations", so_far->evaluations, candidates, best);
}

/* Logged runs that may donate with --transfer-from any, or inform --screen
 * (with their best validation accuracy). */
typedef struct logged_donors {
    exh_arch *archs;
    int64_t *run_ids;
    double *quality;
    int64_t count, capacity;
    const exh_space *space;
} logged_donors;

static double best_val_accuracy(const exh_run *r)
{
    double best = NAN;
    for (size_t i = 0; i < r->epoch_count; i++)
        if (!isnan(r->epochs[i].val_accuracy) && !(r->epochs[i].val_accuracy <= best))
            best = r->epochs[i].val_accuracy;
    return best;
}

static int collect_donor(const exh_run *r, void *context)
{
    logged_donors *l = context;
    exh_arch a;
    if (!r->arch || exh_space_parse(l->space, r->arch, &a, NULL) < 0)
        return 0;
    if (l->count == l->capacity) {
        l->capacity = l->capacity ? l->capacity * 2 : 1024;
        exh_arch *archs = realloc(l->archs, sizeof *archs * (size_t)l->capacity);
        int64_t *ids = archs ? realloc(l->run_ids, sizeof *ids * (size_t)l->capacity) : NULL;
        double *quality = ids ? realloc(l->quality, sizeof *quality * (size_t)l->capacity) : NULL;
        if (archs)
            l->archs = archs;
        if (ids)
            l->run_ids = ids;
        if (!archs || !ids || !quality)
            return EXH_ERR_NOMEM;
        l->quality = quality;
    }
    l->quality[l->count] = best_val_accuracy(r);
    l->archs[l->count] = a;
    l->run_ids[l->count++] = r->id;
    return 0;
}

static int load_logged(const search_cli_options *o, const char *path, const exh_space *s,
                       logged_donors *l, exh_error *err)
{
    exh_store *log_store;
    int rc = exh_store_open(path, &log_store, err);
    if (rc < 0)
        return rc;
    exh_run_filter filter = {.space = o->space, .dataset = o->dataset, .status = EXH_RUN_STATUS_OK,
                             .with_epochs = o->search.screen > 1}; /* the screen's qualities */
    l->space = s;
    rc = exh_store_each_run(log_store, &filter, collect_donor, l, err);
    if (rc == EXH_ERR_NOMEM)
        rc = exh_error_set(err, rc, "out of memory reading logged runs");
    exh_store_close(log_store);
    return rc;
}

/* What the predictor evaluator reads, kept until the search ends. */
typedef struct predictor_logs {
    exh_eval_dataset *dataset;
    exh_knn_repository *repository;
} predictor_logs;

static int open_predictor(const search_cli_options *o, const exh_space *s, predictor_logs *logs,
                          exh_evaluator **e, exh_error *err)
{
    exh_store *log_store;
    int rc = exh_store_open(o->logs ? o->logs : cli_default_store(), &log_store, err);
    if (rc < 0)
        return rc;
    rc = exh_eval_dataset_load(log_store, o->space, o->dataset, &logs->dataset, err);
    exh_store_close(log_store);
    if (rc == 0)
        rc = exh_eval_repository(logs->dataset, NULL, &logs->repository, err);
    if (rc == 0)
        rc = exh_evaluator_predictor_open(logs->repository, s, o->k, e, err);
    return rc;
}

static int open_evaluator(const search_cli_options *o, const exh_space *s, predictor_logs *logs,
                          exh_evaluator **e, exh_error *err)
{
    if (strcmp(o->evaluator, "table") == 0)
        return exh_evaluator_nb201_open(o->table, o->dataset, e, err);
    if (strcmp(o->evaluator, "predictor") == 0)
        return open_predictor(o, s, logs, e, err);
    return exh_evaluator_command_open(o->command, o->timeout, s, e, err);
}

/* SIGINT / SIGTERM (mpirun sends TERM on an abort) with training commands
 * running: terminate every command's process group, and KILL what is left
 * after the grace period (SIGALRM) or on a second signal. The evaluations
 * then fail as interrupted, the search stops, the trace is closed (flushed)
 * and the exit status is 128 + the signal. Without commands the default
 * action is kept: each finished evaluation is already in the trace. */
static volatile sig_atomic_t stop_signal;

static void on_grace_over(int sig)
{
    (void)sig;
    exh_evaluator_command_stop(SIGKILL);
}

static void on_stop_signal(int sig)
{
    if (stop_signal) { /* asked twice: no more grace */
        exh_evaluator_command_stop(SIGKILL);
        return;
    }
    stop_signal = sig;
    exh_evaluator_command_stop(SIGTERM);
    alarm((unsigned)EXH_EVALUATOR_COMMAND_GRACE_SECONDS + 1);
}

static void own_stop_signals(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = on_stop_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    action.sa_handler = on_grace_over;
    sigaction(SIGALRM, &action, NULL);
}

static int search_main(int argc, char **argv)
{
    search_cli_options o = {.space = "nb201", .evaluator = "table", .k = 5,
                            .dataset = "cifar10-valid"};
    exh_search_options_default(&o.search);
    int rc = parse_options(argc, argv, &o);
    if (rc != CLI_OK)
        return rc;
    /* Before MPI starts: a refused option then ends every rank alike. */
    exh_trace_settings recorded;
    int sidecar = 0;
    if (o.resume && (rc = cli_search_adopt_settings(&o, &recorded, &sidecar)) != CLI_OK)
        return rc;
    if ((rc = check_options(&o)) != CLI_OK)
        return rc;
    int coordinator = 1; /* the process that writes the trace and prints */
    if (o.mpi) {
        int rank = exh_search_mpi_rank();
        if (rank < 0) {
            cli_error("search", "this exhaust was built without MPI (install libopenmpi-dev "
                                "and rebuild)");
            return CLI_FAILED;
        }
        coordinator = rank == 0;
    }
    progress_printer progress;
    cli_progress_start(&progress, "search", o.quiet || !coordinator);
    if (progress.stream) {
        o.search.progress = show_progress;
        o.search.progress_context = &progress;
    }
    if (strcmp(o.evaluator, "command") == 0)
        own_stop_signals();
    exh_error err;
    exh_space *s = NULL;
    exh_evaluator *e = NULL;
    exh_trace_writer *trace = NULL;
    exh_search_result result;
    predictor_logs logs = {NULL, NULL};
    rc = exh_space_open(o.space, &s, &err);
    if (rc == 0)
        rc = open_evaluator(&o, s, &logs, &e, &err);
    if (rc == 0 && o.search.repo_path)
        rc = cli_search_repo_open(o.search.repo_path, o.search.repo_fast_dir, e, &err);
    /* Lock (and cut a torn tail) before reading: the records read are then
     * the ones the trace keeps, and no other search can add to it. */
    if (rc == 0 && coordinator)
        rc = open_trace(&o, e, sidecar, &trace, &err);
    exh_trace_record *resumed = NULL;
    if (rc == 0 && o.resume && coordinator) {
        rc = exh_trace_read(o.resume, s, 1, &resumed, &o.search.resume_count, &err);
        o.search.resume_records = resumed;
        if (rc == 0)
            fprintf(stderr, "resuming %s: %lld finished evaluations\n", o.resume,
                    (long long)o.search.resume_count);
    }
    exh_store *log_store = NULL;
    exh_trace_store *records = NULL;
    logged_donors donors = {0};
    const char *screen_logs = o.logs ? o.logs : o.store;
    if (rc == 0 && ((o.search.transfer_from_any && o.logs) || (o.search.screen > 1 && screen_logs)))
        rc = load_logged(&o, screen_logs, s, &donors, &err);
    if (rc == 0 && o.search.transfer_from_any && o.logs) {
        o.search.logged_archs = donors.archs;
        o.search.logged_run_ids = donors.run_ids;
        o.search.logged_count = donors.count;
    }
    if (rc == 0 && o.search.screen > 1) {
        o.search.screen_k = o.k;
        o.search.screen_logged_archs = donors.archs;
        o.search.screen_logged_quality = donors.quality;
        o.search.screen_logged_count = donors.count;
    }
    if (rc == 0 && coordinator)
        rc = open_store(&o, trace, &log_store, &records, &err);
    if (rc == 0 && o.mpi)
        rc = exh_search_run_mpi(s, e, &o.search, trace, &result, &err);
    else if (rc == 0)
        rc = o.simulated ? exh_search_run_simulated(s, e, &o.search, trace, &result, &err)
                         : exh_search_run_threads(s, e, &o.search, trace, &result, &err);
    alarm(0); /* a grace period still running has nothing left to end */
    if (records)
        finish_store(&o, records);
    if (exh_trace_store_error(trace))
        cli_error("search", "%s: %s; the search went on without the store (the trace has "
                  "every record; `exhaust search --resume TRACE --store %s` adds them)",
                  o.store, exh_trace_store_error(trace), o.store);
    progress_finish(&progress);
    exh_error close_err;
    if (exh_trace_close(trace, &close_err) < 0 && rc == 0) {
        err = close_err;
        rc = close_err.code;
    }
    if (rc == 0 && coordinator)
        print_result(&o, s, e, &result);
    if (rc == 0 && coordinator && o.keep_population &&
        cli_search_repo_keep_population(o.search.repo_path, o.resume ? o.resume : o.trace,
                                        o.search.population, &err) < 0)
        cli_error("search", "--repo-keep population: %s", err.message);
    if (rc == 0 && coordinator && o.search.repo_path)
        cli_search_repo_report(o.search.repo_path, &result);
    else if (rc < 0 && stop_signal)
        cli_error("search", "stopped by signal %d; every training command was ended, and the "
                            "trace holds every finished evaluation", (int)stop_signal);
    else if (rc < 0)
        cli_error("search", "%s", err.message);
    if (o.mpi)
        exh_search_mpi_finalize();
    exh_trace_store_close(records);
    exh_store_close(log_store);
    free(resumed);
    free(donors.archs);
    free(donors.run_ids);
    free(donors.quality);
    exh_evaluator_free(e);
    exh_knn_repository_free(logs.repository);
    exh_eval_dataset_free(logs.dataset);
    exh_space_free(s);
    if (stop_signal)
        return 128 + (int)stop_signal;
    return rc == 0 ? CLI_OK : CLI_FAILED;
}

const cli_command cli_search_command = {"search", "regularized evolution over a space", HELP,
                                        search_main};
