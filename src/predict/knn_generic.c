/* knn_generic.c — edit distances from one query to every model of any space,
 * through per-query cost tables.
 *
 * The repository numbers its distinct layers as tokens (two layers equal in
 * every field cost the same in every penalty table). For a query of q
 * layers, three tables of q entries per token hold every cost the programme
 * can ask for:
 *     rep[t][k] = replace(query[k], token t)
 *     del[t][k] = indel(query[k], against token t)
 *     ins[t][k] = indel(token t, against query[k])
 * (3 q D penalty calls for D tokens, instead of 3 calls per DP cell), and
 * the programme's inner loop becomes three table lookups, two adds... per
 * cell. Models of the same length then run side by side, 8 to a block, the
 * lookups as gathers: AVX-512 (8 doubles a vector) or AVX2 (2 x 4) when the
 * CPU has them, plain C lanes otherwise.
 *
 * The numbers are editdist_alignment's, bit for bit: the same orientation
 * (the longer sequence along the rows, the query when they tie), the same
 * costs, the same additions in the same order, and the same minimum
 * (`x < best ? x : best`, which is what vminpd computes). */
#include <stdlib.h>
#include <string.h>

#include "exhaust/editdist.h"
#include "predict/knn_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KNN_GENERIC_X86 1
#include <immintrin.h>
#else
#define KNN_GENERIC_X86 0
#endif

enum { LANES = 8 };
#define MAX_CELLS (EXH_EDITDIST_MAX_LAYERS + 1)

/* ---- tokens ------------------------------------------------------------------ */

static uint64_t layer_hash(const exh_layer *l)
{
    int fields[8 + EXH_LAYER_MAX_INPUTS] = {l->op,    l->filters, l->kernel_h,   l->kernel_w,
                                        l->stride, l->units,  l->activation, l->input_count};
    for (int j = 0; j < EXH_LAYER_MAX_INPUTS; j++)
        fields[8 + j] = l->inputs[j];
    uint64_t h = 1469598103934665603ull;
    for (int k = 0; k < 8 + EXH_LAYER_MAX_INPUTS; k++) {
        h ^= (uint32_t)fields[k];
        h *= 1099511628211ull;
        h ^= h >> 29;
    }
    return h;
}

static int same_layer(const exh_layer *a, const exh_layer *b)
{
    if (a->op != b->op || a->filters != b->filters || a->kernel_h != b->kernel_h ||
        a->kernel_w != b->kernel_w || a->stride != b->stride || a->units != b->units ||
        a->activation != b->activation || a->input_count != b->input_count)
        return 0;
    for (int j = 0; j < EXH_LAYER_MAX_INPUTS; j++)
        if (a->inputs[j] != b->inputs[j])
            return 0;
    return 1;
}

static int rehash(exh_knn_repository *r, int slots)
{
    int *table = calloc((size_t)slots, sizeof *table);
    if (!table)
        return -1;
    for (int t = 0; t < r->token_count; t++) {
        size_t at = (size_t)layer_hash(&r->tokens[t]) & (size_t)(slots - 1);
        while (table[at])
            at = (at + 1) & (size_t)(slots - 1);
        table[at] = t + 1;
    }
    free(r->token_slots);
    r->token_slots = table;
    r->token_slot_capacity = slots;
    return 0;
}

static int token_of(exh_knn_repository *r, const exh_layer *l)
{
    if (2 * (r->token_count + 1) > r->token_slot_capacity &&
        rehash(r, r->token_slot_capacity ? 2 * r->token_slot_capacity : 64) < 0)
        return -1;
    size_t mask = (size_t)r->token_slot_capacity - 1;
    size_t at = (size_t)layer_hash(l) & mask;
    for (; r->token_slots[at]; at = (at + 1) & mask)
        if (same_layer(&r->tokens[r->token_slots[at] - 1], l))
            return r->token_slots[at] - 1;
    if (r->token_count == r->token_capacity) {
        int wanted = r->token_capacity ? 2 * r->token_capacity : 64;
        exh_layer *grown = realloc(r->tokens, (size_t)wanted * sizeof *grown);
        if (!grown)
            return -1;
        r->tokens = grown;
        r->token_capacity = wanted;
    }
    r->tokens[r->token_count] = *l;
    r->token_slots[at] = ++r->token_count;
    return r->token_count - 1;
}

