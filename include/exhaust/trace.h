/*
 * trace.h — one durable record per evaluation of a search.
 *
 * CSV columns use DeepHyper's names where they exist, so pandas code written
 * for DeepHyper's results.csv reads exhaust traces:
 *   job_id, p:arch_seq, objective, m:timestamp_submit, m:timestamp_start,
 *   m:timestamp_gather (the end), m:worker, m:parent_id, m:donor_id,
 *   m:prefix_len, m:mutated_position, m:status, m:cost, m:donor_run_id
 * and, only in traces of a screening search (settings screen > 1):
 *   m:screened (mutations predicted to choose this job: M, or 0 for a random
 *   or retried job), m:predicted (the k-NN prediction of the one chosen;
 *   empty when there was none)
 * and, read only (DeepHyper's @profile writes it), m:timestamp_end: when the
 * run itself ended, before its result was gathered.
 * and, only in traces of a search with a model repository (settings repo
 * set: exhaust search --repo DIR), what the job's training moved through it,
 * read from the "traffic" of the manifest the job saved (repo.h); all empty
 * when it saved none (a failed job, a script that does not save):
 *   m:repo_fast_hits, m:repo_store_reads (tensors served by the fast tier /
 *   read from the store), m:repo_read_bytes_fast, m:repo_read_bytes_store,
 *   m:repo_write_bytes (new blobs), m:repo_seconds (time inside the
 *   repository), m:repo_error (the EXH_ERR_* code of a failed load of the
 *   donor's prefix: a corrupt or missing blob or donor; 0: none. The job
 *   trains on without it and the search goes on)
 * donor_id is the model whose tensors the child receives (its parent, or
 * with --transfer-from any the finished model with the longest common
 * prefix); prefix_len is the number of leading positions shared with it,
 * whose tensors it receives (keys: transfer.h). With --transfer-from any and
 * logged runs (--logs), the donor can be a logged run instead: then
 * m:donor_id is -1 and m:donor_run_id names the run in the store.
 * The CSV is pure (a header row, then records: pandas.read_csv(path) reads
 * it as it is); the search's settings live beside it in a sidecar JSON file,
 * `<trace path>.json` (exh_trace_settings below). Older traces began with '#'
 * lines holding the settings; exh_trace_read skips them and exh_trace_settings_read
 * falls back to them. Numbers are written with the shortest digits that read
 * back to the same double (91.61, not 91.609999999999999). Each record is
 * flushed and fsync'ed when written, so a killed search loses nothing it
 * finished; a record is complete only with its newline. The writer holds an
 * exclusive lock (flock) on the CSV while it is open, so two searches (two
 * --resume) never write one trace at once.
 */
#ifndef EXHAUST_TRACE_H
#define EXHAUST_TRACE_H

#include "exhaust/export.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "exhaust/error.h"
#include "exhaust/space.h"

typedef struct exh_trace_record {
    int64_t job_id;
    int worker;
    double submit_time, start_time, end_time;
    /* m:timestamp_end, when run_end_known: the run ended here, and its result
     * was gathered at end_time. Zero-initialised records have none. */
    double run_end_time;
    int run_end_known;
    /* The architecture: arch_length tokens at arch_token, stored at their
     * real length (a whole exh_arch is 1 KB; an NB201 cell has 6 tokens).
     * The record does not own them: exh_trace_read's block does (one free),
     * or the search, or the caller that filled the record. Read it whole
     * with exh_trace_record_arch. */
    int arch_length;
    const int32_t *arch_token;
    double quality;            /* NAN when the evaluation failed */
    double cost_seconds;
    int64_t parent_id;         /* -1: random (stage 1) */
    int64_t donor_id;          /* transfer source: a job of this search; -1: none */
    int64_t donor_run_id;      /* or a logged run (the store's run id); -1: none */
    int prefix_length;         /* positions shared with the donor */
    int mutated_position;      /* -1: random */
    int status;                /* exh_evaluation_status */
    int screened;              /* mutations screened to choose it; 0: not screened */
    double predicted;          /* its k-NN prediction when screened; NAN: none */
    /* The repository traffic (m:repo_*); repo_fast_hits -1: none recorded
     * (then the others are meaningless). */
    int64_t repo_fast_hits, repo_store_reads, repo_fast_bytes, repo_store_bytes;
    int64_t repo_write_bytes;
    double repo_seconds;
    int repo_error;
} exh_trace_record;

