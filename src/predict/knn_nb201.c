/* knn_nb201.c — distances from one NB201 cell to every model at once.
 *
 * The models sit side by side: for each query operation o and edge e, row
 * costs[o][e][·] holds replace(o, model's op on e) for every model, so the
 * programme of editdist.c runs for a block of models with one vector
 * instruction per step and no gathers. Three kernels:
 *   lanes    doubles, plain C over a fixed number of lanes (any CPU);
 *   exact16  the costs scaled by 2^scale_bits to integers, saturating 16-bit
 *            adds (INT16_MAX stands for infinity and stays there), 16 models
 *            per AVX2 instruction;
 *   exact8   the same in unsigned bytes when the numbers are small enough
 *            (UINT8_MAX for infinity), 32 models per instruction.
 * Scaled integers that never exceed the width add exactly, so the exact
 * kernels give the same numbers as the double programme (the NB201 defaults
 * are small integers: they run in bytes). This is the striped
 * Smith-Waterman trick of bioinformatics (Farrar 2007), across models
 * instead of along a sequence.
 *
 * Every kernel keeps V = D + c beside D and takes min(diag + cost, V_up,
 * V_left): the same minimum as the plain programme's min(diag + cost, up +
 * c, left + c), because rounding is monotone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/editdist.h"
#include "predict/knn_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KNN_HAVE_AVX2_KERNEL 1
#include <immintrin.h>
#else
#define KNN_HAVE_AVX2_KERNEL 0
#endif

enum { EDGES = EXH_NB201_EDGES, OPERATIONS = EXH_NB201_OPERATIONS };
/* Steps on the longest path of the programme (p + q), for the width bound. */
#define LONGEST_PATH (2 * EXH_NB201_EDGES)
#define MAX_SCALE_BITS 8

int knn_nb201_has_avx2(void)
{
#if KNN_HAVE_AVX2_KERNEL
    return __builtin_cpu_supports("avx2");
#else
    return 0;
#endif
}

int knn_is_nb201_cell(const exh_layer *layers, int count)
{
    if (count != EDGES)
        return 0;
    for (int e = 0; e < count; e++)
        if (layers[e].op < 0 || layers[e].op >= OPERATIONS)
            return 0;
    return 1;
}

knn_kernel knn_kernel_for(const exh_knn_repository *r, const exh_layer *layers, int count)
{
    const knn_nb201_tables *t = &r->nb201;
    if (!t->usable || !knn_is_nb201_cell(layers, count) ||
        r->forced_kernel == KNN_KERNEL_GENERIC)
        return KNN_KERNEL_GENERIC;
    int avx2 = knn_nb201_has_avx2();
    switch (r->forced_kernel) {
    case KNN_KERNEL_LANES:
        return KNN_KERNEL_LANES;
    case KNN_KERNEL_EXACT16:
        return avx2 && t->exact16.fits ? KNN_KERNEL_EXACT16 : KNN_KERNEL_GENERIC;
    case KNN_KERNEL_EXACT8:
        return avx2 && t->exact8.fits ? KNN_KERNEL_EXACT8 : KNN_KERNEL_GENERIC;
    default:
        if (avx2 && t->exact8.fits)
            return KNN_KERNEL_EXACT8;
        return avx2 && t->exact16.fits ? KNN_KERNEL_EXACT16 : KNN_KERNEL_LANES;
    }
}

/* ---- tables --------------------------------------------------------------- */

/* The table's entries one by one: the replace matrix row by row, then
 * indel, then disconnect. */
enum { REPLACE_ENTRIES = OPERATIONS * OPERATIONS, INDEL_ENTRY = REPLACE_ENTRIES,
       DISCONNECT_ENTRY, ENTRIES };

static double entry(const exh_penalty_table *t, int k)
{
    if (k < REPLACE_ENTRIES)
        return t->nb201.replace[k / OPERATIONS][k % OPERATIONS];
    return k == INDEL_ENTRY ? t->nb201.indel : t->nb201.disconnect;
}