int knn_tokens_add(exh_knn_repository *r, int index)
{
    size_t needed = (size_t)r->layers_capacity;
    if (needed > 0) {
        int *grown = realloc(r->layer_token, needed * sizeof *grown);
        if (!grown)
            return -1;
        r->layer_token = grown;
    }
    for (int k = 0; k < r->layer_count[index]; k++) {
        int at = r->layer_start[index] + k;
        int t = token_of(r, &r->layers[at]);
        if (t < 0)
            return -1;
        r->layer_token[at] = t;
    }
    return 0;
}

void knn_tokens_free(exh_knn_repository *r)
{
    free(r->layer_token);
    free(r->tokens);
    free(r->token_slots);
    r->layer_token = NULL;
    r->tokens = NULL;
    r->token_slots = NULL;
    r->token_count = r->token_capacity = r->token_slot_capacity = 0;
}

/* ---- the programme, 8 models of one length side by side ---------------------- */

typedef struct tables {
    int q;                 /* query layers */
    const double *rep, *del, *ins; /* [token * q + k] */
} tables;

/* One block: models of p layers whose tokens are tok[i][l] (token of layer i
 * of lane l). Case "query rows" when q >= p, "model rows" otherwise; both
 * need q >= 1 and p >= 1. */
static void block_plain(const tables *T, int p, const int (*tok)[LANES], double *out)
{
    const int q = T->q;
    double buffer[2][MAX_CELLS][LANES];
    double(*previous)[LANES] = buffer[0], (*current)[LANES] = buffer[1];
    if (q >= p) { /* rows: the query; columns: the models' layers */
        for (int l = 0; l < LANES; l++)
            previous[0][l] = 0.0;
        for (int j = 1; j <= p; j++)
            for (int l = 0; l < LANES; l++)
                previous[j][l] = previous[j - 1][l] + T->ins[(size_t)tok[j - 1][l] * q];
        for (int i = 1; i <= q; i++) {
            for (int l = 0; l < LANES; l++)
                current[0][l] = previous[0][l] + T->del[(size_t)tok[0][l] * q + (i - 1)];
            for (int j = 1; j <= p; j++)
                for (int l = 0; l < LANES; l++) {
                    size_t at = (size_t)tok[j - 1][l] * q + (size_t)(i - 1);
                    double best = previous[j - 1][l] + T->rep[at];
                    double remove = previous[j][l] + T->del[at];
                    double insert = current[j - 1][l] + T->ins[at];
                    best = remove < best ? remove : best;
                    current[j][l] = insert < best ? insert : best;
                }
            double(*swap)[LANES] = previous;
            previous = current;
            current = swap;
        }
        for (int l = 0; l < LANES; l++)
            out[l] = previous[p][l];
        return;
    }
    /* rows: the models' layers; columns: the query */
    for (int l = 0; l < LANES; l++)
        previous[0][l] = 0.0;
    for (int j = 1; j <= q; j++)
        for (int l = 0; l < LANES; l++)
            previous[j][l] = previous[j - 1][l] + T->del[(size_t)tok[0][l] * q + (j - 1)];
    for (int i = 1; i <= p; i++) {
        for (int l = 0; l < LANES; l++)
            current[0][l] = previous[0][l] + T->ins[(size_t)tok[i - 1][l] * q];
        for (int j = 1; j <= q; j++)
            for (int l = 0; l < LANES; l++) {
                size_t at = (size_t)tok[i - 1][l] * q + (size_t)(j - 1);
                double best = previous[j - 1][l] + T->rep[at];
                double remove = previous[j][l] + T->ins[at];
                double insert = current[j - 1][l] + T->del[at];
                best = remove < best ? remove : best;
                current[j][l] = insert < best ? insert : best;
            }
        double(*swap)[LANES] = previous;
        previous = current;
        current = swap;
    }
    for (int l = 0; l < LANES; l++)
        out[l] = previous[q][l];
}

