/* test_lstm_train.c — training the LSTM regressor: learning a toy target,
 * early stopping, determinism for a seed, grid search, predictions, model
 * files (round trip and every kind of damage), bad options and data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/lstm.h"
#include "util/crc32c.h"
#include "util/file.h"
#include "testutil.h"

#define TRAIN 300
#define VALIDATION 100
#define TOY_TOKEN 3

/* Sequences of 3..8 tokens from 0..4; the target is how often token 3
 * occurs: learnable only by reading the whole sequence. */
typedef struct toy {
    exh_arch archs[TRAIN + VALIDATION];
    double targets[TRAIN + VALIDATION];
    exh_lstm_dataset train, validation;
} toy;

static toy *toy_new(uint64_t seed)
{
    toy *t = calloc(1, sizeof *t);
    exh_rng *r = exh_rng_new(seed);
    for (int a = 0; a < TRAIN + VALIDATION; a++) {
        t->archs[a].length = 3 + (int)exh_rng_below(r, 6);
        int count = 0;
        for (int i = 0; i < t->archs[a].length; i++) {
            t->archs[a].token[i] = (int32_t)exh_rng_below(r, 5);
            count += t->archs[a].token[i] == TOY_TOKEN;
        }
        t->targets[a] = count;
    }
    exh_rng_free(r);
    t->train = (exh_lstm_dataset){TRAIN, t->archs, t->targets};
    t->validation = (exh_lstm_dataset){VALIDATION, t->archs + TRAIN, t->targets + TRAIN};
    return t;
}

static exh_lstm_model *toy_model(const toy *t, uint64_t seed)
{
    exh_lstm_config c;
    exh_lstm_config_default(&c);
    c.embedding_size = 8;
    c.hidden_size = 16;
    c.dense_size = 8;
    exh_error err;
    assert_int_equal(exh_lstm_config_from_archs(&c, 1, t->archs, TRAIN, &err), 0);
    assert_int_equal(c.choices[0], 5);
    exh_lstm_model *m;
    assert_int_equal(exh_lstm_new(&c, &m, &err), 0);
    exh_rng *r = exh_rng_new(seed);
    exh_lstm_init(m, r);
    exh_rng_free(r);
    return m;
}

static void toy_options(exh_lstm_train_options *o)
{
    exh_lstm_train_options_default(o);
    o->max_epochs = 40;
    o->batch_size = 16;
    o->dropout = 0;
    o->adam.learning_rate = 1e-2f;
    o->adam.weight_decay = 0;
}

static void test_learns_toy_target(void **state)
{
    (void)state;
    toy *t = toy_new(1);
    exh_lstm_model *m = toy_model(t, 2);
    exh_lstm_train_options o;
    toy_options(&o);
    exh_lstm_train_report report;
    exh_rng *r = exh_rng_new(3);
    exh_error err;
    assert_int_equal(exh_lstm_train(m, &t->train, &t->validation, &o, r, &report, &err), 0);
    assert_true(report.epochs >= report.best_epoch && report.best_epoch >= 1);
    assert_true(report.train_loss[report.epochs - 1] < 0.5 * report.train_loss[0]);
    /* Predicting the mean scores 1 in normalized units. */
    assert_true(report.best_validation_loss < 0.1);
    double mean, deviation;
    exh_lstm_target_scale(m, &mean, &deviation);
    assert_true(mean > 0.5 && mean < 1.5 && deviation > 0.5); /* about 5.5 * 1/5 tokens */
    double predicted[VALIDATION], squared = 0;
    assert_int_equal(exh_lstm_predict(m, t->validation.archs, VALIDATION, predicted, &err), 0);
    for (int i = 0; i < VALIDATION; i++)
        squared += pow(predicted[i] - t->validation.targets[i], 2);
    assert_true(sqrt(squared / VALIDATION) < 0.4); /* counts, original units */
    /* The model holds the best epoch's parameters. */
    double loss;
    assert_int_equal(exh_lstm_evaluate(m, &t->validation, &loss, &err), 0);
    assert_true(fabs(loss - report.best_validation_loss) <= 1e-6 * (1 + loss));
    exh_lstm_train_report_clear(&report);
    exh_rng_free(r);
    exh_lstm_free(m);
    free(t);
}

