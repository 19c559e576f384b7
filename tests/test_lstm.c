/* test_lstm.c — the LSTM regressor's forward and backward passes.
 *
 *   test_lstm            self-contained checks: gradients against central
 *                        finite differences (with and without dropout),
 *                        packed batches equal to sequences run alone,
 *                        embedding rows, Adam against its formula, bad input.
 *   test_lstm FILE       compares with PyTorch: FILE is what
 *                        tests/lstm_reference.py writes (weights, a batch of
 *                        different lengths, PyTorch's outputs, loss and
 *                        gradients in float64); tests/test_lstm_torch.py
 *                        runs both.
 *
 * Tolerance against PyTorch: an element passes when
 *     |exhaust - torch| <= 1e-4 * (|torch| + scale),
 * scale = the largest |torch| value of that tensor: relative error 1e-4,
 * with tiny elements judged against their tensor's magnitude (float32
 * arithmetic here, float64 there).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/lstm.h"
#include "predict/lstm_internal.h"
#include "util/file.h"
#include "testutil.h"

static const char *reference_path;

/* A small model (so every parameter can be perturbed) with layout period 2. */
static exh_lstm_model *small_model(uint64_t seed)
{
    exh_lstm_config c;
    exh_lstm_config_default(&c);
    c.embedding_size = 4;
    c.hidden_size = 5;
    c.dense_size = 3;
    c.period = 2;
    c.choices[0] = 3;
    c.choices[1] = 2;
    exh_lstm_model *m;
    exh_error err;
    assert_int_equal(exh_lstm_new(&c, &m, &err), 0);
    exh_rng *r = exh_rng_new(seed);
    exh_lstm_init(m, r);
    exh_rng_free(r);
    return m;
}

/* Sequences of lengths 4, 1, 6, 4, 2 with tokens drawn from 0..3 (3 is an
 * unseen choice at every position). */
static void small_batch(exh_arch archs[5], const exh_arch *batch[5], float targets[5])
{
    static const int lengths[5] = {4, 1, 6, 4, 2};
    exh_rng *r = exh_rng_new(11);
    for (int b = 0; b < 5; b++) {
        archs[b].length = lengths[b];
        for (int i = 0; i < lengths[b]; i++)
            archs[b].token[i] = (int32_t)exh_rng_below(r, 4);
        batch[b] = &archs[b];
        targets[b] = (float)exh_rng_gaussian(r);
    }
    exh_rng_free(r);
}

static double loss_at(exh_lstm_model *m, const exh_arch *const *batch, const float *targets,
                      float dropout, uint64_t mask_seed)
{
    exh_rng *r = exh_rng_new(mask_seed); /* the same dropout masks every time */
    float loss;
    exh_error err;
    assert_int_equal(exh_lstm_forward(m, batch, 5, targets, dropout, r, &loss, &err), 0);
    exh_rng_free(r);
    return loss;
}

static void check_finite_differences(float dropout, int scalar)
{
    exh_lstm_model *m = small_model(3);
    lstm_force_scalar_kernels(m, scalar);
    exh_arch archs[5];
    const exh_arch *batch[5];
    float targets[5];
    small_batch(archs, batch, targets);
    exh_error err;
    loss_at(m, batch, targets, dropout, 99);
    assert_int_equal(exh_lstm_backward(m, &err), 0);
    size_t n = exh_lstm_parameter_count(m);
    float *gradient = malloc(n * sizeof *gradient);
    memcpy(gradient, exh_lstm_gradients(m), n * sizeof *gradient);
    float *p = exh_lstm_parameters(m);
    const float step = 1e-2f;
    int checked = 0;
    for (size_t i = 0; i < n; i++) {
        float saved = p[i];
        p[i] = saved + step;
        double up = loss_at(m, batch, targets, dropout, 99);
        p[i] = saved - step;
        double down = loss_at(m, batch, targets, dropout, 99);
        p[i] = saved;
        double numeric = (up - down) / (2.0 * (double)step);
        /* float32 losses: differences carry ~1e-7 / 1e-2 of noise, and the
         * O(step^2) curvature term; ReLU kinks are rare at these weights. */
        if (fabs(numeric - gradient[i]) > 5e-4 + 5e-3 * fabs(numeric))
            fail_msg("parameter %zu: backward %g, finite difference %g", i, gradient[i],
                     numeric);
        checked++;
    }
    assert_int_equal(checked, (int)n);
    free(gradient);
    exh_lstm_free(m);
}

