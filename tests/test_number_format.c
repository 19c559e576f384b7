/* test_number_format.c — number_format (util/number.c) converts most doubles
 * itself, with integers, instead of snprintf + strtod; traces and reports
 * must keep their bytes. Held here to the reference it replaced, the
 * shortest of %.15g, %.16g, %.17g that strtod reads back, on values of
 * every kind: random magnitudes either side of the fast range's ends,
 * short decimals and their sums (the search's clocks), powers of two and
 * their neighbours (where the gap below halves), ties, random bit patterns
 * (NaN, infinities, subnormals). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/rng.h"
#include "testutil.h"
#include "util/number.h"

static void reference(double value, char *buf, size_t size)
{
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, value);
        if (strtod(buf, NULL) == value)
            return;
    }
}

static int mismatches;

static void check(double value)
{
    char mine[64], theirs[64];
    number_format(value, mine, sizeof mine);
    reference(value, theirs, sizeof theirs);
    if (strcmp(mine, theirs) != 0 && mismatches++ < 10)
        print_error("%a: '%s', the reference '%s'\n", value, mine, theirs);
}

static void check_both_signs(double value)
{
    check(value);
    check(-value);
}

static uint64_t bits64(exh_rng *r)
{
    return (uint64_t)exh_rng_below(r, 1u << 31) << 33 ^ (uint64_t)exh_rng_below(r, 1u << 31) << 2 ^
           exh_rng_below(r, 4);
}

static void test_matches_snprintf(void **state)
{
    (void)state;
    exh_rng *r = exh_rng_new(16);
    const double edges[] = {0,     1e-4,  1e15,  0.1,   0.5,   1,     9.9999999999999995,
                            99.5,  91.61, 36.028, 0.3,  1e14,  123456789012345.6,
                            999999999999999.9, 0.00012345678901234567, 5e-5, 2.5e15};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
        check_both_signs(edges[i]);
        check_both_signs(nextafter(edges[i], 0));
        check_both_signs(nextafter(edges[i], INFINITY));
    }
    for (int e = -20; e <= 60; e++) { /* powers of two, a few neighbours each side */
        double p = ldexp(1, e), lo = p, hi = p;
        for (int k = 0; k < 4; k++, lo = nextafter(lo, 0), hi = nextafter(hi, INFINITY)) {
            check_both_signs(lo);
            check_both_signs(hi);
        }
    }
    for (int i = 0; i < 200000; i++) /* magnitudes 1e-6 .. 1e17 */
        check_both_signs(pow(10, -6 + 23 * exh_rng_uniform(r)));
    for (int i = 0; i < 100000; i++) { /* short decimals: m / 10^k */
        double m = (double)exh_rng_below(r, 1000000000u);
        check(m / pow(10, exh_rng_below(r, 14)));
    }
    double clock = 0; /* a simulated clock: sums of table costs */
    for (int i = 0; i < 100000; i++) {
        clock += (double)exh_rng_below(r, 4000000u) / 1000;
        check(clock);
    }
    for (int i = 0; i < 100000; i++) { /* any bit pattern */
        uint64_t b = bits64(r);
        double d;
        memcpy(&d, &b, sizeof d);
        check(d);
    }
    for (int i = 0; i < 20000; i++) /* halfway at 15 and 16 digits: ties */
        check_both_signs((double)(exh_rng_below(r, 2000000000u) * 2 + 1) / 2e6);
    exh_rng_free(r);
    assert_int_equal(mismatches, 0);
}

static void test_short_buffer(void **state)
{
    (void)state;
    char buf[4];
    number_format(91.61, buf, sizeof buf); /* truncated as snprintf truncates */
    assert_string_equal(buf, "91.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_snprintf),
        cmocka_unit_test(test_short_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
