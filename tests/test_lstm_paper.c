/* test_lstm_paper.c — the prediction paper's LSTM variant (lstm.h): one
 * embedding a layer from a vocabulary of whole layers, the 100-10-1 head
 * with a ReLU after each dense layer, its target scale, its model files and
 * its bad input. Values and gradients against PyTorch are in
 * tests/test_lstm_torch.py (test_lstm FILE); here: hand-worked vocabulary
 * rows, finite differences (with dropout), files, training. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/lstm.h"
#include "predict/lstm_internal.h"
#include "util/crc32c.h"
#include "util/file.h"
#include "testutil.h"

/* Layers of 2 tokens. Hand-worked vocabulary of the first three: layers
 * (0,1) (2,2) | (0,1) (1,-1) | (3,0) -> sorted (0,1) (1,-1) (2,2) (3,0),
 * rows 0..3; any other layer reads row 4. */
static const exh_arch ARCHS[5] = {
    {.length = 4, .token = {0, 1, 2, 2}},
    {.length = 3, .token = {0, 1, 1}},
    {.length = 2, .token = {3, 0}},
    {.length = 5, .token = {2, 2, 0, 1, 1}},  /* known layers, a cut one (1,-1) */
    {.length = 6, .token = {1, 0, 3, 0, 9, 9}},/* (1,0) and (9,9) unknown */
};

static exh_lstm_model *paper_model(int hidden, int wide, uint64_t seed)
{
    exh_lstm_config c;
    exh_lstm_config_default(&c);
    exh_lstm_config_paper(&c, 2);
    c.embedding_size = 3;
    c.hidden_size = hidden;
    c.dense_size = 3;
    c.wide_size = wide;
    exh_error err;
    assert_int_equal(exh_lstm_config_from_archs(&c, 7, ARCHS, 3, &err), 0);
    assert_int_equal(c.period, 1);       /* the period argument is ignored */
    assert_int_equal(c.choices[0], 4);
    exh_lstm_model *m;
    assert_int_equal(exh_lstm_new(&c, &m, &err), 0);
    exh_rng *r = exh_rng_new(seed);
    exh_lstm_init(m, r);
    exh_rng_free(r);
    assert_int_equal(exh_lstm_vocabulary_size(m), 0);
    assert_int_equal(exh_lstm_set_vocabulary(m, ARCHS, 3, &err), 0);
    assert_int_equal(exh_lstm_vocabulary_size(m), 4);
    return m;
}