static void test_gradients_match_finite_differences(void **state)
{
    (void)state;
    check_finite_differences(0.0f, 0);
    check_finite_differences(0.0f, 1);
}

static void test_gradients_with_dropout(void **state)
{
    (void)state;
    check_finite_differences(0.3f, 0);
    check_finite_differences(0.3f, 1);
}

/* The embedding, input weights and unseen-choice rows all get gradient:
 * the check above is not passing on zeros. */
/* Both kernel paths (AVX2 and plain C) against libm in double, on a row
 * width that leaves a partial vector, inputs from -100 to 100. */
static void test_kernels_against_libm(void **state)
{
    (void)state;
    enum { H = 13, ROWS = 40 };
    static float gates[2][ROWS * 4 * H], previous[ROWS * H], cell[2][ROWS * H],
        squashed[2][ROWS * H], hidden[2][ROWS * H];
    exh_rng *r = exh_rng_new(4);
    for (int k = 0; k < ROWS * 4 * H; k++) {
        double scale = k % 3 == 0 ? 100 : k % 3 == 1 ? 4 : 0.3; /* saturated, typical, tiny */
        gates[0][k] = gates[1][k] = (float)((2 * exh_rng_uniform(r) - 1) * scale);
    }
    for (int k = 0; k < ROWS * H; k++)
        previous[k] = (float)(4 * exh_rng_gaussian(r));
    exh_rng_free(r);
    static float raw[ROWS * 4 * H];
    memcpy(raw, gates[0], sizeof raw);
    for (int path = 0; path < 2; path++)
        lstm_cell_forward(H, ROWS, gates[path], previous, cell[path], squashed[path], hidden[path],
                          path == 1 && lstm_kernels_have_avx2());
    double worst = 0;
    for (int b = 0; b < ROWS; b++)
        for (int j = 0; j < H; j++) {
            const float *g = raw + (size_t)b * 4 * H;
            double i = 1 / (1 + exp(-(double)g[j])), f = 1 / (1 + exp(-(double)g[H + j]));
            double c = tanh((double)g[2 * H + j]), o = 1 / (1 + exp(-(double)g[3 * H + j]));
            double next_cell = f * previous[b * H + j] + i * c;
            for (int path = 0; path < 2; path++) {
                const float *out = gates[path] + (size_t)b * 4 * H;
                const double expected[6] = {i, f, c, o, next_cell, o * tanh(next_cell)};
                const double got[6] = {out[j], out[H + j], out[2 * H + j], out[3 * H + j],
                                       cell[path][b * H + j], hidden[path][b * H + j]};
                /* c_t = f c + i g cancels: judge it (and h) by its terms' size. */
                double terms = fabs(f * previous[b * H + j]) + fabs(i * c);
                for (int k = 0; k < 6; k++) {
                    double size = k < 4 ? fabs(expected[k]) : terms;
                    double error = fabs(got[k] - expected[k]) / (1e-3 + size);
                    worst = fmax(worst, error);
                    if (error > 2e-6)
                        fail_msg("path %d row %d unit %d value %d: %.9g, libm %.9g", path, b, j,
                                 k, got[k], expected[k]);
                }
            }
        }
    print_message("kernels: worst relative error %.2g against libm (AVX2 %s)\n", worst,
                  lstm_kernels_have_avx2() ? "used" : "not available");
}

/* The plain C kernels, the grouped input projection (no dropout) and the
 * per-row one (a dropout too small to drop anything) all give the same
 * outputs and gradients. */
