/*
 * analysis.h — every analysis of a trace, run together: what `exhaust
 * analyze` computes before the report renders it (report_analysis.h).
 *
 *   RQ1 structure   analyze.h: prefix trie, mutation positions, prefix lengths
 *   RQ2 locality    locality.h: top tensors, reuse distances, broadcast, quanta
 *   RQ3 quality     analyze.h: steps of the best, parent ranks vs estimate
 *   RQ4 popularity  popularity.h: windows, tiers, donors again, delays, birthday
 *   caches          cachesim.h: policies x scopes x capacities
 */
#ifndef EXHAUST_ANALYSIS_H
#define EXHAUST_ANALYSIS_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/analyze.h"
#include "exhaust/cachesim.h"
#include "exhaust/locality.h"
#include "exhaust/popularity.h"
#include "exhaust/progress.h"

#define EXH_ANALYSIS_MAX_CAPACITIES 8
#define EXH_ANALYSIS_MAX_THREADS 64

enum { EXH_ANALYSIS_STRUCTURE, EXH_ANALYSIS_LOCALITY, EXH_ANALYSIS_QUALITY, EXH_ANALYSIS_POPULARITY,
       EXH_ANALYSIS_CACHES, EXH_ANALYSIS_PARTS };

typedef struct exh_analysis_options {
    int population, sample;    /* of the search (default 100, 5: the paper's) */
    const char *population_source, *sample_source; /* where they came from, for the
                                  page: "sidecar", "--population", "the trace
                                  header", "default"; NULL: not said */
    double mutation_exponent;  /* of the search (its sidecar; 0: uniform), for RQ1's theory */
    double epsilon;            /* "do not store" threshold on the parent estimate */
    double min_share;          /* trie nodes below this share are not drawn */
    int workers;               /* for the quanta; <= 0: the trace's distinct workers */
    int threads;               /* threads for the cache replays, at most
                                  EXH_ANALYSIS_MAX_THREADS (default 2: one replays
                                  while this one runs the other analyses,
                                  then joins in) */
    exh_popularity_options popularity;
    exh_locality_options locality;
    int cache_window, cache_donations;                /* tier-aware admission */
    int64_t cache_bytes[EXH_ANALYSIS_MAX_CAPACITIES];     /* capacities to simulate */
    int cache_capacities;
    const exh_space *space;        /* NULL: any token sequences (tensor sizes: 1 byte each) */
    exh_analyze_inference inference; /* what exh_analyze_infer filled in (all 0: nothing; the
                                  report labels inferred figures from it) */
    exh_progress progress;     /* "parts" done of EXH_ANALYSIS_PARTS, on the calling
                                  thread (progress.h) */
    /* The search's live fast tier (its sidecar's "repo_cache", trace.h):
     * replayed beside what its trainers measured (exh_analysis_live). NULL
     * policy: none recorded. */
    const char *live_policy;
    int64_t live_bytes;
    int live_window, live_donations;
    double live_epsilon;
} exh_analysis_options;

EXH_API void exh_analysis_options_default(exh_analysis_options *o);

typedef struct exh_analysis_cache_row {
    exh_cachesim_policy policy;
    exh_cachesim_scope scope;
    int64_t capacity_bytes;
    exh_cachesim_result result;
} exh_analysis_cache_row;

/* What a search's trainers measured of the model repository (the trace's
 * m:repo_* columns, summed) beside the replay of the same trace under the
 * live fast tier's policy and capacity (shared scope). The measured figures
 * count real blobs; the replay keys tensors by prefix (transfer.h) and
 * needs sizes: `replay` gives every position the mean measured bytes of a
 * tensor read (tensor_bytes), `replay_space` the space's modelled sizes
 * (when the space has them). Equal counts need one blob per position and
 * frozen prefixes (a trainer that rewrites a received tensor saves new
 * bytes under the replay's same key). */
typedef struct exh_analysis_live {
    int64_t records;           /* records with m:repo_* figures; 0: none (nothing below) */
    int64_t fast_hits, store_reads, read_bytes_fast, read_bytes_store, write_bytes, errors;
    double seconds;
    int replayed;              /* 1: options.live_policy was given and the replays ran */
    int64_t tensor_bytes;      /* replay's size of every tensor (1 when nothing was read) */
    exh_cachesim_result replay;
    int space_sized;           /* 1: replay_space ran */
    exh_cachesim_result replay_space;
} exh_analysis_live;

typedef struct exh_analysis {
    exh_analysis_options options;
    const exh_trace_record *records;   /* not owned */
    int64_t count;
    exh_analyze_structure structure;
    exh_analyze_quality quality;
    exh_analyze_parents parents;
    exh_popularity popularity;
    exh_locality locality;
    exh_quanta quanta;
    exh_analysis_cache_row *cache;      /* by capacity, then scope, then policy */
    int cache_rows;
    exh_analysis_live live;
    double seconds[EXH_ANALYSIS_PARTS]; /* time each part took */
} exh_analysis;

/* A part's name for people ("structure", "caches (beside the others)"). */
EXH_API const char *exh_analysis_part_name(int part);

EXH_API int exh_analysis_run(const exh_trace_record *records, int64_t count,
                             const exh_analysis_options *o, exh_analysis *out, exh_error *err);
EXH_API void exh_analysis_free(exh_analysis *a);

#endif