/* The smallest power of two that makes every finite cost an integer, or -1. */
static int exact_scale_bits(const exh_penalty_table *t)
{
    for (int bits = 0; bits <= MAX_SCALE_BITS; bits++) {
        int integral = 1;
        for (int k = 0; k < ENTRIES; k++) {
            double scaled = ldexp(entry(t, k), bits);
            integral &= isinf(scaled) || (scaled == floor(scaled) && scaled < 1e9);
        }
        if (integral)
            return bits;
    }
    return -1;
}

/* Whether the scaled costs fit below `infinity` on the longest path. */
static int fits_width(const exh_penalty_table *t, int bits, double infinity)
{
    if (bits < 0)
        return 0;
    double largest = 0.0;
    for (int k = 0; k < DISCONNECT_ENTRY; k++)
        if (!isinf(entry(t, k)) && entry(t, k) > largest)
            largest = entry(t, k);
    double disconnect = isinf(t->nb201.disconnect) ? 0.0 : t->nb201.disconnect;
    return ldexp(largest * LONGEST_PATH + disconnect, bits) < infinity;
}

static uint16_t scale_cost(const knn_exact_costs *exact, double cost, int bits)
{
    return isinf(cost) ? exact->infinity : (uint16_t)ldexp(cost, bits);
}

/* Store value at [row][index] of an exact table of either width. */
static void put(const knn_exact_costs *exact, void *table, size_t at, uint16_t value)
{
    if (exact->infinity == UINT8_MAX)
        ((uint8_t *)table)[at] = (uint8_t)value;
    else
        ((int16_t *)table)[at] = (int16_t)value;
}

static void set_exact_column(const exh_knn_repository *r, const knn_exact_costs *exact, int index)
{
    const knn_nb201_tables *t = &r->nb201;
    if (!exact->fits)
        return;
    size_t capacity = (size_t)t->capacity;
    const exh_layer *cell = r->layers + r->layer_start[index];
    for (int e = 0; e < EDGES; e++)
        for (int o = 0; o < OPERATIONS; o++)
            put(exact, exact->costs, (size_t)(o * EDGES + e) * capacity + (size_t)index,
                scale_cost(exact, r->penalties.nb201.replace[o][cell[e].op], t->scale_bits));
    uint16_t disconnect = scale_cost(exact, r->penalties.nb201.disconnect, t->scale_bits);
    for (int query_connected = 0; query_connected < 2; query_connected++)
        put(exact, exact->disconnect, (size_t)query_connected * capacity + (size_t)index,
            r->connected[index] != query_connected ? disconnect : 0);
}

void knn_nb201_set_column(exh_knn_repository *r, int index)
{
    knn_nb201_tables *t = &r->nb201;
    const exh_layer *cell = r->layers + r->layer_start[index];
    size_t capacity = (size_t)t->capacity;
    for (int e = 0; e < EDGES; e++)
        for (int o = 0; o < OPERATIONS; o++)
            t->costs[(size_t)(o * EDGES + e) * capacity + (size_t)index] =
                r->penalties.nb201.replace[o][cell[e].op];
    set_exact_column(r, &t->exact8, index);
    set_exact_column(r, &t->exact16, index);
    knn_nb201_gain_set_column(t, index);
}

static void free_exact(knn_exact_costs *exact)
{
    free(exact->costs);
    free(exact->disconnect);
    exact->costs = exact->disconnect = NULL;
}

void knn_nb201_free(knn_nb201_tables *tables)
{
    free(tables->costs);
    free(tables->gain);
    tables->gain = NULL;
    free_exact(&tables->exact8);
    free_exact(&tables->exact16);
    tables->costs = NULL;
    tables->capacity = 0;
}

static int allocate_exact(knn_exact_costs *exact, size_t columns, size_t width)
{
    if (!exact->fits)
        return 0;
    exact->costs = calloc(columns * EDGES * OPERATIONS, width);
    exact->disconnect = calloc(columns * 2, width);
    return exact->costs && exact->disconnect ? 0 : -1;
}

/* Fresh tables of `capacity` columns (padding columns cost 0; their
 * results are never read), filled for the models there are. */
