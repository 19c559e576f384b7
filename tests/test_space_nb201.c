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

static exh_space *open_nb201(void)
{
    exh_space *s;
    exh_error err;
    if (exh_space_open("nb201", &s, &err) < 0)
        fail_msg("%s", err.message);
    return s;
}

static void test_text_forms(void **state)
{
    (void)state;
    exh_space *s = open_nb201();
    exh_arch a, b;
    exh_error err;
    assert_int_equal(exh_space_parse(s, EXAMPLE, &a, &err), 0);
    assert_int_equal(a.length, 6);
    int expected[6] = {3, 0, 2, 1, 4, 0};
    for (int i = 0; i < 6; i++)
        assert_int_equal(a.token[i], expected[i]);
    assert_int_equal(exh_space_parse(s, "302140", &b, &err), 0);
    assert_true(exh_arch_equal(&a, &b));
    assert_int_equal(exh_space_parse_sequence(s, "[3, 0, 2, 1, 4, 0]", &b, &err), 0);
    assert_true(exh_arch_equal(&a, &b));
    char text[EXH_SPACE_TEXT_MAX];
    assert_true(exh_space_format(s, &a, text, sizeof text) > 0);
    assert_string_equal(text, EXAMPLE);
    assert_int_equal(exh_nb201_operation_count(&a), 4);
    assert_true(exh_nb201_is_connected(&a)); /* edge 3<-0 is skip_connect */
    exh_space_free(s);
}

static void test_connectivity(void **state)
{
    (void)state;
    exh_space *s = open_nb201();
    exh_arch a;
    exh_error err;
    /* Only edge 1<-0 and 2<-1 live: node 3 is unreachable. */
    assert_int_equal(exh_space_parse(s, "301000", &a, &err), 0);
    assert_false(exh_nb201_is_connected(&a));
    /* 0 -> 1 -> 3 through 3<-1. */
    assert_int_equal(exh_space_parse(s, "300040", &a, &err), 0);
    assert_true(exh_nb201_is_connected(&a));
    exh_space_free(s);
}

/* The four paths from node 0 to node 3, as lists of positions. */
static int has_live_path(const exh_arch *a)
{
    static const int paths[4][3] = {{3, -1, -1}, {0, 4, -1}, {1, 5, -1}, {0, 2, 5}};
    for (int p = 0; p < 4; p++) {
        int live = 1;
        for (int k = 0; k < 3 && paths[p][k] >= 0; k++)
            live &= a->token[paths[p][k]] != EXH_NB201_NONE;
        if (live)
            return 1;
    }
    return 0;
}

static void test_connectivity_and_count_of_every_cell(void **state)
{
    (void)state;
    exh_space *s = open_nb201();
    exh_error err;
    int connected = 0;
    for (int64_t i = 0; i < EXH_NB201_SIZE; i++) {
        exh_arch a;
        assert_int_equal(exh_space_enumerate(s, i, &a, &err), 0);
        assert_int_equal(exh_nb201_is_connected(&a), has_live_path(&a));
        connected += exh_nb201_is_connected(&a);
        int count = 0;
        for (int k = 0; k < 6; k++)
            count += a.token[k] != 0;
        assert_int_equal(exh_nb201_operation_count(&a), count);
    }
    assert_true(connected > 0 && connected < EXH_NB201_SIZE);
    exh_space_free(s);
}

/* Layers: one per edge, (source, target) pairs covering the 6 node pairs j < i. */
static void test_layers(void **state)
{
    (void)state;
    exh_space *s = open_nb201();
    exh_arch a;
    exh_error err;
    assert_int_equal(exh_space_parse(s, EXAMPLE, &a, &err), 0);
    exh_layer view[8];
    assert_int_equal(exh_space_layers(s, &a, view, 8), 6);
    int seen[4][4] = {{0}};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(view[i].op, a.token[i]);
        assert_int_equal(view[i].input_count, 2);
        assert_in_range(view[i].inputs[0], 0, 2);
        assert_in_range(view[i].inputs[1], view[i].inputs[0] + 1, 3);
        assert_int_equal(seen[view[i].inputs[0]][view[i].inputs[1]]++, 0);
        assert_string_equal(exh_space_op_name(s, view[i].op), exh_nb201_operation_name(a.token[i]));
    }
    assert_string_equal(exh_space_op_name(s, 2), "nor_conv_1x1");
    /* Only 2 slots: the count is still 6, and nothing past them is written. */
    exh_layer two[3];
    two[2].op = 99;
    assert_int_equal(exh_space_layers(s, &a, two, 2), 6);
    assert_int_equal(two[2].op, 99);
    a.token[4] = 5;
    assert_true(exh_space_layers(s, &a, view, 8) < 0);
    char text[EXH_SPACE_TEXT_MAX];
    assert_true(exh_space_format(s, &a, text, sizeof text) < 0);
    a.token[4] = 1;
    assert_true(exh_space_format(s, &a, text, 20) < 0); /* too small: refused, not overrun */
    exh_space_free(s);
}

