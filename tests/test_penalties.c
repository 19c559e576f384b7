/* test_penalties.c — penalty tables: defaults, validation, the JSON form
 * (round trips and every kind of bad file), and penalties_fit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/knn.h"
#include "exhaust/penalties.h"
#include "testutil.h"

static const char *const KINDS[] = {"nb201", "convchain", "dense", "graph"};

static exh_penalty_table table_for(const char *kind)
{
    exh_penalty_table t;
    exh_error err;
    assert_int_equal(exh_penalties_default(kind, &t, &err), 0);
    return t;
}

/* Same entries in the part `kind` selects (infinities compare equal). */
static void assert_same_table(const exh_penalty_table *a, const exh_penalty_table *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_memory_equal(&a->nb201, &b->nb201, sizeof a->nb201);
    assert_memory_equal(&a->convchain, &b->convchain, sizeof a->convchain);
    assert_memory_equal(&a->dense, &b->dense, sizeof a->dense);
    assert_memory_equal(&a->graph, &b->graph, sizeof a->graph);
}

static void test_defaults(void **state)
{
    (void)state;
    exh_error err;
    for (int k = 0; k < 4; k++) {
        exh_penalty_table t = table_for(KINDS[k]);
        assert_string_equal(exh_penalties_kind_name(t.kind), KINDS[k]);
        assert_int_equal(exh_penalties_validate(&t, &err), 0);
    }
    exh_penalty_table t;
    assert_int_equal(exh_penalties_default("resnet", &t, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "resnet"));
    assert_int_equal(exh_penalties_default(NULL, &t, &err), EXH_ERR_INVALID);

    /* the nb201 defaults form a metric: zero diagonal, symmetric, triangles hold */
    t = table_for("nb201");
    for (int x = 0; x < EXH_NB201_OPERATIONS; x++)
        for (int y = 0; y < EXH_NB201_OPERATIONS; y++) {
            assert_true(t.nb201.replace[x][y] == t.nb201.replace[y][x]);
            assert_true((x == y) == (t.nb201.replace[x][y] == 0));
            for (int z = 0; z < EXH_NB201_OPERATIONS; z++)
                assert_true(t.nb201.replace[x][z] <=
                            t.nb201.replace[x][y] + t.nb201.replace[y][z]);
        }
    assert_true(isinf(t.nb201.indel));
    t = table_for("convchain");
    assert_true(isinf(t.convchain.stride) && isinf(t.convchain.same_stride_indel));
    assert_true(t.convchain.different_stride_indel == 2.0);
}

static void test_validate(void **state)
{
    (void)state;
    exh_error err;
    exh_penalty_table t = table_for("nb201");
    t.nb201.replace[2][2] = 1;
    assert_int_equal(exh_penalties_validate(&t, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "replace[2][2]"));
    t = table_for("nb201");
    t.nb201.replace[1][3] = NAN;
    assert_int_equal(exh_penalties_validate(&t, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "replace[1][3]"));
    t = table_for("convchain");
    t.convchain.kernel = -1;
    assert_int_equal(exh_penalties_validate(&t, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "kernel"));
    t = table_for("dense");
    t.dense.indel[EXH_DENSE_OP_SKIP] = -0.5;
    assert_int_equal(exh_penalties_validate(&t, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "indel.skip"));
    t = table_for("graph");
    t.kind = (exh_penalty_kind)42;
    assert_int_equal(exh_penalties_validate(&t, &err), EXH_ERR_INVALID);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    exh_error err;
    for (int k = 0; k < 4; k++) {
        exh_penalty_table t = table_for(KINDS[k]), back;
        /* values that need every digit, and infinities */
        t.nb201.replace[1][2] = t.nb201.replace[2][1] = 0.1;
        t.nb201.disconnect = INFINITY;
        t.nb201.indel = 1.0 / 3.0;
        t.convchain.kernel = INFINITY;
        t.convchain.same_stride_indel = 2.5;
        t.dense.indel[EXH_DENSE_OP_DROPOUT] = 0.3;
        t.dense.units = 0;
        t.graph.input = 1e-7;
        /* the other kinds' parts come back as defaults: keep them so */
        exh_penalty_table defaults = table_for(KINDS[k]);
        if (k != 0)
            t.nb201 = defaults.nb201;
        if (k != 1)
            t.convchain = defaults.convchain;
        if (k != 2)
            t.dense = defaults.dense;
        if (k != 3)
            t.graph = defaults.graph;
        char *json;
        assert_int_equal(exh_penalties_to_json(&t, &json, &err), 0);
        assert_int_equal(exh_penalties_from_json(json, "round.json", &back, &err), 0);
        assert_same_table(&t, &back);
        free(json);

        char name[32];
        snprintf(name, sizeof name, "%s.json", KINDS[k]);
        char path[512];
        snprintf(path, sizeof path, "%s", test_temp_path(name));
        assert_int_equal(exh_penalties_save(path, &t, &err), 0);
        assert_int_equal(exh_penalties_load(path, &back, &err), 0);
        assert_same_table(&t, &back);
    }
}

