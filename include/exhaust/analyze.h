/*
 * analyze.h — what a search did, from its trace: structure (which prefixes,
 * and so which transferred tensors, were popular), quality over time, and
 * which models were ever chosen as parents, each next to the theory that
 * predicts it. (Popularity windows and tiers: popularity.h; tensor caches:
 * cachesim.h.)
 *
 * Traces are exhaust's or DeepHyper's results.csv (trace.h). exh_analyze_load
 * reads one and refuses what would make the analyses wrong, naming the
 * record: duplicate job ids, and end times (m:timestamp_gather) that go back
 * (a trace lists evaluations in the order they finished).
 */
#ifndef EXHAUST_ANALYZE_H
#define EXHAUST_ANALYZE_H

#include "exhaust/export.h"

#include <stdint.h>
#include <stdio.h>

#include "exhaust/trace.h"
#include "exhaust/trie.h"

#define EXH_ANALYZE_DEFAULT_MIN_SHARE 0.01 /* trie nodes below 1% are pruned from drawings */

/* Read and validate a trace. s may be NULL (any token sequences). */
EXH_API int exh_analyze_load(const char *path, const exh_space *s, exh_trace_record **records,
                             int64_t *count, exh_error *err);

/* Traces without times (a DeepHyper results.csv may lack them): when some
 * record has no end time, every record's end time becomes its place in the
 * trace (an "order clock": 0, 1, 2, ...); a missing start time becomes the
 * record's end time. Returns what it filled: EXH_ANALYZE_FILLED_END and/or
 * EXH_ANALYZE_FILLED_START (0: the trace had its times). */
#define EXH_ANALYZE_FILLED_END 1
#define EXH_ANALYZE_FILLED_START 2
EXH_API int exh_analyze_fill_times(exh_trace_record *records, int64_t count);

/*
 * What a trace lacks, inferred (DeepHyper's results.csv names no workers and
 * no parents, and older ones hold only m:timestamp_gather). exh_analyze_infer
 * fills the records in place and says what it did, so every figure built on
 * an inferred value can be labelled as inferred:
 *
 *   clock    DeepHyper's @profile writes m:timestamp_start/m:timestamp_end as
 *            wall-clock time (time.time()) while m:timestamp_submit/_gather
 *            count from the search's start: when a start lies after its end,
 *            the starts are moved onto the submit clock by the smallest
 *            (start - submit) of the trace (the job that waited least is
 *            taken to have waited 0), then kept within [submit, end];
 *            m:timestamp_end (the run's end) moves by the same offset, kept
 *            within [start, gather].
 *   run end  with m:timestamp_end, durations and concurrency run from the
 *            start to the run's end (exh_trace_run_end), not to the gather
 *            (the result waits to be collected); only with logged starts.
 *   starts   a trace with end times only: with `workers` W > 0, record i
 *            starts at the end of record i-W (an asynchronous search submits
 *            one job per finished one; the first W start at 0): durations
 *            are inferred. Without W, a record starts when it ends (no
 *            durations) and the worker count is unknown.
 *   workers  without m:worker: the most evaluations running at once over the
 *            [start, end) intervals (ends before starts at equal times) is
 *            the estimate; each start takes the worker freed last (with
 *            inferred starts: record i runs on record i-W's worker), so
 *            per-worker figures are over inferred workers.
 *   parents  without m:parent_id: each child's parent is inferred as
 *            regularized evolution made it: a member of the population when
 *            the child started (the last P evaluations finished by then) at
 *            one mutation's distance (same length, exactly one position
 *            differs). Of several candidates the best (the tournament's
 *            winner among them; equal quality: the latest) is taken and the
 *            tie counted. The first P records (by job id) are random; a later
 *            record without a candidate started before P evaluations had
 *            finished is random too (DeepHyper fills the population with
 *            random ones), any other is counted as "no candidate" and stays
 *            without a parent. Donor = parent; transferred prefix = the
 *            positions before the mutated one.
 */
enum { EXH_ANALYZE_TIMES_LOGGED,    /* start times from the trace (start or submit) */
       EXH_ANALYZE_TIMES_INFERRED,  /* from end times and --workers */
       EXH_ANALYZE_TIMES_END_ONLY,  /* end times only, no --workers: no durations */
       EXH_ANALYZE_TIMES_ORDER };   /* no times at all: the order clock */
enum { EXH_ANALYZE_WORKERS_LOGGED, EXH_ANALYZE_WORKERS_OVERLAP, EXH_ANALYZE_WORKERS_OPTION,
       EXH_ANALYZE_WORKERS_UNKNOWN };

typedef struct exh_analyze_inference {
    int times;                 /* ANALYZE_TIMES_* */
    int clock_aligned;         /* starts were moved onto the submit clock */
    double clock_offset;       /* by this many seconds */
    int workers_source;        /* ANALYZE_WORKERS_* */
    int workers;               /* logged (distinct), estimated or given; 0: unknown */
    double mean_concurrency;   /* time-weighted, from the first start to the last end */
    int parents_inferred;      /* the trace named no parent */
    int population;            /* P used for the inference */
    int64_t random_records;    /* records taken as random (stage 1) */
    int64_t children;          /* records given an inferred parent */
    int64_t ties;              /* of those, with more than one candidate */
    int64_t no_candidate;      /* records after stage 1 with no candidate */
    int64_t run_ends;          /* records whose durations end at m:timestamp_end (the
                                * run's end), not at m:timestamp_gather */
} exh_analyze_inference;

