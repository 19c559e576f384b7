/* time_sort.c — a stable radix sort by time (see time_sort.h). */
#include "analyze/time_sort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/error.h"

#define DIGIT_BITS 16
#define DIGIT_VALUES (1 << DIGIT_BITS)
#define PASSES (64 / DIGIT_BITS)
#define SIGN (1ULL << 63)

/* Negative doubles: flip every bit (larger magnitude sorts first); others:
 * set the sign bit (above every negative). */
uint64_t time_sort_key(double time)
{
    if (isnan(time))
        return UINT64_MAX;
    if (time == 0)
        time = 0; /* -0 sorts as 0 */
    uint64_t bits;
    memcpy(&bits, &time, sizeof bits);
    return (bits & SIGN) ? ~bits : bits | SIGN;
}

double time_sort_time(uint64_t key)
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
static void scatter(const time_sort_item *from, time_sort_item *to, int64_t n, int pass,
                    int64_t *histogram)
{
    int64_t offset = 0;
    for (int d = 0; d < DIGIT_VALUES; d++) {
        int64_t c = histogram[d];
        histogram[d] = offset;
        offset += c;
    }
    for (int64_t i = 0; i < n; i++)
        to[histogram[digit(from[i].key, pass)]++] = from[i];
}

int time_sort(time_sort_item **items, int64_t n)
{
    if (n < 2)
        return EXH_OK;
    time_sort_item *scratch = malloc(sizeof *scratch * (size_t)n);
    int64_t *histograms = calloc(PASSES * DIGIT_VALUES, sizeof *histograms);
    if (!scratch || !histograms) {
        free(scratch);
        free(histograms);
        return EXH_ERR_NOMEM;
    }
    time_sort_item *from = *items, *to = scratch;
    for (int64_t i = 0; i < n; i++)
        for (int pass = 0; pass < PASSES; pass++)
            histograms[pass * DIGIT_VALUES + digit(from[i].key, pass)]++;
    for (int pass = 0; pass < PASSES; pass++) {
        int64_t *histogram = &histograms[pass * DIGIT_VALUES];
        if (histogram[digit(from[0].key, pass)] == n)
            continue; /* every item has this digit: the order stays */
        scatter(from, to, n, pass, histogram);
        time_sort_item *swap = from;
        from = to;
        to = swap;
    }
    free(histograms);
    free(to); /* the array not holding the result */
    *items = from;
    return EXH_OK;
}

const exh_trace_record **start_order(const exh_trace_record *records, int64_t count)
{
    time_sort_item *items = malloc(sizeof *items * (size_t)(count + 1));
    const exh_trace_record **order = malloc(sizeof *order * (size_t)(count + 1));
    if (!items || !order) {
        free(items);
        free(order);
        return NULL;
    }
    for (int64_t i = 0; i < count; i++)
        items[i] = (time_sort_item){time_sort_key(records[i].start_time), i};
    if (time_sort(&items, count) < 0) {
        free(items);
        free(order);
        return NULL;
    }
    for (int64_t i = 0; i < count; i++)
        order[i] = &records[items[i].value];
    free(items);
    return order;
}
