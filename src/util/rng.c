#include "exhaust/rng.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>

struct exh_rng {
    gsl_rng *generator;
    uint32_t spare;       /* the unused half of the last 32-bit draw */
    int has_spare;
};

exh_rng *exh_rng_new(uint64_t seed)
{
    exh_rng *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    r->generator = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r->generator) {
        free(r);
        return NULL;
    }
    exh_rng_seed(r, seed);
    return r;
}

void exh_rng_free(exh_rng *r)
{
    if (r) {
        gsl_rng_free(r->generator);
        free(r);
    }
}

void exh_rng_seed(exh_rng *r, uint64_t seed)
{
    /* MT19937 takes an unsigned long seed; fold the high half in so that
     * 64-bit seeds that differ only there still give different streams. */
    gsl_rng_set(r->generator, (unsigned long)(seed ^ (seed >> 32)));
    r->has_spare = 0;
}

/* 16 uniform random bits: each 32-bit draw of MT19937 serves two calls. */
static uint32_t next_16_bits(exh_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    uint32_t bits = (uint32_t)gsl_rng_get(r->generator);
    r->spare = bits >> 16;
    r->has_spare = 1;
    return bits & 0xFFFFu;
}

uint32_t exh_rng_below(exh_rng *r, uint32_t n)
{
    if (n <= 0x10000u) { /* small ranges (the common case) from 16-bit halves */
        uint32_t product = next_16_bits(r) * n;
        if ((product & 0xFFFFu) < n) {
            uint32_t threshold = (0x10000u - n) % n;
            while ((product & 0xFFFFu) < threshold)
                product = next_16_bits(r) * n;
        }
        return product >> 16;
    }
    /* Lemire's multiply-and-reject on MT19937's output: exactly uniform like
     * gsl_rng_uniform_int, without its division per draw (a search makes
     * millions of these). */
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

double exh_rng_uniform(exh_rng *r)
{
    return gsl_rng_uniform(r->generator);
}

double exh_rng_gaussian(exh_rng *r)
{
    return gsl_ran_gaussian(r->generator, 1.0);
}

void *exh_rng_gsl(exh_rng *r)
{
    return r->generator;
}

void exh_rng_sample(exh_rng *r, int *values, int count, int first)
{
    for (int i = 0; i < first && i < count; i++) {
        int j = i + (int)exh_rng_below(r, (uint32_t)(count - i)), t = values[i];
        values[i] = values[j];
        values[j] = t;
    }
}