/* When the record's run ended: run_end_time when known, else end_time.
 * Durations and concurrency run from start_time to this. */
static inline double exh_trace_run_end(const exh_trace_record *r)
{
    return r->run_end_known ? r->run_end_time : r->end_time;
}

/* The record's architecture copied into `out` (only its arch_length tokens
 * are written); returns out. Whatever needs a whole exh_arch (the space's
 * functions, the trie) builds one on the stack with this. A length outside
 * 0..EXH_ARCH_MAX_TOKENS (exh_trace_read never gives one, exh_trace_append
 * refuses one) is cut into that range rather than overrun `out`. */
static inline exh_arch *exh_trace_record_arch(const exh_trace_record *r, exh_arch *out)
{
    int n = r->arch_length < 0 ? 0 : r->arch_length;
    out->length = n < EXH_ARCH_MAX_TOKENS ? n : EXH_ARCH_MAX_TOKENS;
    if (out->length > 0)
        memcpy(out->token, r->arch_token, sizeof out->token[0] * (size_t)out->length);
    return out;
}

typedef struct exh_trace_writer exh_trace_writer;
typedef struct exh_trace_store exh_trace_store;

/*
 * The sidecar `<trace path>.json`: what a search was run with, so that
 * analyze and --resume need not be told again. Its keys:
 *   {"format": "exhaust-trace", "version": 1, "space", "dataset",
 *    "evaluator", "population", "sample", "seed", "workers", "candidates",
 *    "clock", "transfer_from", "mutation_exponent", "mutate_after",
 *    "screen" (M; 1 = no screening), "k" (neighbours of the predictor
 *    evaluator and of the screen), "repo" (the model repository's folder;
 *    "" none: then the CSV has no m:repo_* columns),
 *    "settings_lines": [the human-readable lines, as the old '#' lines]}
 * Text fields are "" and numbers -1 (mutation_exponent NAN) when unknown.
 */
#define EXH_TRACE_SIDECAR_FORMAT "exhaust-trace"
#define EXH_TRACE_SIDECAR_VERSION 1
#define EXH_TRACE_SIDECAR_SUFFIX ".json"
#define EXH_TRACE_SETTING_MAX 256

typedef struct exh_trace_settings {
    char space[EXH_TRACE_SETTING_MAX], dataset[EXH_TRACE_SETTING_MAX];
    char evaluator[EXH_TRACE_SETTING_MAX];
    char clock[16], transfer_from[16], mutate_after[16];
    int population, sample, workers;
    int screen, k;             /* screen > 1: the CSV has the screen columns */
    long long seed;            /* -1: unknown */
    long long candidates;
    double mutation_exponent;
    /* settings_lines: written by exh_trace_open; exh_trace_settings_read leaves
     * them NULL / 0. */
    const char *const *lines;
    int line_count;
    char repo[EXH_TRACE_SETTING_MAX]; /* non-empty: the CSV has the m:repo_* columns */
    /* The live fast tier's settings (search.h repo_fast_dir), in the
     * sidecar's "repo_cache" object (null, or absent in older sidecars:
     * none; then policy "" and the numbers -1 / NAN). */
    char repo_cache_policy[16];
    long long repo_cache_bytes;
    int repo_cache_window, repo_cache_donations;
    double repo_cache_epsilon;
} exh_trace_settings;

/* All unknown: "" and -1 (mutation_exponent NAN). */
EXH_API void exh_trace_settings_init(exh_trace_settings *s);
/* Write `<trace_path>.json` atomically (a temporary file, fsync, rename). */
EXH_API int exh_trace_settings_write(const char *trace_path, const exh_trace_settings *s,
                                     exh_error *err);
/* Read a trace's settings: its sidecar, else (an older trace) the
 * "key=value" words of its leading '#' lines. EXH_ERR_NOT_FOUND when it has
 * neither (e.g. a DeepHyper results.csv); a malformed sidecar is
 * EXH_ERR_PARSE naming the file and, from jansson, the line. */
