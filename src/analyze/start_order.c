/* start_order.c — records by start time with a stable LSD radix sort on the
 * bits of the times (see start_order.h). */
#include "analyze/start_order.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct keyed {
    uint64_t key;
    int64_t index;
} keyed;

/* A double's bits, flipped so that unsigned order is numeric order. */
static uint64_t sortable(double x)
{
    if (isnan(x))
        return UINT64_MAX;
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits >> 63 ? ~bits : bits | (1ULL << 63);
}

/* One stable counting pass on the 16-bit digit at `shift`; skipped (returns
 * 0) when every key has the same digit there. */
static int radix_pass(const keyed *in, keyed *out, int64_t n, int shift, int64_t *counts)
{
    memset(counts, 0, sizeof *counts * 65537);
    for (int64_t i = 0; i < n; i++)
        counts[((in[i].key >> shift) & 0xffff) + 1]++;
    for (int d = 0; d < 65536; d++)
        if (counts[d + 1] == n)
            return 0;
    for (int d = 1; d <= 65536; d++)
        counts[d] += counts[d - 1];
    for (int64_t i = 0; i < n; i++)
        out[counts[(in[i].key >> shift) & 0xffff]++] = in[i];
    return 1;
}

const trace_record **start_order(const trace_record *records, int64_t count)
{
    keyed *a = malloc(sizeof *a * (size_t)(count + 1));
    keyed *b = malloc(sizeof *b * (size_t)(count + 1));
    int64_t *counts = malloc(sizeof *counts * 65537);
    const trace_record **order = malloc(sizeof *order * (size_t)(count + 1));
    if (!a || !b || !counts || !order) {
        free(a);
        free(b);
        free(counts);
        free(order);
        return NULL;
    }
    for (int64_t i = 0; i < count; i++)
        a[i] = (keyed){sortable(records[i].start_time), i};
    for (int shift = 0; shift < 64; shift += 16)
        if (radix_pass(a, b, count, shift, counts)) {
            keyed *swap = a;
            a = b;
            b = swap;
        }
    for (int64_t i = 0; i < count; i++)
        order[i] = &records[a[i].index];
    free(a);
    free(b);
    free(counts);
    return order;
}
