/* knn_select.c — the k smallest distances, nearest first, ties to the lower
 * repository index.
 *
 * Doubles: one scan in index order, displacing the k-th only on a strictly
 * smaller distance, which gives exactly that order.
 *
 * Scaled integers (the exact kernels' output, a small range): first the
 * threshold t, the smallest value with at least k candidates at or below
 * it, by bisection over the range with vectorized counts; then one scan
 * that keeps every candidate below t and the first ones equal to t, in
 * index order, and a stable sort of the few kept by value. No candidate is
 * compared with the others one at a time, which is what made the plain
 * scan slow: distances of NB201 cells are small integers with many ties. */
#include "predict/knn_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KNN_HAVE_AVX2_SELECT 1
#include <immintrin.h>
#else
#define KNN_HAVE_AVX2_SELECT 0
#endif

/* Put model m at distance d among the `*found` kept (at most k). */
static void keep(exh_knn_neighbour *out, int k, int *found, int m, double d)
{
    int at = *found < k ? (*found)++ : k - 1;
    while (at > 0 && out[at - 1].distance > d) {
        out[at] = out[at - 1];
        at--;
    }
    out[at] = (exh_knn_neighbour){.index = m, .distance = d, .weight = 0.0};
}

void knn_select_nearest(const double *distances, int n, int k, int exclude, exh_knn_neighbour *out)
{
    int found = 0;
    for (int m = 0; m < n; m++)
        if (m != exclude && (found < k || distances[m] < out[k - 1].distance))
            keep(out, k, &found, m, distances[m]);
}

/* How many of scaled[0..n) are <= t (values and t below 32768). */
#if KNN_HAVE_AVX2_SELECT
__attribute__((target("avx2"))) static int count_avx2(const uint16_t *scaled, int n, int t)
{
    const __m256i bound = _mm256_set1_epi16((short)t);
    int above = 0, m = 0;
    for (; m + 16 <= n; m += 16) {
        __m256i values = _mm256_loadu_si256((const __m256i *)(scaled + m));
        above += __builtin_popcount(
            (unsigned)_mm256_movemask_epi8(_mm256_cmpgt_epi16(values, bound)));
    }
    int count = m - above / 2; /* two mask bits per 16-bit lane */
    for (; m < n; m++)
        count += scaled[m] <= t;
    return count;
}
#endif

static int count_at_most(const uint16_t *scaled, int n, int exclude, int t)
{
    int count = 0;
#if KNN_HAVE_AVX2_SELECT
    if (__builtin_cpu_supports("avx2"))
        count = count_avx2(scaled, n, t);
    else
#endif
        for (int m = 0; m < n; m++)
            count += scaled[m] <= t;
    return count - (exclude >= 0 && exclude < n && scaled[exclude] <= t);
}

/* Keep model m if it is below the threshold, or equal to it while ties
 * are still wanted. */
static void consider(const uint16_t *scaled, int m, int threshold, int *ties, exh_knn_neighbour *out,
                     int k, int *found)
{
    if (scaled[m] < threshold) {
        keep(out, k, found, m, scaled[m]);
    } else if (scaled[m] == threshold && *ties > 0) {
        keep(out, k, found, m, scaled[m]);
        (*ties)--;
    }
}

#if KNN_HAVE_AVX2_SELECT
__attribute__((target("avx2"))) static void collect_avx2(const uint16_t *scaled, int n,
                                                         int exclude, int threshold, int ties,
                                                         int k, exh_knn_neighbour *out)
{
    const __m256i bound = _mm256_set1_epi16((short)threshold);
    int found = 0, m = 0;
    for (; m + 16 <= n && found < k; m += 16) {
        __m256i values = _mm256_loadu_si256((const __m256i *)(scaled + m));
        unsigned mask = ~(unsigned)_mm256_movemask_epi8(_mm256_cmpgt_epi16(values, bound));
        while (mask) { /* two mask bits per 16-bit lane */
            int lane = __builtin_ctz(mask) / 2;
            mask &= ~(3u << (2 * lane));
            if (m + lane != exclude)
                consider(scaled, m + lane, threshold, &ties, out, k, &found);
        }
    }
    for (; m < n && found < k; m++)
        if (m != exclude)
            consider(scaled, m, threshold, &ties, out, k, &found);
}
#endif

void knn_select_nearest_scaled(const uint16_t *scaled, int n, int k, int exclude, int limit,
                               exh_knn_neighbour *out)
{
    /* distances near the query are few and small: gallop up from 0 before
     * bisecting, so that a small threshold costs few counts */
    int low = 0, high = 1;
    while (high < limit && count_at_most(scaled, n, exclude, high) < k) {
        low = high + 1;
        high = 2 * high + 1 < limit ? 2 * high + 1 : limit;
    }
    while (low < high) {
        int middle = low + (high - low) / 2;
        if (count_at_most(scaled, n, exclude, middle) >= k)
            high = middle;
        else
            low = middle + 1;
    }
    int threshold = low;
    int ties = k - (threshold > 0 ? count_at_most(scaled, n, exclude, threshold - 1) : 0);
#if KNN_HAVE_AVX2_SELECT
    if (__builtin_cpu_supports("avx2")) {
        collect_avx2(scaled, n, exclude, threshold, ties, k, out);
        return;
    }
#endif
    int found = 0;
    for (int m = 0; m < n && found < k; m++)
        if (m != exclude)
            consider(scaled, m, threshold, &ties, out, k, &found);
}