static int allocate(exh_knn_repository *r, int capacity, exh_error *err)
{
    knn_nb201_tables *t = &r->nb201;
    knn_nb201_free(t);
    size_t columns = (size_t)capacity;
    t->costs = calloc(columns * EDGES * OPERATIONS, sizeof(double));
    /* the gain form needs a finite indel: 12c below the byte's infinity */
    int gain = t->exact8.fits && t->exact8.indel != UINT8_MAX;
    if (gain)
        t->gain = calloc(columns * EDGES * OPERATIONS, 1);
    if (!t->costs || allocate_exact(&t->exact8, columns, sizeof(uint8_t)) < 0 ||
        allocate_exact(&t->exact16, columns, sizeof(int16_t)) < 0 || (gain && !t->gain)) {
        knn_nb201_free(t);
        t->usable = 0;
        return exh_error_set(err, EXH_ERR_NOMEM, "k-NN repository: out of memory (NB201 tables)");
    }
    t->capacity = capacity;
    for (int m = 0; m < r->count; m++)
        knn_nb201_set_column(r, m);
    return EXH_OK;
}

static void describe_exact(const exh_penalty_table *p, knn_exact_costs *exact, uint16_t infinity,
                           int bits)
{
    exact->infinity = infinity;
    exact->fits = fits_width(p, bits, infinity);
    exact->indel = exact->fits ? scale_cost(exact, p->nb201.indel, bits) : 0;
}

int knn_nb201_rebuild(exh_knn_repository *r, exh_error *err)
{
    knn_nb201_tables *t = &r->nb201;
    if (!t->usable) {
        knn_nb201_free(t);
        return EXH_OK;
    }
    t->scale_bits = exact_scale_bits(&r->penalties);
    t->diagonal = exh_editdist_nb201_diagonal_only(&r->penalties, EDGES);
    describe_exact(&r->penalties, &t->exact8, UINT8_MAX, t->scale_bits);
    describe_exact(&r->penalties, &t->exact16, INT16_MAX, t->scale_bits);
    t->gain_total = (uint8_t)(t->exact8.fits && t->exact8.indel != UINT8_MAX
                                  ? LONGEST_PATH * t->exact8.indel
                                  : 0);
    int capacity = t->capacity > 0 ? t->capacity : KNN_BLOCK;
    while (capacity < r->count)
        capacity *= 2;
    return allocate(r, capacity, err);
}

int knn_nb201_reserve(exh_knn_repository *r, int count, exh_error *err)
{
    if (count <= r->nb201.capacity)
        return EXH_OK;
    int capacity = r->nb201.capacity > 0 ? r->nb201.capacity : KNN_BLOCK;
    while (capacity < count)
        capacity *= 2;
    return allocate(r, capacity, err);
}

/* ---- the lanes kernel (doubles) ------------------------------------------- */

enum { LANES = 8 };

/* Distances (without the disconnect term) for models m .. m + LANES - 1;
 * the inner loops run across the lanes so that a compiler may vectorize. */
static void lanes_block(const exh_knn_repository *r, const int *query, int m,
                        const double *boundary, double *out)
{
    size_t capacity = (size_t)r->nb201.capacity;
    double c = r->penalties.nb201.indel;
    double d[EDGES + 1][LANES], v[EDGES + 1][LANES], diagonal[LANES], left[LANES];
    for (int j = 0; j <= EDGES; j++)
        for (int l = 0; l < LANES; l++) {
            d[j][l] = boundary[j];
            v[j][l] = boundary[j] + c;
        }
    for (int i = 1; i <= EDGES; i++) {
        const double *costs =
            r->nb201.costs + (size_t)(query[i - 1] * EDGES) * capacity + (size_t)m;
        for (int l = 0; l < LANES; l++) {
            diagonal[l] = d[0][l];
            d[0][l] = boundary[i];
            left[l] = v[0][l] = boundary[i] + c;
        }
        for (int j = 1; j <= EDGES; j++) {
            const double *cost = costs + (size_t)(j - 1) * capacity;
            for (int l = 0; l < LANES; l++) {
                double best = diagonal[l] + cost[l];
                best = v[j][l] < best ? v[j][l] : best;
                best = left[l] < best ? left[l] : best;
                diagonal[l] = d[j][l];
                d[j][l] = best;
                left[l] = v[j][l] = best + c;
            }
        }
    }
    for (int l = 0; l < LANES; l++)
        out[l] = d[EDGES][l];
}