static void test_json_partial_and_inf_spellings(void **state)
{
    (void)state;
    exh_error err;
    exh_penalty_table t;
    assert_int_equal(exh_penalties_from_json("{\"kind\": \"convchain\", \"same_stride_indel\": 3}",
                                             NULL, &t, &err),
                     0);
    assert_int_equal(t.kind, EXH_PENALTY_CONVCHAIN);
    assert_true(t.convchain.same_stride_indel == 3.0);
    assert_true(t.convchain.filters == 1.0 && isinf(t.convchain.stride));
    assert_int_equal(
        exh_penalties_from_json("{\"kind\": \"graph\", \"indel\": \"Infinity\", \"op\": \"INF\"}",
                                NULL, &t, &err),
        0);
    assert_true(isinf(t.graph.indel) && isinf(t.graph.op) && t.graph.input == 0.5);
    assert_int_equal(exh_penalties_from_json("{\"kind\": \"dense\", \"indel\": {\"skip\": 4}}", NULL,
                                             &t, &err),
                     0);
    assert_true(t.dense.indel[EXH_DENSE_OP_SKIP] == 4.0 && t.dense.indel[EXH_DENSE_OP_DENSE] == 1.0);
}

/* Each bad document fails with `code` and a message containing `needle`. */
static void expect_bad(const char *json, int code, const char *needle)
{
    exh_penalty_table t;
    exh_error err;
    exh_error_clear(&err);
    int rc = exh_penalties_from_json(json, "bad.json", &t, &err);
    if (rc != code || !strstr(err.message, needle))
        fail_msg("%s: got %d '%s', expected %d with '%s'", json, rc, err.message, code, needle);
    assert_non_null(strstr(err.message, "bad.json"));
}

