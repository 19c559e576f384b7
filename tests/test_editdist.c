/* test_editdist.c — the edit distance: hand-checked cases, its properties
 * (identity, symmetry, triangle inequality) on random inputs, agreement with
 * a brute-force recursion, and infinite costs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/editdist.h"
#include "exhaust/space_convchain.h"
#include "exhaust/space_graph.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

static exh_penalty_table table_for(const char *kind)
{
    exh_penalty_table t;
    exh_error err;
    assert_int_equal(exh_penalties_default(kind, &t, &err), 0);
    return t;
}

static double distance(const exh_penalty_table *t, const exh_layer *a, int p, const exh_layer *b, int q)
{
    double d = -1;
    exh_error err;
    assert_int_equal(exh_editdist_distance(t, a, p, b, q, &d, &err), 0);
    return d;
}

/* Layers of an NB201 cell from its six digits. */
static void nb201_cell(const char *digits, exh_layer *out)
{
    static const int source[6] = {0, 0, 1, 0, 1, 2}, target[6] = {1, 2, 2, 3, 3, 3};
    for (int e = 0; e < 6; e++) {
        memset(&out[e], 0, sizeof out[e]);
        out[e].op = digits[e] - '0';
        out[e].input_count = 2;
        out[e].inputs[0] = source[e];
        out[e].inputs[1] = target[e];
        out[e].inputs[2] = out[e].inputs[3] = -1;
    }
}

static exh_layer conv(int filters, int kernel, int stride)
{
    exh_layer l = {.filters = filters, .kernel_h = kernel, .kernel_w = kernel, .stride = stride};
    for (int j = 0; j < EXH_LAYER_MAX_INPUTS; j++)
        l.inputs[j] = -1;
    return l;
}

static exh_layer random_layer(exh_penalty_kind kind, exh_rng *g)
{
    exh_layer l;
    switch (kind) {
    case EXH_PENALTY_CONVCHAIN:
        return conv(16 << exh_rng_below(g, 2), 1 + 2 * (int)exh_rng_below(g, 2),
                    1 + (int)exh_rng_below(g, 2));
    case EXH_PENALTY_DENSE:
        l = conv(0, 0, 0);
        l.op = (int)exh_rng_below(g, EXH_DENSE_OP_COUNT);
        if (l.op == EXH_DENSE_OP_DENSE) {
            l.units = 16 << exh_rng_below(g, 3);
            l.activation = (int)exh_rng_below(g, 3);
        } else if (l.op == EXH_DENSE_OP_SKIP) {
            l.input_count = 1;
            l.inputs[0] = (int)exh_rng_below(g, 3);
        }
        return l;
    case EXH_PENALTY_GRAPH:
        l = conv(0, 0, 0);
        l.op = (int)exh_rng_below(g, EXH_GRAPH_OP_COUNT);
        l.input_count = 1 + (int)exh_rng_below(g, 3);
        for (int j = 0; j < l.input_count; j++)
            l.inputs[j] = (int)exh_rng_below(g, 7);
        return l;
    default:
        l = conv(0, 0, 0);
        l.op = (int)exh_rng_below(g, EXH_NB201_OPERATIONS);
        return l;
    }
}

static int random_sequence(exh_penalty_kind kind, exh_rng *g, int max_length, exh_layer *out)
{
    int n = (int)exh_rng_below(g, (uint32_t)max_length + 1);
    for (int i = 0; i < n; i++)
        out[i] = random_layer(kind, g);
    return n;
}

/* ---- brute force: the recurrence of editdist.h, recursively, no memo ---- */

static const exh_layer *against(const exh_layer *sequence, int consumed, int length)
{
    return length == 0 ? NULL : consumed > 0 ? &sequence[consumed - 1] : &sequence[0];
}