static void test_paths_agree(void **state)
{
    (void)state;
    exh_arch archs[5];
    const exh_arch *batch[5];
    float targets[5];
    small_batch(archs, batch, targets);
    exh_lstm_model *m = small_model(8);
    size_t n = exh_lstm_parameter_count(m);
    float outputs[3][5], *gradients[3];
    for (int path = 0; path < 3; path++) {
        lstm_force_scalar_kernels(m, path == 1);
        exh_rng *r = exh_rng_new(1);
        float loss;
        exh_error err;
        assert_int_equal(
            exh_lstm_forward(m, batch, 5, targets, path == 2 ? 1e-12f : 0, r, &loss, &err), 0);
        assert_int_equal(m->work.grouped, path != 2);
        assert_int_equal(exh_lstm_backward(m, &err), 0);
        memcpy(outputs[path], exh_lstm_outputs(m), sizeof outputs[path]);
        gradients[path] = malloc(n * sizeof(float));
        memcpy(gradients[path], exh_lstm_gradients(m), n * sizeof(float));
        exh_rng_free(r);
    }
    for (int path = 1; path < 3; path++) {
        for (int b = 0; b < 5; b++)
            assert_true(fabsf(outputs[path][b] - outputs[0][b]) <= 1e-6f);
        for (size_t i = 0; i < n; i++)
            if (fabsf(gradients[path][i] - gradients[0][i]) > 1e-6f)
                fail_msg("path %d parameter %zu: %g against %g", path, i, gradients[path][i],
                         gradients[0][i]);
    }
    for (int path = 0; path < 3; path++)
        free(gradients[path]);
    exh_lstm_free(m);
}

static void test_gradients_not_trivial(void **state)
{
    (void)state;
    exh_lstm_model *m = small_model(3);
    exh_arch archs[5];
    const exh_arch *batch[5];
    float targets[5];
    small_batch(archs, batch, targets);
    exh_error err;
    loss_at(m, batch, targets, 0, 1);
    assert_int_equal(exh_lstm_backward(m, &err), 0);
    for (int t = 0; t < EXH_LSTM_TENSOR_COUNT; t++) {
        exh_lstm_tensor_info info;
        exh_lstm_tensor_describe(m, (enum exh_lstm_tensor)t, &info);
        if ((size_t)info.rows * info.columns == 0)
            continue; /* the paper variant's wide layer, absent here */
        double norm = 0;
        for (size_t i = 0; i < (size_t)info.rows * info.columns; i++)
            norm += fabs(exh_lstm_gradients(m)[info.offset + i]);
        if (!(norm > 1e-6))
            fail_msg("tensor %s has a zero gradient", info.name);
    }
    exh_lstm_free(m);
}

static void test_packed_batch_equals_single_sequences(void **state)
{
    (void)state;
    exh_lstm_model *m = small_model(5);
    exh_arch archs[5];
    const exh_arch *batch[5];
    float targets[5], together[5];
    small_batch(archs, batch, targets);
    exh_error err;
    assert_int_equal(exh_lstm_forward(m, batch, 5, NULL, 0, NULL, NULL, &err), 0);
    memcpy(together, exh_lstm_outputs(m), sizeof together);
    for (int b = 0; b < 5; b++) {
        assert_int_equal(exh_lstm_forward(m, &batch[b], 1, NULL, 0, NULL, NULL, &err), 0);
        assert_true(fabsf(exh_lstm_outputs(m)[0] - together[b]) <= 1e-6f * (1 + fabsf(together[b])));
    }
    /* Reversed order: the same outputs, each in its own place. */
    const exh_arch *reversed[5];
    for (int b = 0; b < 5; b++)
        reversed[b] = batch[4 - b];
    assert_int_equal(exh_lstm_forward(m, reversed, 5, NULL, 0, NULL, NULL, &err), 0);
    for (int b = 0; b < 5; b++)
        assert_true(fabsf(exh_lstm_outputs(m)[b] - together[4 - b]) <= 1e-6f * (1 + fabsf(together[b])));
    exh_lstm_free(m);
}