static void test_early_stopping(void **state)
{
    (void)state;
    toy *t = toy_new(4);
    exh_lstm_model *m = toy_model(t, 5);
    exh_lstm_train_options o;
    toy_options(&o);
    o.max_epochs = 500;
    o.patience = 3;
    o.adam.learning_rate = 3e-2f; /* noisy enough to stall */
    exh_lstm_train_report report;
    exh_rng *r = exh_rng_new(6);
    exh_error err;
    assert_int_equal(exh_lstm_train(m, &t->train, &t->validation, &o, r, &report, &err), 0);
    assert_true(report.epochs < o.max_epochs);
    assert_int_equal(report.epochs, report.best_epoch + o.patience);
    for (int e = 0; e < report.epochs; e++)
        assert_true(report.validation_loss[e] >= report.best_validation_loss);
    for (int e = report.best_epoch; e < report.epochs; e++)
        assert_true(report.validation_loss[e] > report.best_validation_loss);
    exh_lstm_train_report_clear(&report);
    /* Without validation, every epoch runs and nothing is restored. */
    o.max_epochs = 3;
    assert_int_equal(exh_lstm_train(m, &t->train, NULL, &o, r, &report, &err), 0);
    assert_int_equal(report.epochs, 3);
    assert_int_equal(report.best_epoch, 3);
    assert_true(isnan(report.best_validation_loss));
    assert_null(report.validation_loss);
    exh_lstm_train_report_clear(&report);
    exh_rng_free(r);
    exh_lstm_free(m);
    free(t);
}

static exh_lstm_model *train_with_seed(const toy *t, uint64_t seed, exh_lstm_train_report *report)
{
    exh_rng *r = exh_rng_new(seed);
    exh_lstm_model *m = toy_model(t, seed);
    exh_lstm_train_options o;
    toy_options(&o);
    o.max_epochs = 4;
    o.dropout = 0.2f;
    o.adam.weight_decay = 1e-4f;
    exh_error err;
    assert_int_equal(exh_lstm_train(m, &t->train, &t->validation, &o, r, report, &err), 0);
    exh_rng_free(r);
    return m;
}

static void test_deterministic_for_a_seed(void **state)
{
    (void)state;
    toy *t = toy_new(7);
    exh_lstm_train_report a, b, c;
    exh_lstm_model *first = train_with_seed(t, 8, &a), *again = train_with_seed(t, 8, &b),
               *other = train_with_seed(t, 9, &c);
    size_t bytes = exh_lstm_parameter_count(first) * sizeof(float);
    assert_memory_equal(exh_lstm_parameters(first), exh_lstm_parameters(again), bytes);
    assert_memory_equal(a.train_loss, b.train_loss, (size_t)a.epochs * sizeof(double));
    assert_memory_not_equal(exh_lstm_parameters(first), exh_lstm_parameters(other), bytes);
    exh_lstm_train_report_clear(&a);
    exh_lstm_train_report_clear(&b);
    exh_lstm_train_report_clear(&c);
    exh_lstm_free(first);
    exh_lstm_free(again);
    exh_lstm_free(other);
    free(t);
}