static double brute(const exh_penalty_table *t, const exh_layer *a, int i, int p, const exh_layer *b, int j,
                    int q)
{
    if (i == 0 && j == 0)
        return 0.0;
    double best = INFINITY;
    if (i > 0 && j > 0) {
        double d = brute(t, a, i - 1, p, b, j - 1, q) + exh_penalties_replace(t, &a[i - 1], &b[j - 1]);
        best = d < best ? d : best;
    }
    if (i > 0) {
        double d = brute(t, a, i - 1, p, b, j, q) + exh_penalties_indel(t, &a[i - 1], against(b, j, q));
        best = d < best ? d : best;
    }
    if (j > 0) {
        double d = brute(t, a, i, p, b, j - 1, q) + exh_penalties_indel(t, &b[j - 1], against(a, i, p));
        best = d < best ? d : best;
    }
    return best;
}

/* ---- hand-checked cases -------------------------------------------------- */

static void test_nb201_by_hand(void **state)
{
    (void)state;
    exh_penalty_table t = table_for("nb201");
    exh_layer a[6], b[6];
    nb201_cell("333333", a);
    nb201_cell("333333", b);
    assert_true(distance(&t, a, 6, b, 6) == 0.0);
    nb201_cell("233333", b); /* one conv3x3 -> conv1x1 */
    assert_true(distance(&t, a, 6, b, 6) == 1.0);
    /* conv3->conv1 (1), conv3->pool (2), conv3->skip (2), conv3->pool (2) */
    nb201_cell("243314", b);
    assert_true(distance(&t, a, 6, b, 6) == 7.0);
    nb201_cell("033333", b); /* one edge removed, still connected: 3 */
    assert_true(distance(&t, a, 6, b, 6) == 3.0);
    nb201_cell("000000", b); /* six removals and a disconnected cell */
    assert_true(distance(&t, a, 6, b, 6) == 6 * 3.0 + 10.0);
    /* only edge 3<-0 kept: connected; dropping it too disconnects */
    nb201_cell("000100", a);
    nb201_cell("000000", b);
    assert_true(distance(&t, a, 6, b, 6) == 3.0 + 10.0);
    t.nb201.disconnect = 0.5;
    assert_true(distance(&t, a, 6, b, 6) == 3.5);
}

static void test_nb201_connectivity(void **state)
{
    (void)state;
    exh_layer c[6];
    nb201_cell("000100", c); /* 3<-0 skip */
    assert_true(exh_editdist_connected(c, 6));
    nb201_cell("100001", c); /* 1<-0 and 3<-2, no 2<-*: broken */
    assert_false(exh_editdist_connected(c, 6));
    nb201_cell("101001", c); /* 1<-0, 2<-1, 3<-2 */
    assert_true(exh_editdist_connected(c, 6));
    nb201_cell("444000", c); /* everything but the edges into node 3 */
    assert_false(exh_editdist_connected(c, 6));
    assert_false(exh_editdist_connected(c, 0));
    /* out-of-range nodes are ignored, not read out of bounds */
    nb201_cell("000100", c);
    c[3].inputs[0] = 40;
    assert_false(exh_editdist_connected(c, 6));
}

static void test_convchain_by_hand(void **state)
{
    (void)state;
    exh_penalty_table t = table_for("convchain");
    exh_layer a[4] = {conv(16, 3, 1), conv(32, 3, 2)};
    exh_layer b[4] = {conv(32, 1, 1), conv(32, 3, 2)};
    assert_true(distance(&t, a, 2, b, 2) == 2.0); /* filters and kernel of the first layer */
    b[0] = conv(16, 3, 2);
    /* a stride cannot be replaced: delete the stride-1 layer, insert the
     * stride-2 one (each against a layer of the other stride: 2 + 2) */
    assert_true(distance(&t, a, 2, b, 2) == 4.0);
    t.convchain.different_stride_indel = INFINITY;
    assert_true(isinf(distance(&t, a, 2, b, 2)));
    t = table_for("convchain");

    /* inserting a layer whose stride differs from the one it sits against */
    exh_layer one[1] = {conv(16, 3, 1)};
    exh_layer two[2] = {conv(16, 3, 2), conv(16, 3, 1)};
    assert_true(distance(&t, one, 1, two, 2) == 2.0);
    assert_true(distance(&t, two, 2, one, 1) == 2.0);
    /* extra layers of the common stride: infinitely far, not NaN */
    exh_layer same[2] = {conv(16, 3, 1), conv(16, 3, 1)};
    double d = distance(&t, one, 1, same, 2);
    assert_true(isinf(d) && d > 0);
    /* unless same_stride_indel is finite (--same-stride-indel) */
    t.convchain.same_stride_indel = 1.5;
    assert_true(distance(&t, one, 1, same, 2) == 1.5);
    /* against an empty sequence every layer counts as a stride change */
    t = table_for("convchain");
    assert_true(distance(&t, two, 2, NULL, 0) == 4.0);
    assert_true(distance(&t, NULL, 0, NULL, 0) == 0.0);
}

