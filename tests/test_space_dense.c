/* Tests for the "dense:FILE" space: the JSON schema (choices, expansion,
 * errors), the arch_seq text form, enumeration order, uniform sampling,
 * mutation and the layer view. */
#include "testutil.h"

#include <gsl/gsl_cdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/space.h"
#include "exhaust/space_dense.h"

static const char *example_path(const char *name)
{
    static char path[1024];
    const char *source = getenv("EXHAUST_SOURCE");
    snprintf(path, sizeof path, "dense:%s/examples/spaces/%s", source ? source : ".", name);
    return path;
}

static exh_space *open_ok(const char *name)
{
    exh_space *s = NULL;
    exh_error err;
    if (exh_space_open(name, &s, &err) < 0)
        fail_msg("space_open(%s): %s", name, err.message);
    return s;
}

/* Write a space file in the temp dir and open it. */
static exh_space *open_text(const char *json)
{
    char name[600];
    snprintf(name, sizeof name, "dense:%s", test_write_file("space.json", json));
    return open_ok(name);
}

/* Opening must fail with a message holding each fragment (NULL-terminated). */
static void expect_open_error(const char *json, const char *fragment)
{
    char name[600];
    snprintf(name, sizeof name, "dense:%s", test_write_file("bad.json", json));
    exh_space *s = NULL;
    exh_error err = {0};
    int rc = exh_space_open(name, &s, &err);
    if (rc >= 0)
        fail_msg("opened a bad space: %s", json);
    assert_null(s);
    assert_int_equal(rc, err.code);
    if (!strstr(err.message, "bad.json") || (fragment && !strstr(err.message, fragment)))
        fail_msg("message '%s' lacks the file name or '%s'", err.message, fragment);
}

static const char *const small_space =
    "{\"nodes\": ["
    " {\"name\": \"a\", \"choices\": [{\"type\": \"dense\", \"units\": [64, 32],"
    "                                 \"activation\": [\"relu\", \"tanh\"]},"
    "                                {\"type\": \"identity\"}]},"
    " {\"choices\": [{\"type\": \"dropout\", \"rate\": [0.1, 0.5]},"
    "               {\"type\": \"dense\", \"units\": 8}]},"
    " {\"name\": \"c\", \"choices\": [{\"type\": \"identity\"},"
    "                                {\"type\": \"skip\", \"from\": [\"input\", \"a\", 1]}]}"
    "]}";

/* The expansion order and every field of the layer view. */
static void test_choices_expand_in_documented_order(void **state)
{
    exh_space *s = open_text(small_space);
    exh_arch a = {.length = 3};
    int expected_arity[3] = {2 * 2 + 1, 2 + 1, 1 + 3};
    for (int i = 0; i < 3; i++)
        assert_int_equal(exh_space_arity(s, &a, i), expected_arity[i]);
    assert_int_equal(exh_space_arity(s, &a, 3), 0);
    /* units vary slowest: 64 relu, 64 tanh, 32 relu, 32 tanh, identity. */
    static const int units[] = {64, 64, 32, 32, 0};
    static const int activation[] = {EXH_DENSE_ACTIVATION_RELU, EXH_DENSE_ACTIVATION_TANH,
                                     EXH_DENSE_ACTIVATION_RELU, EXH_DENSE_ACTIVATION_TANH, 0};
    for (int choice = 0; choice < 5; choice++) {
        exh_layer layers[3];
        a.token[0] = choice;
        a.token[1] = 2;     /* dense 8, default activation */
        a.token[2] = 1 + 2; /* skip from node 1 */
        assert_int_equal(exh_space_layers(s, &a, layers, 3), 3);
        assert_int_equal(layers[0].op, choice < 4 ? EXH_DENSE_OP_DENSE : EXH_DENSE_OP_IDENTITY);
        assert_int_equal(layers[0].units, units[choice]);
        assert_int_equal(layers[0].activation, activation[choice]);
        assert_int_equal(layers[0].input_count, 0);
        assert_int_equal(layers[1].op, EXH_DENSE_OP_DENSE);
        assert_int_equal(layers[1].units, 8);
        assert_int_equal(layers[1].activation, EXH_DENSE_ACTIVATION_LINEAR);
        assert_int_equal(layers[2].op, EXH_DENSE_OP_SKIP);
        assert_int_equal(layers[2].input_count, 1);
        assert_int_equal(layers[2].inputs[0], 1 + 1); /* value position of node 1 */
        assert_int_equal(layers[2].inputs[1], -1);
    }
    exh_layer skip_layers[3];
    a.token[2] = 1; /* from the input */
    exh_space_layers(s, &a, skip_layers, 3);
    assert_int_equal(skip_layers[2].inputs[0], 0);
    a.token[2] = 2; /* from "a" */
    exh_space_layers(s, &a, skip_layers, 3);
    assert_int_equal(skip_layers[2].inputs[0], 1 + 0);
    assert_string_equal(exh_space_op_name(s, EXH_DENSE_OP_SKIP), "skip");
    assert_string_equal(exh_dense_activation_name(EXH_DENSE_ACTIVATION_SIGMOID), "sigmoid");
    assert_string_equal(exh_space_kind(s), "dense");
    exh_space_free(s);
}