static void test_grid_search(void **state)
{
    (void)state;
    toy *t = toy_new(10);
    exh_lstm_config c;
    exh_lstm_config_default(&c);
    c.embedding_size = 8;
    c.hidden_size = 16;
    c.dense_size = 8;
    exh_error err;
    assert_int_equal(exh_lstm_config_from_archs(&c, 1, t->archs, TRAIN, &err), 0);
    exh_lstm_grid grid = {.dropout_count = 2, .weight_decay_count = 1, .learning_rate_count = 2,
                      .dropout = {0, 0.2f}, .weight_decay = {1e-5f},
                      .learning_rate = {1e-3f, 1e-2f}};
    exh_lstm_train_options o;
    toy_options(&o);
    o.max_epochs = 6;
    exh_lstm_grid_result result[2];
    exh_lstm_model *best[2];
    for (int run = 0; run < 2; run++) {
        exh_rng *r = exh_rng_new(11);
        assert_int_equal(exh_lstm_grid_search(&c, &t->train, &t->validation, &grid, &o, r,
                                              &best[run], &result[run], &err),
                         0);
        exh_rng_free(r);
    }
    assert_int_equal(result[0].count, 4);
    assert_true(result[0].best >= 0 && result[0].best < 4);
    for (int k = 0; k < 4; k++) {
        const exh_lstm_grid_point *p = &result[0].points[k];
        assert_true(p->validation_loss >= result[0].points[result[0].best].validation_loss);
        assert_true(p->validation_loss == result[1].points[k].validation_loss);
        assert_true(p->dropout == grid.dropout[k / 2]);
        assert_true(p->learning_rate == grid.learning_rate[k % 2]);
        assert_true(p->epochs == 6 && p->best_epoch >= 1);
    }
    double loss;
    assert_int_equal(exh_lstm_evaluate(best[0], &t->validation, &loss, &err), 0);
    assert_true(fabs(loss - result[0].points[result[0].best].validation_loss) <= 1e-6);
    assert_memory_equal(exh_lstm_parameters(best[0]), exh_lstm_parameters(best[1]),
                        exh_lstm_parameter_count(best[0]) * sizeof(float));
    exh_lstm_free(best[0]);
    exh_lstm_free(best[1]);

    /* A combination that diverges scores +inf and does not stop the search. */
    exh_lstm_grid wild = {.dropout_count = 1, .weight_decay_count = 1, .learning_rate_count = 2,
                      .learning_rate = {1e30f, 1e-2f}};
    exh_lstm_model *survivor;
    exh_rng *r = exh_rng_new(1);
    assert_int_equal(exh_lstm_grid_search(&c, &t->train, &t->validation, &wild, &o, r, &survivor,
                                          &result[0], &err),
                     0);
    assert_int_equal(result[0].count, 2);
    assert_true(isinf(result[0].points[0].validation_loss));
    assert_int_equal(result[0].best, 1);
    exh_lstm_free(survivor);
    wild.learning_rate_count = 1;
    assert_int_equal(exh_lstm_grid_search(&c, &t->train, &t->validation, &wild, &o, r, &survivor,
                                          NULL, &err),
                     EXH_ERR_INVALID);
    assert_null(survivor);

    exh_lstm_model *none = NULL;
    grid.dropout_count = 0;
    assert_int_equal(exh_lstm_grid_search(&c, &t->train, &t->validation, &grid, &o, r, &none, NULL,
                                          &err),
                     EXH_ERR_INVALID);
    grid.dropout_count = 1;
    assert_int_equal(exh_lstm_grid_search(&c, &t->train, NULL, &grid, &o, r, &none, NULL, &err),
                     EXH_ERR_INVALID);
    assert_null(none);
    exh_rng_free(r);
    free(t);
}