static void test_dense_and_graph_by_hand(void **state)
{
    (void)state;
    exh_penalty_table t = table_for("dense");
    exh_layer a = conv(0, 0, 0), b = conv(0, 0, 0);
    a.op = b.op = EXH_DENSE_OP_DENSE;
    a.units = 64;
    b.units = 16; /* two doublings: 2 * 0.5 */
    a.activation = EXH_DENSE_ACTIVATION_RELU;
    b.activation = EXH_DENSE_ACTIVATION_TANH;
    assert_true(exh_penalties_replace(&t, &a, &b) == 1.0 + 0.5);
    b.op = EXH_DENSE_OP_DROPOUT;
    assert_true(exh_penalties_replace(&t, &a, &b) == 1.0);
    assert_true(exh_penalties_indel(&t, &a, NULL) == 1.0);
    assert_true(exh_penalties_indel(&t, &b, NULL) == 0.5);
    exh_layer one[1] = {a}, two[2] = {a, b};
    assert_true(distance(&t, one, 1, two, 2) == 0.5);

    t = table_for("graph");
    exh_layer g = conv(0, 0, 0), h = conv(0, 0, 0);
    g.op = EXH_GRAPH_OP_LINEAR;
    g.input_count = 2;
    g.inputs[0] = 0;
    g.inputs[1] = 1;
    h = g;
    h.op = EXH_GRAPH_OP_ELEMENTWISE_SUM;
    h.inputs[1] = 4;
    assert_true(exh_penalties_replace(&t, &g, &h) == 1.0 + 0.5);
    h.input_count = 3;
    h.inputs[2] = 2;
    assert_true(exh_penalties_replace(&t, &g, &h) == 1.0 + 0.5 + 0.5);
    assert_true(exh_penalties_indel(&t, &g, NULL) == 2.0);
}

/* Layers a space would never produce (operations out of range, odd node
 * numbers) give large or infinite costs, never a crash or NaN. */
static void test_malformed_layers(void **state)
{
    (void)state;
    exh_rng *g = exh_rng_new(99);
    for (int k = 0; k < EXH_PENALTY_KIND_COUNT; k++) {
        exh_penalty_table t;
        exh_error err;
        assert_int_equal(exh_penalties_default(exh_penalties_kind_name((exh_penalty_kind)k), &t, &err), 0);
        for (int trial = 0; trial < 300; trial++) {
            exh_layer a[5], b[5];
            for (int i = 0; i < 5; i++) {
                int *fields[2] = {(int *)&a[i], (int *)&b[i]};
                for (int side = 0; side < 2; side++)
                    for (size_t f = 0; f < sizeof(exh_layer) / sizeof(int); f++)
                        fields[side][f] = (int)exh_rng_below(g, 2000) - 1000;
            }
            double d = distance(&t, a, 5, b, 5);
            assert_false(isnan(d));
            assert_true(d >= 0);
            assert_true(distance(&t, a, 5, a, 5) == 0.0);
        }
    }
    exh_rng_free(g);
}

static void test_bad_counts(void **state)
{
    (void)state;
    exh_penalty_table t = table_for("nb201");
    exh_layer a[6];
    nb201_cell("123401", a);
    double d = 0;
    exh_error err;
    assert_int_equal(exh_editdist_distance(&t, a, -1, a, 6, &d, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "-1 layers"));
    assert_int_equal(exh_editdist_distance(&t, a, 6, a, EXH_EDITDIST_MAX_LAYERS + 1, &d, &err),
                     EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "second sequence"));
}

/* ---- properties on random inputs ---------------------------------------- */