static void test_text_forms(void **state)
{
    exh_space *s = open_ok(example_path("tiny.json"));
    exh_arch a, b;
    exh_error err;
    char text[EXH_SPACE_TEXT_MAX];
    assert_int_equal(exh_space_parse(s, "[1, 0, 3, 2, 1]", &a, &err), 0);
    assert_true(exh_space_format(s, &a, text, sizeof text) > 0);
    assert_string_equal(text, "[1, 0, 3, 2, 1]");
    static const char *const same[] = {"1,0,3,2,1", " 1 0 3 2 1 ", "[1,0,3,2,1]",
                                       "[ 1, 0,3 ,2, 1 ]"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        assert_int_equal(exh_space_parse(s, same[i], &b, &err), 0);
        assert_true(exh_arch_equal(&a, &b));
    }
    assert_int_equal(exh_space_parse_sequence(s, "1,0,3,2,1", &b, &err), 0);
    assert_true(exh_arch_equal(&a, &b));
    /* Too small a buffer is an error, not a truncation. */
    assert_true(exh_space_format(s, &a, text, 5) < 0);
    static const char *const bad[] = {
        "", "[]", "1,0,3,2", "1,0,3,2,1,0", "1,0,3,2,99", "1,0,-3,2,1", "1,0,x,2,1",
        "[1,0,3,2,1", "1,0,3,2,1]", "1,,0,3,2,1", "[1,0,3,2,1] 4", "99999999999999,0,0,0,0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.message[0] = '\0';
        if (exh_space_parse(s, bad[i], &b, &err) >= 0)
            fail_msg("accepted '%s'", bad[i]);
        assert_true(strlen(err.message) > 0);
    }
    exh_space_free(s);
}

/* Every architecture of tiny.json, in mixed-radix order. */
static void test_enumeration(void **state)
{
    exh_space *s = open_ok(example_path("tiny.json"));
    exh_arch a = {.length = 5}, previous = {0};
    int64_t product = 1;
    for (int i = 0; i < 5; i++)
        product *= exh_space_arity(s, &a, i);
    assert_int_equal(exh_space_size(s), product);
    exh_error err;
    char text[EXH_SPACE_TEXT_MAX];
    for (int64_t index = 0; index < product; index++) {
        assert_int_equal(exh_space_enumerate(s, index, &a, &err), 0);
        assert_int_equal(exh_space_validate(s, &a, &err), 0);
        assert_int_equal(exh_space_index(s, &a), index);
        if (index > 0) { /* position 0 most significant: lexicographic order */
            int p = exh_arch_common_prefix(&previous, &a);
            assert_true(p < a.length && a.token[p] > previous.token[p]);
        }
        exh_arch again;
        assert_true(exh_space_format(s, &a, text, sizeof text) > 0);
        assert_int_equal(exh_space_parse(s, text, &again, &err), 0);
        assert_true(exh_arch_equal(&a, &again));
        previous = a;
    }
    assert_true(exh_space_enumerate(s, product, &a, &err) < 0);
    assert_true(exh_space_enumerate(s, -1, &a, &err) < 0);
    exh_space_free(s);
}

/* 2^62 fits int64, 2^63 does not. */
static void test_size_overflow_boundary(void **state)
{
    for (int nodes = 62; nodes <= 63; nodes++) {
        char json[8192] = "{\"nodes\": [";
        for (int i = 0; i < nodes; i++)
            strcat(json, i ? ", {\"choices\": [{\"type\": \"identity\"}, {\"type\": \"dropout\", "
                             "\"rate\": 0.5}]}"
                           : "{\"choices\": [{\"type\": \"identity\"}, {\"type\": \"dropout\", "
                             "\"rate\": 0.5}]}");
        strcat(json, "]}");
        exh_space *s = open_text(json);
        exh_error err;
        exh_arch a;
        if (nodes == 62) {
            assert_int_equal(exh_space_size(s), (int64_t)1 << 62);
            assert_int_equal(exh_space_enumerate(s, ((int64_t)1 << 62) - 1, &a, &err), 0);
            for (int i = 0; i < nodes; i++)
                assert_int_equal(a.token[i], 1);
        } else {
            assert_int_equal(exh_space_size(s), -1);
            assert_true(exh_space_enumerate(s, 0, &a, &err) < 0);
        }
        exh_space_free(s);
    }
}