#if KNN_GENERIC_X86
/* The same with AVX2 gathers, the 8 lanes as two vectors of 4. */
#define AVX2_STEP(lo, hi, previous, current, j, idx_lo, idx_hi, rep, remove_table,           \
                  insert_table)                                                               \
    do {                                                                                      \
        __m256d best_lo = _mm256_add_pd(previous[j - 1][0],                                   \
                                        _mm256_i32gather_pd(rep, idx_lo, 8));                 \
        __m256d best_hi = _mm256_add_pd(previous[j - 1][1],                                   \
                                        _mm256_i32gather_pd(rep, idx_hi, 8));                 \
        __m256d remove_lo = _mm256_add_pd(previous[j][0],                                     \
                                          _mm256_i32gather_pd(remove_table, idx_lo, 8));      \
        __m256d remove_hi = _mm256_add_pd(previous[j][1],                                     \
                                          _mm256_i32gather_pd(remove_table, idx_hi, 8));      \
        best_lo = _mm256_min_pd(remove_lo, best_lo);                                          \
        best_hi = _mm256_min_pd(remove_hi, best_hi);                                          \
        lo = _mm256_min_pd(_mm256_add_pd(lo, _mm256_i32gather_pd(insert_table, idx_lo, 8)),   \
                           best_lo);                                                          \
        hi = _mm256_min_pd(_mm256_add_pd(hi, _mm256_i32gather_pd(insert_table, idx_hi, 8)),   \
                           best_hi);                                                          \
        current[j][0] = lo;                                                                   \
        current[j][1] = hi;                                                                   \
    } while (0)

__attribute__((target("avx2"))) static void block_avx2(const tables *T, int p,
                                                       const int (*tok)[LANES], double *out)
{
    const int q = T->q;
    __m256d buffer[2][MAX_CELLS][2];
    __m256d(*previous)[2] = buffer[0], (*current)[2] = buffer[1];
    const __m256i scale = _mm256_set1_epi32(q);
    __m128i base[MAX_CELLS][2]; /* token * q per layer and half */
    for (int k = 0; k < p; k++) {
        __m256i row = _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i *)tok[k]), scale);
        base[k][0] = _mm256_castsi256_si128(row);
        base[k][1] = _mm256_extracti128_si256(row, 1);
    }
    previous[0][0] = previous[0][1] = _mm256_setzero_pd();
    if (q >= p) {
        for (int j = 1; j <= p; j++) {
            previous[j][0] = _mm256_add_pd(previous[j - 1][0],
                                           _mm256_i32gather_pd(T->ins, base[j - 1][0], 8));
            previous[j][1] = _mm256_add_pd(previous[j - 1][1],
                                           _mm256_i32gather_pd(T->ins, base[j - 1][1], 8));
        }
        for (int i = 1; i <= q; i++) {
            const double *rep = T->rep + (i - 1), *del = T->del + (i - 1),
                         *ins = T->ins + (i - 1);
            __m256d lo = _mm256_add_pd(previous[0][0], _mm256_i32gather_pd(del, base[0][0], 8));
            __m256d hi = _mm256_add_pd(previous[0][1], _mm256_i32gather_pd(del, base[0][1], 8));
            current[0][0] = lo;
            current[0][1] = hi;
            for (int j = 1; j <= p; j++)
                AVX2_STEP(lo, hi, previous, current, j, base[j - 1][0], base[j - 1][1], rep, del,
                          ins);
            __m256d(*swap)[2] = previous;
            previous = current;
            current = swap;
        }
        _mm256_storeu_pd(out, previous[p][0]);
        _mm256_storeu_pd(out + 4, previous[p][1]);
        return;
    }
    for (int j = 1; j <= q; j++) {
        previous[j][0] = _mm256_add_pd(previous[j - 1][0],
                                       _mm256_i32gather_pd(T->del + (j - 1), base[0][0], 8));
        previous[j][1] = _mm256_add_pd(previous[j - 1][1],
                                       _mm256_i32gather_pd(T->del + (j - 1), base[0][1], 8));
    }
    for (int i = 1; i <= p; i++) {
        const __m128i idx_lo = base[i - 1][0], idx_hi = base[i - 1][1];
        __m256d lo = _mm256_add_pd(previous[0][0], _mm256_i32gather_pd(T->ins, idx_lo, 8));
        __m256d hi = _mm256_add_pd(previous[0][1], _mm256_i32gather_pd(T->ins, idx_hi, 8));
        current[0][0] = lo;
        current[0][1] = hi;
        for (int j = 1; j <= q; j++)
            AVX2_STEP(lo, hi, previous, current, j, idx_lo, idx_hi, T->rep + (j - 1),
                      T->ins + (j - 1), T->del + (j - 1));
        __m256d(*swap)[2] = previous;
        previous = current;
        current = swap;
    }
    _mm256_storeu_pd(out, previous[q][0]);
    _mm256_storeu_pd(out + 4, previous[q][1]);
}

