/* test_space_convchain.c — the chain of conv layers: text round trips,
 * uniform sampling, mutation, the layer view, bad input. */
#include <gsl/gsl_cdf.h>
#include <string.h>

#include "exhaust/space.h"
#include "exhaust/space_convchain.h"
#include "testutil.h"

static const char *EXAMPLE = "f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-"
                             "f24k3x3s2-f36k5x5s1+2-f48k3x3s1+0+3+5";

static space *open_convchain(void)
{
    space *s;
    exh_error err;
    if (space_open("convchain", &s, &err) < 0)
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

static void test_example_and_layers(void **state)
{
    (void)state;
    space *s = open_convchain();
    arch a;
    exh_error err;
    if (space_parse(s, EXAMPLE, &a, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(a.length, 40);
    char text[SPACE_TEXT_MAX];
    assert_true(space_format(s, &a, text, sizeof text) > 0);
    assert_string_equal(text, EXAMPLE);
    layer layers[32];
    assert_int_equal(space_layers(s, &a, layers, 32), 8);
    assert_int_equal(layers[3].filters, 48);
    assert_int_equal(layers[3].kernel_h, 3);
    assert_int_equal(layers[3].kernel_w, 7);
    assert_int_equal(layers[2].stride, 2);
    assert_int_equal(layers[5].stride, 2);
    assert_int_equal(layers[7].input_count, 3);
    assert_int_equal(layers[7].inputs[0], 0);
    assert_int_equal(layers[7].inputs[1], 3);
    assert_int_equal(layers[7].inputs[2], 5);
    /* Blanks and commas separate layers too. */
    arch b;
    assert_int_equal(space_parse(s, "f24k3x3s1 f36k5x5s1,f48k3x3s2+0 f48k3x7s1+0+1 f64k7x7s1+1+2 "
                                    "f24k3x3s2 f36k5x5s1+2 f48k3x3s1+0+3+5", &b, &err), 0);
    assert_true(arch_equal(&a, &b));
    space_free(s);
}

static void test_round_trips_of_samples(void **state)
{
    (void)state;
    space *s = open_convchain();
    rng *r = rng_new(11);
    exh_error err;
    for (int n = 0; n < 2000; n++) {
        arch a, b;
        char text[SPACE_TEXT_MAX];
        assert_int_equal(space_sample(s, r, &a, &err), 0);
        assert_int_equal(space_validate(s, &a, &err), 0);
        assert_true(space_format(s, &a, text, sizeof text) > 0);
        if (space_parse(s, text, &b, &err) < 0)
            fail_msg("%s: %s", text, err.message);
        assert_true(arch_equal(&a, &b));
    }
    rng_free(r);
    space_free(s);
}

static void test_sampling_is_uniform(void **state)
{
    (void)state;
    space *s = open_convchain();
    rng *r = rng_new(3);
    enum { DRAWS = 33000 };
    long depth[11] = {0}, filters[4] = {0}, kernel[3] = {0}, skip_at_4[15] = {0};
    long skip_draws = 0;
    exh_error err;
    for (int n = 0; n < DRAWS; n++) {
        arch a;
        space_sample(s, r, &a, &err);
        depth[a.length / 5 - 8]++;
        filters[a.token[0]]++;
        kernel[a.token[6]]++;
        skip_at_4[a.token[4 * 5 + 4]]++; /* layer 4: 3 sources, 1+3+3+1 = 8 choices */
        skip_draws++;
    }
    assert_int_equal(space_arity(s, &(arch){.length = 40}, 24), 8);
    assert_true(gsl_cdf_chisq_Q(chi_square(depth, 11, DRAWS / 11.0), 10) > 1e-4);
    assert_true(gsl_cdf_chisq_Q(chi_square(filters, 4, DRAWS / 4.0), 3) > 1e-4);
    assert_true(gsl_cdf_chisq_Q(chi_square(kernel, 3, DRAWS / 3.0), 2) > 1e-4);
    assert_true(gsl_cdf_chisq_Q(chi_square(skip_at_4, 8, skip_draws / 8.0), 7) > 1e-4);
    rng_free(r);
    space_free(s);
}

static void test_mutation(void **state)
{
    (void)state;
    space *s = open_convchain();
    rng *r = rng_new(4);
    exh_error err;
    for (int n = 0; n < 5000; n++) {
        arch a, b;
        int position;
        space_sample(s, r, &a, &err);
        assert_int_equal(space_mutate(s, r, &a, &b, &position, NULL, &err), 0);
        assert_int_equal(a.length, b.length); /* depth never changes */
        int changed = 0;
        for (int i = 0; i < a.length; i++)
            changed += a.token[i] != b.token[i];
        assert_int_equal(changed, 1);
        assert_true(space_arity(s, &a, position) > 1);
        assert_int_equal(space_validate(s, &b, &err), 0);
    }
    rng_free(r);
    space_free(s);
}

static void test_bad_input(void **state)
{
    (void)state;
    space *s = open_convchain();
    arch a;
    exh_error err;
    const char *bad[] = {
        "",
        "f24k3x3s1", /* too short */
        "f25k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
        "f24k4x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
        "f24k3x3s2-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
        "f24k3x3s1-f36k5x5s1-f48k3x3s2+1-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
        "f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+1+0-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1",
        "f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+0+1+2-f24k3x3s2+0+1+2+3-f36k5x5s1-f48k3x3s1",
        "f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1 junk",
        "f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x7s1+0+1-f64k7x7s1+1+2-f24k3x3s2-f36k5x5s1+2-f48k3x3s1+99999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = space_parse(s, bad[i], &a, &err);
        if (rc != EXH_ERR_PARSE)
            fail_msg("accepted bad input %zu: %s", i, bad[i]);
    }
    char huge[8000];
    for (size_t i = 0; i + 1 < sizeof huge; i++)
        huge[i] = "f24k3x3s1-"[i % 10];
    huge[sizeof huge - 1] = '\0';
    assert_int_equal(space_parse(s, huge, &a, &err), EXH_ERR_PARSE);
    assert_int_equal(space_size(s), -1);
    space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_and_layers),
        cmocka_unit_test(test_round_trips_of_samples),
        cmocka_unit_test(test_sampling_is_uniform),
        cmocka_unit_test(test_mutation),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