static void test_bad_training_input(void **state)
{
    (void)state;
    toy *t = toy_new(12);
    exh_lstm_model *m = toy_model(t, 1);
    exh_lstm_train_options o;
    toy_options(&o);
    exh_rng *r = exh_rng_new(1);
    exh_error err;
    exh_lstm_dataset empty = {0, t->archs, t->targets};
    assert_int_equal(exh_lstm_train(m, &empty, NULL, &o, r, NULL, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "training set is empty"));
    assert_int_equal(exh_lstm_train(m, &t->train, NULL, &o, NULL, NULL, &err), EXH_ERR_INVALID);
    double targets[2] = {1, NAN};
    exh_lstm_dataset bad = {2, t->archs, targets};
    assert_int_equal(exh_lstm_train(m, &bad, NULL, &o, r, NULL, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "target 1"));
    assert_int_equal(exh_lstm_train(m, &t->train, &bad, &o, r, NULL, &err), EXH_ERR_INVALID);
    exh_arch shapeless[2] = {t->archs[0], {.length = 0}};
    exh_lstm_dataset no_tokens = {2, shapeless, t->targets};
    assert_int_equal(exh_lstm_train(m, &no_tokens, NULL, &o, r, NULL, &err), EXH_ERR_INVALID);
    exh_lstm_train_options broken[5];
    for (int k = 0; k < 5; k++)
        broken[k] = o;
    broken[0].max_epochs = 0;
    broken[1].batch_size = 0;
    broken[2].dropout = 1;
    broken[3].adam.learning_rate = -1;
    broken[4].adam.beta2 = 1;
    for (int k = 0; k < 5; k++)
        assert_int_equal(exh_lstm_train(m, &t->train, NULL, &broken[k], r, NULL, &err),
                         EXH_ERR_INVALID);
    /* A learning rate that makes the loss overflow stops with an error. */
    exh_lstm_train_options wild = o;
    wild.adam.learning_rate = 1e30f;
    wild.max_epochs = 5;
    assert_int_equal(exh_lstm_train(m, &t->train, NULL, &wild, r, NULL, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "not finite"));
    /* Equal targets train on a unit scale rather than dividing by zero. */
    double same[TRAIN];
    for (int i = 0; i < TRAIN; i++)
        same[i] = 4.0;
    exh_lstm_dataset flat = {TRAIN, t->archs, same};
    o.max_epochs = 2;
    exh_lstm_model *fresh = toy_model(t, 2);
    assert_int_equal(exh_lstm_train(fresh, &flat, NULL, &o, r, NULL, &err), 0);
    double mean, deviation, predicted;
    exh_lstm_target_scale(fresh, &mean, &deviation);
    assert_true(mean == 4.0 && deviation == 1.0);
    assert_int_equal(exh_lstm_predict(fresh, t->archs, 1, &predicted, &err), 0);
    assert_true(isfinite(predicted));
    assert_int_equal(exh_lstm_predict(fresh, t->archs, 0, NULL, &err), 0);
    assert_int_equal(exh_lstm_predict(fresh, NULL, 3, &predicted, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_lstm_set_target_scale(fresh, 0, 0, &err), EXH_ERR_INVALID);
    assert_int_equal(exh_lstm_set_target_scale(fresh, NAN, 1, &err), EXH_ERR_INVALID);
    exh_lstm_free(fresh);
    exh_rng_free(r);
    exh_lstm_free(m);
    free(t);
}

/* ---- model files ---- */

static exh_lstm_model *saved_model(const char *path)
{
    exh_lstm_config c;
    exh_lstm_config_default(&c);
    c.embedding_size = 3;
    c.hidden_size = 4;
    c.dense_size = 2;
    c.period = 3;
    c.choices[0] = 2;
    c.choices[1] = 5;
    c.choices[2] = 1;
    exh_lstm_model *m;
    exh_error err;
    assert_int_equal(exh_lstm_new(&c, &m, &err), 0);
    exh_rng *r = exh_rng_new(21);
    exh_lstm_init(m, r);
    exh_rng_free(r);
    assert_int_equal(exh_lstm_set_target_scale(m, 71.5, 8.25, &err), 0);
    assert_int_equal(exh_lstm_save(m, path, &err), 0);
    return m;
}

/* Two models predict the same, bit for bit, on a known and an unseen token. */
static void assert_same_predictions(exh_lstm_model *a, exh_lstm_model *b)
{
    exh_arch queries[2] = {{.length = 4, .token = {1, 4, 0, 1}}, {.length = 2, .token = {0, 9}}};
    double first[2], second[2];
    exh_error err;
    assert_int_equal(exh_lstm_predict(a, queries, 2, first, &err), 0);
    assert_int_equal(exh_lstm_predict(b, queries, 2, second, &err), 0);
    assert_memory_equal(first, second, sizeof first);
}

/* saved_model's file read back: its bytes and size; *model the model. */
static unsigned char *saved_bytes(const char *path, exh_lstm_model **model, size_t *size)
{
    *model = saved_model(path);
    unsigned char *data;
    exh_error err;
    assert_int_equal(file_read_all(path, (char **)&data, size, &err), 0);
    return data;
}

static void test_save_load_round_trip(void **state)
{
    (void)state;
    char *path = strdup(test_temp_path("model.lstm"));
    exh_lstm_model *m = saved_model(path), *loaded;
    exh_error err;
    assert_int_equal(exh_lstm_load(path, &loaded, &err), 0);
    const exh_lstm_config *a = exh_lstm_model_config(m), *b = exh_lstm_model_config(loaded);
    assert_int_equal(a->embedding_size, b->embedding_size);
    assert_int_equal(a->hidden_size, b->hidden_size);
    assert_int_equal(a->dense_size, b->dense_size);
    assert_int_equal(a->period, b->period);
    assert_memory_equal(a->choices, b->choices, sizeof(int) * (size_t)a->period);
    double mean, deviation;
    exh_lstm_target_scale(loaded, &mean, &deviation);
    assert_true(mean == 71.5 && deviation == 8.25);
    assert_int_equal(exh_lstm_parameter_count(m), exh_lstm_parameter_count(loaded));
    assert_memory_equal(exh_lstm_parameters(m), exh_lstm_parameters(loaded),
                        exh_lstm_parameter_count(m) * sizeof(float));
    assert_same_predictions(m, loaded);
    exh_lstm_model *copy;
    assert_int_equal(exh_lstm_clone(loaded, &copy, &err), 0);
    assert_same_predictions(m, copy);
    exh_lstm_free(copy);
    exh_lstm_free(loaded);
    exh_lstm_free(m);
    free(path);
}

static void write_bytes(const char *path, const unsigned char *data, size_t size);
static void reseal(unsigned char *data, size_t size);

/* A version 1 file (no variant fields: what exhaust wrote before the paper
 * variant) still loads, as the default variant, with the same predictions. */
static void test_version_1_file_loads(void **state)
{
    (void)state;
    char *path = strdup(test_temp_path("v2.lstm"));
    exh_lstm_model *m;
    size_t size;
    unsigned char *data = saved_bytes(path, &m, &size);
    /* Version 2 puts 16 bytes (variant, layer width, wide size, vocabulary
     * size 0) after the 3 choices at byte 28; version 1 has none. */
    size_t fields = 28 + 4 * 3;
    uint32_t variant_fields[4];
    memcpy(variant_fields, data + fields, sizeof variant_fields);
    assert_true(variant_fields[0] == 0 && variant_fields[1] == 0 && variant_fields[2] == 0 &&
                variant_fields[3] == 0);
    memmove(data + fields, data + fields + 16, size - fields - 16);
    size -= 16;
    data[8] = 1;
    reseal(data, size);
    write_bytes(path, data, size);
    exh_lstm_model *loaded;
    exh_error err;
    assert_int_equal(exh_lstm_load(path, &loaded, &err), 0);
    assert_int_equal(exh_lstm_model_config(loaded)->variant, EXH_LSTM_VARIANT_DEFAULT);
    assert_int_equal(exh_lstm_parameter_count(m), exh_lstm_parameter_count(loaded));
    assert_same_predictions(m, loaded);
    exh_lstm_free(loaded);
    exh_lstm_free(m);
    free(data);
    free(path);
}

static void write_bytes(const char *path, const unsigned char *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    fclose(f);
}

/* Rewrite the checksum so that a change reaches the field checks. */
static void reseal(unsigned char *data, size_t size)
{
    uint32_t crc = crc32c(data, size - 4);
    for (int i = 0; i < 4; i++)
        data[size - 4 + i] = (unsigned char)(crc >> (8 * i));
}

static void expect_load_error(const char *path, const unsigned char *data, size_t size,
                              int code, const char *words)
{
    write_bytes(path, data, size);
    exh_lstm_model *m = NULL;
    exh_error err;
    int rc = exh_lstm_load(path, &m, &err);
    if (rc != code || !strstr(err.message, words) || !strstr(err.message, path))
        fail_msg("expected code %d with '%s', got %d: %s", code, words, rc, err.message);
    assert_null(m);
}

static void test_load_rejects_damage(void **state)
{
    (void)state;
    char *good_path = strdup(test_temp_path("good.lstm"));
    char *path = strdup(test_temp_path("bad.lstm"));
    exh_lstm_model *m;
    size_t size;
    unsigned char *data = saved_bytes(good_path, &m, &size);
    exh_error err;
    exh_lstm_model *loaded = NULL;
    assert_int_equal(exh_lstm_load(test_temp_path("missing.lstm"), &loaded, &err), EXH_ERR_NOT_FOUND);
    assert_null(loaded);
    /* Every truncation fails cleanly. */
    for (size_t cut = 0; cut < size; cut++) {
        write_bytes(path, data, cut);
        assert_true(exh_lstm_load(path, &loaded, &err) < 0);
        assert_null(loaded);
    }
    unsigned char *copy = malloc(size + 8);
    memcpy(copy, data, size);
    copy[0] = 'X';
    expect_load_error(path, copy, size, EXH_ERR_PARSE, "magic");
    memcpy(copy, data, size);
    copy[8] = 3;
    expect_load_error(path, copy, size, EXH_ERR_PARSE, "version 3");
    memcpy(copy, data, size);
    copy[size / 2] ^= 0x40;
    expect_load_error(path, copy, size, EXH_ERR_CORRUPT, "checksum");
    /* Field checks behind a valid checksum (offsets from lstm.h's layout). */
    memcpy(copy, data, size);
    memset(copy + 16, 0, 4); /* hidden size 0 */
    reseal(copy, size);
    expect_load_error(path, copy, size, EXH_ERR_CORRUPT, "byte 16: hidden size 0");
    memcpy(copy, data, size);
    copy[24] = 0xff; /* period 255 + ... beyond the file */
    reseal(copy, size);
    expect_load_error(path, copy, size, EXH_ERR_CORRUPT, "byte");
    memcpy(copy, data, size);
    memset(copy + 32, 0, 4); /* choices[1] = 0 */
    reseal(copy, size);
    expect_load_error(path, copy, size, EXH_ERR_CORRUPT, "byte 32: choices 0");
    size_t scale = 28 + 4 * 3 + 16; /* after version 2's variant fields, no vocabulary */
    memcpy(copy, data, size);
    memset(copy + scale + 8, 0, 8); /* deviation 0 */
    reseal(copy, size);
    expect_load_error(path, copy, size, EXH_ERR_CORRUPT, "deviation 0");
    memcpy(copy, data, size);
    copy[scale + 16] ^= 1; /* parameter count off by one */
    reseal(copy, size);
    expect_load_error(path, copy, size, EXH_ERR_CORRUPT, "parameters, but the sizes imply");
    memcpy(copy, data, size);
    const float nan_value = NAN;
    memcpy(copy + scale + 24 + 4 * 5, &nan_value, 4);
    reseal(copy, size);
    expect_load_error(path, copy, size, EXH_ERR_CORRUPT, "parameter 5 is not finite");
    /* Extra bytes before the checksum. */
    memcpy(copy, data, size - 4);
    memset(copy + size - 4, 0, 4);
    reseal(copy, size + 4);
    expect_load_error(path, copy, size + 4, EXH_ERR_CORRUPT, "unexpected bytes");
    assert_int_equal(exh_lstm_save(m, test_temp_path("no/such/dir.lstm"), &err), EXH_ERR_IO);
    free(copy);
    free(data);
    exh_lstm_free(m);
    free(path);
    free(good_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_toy_target),
        cmocka_unit_test(test_early_stopping),
        cmocka_unit_test(test_deterministic_for_a_seed),
        cmocka_unit_test(test_grid_search),
        cmocka_unit_test(test_bad_training_input),
        cmocka_unit_test(test_save_load_round_trip),
        cmocka_unit_test(test_load_rejects_damage),
        cmocka_unit_test(test_version_1_file_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