/* Chi-square goodness of fit per position against the uniform distribution. */
static void check_uniform(exh_space *s, uint64_t seed, int samples)
{
    exh_rng *r = exh_rng_new(seed);
    exh_arch a;
    exh_error err;
    assert_int_equal(exh_space_sample(s, r, &a, &err), 0);
    int length = a.length, most = 1;
    for (int i = 0; i < length; i++)
        most = exh_space_arity(s, &a, i) > most ? exh_space_arity(s, &a, i) : most;
    int *counts = calloc((size_t)length * (size_t)most, sizeof *counts);
    for (int n = 0; n < samples; n++) {
        assert_int_equal(exh_space_sample(s, r, &a, &err), 0);
        assert_int_equal(exh_space_validate(s, &a, &err), 0);
        for (int i = 0; i < length; i++)
            counts[i * most + a.token[i]]++;
    }
    for (int i = 0; i < length; i++) {
        int k = exh_space_arity(s, &a, i);
        double expected = (double)samples / k, statistic = 0.0;
        for (int c = 0; c < k; c++) {
            double d = counts[i * most + c] - expected;
            statistic += d * d / expected;
        }
        double p = k > 1 ? gsl_cdf_chisq_Q(statistic, k - 1) : 1.0;
        if (p < 1e-4)
            fail_msg("position %d: chi-square %.1f with %d dof, p = %g", i, statistic, k - 1, p);
    }
    free(counts);
    exh_rng_free(r);
}

static void test_sampling_is_uniform(void **state)
{
    exh_space *tiny = open_ok(example_path("tiny.json"));
    exh_space *candle = open_ok(example_path("candle_attn.json"));
    check_uniform(tiny, 1, 20000);
    check_uniform(candle, 2, 20000);
    exh_space_free(tiny);
    exh_space_free(candle);
}

static void test_same_seed_same_samples(void **state)
{
    exh_space *s = open_ok(example_path("candle_attn.json"));
    exh_rng *r1 = exh_rng_new(77), *r2 = exh_rng_new(77), *r3 = exh_rng_new(78);
    exh_error err;
    int differ = 0;
    for (int i = 0; i < 200; i++) {
        exh_arch a, b, c;
        exh_space_sample(s, r1, &a, &err);
        exh_space_sample(s, r2, &b, &err);
        exh_space_sample(s, r3, &c, &err);
        assert_true(exh_arch_equal(&a, &b));
        differ += !exh_arch_equal(&a, &c);
    }
    assert_true(differ > 190);
    exh_rng_free(r1);
    exh_rng_free(r2);
    exh_rng_free(r3);
    exh_space_free(s);
}

static void test_mutation(void **state)
{
    exh_space *s = open_ok(example_path("candle_attn.json"));
    exh_rng *r = exh_rng_new(3);
    exh_error err;
    exh_arch a;
    exh_space_sample(s, r, &a, &err);
    for (int n = 0; n < 5000; n++) {
        exh_arch child;
        int position = -1, changed = 0;
        assert_int_equal(exh_space_mutate(s, r, &a, &child, &position, NULL, &err), 0);
        assert_int_equal(exh_space_validate(s, &child, &err), 0);
        for (int i = 0; i < a.length; i++)
            if (a.token[i] != child.token[i]) {
                changed++;
                assert_int_equal(i, position);
            }
        assert_int_equal(changed, 1);
        a = child;
    }
    exh_rng_free(r);
    exh_space_free(s);
}

static void test_candle_attn(void **state)
{
    exh_space *s = open_ok(example_path("candle_attn.json"));
    exh_rng *r = exh_rng_new(4);
    exh_error err;
    exh_arch a;
    assert_int_equal(exh_space_sample(s, r, &a, &err), 0);
    assert_true(a.length >= 12);
    assert_int_equal(exh_space_size(s), -1); /* far beyond int64 */
    assert_int_equal(exh_space_index(s, &a), -1);
    assert_true(exh_space_enumerate(s, 0, &a, &err) < 0);
    exh_layer layers[EXH_ARCH_MAX_TOKENS];
    int dense_layers = 0, skips = 0;
    for (int n = 0; n < 100; n++) {
        exh_space_sample(s, r, &a, &err);
        int count = exh_space_layers(s, &a, layers, EXH_ARCH_MAX_TOKENS);
        assert_int_equal(count, a.length);
        for (int i = 0; i < count; i++) {
            dense_layers += layers[i].op == EXH_DENSE_OP_DENSE;
            if (layers[i].op == EXH_DENSE_OP_SKIP) {
                skips++;
                /* From the input or an earlier node, never itself or later. */
                assert_true(layers[i].inputs[0] >= 0 && layers[i].inputs[0] <= i);
            }
            if (layers[i].op == EXH_DENSE_OP_DENSE)
                assert_true(layers[i].units > 0);
        }
    }
    assert_true(dense_layers > 0 && skips > 0);
    exh_rng_free(r);
    exh_space_free(s);
}

