/* test_space_common.c — what space.h promises of every space, checked on
 * each space that opens without a data file: nb201, convchain, graph, and
 * dense with the CANDLE-ATTN example when the source tree has it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exhaust/space.h"
#include "testutil.h"

enum { SAMPLES = 400 };

/* The space a test runs on, opened in setup (NULL state: skip). */
typedef struct fixture {
    char name[1100];
    exh_space *s;
} fixture;

static int open_fixture(void **state, const char *name)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->name, sizeof f->name, "%s", name);
    exh_error err;
    if (exh_space_open(name, &f->s, &err) < 0) {
        print_error("cannot open space '%s': %s\n", name, err.message);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int setup_nb201(void **state) { return open_fixture(state, "nb201"); }
static int setup_convchain(void **state) { return open_fixture(state, "convchain"); }
static int setup_graph(void **state) { return open_fixture(state, "graph"); }

static int setup_dense(void **state)
{
    const char *source = getenv("EXHAUST_SOURCE");
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/spaces/candle_attn.json", source ? source : ".");
    if (access(path, R_OK) != 0) {
        *state = NULL; /* the test skips */
        return 0;
    }
    char name[1100];
    snprintf(name, sizeof name, "dense:%s", path);
    return open_fixture(state, name);
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f) {
        exh_space_free(f->s);
        free(f);
    }
    return 0;
}

static const exh_space *fixture_space(void **state)
{
    fixture *f = *state;
    if (!f)
        skip();
    return f->s;
}

/* Samples are valid, and text and sequence forms round-trip. */
static void test_round_trips(void **state)
{
    const exh_space *s = fixture_space(state);
    exh_rng *r = exh_rng_new(101);
    exh_error err;
    for (int n = 0; n < SAMPLES; n++) {
        exh_arch a, b;
        char text[EXH_SPACE_TEXT_MAX], again[EXH_SPACE_TEXT_MAX];
        assert_int_equal(exh_space_sample(s, r, &a, &err), 0);
        assert_in_range(a.length, 1, EXH_ARCH_MAX_TOKENS);
        if (exh_space_validate(s, &a, &err) < 0)
            fail_msg("%s: sample %d invalid: %s", exh_space_name(s), n, err.message);
        for (int i = 0; i < a.length; i++)
            assert_in_range(a.token[i], 0, exh_space_arity(s, &a, i) - 1);
        assert_true(exh_space_format(s, &a, text, sizeof text) > 0);
        if (exh_space_parse(s, text, &b, &err) < 0)
            fail_msg("%s: cannot parse its own '%s': %s", exh_space_name(s), text, err.message);
        assert_true(exh_arch_equal(&a, &b));
        assert_true(exh_space_format(s, &b, again, sizeof again) > 0);
        assert_string_equal(text, again);
        assert_true(exh_space_format_sequence(&a, text, sizeof text) > 0);
        assert_int_equal(exh_space_parse_sequence(s, text, &b, &err), 0);
        assert_true(exh_arch_equal(&a, &b));
    }
    exh_rng_free(r);
}

/* Mutation: exactly one position changes, to a valid architecture. */
static void test_mutation(void **state)
{
    const exh_space *s = fixture_space(state);
    exh_rng *r = exh_rng_new(202);
    exh_error err;
    for (int n = 0; n < SAMPLES; n++) {
        exh_arch a, b;
        int position = -1;
        exh_space_sample(s, r, &a, &err);
        if (exh_space_mutate(s, r, &a, &b, &position, NULL, &err) < 0)
            fail_msg("%s: mutation failed: %s", exh_space_name(s), err.message);
        assert_int_equal(a.length, b.length);
        int changed = 0;
        for (int i = 0; i < a.length; i++)
            changed += a.token[i] != b.token[i];
        assert_int_equal(changed, 1);
        assert_in_range(position, 0, a.length - 1);
        assert_int_not_equal(a.token[position], b.token[position]);
        if (exh_space_validate(s, &b, &err) < 0)
            fail_msg("%s: mutant invalid: %s", exh_space_name(s), err.message);
        /* In place, without asking for the position. */
        assert_int_equal(exh_space_mutate(s, r, &b, &b, NULL, NULL, &err), 0);
        assert_int_equal(exh_space_validate(s, &b, &err), 0);
    }
    exh_rng_free(r);
}

static void test_same_seed_same_samples(void **state)
{
    const exh_space *s = fixture_space(state);
    exh_rng *r1 = exh_rng_new(303), *r2 = exh_rng_new(303);
    exh_error err;
    int all_alike = 1;
    exh_arch first;
    for (int n = 0; n < 100; n++) {
        exh_arch a, b, ma, mb;
        exh_space_sample(s, r1, &a, &err);
        exh_space_sample(s, r2, &b, &err);
        assert_true(exh_arch_equal(&a, &b));
        exh_space_mutate(s, r1, &a, &ma, NULL, NULL, &err);
        exh_space_mutate(s, r2, &b, &mb, NULL, NULL, &err);
        assert_true(exh_arch_equal(&ma, &mb));
        if (n == 0)
            first = a;
        all_alike &= exh_arch_equal(&a, &first);
    }
    assert_false(all_alike);
    exh_rng_free(r1);
    exh_rng_free(r2);
}

/* The layer view and op names exist for every sample. */
static void test_layers(void **state)
{
    const exh_space *s = fixture_space(state);
    exh_rng *r = exh_rng_new(404);
    exh_error err;
    exh_layer view[EXH_ARCH_MAX_TOKENS];
    for (int n = 0; n < SAMPLES; n++) {
        exh_arch a;
        exh_space_sample(s, r, &a, &err);
        int count = exh_space_layers(s, &a, view, EXH_ARCH_MAX_TOKENS);
        assert_in_range(count, 1, EXH_ARCH_MAX_TOKENS);
        for (int i = 0; i < count; i++) {
            assert_in_range(view[i].input_count, 0, EXH_LAYER_MAX_INPUTS);
            assert_non_null(exh_space_op_name(s, view[i].op));
        }
    }
    exh_rng_free(r);
}

