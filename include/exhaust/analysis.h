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

#include <stdint.h>

#include "exhaust/analyze.h"
#include "exhaust/cachesim.h"
#include "exhaust/locality.h"
#include "exhaust/popularity.h"

#define ANALYSIS_MAX_CAPACITIES 8
#define ANALYSIS_MAX_THREADS 64

enum { ANALYSIS_STRUCTURE, ANALYSIS_LOCALITY, ANALYSIS_QUALITY, ANALYSIS_POPULARITY,
       ANALYSIS_CACHES, ANALYSIS_PARTS };

typedef struct analysis_options {
    int population, sample;    /* of the search (default 100, 5: the paper's) */
    const char *population_source, *sample_source; /* where they came from, for the
                                  page: "sidecar", "--population", "the trace
                                  header", "default"; NULL: not said */
    double mutation_exponent;  /* of the search (its sidecar; 0: uniform), for RQ1's theory */
    double epsilon;            /* "do not store" threshold on the parent estimate */
    double min_share;          /* trie nodes below this share are not drawn */
    int workers;               /* for the quanta; <= 0: the trace's distinct workers */
    int threads;               /* threads for the cache replays, at most
                                  ANALYSIS_MAX_THREADS (default 2: one replays
                                  while this one runs the other analyses,
                                  then joins in) */
    popularity_options popularity;
    locality_options locality;
    int cache_window, cache_donations;                /* tier-aware admission */
    int64_t cache_bytes[ANALYSIS_MAX_CAPACITIES];     /* capacities to simulate */
    int cache_capacities;
    const space *space;        /* NULL: any token sequences (tensor sizes: 1 byte each) */
    analyze_inference inference; /* what analyze_infer filled in (all 0: nothing; the
                                  report labels inferred figures from it) */
} analysis_options;

void analysis_options_default(analysis_options *o);

typedef struct analysis_cache_row {
    cachesim_policy policy;
    cachesim_scope scope;
    int64_t capacity_bytes;
    cachesim_result result;
} analysis_cache_row;

typedef struct analysis {
    analysis_options options;
    const trace_record *records;   /* not owned */
    int64_t count;
    analyze_structure structure;
    analyze_quality quality;
    analyze_parents parents;
    popularity popularity;
    locality locality;
    quanta quanta;
    analysis_cache_row *cache;      /* by capacity, then scope, then policy */
    int cache_rows;
    double seconds[ANALYSIS_PARTS]; /* time each part took */
} analysis;

/* A part's name for people ("structure", "caches (beside the others)"). */
const char *analysis_part_name(int part);

int analysis_run(const trace_record *records, int64_t count, const analysis_options *o,
                 analysis *out, exh_error *err);
void analysis_free(analysis *a);

#endif