static void test_schema_errors(void **state)
{
    expect_open_error("{\"nodes\": [}", "bad.json:1:");
    expect_open_error("[]", "expected an object");
    expect_open_error("{}", "nodes");
    expect_open_error("{\"nodes\": []}", "nodes");
    expect_open_error("{\"nodes\": [], \"extra\": 1}", "extra");
    expect_open_error("{\"nodes\": [3]}", "nodes[0]");
    expect_open_error("{\"nodes\": [{}]}", "nodes[0].choices");
    expect_open_error("{\"nodes\": [{\"choices\": []}]}", "nodes[0].choices");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"identity\"}], \"choice\": 1}]}",
                      "choice: unknown key");
    expect_open_error("{\"nodes\": [{\"choices\": [7]}]}", "nodes[0].choices[0]");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"conv\"}]}]}",
                      "nodes[0].choices[0].type");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"dense\", \"unit\": 3}]}]}", "unit");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"dense\"}]}]}", "units: missing");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"dense\", \"units\": [1, 2, 0]}]}]}",
                      "nodes[0].choices[0].units[2]");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"dense\", \"units\": -4}]}]}",
                      "units");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"dense\", \"units\": 1e3}]}]}",
                      "units");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"dense\","
                      " \"units\": 99999999999}]}]}",
                      "units");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"dense\", \"units\": []}]}]}",
                      "empty");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"dense\", \"units\": 4, "
                      "\"activation\": [\"relu\", \"rleu\"]}]}]}", "activation[1]");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"dropout\", \"rate\": 1.0}]}]}",
                      "rate");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"dropout\", \"rate\": \"a\"}]}]}",
                      "rate");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"identity\", \"rate\": 0.5}]}]}",
                      "rate");
    /* Skip sources must be earlier nodes. */
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"skip\", \"from\": 0}]}]}",
                      "earlier");
    expect_open_error("{\"nodes\": [{\"name\": \"a\", \"choices\": [{\"type\": \"identity\"}]},"
                      " {\"choices\": [{\"type\": \"skip\", \"from\": \"b\"}]},"
                      " {\"name\": \"b\", \"choices\": [{\"type\": \"identity\"}]}]}",
                      "nodes[1].choices[0].from");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"identity\"}]},"
                      " {\"choices\": [{\"type\": \"skip\", \"from\": \"zz\"}]}]}", "zz");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"identity\"}]},"
                      " {\"choices\": [{\"type\": \"skip\", \"from\": [\"input\", -1]}]}]}",
                      "from[1]");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"identity\"}]},"
                      " {\"choices\": [{\"type\": \"skip\", \"from\": 0.5}]}]}", "from");
    expect_open_error("{\"nodes\": [{\"name\": \"a\", \"choices\": [{\"type\": \"identity\"}]},"
                      " {\"name\": \"a\", \"choices\": [{\"type\": \"identity\"}]}]}",
                      "nodes[1].name");
    expect_open_error("{\"nodes\": [{\"name\": \"input\","
                      " \"choices\": [{\"type\": \"identity\"}]}]}",
                      "name");
    expect_open_error("{\"nodes\": [{\"name\": 5, \"choices\": [{\"type\": \"identity\"}]}]}",
                      "name");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"dense\", \"units\": [4, 8]},"
                      " {\"type\": \"dense\", \"units\": 4, \"activation\": \"linear\"}]}]}",
                      "repeats");
    expect_open_error("{\"nodes\": [{\"choices\": [{\"type\": \"identity\"}]}],"
                      " \"nodes\": [{\"choices\": [{\"type\": \"identity\"}]}]}", "duplicate");
}

