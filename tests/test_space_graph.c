/* Tests for the "graph" space: parsing recipe JSON and the text form,
 * canonical order, sampling, mutation, bad input, and the 345 real
 * NAS-Bench-NLP recipes (skipped without ../shared/data). */
#include "testutil.h"

#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/space.h"
#include "exhaust/space_graph.h"
#include "util/csv.h"
#include "util/file.h"

static exh_space *open_graph(void)
{
    exh_space *s = NULL;
    exh_error err;
    int rc = exh_space_open("graph", &s, &err);
    if (rc < 0)
        fail_msg("space_open(graph): %s", err.message);
    return s;
}

static void parse_ok(exh_space *s, const char *text, exh_arch *out)
{
    exh_error err;
    if (exh_space_parse(s, text, out, &err) < 0)
        fail_msg("parse failed: %s\n  input: %.200s", err.message, text);
}

/* Recipes covering every op, multiple outputs, outputs used as inputs,
 * repeated use of one node, and a node no output needs. */
static const char *const handmade_recipes[] = {
    "{\"f\": {\"op\": \"linear\", \"input\": [\"x\", \"h_prev_0\"]},"
    " \"h_new_0\": {\"op\": \"activation_tanh\", \"input\": [\"f\"]}}",
    "{\"h_new_0\": {\"op\": \"blend\", \"input\": [\"g\", \"h_prev_0\", \"c\"]},"
    " \"g\": {\"op\": \"activation_sigm\", \"input\": [\"lg\"]},"
    " \"lg\": {\"op\": \"linear\", \"input\": [\"x\", \"h_prev_0\", \"h_prev_1\"]},"
    " \"c\": {\"op\": \"activation_leaky_relu\", \"input\": [\"lc\"]},"
    " \"lc\": {\"op\": \"linear\", \"input\": [\"x\"]},"
    " \"h_new_1\": {\"op\": \"elementwise_sum\", \"input\": [\"h_new_0\", \"p\"]},"
    " \"p\": {\"op\": \"elementwise_prod\", \"input\": [\"g\", \"h_prev_1\"]}}",
    "{\"a\": {\"op\": \"linear\", \"input\": [\"x\", \"h_prev_2\"]},"
    " \"b\": {\"op\": \"activation_tanh\", \"input\": [\"a\"]},"
    " \"c\": {\"op\": \"elementwise_prod\", \"input\": [\"b\", \"b\"]},"
    " \"h_new_2\": {\"op\": \"linear\", \"input\": [\"c\", \"a\"]},"
    " \"h_new_1\": {\"op\": \"activation_sigm\", \"input\": [\"a\"]},"
    " \"h_new_0\": {\"op\": \"elementwise_sum\", \"input\": [\"c\", \"h_prev_1\"]}}",
};

static int is_output_name(const char *name)
{
    regex_t re;
    regcomp(&re, "^h_new_[0-9]+$", REG_EXTENDED | REG_NOSUB);
    int match = regexec(&re, name, 0, NULL, 0) == 0;
    regfree(&re);
    return match;
}

/* The recipe with every intermediate node renamed at random and the keys in
 * a random order; a malloc'd JSON string. */
