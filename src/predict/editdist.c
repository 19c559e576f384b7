/* editdist.c — the edit-distance dynamic programme over layer sequences. */
#include "exhaust/editdist.h"

#include <math.h>
#include <stdint.h>

/* Run the programme with the shorter sequence along the row, so that two
 * rows of min(p, q) + 1 cells suffice. Indel costs do not depend on which
 * side a layer comes from, so only replace needs the original orientation. */
double editdist_alignment_full(const penalty_table *t, const layer *a, int a_count,
                               const layer *b, int b_count)
{
    int swapped = b_count > a_count;
    const layer *rows = swapped ? b : a, *columns = swapped ? a : b;
    int row_count = swapped ? b_count : a_count, column_count = swapped ? a_count : b_count;
    double buffer[2][EDITDIST_MAX_LAYERS + 1];
    double *previous = buffer[0], *current = buffer[1];

    const layer *first_row = row_count > 0 ? &rows[0] : NULL;
    const layer *first_column = column_count > 0 ? &columns[0] : NULL;
    previous[0] = 0.0;
    for (int j = 1; j <= column_count; j++)
        previous[j] = previous[j - 1] + penalties_indel(t, &columns[j - 1], first_row);
    for (int i = 1; i <= row_count; i++) {
        const layer *row = &rows[i - 1];
        current[0] = previous[0] + penalties_indel(t, row, first_column);
        for (int j = 1; j <= column_count; j++) {
            const layer *column = &columns[j - 1];
            double replace = swapped ? penalties_replace(t, column, row)
                                     : penalties_replace(t, row, column);
            double best = previous[j - 1] + replace;
            double remove = previous[j] + penalties_indel(t, row, column);
            double insert = current[j - 1] + penalties_indel(t, column, row);
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

int editdist_nb201_diagonal_only(const penalty_table *t, int count)
{
    if (t->kind != PENALTY_NB201 || isnan(t->nb201.indel))
        return 0;
    double largest = 0.0;
    int infinite = 0;
    for (int x = 0; x < NB201_OPERATIONS; x++)
        for (int y = 0; y < NB201_OPERATIONS; y++) {
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
static double diagonal_sum(const penalty_table *t, const layer *a, const layer *b, int count)
{
    double sum = 0.0;
    for (int e = 0; e < count; e++) {
        int x = a[e].op, y = b[e].op; /* as penalties_replace */
        sum += x == y ? 0.0
               : x >= 0 && x < NB201_OPERATIONS && y >= 0 && y < NB201_OPERATIONS
                   ? t->nb201.replace[x][y]
                   : INFINITY;
    }
    return sum;
}

double editdist_alignment(const penalty_table *t, const layer *a, int a_count, const layer *b,
                          int b_count)
{
    if (t->kind == PENALTY_NB201) {
        if (a_count != b_count && isinf(t->nb201.indel) &&
            editdist_nb201_diagonal_only(t, 0)) /* no NaN */
            return INFINITY; /* every path inserts or deletes */
        if (a_count == b_count && editdist_nb201_diagonal_only(t, a_count))
            return diagonal_sum(t, a, b, a_count);
    }
    return editdist_alignment_full(t, a, a_count, b, b_count);
}

int editdist_connected(const layer *layers, int count)
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
            if (layers[e].op == NB201_NONE || from < 0 || from >= 32 || to < 0 || to >= 32)
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
    if (count < 0 || count > EDITDIST_MAX_LAYERS)
        return error_set(err, EXH_ERR_INVALID,
                         "edit distance: %s has %d layers (allowed 0..%d)", which, count,
                         EDITDIST_MAX_LAYERS);
    return EXH_OK;
}

int editdist_distance(const penalty_table *t, const layer *a, int a_count, const layer *b,
                      int b_count, double *distance, exh_error *err)
{
    if (check_count(a_count, "the first sequence", err) < 0 ||
        check_count(b_count, "the second sequence", err) < 0)
        return EXH_ERR_INVALID;
    double d = editdist_alignment(t, a, a_count, b, b_count);
    if (t->kind == PENALTY_NB201 &&
        editdist_connected(a, a_count) != editdist_connected(b, b_count))
        d += t->nb201.disconnect;
    *distance = d;
    return EXH_OK;
}

int editdist_arch(const penalty_table *t, const space *s, const arch *a, const arch *b,
                  double *distance, exh_error *err)
{
    layer a_layers[EDITDIST_MAX_LAYERS], b_layers[EDITDIST_MAX_LAYERS];
    int a_count = space_layers(s, a, a_layers, EDITDIST_MAX_LAYERS);
    int b_count = space_layers(s, b, b_layers, EDITDIST_MAX_LAYERS);
    if (a_count < 0 || b_count < 0)
        return error_set(err, EXH_ERR_INVALID,
                         "edit distance: %s: an architecture has no layer view (invalid "
                         "architecture?)",
                         space_name(s));
    return editdist_distance(t, a_layers, a_count, b_layers, b_count, distance, err);
}
