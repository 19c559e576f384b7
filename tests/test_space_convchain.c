/* test_space_convchain.c — the chain of conv layers: text round trips, the
 * skip and stride layout, uniform sampling, mutation, the layer view, bad
 * input. */
#include <gsl/gsl_cdf.h>
#include <stdio.h>
#include <string.h>

#include "exhaust/space.h"
#include "exhaust/space_convchain.h"
#include "testutil.h"

static const char *EXAMPLE = "f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-"
                             "f24k3x3s2-f36k5x5s1+2-f48k3x3s1+0+3+5";

static exh_space *open_convchain(void)
{
    exh_space *s;
    exh_error err;
    if (exh_space_open("convchain", &s, &err) < 0)
        fail_msg("%s", err.message);
    return s;
}

static double chi_square(const long *counts, int n, double expected)
{
    double chi = 0;
    for (int i = 0; i < n; i++)
        chi += (counts[i] - expected) * (counts[i] - expected) / expected;
    return chi;
}

/* An all-zero chain of `layers` layers: valid (token 0 is always allowed). */
static exh_arch plain_chain(int layers)
{
    exh_arch a = {.length = layers * EXH_CONVCHAIN_POSITIONS_PER_LAYER};
    return a;
}

static void test_example_and_layers(void **state)
{
    (void)state;
    exh_space *s = open_convchain();
    exh_arch a;
    exh_error err;
    if (exh_space_parse(s, EXAMPLE, &a, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(a.length, 40);
    char text[EXH_SPACE_TEXT_MAX];
    assert_true(exh_space_format(s, &a, text, sizeof text) > 0);
    assert_string_equal(text, EXAMPLE);
    exh_layer layers[32];
    assert_int_equal(exh_space_layers(s, &a, layers, 32), 8);
    assert_int_equal(layers[3].filters, 48);
    assert_int_equal(layers[3].kernel_h, 3);
    assert_int_equal(layers[3].kernel_w, 7);
    assert_int_equal(layers[2].stride, 2);
    assert_int_equal(layers[5].stride, 2);
    assert_int_equal(layers[0].input_count, 0);
    assert_int_equal(layers[7].input_count, 3);
    assert_int_equal(layers[7].inputs[0], 0);
    assert_int_equal(layers[7].inputs[1], 3);
    assert_int_equal(layers[7].inputs[2], 5);
    assert_int_equal(layers[7].inputs[3], -1);
    assert_string_equal(exh_space_op_name(s, layers[7].op), "conv");
    /* Blanks and commas separate layers too; skip sources may come in any order. */
    exh_arch b;
    assert_int_equal(exh_space_parse(s, "  f24k3x3s1 f36k5x5s1,f48k3x3s2+0 f48k3x7s1+1+0 "
                                    "f64k7x7s1+2+1\tf24k3x3s2 f36k5x5s1+2, f48k3x3s1+5+0+3\n",
                                     &b, &err), 0);
    assert_true(exh_arch_equal(&a, &b));
    /* The token sequence form is checked against the space. */
    char sequence[EXH_SPACE_TEXT_MAX];
    assert_true(exh_space_format_sequence(&a, sequence, sizeof sequence) > 0);
    assert_int_equal(exh_space_parse_sequence(s, sequence, &b, &err), 0);
    assert_true(exh_arch_equal(&a, &b));
    exh_space_free(s);
}

/* The skip token of layer i walks every subset of 0..3 earlier sources once,
 * by size and then lexicographically. */
static void test_skip_token_order(void **state)
{
    (void)state;
    exh_space *s = open_convchain();
    for (int layer_index = 0; layer_index < EXH_CONVCHAIN_MAX_LAYERS; layer_index++) {
        exh_arch a = plain_chain(EXH_CONVCHAIN_MAX_LAYERS);
        int position = layer_index * EXH_CONVCHAIN_POSITIONS_PER_LAYER + 4;
        int m = layer_index > 1 ? layer_index - 1 : 0;
        int expected_arity = 1 + m + m * (m - 1) / 2 + m * (m - 1) * (m - 2) / 6;
        assert_int_equal(exh_space_arity(s, &a, position), expected_arity);
        exh_layer previous = {0}, current;
        exh_layer view[EXH_CONVCHAIN_MAX_LAYERS];
        for (int token = 0; token < expected_arity; token++) {
            a.token[position] = token;
            assert_int_equal(exh_space_layers(s, &a, view, EXH_CONVCHAIN_MAX_LAYERS),
                             EXH_CONVCHAIN_MAX_LAYERS);
            current = view[layer_index];
            assert_true(current.input_count <= EXH_CONVCHAIN_MAX_SKIPS);
            for (int k = 0; k < current.input_count; k++) {
                assert_in_range(current.inputs[k], 0, layer_index - 2);
                if (k > 0)
                    assert_true(current.inputs[k] > current.inputs[k - 1]);
            }
            if (token > 0) { /* strictly after the previous subset: no repeats */
                int later = current.input_count > previous.input_count;
                if (current.input_count == previous.input_count) {
                    int k = 0;
                    while (k < current.input_count && current.inputs[k] == previous.inputs[k])
                        k++;
                    assert_true(k < current.input_count);
                    later = current.inputs[k] > previous.inputs[k];
                }
                assert_true(later);
            }
            previous = current;
        }
    }
    exh_space_free(s);
}

static void test_stride_layers(void **state)
{
    (void)state;
    exh_space *s = open_convchain();
    for (int layers = EXH_CONVCHAIN_MIN_LAYERS; layers <= EXH_CONVCHAIN_MAX_LAYERS; layers++) {
        exh_arch a = plain_chain(layers);
        int stride_layers = 0;
        for (int i = 0; i < layers; i++) {
            int arity = exh_space_arity(s, &a, i * EXH_CONVCHAIN_POSITIONS_PER_LAYER + 3);
            assert_in_range(arity, 1, 2);
            if (arity == 2) {
                assert_true(i == layers / 3 || i == 2 * layers / 3);
                stride_layers++;
            }
        }
        assert_int_equal(stride_layers, 2);
    }
    exh_space_free(s);
}

static void test_round_trips_of_samples(void **state)
{
    (void)state;
    exh_space *s = open_convchain();
    exh_rng *r = exh_rng_new(11);
    exh_error err;
    for (int n = 0; n < 2000; n++) {
        exh_arch a, b;
        char text[EXH_SPACE_TEXT_MAX], again[EXH_SPACE_TEXT_MAX];
        assert_int_equal(exh_space_sample(s, r, &a, &err), 0);
        assert_int_equal(exh_space_validate(s, &a, &err), 0);
        assert_true(exh_space_format(s, &a, text, sizeof text) > 0);
        if (exh_space_parse(s, text, &b, &err) < 0)
            fail_msg("%s: %s", text, err.message);
        assert_true(exh_arch_equal(&a, &b));
        assert_true(exh_space_format(s, &b, again, sizeof again) > 0);
        assert_string_equal(text, again);
        exh_layer view[EXH_CONVCHAIN_MAX_LAYERS];
        assert_int_equal(exh_space_layers(s, &a, view, EXH_CONVCHAIN_MAX_LAYERS),
                         a.length / EXH_CONVCHAIN_POSITIONS_PER_LAYER);
    }
    /* A buffer too small is refused, not overrun. */
    exh_arch a;
    char small[20];
    exh_space_sample(s, r, &a, &err);
    assert_true(exh_space_format(s, &a, small, sizeof small) < 0);
    exh_rng_free(r);
    exh_space_free(s);
}

/* Every position is uniform over its choices: chi-square per position over
 * the samples deep enough to have it (a stride position counts only where
 * it has two choices). */
static void test_sampling_is_uniform(void **state)
{
    (void)state;
    enum { DRAWS = 33000, POSITIONS = EXH_CONVCHAIN_MAX_LAYERS * EXH_CONVCHAIN_POSITIONS_PER_LAYER };
    static long counts[POSITIONS][700];
    static int arity_seen[POSITIONS];
    long depth[EXH_CONVCHAIN_MAX_LAYERS - EXH_CONVCHAIN_MIN_LAYERS + 1] = {0}, seen[POSITIONS] = {0};
    memset(counts, 0, sizeof counts);
    memset(arity_seen, 0, sizeof arity_seen);
    exh_space *s = open_convchain();
    exh_rng *r = exh_rng_new(3);
    exh_error err;
    for (int n = 0; n < DRAWS; n++) {
        exh_arch a;
        assert_int_equal(exh_space_sample(s, r, &a, &err), 0);
        depth[a.length / EXH_CONVCHAIN_POSITIONS_PER_LAYER - EXH_CONVCHAIN_MIN_LAYERS]++;
        for (int i = 0; i < a.length; i++) {
            int arity = exh_space_arity(s, &a, i);
            assert_in_range(arity, 1, 700);
            if (arity < 2)
                continue;
            assert_true(arity_seen[i] == 0 || arity_seen[i] == arity);
            arity_seen[i] = arity;
            counts[i][a.token[i]]++;
            seen[i]++;
        }
    }
    int layer_choices = EXH_CONVCHAIN_MAX_LAYERS - EXH_CONVCHAIN_MIN_LAYERS + 1;
    assert_true(gsl_cdf_chisq_Q(chi_square(depth, layer_choices, (double)DRAWS / layer_choices),
                                layer_choices - 1) > 1e-4);
    int tested = 0;
    for (int i = 0; i < POSITIONS; i++) {
        if (arity_seen[i] < 2)
            continue;
        double p = gsl_cdf_chisq_Q(chi_square(counts[i], arity_seen[i],
                                              (double)seen[i] / arity_seen[i]),
                                   arity_seen[i] - 1);
        if (p <= 1e-4)
            fail_msg("position %d (%d choices, %ld draws): p = %g", i, arity_seen[i], seen[i], p);
        tested++;
    }
    assert_true(tested > 4 * EXH_CONVCHAIN_MAX_LAYERS); /* filters, kernels, most skips */
    exh_rng_free(r);
    exh_space_free(s);
}

static void test_mutation(void **state)
{
    (void)state;
    exh_space *s = open_convchain();
    exh_rng *r = exh_rng_new(4);
    exh_error err;
    for (int n = 0; n < 5000; n++) {
        exh_arch a, b;
        int position;
        exh_space_sample(s, r, &a, &err);
        assert_int_equal(exh_space_mutate(s, r, &a, &b, &position, NULL, &err), 0);
        assert_int_equal(a.length, b.length); /* depth never changes */
        int changed = 0;
        for (int i = 0; i < a.length; i++)
            changed += a.token[i] != b.token[i];
        assert_int_equal(changed, 1);
        assert_int_not_equal(a.token[position], b.token[position]);
        assert_true(exh_space_arity(s, &a, position) > 1);
        assert_int_equal(exh_space_validate(s, &b, &err), 0);
    }
    /* Weights steer the position: all weight on one kernel width. */
    double weights[EXH_ARCH_MAX_TOKENS] = {0};
    weights[7] = 1.0;
    for (int n = 0; n < 200; n++) {
        exh_arch a, b;
        int position = -1;
        exh_space_sample(s, r, &a, &err);
        assert_int_equal(exh_space_mutate(s, r, &a, &b, &position, weights, &err), 0);
        assert_int_equal(position, 7);
    }
    exh_rng_free(r);
    exh_space_free(s);
}

static void test_same_seed_same_samples(void **state)
{
    (void)state;
    exh_space *s = open_convchain();
    exh_rng *r1 = exh_rng_new(77), *r2 = exh_rng_new(77);
    exh_error err;
    int lengths_differ = 0;
    exh_arch first;
    for (int n = 0; n < 200; n++) {
        exh_arch a, b;
        exh_space_sample(s, r1, &a, &err);
        exh_space_sample(s, r2, &b, &err);
        assert_true(exh_arch_equal(&a, &b));
        if (n == 0)
            first = a;
        lengths_differ |= a.length != first.length;
    }
    assert_true(lengths_differ); /* the draws are not all alike */
    exh_rng_free(r1);
    exh_rng_free(r2);
    exh_space_free(s);
}

static void test_validate(void **state)
{
    (void)state;
    exh_space *s = open_convchain();
    exh_error err;
    exh_arch a = plain_chain(8);
    assert_int_equal(exh_space_validate(s, &a, &err), 0);
    exh_arch bad = plain_chain(7);
    assert_int_equal(exh_space_validate(s, &bad, &err), EXH_ERR_INVALID);
    bad = plain_chain(19);
    assert_int_equal(exh_space_validate(s, &bad, &err), EXH_ERR_INVALID);
    bad = plain_chain(8);
    bad.length = 41;
    assert_int_equal(exh_space_validate(s, &bad, &err), EXH_ERR_INVALID);
    bad.length = -5;
    assert_int_equal(exh_space_validate(s, &bad, &err), EXH_ERR_INVALID);
    bad = plain_chain(8);
    bad.token[0] = 4; /* only 4 filter choices */
    assert_int_equal(exh_space_validate(s, &bad, &err), EXH_ERR_INVALID);
    bad = plain_chain(8);
    bad.token[3] = 1; /* layer 0 has stride 1 only */
    assert_int_equal(exh_space_validate(s, &bad, &err), EXH_ERR_INVALID);
    bad = plain_chain(8);
    bad.token[9] = 1; /* layer 1 has no skip sources */
    assert_int_equal(exh_space_validate(s, &bad, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "layer 1"));
    bad = plain_chain(8);
    bad.token[12] = -1;
    assert_int_equal(exh_space_validate(s, &bad, &err), EXH_ERR_INVALID);
    /* Format and the layer view refuse what validate refuses, without crashing. */
    char text[EXH_SPACE_TEXT_MAX];
    exh_layer view[EXH_CONVCHAIN_MAX_LAYERS];
    bad.token[12] = 1000000;
    assert_true(exh_space_format(s, &bad, text, sizeof text) < 0);
    assert_true(exh_space_layers(s, &bad, view, EXH_CONVCHAIN_MAX_LAYERS) < 0);
    exh_space_free(s);
}

static void test_bad_input(void **state)
{
    (void)state;
    exh_space *s = open_convchain();
    exh_arch a;
    exh_error err;
    static const struct {
        const char *text, *message;
    } bad[] = {
        {"", "0 layers"},
        {"   \t\n", "0 layers"},
        {"f24k3x3s1", "1 layers"},
        {"f24k3x3s1-f24k3x3s1-f24k3x3s1-f24k3x3s1-f24k3x3s1-f24k3x3s1-f24k3x3s1", "7 layers"},
        {"f25k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
         "layer 0: filters 25"},
        {"f24k3x3s1-f36k4x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
         "layer 1: kernel 4x5"},
        {"f24k3x3s2-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
         "layer 0: stride 2"},
        {"f24k3x3s1-f36k5x5s1-f48k3x3s3+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
         "layer 2: stride 3"},
        {"f24k3x3s1-f36k5x5s1-f48k3x3s2+1-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
         "layer 2: skip source 1"},
        {"f24k3x3s1-f36k5x5s1+0-f48k3x3s2-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
         "layer 1 can have no skips"},
        {"f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+1+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
         "layer 3: skip from layer 1 given twice"},
        {"f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+0+1+2-f24k3x3s2+0+1+2+3-f36k5x5s1-"
         "f48k3x3s1",
         "layer 5: more than 3 skips"},
        {"f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1 junk",
         "offset"},
        {"f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1+99999",
         "layer 7: skip source 99999"},
        {"f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1+",
         "layer 7: '+'"},
        {"f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3",
         "layer 7: expected"},
        {"f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1\x01",
         "0x01"},
        {"f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k\x7f" "3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
         "layer 3"},
        {"f99999999999999999999999k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-"
         "f36k5x5s1+2-f48k3x3s1",
         "layer 0: filters"},
        {"f-24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
         "layer 0: expected"},
        {"|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|none~2|", "layers"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.message[0] = '\0';
        int rc = exh_space_parse(s, bad[i].text, &a, &err);
        if (rc != EXH_ERR_PARSE)
            fail_msg("accepted bad input %zu: %s", i, bad[i].text);
        if (!strstr(err.message, bad[i].message))
            fail_msg("input %zu: message '%s' lacks '%s'", i, err.message, bad[i].message);
    }
    /* A failed parse leaves the output alone. */
    exh_arch kept, before;
    assert_int_equal(exh_space_parse_sequence(s, "3,2,2,0,0, 3,2,2,0,0, 3,2,2,0,0, 3,2,2,0,0, 3,2,2,0,0, 3,2,2,0,0, 3,2,2,0,0, 3,2,2,0,0", &kept, &err), 0);
    before = kept;
    assert_int_equal(exh_space_parse(s, "f24k3x3s1-f24k3x3s1-f24k3x3s1-f24k3x3s1-f24k3x3s1-f24k3x3s1-f24k3x3s1-f24k3x3s3", &kept, &err), EXH_ERR_PARSE);
    assert_true(exh_arch_equal(&kept, &before));
    char huge[8000];
    for (size_t i = 0; i + 1 < sizeof huge; i++)
        huge[i] = "f24k3x3s1-"[i % 10];
    huge[sizeof huge - 1] = '\0';
    assert_int_equal(exh_space_parse(s, huge, &a, &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "layers"));
    memset(huge, 'x', sizeof huge - 1);
    assert_int_equal(exh_space_parse(s, huge, &a, &err), EXH_ERR_PARSE);
    assert_int_equal(exh_space_parse_sequence(s, "0,0,0,0,0", &a, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_space_size(s), -1);
    assert_int_equal(exh_space_enumerate(s, 0, &a, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_space_index(s, &a), -1);
    exh_space_free(s);
}

/* Corrupt one or two bytes of valid texts: parse never crashes, and what it
 * accepts is valid and prints back to a text that parses to the same. */
static void test_corrupted_texts(void **state)
{
    (void)state;
    static const char garbage[] = "fkxs+-, 0123456789\x01\xff|~";
    exh_space *s = open_convchain();
    exh_rng *r = exh_rng_new(21);
    exh_error err;
    int accepted = 0;
    for (int n = 0; n < 3000; n++) {
        exh_arch a, b;
        char text[EXH_SPACE_TEXT_MAX];
        exh_space_sample(s, r, &a, &err);
        int length = exh_space_format(s, &a, text, sizeof text);
        assert_true(length > 0);
        for (int k = 0; k < 1 + n % 2; k++)
            text[exh_rng_below(r, (uint32_t)length)] = garbage[exh_rng_below(r, sizeof garbage - 1)];
        if (exh_space_parse(s, text, &b, &err) < 0) {
            assert_true(strlen(err.message) > 0);
            continue;
        }
        accepted++;
        assert_int_equal(exh_space_validate(s, &b, &err), 0);
        exh_arch c;
        assert_true(exh_space_format(s, &b, text, sizeof text) > 0);
        assert_int_equal(exh_space_parse(s, text, &c, &err), 0);
        assert_true(exh_arch_equal(&b, &c));
    }
    assert_true(accepted > 0); /* some corruptions are still valid chains */
    exh_rng_free(r);
    exh_space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_and_layers),
        cmocka_unit_test(test_skip_token_order),
        cmocka_unit_test(test_stride_layers),
        cmocka_unit_test(test_round_trips_of_samples),
        cmocka_unit_test(test_sampling_is_uniform),
        cmocka_unit_test(test_mutation),
        cmocka_unit_test(test_same_seed_same_samples),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_corrupted_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