static void test_enumeration_round_trip(void **state)
{
    (void)state;
    exh_space *s = open_nb201();
    assert_int_equal(exh_space_size(s), 15625);
    exh_error err;
    for (int64_t i = 0; i < 15625; i++) {
        exh_arch a, b;
        char text[EXH_SPACE_TEXT_MAX];
        assert_int_equal(exh_space_enumerate(s, i, &a, &err), 0);
        assert_int_equal(exh_space_index(s, &a), i);
        assert_true(exh_space_format(s, &a, text, sizeof text) > 0);
        assert_int_equal(exh_space_parse(s, text, &b, &err), 0);
        assert_true(exh_arch_equal(&a, &b));
        char again[EXH_SPACE_TEXT_MAX];
        assert_true(exh_space_format(s, &b, again, sizeof again) > 0);
        assert_string_equal(text, again);
    }
    exh_arch a;
    assert_int_equal(exh_space_enumerate(s, 15625, &a, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_space_enumerate(s, -1, &a, &err), EXH_ERR_INVALID);
    exh_space_free(s);
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
    exh_space *s;
    exh_error err;
    if (exh_space_open(name, &s, &err) < 0)
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
        exh_arch a;
        char text[EXH_SPACE_TEXT_MAX];
        assert_int_equal(exh_space_enumerate(s, i, &a, &err), 0);
        exh_space_format(s, &a, text, sizeof text);
        assert_string_equal(text, first + 1);
        assert_int_equal(exh_space_index(s, &a), i);
    }
    fclose(f);
    exh_space_free(s);
}

/* Write a complete order file (index i = base-5 cell i) with one row
 * replaced by `bad_row` (or none when row < 0), and try to open it. */
static int open_order_file(const char *header, int row, const char *bad_row, exh_error *err)
{
    size_t capacity = 64 * (EXH_NB201_SIZE + 2);
    char *text = malloc(capacity);
    assert_non_null(text);
    size_t used = (size_t)snprintf(text, capacity, "%s\n", header);
    for (int i = 0; i < EXH_NB201_SIZE; i++) {
        char digits[7];
        for (int k = 5, code = i; k >= 0; k--, code /= 5)
            digits[k] = (char)('0' + code % 5);
        digits[6] = '\0';
        if (i == row)
            used += (size_t)snprintf(text + used, capacity - used, "%s\n", bad_row);
        else
            used += (size_t)snprintf(text + used, capacity - used, "%d,%s\n", i, digits);
    }
    char *path = test_write_file("order.csv", text);
    free(text);
    char name[600];
    snprintf(name, sizeof name, "nb201:%s", path);
    exh_space *s = NULL;
    int rc = exh_space_open(name, &s, err);
    exh_space_free(s);
    return rc;
}

static void test_bad_order_file(void **state)
{
    (void)state;
    exh_error err;
    assert_int_equal(open_order_file("arch_index,arch_str", -1, NULL, &err), 0);
    assert_int_equal(open_order_file("arch_str,extra,arch_index", -1, NULL, &err),
                     EXH_ERR_PARSE); /* rows then have their columns in the wrong place */
    assert_int_equal(open_order_file("index,arch", -1, NULL, &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "arch_index and arch_str"));
    assert_int_equal(open_order_file("arch_index,arch_str", 7, "6,000012", &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "line 9: arch_index 6 listed twice"));
    assert_int_equal(open_order_file("arch_index,arch_str", 7, "7,000000", &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "line 9: cell already listed as arch_index 0"));
    assert_int_equal(open_order_file("arch_index,arch_str", 3, "3,302145", &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "line 5"));
    assert_int_equal(open_order_file("arch_index,arch_str", 3, "x3,000003", &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "'x3'"));
    assert_int_equal(open_order_file("arch_index,arch_str", 3, "15625,000003", &err),
                     EXH_ERR_PARSE);
    assert_int_equal(open_order_file("arch_index,arch_str", 3, "3", &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "line 5: only 1 fields"));
    assert_int_equal(open_order_file("arch_index,arch_str", 3, "3,\"000003", &err), EXH_ERR_PARSE);

    exh_space *s = NULL;
    char name[600];
    char *path = test_write_file("short.csv", "arch_index,arch_str\n0,302140\n");
    snprintf(name, sizeof name, "nb201:%s", path);
    assert_int_equal(exh_space_open(name, &s, &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "arch_index 1 is missing"));
    path = test_write_file("empty.csv", "");
    snprintf(name, sizeof name, "nb201:%s", path);
    assert_int_equal(exh_space_open(name, &s, &err), EXH_ERR_PARSE);
    snprintf(name, sizeof name, "nb201:%s/no-such-file.csv", test_temp_dir());
    assert_true(exh_space_open(name, &s, &err) < 0);
    assert_non_null(strstr(err.message, "no-such-file.csv"));
    assert_null(s);
}