/* The degenerate programme (tables->diagonal): D[6][6] is the diagonal's
 * sum, added in the programme's order, from D[0][0] = 0. */
static void lanes_diagonal(const exh_knn_repository *r, const int *query, double *out)
{
    size_t capacity = (size_t)r->nb201.capacity;
    const double *row[EDGES];
    for (int e = 0; e < EDGES; e++)
        row[e] = r->nb201.costs + (size_t)(query[e] * EDGES + e) * capacity;
    for (int m = 0; m < r->count; m++) {
        double sum = 0.0;
        for (int e = 0; e < EDGES; e++)
            sum += row[e][m];
        out[m] = sum;
    }
}

static void lanes_distances(const exh_knn_repository *r, const int *query, double *out)
{
    if (r->nb201.diagonal && !r->force_full) {
        lanes_diagonal(r, query, out);
        return;
    }
    double boundary[EDGES + 1], block[LANES];
    boundary[0] = 0.0;
    for (int j = 1; j <= EDGES; j++)
        boundary[j] = boundary[j - 1] + r->penalties.nb201.indel;
    for (int m = 0; m < r->count; m += LANES) {
        lanes_block(r, query, m, boundary, block);
        for (int l = 0; l < LANES && m + l < r->count; l++)
            out[m + l] = block[l];
    }
}

/* ---- the exact kernels (AVX2) ---------------------------------------------- */

#if KNN_HAVE_AVX2_KERNEL
/* Vectors interleaved per group, so that each step's latency is hidden. */
enum { GROUP = 4 };

/* One step of the programme for one vector of models: the minimum of
 * diagonal + cost, V_up and V_left, and the new V = D + c. */
#define EXACT_STEP(adds, min, d, v, diagonal, left, cost, c)                                  \
    do {                                                                                      \
        __m256i up_ = (d);                                                                    \
        __m256i best_ = min(min(adds((diagonal), (cost)), (v)), (left));                      \
        (diagonal) = up_;                                                                     \
        (d) = best_;                                                                          \
        (left) = (v) = adds(best_, (c));                                                      \
    } while (0)

/* Scaled distances for the 16 * GROUP models from m, into out[0 ..]. */
__attribute__((target("avx2"))) static void exact16_group(const knn_nb201_tables *t,
                                                          const int *query, int connected,
                                                          int m, const int16_t *boundary,
                                                          uint16_t *out)
{
    const size_t capacity = (size_t)t->capacity;
    const int16_t *costs = t->exact16.costs;
    const __m256i c = _mm256_set1_epi16((int16_t)t->exact16.indel);
    __m256i d[GROUP][EDGES + 1], v[GROUP][EDGES + 1];
    for (int b = 0; b < GROUP; b++)
        for (int j = 0; j <= EDGES; j++) {
            d[b][j] = _mm256_set1_epi16(boundary[j]);
            v[b][j] = _mm256_adds_epi16(d[b][j], c);
        }
    for (int i = 1; i <= EDGES; i++) {
        const int16_t *row = costs + (size_t)(query[i - 1] * EDGES) * capacity + (size_t)m;
        const __m256i first = _mm256_set1_epi16(boundary[i]);
        const __m256i first_v = _mm256_adds_epi16(first, c);
        for (int b = 0; b < GROUP; b++) {
            __m256i diagonal = d[b][0], left = first_v;
            d[b][0] = first;
            v[b][0] = first_v;
            for (int j = 1; j <= EDGES; j++) {
                __m256i cost = _mm256_loadu_si256(
                    (const __m256i *)(row + (size_t)(j - 1) * capacity + (size_t)b * 16));
                EXACT_STEP(_mm256_adds_epi16, _mm256_min_epi16, d[b][j], v[b][j], diagonal, left,
                           cost, c);
            }
        }
    }
    const int16_t *disconnect = (const int16_t *)t->exact16.disconnect +
                                (size_t)connected * capacity + (size_t)m;
    for (int b = 0; b < GROUP; b++) {
        __m256i term = _mm256_loadu_si256((const __m256i *)(disconnect + b * 16));
        _mm256_storeu_si256((__m256i *)(out + b * 16), _mm256_adds_epi16(d[b][EDGES], term));
    }
}

