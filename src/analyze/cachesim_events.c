/* cachesim_events.c — events sorted by time (see cachesim_events.h). */
#include "analyze/cachesim_events.h"

#include <stdlib.h>
#include <string.h>

#include "exhaust/error.h"

#define DIGIT_BITS 16
#define DIGIT_VALUES (1 << DIGIT_BITS)
#define PASSES (64 / DIGIT_BITS)
#define SIGN (1ULL << 63)

/* Negative doubles: flip every bit (larger magnitude sorts first); others:
 * set the sign bit (above every negative). */
uint64_t cachesim_time_key(double time)
{
    if (time == 0)
        time = 0; /* -0 sorts as 0 */
    uint64_t bits;
    memcpy(&bits, &time, sizeof bits);
    return (bits & SIGN) ? ~bits : bits | SIGN;
}

double cachesim_key_time(uint64_t key)
{
    uint64_t bits = (key & SIGN) ? key & ~SIGN : ~key;
    double time;
    memcpy(&time, &bits, sizeof time);
    return time;
}

static unsigned digit(uint64_t key, int pass)
{
    return (unsigned)(key >> (pass * DIGIT_BITS)) & (DIGIT_VALUES - 1);
}

/* One stable counting pass from `from` into `to` by digit `pass`, whose
 * counts are `histogram` (turned into offsets). */
static void scatter(const cachesim_event *from, cachesim_event *to, int64_t n, int pass,
                    int64_t *histogram)
{
    int64_t offset = 0;
    for (int d = 0; d < DIGIT_VALUES; d++) {
        int64_t c = histogram[d];
        histogram[d] = offset;
        offset += c;
    }
    for (int64_t i = 0; i < n; i++)
        to[histogram[digit(from[i].time_key, pass)]++] = from[i];
}

int cachesim_events_sort(cachesim_event **events, int64_t n)
{
    if (n < 2)
        return EXH_OK;
    cachesim_event *scratch = malloc(sizeof *scratch * (size_t)n);
    int64_t *histograms = calloc(PASSES * DIGIT_VALUES, sizeof *histograms);
    if (!scratch || !histograms) {
        free(scratch);
        free(histograms);
        return EXH_ERR_NOMEM;
    }
    cachesim_event *from = *events, *to = scratch;
    for (int64_t i = 0; i < n; i++)
        for (int pass = 0; pass < PASSES; pass++)
            histograms[pass * DIGIT_VALUES + digit(from[i].time_key, pass)]++;
    for (int pass = 0; pass < PASSES; pass++) {
        int64_t *histogram = &histograms[pass * DIGIT_VALUES];
        if (histogram[digit(from[0].time_key, pass)] == n)
            continue; /* every event has this digit: the order stays */
        scatter(from, to, n, pass, histogram);
        cachesim_event *swap = from;
        from = to;
        to = swap;
    }
    free(histograms);
    free(to); /* the array not holding the result */
    *events = from;
    return EXH_OK;
}
