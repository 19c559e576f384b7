/* knn_nb201_gain.c — NB201's whole edit-distance programme in bytes, three
 * vector operations a cell, 64 (AVX-512) or 32 (AVX2) models a vector.
 *
 * With a finite indel cost c, write D[i][j] = (i + j) c - E[i][j]. The
 * programme D[i][j] = min(D[i-1][j-1] + cost, D[i-1][j] + c, D[i][j-1] + c)
 * becomes
 *     E[i][j] = max(E[i-1][j-1] + g, E[i-1][j], E[i][j-1]),   g = 2c - cost,
 * with E = 0 on the boundary (D[0][j] = j c, D[i][0] = i c). A replacement
 * dearer than 2c never wins (deleting and inserting costs 2c on the same
 * path), so g = 2c - min(cost, 2c) >= 0 gives the same maximum, and
 * 0 <= E[i][j] <= (i + j) c <= 12c. Where the exact8 kernel applies, 12c
 * is below 255 (knn_nb201.c's width bound), so plain byte additions never
 * wrap: one add and two maxima a cell, against two saturating adds and two
 * minima in the D form, and D[6][6] = 12c - E[6][6]. The disconnect term
 * is added saturating as in the exact8 kernel: the same integers
 * (tests/test_knn.c compares every path with the plain programme, on
 * random penalties too). */
#include <stddef.h>
#include <stdint.h>

#include "exhaust/editdist.h"
#include "predict/knn_internal.h"

enum { EDGES = EXH_NB201_EDGES, OPERATIONS = EXH_NB201_OPERATIONS };

void knn_nb201_gain_set_column(knn_nb201_tables *t, int index)
{
    if (!t->gain)
        return;
    const size_t capacity = (size_t)t->capacity;
    const unsigned twice = 2u * t->exact8.indel;
    const uint8_t *costs = t->exact8.costs;
    for (size_t row = 0; row < (size_t)(OPERATIONS * EDGES); row++) {
        unsigned cost = costs[row * capacity + (size_t)index];
        t->gain[row * capacity + (size_t)index] = (uint8_t)(cost < twice ? twice - cost : 0);
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* Vectors a call: independent chains the core overlaps, as many as the
 * registers hold with E's row (32 zmm: up to 3; AVX2's 16 ymm: 2). */
enum { MOST512 = 3, VECTORS256 = 2 };

/* `vectors` (a constant where inlined) vectors of 64 models from m. */
__attribute__((target("avx512f,avx512bw"), always_inline)) static inline void vectors512(
    const knn_nb201_tables *t, const int *query, int connected, int m, uint16_t *out,
    const int vectors)
{
    const size_t capacity = (size_t)t->capacity;
    __m512i e[MOST512][EDGES]; /* E[i][1 .. 6], row i after row */
    __m512i diagonal[MOST512], left[MOST512];
/* Unrolled whole, so that E stays in registers (a loop keeps it in memory,
 * and every cell then waits on a store). */
#pragma GCC unroll 8
    for (int i = 0; i < EDGES; i++) {
        const uint8_t *row = t->gain + (size_t)(query[i] * EDGES) * capacity + (size_t)m;
#pragma GCC unroll 8
        for (int j = 0; j < EDGES; j++)
#pragma GCC unroll 8
            for (int b = 0; b < vectors; b++) {
                __m512i g = _mm512_loadu_si512((const void *)(row + (size_t)j * capacity +
                                                              (size_t)b * 64));
                /* E is 0 on the boundary: row 0 has no diagonal and nothing
                 * above, column 0 nothing to its left */
                __m512i best = g;
                if (i > 0)
                    best = _mm512_max_epu8(j > 0 ? _mm512_add_epi8(diagonal[b], g) : g, e[b][j]);
                if (j > 0)
                    best = _mm512_max_epu8(best, left[b]);
                diagonal[b] = i > 0 ? e[b][j] : _mm512_setzero_si512();
                e[b][j] = left[b] = best;
            }
    }
    const __m512i total = _mm512_set1_epi8((char)t->gain_total);
    const uint8_t *disconnect =
        (const uint8_t *)t->exact8.disconnect + (size_t)connected * capacity + (size_t)m;
#pragma GCC unroll 4
    for (int b = 0; b < vectors; b++) {
        __m512i d = _mm512_adds_epu8(_mm512_sub_epi8(total, e[b][EDGES - 1]),
                                     _mm512_loadu_si512((const void *)(disconnect + b * 64)));
        _mm512_storeu_si512((void *)(out + b * 64),
                            _mm512_cvtepu8_epi16(_mm512_castsi512_si256(d)));
        _mm512_storeu_si512((void *)(out + b * 64 + 32),
                            _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(d, 1)));
    }
}