static void test_embedding_rows(void **state)
{
    (void)state;
    exh_lstm_model *m = small_model(1);
    /* period 2, choices {3, 2}: rows 0..3 for even positions, 4..6 for odd. */
    int seen[7] = {0};
    for (int position = 0; position < 4; position++)
        for (int token = 0; token < 4; token++) {
            int row = exh_lstm_embedding_row(m, position, token);
            assert_true(row >= 0 && row < 7);
            seen[row]++;
        }
    for (int row = 0; row < 7; row++)
        assert_true(seen[row] > 0);
    assert_int_equal(exh_lstm_embedding_row(m, 0, 0), exh_lstm_embedding_row(m, 2, 0));
    assert_int_not_equal(exh_lstm_embedding_row(m, 0, 0), exh_lstm_embedding_row(m, 1, 0));
    /* Unseen and bad tokens share the position's extra row. */
    assert_int_equal(exh_lstm_embedding_row(m, 1, 2), exh_lstm_embedding_row(m, 1, 99));
    assert_int_equal(exh_lstm_embedding_row(m, 1, -5), exh_lstm_embedding_row(m, 1, 2));
    assert_int_equal(exh_lstm_embedding_row(m, 0, 3), exh_lstm_embedding_row(m, 0, 1000));
    assert_int_not_equal(exh_lstm_embedding_row(m, 0, 3), exh_lstm_embedding_row(m, 0, 2));
    exh_lstm_tensor_info info;
    exh_lstm_tensor_describe(m, EXH_LSTM_EMBEDDING, &info);
    assert_int_equal(info.rows, 7);
    assert_int_equal(info.columns, 4);
    exh_lstm_free(m);
}

static void test_adam_against_formula(void **state)
{
    (void)state;
    exh_lstm_model *m = small_model(2);
    exh_arch archs[5];
    const exh_arch *batch[5];
    float targets[5];
    small_batch(archs, batch, targets);
    exh_error err;
    exh_lstm_adam_options o = {.learning_rate = 0.01f, .beta1 = 0.9f, .beta2 = 0.99f,
                           .epsilon = 1e-8f, .weight_decay = 0.1f};
    size_t n = exh_lstm_parameter_count(m);
    double *p = malloc(n * sizeof *p), *mean = calloc(n, sizeof *mean),
           *square = calloc(n, sizeof *square);
    for (size_t i = 0; i < n; i++)
        p[i] = exh_lstm_parameters(m)[i];
    for (int step = 1; step <= 3; step++) {
        loss_at(m, batch, targets, 0, 1);
        assert_int_equal(exh_lstm_backward(m, &err), 0);
        for (size_t i = 0; i < n; i++) {
            double g = exh_lstm_gradients(m)[i] + o.weight_decay * p[i];
            mean[i] = o.beta1 * mean[i] + (1 - o.beta1) * g;
            square[i] = o.beta2 * square[i] + (1 - o.beta2) * g * g;
            double m_hat = mean[i] / (1 - pow(o.beta1, step));
            double v_hat = square[i] / (1 - pow(o.beta2, step));
            p[i] -= o.learning_rate * m_hat / (sqrt(v_hat) + o.epsilon);
        }
        exh_lstm_adam_update(m, &o);
        for (size_t i = 0; i < n; i++)
            if (fabs(exh_lstm_parameters(m)[i] - p[i]) > 1e-5 * (1 + fabs(p[i])))
                fail_msg("step %d parameter %zu: %g, formula %g", step, i,
                         exh_lstm_parameters(m)[i], p[i]);
    }
    free(p);
    free(mean);
    free(square);
    exh_lstm_free(m);
}