static char *rename_and_shuffle(const char *recipe_json, exh_rng *r)
{
    json_error_t json_err;
    json_t *recipe = json_loads(recipe_json, 0, &json_err);
    assert_non_null(recipe);
    size_t count = json_object_size(recipe);
    const char **old_names = calloc(count, sizeof *old_names);
    char(*new_names)[32] = calloc(count, sizeof *new_names);
    size_t *order = calloc(count, sizeof *order);
    const char *key;
    json_t *value;
    size_t i = 0;
    json_object_foreach(recipe, key, value)
    {
        old_names[i] = key;
        if (is_output_name(key))
            snprintf(new_names[i], sizeof new_names[i], "%s", key);
        else /* the index keeps names unique; the random part makes them arbitrary */
            snprintf(new_names[i], sizeof new_names[i], "t%u_%zu",
                     (unsigned)exh_rng_below(r, 1u << 30), i);
        order[i] = i;
        i++;
    }
    for (i = count; i > 1; i--) {
        size_t j = exh_rng_below(r, (uint32_t)i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    json_t *renamed = json_object();
    for (i = 0; i < count; i++) {
        json_t *node = json_deep_copy(json_object_get(recipe, old_names[order[i]]));
        json_t *inputs = json_object_get(node, "input");
        for (size_t k = 0; k < json_array_size(inputs); k++)
            for (size_t n = 0; n < count; n++)
                if (strcmp(json_string_value(json_array_get(inputs, k)), old_names[n]) == 0)
                    json_array_set_new(inputs, k, json_string(new_names[n]));
        json_object_set_new(renamed, new_names[order[i]], node);
    }
    char *text = json_dumps(renamed, JSON_PRESERVE_ORDER);
    json_decref(renamed);
    json_decref(recipe);
    free(old_names);
    free(new_names);
    free(order);
    return text;
}

/* parse -> format -> parse and -> recipe JSON -> parse give the same arch. */
static void check_round_trips(exh_space *s, const exh_arch *a)
{
    char text[EXH_SPACE_TEXT_MAX];
    exh_arch again;
    exh_error err;
    assert_true(exh_space_format(s, a, text, sizeof text) > 0);
    parse_ok(s, text, &again);
    assert_true(exh_arch_equal(a, &again));
    char *json = NULL;
    assert_int_equal(exh_graph_recipe_json(a, &json, &err), 0);
    parse_ok(s, json, &again);
    assert_true(exh_arch_equal(a, &again));
    free(json);
    char sequence[4096];
    assert_true(exh_space_format_sequence(a, sequence, sizeof sequence) > 0);
    parse_ok(s, sequence, &again);
    assert_true(exh_arch_equal(a, &again));
}

static void check_rename_invariance(exh_space *s, const char *recipe_json, exh_rng *r, int trials)
{
    exh_arch original, renamed;
    char text[EXH_SPACE_TEXT_MAX], renamed_text[EXH_SPACE_TEXT_MAX];
    parse_ok(s, recipe_json, &original);
    assert_true(exh_space_format(s, &original, text, sizeof text) > 0);
    for (int t = 0; t < trials; t++) {
        char *shuffled = rename_and_shuffle(recipe_json, r);
        parse_ok(s, shuffled, &renamed);
        assert_true(exh_space_format(s, &renamed, renamed_text, sizeof renamed_text) > 0);
        if (!exh_arch_equal(&original, &renamed) || strcmp(text, renamed_text) != 0)
            fail_msg("renaming changed the architecture:\n  %s\n  %s\n  from %s", text,
                     renamed_text, shuffled);
        free(shuffled);
    }
}

static void test_handmade_round_trip_and_renaming(void **state)
{
    exh_space *s = open_graph();
    exh_rng *r = exh_rng_new(7);
    for (size_t i = 0; i < sizeof handmade_recipes / sizeof handmade_recipes[0]; i++) {
        exh_arch a;
        parse_ok(s, handmade_recipes[i], &a);
        check_round_trips(s, &a);
        check_rename_invariance(s, handmade_recipes[i], r, 50);
    }
    exh_rng_free(r);
    exh_space_free(s);
}

static void test_text_form_and_json_agree(void **state)
{
    exh_space *s = open_graph();
    exh_arch from_json, from_text, from_spaced;
    parse_ok(s, handmade_recipes[0], &from_json);
    parse_ok(s, "f=linear(x,h_prev_0) h_new_0=activation_tanh(f)", &from_text);
    parse_ok(s, "  h_new_0 = activation_tanh( q ) ;\n q=linear( x , h_prev_0 );", &from_spaced);
    assert_true(exh_arch_equal(&from_json, &from_text));
    assert_true(exh_arch_equal(&from_json, &from_spaced));
    char text[EXH_SPACE_TEXT_MAX];
    exh_space_format(s, &from_json, text, sizeof text);
    assert_string_equal(text, "n0=linear(x,h_prev_0) h_new_0=activation_tanh(n0)");
    /* Two nodes, five positions each: [op, in1, in2, in3, output]. */
    assert_int_equal(from_json.length, 2 * EXH_GRAPH_TOKENS_PER_NODE);
    assert_int_equal(from_json.token[0], EXH_GRAPH_OP_LINEAR);
    assert_int_equal(from_json.token[1], 1 + 0); /* x */
    assert_int_equal(from_json.token[2], 1 + 1); /* h_prev_0 */
    assert_int_equal(from_json.token[3], 0);
    assert_int_equal(from_json.token[4], 0);
    assert_int_equal(from_json.token[5], EXH_GRAPH_OP_ACTIVATION_TANH);
    assert_int_equal(from_json.token[6], 1 + EXH_GRAPH_SOURCE_COUNT + 0); /* node 0 */
    assert_int_equal(from_json.token[9], 1 + 0);                      /* h_new_0 */
    exh_space_free(s);
}

/* Post-order from h_new_0 then h_new_1, inputs in listed order; a node no
 * output needs is dropped. */
static void test_canonical_order(void **state)
{
    exh_space *s = open_graph();
    exh_arch a;
    char text[EXH_SPACE_TEXT_MAX];
    parse_ok(s, "h_new_1=linear(b) unused=activation_tanh(x) h_new_0=elementwise_sum(b,a) "
                "a=activation_sigm(h_prev_0) b=activation_tanh(x)", &a);
    exh_space_format(s, &a, text, sizeof text);
    assert_string_equal(text, "n0=activation_tanh(x) n1=activation_sigm(h_prev_0) "
                              "h_new_0=elementwise_sum(n0,n1) h_new_1=linear(n0)");
    exh_layer layers[8];
    assert_int_equal(exh_space_layers(s, &a, layers, 8), 4);
    assert_int_equal(layers[2].op, EXH_GRAPH_OP_ELEMENTWISE_SUM);
    assert_int_equal(layers[2].input_count, 2);
    assert_int_equal(layers[2].inputs[0], EXH_GRAPH_SOURCE_COUNT + 0);
    assert_int_equal(layers[2].inputs[1], EXH_GRAPH_SOURCE_COUNT + 1);
    assert_int_equal(layers[2].inputs[2], -1);
    assert_string_equal(exh_space_op_name(s, layers[2].op), "elementwise_sum");
    exh_space_free(s);
}

static void test_arity_depends_on_node_index(void **state)
{
    exh_space *s = open_graph();
    exh_arch a;
    parse_ok(s, handmade_recipes[1], &a);
    for (int p = 0; p < a.length; p++) {
        int node = p / EXH_GRAPH_TOKENS_PER_NODE, field = p % EXH_GRAPH_TOKENS_PER_NODE;
        int expected = field == 0 ? EXH_GRAPH_OP_COUNT
                       : field == 4 ? 1 + EXH_GRAPH_MAX_OUTPUTS
                                    : 1 + EXH_GRAPH_SOURCE_COUNT + node;
        assert_int_equal(exh_space_arity(s, &a, p), expected);
    }
    assert_int_equal(exh_space_size(s), -1);
    exh_error err;
    assert_true(exh_space_enumerate(s, 0, &a, &err) < 0);
    exh_space_free(s);
}

static void test_sample_valid_and_seeded(void **state)
{
    exh_space *s = open_graph();
    exh_rng *r1 = exh_rng_new(42), *r2 = exh_rng_new(42), *r3 = exh_rng_new(43);
    int op_seen[EXH_GRAPH_OP_COUNT] = {0}, outputs_seen[EXH_GRAPH_MAX_OUTPUTS + 1] = {0};
    int differs = 0;
    exh_error err;
    for (int i = 0; i < 2000; i++) {
        exh_arch a, b, c;
        assert_int_equal(exh_space_sample(s, r1, &a, &err), 0);
        assert_int_equal(exh_space_sample(s, r2, &b, &err), 0);
        assert_int_equal(exh_space_sample(s, r3, &c, &err), 0);
        assert_true(exh_arch_equal(&a, &b));
        differs += !exh_arch_equal(&a, &c);
        if (exh_space_validate(s, &a, &err) < 0)
            fail_msg("sample %d invalid: %s", i, err.message);
        int nodes = a.length / EXH_GRAPH_TOKENS_PER_NODE, outputs = 0;
        assert_true(nodes >= 1 && nodes <= EXH_GRAPH_SAMPLE_MAX_NODES);
        for (int n = 0; n < nodes; n++) {
            op_seen[a.token[n * EXH_GRAPH_TOKENS_PER_NODE]]++;
            outputs += a.token[n * EXH_GRAPH_TOKENS_PER_NODE + 4] != 0;
        }
        outputs_seen[outputs]++;
        if (i % 20 == 0)
            check_round_trips(s, &a);
    }
    assert_true(differs > 1900);
    for (int op = 0; op < EXH_GRAPH_OP_COUNT; op++)
        assert_true(op_seen[op] > 0);
    for (int k = 1; k <= EXH_GRAPH_MAX_OUTPUTS; k++)
        assert_true(outputs_seen[k] > 2000 / 10);
    exh_rng_free(r1);
    exh_rng_free(r2);
    exh_rng_free(r3);
    exh_space_free(s);
}

static int differing_positions(const exh_arch *a, const exh_arch *b, int *where)
{
    int count = 0;
    for (int i = 0; i < a->length; i++)
        if (a->token[i] != b->token[i]) {
            *where = i;
            count++;
        }
    return count;
}

static void test_mutate_changes_one_position_and_stays_valid(void **state)
{
    exh_space *s = open_graph();
    exh_rng *r = exh_rng_new(5);
    exh_error err;
    exh_arch a;
    assert_int_equal(exh_space_sample(s, r, &a, &err), 0);
    for (int i = 0; i < 5000; i++) {
        exh_arch child;
        int position = -1, where = -1;
        if (exh_space_mutate(s, r, &a, &child, &position, NULL, &err) < 0)
            fail_msg("mutate %d: %s", i, err.message);
        assert_int_equal(child.length, a.length);
        assert_int_equal(differing_positions(&a, &child, &where), 1);
        assert_int_equal(where, position);
        if (exh_space_validate(s, &child, &err) < 0)
            fail_msg("mutation %d invalid: %s", i, err.message);
        /* Walk on from the child, restarting now and then for variety. */
        if (i % 50 == 49)
            assert_int_equal(exh_space_sample(s, r, &a, &err), 0);
        else
            a = child;
    }
    exh_rng_free(r);
    exh_space_free(s);
}

static void test_mutate_respects_weights(void **state)
{
    exh_space *s = open_graph();
    exh_rng *r = exh_rng_new(9);
    exh_arch a, child;
    exh_error err;
    parse_ok(s, handmade_recipes[1], &a);
    double weights[EXH_ARCH_MAX_TOKENS] = {0};
    weights[EXH_GRAPH_TOKENS_PER_NODE] = 1.0; /* node 1's op */
    for (int i = 0; i < 100; i++) {
        int position = -1;
        assert_int_equal(exh_space_mutate(s, r, &a, &child, &position, weights, &err), 0);
        assert_int_equal(position, EXH_GRAPH_TOKENS_PER_NODE);
    }
    double none[EXH_ARCH_MAX_TOKENS] = {0};
    assert_true(exh_space_mutate(s, r, &a, &child, NULL, none, &err) < 0);
    exh_rng_free(r);
    exh_space_free(s);
}

static void expect_error(exh_space *s, const char *text, const char *fragment)
{
    exh_arch a;
    exh_error err = {0};
    int rc = exh_space_parse(s, text, &a, &err);
    if (rc >= 0)
        fail_msg("parse accepted bad input: %.200s", text);
    assert_int_equal(rc, err.code);
    if (fragment && !strstr(err.message, fragment))
        fail_msg("message '%s' lacks '%s' (input %.100s)", err.message, fragment, text);
}

static void test_bad_recipes(void **state)
{
    exh_space *s = open_graph();
    expect_error(s, "{\"h_new_0\": {\"op\": \"linear\", \"input\": [\"x\"]", "line 1");
    expect_error(s, "{\"a\": 1}", "'a'");
    expect_error(s, "[]", NULL);
    expect_error(s, "{}", "no nodes");
    expect_error(s, "{\"h_new_0\": {\"op\": 3, \"input\": [\"x\"]}}", "h_new_0");
    expect_error(s, "{\"h_new_0\": {\"op\": \"linear\", \"input\": \"x\"}}", "h_new_0");
    expect_error(s, "{\"h_new_0\": {\"op\": \"linear\", \"input\": [1]}}", "not a string");
    expect_error(s, "{\"h_new_0\": {\"op\": \"linear\", \"input\": []}}", "0 inputs");
    expect_error(s, "{\"h_new_0\": {\"op\": \"conv\", \"input\": [\"x\"]}}", "unknown op 'conv'");
    expect_error(s, "{\"h_new_0\": {\"op\": \"linear\", \"input\": [\"y\"]}}", "'y'");
    expect_error(s, "{\"h_new_0\": {\"op\": \"linear\", \"input\": [\"x\"]},"
                    " \"h_new_0\": {\"op\": \"linear\", \"input\": [\"x\"]}}", "duplicate");
    expect_error(s, "h_new_0=blend(x,h_prev_0)", "takes 3 inputs");
    expect_error(s, "h_new_0=activation_tanh(x,h_prev_0)", "takes 1 input,");
    expect_error(s, "h_new_0=elementwise_sum(x)", "takes 2 inputs");
    expect_error(s, "h_new_0=linear(x,x,x,x)", "more than 3");
    expect_error(s, "a=linear(x)", "h_new_0");
    expect_error(s, "h_new_0=linear(x) h_new_2=linear(x)", "h_new_1");
    expect_error(s, "h_new_0=linear(x) h_new_3=linear(x)", "h_new_3");
    expect_error(s, "h_new_0=linear(x) h_new_01=linear(x)", "h_new_01");
    expect_error(s, "h_new_0=linear(x) x=linear(h_prev_0)", "source");
    expect_error(s, "h_new_0=linear(h_prev_9) h_prev_9=linear(x)", "source");
    expect_error(s, "h_new_0=linear(h_prev_3)", "h_prev_3");
    expect_error(s, "h_new_0=linear(x) a=linear(x) a=linear(h_prev_0)", "twice");
    expect_error(s, "h_new_0=linear(h_new_0)", "cycle");
    expect_error(s, "h_new_0=linear(a) a=linear(b) b=activation_tanh(a)", "cycle");
    /* A cycle no output reaches is still a broken recipe. */
    expect_error(s, "h_new_0=linear(x) a=linear(b) b=activation_tanh(a)", "cycle");
    expect_error(s, "h_new_0=linear(x", "offset");
    expect_error(s, "h_new_0 linear(x)", "'='");
    expect_error(s, "=linear(x)", "node name");
    expect_error(s, "h_new_0=linear x", "'('");
    expect_error(s, "h_new_0=linear(x,)", "input name");
    expect_error(s, "h_new_0=linear(x) )", NULL);
    expect_error(s, "", "no nodes");
    expect_error(s, "   ", NULL);
    exh_space_free(s);
}

/* Sequences that are in range position by position but not a valid,
 * canonical graph. */
static void test_bad_sequences(void **state)
{
    exh_space *s = open_graph();
    expect_error(s, "0,1,0,0", "positions");
    expect_error(s, "7,1,0,0,1", "op");
    expect_error(s, "0,6,0,0,1", "input");
    expect_error(s, "0,0,1,0,1", "unused");
    expect_error(s, "0,1,0,0,4", "output");
    expect_error(s, "4,1,0,0,1", "takes 2 inputs");
    expect_error(s, "0,1,0,0,0", "h_new_0");
    expect_error(s, "0,1,0,0,1, 0,2,0,0,1", "both h_new_0");
    /* Node 0 unused by the output node 1. */
    expect_error(s, "0,1,0,0,0, 0,2,0,0,1", "not reachable");
    /* Outputs in the wrong order: h_new_1 must come after h_new_0's subgraph. */
    expect_error(s, "0,1,0,0,2, 0,2,0,0,1", "canonical");
    expect_error(s, "1,2", "positions");
    expect_error(s, "[0,1,0,0,1", "]");
    expect_error(s, "0,-1,0,0,1", NULL);
    exh_space_free(s);
}

static void test_huge_inputs(void **state)
{
    exh_space *s = open_graph();
    /* More nodes than fit an arch, as JSON and as text. */
    size_t capacity = 1 << 20;
    char *text = malloc(capacity);
    size_t used = (size_t)snprintf(text, capacity,
                                   "{\"h_new_0\": {\"op\": \"linear\", \"input\": [\"x\"]}");
    for (int i = 0; i < 1000; i++)
        used += (size_t)snprintf(text + used, capacity - used,
                                 ", \"n%d\": {\"op\": \"linear\", \"input\": [\"x\"]}", i);
    snprintf(text + used, capacity - used, "}");
    expect_error(s, text, "at most");
    used = 0;
    for (int i = 0; i < 1000; i++)
        used += (size_t)snprintf(text + used, capacity - used, "n%d=linear(x) ", i);
    expect_error(s, text, "more than");
    /* A very long name, and deeply nested JSON. */
    memset(text, 'a', 100000);
    memcpy(text, "h_new_0=linear(", 15);
    strcpy(text + 100000, ")");
    expect_error(s, text, "longer");
    for (int i = 0; i < 100000; i++)
        text[i] = i < 50000 ? '[' : ']';
    text[0] = '{';
    text[100000] = '\0';
    expect_error(s, text, NULL);
    free(text);
    exh_space_free(s);
}

/* Every truncation and single-byte corruption of valid text: parse must not
 * crash, and anything it accepts must print and re-parse to itself. */
static void test_corrupted_text_never_crashes(void **state)
{
    exh_space *s = open_graph();
    exh_rng *r = exh_rng_new(11);
    static const char replacements[] = "(),={}[]\"0123 ax_:;\n";
    for (size_t i = 0; i < sizeof handmade_recipes / sizeof handmade_recipes[0]; i++) {
        exh_arch a;
        char text[EXH_SPACE_TEXT_MAX];
        parse_ok(s, handmade_recipes[i], &a);
        exh_space_format(s, &a, text, sizeof text);
        const char *sources[2] = {handmade_recipes[i], text};
        for (int k = 0; k < 2; k++) {
            size_t n = strlen(sources[k]);
            char *copy = malloc(n + 1);
            for (size_t cut = 0; cut <= n; cut++) {
                memcpy(copy, sources[k], n + 1);
                if (exh_rng_below(r, 2))
                    copy[cut] = '\0';
                else if (cut < n)
                    copy[cut] = replacements[exh_rng_below(r, sizeof replacements - 1)];
                exh_arch parsed, again;
                exh_error err;
                char printed[EXH_SPACE_TEXT_MAX];
                if (exh_space_parse(s, copy, &parsed, &err) == 0) {
                    assert_true(exh_space_format(s, &parsed, printed, sizeof printed) > 0);
                    parse_ok(s, printed, &again);
                    assert_true(exh_arch_equal(&parsed, &again));
                }
            }
            free(copy);
        }
    }
    exh_rng_free(r);
    exh_space_free(s);
}

/* All recipes of NAS-Bench-NLP's runs.csv, by JSON op name counts too. */
static void test_real_recipes(void **state)
{
    const char *dir = test_data_dir();
    if (!dir) {
        printf("SKIP: real data not found (EXHAUST_DATA); "
               "test_real_recipes needs ../shared/data\n");
        skip();
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/nas-bench-nlp/runs.csv", dir);
    char *data;
    size_t size;
    exh_error err;
    assert_int_equal(file_read_all(path, &data, &size, &err), 0);
    csv_reader reader;
    csv_open(&reader, data, size);
    assert_int_equal(csv_next(&reader, &err), 1);
    int column = csv_column(&reader, "recipe_json");
    assert_true(column >= 0);
    exh_space *s = open_graph();
    exh_rng *r = exh_rng_new(2024);
    int recipes = 0, rc;
    while ((rc = csv_next(&reader, &err)) > 0) {
        const char *recipe = reader.fields[column];
        exh_arch a;
        if (exh_space_parse(s, recipe, &a, &err) < 0)
            fail_msg("%s:%ld: %s", path, reader.line, err.message);
        json_t *parsed = json_loads(recipe, 0, NULL);
        exh_layer layers[EXH_GRAPH_MAX_NODES];
        /* Every real recipe node feeds an output, so none is dropped. */
        assert_int_equal(exh_space_layers(s, &a, layers, EXH_GRAPH_MAX_NODES),
                         (int)json_object_size(parsed));
        json_decref(parsed);
        check_round_trips(s, &a);
        check_rename_invariance(s, recipe, r, 3);
        exh_arch child;
        assert_int_equal(exh_space_mutate(s, r, &a, &child, NULL, NULL, &err), 0);
        assert_int_equal(exh_space_validate(s, &child, &err), 0);
        recipes++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(recipes, 345);
    exh_rng_free(r);
    exh_space_free(s);
    csv_close(&reader);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handmade_round_trip_and_renaming),
        cmocka_unit_test(test_text_form_and_json_agree),
        cmocka_unit_test(test_canonical_order),
        cmocka_unit_test(test_arity_depends_on_node_index),
        cmocka_unit_test(test_sample_valid_and_seeded),
        cmocka_unit_test(test_mutate_changes_one_position_and_stays_valid),
        cmocka_unit_test(test_mutate_respects_weights),
        cmocka_unit_test(test_bad_recipes),
        cmocka_unit_test(test_bad_sequences),
        cmocka_unit_test(test_huge_inputs),
        cmocka_unit_test(test_corrupted_text_never_crashes),
        cmocka_unit_test(test_real_recipes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