__attribute__((target("avx512f,avx512bw"))) static void block512(const knn_nb201_tables *t,
                                                                 const int *query,
                                                                 int connected, int m,
                                                                 uint16_t *out)
{
    vectors512(t, query, connected, m, out, KNN_BLOCK / 64);
}

/* Models [0, count) in steps of 3 vectors, the rest (under 192 models)
 * by 3, 2 or 1: the tables and `out` reach count rounded up to a
 * multiple of 128, which covers the last vector. */
__attribute__((target("avx512f,avx512bw"))) static void all512(const knn_nb201_tables *t,
                                                               const int *query, int connected,
                                                               int count, uint16_t *out)
{
    int m = 0;
    for (; m + 64 * MOST512 <= count; m += 64 * MOST512)
        vectors512(t, query, connected, m, out + m, MOST512);
    if (count - m > 128)
        vectors512(t, query, connected, m, out + m, MOST512);
    else if (count - m > 64)
        vectors512(t, query, connected, m, out + m, 2);
    else if (count > m)
        vectors512(t, query, connected, m, out + m, 1);
}

__attribute__((target("avx2"))) static void block256(const knn_nb201_tables *t, const int *query,
                                                     int connected, int m, uint16_t *out)
{
    const size_t capacity = (size_t)t->capacity;
    __m256i e[VECTORS256][EDGES];
    for (int b = 0; b < VECTORS256; b++)
        for (int j = 0; j < EDGES; j++)
            e[b][j] = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int i = 0; i < EDGES; i++) {
        const uint8_t *row = t->gain + (size_t)(query[i] * EDGES) * capacity + (size_t)m;
        __m256i diagonal[VECTORS256], left[VECTORS256];
        for (int b = 0; b < VECTORS256; b++)
            diagonal[b] = left[b] = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (int j = 0; j < EDGES; j++)
#pragma GCC unroll 8
            for (int b = 0; b < VECTORS256; b++) {
                __m256i g = _mm256_loadu_si256(
                    (const __m256i *)(row + (size_t)j * capacity + (size_t)b * 32));
                __m256i best = g; /* the zero boundary folded away, as above */
                if (i > 0)
                    best = _mm256_max_epu8(j > 0 ? _mm256_add_epi8(diagonal[b], g) : g, e[b][j]);
                if (j > 0)
                    best = _mm256_max_epu8(best, left[b]);
                diagonal[b] = e[b][j];
                e[b][j] = left[b] = best;
            }
    }
    const __m256i total = _mm256_set1_epi8((char)t->gain_total);
    const uint8_t *disconnect =
        (const uint8_t *)t->exact8.disconnect + (size_t)connected * capacity + (size_t)m;
    for (int b = 0; b < VECTORS256; b++) {
        __m256i d = _mm256_adds_epu8(_mm256_sub_epi8(total, e[b][EDGES - 1]),
                                     _mm256_loadu_si256((const __m256i *)(disconnect + b * 32)));
        _mm256_storeu_si256((__m256i *)(out + b * 32),
                            _mm256_cvtepu8_epi16(_mm256_castsi256_si128(d)));
        _mm256_storeu_si256((__m256i *)(out + b * 32 + 16),
                            _mm256_cvtepu8_epi16(_mm256_extracti128_si256(d, 1)));
    }
}

void knn_nb201_gain_all(const knn_nb201_tables *t, const int *query, int connected, int count,
                        int wide, uint16_t *out)
{
    if (wide) {
        all512(t, query, connected, count, out);
        return;
    }
    for (int m = 0; m < count; m += KNN_BLOCK)
        knn_nb201_gain_block(t, query, connected, m, 0, out + m);
}

void knn_nb201_gain_block(const knn_nb201_tables *t, const int *query, int connected, int m,
                          int wide, uint16_t *out)
{
    if (wide)
        block512(t, query, connected, m, out);
    else
        for (int half = 0; half < KNN_BLOCK; half += 32 * VECTORS256)
            block256(t, query, connected, m + half, out + half);
}
#else
void knn_nb201_gain_all(const knn_nb201_tables *t, const int *query, int connected, int count,
                        int wide, uint16_t *out)
{
    (void)t, (void)query, (void)connected, (void)wide;
    for (int l = 0; l < count; l++)
        out[l] = 0; /* never chosen: no AVX2 here */
}

void knn_nb201_gain_block(const knn_nb201_tables *t, const int *query, int connected, int m,
                          int wide, uint16_t *out)
{
    (void)t, (void)query, (void)connected, (void)m, (void)wide;
    for (int l = 0; l < KNN_BLOCK; l++)
        out[l] = 0; /* never chosen: no AVX2 here */
}
#endif