static void test_nb201_space_properties(void **state)
{
    (void)state;
    exh_space *s;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    exh_penalty_table t = table_for("nb201");
    exh_penalty_table finite = t;
    finite.nb201.indel = 2.0; /* >= half the largest replace cost: still a metric */
    exh_rng *g = exh_rng_new(7);
    for (int trial = 0; trial < 2000; trial++) {
        exh_arch a, b, c;
        assert_int_equal(exh_space_sample(s, g, &a, &err), 0);
        assert_int_equal(exh_space_sample(s, g, &b, &err), 0);
        assert_int_equal(exh_space_sample(s, g, &c, &err), 0);
        const exh_penalty_table *tables[2] = {&t, &finite};
        for (int k = 0; k < 2; k++) {
            double ab, ba, bc, ac, aa;
            assert_int_equal(exh_editdist_arch(tables[k], s, &a, &b, &ab, &err), 0);
            assert_int_equal(exh_editdist_arch(tables[k], s, &b, &a, &ba, &err), 0);
            assert_int_equal(exh_editdist_arch(tables[k], s, &b, &c, &bc, &err), 0);
            assert_int_equal(exh_editdist_arch(tables[k], s, &a, &c, &ac, &err), 0);
            assert_int_equal(exh_editdist_arch(tables[k], s, &a, &a, &aa, &err), 0);
            assert_true(aa == 0.0);
            assert_true(ab == ba);
            assert_true(ac <= ab + bc + 1e-12);
            assert_true(ab >= 0 && isfinite(ab));
            if (!exh_arch_equal(&a, &b))
                assert_true(ab > 0);
        }
    }
    exh_rng_free(g);
    exh_space_free(s);
}

/* Real convchain architectures: with the published table some pairs are
 * infinitely far apart (a layer can only be inserted against one of another
 * stride); with finite entries every pair is finitely far, never farther
 * than under the published table (no cost grew), and the distance is a
 * metric when every indel is the same and at least half of every replace. */
static void test_convchain_space(void **state)
{
    (void)state;
    exh_space *s;
    exh_error err;
    assert_int_equal(exh_space_open("convchain", &s, &err), 0);
    exh_penalty_table published = table_for("convchain"), finite = published;
    finite.convchain.stride = 1.0;
    finite.convchain.same_stride_indel = finite.convchain.different_stride_indel = 2.0;
    exh_rng *g = exh_rng_new(8);
    int infinite = 0;
    for (int trial = 0; trial < 300; trial++) {
        exh_arch a, b, c;
        assert_int_equal(exh_space_sample(s, g, &a, &err), 0);
        assert_int_equal(exh_space_sample(s, g, &b, &err), 0);
        assert_int_equal(exh_space_sample(s, g, &c, &err), 0);
        exh_layer la[EXH_CONVCHAIN_MAX_LAYERS], lb[EXH_CONVCHAIN_MAX_LAYERS];
        int p = exh_space_layers(s, &a, la, EXH_CONVCHAIN_MAX_LAYERS);
        int q = exh_space_layers(s, &b, lb, EXH_CONVCHAIN_MAX_LAYERS);
        double d, back, ab, ac, bc;
        assert_int_equal(exh_editdist_arch(&published, s, &a, &b, &d, &err), 0);
        assert_int_equal(exh_editdist_arch(&published, s, &b, &a, &back, &err), 0);
        assert_false(isnan(d));
        assert_true(d == back);
        infinite += isinf(d);
        assert_int_equal(exh_editdist_arch(&finite, s, &a, &b, &ab, &err), 0);
        assert_int_equal(exh_editdist_arch(&finite, s, &a, &c, &ac, &err), 0);
        assert_int_equal(exh_editdist_arch(&finite, s, &b, &c, &bc, &err), 0);
        assert_true(isfinite(ab) && ab <= d);
        assert_true(ac <= ab + bc + 1e-9);
        assert_true(ab >= 2.0 * abs(p - q)); /* at least the layers that must go */
        assert_true(exh_editdist_alignment(&finite, la, p, lb, q) == ab);
    }
    assert_true(infinite > 0);
    exh_rng_free(g);
    exh_space_free(s);
}