static void test_sampling_is_uniform(void **state)
{
    (void)state;
    exh_space *s = open_nb201();
    exh_rng *r = exh_rng_new(2024);
    enum { DRAWS = 50000 };
    long counts[6][5] = {{0}}, operations[7] = {0};
    exh_error err;
    for (int n = 0; n < DRAWS; n++) {
        exh_arch a;
        assert_int_equal(exh_space_sample(s, r, &a, &err), 0);
        for (int i = 0; i < 6; i++)
            counts[i][a.token[i]]++;
        operations[exh_nb201_operation_count(&a)]++;
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
    exh_rng_free(r);
    exh_space_free(s);
}

static void test_mutation_changes_one_position(void **state)
{
    (void)state;
    exh_space *s = open_nb201();
    exh_rng *r = exh_rng_new(5);
    exh_error err;
    for (int n = 0; n < 5000; n++) {
        exh_arch a, b;
        int position;
        exh_space_sample(s, r, &a, &err);
        assert_int_equal(exh_space_mutate(s, r, &a, &b, &position, NULL, &err), 0);
        int changed = 0;
        for (int i = 0; i < 6; i++)
            changed += a.token[i] != b.token[i];
        assert_int_equal(changed, 1);
        assert_int_not_equal(a.token[position], b.token[position]);
        assert_int_equal(exh_space_validate(s, &b, &err), 0);
    }
    exh_rng_free(r);
    exh_space_free(s);
}

static void test_same_seed_same_samples(void **state)
{
    (void)state;
    exh_space *s = open_nb201();
    exh_rng *r1 = exh_rng_new(9), *r2 = exh_rng_new(9);
    exh_error err;
    for (int n = 0; n < 100; n++) {
        exh_arch a, b;
        exh_space_sample(s, r1, &a, &err);
        exh_space_sample(s, r2, &b, &err);
        assert_true(exh_arch_equal(&a, &b));
    }
    exh_rng_free(r1);
    exh_rng_free(r2);
    exh_space_free(s);
}

static void test_bad_input(void **state)
{
    (void)state;
    exh_space *s = open_nb201();
    exh_arch a;
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
        assert_int_equal(exh_space_parse(s, bad[i], &a, &err), EXH_ERR_PARSE);
        assert_true(strlen(err.message) > 0);
    }
    /* A failed parse leaves the output alone. */
    exh_arch kept, before;
    assert_int_equal(exh_space_parse_sequence(s, "4,4,4,4,4,4", &kept, &err), 0);
    before = kept;
    assert_int_equal(
        exh_space_parse(s, "|none~0|+|none~0|none~1|+|none~0|none~1|none~3|", &kept, &err),
        EXH_ERR_PARSE);
    assert_true(exh_arch_equal(&kept, &before));
    /* Every strict prefix of a valid string is refused. */
    char prefix[128];
    for (size_t n = 0; n < strlen(EXAMPLE); n++) {
        memcpy(prefix, EXAMPLE, n);
        prefix[n] = '\0';
        assert_int_equal(exh_space_parse(s, prefix, &a, &err), EXH_ERR_PARSE);
    }
    /* Messages say which edge is wrong. */
    assert_int_equal(
        exh_space_parse(s, "|none~0|+|none~0|none~0|+|none~0|none~1|none~2|", &a, &err),
        EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "edge 3"));
    assert_non_null(strstr(err.message, "node 1"));
    assert_int_equal(exh_space_parse(s, "|none~0|+|none~0|none~1|+|none~0|none~1|conv_9x9~2|", &a,
                                     &err),
                     EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "edge 6: unknown operation 'conv_9x9'"));
    assert_int_equal(exh_space_parse(s, "3021x0", &a, &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "digit 5"));
    /* Blanks around are fine, inside are not. */
    assert_int_equal(exh_space_parse(s, "  302140\n", &a, &err), 0);
    assert_int_equal(exh_space_parse(s, "302 140", &a, &err), EXH_ERR_PARSE);
    char huge[10000];
    memset(huge, '|', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    assert_int_equal(exh_space_parse(s, huge, &a, &err), EXH_ERR_PARSE);
    memset(huge, '3', sizeof huge - 1);
    assert_int_equal(exh_space_parse(s, huge, &a, &err), EXH_ERR_PARSE);
    exh_arch wrong = {.length = 5};
    assert_int_equal(exh_space_validate(s, &wrong, &err), EXH_ERR_INVALID);
    wrong.length = 6;
    wrong.token[5] = -1;
    assert_int_equal(exh_space_validate(s, &wrong, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_space_index(s, &wrong), -1);
    assert_int_equal(exh_space_parse_sequence(s, "1,2,3,4,5", &a, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_space_parse_sequence(s, "1,2,3,4,5,9", &a, &err), EXH_ERR_INVALID);
    exh_space_free(s);
}

/* Corrupt bytes of valid strings: parse never crashes, and what it accepts
 * is one of the cells and prints back the same (a corrupted op name that
 * is another op name is the only way in). */
static void test_corrupted_texts(void **state)
{
    (void)state;
    static const char garbage[] = "|+~0123abnoe_x\x01\xff ";
    exh_space *s = open_nb201();
    exh_rng *r = exh_rng_new(33);
    exh_error err;
    for (int n = 0; n < 5000; n++) {
        exh_arch a, b;
        char text[EXH_SPACE_TEXT_MAX], again[EXH_SPACE_TEXT_MAX];
        exh_space_sample(s, r, &a, &err);
        int length = exh_space_format(s, &a, text, sizeof text);
        assert_true(length > 0);
        for (int k = 0; k < 1 + n % 3; k++)
            text[exh_rng_below(r, (uint32_t)length)] =
                garbage[exh_rng_below(r, sizeof garbage - 1)];
        if (exh_space_parse(s, text, &b, &err) < 0) {
            assert_true(strlen(err.message) > 0);
            continue;
        }
        assert_int_equal(exh_space_validate(s, &b, &err), 0);
        assert_true(exh_space_format(s, &b, again, sizeof again) > 0);
        assert_string_equal(text, again);
    }
    exh_rng_free(r);
    exh_space_free(s);
}

/* What reports ask the space (space.h): names of the choices and sizes of
 * the tensors, the same hand-worked sizes as test_cachesim's test_nb201_sizes
 * (nor_conv_3x3 972,160 bytes, nor_conv_1x1 112,000); a space without them
 * (convchain) says so. */
static void test_report_tables(void **state)
{
    (void)state;
    exh_space *s = open_nb201();
    exh_arch a = {.length = 6, .token = {3, 2, 0, 1, 4, 3}};
    static const struct {
        int position;
        int64_t bytes;
        const char *name;
    } rows[] = {{0, 972160, "nor_conv_3x3"}, {1, 112000, "nor_conv_1x1"}, {2, 0, "none"},
                {3, 0, "skip_connect"},      {4, 0, "avg_pool_3x3"},      {6, -1, NULL}};
    assert_true(exh_space_has_tensor_bytes(s));
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        assert_int_equal(exh_space_tensor_bytes(s, &a, rows[i].position), rows[i].bytes);
        if (rows[i].name)
            assert_string_equal(exh_space_choice_name(s, rows[i].position,
                                                      a.token[rows[i].position]),
                                rows[i].name);
    }
    assert_string_equal(exh_space_choice_name(s, 0, 9), "?");
    a.token[1] = 5;
    assert_int_equal(exh_space_tensor_bytes(s, &a, 1), -1);
    exh_space_free(s);
    exh_error err;
    assert_int_equal(exh_space_open("convchain", &s, &err), 0);
    assert_false(exh_space_has_tensor_bytes(s));
    assert_int_equal(exh_space_tensor_bytes(s, &a, 0), -1);
    assert_null(exh_space_choice_name(s, 0, 0));
    exh_space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_forms),
        cmocka_unit_test(test_connectivity),
        cmocka_unit_test(test_connectivity_and_count_of_every_cell),
        cmocka_unit_test(test_layers),
        cmocka_unit_test(test_enumeration_round_trip),
        cmocka_unit_test(test_benchmark_order),
        cmocka_unit_test(test_bad_order_file),
        cmocka_unit_test(test_sampling_is_uniform),
        cmocka_unit_test(test_mutation_changes_one_position),
        cmocka_unit_test(test_same_seed_same_samples),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_corrupted_texts),
        cmocka_unit_test(test_report_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
