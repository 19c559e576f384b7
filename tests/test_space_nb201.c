/* test_space_nb201.c — the NAS-Bench-201 space: text forms, enumeration in
 * both orders, sampling uniformity, mutation, bad input. */
#include <gsl/gsl_cdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/space_nb201.h"
#include "testutil.h"

static const char *EXAMPLE =
    "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|none~2|";

static space *open_nb201(void)
{
    space *s;
    exh_error err;
    if (space_open("nb201", &s, &err) < 0)
        fail_msg("%s", err.message);
    return s;
}

static void test_text_forms(void **state)
{
    (void)state;
    space *s = open_nb201();
    arch a, b;
    exh_error err;
    assert_int_equal(space_parse(s, EXAMPLE, &a, &err), 0);
    assert_int_equal(a.length, 6);
    int expected[6] = {3, 0, 2, 1, 4, 0};
    for (int i = 0; i < 6; i++)
        assert_int_equal(a.token[i], expected[i]);
    assert_int_equal(space_parse(s, "302140", &b, &err), 0);
    assert_true(arch_equal(&a, &b));
    assert_int_equal(space_parse_sequence(s, "[3, 0, 2, 1, 4, 0]", &b, &err), 0);
    assert_true(arch_equal(&a, &b));
    char text[SPACE_TEXT_MAX];
    assert_true(space_format(s, &a, text, sizeof text) > 0);
    assert_string_equal(text, EXAMPLE);
    assert_int_equal(nb201_operation_count(&a), 4);
    assert_true(nb201_is_connected(&a)); /* edge 3<-0 is skip_connect */
    space_free(s);
}

static void test_connectivity(void **state)
{
    (void)state;
    space *s = open_nb201();
    arch a;
    exh_error err;
    /* Only edge 1<-0 and 2<-1 live: node 3 is unreachable. */
    assert_int_equal(space_parse(s, "301000", &a, &err), 0);
    assert_false(nb201_is_connected(&a));
    /* 0 -> 1 -> 3 through 3<-1. */
    assert_int_equal(space_parse(s, "300040", &a, &err), 0);
    assert_true(nb201_is_connected(&a));
    space_free(s);
}

static void test_enumeration_round_trip(void **state)
{
    (void)state;
    space *s = open_nb201();
    assert_int_equal(space_size(s), 15625);
    exh_error err;
    for (int64_t i = 0; i < 15625; i++) {
        arch a, b;
        char text[SPACE_TEXT_MAX];
        assert_int_equal(space_enumerate(s, i, &a, &err), 0);
        assert_int_equal(space_index(s, &a), i);
        assert_true(space_format(s, &a, text, sizeof text) > 0);
        assert_int_equal(space_parse(s, text, &b, &err), 0);
        assert_true(arch_equal(&a, &b));
    }
    arch a;
    assert_int_equal(space_enumerate(s, 15625, &a, &err), EXH_ERR_INVALID);
    assert_int_equal(space_enumerate(s, -1, &a, &err), EXH_ERR_INVALID);
    space_free(s);
}

static void test_benchmark_order(void **state)
{
    (void)state;
    const char *data = test_data_dir();
    if (!data)
        skip();
    char name[1100], path[1024];
    snprintf(path, sizeof path, "%s/nb201/archs.csv", data);
    snprintf(name, sizeof name, "nb201:%s", path);
    space *s;
    exh_error err;
    if (space_open(name, &s, &err) < 0)
        fail_msg("%s", err.message);
    /* Independent check: the i-th data row's arch_str is what enumerate(i) prints. */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, f));
    for (int64_t i = 0; fgets(line, sizeof line, f); i++) {
        char *first = strchr(line, ','), *second = first ? strchr(first + 1, ',') : NULL;
        assert_non_null(second);
        *second = '\0';
        assert_int_equal(strtoll(line, NULL, 10), i);
        arch a;
        char text[SPACE_TEXT_MAX];
        assert_int_equal(space_enumerate(s, i, &a, &err), 0);
        space_format(s, &a, text, sizeof text);
        assert_string_equal(text, first + 1);
        assert_int_equal(space_index(s, &a), i);
    }
    fclose(f);
    space_free(s);
}

static void test_bad_order_file(void **state)
{
    (void)state;
    char *path = test_write_file("order.csv", "arch_index,arch_str\n0,302140\n0,302141\n");
    char name[600];
    snprintf(name, sizeof name, "nb201:%s", path);
    space *s;
    exh_error err;
    assert_int_equal(space_open(name, &s, &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "line 3"));
    path = test_write_file("short.csv", "arch_index,arch_str\n0,302140\n");
    snprintf(name, sizeof name, "nb201:%s", path);
    assert_int_equal(space_open(name, &s, &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "missing"));
}