static void check_properties(exh_penalty_table *t, int metric, uint64_t seed)
{
    exh_rng *g = exh_rng_new(seed);
    for (int trial = 0; trial < 1500; trial++) {
        exh_layer a[8], b[8], c[8];
        int p = random_sequence(t->kind, g, 7, a);
        int q = random_sequence(t->kind, g, 7, b);
        int r = random_sequence(t->kind, g, 7, c);
        double ab = distance(t, a, p, b, q), ba = distance(t, b, q, a, p);
        assert_false(isnan(ab));
        assert_true(distance(t, a, p, a, p) == 0.0);
        assert_true(ab == ba);
        if (metric) {
            double ac = distance(t, a, p, c, r), bc = distance(t, b, q, c, r);
            assert_true(ac <= ab + bc + 1e-9);
        }
    }
    exh_rng_free(g);
}

static void test_properties_per_kind(void **state)
{
    (void)state;
    exh_penalty_table t = table_for("convchain"); /* infinite entries: no NaN, still symmetric */
    check_properties(&t, 0, 11);
    t.convchain.stride = 1.0; /* finite, context-free indels >= half of every replace */
    t.convchain.same_stride_indel = t.convchain.different_stride_indel = 2.0;
    check_properties(&t, 1, 12);
    t = table_for("graph"); /* replace <= 2.5 <= 2 * indel */
    check_properties(&t, 1, 13);
    t = table_for("dense");
    check_properties(&t, 0, 14);
}

static void check_brute_force(exh_penalty_table *t, uint64_t seed)
{
    exh_rng *g = exh_rng_new(seed);
    for (int trial = 0; trial < 400; trial++) {
        exh_layer a[6], b[6];
        int p = random_sequence(t->kind, g, 5, a);
        int q = random_sequence(t->kind, g, 5, b);
        double expected = brute(t, a, p, p, b, q, q);
        double got = exh_editdist_alignment(t, a, p, b, q);
        if (!(got == expected || fabs(got - expected) < 1e-12))
            fail_msg("%s: p=%d q=%d: DP %g, brute force %g", exh_penalties_kind_name(t->kind), p, q,
                     got, expected);
    }
    exh_rng_free(g);
}

static void test_brute_force_agreement(void **state)
{
    (void)state;
    exh_penalty_table t = table_for("convchain");
    check_brute_force(&t, 21);
    t.convchain.same_stride_indel = 0.75;
    t.convchain.stride = 5.0;
    check_brute_force(&t, 22);
    t = table_for("dense");
    check_brute_force(&t, 23);
    t = table_for("graph");
    check_brute_force(&t, 24);
    t = table_for("nb201");
    t.nb201.indel = 1.25;
    t.nb201.replace[1][4] = 0.5; /* asymmetric: orientation must be kept */
    check_brute_force(&t, 25);
}

static void test_huge_costs_do_not_overflow_to_nan(void **state)
{
    (void)state;
    exh_penalty_table t = table_for("nb201");
    t.nb201.indel = 1e308;
    for (int x = 0; x < EXH_NB201_OPERATIONS; x++)
        for (int y = 0; y < EXH_NB201_OPERATIONS; y++)
            t.nb201.replace[x][y] = x == y ? 0 : 1e308;
    exh_layer a[6], b[6];
    nb201_cell("111111", a);
    nb201_cell("222222", b);
    double d = distance(&t, a, 6, b, 6);
    assert_true(isinf(d) && d > 0); /* overflowed sums saturate at infinity */
    t.nb201.replace[1][2] = INFINITY;
    assert_true(isinf(distance(&t, a, 6, b, 6)));
    assert_true(distance(&t, a, 6, a, 6) == 0.0);
}

/* ---- the degenerate shortcut (editdist_nb201_diagonal_only) --------------- */

static double random_cost(exh_rng *g)
{
    static const double picks[] = {0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 10.0, 1e308};
    switch (exh_rng_below(g, 4)) {
    case 0:
        return INFINITY;
    case 1:
        return exh_rng_uniform(g) * 7.0;
    default:
        return picks[exh_rng_below(g, sizeof picks / sizeof picks[0])];
    }
}

static int same_number(double x, double y)
{
    return memcmp(&x, &y, sizeof x) == 0 || (isnan(x) && isnan(y));
}