static void test_forward_rejects_bad_input(void **state)
{
    (void)state;
    exh_lstm_model *m = small_model(1);
    exh_arch archs[5];
    const exh_arch *batch[5];
    float targets[5];
    small_batch(archs, batch, targets);
    exh_error err;
    assert_int_equal(exh_lstm_backward(m, &err), EXH_ERR_INVALID); /* no forward yet */
    assert_int_equal(exh_lstm_forward(m, batch, 0, NULL, 0, NULL, NULL, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_lstm_forward(m, NULL, 3, NULL, 0, NULL, NULL, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_lstm_forward(m, batch, 5, targets, 1.0f, NULL, NULL, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "dropout"));
    assert_int_equal(exh_lstm_forward(m, batch, 5, targets, 0.5f, NULL, NULL, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_lstm_forward(m, batch, 5, targets, NAN, NULL, NULL, &err), EXH_ERR_INVALID);
    exh_arch empty = {.length = 0}, huge = {.length = EXH_ARCH_MAX_TOKENS + 1};
    const exh_arch *bad[2] = {&archs[0], &empty};
    assert_int_equal(exh_lstm_forward(m, bad, 2, NULL, 0, NULL, NULL, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "item 1"));
    bad[1] = &huge;
    assert_int_equal(exh_lstm_forward(m, bad, 2, NULL, 0, NULL, NULL, &err), EXH_ERR_INVALID);
    bad[1] = NULL;
    assert_int_equal(exh_lstm_forward(m, bad, 2, NULL, 0, NULL, NULL, &err), EXH_ERR_INVALID);
    /* A forward without targets cannot be differentiated. */
    assert_int_equal(exh_lstm_forward(m, batch, 5, NULL, 0, NULL, NULL, &err), 0);
    assert_int_equal(exh_lstm_backward(m, &err), EXH_ERR_INVALID);
    float nan_targets[5] = {0, 0, NAN, 0, 0};
    assert_int_equal(exh_lstm_forward(m, batch, 5, nan_targets, 0, NULL, NULL, &err), EXH_ERR_INVALID);
    /* The longest sequence a space produces works, as do wild tokens. */
    exh_arch longest = {.length = EXH_ARCH_MAX_TOKENS};
    for (int i = 0; i < EXH_ARCH_MAX_TOKENS; i++)
        longest.token[i] = i % 2 ? INT32_MIN : INT32_MAX;
    const exh_arch *one = &longest;
    assert_int_equal(exh_lstm_forward(m, &one, 1, NULL, 0, NULL, NULL, &err), 0);
    assert_true(isfinite(exh_lstm_outputs(m)[0]));
    exh_lstm_free(m);
}

static void test_config_checks(void **state)
{
    (void)state;
    exh_lstm_config c;
    exh_lstm_config_default(&c);
    exh_error err;
    exh_lstm_model *m = (exh_lstm_model *)&c; /* must be reset to NULL on failure */
    c.hidden_size = 0;
    assert_int_equal(exh_lstm_new(&c, &m, &err), EXH_ERR_INVALID);
    assert_null(m);
    assert_non_null(strstr(err.message, "hidden size"));
    exh_lstm_config_default(&c);
    c.choices[0] = 0;
    assert_int_equal(exh_lstm_config_check(&c, &err), EXH_ERR_INVALID);
    exh_lstm_config_default(&c);
    c.period = EXH_LSTM_MAX_PERIOD + 1;
    assert_int_equal(exh_lstm_config_check(&c, &err), EXH_ERR_INVALID);
    exh_lstm_config_default(&c);
    c.embedding_size = c.hidden_size = EXH_LSTM_MAX_LAYER_SIZE;
    c.choices[0] = EXH_LSTM_MAX_CHOICES;
    assert_int_equal(exh_lstm_config_check(&c, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "parameters"));

    exh_arch archs[2] = {{.length = 3, .token = {0, 4, 1}}, {.length = 2, .token = {2, 0}}};
    exh_lstm_config_default(&c);
    assert_int_equal(exh_lstm_config_from_archs(&c, 2, archs, 2, &err), 0);
    assert_int_equal(c.period, 2);
    assert_int_equal(c.choices[0], 3); /* tokens 0, 1, 2 at even positions */
    assert_int_equal(c.choices[1], 5); /* token 4 at position 1 */
    assert_int_equal(exh_lstm_config_from_archs(&c, 0, archs, 2, &err), EXH_ERR_INVALID);
    archs[1].token[1] = -1;
    assert_int_equal(exh_lstm_config_from_archs(&c, 2, archs, 2, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "architecture 1, position 1"));
    archs[1].length = 0;
    assert_int_equal(exh_lstm_config_from_archs(&c, 2, archs, 2, &err), EXH_ERR_INVALID);

    const char *names[] = {"nb201", "convchain", "graph"};
    const int periods[] = {6, 5, 5};
    for (int k = 0; k < 3; k++) {
        exh_space *s;
        assert_int_equal(exh_space_open(names[k], &s, &err), 0);
        assert_int_equal(exh_lstm_period_for_space(s, NULL), periods[k]);
        exh_space_free(s);
    }
}

/* ---- comparison with PyTorch (test_lstm FILE) ---- */

typedef struct reference {
    char *text, *at;
    exh_lstm_config config;
    int vocabulary_from;   /* paper variant: the vocabulary's sequences */
    int count;
    exh_arch archs[64];
    float targets[64];
} reference;

static const char *next_word(reference *r)
{
    char *word = strtok_r(NULL, " \t\r\n", &r->at);
    if (!word)
        fail_msg("%s: ends early", reference_path);
    return word;
}

static void expect_word(reference *r, const char *expected)
{
    const char *word = next_word(r);
    if (strcmp(word, expected) != 0)
        fail_msg("%s: expected '%s', found '%s'", reference_path, expected, word);
}

static long next_integer(reference *r) { return strtol(next_word(r), NULL, 10); }
static double next_number(reference *r) { return strtod(next_word(r), NULL); }

static void read_header(reference *r)
{
    char *first = strtok_r(r->text, " \t\r\n", &r->at);
    assert_non_null(first);
    assert_string_equal(first, "exhaust-lstm-reference");
    long version = next_integer(r);
    assert_true(version == 1 || version == 2);
    expect_word(r, "config");
    exh_lstm_config_default(&r->config);
    r->config.embedding_size = (int)next_integer(r);
    r->config.hidden_size = (int)next_integer(r);
    r->config.dense_size = (int)next_integer(r);
    r->config.period = (int)next_integer(r);
    assert_true(r->config.period >= 1 && r->config.period <= EXH_LSTM_MAX_PERIOD);
    for (int p = 0; p < r->config.period; p++)
        r->config.choices[p] = (int)next_integer(r);
    if (version == 2) { /* "variant paper W F VOCABULARY_FROM" */
        expect_word(r, "variant");
        expect_word(r, "paper");
        exh_lstm_config_paper(&r->config, (int)next_integer(r));
        r->config.wide_size = (int)next_integer(r);
        r->vocabulary_from = (int)next_integer(r);
    }
    expect_word(r, "batch");
    r->count = (int)next_integer(r);
    assert_true(r->count >= 1 && r->count <= 64);
    expect_word(r, "lengths");
    for (int b = 0; b < r->count; b++)
        r->archs[b].length = (int)next_integer(r);
    expect_word(r, "tokens");
    for (int b = 0; b < r->count; b++)
        for (int i = 0; i < r->archs[b].length; i++)
            r->archs[b].token[i] = (int32_t)next_integer(r);
    expect_word(r, "targets");
    for (int b = 0; b < r->count; b++)
        r->targets[b] = (float)next_number(r);
}

/* Reads "KEYWORD NAME COUNT v..." for each tensor; into the parameters
 * (load) or compared with the gradients. */
static void read_tensors(reference *r, exh_lstm_model *m, const char *keyword, int load)
{
    for (int t = 0; t < EXH_LSTM_TENSOR_COUNT; t++) {
        exh_lstm_tensor_info info;
        exh_lstm_tensor_describe(m, (enum exh_lstm_tensor)t, &info);
        size_t n = (size_t)info.rows * info.columns;
        if (n == 0)
            continue; /* the wide layer of the default variant: not written */
        expect_word(r, keyword);
        expect_word(r, info.name);
        assert_int_equal(next_integer(r), (long)n);
        double *values = malloc(n * sizeof *values), scale = 0;
        for (size_t i = 0; i < n; i++) {
            values[i] = next_number(r);
            scale = fmax(scale, fabs(values[i]));
        }
        for (size_t i = 0; i < n; i++) {
            if (load) {
                exh_lstm_parameters(m)[info.offset + i] = (float)values[i];
                continue;
            }
            double ours = exh_lstm_gradients(m)[info.offset + i];
            if (fabs(ours - values[i]) > 1e-4 * (fabs(values[i]) + scale))
                fail_msg("gradient of %s[%zu]: exhaust %.9g, PyTorch %.9g (scale %g)", info.name,
                         i, ours, values[i], scale);
        }
        free(values);
    }
}

static void test_against_pytorch(void **state)
{
    (void)state;
    reference *r = calloc(1, sizeof *r);
    size_t size;
    exh_error err;
    assert_int_equal(file_read_all(reference_path, &r->text, &size, &err), 0);
    read_header(r);
    exh_lstm_model *m;
    assert_int_equal(exh_lstm_new(&r->config, &m, &err), 0);
    read_tensors(r, m, "tensor", 1);
    if (r->config.variant == EXH_LSTM_VARIANT_PAPER)
        assert_int_equal(exh_lstm_set_vocabulary(m, r->archs, r->vocabulary_from, &err), 0);
    const exh_arch *batch[64];
    for (int b = 0; b < r->count; b++)
        batch[b] = &r->archs[b];
    float loss;
    assert_int_equal(exh_lstm_forward(m, batch, r->count, r->targets, 0, NULL, &loss, &err), 0);
    expect_word(r, "outputs");
    assert_int_equal(next_integer(r), r->count);
    double outputs[64], scale = 0;
    for (int b = 0; b < r->count; b++) {
        outputs[b] = next_number(r);
        scale = fmax(scale, fabs(outputs[b]));
    }
    for (int b = 0; b < r->count; b++)
        if (fabs(exh_lstm_outputs(m)[b] - outputs[b]) > 1e-4 * (fabs(outputs[b]) + scale))
            fail_msg("output %d: exhaust %.9g, PyTorch %.9g", b, exh_lstm_outputs(m)[b], outputs[b]);
    expect_word(r, "loss");
    expect_word(r, "1");
    double torch_loss = next_number(r);
    assert_true(fabs(loss - torch_loss) <= 1e-4 * fabs(torch_loss));
    assert_int_equal(exh_lstm_backward(m, &err), 0);
    read_tensors(r, m, "gradient", 0);
    print_message("matched PyTorch (%s variant): %d sequences, loss %.9g (PyTorch %.9g), "
                  "%zu gradients\n", exh_lstm_variant_name(r->config.variant), r->count, loss,
                  torch_loss, exh_lstm_parameter_count(m));
    exh_lstm_free(m);
    free(r->text);
    free(r);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        reference_path = argv[1];
        const struct CMUnitTest reference_tests[] = {cmocka_unit_test(test_against_pytorch)};
        return cmocka_run_group_tests(reference_tests, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients_match_finite_differences),
        cmocka_unit_test(test_gradients_with_dropout),
        cmocka_unit_test(test_gradients_not_trivial),
        cmocka_unit_test(test_kernels_against_libm),
        cmocka_unit_test(test_paths_agree),
        cmocka_unit_test(test_packed_batch_equals_single_sequences),
        cmocka_unit_test(test_embedding_rows),
        cmocka_unit_test(test_adam_against_formula),
        cmocka_unit_test(test_forward_rejects_bad_input),
        cmocka_unit_test(test_config_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
