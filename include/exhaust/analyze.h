/*
 * analyze.h — what a search did, from its trace: structure (which prefixes,
 * and so which transferred tensors, were popular), quality over time, and
 * which models were ever chosen as parents, each next to the theory that
 * predicts it. (Popularity windows and tiers: popularity.h; tensor caches:
 * cachesim.h.)
 *
 * Traces are exhaust's or DeepHyper's results.csv (trace.h). analyze_load
 * reads one and refuses what would make the analyses wrong, naming the
 * record: duplicate job ids, and end times (m:timestamp_gather) that go back
 * (a trace lists evaluations in the order they finished).
 */
#ifndef EXHAUST_ANALYZE_H
#define EXHAUST_ANALYZE_H

#include <stdint.h>
#include <stdio.h>

#include "exhaust/trace.h"
#include "exhaust/trie.h"

#define ANALYZE_DEFAULT_MIN_SHARE 0.01 /* trie nodes below 1% are pruned from drawings */

/* Read and validate a trace. s may be NULL (any token sequences). */
int analyze_load(const char *path, const space *s, trace_record **records, int64_t *count,
                 exh_error *err);

/* Traces without times (a DeepHyper results.csv may lack them): when some
 * record has no end time, every record's end time becomes its place in the
 * trace (an "order clock": 0, 1, 2, ...); a missing start time becomes the
 * record's end time. Returns what it filled: ANALYZE_FILLED_END and/or
 * ANALYZE_FILLED_START (0: the trace had its times). */
#define ANALYZE_FILLED_END 1
#define ANALYZE_FILLED_START 2
int analyze_fill_times(trace_record *records, int64_t count);

/* RQ1: the prefix trie and the distributions of mutation positions and of
 * transferred prefix lengths. */
typedef struct analyze_structure {
    trie *prefixes;            /* every evaluated architecture */
    int64_t *transfers;        /* per trie node: children whose transferred prefix
                                  passes through it (node depth <= prefix length) */
    int64_t total;             /* architectures */
    int max_length;
    int64_t mutation_positions[ARCH_MAX_TOKENS]; /* children mutated at each position */
    int64_t prefix_lengths[ARCH_MAX_TOKENS + 1]; /* children by transferred prefix length */
    int64_t children;          /* records with a donor */
    double mean_prefix;        /* mean transferred prefix length */
    double mean_length;        /* mean architecture length of the children */
    double expected_mean_prefix; /* for one-position mutation from the parent at position
                                    i (0-based) drawn with weight (i+1)^x: a child of
                                    length L keeps E[i] positions; x = 0: (L-1)/2 */
    double mutation_exponent;    /* the x it was computed for */
} analyze_structure;

int analyze_structure_build(const trace_record *records, int64_t count, analyze_structure *out,
                            exh_error *err);
/* The same, for a search run with --mutation-exponent x (a biased search is
 * compared with its own expectation). */
int analyze_structure_build_weighted(const trace_record *records, int64_t count,
                                     double mutation_exponent, analyze_structure *out,
                                     exh_error *err);
/* E[i] for i in 0..length-1 drawn with weight (i+1)^x: the expected
 * prefix a child keeps (search_population.c draws positions this way). */
double analyze_expected_kept_prefix(int length, double mutation_exponent);
void analyze_structure_free(analyze_structure *s);

/* The trie as Graphviz DOT: nodes with share >= min_share of the
 * architectures, labelled with the choice (op names when `sp` is given),
 * share and transfers, filled by share (light to dark). */
void analyze_trie_dot(const analyze_structure *s, const space *sp, double min_share, FILE *out);

/* RQ3: quality over time: the steps of the cumulative maximum. */
typedef struct analyze_step {
    int64_t record;            /* index into the trace */
    double time, quality, gain; /* gain over the previous best (0 for the first) */
} analyze_step;

typedef struct analyze_quality {
    analyze_step *steps;
    int64_t step_count;
    int64_t failures;
    double best, first_time, last_time;
} analyze_quality;

int analyze_quality_build(const trace_record *records, int64_t count, analyze_quality *out,
                          exh_error *err);
void analyze_quality_free(analyze_quality *q);

/*
 * RQ3: who becomes a parent. With population P and tournament size S drawn
 * without replacement, the member of rank r (1 = best) wins one tournament
 * with probability C(P-r, S-1) / C(P, S) (it is drawn and no better member
 * is: hypergeometric); it stays for P proposals, so if its rank stayed r the
 * chance it is ever chosen would be 1 - (1 - C(P-r, S-1)/C(P, S))^P. That is
 * an upper bound while its rank only worsens (better children arrive); older
 * better members retiring can improve its rank, which the measured
 * false-skip rate shows. Observed: each model's rank in the population when
 * it joined, and whether it was ever a parent.
 */
double analyze_parent_bound(int population, int sample, int rank);

typedef struct analyze_parents {
    int population, sample;
    int64_t *joined;           /* per rank 1..P: models that joined at that rank */
    int64_t *chosen;           /* of those, ever chosen as parent */
    double *bound;             /* per rank: analyze_parent_bound */
    int *join_rank;            /* per record: its rank when it joined (0: failed) */
    /* "Never transferred, do not store": skip models whose bound < epsilon. */
    double epsilon;
    int threshold_rank;        /* the best rank whose bound < epsilon (P+1: none) */
    int64_t skipped, false_skips; /* models skipped; of those, later chosen */
} analyze_parents;

int analyze_parents_build(const trace_record *records, int64_t count, int population, int sample,
                          double epsilon, analyze_parents *out, exh_error *err);
void analyze_parents_free(analyze_parents *p);

#endif