/* Scaled distances for the 32 * GROUP models from m, widened into out[0 ..]. */
__attribute__((target("avx2"))) static void exact8_group(const knn_nb201_tables *t,
                                                         const int *query, int connected, int m,
                                                         const uint8_t *boundary, uint16_t *out)
{
    const size_t capacity = (size_t)t->capacity;
    const uint8_t *costs = t->exact8.costs;
    const __m256i c = _mm256_set1_epi8((char)t->exact8.indel);
    __m256i d[GROUP][EDGES + 1], v[GROUP][EDGES + 1];
    for (int b = 0; b < GROUP; b++)
        for (int j = 0; j <= EDGES; j++) {
            d[b][j] = _mm256_set1_epi8((char)boundary[j]);
            v[b][j] = _mm256_adds_epu8(d[b][j], c);
        }
    for (int i = 1; i <= EDGES; i++) {
        const uint8_t *row = costs + (size_t)(query[i - 1] * EDGES) * capacity + (size_t)m;
        const __m256i first = _mm256_set1_epi8((char)boundary[i]);
        const __m256i first_v = _mm256_adds_epu8(first, c);
        for (int b = 0; b < GROUP; b++) {
            __m256i diagonal = d[b][0], left = first_v;
            d[b][0] = first;
            v[b][0] = first_v;
            for (int j = 1; j <= EDGES; j++) {
                __m256i cost = _mm256_loadu_si256(
                    (const __m256i *)(row + (size_t)(j - 1) * capacity + (size_t)b * 32));
                EXACT_STEP(_mm256_adds_epu8, _mm256_min_epu8, d[b][j], v[b][j], diagonal, left,
                           cost, c);
            }
        }
    }
    const uint8_t *disconnect = (const uint8_t *)t->exact8.disconnect +
                                (size_t)connected * capacity + (size_t)m;
    for (int b = 0; b < GROUP; b++) {
        __m256i term = _mm256_loadu_si256((const __m256i *)(disconnect + b * 32));
        __m256i total = _mm256_adds_epu8(d[b][EDGES], term);
        _mm256_storeu_si256((__m256i *)(out + b * 32),
                            _mm256_cvtepu8_epi16(_mm256_castsi256_si128(total)));
        _mm256_storeu_si256((__m256i *)(out + b * 32 + 16),
                            _mm256_cvtepu8_epi16(_mm256_extracti128_si256(total, 1)));
    }
}

/* The degenerate programme (tables->diagonal) for the same models: the
 * saturated sum of the six diagonal costs and the disconnect term. */
__attribute__((target("avx2"))) static void exact16_diagonal_group(const knn_nb201_tables *t,
                                                                   const int *query,
                                                                   int connected, int m,
                                                                   uint16_t *out)
{
    const size_t capacity = (size_t)t->capacity;
    const int16_t *costs = t->exact16.costs;
    const int16_t *disconnect = (const int16_t *)t->exact16.disconnect +
                                (size_t)connected * capacity + (size_t)m;
    for (int b = 0; b < GROUP; b++) {
        __m256i sum = _mm256_setzero_si256();
        for (int e = 0; e < EDGES; e++)
            sum = _mm256_adds_epi16(
                sum, _mm256_loadu_si256((const __m256i *)(costs +
                                                          (size_t)(query[e] * EDGES + e) *
                                                              capacity +
                                                          (size_t)m + (size_t)b * 16)));
        sum = _mm256_adds_epi16(sum,
                                _mm256_loadu_si256((const __m256i *)(disconnect + b * 16)));
        _mm256_storeu_si256((__m256i *)(out + b * 16), sum);
    }
}

