/*
 * rng.h — the seeded random number generator every random choice goes through.
 *
 * A thin wrapper over GSL's MT19937 so that the same seed gives the same
 * stream on every machine. There is no global generator: a search, a sampler
 * or an evaluation owns one and passes it explicitly.
 */
#ifndef EXHAUST_RNG_H
#define EXHAUST_RNG_H

#include <stdint.h>

typedef struct rng rng;

rng *rng_new(uint64_t seed);          /* NULL only when out of memory */
void rng_free(rng *r);
void rng_seed(rng *r, uint64_t seed);

/* Uniform integer in [0, n); n must be >= 1. */
uint32_t rng_below(rng *r, uint32_t n);
/* Uniform double in [0, 1). */
double rng_uniform(rng *r);
/* Standard normal deviate. */
double rng_gaussian(rng *r);

/* Partial Fisher-Yates: afterwards values[0..first) is a uniform sample of
 * all `count` values in random order (first = count shuffles them all). */
void rng_sample(rng *r, int *values, int count, int first);

/* The underlying gsl_rng*, for GSL routines (gsl_ran_*) that need it. */
void *rng_gsl(rng *r);

#endif