/* The shortcut against the whole programme: random nb201 tables (infinite,
 * huge, fractional, asymmetric entries, a non-zero diagonal now and then,
 * indel infinite, just at the bound, or small) and random cells of 0..8
 * edges, mostly 6, operations sometimes out of range. Bit-for-bit equal. */
static void test_nb201_diagonal_shortcut_equals_full_programme(void **state)
{
    (void)state;
    exh_rng *g = exh_rng_new(77);
    int shortcut_tables = 0, full_tables = 0;
    for (int table = 0; table < 3000; table++) {
        exh_penalty_table t = table_for("nb201");
        for (int x = 0; x < EXH_NB201_OPERATIONS; x++)
            for (int y = 0; y < EXH_NB201_OPERATIONS; y++)
                t.nb201.replace[x][y] = x == y && exh_rng_below(g, 8) ? 0.0 : random_cost(g);
        double largest = 0.0;
        for (int x = 0; x < EXH_NB201_OPERATIONS; x++)
            for (int y = 0; y < EXH_NB201_OPERATIONS; y++)
                if (!isinf(t.nb201.replace[x][y]) && t.nb201.replace[x][y] > largest)
                    largest = t.nb201.replace[x][y];
        switch (exh_rng_below(g, 5)) {
        case 0:
        case 1:
            t.nb201.indel = INFINITY;
            break;
        case 2: /* at the bound: 2 * indel = 6 * largest */
            t.nb201.indel = 3.0 * largest;
            break;
        case 3: /* just below it: the programme must run */
            t.nb201.indel = nextafter(3.0 * largest, 0.0);
            break;
        default:
            t.nb201.indel = random_cost(g);
        }
        if (table % 500 == 7)
            t.nb201.replace[exh_rng_below(g, 5)][exh_rng_below(g, 5)] = NAN;
        if (exh_editdist_nb201_diagonal_only(&t, EXH_NB201_EDGES))
            shortcut_tables++;
        else
            full_tables++;
        for (int pair = 0; pair < 40; pair++) {
            exh_layer a[8], b[8];
            int p = exh_rng_below(g, 4) ? 6 : (int)exh_rng_below(g, 9);
            int q = exh_rng_below(g, 4) ? p : (int)exh_rng_below(g, 9);
            memset(a, 0, sizeof a);
            memset(b, 0, sizeof b);
            nb201_cell("000000", a);
            nb201_cell("000000", b);
            for (int e = 0; e < 8; e++) {
                a[e].op = exh_rng_below(g, 50) ? (int)exh_rng_below(g, 5) : 5;
                b[e].op = exh_rng_below(g, 50) ? (int)exh_rng_below(g, 5) : -1;
            }
            double fast = exh_editdist_alignment(&t, a, p, b, q);
            double full = exh_editdist_alignment_full(&t, a, p, b, q);
            if (!same_number(fast, full))
                fail_msg("table %d pair %d (p=%d q=%d, indel %g): shortcut %.17g, programme "
                         "%.17g",
                         table, pair, p, q, t.nb201.indel, fast, full);
        }
    }
    assert_true(shortcut_tables > 1000 && full_tables > 500); /* both sides exercised */
    /* NB201's defaults are degenerate at every length */
    exh_penalty_table t = table_for("nb201");
    for (int count = 0; count <= EXH_EDITDIST_MAX_LAYERS; count++)
        assert_true(exh_editdist_nb201_diagonal_only(&t, count));
    t = table_for("graph");
    assert_false(exh_editdist_nb201_diagonal_only(&t, 6));
    exh_rng_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nb201_by_hand),
        cmocka_unit_test(test_nb201_connectivity),
        cmocka_unit_test(test_convchain_by_hand),
        cmocka_unit_test(test_dense_and_graph_by_hand),
        cmocka_unit_test(test_malformed_layers),
        cmocka_unit_test(test_bad_counts),
        cmocka_unit_test(test_nb201_space_properties),
        cmocka_unit_test(test_convchain_space),
        cmocka_unit_test(test_properties_per_kind),
        cmocka_unit_test(test_brute_force_agreement),
        cmocka_unit_test(test_huge_costs_do_not_overflow_to_nan),
        cmocka_unit_test(test_nb201_diagonal_shortcut_equals_full_programme),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
