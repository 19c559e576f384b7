/* number.c — see number.h. A trace line holds six doubles and snprintf +
 * strtod three times over was most of a search's time, so doubles in
 * [1e-4, 1e15) are converted here exactly with 128-bit integers; what that
 * range leaves out (and the odd case that rounds out of it) goes to
 * snprintf as before. tests/test_number_format.c holds the two to the same
 * bytes. */
#include "util/number.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

static const uint64_t POWERS_OF_TEN[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
    100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
    10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
    100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL};

static u128 power_of_ten(int k) /* 0 <= k <= 38 */
{
    return k < 20 ? POWERS_OF_TEN[k] : (u128)POWERS_OF_TEN[19] * POWERS_OF_TEN[k - 19];
}

/* v = M / 2^s (v > 0 in the fast range) rounded to `precision` significant
 * digits: *digits (an integer of that many digits) times 10^(*exponent - precision
 * + 1), as printf rounds (to nearest, ties to even). Returns 1 when those
 * digits read back as v (strtod, to nearest), 0 when not, -1 outside the
 * fixed-point form of %g (then snprintf decides). */
static int round_digits(uint64_t M, int s, double v, int precision, uint64_t *digits,
                        int *exponent)
{
    int X = (int)floor(log10(v)); /* may be off by one: corrected below */
    for (int tries = 0; tries < 3; tries++) {
        int k = precision - 1 - X;
        if (k < 0 || k > 22)
            return -1;
        u128 num = (u128)M * power_of_ten(k), q = num >> s, r = num - (q << s);
        if (q < power_of_ten(precision - 1)) {
            X--;
            continue;
        }
        if (q >= power_of_ten(precision)) {
            X++;
            continue;
        }
        u128 half = (u128)1 << (s - 1);
        if (r > half || (r == half && (q & 1)))
            q++;
        /* Reads back when within half the gap to the neighbouring double
         * (a quarter below a power of two, where the gap below halves);
         * on the midpoint, strtod picks the even mantissa. */
        u128 scaled = q << s, diff = scaled > num ? scaled - num : num - scaled;
        u128 ten_k = power_of_ten(k);
        int below_power_of_two = M == (uint64_t)1 << 52 && scaled < num;
        u128 twice = below_power_of_two ? 4 * diff : 2 * diff;
        int back = twice < ten_k || (twice == ten_k && (below_power_of_two || !(M & 1)));
        if (q == power_of_ten(precision)) { /* 9.99.. rounded up to 10.0.. */
            q /= 10;
            X++;
        }
        if (X < -4 || X >= precision || X >= 15)
            return -1;
        *digits = (uint64_t)q;
        *exponent = X;
        return back;
    }
    return -1;
}

/* %g's fixed-point form of digits x 10^(exponent - precision + 1). */
static size_t fixed_text(int negative, uint64_t digits, int precision, int exponent, char *out)
{
    char d[24];
    for (int i = precision - 1; i >= 0; i--, digits /= 10)
        d[i] = (char)('0' + digits % 10);
    int last = precision - 1; /* trailing zeros of the fraction go */
    while (last > exponent && last > 0 && d[last] == '0')
        last--;
    size_t n = 0;
    if (negative)
        out[n++] = '-';
    if (exponent >= 0) {
        memcpy(out + n, d, (size_t)exponent + 1);
        n += (size_t)exponent + 1;
        if (last > exponent) {
            out[n++] = '.';
            memcpy(out + n, d + exponent + 1, (size_t)(last - exponent));
            n += (size_t)(last - exponent);
        }
    } else {
        out[n++] = '0';
        out[n++] = '.';
        for (int z = 0; z < -exponent - 1; z++)
            out[n++] = '0';
        memcpy(out + n, d, (size_t)last + 1);
        n += (size_t)last + 1;
    }
    out[n] = 0;
    return n;
}

/* The fast path; 0 when it does not apply. */
static int format_fast(double value, char *buf, size_t size)
{
    double v = fabs(value);
    if (!(v >= 1e-4 && v < 1e15))
        return 0;
    int x;
    double f = frexp(v, &x);
    uint64_t M = (uint64_t)ldexp(f, 53);
    int s = 53 - x;
    for (int precision = 15; precision <= 17; precision++) {
        uint64_t digits;
        int exponent;
        int back = round_digits(M, s, v, precision, &digits, &exponent);
        if (back < 0)
            return 0;
        if (back || precision == 17) {
            char text[48];
            size_t n = fixed_text(value < 0, digits, precision, exponent, text);
            if (n + 1 > size)
                return 0;
            memcpy(buf, text, n + 1);
            return 1;
        }
    }
    return 0;
}

void number_format(double value, char *buf, size_t size)
{
    if (format_fast(value, buf, size))
        return;
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, value);
        if (strtod(buf, NULL) == value)
            return;
    }
}