static void test_vocabulary_rows(void **state)
{
    (void)state;
    exh_lstm_model *m = paper_model(4, 5, 1);
    static const struct {
        int arch, steps, rows[3];
    } cases[] = {
        {0, 2, {0, 2}},    {1, 2, {0, 1}},    {2, 1, {3}},
        {3, 3, {2, 0, 1}}, {4, 3, {4, 3, 4}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const exh_arch *a = &ARCHS[cases[k].arch];
        assert_int_equal(exh_lstm_steps(m, a), cases[k].steps);
        for (int s = 0; s < cases[k].steps; s++)
            if (lstm_step_row(m, a, s) != cases[k].rows[s])
                fail_msg("arch %d step %d: row %d, expected %d", cases[k].arch, s,
                         lstm_step_row(m, a, s), cases[k].rows[s]);
    }
    /* The tensors of the head: F x H, D x F. */
    exh_lstm_tensor_info info;
    exh_lstm_tensor_describe(m, EXH_LSTM_WIDE_WEIGHTS, &info);
    assert_true(info.rows == 5 && info.columns == 4);
    exh_lstm_tensor_describe(m, EXH_LSTM_DENSE_WEIGHTS, &info);
    assert_true(info.rows == 3 && info.columns == 5);
    exh_lstm_tensor_describe(m, EXH_LSTM_EMBEDDING, &info);
    assert_true(info.rows == 5 && info.columns == 3);
    exh_lstm_free(m);
}

static double loss_at(exh_lstm_model *m, const exh_arch *const *batch, const float *targets,
                      float dropout)
{
    exh_rng *r = exh_rng_new(99); /* the same dropout masks every time */
    float loss;
    exh_error err;
    assert_int_equal(exh_lstm_forward(m, batch, 5, targets, dropout, r, &loss, &err), 0);
    exh_rng_free(r);
    return loss;
}

/* Backward against central differences, every parameter, with the output
 * bias raised so that the last ReLU passes for every sequence (where it
 * does not, both are 0: tests/test_lstm_torch.py checks that side). */
static void test_gradients_match_finite_differences(void **state)
{
    (void)state;
    static const float dropouts[] = {0.0f, 0.3f};
    for (size_t k = 0; k < sizeof dropouts / sizeof dropouts[0]; k++) {
        exh_lstm_model *m = paper_model(4, 6, 5);
        *lstm_tensor(exh_lstm_parameters(m), m, EXH_LSTM_OUTPUT_BIAS) = 2.0f;
        const exh_arch *batch[5];
        float targets[5] = {0.5f, 3.0f, 1.0f, 2.5f, 0.1f};
        for (int b = 0; b < 5; b++)
            batch[b] = &ARCHS[b];
        exh_error err;
        loss_at(m, batch, targets, dropouts[k]);
        for (int b = 0; b < 5; b++)
            assert_true(exh_lstm_outputs(m)[b] > 0);
        assert_int_equal(exh_lstm_backward(m, &err), 0);
        size_t n = exh_lstm_parameter_count(m);
        float *gradient = malloc(n * sizeof *gradient), *p = exh_lstm_parameters(m);
        memcpy(gradient, exh_lstm_gradients(m), n * sizeof *gradient);
        const float step = 1e-2f;
        for (size_t i = 0; i < n; i++) {
            float saved = p[i];
            p[i] = saved + step;
            double up = loss_at(m, batch, targets, dropouts[k]);
            p[i] = saved - step;
            double down = loss_at(m, batch, targets, dropouts[k]);
            p[i] = saved;
            double numeric = (up - down) / (2.0 * (double)step);
            if (fabs(numeric - gradient[i]) > 5e-4 + 5e-3 * fabs(numeric))
                fail_msg("dropout %g, parameter %zu: backward %g, finite difference %g",
                         dropouts[k], i, gradient[i], numeric);
        }
        free(gradient);
        exh_lstm_free(m);
    }
}

/* The output's ReLU: with an output bias far below 0 every prediction is
 * the target offset (the training minimum), and no gradient flows. */
static void test_output_relu_floor(void **state)
{
    (void)state;
    exh_lstm_model *m = paper_model(4, 5, 2);
    *lstm_tensor(exh_lstm_parameters(m), m, EXH_LSTM_OUTPUT_BIAS) = -100.0f;
    exh_error err;
    assert_int_equal(exh_lstm_set_target_scale(m, 61.5, 4.0, &err), 0);
    double predicted[5];
    assert_int_equal(exh_lstm_predict(m, ARCHS, 5, predicted, &err), 0);
    for (int b = 0; b < 5; b++)
        assert_true(predicted[b] == 61.5);
    const exh_arch *batch[5] = {&ARCHS[0], &ARCHS[1], &ARCHS[2], &ARCHS[3], &ARCHS[4]};
    float targets[5] = {1, 2, 3, 4, 5};
    assert_true(loss_at(m, batch, targets, 0) > 0);
    assert_int_equal(exh_lstm_backward(m, &err), 0);
    for (size_t i = 0; i < exh_lstm_parameter_count(m); i++)
        assert_true(exh_lstm_gradients(m)[i] == 0.0f);
    exh_lstm_free(m);
}

/* Training sets the vocabulary from the training set when there is none,
 * scales targets from their minimum, learns, and is the same for a seed. */
static void test_training(void **state)
{
    (void)state;
    exh_arch archs[40];
    double targets[40];
    exh_rng *data = exh_rng_new(8);
    for (int i = 0; i < 40; i++) {
        archs[i].length = 2 * (1 + (int)exh_rng_below(data, 4));
        targets[i] = 90;
        for (int t = 0; t < archs[i].length; t++) {
            archs[i].token[t] = (int32_t)exh_rng_below(data, 3);
            targets[i] += t % 2 == 0 ? archs[i].token[t] : 0; /* first attribute counts */
        }
    }
    exh_rng_free(data);
    double result[2][40], minimum = INFINITY;
    for (int i = 0; i < 30; i++)
        minimum = fmin(minimum, targets[i]);
    for (int run = 0; run < 2; run++) {
        exh_lstm_config c;
        exh_lstm_config_default(&c);
        exh_lstm_config_paper(&c, 2);
        c.embedding_size = 8;
        c.hidden_size = 16;
        c.wide_size = 16;
        exh_error err;
        assert_int_equal(exh_lstm_config_from_archs(&c, 1, archs, 30, &err), 0);
        exh_lstm_model *m;
        assert_int_equal(exh_lstm_new(&c, &m, &err), 0);
        exh_rng *r = exh_rng_new(4);
        exh_lstm_init(m, r);
        exh_lstm_train_options o;
        exh_lstm_train_options_default(&o);
        o.max_epochs = 60;
        o.batch_size = 8;
        o.adam.learning_rate = 1e-2f;
        exh_lstm_dataset train = {30, archs, targets};
        exh_lstm_train_report report;
        assert_int_equal(exh_lstm_train(m, &train, NULL, &o, r, &report, &err), 0);
        assert_int_equal(exh_lstm_vocabulary_size(m), c.choices[0]);
        double offset;
        exh_lstm_target_scale(m, &offset, NULL);
        assert_true(offset == minimum);
        assert_true(report.train_loss[report.epochs - 1] < 0.5 * report.train_loss[0]);
        assert_int_equal(exh_lstm_predict(m, archs, 40, result[run], &err), 0);
        for (int i = 0; i < 40; i++)
            assert_true(result[run][i] >= minimum);
        exh_lstm_train_report_clear(&report);
        exh_rng_free(r);
        exh_lstm_free(m);
    }
    assert_memory_equal(result[0], result[1], sizeof result[0]);
}

/* A fresh model's output bias starts raised by the mean scaled target (a
 * learning rate of 1e-12 leaves the rest of one epoch's steps invisible);
 * a model trained again keeps its bias. */
static void test_output_starts_above_the_kink(void **state)
{
    (void)state;
    exh_lstm_model *m = paper_model(4, 5, 6);
    float *bias = lstm_tensor(exh_lstm_parameters(m), m, EXH_LSTM_OUTPUT_BIAS);
    float initial = *bias;
    double targets[5] = {10, 12, 11, 15, 17}; /* min 10, mean 13, sd 2.6077: +1.1504 */
    exh_lstm_dataset train = {5, ARCHS, targets};
    exh_lstm_train_options o;
    exh_lstm_train_options_default(&o);
    o.max_epochs = 1;
    o.dropout = 0;
    o.adam.learning_rate = 1e-12f;
    exh_rng *r = exh_rng_new(1);
    exh_error err;
    assert_int_equal(exh_lstm_train(m, &train, NULL, &o, r, NULL, &err), 0);
    double deviation = sqrt((9.0 + 1 + 4 + 4 + 16) / 5), raised = 3.0 / deviation;
    assert_true(fabs(*bias - (initial + raised)) < 1e-5);
    float trained = *bias;
    assert_int_equal(exh_lstm_train(m, &train, NULL, &o, r, NULL, &err), 0);
    assert_true(fabs(*bias - trained) < 1e-5);
    exh_rng_free(r);
    exh_lstm_free(m);
}

static void reseal(unsigned char *data, size_t size)
{
    uint32_t crc = crc32c(data, size - 4);
    for (int i = 0; i < 4; i++)
        data[size - 4 + i] = (unsigned char)(crc >> (8 * i));
}

static void put_u32_at(unsigned char *data, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        data[at + i] = (unsigned char)(v >> (8 * i));
}

/* Save, load, clone: same variant, vocabulary and predictions; damaged
 * variant fields and vocabularies are refused with the byte named. */
static void test_file_round_trip_and_damage(void **state)
{
    (void)state;
    exh_lstm_model *m = paper_model(4, 5, 3);
    exh_error err;
    assert_int_equal(exh_lstm_set_target_scale(m, 3.5, 2.0, &err), 0);
    char *path = strdup(test_temp_path("paper.lstm"));
    assert_int_equal(exh_lstm_save(m, path, &err), 0);
    exh_lstm_model *loaded, *copy;
    assert_int_equal(exh_lstm_load(path, &loaded, &err), 0);
    assert_int_equal(exh_lstm_clone(loaded, &copy, &err), 0);
    double before[5], after[5], cloned[5];
    assert_int_equal(exh_lstm_predict(m, ARCHS, 5, before, &err), 0);
    assert_int_equal(exh_lstm_predict(loaded, ARCHS, 5, after, &err), 0);
    assert_int_equal(exh_lstm_predict(copy, ARCHS, 5, cloned, &err), 0);
    assert_memory_equal(before, after, sizeof before);
    assert_memory_equal(before, cloned, sizeof before);
    const exh_lstm_config *c = exh_lstm_model_config(loaded);
    assert_true(c->variant == EXH_LSTM_VARIANT_PAPER && c->layer_width == 2 && c->wide_size == 5);
    assert_int_equal(exh_lstm_vocabulary_size(loaded), 4);
    exh_lstm_free(copy);
    exh_lstm_free(loaded);
    unsigned char *data;
    size_t size;
    assert_int_equal(file_read_all(path, (char **)&data, &size, &err), 0);
    /* Layout: 8 magic, 4 version, 16 sizes, 4 choices[0]; then variant 32,
     * layer width 36, wide size 40, vocabulary size 44, layers from 48. */
    static const struct {
        size_t at;
        uint32_t value;
        const char *words;
    } damage[] = {
        {32, 2, "byte 32: variant 2"},
        {36, 0, "layer width 0"},
        {36, 17, "byte 36: layer width 17"},
        {40, 0, "wide size 0"},
        {44, 5, "byte 44: vocabulary size 5"},
        {48 + 8, 0, "vocabulary layer 1 is not after layer 0"}, /* (0,1) (0,-1) */
        {48, (uint32_t)-2, "byte 48: vocabulary token -2"},
    };
    unsigned char *bad = malloc(size);
    for (size_t k = 0; k < sizeof damage / sizeof damage[0]; k++) {
        memcpy(bad, data, size);
        put_u32_at(bad, damage[k].at, damage[k].value);
        reseal(bad, size);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(bad, 1, size, f), size);
        fclose(f);
        loaded = NULL;
        int rc = exh_lstm_load(path, &loaded, &err);
        if (rc >= 0 || !strstr(err.message, damage[k].words))
            fail_msg("damage %zu: expected '%s', got %d: %s", k, damage[k].words, rc,
                     rc < 0 ? err.message : "loaded");
        assert_null(loaded);
    }
    /* Every truncation, and every byte of the header and vocabulary flipped
     * behind a valid checksum, loads or fails cleanly (ASan runs this). */
    for (size_t k = 0; k < size; k++) {
        memcpy(bad, data, size);
        size_t cut = k;
        if (k < 48 + 4 * 8) {
            bad[k] ^= 0x81;
            reseal(bad, size);
            cut = size;
        }
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(bad, 1, cut, f), cut);
        fclose(f);
        loaded = NULL;
        if (exh_lstm_load(path, &loaded, &err) == 0) {
            double anything[5];
            assert_int_equal(exh_lstm_predict(loaded, ARCHS, 5, anything, &err), 0);
            exh_lstm_free(loaded);
        } else {
            assert_null(loaded);
        }
    }
    free(bad);
    free(data);
    free(path);
    exh_lstm_free(m);
}