/* The same with AVX-512 gathers, the 8 lanes in one vector. */
__attribute__((target("avx512f"))) static void block_avx512(const tables *T, int p,
                                                           const int (*tok)[LANES],
                                                           double *out)
{
    const int q = T->q;
    __m512d buffer[2][MAX_CELLS];
    __m512d *previous = buffer[0], *current = buffer[1];
    const __m256i scale = _mm256_set1_epi32(q);
    __m256i base[MAX_CELLS];
    for (int k = 0; k < p; k++)
        base[k] = _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i *)tok[k]), scale);
    previous[0] = _mm512_setzero_pd();
    if (q >= p) {
        for (int j = 1; j <= p; j++)
            previous[j] =
                _mm512_add_pd(previous[j - 1], _mm512_i32gather_pd(base[j - 1], T->ins, 8));
        for (int i = 1; i <= q; i++) {
            const double *rep = T->rep + (i - 1), *del = T->del + (i - 1),
                         *ins = T->ins + (i - 1);
            __m512d left = _mm512_add_pd(previous[0], _mm512_i32gather_pd(base[0], del, 8));
            current[0] = left;
            for (int j = 1; j <= p; j++) {
                __m256i idx = base[j - 1];
                __m512d best =
                    _mm512_add_pd(previous[j - 1], _mm512_i32gather_pd(idx, rep, 8));
                __m512d remove = _mm512_add_pd(previous[j], _mm512_i32gather_pd(idx, del, 8));
                best = _mm512_min_pd(remove, best);
                left = _mm512_min_pd(_mm512_add_pd(left, _mm512_i32gather_pd(idx, ins, 8)),
                                     best);
                current[j] = left;
            }
            __m512d *swap = previous;
            previous = current;
            current = swap;
        }
        _mm512_storeu_pd(out, previous[p]);
        return;
    }
    for (int j = 1; j <= q; j++)
        previous[j] =
            _mm512_add_pd(previous[j - 1], _mm512_i32gather_pd(base[0], T->del + (j - 1), 8));
    for (int i = 1; i <= p; i++) {
        const __m256i idx = base[i - 1];
        __m512d left = _mm512_add_pd(previous[0], _mm512_i32gather_pd(idx, T->ins, 8));
        current[0] = left;
        for (int j = 1; j <= q; j++) {
            __m512d best =
                _mm512_add_pd(previous[j - 1], _mm512_i32gather_pd(idx, T->rep + (j - 1), 8));
            __m512d remove =
                _mm512_add_pd(previous[j], _mm512_i32gather_pd(idx, T->ins + (j - 1), 8));
            best = _mm512_min_pd(remove, best);
            left = _mm512_min_pd(
                _mm512_add_pd(left, _mm512_i32gather_pd(idx, T->del + (j - 1), 8)), best);
            current[j] = left;
        }
        __m512d *swap = previous;
        previous = current;
        current = swap;
    }
    _mm512_storeu_pd(out, previous[q]);
}
#endif


/* ---- graph and convchain: costs from which features differ -------------------
 *
 * There, replace(a, b) and indel(a, against b) depend only on which of four
 * features differ between a and b (graph: op and the three input slots;
 * convchain: filters, kernel height, kernel width, stride), so a 16-entry
 * table per cost, indexed by the mask of differing features, holds every
 * cost the programme can ask for. The tables are filled by the penalty
 * functions themselves on pairs of layers that differ exactly so (the same
 * numbers by construction), and the kernel computes each cell's mask with
 * four vector compares: no per-query tables at all. */

enum { FEATURES = 4, MASKS = 1 << FEATURES };

typedef struct mask_tables {
    double rep[MASKS];
    double indel[MASKS]; /* graph: constant; convchain: by the stride bit */
} mask_tables;

static int uses_masks(const exh_penalty_table *t)
{
    return t->kind == EXH_PENALTY_GRAPH || t->kind == EXH_PENALTY_CONVCHAIN;
}

