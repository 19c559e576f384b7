/* editdist.c — the edit-distance dynamic programme over layer sequences. */
#include "exhaust/editdist.h"

#include <math.h>
#include <stdint.h>

/* Run the programme with the shorter sequence along the row, so that two
 * rows of min(p, q) + 1 cells suffice. Indel costs do not depend on which
 * side a layer comes from, so only replace needs the original orientation. */
double exh_editdist_alignment_full(const exh_penalty_table *t, const exh_layer *a, int a_count,
                                   const exh_layer *b, int b_count)
{
    int swapped = b_count > a_count;
    const exh_layer *rows = swapped ? b : a, *columns = swapped ? a : b;
    int row_count = swapped ? b_count : a_count, column_count = swapped ? a_count : b_count;
    double buffer[2][EXH_EDITDIST_MAX_LAYERS + 1];
    double *previous = buffer[0], *current = buffer[1];

    const exh_layer *first_row = row_count > 0 ? &rows[0] : NULL;
    const exh_layer *first_column = column_count > 0 ? &columns[0] : NULL;
    previous[0] = 0.0;
    for (int j = 1; j <= column_count; j++)
        previous[j] = previous[j - 1] + exh_penalties_indel(t, &columns[j - 1], first_row);
    for (int i = 1; i <= row_count; i++) {
        const exh_layer *row = &rows[i - 1];
        current[0] = previous[0] + exh_penalties_indel(t, row, first_column);
        for (int j = 1; j <= column_count; j++) {
            const exh_layer *column = &columns[j - 1];
            double replace = swapped ? exh_penalties_replace(t, column, row)
                                     : exh_penalties_replace(t, row, column);
            double best = previous[j - 1] + replace;
            double remove = previous[j] + exh_penalties_indel(t, row, column);
            double insert = current[j - 1] + exh_penalties_indel(t, column, row);
            if (remove < best)
                best = remove;
            if (insert < best)
                best = insert;
            current[j] = best;
        }
        double *swap = previous;
        previous = current;
        current = swap;
    }
    return previous[column_count];
}

int exh_editdist_nb201_diagonal_only(const exh_penalty_table *t, int count)
{
    if (t->kind != EXH_PENALTY_NB201 || isnan(t->nb201.indel))
        return 0;
    double largest = 0.0;
    int infinite = 0;
    for (int x = 0; x < EXH_NB201_OPERATIONS; x++)
        for (int y = 0; y < EXH_NB201_OPERATIONS; y++) {
            double cost = t->nb201.replace[x][y];
            if (isnan(cost))
                return 0; /* NaN spreads differently through the programme */
            infinite |= isinf(cost);
            if (cost > largest)
                largest = cost;
        }
    if (isinf(t->nb201.indel))
        return 1;
    if (infinite)
        return 0;
    double sum = 0.0;
    for (int e = 0; e < count; e++)
        sum += largest;
    return sum <= 2.0 * t->nb201.indel;
}

/* The diagonal path alone, in the programme's order of additions. */
static double diagonal_sum(const exh_penalty_table *t, const exh_layer *a, const exh_layer *b, int count)
{
    double sum = 0.0;
    for (int e = 0; e < count; e++) {
        int x = a[e].op, y = b[e].op; /* as penalties_replace */
        sum += x == y ? 0.0
               : x >= 0 && x < EXH_NB201_OPERATIONS && y >= 0 && y < EXH_NB201_OPERATIONS
                   ? t->nb201.replace[x][y]
                   : INFINITY;
    }
    return sum;
}

double exh_editdist_alignment(const exh_penalty_table *t, const exh_layer *a, int a_count, const exh_layer *b,
                              int b_count)
{
    if (t->kind == EXH_PENALTY_NB201) {
        if (a_count != b_count && isinf(t->nb201.indel) &&
            exh_editdist_nb201_diagonal_only(t, 0)) /* no NaN */
            return INFINITY; /* every path inserts or deletes */
        if (a_count == b_count && exh_editdist_nb201_diagonal_only(t, a_count))
            return diagonal_sum(t, a, b, a_count);
    }
    return exh_editdist_alignment_full(t, a, a_count, b, b_count);
}

int exh_editdist_connected(const exh_layer *layers, int count)
{
    int last = -1;
    for (int e = 0; e < count; e++)
        if (layers[e].inputs[1] >= 0 && layers[e].inputs[1] < 32 && layers[e].inputs[1] > last)
            last = layers[e].inputs[1];
    if (last <= 0)
        return 0;
    uint32_t reached = 1u; /* node 0 */
    for (int changed = 1; changed;) {
        changed = 0;
        for (int e = 0; e < count; e++) {
            int from = layers[e].inputs[0], to = layers[e].inputs[1];
            if (layers[e].op == EXH_NB201_NONE || from < 0 || from >= 32 || to < 0 || to >= 32)
                continue;
            if ((reached >> from & 1u) && !(reached >> to & 1u)) {
                reached |= 1u << to;
                changed = 1;
            }
        }
    }
    return (int)(reached >> last & 1u);
}

static int check_count(int count, const char *which, exh_error *err)
{
    if (count < 0 || count > EXH_EDITDIST_MAX_LAYERS)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "edit distance: %s has %d layers (allowed 0..%d)", which, count,
                             EXH_EDITDIST_MAX_LAYERS);
    return EXH_OK;
}

int exh_editdist_distance(const exh_penalty_table *t, const exh_layer *a, int a_count, const exh_layer *b,
                          int b_count, double *distance, exh_error *err)
{
    if (check_count(a_count, "the first sequence", err) < 0 ||
        check_count(b_count, "the second sequence", err) < 0)
        return EXH_ERR_INVALID;
    double d = exh_editdist_alignment(t, a, a_count, b, b_count);
    if (t->kind == EXH_PENALTY_NB201 &&
        exh_editdist_connected(a, a_count) != exh_editdist_connected(b, b_count))
        d += t->nb201.disconnect;
    *distance = d;
    return EXH_OK;
}

int exh_editdist_arch(const exh_penalty_table *t, const exh_space *s, const exh_arch *a, const exh_arch *b,
                      double *distance, exh_error *err)
{
    exh_layer a_layers[EXH_EDITDIST_MAX_LAYERS], b_layers[EXH_EDITDIST_MAX_LAYERS];
    int a_count = exh_space_layers(s, a, a_layers, EXH_EDITDIST_MAX_LAYERS);
    int b_count = exh_space_layers(s, b, b_layers, EXH_EDITDIST_MAX_LAYERS);
    if (a_count < 0 || b_count < 0)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "edit distance: %s: an architecture has no layer view (invalid "
                             "architecture?)",
                             exh_space_name(s));
    return exh_editdist_distance(t, a_layers, a_count, b_layers, b_count, distance, err);
}