static void test_bad_input(void **state)
{
    (void)state;
    exh_error err;
    int variant = -1;
    assert_int_equal(exh_lstm_variant_parse("paper", &variant, &err), 0);
    assert_int_equal(variant, EXH_LSTM_VARIANT_PAPER);
    assert_int_equal(exh_lstm_variant_parse("default", &variant, &err), 0);
    assert_int_equal(variant, EXH_LSTM_VARIANT_DEFAULT);
    assert_int_equal(exh_lstm_variant_parse("Paper", &variant, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "'Paper'"));
    assert_int_equal(exh_lstm_variant_parse(NULL, &variant, &err), EXH_ERR_INVALID);
    static const struct {
        int variant, period, layer_width, wide_size;
        const char *words;
    } configs[] = {
        {2, 1, 2, 100, "variant 2"},
        {EXH_LSTM_VARIANT_PAPER, 2, 2, 100, "period 1, not 2"},
        {EXH_LSTM_VARIANT_PAPER, 1, 0, 100, "layer width 0"},
        {EXH_LSTM_VARIANT_PAPER, 1, EXH_LSTM_MAX_LAYER_WIDTH + 1, 100, "layer width 17"},
        {EXH_LSTM_VARIANT_PAPER, 1, 2, 0, "wide size 0"},
        {EXH_LSTM_VARIANT_DEFAULT, 1, 2, 0, "no layer width"},
        {EXH_LSTM_VARIANT_DEFAULT, 1, 0, 100, "no layer width"},
    };
    for (size_t k = 0; k < sizeof configs / sizeof configs[0]; k++) {
        exh_lstm_config c;
        exh_lstm_config_default(&c);
        c.variant = configs[k].variant;
        c.period = configs[k].period;
        c.choices[1] = 1;
        c.layer_width = configs[k].layer_width;
        c.wide_size = configs[k].wide_size;
        exh_lstm_model *m = NULL;
        assert_int_equal(exh_lstm_new(&c, &m, &err), EXH_ERR_INVALID);
        assert_null(m);
        if (!strstr(err.message, configs[k].words))
            fail_msg("config %zu: expected '%s', got: %s", k, configs[k].words, err.message);
    }
    /* A vocabulary on a default model; more layers than rows; bad tokens. */
    exh_lstm_config c;
    exh_lstm_config_default(&c);
    exh_lstm_model *plain;
    assert_int_equal(exh_lstm_new(&c, &plain, &err), 0);
    assert_int_equal(exh_lstm_set_vocabulary(plain, ARCHS, 3, &err), EXH_ERR_INVALID);
    exh_lstm_free(plain);
    exh_lstm_model *m = paper_model(4, 5, 1);
    assert_int_equal(exh_lstm_set_vocabulary(m, ARCHS, 5, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "distinct layers"));
    assert_int_equal(exh_lstm_vocabulary_size(m), 4); /* unchanged */
    exh_arch broken = {.length = 0};
    assert_int_equal(exh_lstm_set_vocabulary(m, &broken, 1, &err), EXH_ERR_INVALID);
    exh_lstm_config_paper(&c, 2);
    assert_int_equal(exh_lstm_config_from_archs(&c, 1, &broken, 1, &err), EXH_ERR_INVALID);
    exh_lstm_config_paper(&c, 0);
    assert_int_equal(exh_lstm_config_from_archs(&c, 1, ARCHS, 1, &err), EXH_ERR_INVALID);
    exh_lstm_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocabulary_rows),
        cmocka_unit_test(test_gradients_match_finite_differences),
        cmocka_unit_test(test_output_relu_floor),
        cmocka_unit_test(test_training),
        cmocka_unit_test(test_output_starts_above_the_kink),
        cmocka_unit_test(test_file_round_trip_and_damage),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