/* Enumerable spaces: enumerate and index are inverse; others refuse. */
static void test_enumeration(void **state)
{
    const exh_space *s = fixture_space(state);
    exh_error err;
    exh_arch a;
    int64_t size = exh_space_size(s);
    if (size < 0) {
        assert_true(exh_space_enumerate(s, 0, &a, &err) < 0);
        return;
    }
    int64_t probes = size < 997 ? size : 997;
    for (int64_t k = 0; k < probes; k++) {
        int64_t i = size < 997 ? k : k * (size / 997); /* spread out, no overflow */
        assert_int_equal(exh_space_enumerate(s, i, &a, &err), 0);
        assert_int_equal(exh_space_validate(s, &a, &err), 0);
        assert_int_equal(exh_space_index(s, &a), i);
    }
    assert_true(exh_space_enumerate(s, size, &a, &err) < 0);
    assert_true(exh_space_enumerate(s, -1, &a, &err) < 0);
}

/* Bad text and bad token lists give errors with messages, never crashes. */
static void test_bad_input(void **state)
{
    const exh_space *s = fixture_space(state);
    static const char *const bad[] = {
        "", "   ", "\x01\x02", "}", "{", "[", "]", "[1,", "-1", "|+|", "zzzz",
        "{\"h_new_0\": ", "f24k3x3s1", "9999999999999999999999", "[-1, 0]",
    };
    exh_arch a;
    exh_error err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.message[0] = '\0';
        if (exh_space_parse(s, bad[i], &a, &err) >= 0)
            fail_msg("%s accepted '%s'", exh_space_name(s), bad[i]);
        assert_true(strlen(err.message) > 0);
    }
    static char huge[20000];
    static const char filler[] = "[0,|~+f1{\"";
    for (size_t i = 0; i + 1 < sizeof huge; i++)
        huge[i] = filler[i % (sizeof filler - 1)];
    assert_true(exh_space_parse(s, huge, &a, &err) < 0);
    memset(huge, '0', sizeof huge - 1);
    assert_true(exh_space_parse(s, huge, &a, &err) < 0);

    exh_rng *r = exh_rng_new(505);
    exh_space_sample(s, r, &a, &err);
    exh_arch wrong = a;
    wrong.token[exh_rng_below(r, (uint32_t)a.length)] = -1;
    assert_true(exh_space_validate(s, &wrong, &err) < 0);
    wrong = a;
    wrong.token[a.length - 1] = 1 << 30;
    assert_true(exh_space_validate(s, &wrong, &err) < 0);
    wrong.length = 0;
    assert_true(exh_space_validate(s, &wrong, &err) < 0);
    wrong.length = EXH_ARCH_MAX_TOKENS + 1;
    assert_true(exh_space_validate(s, &wrong, &err) < 0);
    exh_rng_free(r);
}

/* Corrupt bytes of formatted texts: whatever parses is valid. */
static void test_corrupted_texts(void **state)
{
    const exh_space *s = fixture_space(state);
    static const char garbage[] = "0123456789,[]{}\"|~+-:fksx_ \x01\xff";
    exh_rng *r = exh_rng_new(606);
    exh_error err;
    for (int n = 0; n < SAMPLES * 4; n++) {
        exh_arch a, b;
        char text[EXH_SPACE_TEXT_MAX];
        exh_space_sample(s, r, &a, &err);
        int length = exh_space_format(s, &a, text, sizeof text);
        assert_true(length > 0);
        for (int k = 0; k < 1 + n % 3; k++)
            text[exh_rng_below(r, (uint32_t)length)] = garbage[exh_rng_below(r, sizeof garbage - 1)];
        if (exh_space_parse(s, text, &b, &err) < 0)
            assert_true(strlen(err.message) > 0);
        else if (exh_space_validate(s, &b, &err) < 0)
            fail_msg("%s parsed '%s' into an invalid architecture: %s", exh_space_name(s), text,
                     err.message);
    }
    exh_rng_free(r);
}

#define SPACE_TESTS(setup)                                                                  \
    cmocka_unit_test_setup_teardown(test_round_trips, setup, teardown),                     \
        cmocka_unit_test_setup_teardown(test_mutation, setup, teardown),                    \
        cmocka_unit_test_setup_teardown(test_same_seed_same_samples, setup, teardown),      \
        cmocka_unit_test_setup_teardown(test_layers, setup, teardown),                      \
        cmocka_unit_test_setup_teardown(test_enumeration, setup, teardown),                 \
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),                   \
        cmocka_unit_test_setup_teardown(test_corrupted_texts, setup, teardown)

int main(void)
{
    const struct CMUnitTest nb201[] = {SPACE_TESTS(setup_nb201)};
    const struct CMUnitTest convchain[] = {SPACE_TESTS(setup_convchain)};
    const struct CMUnitTest graph[] = {SPACE_TESTS(setup_graph)};
    const struct CMUnitTest dense[] = {SPACE_TESTS(setup_dense)};
    int failed = cmocka_run_group_tests_name("nb201", nb201, NULL, NULL);
    failed += cmocka_run_group_tests_name("convchain", convchain, NULL, NULL);
    failed += cmocka_run_group_tests_name("graph", graph, NULL, NULL);
    failed += cmocka_run_group_tests_name("dense", dense, NULL, NULL);
    return failed ? 1 : 0;
}