__attribute__((target("avx2"))) static void exact8_diagonal_group(const knn_nb201_tables *t,
                                                                  const int *query,
                                                                  int connected, int m,
                                                                  uint16_t *out)
{
    const size_t capacity = (size_t)t->capacity;
    const uint8_t *costs = t->exact8.costs;
    const uint8_t *disconnect = (const uint8_t *)t->exact8.disconnect +
                                (size_t)connected * capacity + (size_t)m;
    for (int b = 0; b < GROUP; b++) {
        __m256i sum = _mm256_setzero_si256();
        for (int e = 0; e < EDGES; e++)
            sum = _mm256_adds_epu8(
                sum, _mm256_loadu_si256((const __m256i *)(costs +
                                                          (size_t)(query[e] * EDGES + e) *
                                                              capacity +
                                                          (size_t)m + (size_t)b * 32)));
        sum = _mm256_adds_epu8(sum,
                               _mm256_loadu_si256((const __m256i *)(disconnect + b * 32)));
        _mm256_storeu_si256((__m256i *)(out + b * 32),
                            _mm256_cvtepu8_epi16(_mm256_castsi256_si128(sum)));
        _mm256_storeu_si256((__m256i *)(out + b * 32 + 16),
                            _mm256_cvtepu8_epi16(_mm256_extracti128_si256(sum, 1)));
    }
}

/* AVX-512 (BW): the int8 kernels with 64 models a vector, two vectors a
 * group (the 128 of a block); the same saturating arithmetic, so the same
 * numbers. */
#define EXACT_STEP512(d, v, diagonal, left, cost, c)                                          \
    do {                                                                                      \
        __m512i up_ = (d);                                                                    \
        __m512i best_ = _mm512_min_epu8(                                                      \
            _mm512_min_epu8(_mm512_adds_epu8((diagonal), (cost)), (v)), (left));              \
        (diagonal) = up_;                                                                     \
        (d) = best_;                                                                          \
        (left) = (v) = _mm512_adds_epu8(best_, (c));                                          \
    } while (0)

enum { GROUP512 = KNN_BLOCK / 64 };

__attribute__((target("avx512f,avx512bw"))) static void store_widened512(__m512i total,
                                                                         uint16_t *out)
{
    _mm512_storeu_si512((void *)out, _mm512_cvtepu8_epi16(_mm512_castsi512_si256(total)));
    _mm512_storeu_si512((void *)(out + 32),
                        _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(total, 1)));
}

__attribute__((target("avx512f,avx512bw"))) static void exact8_block512(
    const knn_nb201_tables *t, const int *query, int connected, int m, const uint8_t *boundary,
    uint16_t *out)
{
    const size_t capacity = (size_t)t->capacity;
    const uint8_t *costs = t->exact8.costs;
    const __m512i c = _mm512_set1_epi8((char)t->exact8.indel);
    __m512i d[GROUP512][EDGES + 1], v[GROUP512][EDGES + 1];
    for (int b = 0; b < GROUP512; b++)
        for (int j = 0; j <= EDGES; j++) {
            d[b][j] = _mm512_set1_epi8((char)boundary[j]);
            v[b][j] = _mm512_adds_epu8(d[b][j], c);
        }
    for (int i = 1; i <= EDGES; i++) {
        const uint8_t *row = costs + (size_t)(query[i - 1] * EDGES) * capacity + (size_t)m;
        const __m512i first = _mm512_set1_epi8((char)boundary[i]);
        const __m512i first_v = _mm512_adds_epu8(first, c);
        for (int b = 0; b < GROUP512; b++) {
            __m512i diagonal = d[b][0], left = first_v;
            d[b][0] = first;
            v[b][0] = first_v;
            for (int j = 1; j <= EDGES; j++) {
                __m512i cost = _mm512_loadu_si512(
                    (const void *)(row + (size_t)(j - 1) * capacity + (size_t)b * 64));
                EXACT_STEP512(d[b][j], v[b][j], diagonal, left, cost, c);
            }
        }
    }
    const uint8_t *disconnect = (const uint8_t *)t->exact8.disconnect +
                                (size_t)connected * capacity + (size_t)m;
    for (int b = 0; b < GROUP512; b++)
        store_widened512(_mm512_adds_epu8(d[b][EDGES], _mm512_loadu_si512(
                                                           (const void *)(disconnect + b * 64))),
                         out + b * 64);
}

