/*
 * popularity.h — RQ4: which prefixes (and so which transferred tensors) are
 * popular, when, and how predictable that is, each next to its theory.
 *
 * All windows are sliding windows over the trace in its order (the order
 * evaluations finished, the order the population changes); the default
 * window is the population size, so a window is "the population now".
 *
 *   windows      histograms of the length-L prefixes of the architectures in
 *                the window, at chosen points of the search
 *   tiers        per point, prefixes sorted into popularity tiers: tier 1
 *                holds at least tier1_share of the window, tier 2 more than
 *                tier2_count architectures, tier 3 the rest
 *   donor again  the empirical probability that a model that was a donor c
 *                times in the last window is a donor again in the next
 *                window, for each c (the question behind tier-aware caching:
 *                is a frequent donor worth keeping?)
 *   best delay   after a new best model joins, how many proposals until it is
 *                first chosen as parent: geometric with success probability
 *                S/P while it stays the best (it wins every tournament it is
 *                drawn into, drawn with probability S/P), so P/S expected
 *                The headline figure flips between seeds of one search, so it
 *                comes with a 95% interval over block-bootstrap resamples:
 *                the observation points cut into blocks of one window,
 *                resampled with replacement (EXH_POPULARITY_BOOTSTRAP times, a
 *                fixed seed: the same trace gives the same interval).
 *   duplicates   stage 1 draws P architectures uniformly: their length-L
 *                prefixes are P draws from the N_L prefixes, and the
 *                generalized birthday problem gives the chance some prefix is
 *                drawn k or more times, about 1 - exp(-C(P,k) / N_L^(k-1));
 *                next to the observed maximum. (On whole architectures the
 *                bound says nothing: a search that refuses duplicates never
 *                repeats one.)
 */
#ifndef EXHAUST_POPULARITY_H
#define EXHAUST_POPULARITY_H

#include "exhaust/export.h"

#include <stdint.h>

#include "exhaust/trace.h"

typedef struct exh_popularity_options {
    int window;           /* records per window (default: the population, 100) */
    int prefix_length;    /* L (default 3) */
    int points;           /* histograms at this many evenly spaced points (default 5) */
    double tier1_share;   /* default 0.30 */
    int tier2_count;      /* default 3 */
    int donor_times;      /* d, for the headline donor-again figure (default 5) */
    int population, sample; /* of the search, for the theory */
    int64_t space_size;   /* N_L for the birthday bound: the number of distinct
                             length-L prefixes; 0: unknown (no bound) */
    int64_t stage1_first; /* > 0: stage 1 is the first this many records by job id
                             (parents were inferred: a record left without one is
                             not random); 0: the records without a parent */
} exh_popularity_options;

#define EXH_POPULARITY_BOOTSTRAP 200 /* resamples for the donor-again interval */

EXH_API void exh_popularity_options_default(exh_popularity_options *o);

/* One prefix's count in one window. */
typedef struct exh_popularity_entry {
    int point;            /* index into popularity.point_record */
    exh_arch prefix;          /* the first L tokens */
    int count;
    double share;         /* count / window size */
    int tier;             /* 1, 2 or 3 */
} exh_popularity_entry;

/* Tier sizes through the search, one row per sampled record. */
typedef struct exh_popularity_tier_row {
    int64_t record;       /* the window ends at this record */
    int prefixes[4];      /* [1..3]: distinct prefixes in each tier */
    int members[4];       /* [1..3]: architectures of the window in each tier */
} exh_popularity_tier_row;

typedef struct exh_popularity_best_delay {
    int64_t record;       /* the new best (index into the trace) */
    int64_t proposals;    /* children started after it finished, up to and including
                             its first child; -1 if it never was a parent */
    double seconds;       /* from its end to its first child's start; NAN if never */
    int64_t superseded;   /* proposals before a better model finished (-1: never) */
} exh_popularity_best_delay;

typedef struct exh_popularity {
    exh_popularity_options options;
    int points;
    int64_t point_record[64];  /* each histogram's window ends at this record */
    exh_popularity_entry *entries; /* by point, then count descending */
    int64_t entry_count;
    exh_popularity_tier_row *tiers;
    int64_t tier_count;
    /* donor_pairs[c] (c = 1..max_donor_count): (model, record) pairs where the
     * model had c donations in the window ending at the record; donor_again[c]:
     * of those, the model was a donor in the next window. */
    int max_donor_count;
    int64_t *donor_pairs, *donor_again;
    double donor_again_at_least_d;  /* P(again | >= d donations in the window) */
    double donor_again_below_d;     /* P(again | 1..d-1 donations), for contrast */
    double donor_again_low, donor_again_high; /* 95% block-bootstrap interval of
                                       donor_again_at_least_d (NAN: too few blocks) */
    int donor_blocks;               /* blocks (one window each) resampled */
    double max_full_share;          /* the largest share one prefix held in a full
                                       window (tier 1 needs tier1_share) */
    int64_t tier1_full_windows;     /* sampled full windows with a tier-1 prefix */
    exh_popularity_best_delay *best_delays;
    int64_t best_delay_count;
    double expected_best_delay;     /* P / S proposals */
    double mean_best_delay;         /* measured, over new bests that became parents */
    double mean_seconds_per_proposal; /* start-to-start spacing, to turn P/S into time */
    int stage1_records;             /* the random records (stage1_first) */
    int stage1_max_duplicates;      /* the most times one length-L prefix was drawn */
    double birthday_p[8];           /* [k]: P(some prefix drawn >= k times), k=2..7 */
    int birthday_expected_max;      /* the largest k with birthday_p[k] >= 0.5 (1 if none) */
} exh_popularity;

EXH_API int exh_popularity_build(const exh_trace_record *records, int64_t count, const exh_popularity_options *o,
                                 exh_popularity *out, exh_error *err);
EXH_API void exh_popularity_free(exh_popularity *p);

/* P(some value is drawn at least k times in n uniform draws from N values),
 * by the Poisson approximation of the generalized birthday problem. */
EXH_API double exh_popularity_birthday(int64_t n, int64_t N, int k);

#endif
