#include "exhaust/rng.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>

struct rng {
    gsl_rng *generator;
};

rng *rng_new(uint64_t seed)
{
    rng *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    r->generator = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r->generator) {
        free(r);
        return NULL;
    }
    rng_seed(r, seed);
    return r;
}

void rng_free(rng *r)
{
    if (r) {
        gsl_rng_free(r->generator);
        free(r);
    }
}

void rng_seed(rng *r, uint64_t seed)
{
    /* MT19937 takes an unsigned long seed; fold the high half in so that
     * 64-bit seeds that differ only there still give different streams. */
    gsl_rng_set(r->generator, (unsigned long)(seed ^ (seed >> 32)));
}

uint32_t rng_below(rng *r, uint32_t n)
{
    /* Lemire's multiply-and-reject on MT19937's 32-bit output: exactly
     * uniform like gsl_rng_uniform_int, without its division per draw (a
     * search makes millions of these). */
    uint64_t product = (uint64_t)gsl_rng_get(r->generator) * n;
    uint32_t low = (uint32_t)product;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            product = (uint64_t)gsl_rng_get(r->generator) * n;
            low = (uint32_t)product;
        }
    }
    return (uint32_t)(product >> 32);
}

double rng_uniform(rng *r)
{
    return gsl_rng_uniform(r->generator);
}

double rng_gaussian(rng *r)
{
    return gsl_ran_gaussian(r->generator, 1.0);
}

void *rng_gsl(rng *r)
{
    return r->generator;
}