static void test_json_errors(void **state)
{
    (void)state;
    expect_bad("{\"kind\": \"nb201\",\n  \"indel\": }", EXH_ERR_PARSE, "bad.json:2:");
    expect_bad("[1, 2]", EXH_ERR_PARSE, "expected a JSON object");
    expect_bad("{}", EXH_ERR_PARSE, "kind: missing");
    expect_bad("{\"kind\": 3}", EXH_ERR_PARSE, "kind: missing");
    expect_bad("{\"kind\": \"lstm\"}", EXH_ERR_INVALID, "lstm");
    expect_bad("{\"kind\": \"nb201\", \"filters\": 1}", EXH_ERR_PARSE, "filters: unknown key");
    expect_bad("{\"kind\": \"convchain\", \"kernel\": -1}", EXH_ERR_PARSE, "kernel: expected");
    expect_bad("{\"kind\": \"convchain\", \"kernel\": \"big\"}", EXH_ERR_PARSE, "kernel");
    expect_bad("{\"kind\": \"convchain\", \"kernel\": null}", EXH_ERR_PARSE, "kernel");
    expect_bad("{\"kind\": \"nb201\", \"replace\": [[0]]}", EXH_ERR_PARSE, "replace: expected");
    expect_bad("{\"kind\": \"nb201\", \"replace\": [[0,1,1,1,1],[1,0,1,1,1],[1,1,0,1],"
               "[1,1,1,0,1],[1,1,1,1,0]]}",
               EXH_ERR_PARSE, "replace[2]");
    expect_bad("{\"kind\": \"nb201\", \"replace\": [[0,1,1,1,1],[1,0,1,1,1],[1,1,0,1,\"x\"],"
               "[1,1,1,0,1],[1,1,1,1,0]]}",
               EXH_ERR_PARSE, "replace[2][4]");
    expect_bad("{\"kind\": \"nb201\", \"replace\": [[0,1,1,1,1],[1,0,1,1,1],[1,1,7,1,1],"
               "[1,1,1,0,1],[1,1,1,1,0]]}",
               EXH_ERR_INVALID, "replace[2][2]");
    expect_bad("{\"kind\": \"nb201\", \"operations\": [\"none\", \"skip_connect\", "
               "\"nor_conv_3x3\", \"nor_conv_1x1\", \"avg_pool_3x3\"]}",
               EXH_ERR_PARSE, "operations[2]");
    expect_bad("{\"kind\": \"nb201\", \"operations\": \"none\"}", EXH_ERR_PARSE, "operations");
    expect_bad("{\"kind\": \"dense\", \"indel\": {\"conv\": 1}}", EXH_ERR_PARSE, "indel.conv");
    expect_bad("{\"kind\": \"dense\", \"indel\": 1}", EXH_ERR_PARSE, "indel");
    expect_bad("{\"kind\": \"graph\", \"op\": 1, \"op\": 2}", EXH_ERR_PARSE, "bad.json:");
    expect_bad("", EXH_ERR_PARSE, "bad.json:");

    exh_penalty_table t;
    exh_error err;
    assert_int_equal(exh_penalties_load(test_temp_path("absent.json"), &t, &err), EXH_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "absent.json"));
    char *path = test_write_file("nul.json", "{\"kind\": \"graph\"}");
    FILE *f = fopen(path, "ab");
    fputc('\0', f);
    fputs("x", f);
    fclose(f);
    assert_int_equal(exh_penalties_load(path, &t, &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "NUL"));
    t = table_for("nb201");
    t.nb201.disconnect = -1;
    assert_int_equal(exh_penalties_save(test_temp_path("never.json"), &t, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_penalties_save("/nonexistent-dir/p.json", &t, &err), EXH_ERR_INVALID);
    t = table_for("nb201");
    assert_int_equal(exh_penalties_save("/nonexistent-dir/p.json", &t, &err), EXH_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent-dir/p.json"));
}

/* Truncations and random byte changes of valid documents: never a crash,
 * and every failure says something. */
static void test_json_mutations(void **state)
{
    (void)state;
    exh_rng *g = exh_rng_new(17);
    for (int k = 0; k < 4; k++) {
        exh_penalty_table t = table_for(KINDS[k]), back;
        char *json;
        exh_error err;
        assert_int_equal(exh_penalties_to_json(&t, &json, &err), 0);
        size_t length = strlen(json);
        char *copy = malloc(length + 1);
        for (size_t cut = 0; cut < length; cut++) {
            memcpy(copy, json, cut);
            copy[cut] = '\0';
            exh_error_clear(&err);
            if (exh_penalties_from_json(copy, "cut.json", &back, &err) < 0)
                assert_true(strlen(err.message) > 0);
        }
        static const char BYTES[] = "{}[],:\"0123456789.-eE infnull\\\x01\xff";
        for (int trial = 0; trial < 3000; trial++) {
            memcpy(copy, json, length + 1);
            for (int changes = 1 + (int)exh_rng_below(g, 3); changes > 0; changes--)
                copy[exh_rng_below(g, (uint32_t)length)] = BYTES[exh_rng_below(g, sizeof BYTES - 1)];
            exh_error_clear(&err);
            int rc = exh_penalties_from_json(copy, "mutated.json", &back, &err);
            if (rc < 0)
                assert_true(strlen(err.message) > 0);
            else
                assert_int_equal(exh_penalties_validate(&back, &err), 0);
        }
        free(copy);
        free(json);
    }
    exh_rng_free(g);
}

/* ---- penalties_fit --------------------------------------------------------
 * A synthetic NB201 repository whose accuracy is 40 + 8 * (number of
 * conv3x3 edges), nothing else mattering (disconnected cells included): the
 * default table, which calls conv3x3 and conv1x1 close, is a poor fit, and
 * a better one should be found. */

static exh_knn_repository *synthetic_repository(int models, uint64_t seed)
{
    exh_space *s;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    exh_penalty_table t = table_for("nb201");
    exh_knn_repository *r;
    assert_int_equal(exh_knn_repository_new(&t, EXH_KNN_ACCURACY, &r, &err), 0);
    exh_rng *g = exh_rng_new(seed);
    for (int m = 0; m < models; m++) {
        exh_arch a;
        assert_int_equal(exh_space_sample(s, g, &a, &err), 0);
        exh_layer layers[6];
        assert_int_equal(exh_space_layers(s, &a, layers, 6), 6);
        int conv3 = 0;
        for (int e = 0; e < 6; e++)
            conv3 += layers[e].op == EXH_NB201_CONV3X3;
        double accuracy = 40.0 + 8.0 * conv3;
        exh_knn_curve curve = {.epochs = 1, .channel = {&accuracy}};
        assert_int_equal(exh_knn_repository_add(r, NULL, layers, 6, &curve, &err), 0);
    }
    exh_rng_free(g);
    exh_space_free(s);
    return r;
}

static void test_fit_improves_and_is_deterministic(void **state)
{
    (void)state;
    exh_knn_repository *r = synthetic_repository(250, 5);
    exh_penalties_fit_options o;
    exh_penalties_fit_options_default(&o);
    o.rounds = 3;
    exh_error err;
    exh_penalty_table first = table_for("nb201"), second = table_for("nb201");
    exh_penalties_fit_result a, b;
    assert_int_equal(exh_penalties_fit(r, &o, &first, &a, &err), 0);
    assert_int_equal(exh_penalties_fit(r, &o, &second, &b, &err), 0);
    assert_same_table(&first, &second);
    assert_true(a.final_error == b.final_error && a.evaluations == b.evaluations);
    assert_int_equal(a.models, 250);
    assert_true(a.final_error <= a.initial_error);
    assert_true(a.final_error < 0.8 * a.initial_error);
    assert_true(a.evaluations > 1);
    assert_int_equal(exh_penalties_validate(&first, &err), 0);
    /* indel stays infinite (a structural rule), the diagonal 0, pairs symmetric */
    assert_true(isinf(first.nb201.indel));
    for (int x = 0; x < EXH_NB201_OPERATIONS; x++)
        for (int y = 0; y < EXH_NB201_OPERATIONS; y++)
            assert_true(first.nb201.replace[x][y] == first.nb201.replace[y][x]);
    /* the fitted entries sit on the grid */
    double scaled = first.nb201.replace[2][3] / EXH_PENALTIES_FIT_GRID;
    assert_true(scaled == floor(scaled));
    /* the repository itself keeps its table */
    exh_penalty_table defaults = table_for("nb201");
    assert_same_table(exh_knn_repository_penalties(r), &defaults);

    /* subsampling */
    o.max_models = 60;
    o.rounds = 1;
    exh_penalty_table third = table_for("nb201");
    assert_int_equal(exh_penalties_fit(r, &o, &third, &a, &err), 0);
    assert_int_equal(a.models, 60);
    exh_knn_repository_free(r);
}

static void test_fit_errors(void **state)
{
    (void)state;
    exh_knn_repository *r = synthetic_repository(4, 9);
    exh_penalties_fit_options o;
    exh_penalties_fit_options_default(&o);
    exh_error err;
    exh_penalty_table t = table_for("nb201");
    assert_int_equal(exh_penalties_fit(r, &o, &t, NULL, &err), EXH_ERR_INVALID); /* K = 5 > 3 */
    assert_non_null(strstr(err.message, "K = 5"));
    o.k = 3;
    assert_int_equal(exh_penalties_fit(r, &o, &t, NULL, &err), 0);
    exh_penalty_table other = table_for("graph");
    assert_int_equal(exh_penalties_fit(r, &o, &other, NULL, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "graph"));
    o.k = 0;
    assert_int_equal(exh_penalties_fit(r, &o, &t, NULL, &err), EXH_ERR_INVALID);
    exh_knn_repository_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_partial_and_inf_spellings),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_json_mutations),
        cmocka_unit_test(test_fit_improves_and_is_deterministic),
        cmocka_unit_test(test_fit_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