/* Infer what the trace lacks (above), in place. workers: --workers (0 if
 * not given). Call after exh_analyze_load. */
EXH_API int exh_analyze_infer(exh_trace_record *records, int64_t count, int population, int workers,
                              exh_analyze_inference *out, exh_error *err);

/* One node of the prefix trie, as reports draw and list it: a prefix of the
 * evaluated architectures. */
typedef struct exh_analyze_prefix_node {
    int parent;                /* the node of the prefix one shorter (-1: the root) */
    int depth;                 /* prefix length (0: the root, the empty prefix) */
    int token;                 /* the prefix's last choice (-1 at the root) */
    int64_t models;            /* architectures with this prefix */
    int64_t transfers;         /* children whose transferred prefix passes through it */
} exh_analyze_prefix_node;

/* RQ1: the prefix trie and the distributions of mutation positions and of
 * transferred prefix lengths. */
typedef struct exh_analyze_structure {
    exh_trie *prefixes;            /* every evaluated architecture */
    int64_t *transfers;        /* per trie node: children whose transferred prefix
                                  passes through it (node depth <= prefix length) */
    exh_analyze_prefix_node *nodes; /* the trie's nodes (node i is trie node i): the root
                                  first, parents before their children */
    int node_count;
    int64_t total;             /* architectures */
    int max_length;
    int64_t mutation_positions[EXH_ARCH_MAX_TOKENS]; /* children mutated at each position */
    int64_t prefix_lengths[EXH_ARCH_MAX_TOKENS + 1]; /* children by transferred prefix length */
    int64_t children;          /* records with a donor */
    double mean_prefix;        /* mean transferred prefix length */
    double mean_length;        /* mean architecture length of the children */
    double expected_mean_prefix; /* for one-position mutation from the parent at position
                                    i (0-based) drawn with weight (i+1)^x: a child of
                                    length L keeps E[i] positions; x = 0: (L-1)/2 */
    double mutation_exponent;    /* the x it was computed for */
} exh_analyze_structure;

EXH_API int exh_analyze_structure_build(const exh_trace_record *records, int64_t count,
                                        exh_analyze_structure *out, exh_error *err);
/* The same, for a search run with --mutation-exponent x (a biased search is
 * compared with its own expectation). */
EXH_API int exh_analyze_structure_build_weighted(const exh_trace_record *records, int64_t count,
                                                 double mutation_exponent,
                                                 exh_analyze_structure *out, exh_error *err);
/* E[i] for i in 0..length-1 drawn with weight (i+1)^x: the expected
 * prefix a child keeps (search_population.c draws positions this way). */
EXH_API double exh_analyze_expected_kept_prefix(int length, double mutation_exponent);
EXH_API void exh_analyze_structure_free(exh_analyze_structure *s);

/* The trie as Graphviz DOT: nodes with share >= min_share of the
 * architectures, labelled with the choice (op names when `sp` is given),
 * share and transfers, filled by share (light to dark). */
EXH_API void exh_analyze_trie_dot(const exh_analyze_structure *s, const exh_space *sp,
                                  double min_share, FILE *out);

/* RQ3: quality over time: the steps of the cumulative maximum. */
typedef struct exh_analyze_step {
    int64_t record;            /* index into the trace */
    double time, quality, gain; /* gain over the previous best (0 for the first) */
} exh_analyze_step;

typedef struct exh_analyze_quality {
    exh_analyze_step *steps;
    int64_t step_count;
    int64_t failures;
    double best, first_time, last_time;
} exh_analyze_quality;

EXH_API int exh_analyze_quality_build(const exh_trace_record *records, int64_t count,
                                      exh_analyze_quality *out, exh_error *err);
EXH_API void exh_analyze_quality_free(exh_analyze_quality *q);

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
EXH_API double exh_analyze_parent_bound(int population, int sample, int rank);

typedef struct exh_analyze_parents {
    int population, sample;
    int64_t *joined;           /* per rank 1..P: models that joined at that rank */
    int64_t *chosen;           /* of those, ever chosen as parent */
    double *bound;             /* per rank: exh_analyze_parent_bound */
    int *join_rank;            /* per record: its rank when it joined (0: failed) */
    /* "Never transferred, do not store": skip models whose bound < epsilon. */
    double epsilon;
    int threshold_rank;        /* the best rank whose bound < epsilon (P+1: none) */
    int64_t skipped, false_skips; /* models skipped; of those, later chosen */
} exh_analyze_parents;

EXH_API int exh_analyze_parents_build(const exh_trace_record *records, int64_t count,
                                      int population, int sample, double epsilon,
                                      exh_analyze_parents *out, exh_error *err);
EXH_API void exh_analyze_parents_free(exh_analyze_parents *p);

#endif