static void test_size_limits(void **state)
{
    /* 110,000 units x 10 activations = 1.1 million choices in one node is
     * past DENSE_MAX_CHOICES. */
    char *json = malloc(1 << 21);
    int used = sprintf(json, "{\"nodes\": [{\"choices\": [{\"type\": \"dense\", \"units\": [");
    for (int i = 1; i <= 110000; i++)
        used += sprintf(json + used, i > 1 ? ", %d" : "%d", i);
    used += sprintf(json + used, "], \"activation\": [");
    for (int k = 0; k < EXH_DENSE_ACTIVATION_COUNT; k++)
        used += sprintf(json + used, "%s\"%s\"", k ? ", " : "", exh_dense_activation_name(k));
    sprintf(json + used, "]}]}]}");
    expect_open_error(json, "more than");
    /* More nodes than positions in an arch. */
    used = sprintf(json, "{\"nodes\": [");
    for (int i = 0; i <= EXH_ARCH_MAX_TOKENS; i++)
        used += sprintf(json + used, "%s{\"choices\": [{\"type\": \"identity\"}]}", i ? ", " : "");
    sprintf(json + used, "]}");
    expect_open_error(json, "nodes");
    /* Deep nesting. */
    used = sprintf(json, "{\"nodes\": ");
    for (int i = 0; i < 5000; i++)
        json[used++] = '[';
    json[used] = '\0';
    expect_open_error(json, NULL);
    free(json);
}

/* Real DeepHyper traces hold values above 21,000 at one position: a node
 * listing 30,000 unit counts opens, parses and prints such a value, and a
 * repeat among them is still found (by sorting), naming both choices. */
static void test_large_node(void **state)
{
    (void)state;
    char *json = malloc(1 << 20);
    int used = sprintf(json, "{\"nodes\": [{\"choices\": [{\"type\": \"identity\"}]}, "
                             "{\"choices\": [{\"type\": \"dense\", \"units\": [");
    for (int i = 1; i <= 30000; i++)
        used += sprintf(json + used, i > 1 ? ", %d" : "%d", i);
    sprintf(json + used, "]}]}]}");
    char name[600];
    snprintf(name, sizeof name, "dense:%s", test_write_file("large.json", json));
    exh_space *s = NULL;
    exh_error err;
    assert_int_equal(exh_space_open(name, &s, &err), 0);
    exh_arch a;
    assert_int_equal(exh_space_parse_sequence(s, "[0, 21543]", &a, &err), 0);
    assert_int_equal(exh_space_validate(s, &a, &err), 0);
    assert_int_equal(exh_space_arity(s, &a, 1), 30000);
    assert_int_equal(exh_space_size(s), 30000);
    assert_int_not_equal(exh_space_parse_sequence(s, "[0, 30000]", &a, &err) == 0 &&
                             exh_space_validate(s, &a, &err) == 0,
                         1);
    exh_space_free(s);
    /* units 7 listed again at the end: choice 30000 repeats choice 6 */
    used = (int)strlen(json) - (int)strlen("]}]}]}");
    sprintf(json + used, ", 7]}]}]}");
    expect_open_error(json, "choice 30000 repeats choice 6");
    free(json);
}

static void test_open_errors(void **state)
{
    exh_space *s = NULL;
    exh_error err;
    assert_int_equal(exh_space_open("dense", &s, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_space_open("dense:", &s, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_space_open("dense:/nonexistent/space.json", &s, &err), EXH_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "/nonexistent/space.json"));
    assert_null(s);
}

/* Random bytes as architecture text: errors, never crashes. */
static void test_garbage_text(void **state)
{
    exh_space *s = open_ok(example_path("tiny.json"));
    exh_rng *r = exh_rng_new(8);
    static const char alphabet[] = "0123456789[], -x\n";
    for (int n = 0; n < 3000; n++) {
        char text[24];
        int length = (int)exh_rng_below(r, sizeof text);
        for (int i = 0; i < length; i++)
            text[i] = alphabet[exh_rng_below(r, sizeof alphabet - 1)];
        text[length] = '\0';
        exh_arch a, again;
        exh_error err;
        char printed[EXH_SPACE_TEXT_MAX];
        if (exh_space_parse(s, text, &a, &err) == 0) {
            assert_true(exh_space_format(s, &a, printed, sizeof printed) > 0);
            assert_int_equal(exh_space_parse(s, printed, &again, &err), 0);
            assert_true(exh_arch_equal(&a, &again));
        }
    }
    exh_rng_free(r);
    exh_space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choices_expand_in_documented_order),
        cmocka_unit_test(test_text_forms),
        cmocka_unit_test(test_enumeration),
        cmocka_unit_test(test_size_overflow_boundary),
        cmocka_unit_test(test_sampling_is_uniform),
        cmocka_unit_test(test_same_seed_same_samples),
        cmocka_unit_test(test_mutation),
        cmocka_unit_test(test_candle_attn),
        cmocka_unit_test(test_schema_errors),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_large_node),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_garbage_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