__attribute__((target("avx512f,avx512bw"))) static void exact8_diagonal_block512(
    const knn_nb201_tables *t, const int *query, int connected, int m, uint16_t *out)
{
    const size_t capacity = (size_t)t->capacity;
    const uint8_t *costs = t->exact8.costs;
    const uint8_t *disconnect = (const uint8_t *)t->exact8.disconnect +
                                (size_t)connected * capacity + (size_t)m;
    for (int b = 0; b < GROUP512; b++) {
        __m512i sum = _mm512_setzero_si512();
        for (int e = 0; e < EDGES; e++)
            sum = _mm512_adds_epu8(
                sum, _mm512_loadu_si512((const void *)(costs +
                                                       (size_t)(query[e] * EDGES + e) * capacity +
                                                       (size_t)m + (size_t)b * 64)));
        sum = _mm512_adds_epu8(sum, _mm512_loadu_si512((const void *)(disconnect + b * 64)));
        store_widened512(sum, out + b * 64);
    }
}

/* The diagonal sum for every model at once (blocks of 128 up to count):
 * one call per query, the row pointers computed once. */
__attribute__((target("avx512f,avx512bw"))) static void exact8_diagonal_all512(
    const knn_nb201_tables *t, const int *query, int connected, int count, uint16_t *out)
{
    const size_t capacity = (size_t)t->capacity;
    const uint8_t *row[EDGES];
    for (int e = 0; e < EDGES; e++)
        row[e] = (const uint8_t *)t->exact8.costs + (size_t)(query[e] * EDGES + e) * capacity;
    const uint8_t *disconnect = (const uint8_t *)t->exact8.disconnect +
                                (size_t)connected * capacity;
    for (int m = 0; m < count; m += 64) {
        __m512i sum = _mm512_adds_epu8(_mm512_loadu_si512((const void *)(row[0] + m)),
                                       _mm512_loadu_si512((const void *)(row[1] + m)));
        for (int e = 2; e < EDGES; e++)
            sum = _mm512_adds_epu8(sum, _mm512_loadu_si512((const void *)(row[e] + m)));
        sum = _mm512_adds_epu8(sum, _mm512_loadu_si512((const void *)(disconnect + m)));
        store_widened512(sum, out + m);
    }
}

/* Whether to use the AVX-512 int8 kernels (tests turn them off to compare). */
static int avx512_allowed = 1;

void knn_nb201_allow_avx512(int allowed) { avx512_allowed = allowed; }

int knn_nb201_has_avx512(void)
{
    return avx512_allowed && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw");
}
#else
void knn_nb201_allow_avx512(int allowed) { (void)allowed; }
int knn_nb201_has_avx512(void) { return 0; }
#endif

static uint16_t saturated_sum(uint16_t a, uint16_t b, uint16_t infinity)
{
    unsigned sum = (unsigned)a + b;
    return (uint16_t)(sum > infinity ? infinity : sum);
}

/* The exact kernels' boundary row D[0][j] = j * indel, saturated. */
static void exact_boundary(const knn_exact_costs *exact, uint16_t *boundary)
{
    boundary[0] = 0;
    for (int j = 1; j <= EDGES; j++)
        boundary[j] = saturated_sum(boundary[j - 1], exact->indel, exact->infinity);
}

/* Whether the int8 kernel may use the gain form (benchmarks turn it off to
 * time the D form it replaced). */
static int gain_allowed = 1;

void knn_nb201_allow_gain(int allowed) { gain_allowed = allowed; }

/* Scaled distances for the KNN_BLOCK models from m into out[0 .. KNN_BLOCK). */
static void exact_block(const exh_knn_repository *r, knn_kernel kernel, const int *query,
                        int connected, const uint16_t *boundary, int m, uint16_t *out)
{
#if KNN_HAVE_AVX2_KERNEL
    const knn_nb201_tables *t = &r->nb201;
    int wide = kernel == KNN_KERNEL_EXACT8 && knn_nb201_has_avx512();
    if (t->diagonal && !r->force_full) {
        if (wide)
            exact8_diagonal_block512(t, query, connected, m, out);
        else if (kernel == KNN_KERNEL_EXACT8)
            for (int g = 0; g < KNN_BLOCK; g += 32 * GROUP)
                exact8_diagonal_group(t, query, connected, m + g, out + g);
        else
            for (int g = 0; g < KNN_BLOCK; g += 16 * GROUP)
                exact16_diagonal_group(t, query, connected, m + g, out + g);
        return;
    }
    if (kernel == KNN_KERNEL_EXACT8 && t->gain && gain_allowed) { /* 3 operations a cell */
        knn_nb201_gain_block(t, query, connected, m, wide, out);
        return;
    }
    if (kernel == KNN_KERNEL_EXACT8) {
        uint8_t narrow[EDGES + 1];
        for (int j = 0; j <= EDGES; j++)
            narrow[j] = (uint8_t)boundary[j];
        if (wide) {
            exact8_block512(t, query, connected, m, narrow, out);
            return;
        }
        for (int g = 0; g < KNN_BLOCK; g += 32 * GROUP)
            exact8_group(t, query, connected, m + g, narrow, out + g);
    } else {
        int16_t narrow[EDGES + 1];
        for (int j = 0; j <= EDGES; j++)
            narrow[j] = (int16_t)boundary[j];
        for (int g = 0; g < KNN_BLOCK; g += 16 * GROUP)
            exact16_group(t, query, connected, m + g, narrow, out + g);
    }
#else
    (void)r;
    (void)kernel;
    (void)query;
    (void)connected;
    (void)boundary;
    (void)m;
    memset(out, 0, KNN_BLOCK * sizeof *out); /* never chosen: no AVX2 kernel here */
#endif
}