static void features(exh_penalty_kind kind, const exh_layer *l, int32_t *f)
{
    if (kind == EXH_PENALTY_GRAPH) {
        f[0] = l->op;
        for (int slot = 0; slot < 3; slot++)
            f[1 + slot] = slot < l->input_count ? l->inputs[slot] : -1;
    } else {
        f[0] = l->filters;
        f[1] = l->kernel_h;
        f[2] = l->kernel_w;
        f[3] = l->stride;
    }
}

static void fill_mask_tables(const exh_penalty_table *t, mask_tables *M)
{
    for (int m = 0; m < MASKS; m++) {
        exh_layer a, b;
        memset(&a, 0, sizeof a);
        for (int j = 0; j < EXH_LAYER_MAX_INPUTS; j++)
            a.inputs[j] = -1;
        if (t->kind == EXH_PENALTY_GRAPH) {
            a.input_count = 3;
            a.inputs[0] = a.inputs[1] = a.inputs[2] = 0;
            b = a;
            b.op = m & 1;
            for (int slot = 0; slot < 3; slot++)
                b.inputs[slot] = m >> (1 + slot) & 1;
        } else {
            a.filters = a.kernel_h = a.kernel_w = a.stride = 1;
            b = a;
            b.filters += m & 1;
            b.kernel_h += m >> 1 & 1;
            b.kernel_w += m >> 2 & 1;
            b.stride += m >> 3 & 1;
        }
        M->rep[m] = exh_penalties_replace(t, &a, &b);
        M->indel[m] = exh_penalties_indel(t, &a, &b);
    }
}

/* One block of LANES models of p layers; qf: the query's features, q >= 1
 * layers; mf[k][f][l]: feature f of layer k of lane l. The mask of a cell
 * is symmetric, so one loop serves both orientations: `rows` are the
 * longer side (the query when they tie). */
static void mask_block_plain(const mask_tables *M, int q, const int32_t (*qf)[FEATURES], int p,
                             const int32_t (*mf)[FEATURES][LANES], double *out)
{
    int query_rows = q >= p, rows = query_rows ? q : p, columns = query_rows ? p : q;
    double buffer[2][MAX_CELLS][LANES];
    double(*previous)[LANES] = buffer[0], (*current)[LANES] = buffer[1];
    int mask[MAX_CELLS][LANES];
#define MASK_OF(i, j, l)                                                                     \
    ((qf[query_rows ? (i) : (j)][0] != mf[query_rows ? (j) : (i)][0][l]) |                   \
     (qf[query_rows ? (i) : (j)][1] != mf[query_rows ? (j) : (i)][1][l]) << 1 |              \
     (qf[query_rows ? (i) : (j)][2] != mf[query_rows ? (j) : (i)][2][l]) << 2 |              \
     (qf[query_rows ? (i) : (j)][3] != mf[query_rows ? (j) : (i)][3][l]) << 3)
    for (int l = 0; l < LANES; l++)
        previous[0][l] = 0.0;
    for (int j = 1; j <= columns; j++) /* against the first row's layer */
        for (int l = 0; l < LANES; l++)
            previous[j][l] = previous[j - 1][l] + M->indel[MASK_OF(0, j - 1, l)];
    for (int i = 1; i <= rows; i++) {
        for (int j = 0; j < columns; j++)
            for (int l = 0; l < LANES; l++)
                mask[j][l] = MASK_OF(i - 1, j, l);
        for (int l = 0; l < LANES; l++)
            current[0][l] = previous[0][l] + M->indel[MASK_OF(i - 1, 0, l)];
        for (int j = 1; j <= columns; j++)
            for (int l = 0; l < LANES; l++) {
                int m = mask[j - 1][l];
                double best = previous[j - 1][l] + M->rep[m];
                double remove = previous[j][l] + M->indel[m];
                double insert = current[j - 1][l] + M->indel[m];
                best = remove < best ? remove : best;
                current[j][l] = insert < best ? insert : best;
            }
        double(*swap)[LANES] = previous;
        previous = current;
        current = swap;
    }
#undef MASK_OF
    for (int l = 0; l < LANES; l++)
        out[l] = previous[columns][l];
}

#if KNN_GENERIC_X86
/* The masks of row i (one layer against every layer of the other side),
 * 8 lanes of int32. */