EXH_API int exh_trace_settings_read(const char *trace_path, exh_trace_settings *s, exh_error *err);

/* Create (truncate) a CSV trace, locked (see above); with settings, its
 * sidecar is written first (and settings->screen > 1 adds the screen
 * columns). path NULL: no CSV (records go only to an attached store). A
 * trace another process holds open is refused (EXH_ERR_INVALID, naming it)
 * before anything is written. */
EXH_API int exh_trace_open(const char *path, const exh_trace_settings *settings,
                           exh_trace_writer **out, exh_error *err);
/* durable: fsync after every record (default on); off for benchmarks. */
EXH_API void exh_trace_set_durable(exh_trace_writer *t, int durable);
EXH_API int exh_trace_append(exh_trace_writer *t, const exh_trace_record *record, exh_error *err);
/* Also write every record to a store (exh_trace_store_open); the writer does not
 * own it. A store error does not fail exh_trace_append (the CSV has the record):
 * the writer stops using the store and exh_trace_store_error says why. */
EXH_API void exh_trace_attach_store(exh_trace_writer *t, exh_trace_store *store);
/* The store's first error (a --resume of the CSV backfills the store); NULL
 * if none. */
EXH_API const char *exh_trace_store_error(const exh_trace_writer *t);
EXH_API int exh_trace_close(exh_trace_writer *t, exh_error *err);

/* Continue an existing trace (resume): lock it (refused like exh_trace_open
 * when another process holds it), cut a torn last line (bytes after the last
 * newline: a record the killed writer never finished; *torn_bytes says how
 * many, 0 if none), and append after it (with the screen columns when its
 * header has them). Call it before exh_trace_read, so the records read are
 * the ones the trace keeps. */
EXH_API int exh_trace_open_append(const char *path, int64_t *torn_bytes, exh_trace_writer **out,
                                  exh_error *err);

/*
 * Read a trace (exhaust's or DeepHyper's results.csv) into a malloc'd array,
 * in file order: one block holding the records and, after them, their
 * architectures' tokens (arch_token points there), so free(*records) frees
 * both. Architectures are parsed with space `s` from p:arch_seq
 * (s NULL: any token sequence, e.g. a DeepHyper space exhaust does not know).
 * Required columns: job_id, p:arch_seq, objective ("F" = failed); the others
 * default to missing (NAN, -1). Leading '#' lines (older traces) are
 * skipped. With allow_torn_tail, a last line without its newline (cut short
 * by a killed writer) is dropped, even when it would parse: a record is
 * complete only with its newline. Without it, such a line is read.
 */
EXH_API int exh_trace_read(const char *path, const exh_space *s, int allow_torn_tail,
                           exh_trace_record **records, int64_t *count, exh_error *err);

/*
 * Traces in the SQLite log store: table `searches` (one row per search: name,
 * parameters, created) and `trace_records` (one row per evaluation, the CSV's
 * columns but the screen's two, which only the CSV has; key (search, job_id)).
 * Each record is its own committed transaction (WAL), so a killed search
 * loses nothing it finished.
 * Re-using a search name replaces that search's records, unless
 * `continuing` (a resumed search adds to them).
 * The store never stops a search (the CSV is the record of truth): while
 * another process holds the store's write lock, records wait in memory and
 * go in with a later append or exh_trace_store_flush; what is still pending at
 * the end (exh_trace_store_pending), a --resume of the CSV trace backfills.
 * Other SQLite errors are returned as EXH_ERR_STORE.
 */
struct exh_store;
EXH_API int exh_trace_store_open(struct exh_store *s, const char *search_name,
                                 const char *parameters, int continuing, exh_trace_store **out,
                                 exh_error *err);
EXH_API int exh_trace_store_append(exh_trace_store *t, const exh_trace_record *record,
                                   exh_error *err);
/* Write what is pending, waiting up to wait_seconds for the lock. */
EXH_API int exh_trace_store_flush(exh_trace_store *t, double wait_seconds, exh_error *err);
/* Records not yet in the store (0 for NULL). */
EXH_API int64_t exh_trace_store_pending(const exh_trace_store *t);
EXH_API void exh_trace_store_close(exh_trace_store *t);

#endif
