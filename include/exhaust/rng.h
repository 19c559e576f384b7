/*
 * rng.h — the seeded random number generator every random choice goes through.
 *
 * A thin wrapper over GSL's MT19937 so that the same seed gives the same
 * stream on every machine. There is no global generator: a search, a sampler
 * or an evaluation owns one and passes it explicitly.
 */
#ifndef EXHAUST_RNG_H
#define EXHAUST_RNG_H

#include "exhaust/export.h"

#include <stdint.h>

typedef struct exh_rng exh_rng;

EXH_API exh_rng *exh_rng_new(uint64_t seed);          /* NULL only when out of memory */
EXH_API void exh_rng_free(exh_rng *r);
EXH_API void exh_rng_seed(exh_rng *r, uint64_t seed);

/* Uniform integer in [0, n); n must be >= 1. */
EXH_API uint32_t exh_rng_below(exh_rng *r, uint32_t n);
/* Uniform double in [0, 1). */
EXH_API double exh_rng_uniform(exh_rng *r);
/* Standard normal deviate. */
EXH_API double exh_rng_gaussian(exh_rng *r);

/* Partial Fisher-Yates: afterwards values[0..first) is a uniform sample of
 * all `count` values in random order (first = count shuffles them all). */
EXH_API void exh_rng_sample(exh_rng *r, int *values, int count, int first);

/* The underlying gsl_rng*, for GSL routines (gsl_ran_*) that need it. */
EXH_API void *exh_rng_gsl(exh_rng *r);

#endif