__attribute__((target("avx2"))) static inline __m256i mask_avx2(const int32_t *query_features,
                                                                const int32_t (*model)[LANES])
{
    __m256i m = _mm256_setzero_si256();
    const __m256i all = _mm256_set1_epi32(-1);
    for (int f = 0; f < FEATURES; f++) {
        __m256i equal = _mm256_cmpeq_epi32(_mm256_set1_epi32(query_features[f]),
                                           _mm256_loadu_si256((const __m256i *)model[f]));
        m = _mm256_or_si256(m, _mm256_and_si256(_mm256_xor_si256(equal, all),
                                                _mm256_set1_epi32(1 << f)));
    }
    return m;
}

__attribute__((target("avx2"))) static void mask_block_avx2(const mask_tables *M, int q,
                                                            const int32_t (*qf)[FEATURES], int p,
                                                            const int32_t (*mf)[FEATURES][LANES],
                                                            double *out)
{
    int query_rows = q >= p, rows = query_rows ? q : p, columns = query_rows ? p : q;
    __m256d buffer[2][MAX_CELLS][2];
    __m256d(*previous)[2] = buffer[0], (*current)[2] = buffer[1];
    __m128i mask[MAX_CELLS][2];
#define ROW_MASK(i, j) (query_rows ? mask_avx2(qf[i], mf[j]) : mask_avx2(qf[j], mf[i]))
    previous[0][0] = previous[0][1] = _mm256_setzero_pd();
    for (int j = 1; j <= columns; j++) {
        __m256i m = ROW_MASK(0, j - 1);
        previous[j][0] = _mm256_add_pd(
            previous[j - 1][0], _mm256_i32gather_pd(M->indel, _mm256_castsi256_si128(m), 8));
        previous[j][1] = _mm256_add_pd(
            previous[j - 1][1], _mm256_i32gather_pd(M->indel, _mm256_extracti128_si256(m, 1), 8));
    }
    for (int i = 1; i <= rows; i++) {
        for (int j = 0; j < columns; j++) {
            __m256i m = ROW_MASK(i - 1, j);
            mask[j][0] = _mm256_castsi256_si128(m);
            mask[j][1] = _mm256_extracti128_si256(m, 1);
        }
        __m256d lo = _mm256_add_pd(previous[0][0], _mm256_i32gather_pd(M->indel, mask[0][0], 8));
        __m256d hi = _mm256_add_pd(previous[0][1], _mm256_i32gather_pd(M->indel, mask[0][1], 8));
        current[0][0] = lo;
        current[0][1] = hi;
        for (int j = 1; j <= columns; j++)
            AVX2_STEP(lo, hi, previous, current, j, mask[j - 1][0], mask[j - 1][1], M->rep,
                      M->indel, M->indel);
        __m256d(*swap)[2] = previous;
        previous = current;
        current = swap;
    }
#undef ROW_MASK
    _mm256_storeu_pd(out, previous[columns][0]);
    _mm256_storeu_pd(out + 4, previous[columns][1]);
}

/* AVX-512: the masks as 64-bit lanes, the 16-entry tables in two registers
 * each, one two-table permute per lookup. */
__attribute__((target("avx512f,avx512vl"))) static inline __m512i mask_avx512(
    const int32_t *query_features, const int32_t (*model)[LANES])
{
    __m256i m = _mm256_setzero_si256();
    for (int f = 0; f < FEATURES; f++) {
        __mmask8 differ = _mm256_cmpneq_epi32_mask(_mm256_set1_epi32(query_features[f]),
                                                   _mm256_loadu_si256((const __m256i *)model[f]));
        m = _mm256_mask_or_epi32(m, differ, m, _mm256_set1_epi32(1 << f));
    }
    return _mm512_cvtepi32_epi64(m);
}