static void test_sampling_is_uniform(void **state)
{
    (void)state;
    space *s = open_nb201();
    rng *r = rng_new(2024);
    enum { DRAWS = 50000 };
    long counts[6][5] = {{0}}, operations[7] = {0};
    exh_error err;
    for (int n = 0; n < DRAWS; n++) {
        arch a;
        assert_int_equal(space_sample(s, r, &a, &err), 0);
        for (int i = 0; i < 6; i++)
            counts[i][a.token[i]]++;
        operations[nb201_operation_count(&a)]++;
    }
    for (int i = 0; i < 6; i++) {
        double chi = 0, expected = DRAWS / 5.0;
        for (int k = 0; k < 5; k++)
            chi += (counts[i][k] - expected) * (counts[i][k] - expected) / expected;
        assert_true(gsl_cdf_chisq_Q(chi, 4) > 1e-4);
    }
    /* The number of non-none edges is Binomial(6, 4/5) under uniform sampling. */
    double chi = 0;
    for (int k = 0; k <= 6; k++) {
        double p = 1.0;
        for (int j = 0; j < k; j++)
            p *= (6.0 - j) / (j + 1.0);
        for (int j = 0; j < k; j++)
            p *= 0.8;
        for (int j = k; j < 6; j++)
            p *= 0.2;
        chi += (operations[k] - DRAWS * p) * (operations[k] - DRAWS * p) / (DRAWS * p);
    }
    assert_true(gsl_cdf_chisq_Q(chi, 6) > 1e-4);
    rng_free(r);
    space_free(s);
}

static void test_mutation_changes_one_position(void **state)
{
    (void)state;
    space *s = open_nb201();
    rng *r = rng_new(5);
    exh_error err;
    for (int n = 0; n < 5000; n++) {
        arch a, b;
        int position;
        space_sample(s, r, &a, &err);
        assert_int_equal(space_mutate(s, r, &a, &b, &position, NULL, &err), 0);
        int changed = 0;
        for (int i = 0; i < 6; i++)
            changed += a.token[i] != b.token[i];
        assert_int_equal(changed, 1);
        assert_int_not_equal(a.token[position], b.token[position]);
        assert_int_equal(space_validate(s, &b, &err), 0);
    }
    rng_free(r);
    space_free(s);
}

static void test_same_seed_same_samples(void **state)
{
    (void)state;
    space *s = open_nb201();
    rng *r1 = rng_new(9), *r2 = rng_new(9);
    exh_error err;
    for (int n = 0; n < 100; n++) {
        arch a, b;
        space_sample(s, r1, &a, &err);
        space_sample(s, r2, &b, &err);
        assert_true(arch_equal(&a, &b));
    }
    rng_free(r1);
    rng_free(r2);
    space_free(s);
}

static void test_bad_input(void **state)
{
    (void)state;
    space *s = open_nb201();
    arch a;
    exh_error err;
    const char *bad[] = {
        "", "30214", "3021405", "302145", "abcdef",
        "|nor_conv_3x3~1|+|none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|none~2|",
        "|conv~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|none~2|",
        "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|",
        "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|none~2|x",
        "|nor_conv_3x3~0||none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|none~2|",
        "|~0|+|~0|~1|+|~0|~1|~2|", "||||||||", "|none~",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(space_parse(s, bad[i], &a, &err), EXH_ERR_PARSE);
        assert_true(strlen(err.message) > 0);
    }
    char huge[10000];
    memset(huge, '|', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    assert_int_equal(space_parse(s, huge, &a, &err), EXH_ERR_PARSE);
    assert_int_equal(space_parse_sequence(s, "1,2,3,4,5", &a, &err), EXH_ERR_INVALID);
    assert_int_equal(space_parse_sequence(s, "1,2,3,4,5,9", &a, &err), EXH_ERR_INVALID);
    space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_forms),
        cmocka_unit_test(test_connectivity),
        cmocka_unit_test(test_enumeration_round_trip),
        cmocka_unit_test(test_benchmark_order),
        cmocka_unit_test(test_bad_order_file),
        cmocka_unit_test(test_sampling_is_uniform),
        cmocka_unit_test(test_mutation_changes_one_position),
        cmocka_unit_test(test_same_seed_same_samples),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