static const knn_exact_costs *exact_costs(const exh_knn_repository *r, knn_kernel kernel)
{
    return kernel == KNN_KERNEL_EXACT8 ? &r->nb201.exact8 : &r->nb201.exact16;
}

/* ---- entry points ------------------------------------------------------------ */

static void query_ops(const exh_layer *query, int *ops)
{
    for (int e = 0; e < EDGES; e++)
        ops[e] = query[e].op;
}

void knn_nb201_scaled_distances(const exh_knn_repository *r, knn_kernel kernel, const exh_layer *query,
                                uint16_t *out)
{
    int ops[EDGES];
    uint16_t boundary[EDGES + 1];
    query_ops(query, ops);
    exact_boundary(exact_costs(r, kernel), boundary);
    int connected = exh_editdist_connected(query, EDGES);
#if KNN_HAVE_AVX2_KERNEL
    if (kernel == KNN_KERNEL_EXACT8 && r->nb201.diagonal && !r->force_full &&
        knn_nb201_has_avx512()) {
        exact8_diagonal_all512(&r->nb201, ops, connected, r->count, out);
        return;
    }
    if (kernel == KNN_KERNEL_EXACT8 && r->nb201.gain && gain_allowed &&
        (!r->nb201.diagonal || r->force_full)) {
        knn_nb201_gain_all(&r->nb201, ops, connected, r->count, knn_nb201_has_avx512(), out);
        return;
    }
#endif
    for (int m = 0; m < r->count; m += KNN_BLOCK)
        exact_block(r, kernel, ops, connected, boundary, m, out + m);
}

double knn_nb201_unscale(const exh_knn_repository *r, knn_kernel kernel, uint16_t value)
{
    /* a power of two: the product is exact */
    return value == exact_costs(r, kernel)->infinity ? INFINITY
                                                     : value * ldexp(1.0, -r->nb201.scale_bits);
}

void knn_nb201_distances(const exh_knn_repository *r, knn_kernel kernel, const exh_layer *query,
                         double *out)
{
    int ops[EDGES];
    query_ops(query, ops);
    int connected = exh_editdist_connected(query, EDGES);
    if (kernel == KNN_KERNEL_EXACT8 || kernel == KNN_KERNEL_EXACT16) {
        const knn_exact_costs *exact = exact_costs(r, kernel);
        uint16_t boundary[EDGES + 1], block[KNN_BLOCK];
        exact_boundary(exact, boundary);
        double unscale = ldexp(1.0, -r->nb201.scale_bits);
        for (int m = 0; m < r->count; m += KNN_BLOCK) {
            exact_block(r, kernel, ops, connected, boundary, m, block);
            for (int l = 0; l < KNN_BLOCK && m + l < r->count; l++)
                out[m + l] = block[l] == exact->infinity ? INFINITY : block[l] * unscale;
        }
        return;
    }
    lanes_distances(r, ops, out);
    double disconnect = r->penalties.nb201.disconnect;
    for (int m = 0; m < r->count; m++) /* a select, not a multiply: 0 * inf is NaN */
        out[m] += r->connected[m] != connected ? disconnect : 0.0;
}