__attribute__((target("avx512f,avx512vl"))) static void mask_block_avx512(
    const mask_tables *M, int q, const int32_t (*qf)[FEATURES], int p,
    const int32_t (*mf)[FEATURES][LANES], double *out)
{
    int query_rows = q >= p, rows = query_rows ? q : p, columns = query_rows ? p : q;
    __m512d buffer[2][MAX_CELLS];
    __m512d *previous = buffer[0], *current = buffer[1];
    __m512i mask[MAX_CELLS];
    const __m512d rep_lo = _mm512_loadu_pd(M->rep), rep_hi = _mm512_loadu_pd(M->rep + 8);
    const __m512d indel_lo = _mm512_loadu_pd(M->indel), indel_hi = _mm512_loadu_pd(M->indel + 8);
#define ROW_MASK(i, j) (query_rows ? mask_avx512(qf[i], mf[j]) : mask_avx512(qf[j], mf[i]))
#define INDEL(m) _mm512_permutex2var_pd(indel_lo, (m), indel_hi)
    previous[0] = _mm512_setzero_pd();
    for (int j = 1; j <= columns; j++)
        previous[j] = _mm512_add_pd(previous[j - 1], INDEL(ROW_MASK(0, j - 1)));
    for (int i = 1; i <= rows; i++) {
        for (int j = 0; j < columns; j++)
            mask[j] = ROW_MASK(i - 1, j);
        __m512d left = _mm512_add_pd(previous[0], INDEL(mask[0]));
        current[0] = left;
        for (int j = 1; j <= columns; j++) {
            __m512i m = mask[j - 1];
            __m512d indel = INDEL(m);
            __m512d best =
                _mm512_add_pd(previous[j - 1], _mm512_permutex2var_pd(rep_lo, m, rep_hi));
            best = _mm512_min_pd(_mm512_add_pd(previous[j], indel), best);
            left = _mm512_min_pd(_mm512_add_pd(left, indel), best);
            current[j] = left;
        }
        __m512d *swap = previous;
        previous = current;
        current = swap;
    }
#undef ROW_MASK
#undef INDEL
    _mm512_storeu_pd(out, previous[columns]);
}
#endif

typedef void (*mask_kernel)(const mask_tables *, int, const int32_t (*)[FEATURES], int,
                            const int32_t (*)[FEATURES][LANES], double *);

typedef void (*block_kernel)(const tables *, int, const int (*)[LANES], double *);

static int simd_limit = 512; /* knn_generic_force_simd */

void knn_generic_force_simd(int level) { simd_limit = level; }

int knn_generic_simd(void)
{
#if KNN_GENERIC_X86
    if (simd_limit >= 512 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512vl"))
        return 512;
    if (simd_limit >= 256 && __builtin_cpu_supports("avx2"))
        return 256;
#endif
    return 0;
}

static block_kernel choose_kernel(void)
{
#if KNN_GENERIC_X86
    int level = knn_generic_simd();
    int avx512 = level == 512, avx2 = level == 256;
    if (avx512)
        return block_avx512;
    if (avx2)
        return block_avx2;
#endif
    return block_plain;
}

/* ---- entry point ------------------------------------------------------------- */

/* Models by length (counting sort): order[length_start[p] ..
 * length_start[p + 1]) are the models of p layers. */
static void sort_by_length(const exh_knn_repository *r, int *order, int *length_start)
{
    memset(length_start, 0, (EXH_EDITDIST_MAX_LAYERS + 2) * sizeof(int));
    for (int m = 0; m < r->count; m++)
        length_start[r->layer_count[m] + 1]++;
    for (int p = 0; p <= EXH_EDITDIST_MAX_LAYERS; p++)
        length_start[p + 1] += length_start[p];
    int fill[EXH_EDITDIST_MAX_LAYERS + 1];
    memcpy(fill, length_start, sizeof fill);
    for (int m = 0; m < r->count; m++)
        order[fill[r->layer_count[m]]++] = m;
}

static int mask_distances(const exh_knn_repository *r, const exh_layer *query, int q, double *out,
                          exh_error *err)
{
    const exh_penalty_table *pt = &r->penalties;
    int n = r->count;
    int *order = malloc((size_t)n * sizeof(int));
    if (!order)
        return exh_error_set(err, EXH_ERR_NOMEM, "k-NN: out of memory");
    int length_start[EXH_EDITDIST_MAX_LAYERS + 2];
    sort_by_length(r, order, length_start);
    mask_tables M;
    fill_mask_tables(pt, &M);
    int32_t qf[MAX_CELLS][FEATURES];
    for (int k = 0; k < q; k++)
        features(pt->kind, &query[k], qf[k]);
    mask_kernel kernel = mask_block_plain;
#if KNN_GENERIC_X86
    int level = knn_generic_simd();
    if (level == 512)
        kernel = mask_block_avx512;
    else if (level == 256)
        kernel = mask_block_avx2;
#endif
    for (int m = 0; m < length_start[1]; m++) /* empty models: a sum of indels */
        out[order[m]] = exh_editdist_alignment(pt, query, q, NULL, 0);
    static _Thread_local int32_t mf[MAX_CELLS][FEATURES][LANES];
    double result[LANES];
    for (int p = 1; p <= EXH_EDITDIST_MAX_LAYERS; p++)
        for (int from = length_start[p]; from < length_start[p + 1]; from += LANES) {
            int lanes = length_start[p + 1] - from < LANES ? length_start[p + 1] - from : LANES;
            for (int l = 0; l < LANES; l++) {
                int m = order[from + (l < lanes ? l : 0)];
                const exh_layer *layers = r->layers + r->layer_start[m];
                for (int k = 0; k < p; k++) {
                    int32_t f[FEATURES];
                    features(pt->kind, &layers[k], f);
                    for (int x = 0; x < FEATURES; x++)
                        mf[k][x][l] = f[x];
                }
            }
            kernel(&M, q, (const int32_t(*)[FEATURES])qf, p,
                   (const int32_t(*)[FEATURES][LANES])mf, result);
            for (int l = 0; l < lanes; l++)
                out[order[from + l]] = result[l];
        }
    free(order);
    return EXH_OK;
}

int knn_generic_distances(const exh_knn_repository *r, const exh_layer *query, int q, double *out,
                          exh_error *err)
{
    const exh_penalty_table *pt = &r->penalties;
    int n = r->count, D = r->token_count;
    if (n == 0)
        return EXH_OK;
    if (q == 0 || (size_t)D * (size_t)q > (size_t)INT32_MAX / 2) {
        for (int m = 0; m < n; m++) /* an empty query: a sum of indels */
            out[m] = exh_editdist_alignment(pt, query, q, r->layers + r->layer_start[m],
                                            r->layer_count[m]);
        return EXH_OK;
    }
    if (uses_masks(pt))
        return mask_distances(r, query, q, out, err);
    size_t entries = (size_t)D * (size_t)q;
    double *block = malloc(3 * entries * sizeof(double));
    int *order = malloc((size_t)n * sizeof(int));
    int length_start[EXH_EDITDIST_MAX_LAYERS + 2];
    if (!block || !order) {
        free(block);
        free(order);
        return exh_error_set(err, EXH_ERR_NOMEM, "k-NN: out of memory (cost tables)");
    }
    tables T = {q, block, block + entries, block + 2 * entries};
    double *rep = block, *del = block + entries, *ins = block + 2 * entries;
    for (int t = 0; t < D; t++) {
        const exh_layer *token = &r->tokens[t];
        for (int k = 0; k < q; k++) {
            size_t at = (size_t)t * (size_t)q + (size_t)k;
            rep[at] = exh_penalties_replace(pt, &query[k], token);
            del[at] = exh_penalties_indel(pt, &query[k], token);
            ins[at] = exh_penalties_indel(pt, token, &query[k]);
        }
    }
    sort_by_length(r, order, length_start); /* then blocks of LANES of one length */
    block_kernel kernel = choose_kernel();
    for (int m = 0; m < length_start[1]; m++) /* empty models: a sum of indels */
        out[order[m]] = exh_editdist_alignment(pt, query, q, NULL, 0);
    int tok[MAX_CELLS][LANES];
    double result[LANES];
    for (int p = 1; p <= EXH_EDITDIST_MAX_LAYERS; p++)
        for (int from = length_start[p]; from < length_start[p + 1]; from += LANES) {
            int lanes = length_start[p + 1] - from < LANES ? length_start[p + 1] - from : LANES;
            for (int l = 0; l < LANES; l++) {
                const int *tokens = r->layer_token + r->layer_start[order[from + (l < lanes ? l : 0)]];
                for (int k = 0; k < p; k++)
                    tok[k][l] = tokens[k];
            }
            kernel(&T, p, (const int(*)[LANES])tok, result);
            for (int l = 0; l < lanes; l++)
                out[order[from + l]] = result[l];
        }
    free(block);
    free(order);
    return EXH_OK;
}
