/* lstm_train.c — mini-batch training with early stopping, predictions and
 * evaluation (lstm.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "predict/lstm_internal.h"

/* Batch size for passes without gradients (predictions, validation loss):
 * any size gives the same numbers, this one keeps the buffers small. */
#define LSTM_INFERENCE_BATCH 256
#define LSTM_MAX_EPOCHS 1000000

void exh_lstm_train_options_default(exh_lstm_train_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_epochs = 200;
    o->batch_size = 32;
    o->patience = 10;
    o->dropout = 0.1f;
    o->adam.learning_rate = 1e-3f;
    o->adam.beta1 = 0.9f;
    o->adam.beta2 = 0.999f;
    o->adam.epsilon = 1e-8f;
    o->adam.weight_decay = 1e-5f;
}

static int check_options(const exh_lstm_train_options *o, exh_error *err)
{
    const exh_lstm_adam_options *a = &o->adam;
    if (o->max_epochs < 1 || o->max_epochs > LSTM_MAX_EPOCHS)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: max_epochs %d is outside 1..%d",
                             o->max_epochs, LSTM_MAX_EPOCHS);
    if (o->batch_size < 1 || o->patience < 1)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "lstm: batch size %d and patience %d must be >= 1", o->batch_size,
                             o->patience);
    if (!(o->dropout >= 0 && o->dropout < 1))
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: dropout %g is outside [0, 1)",
                             o->dropout);
    if (!(a->learning_rate > 0 && isfinite(a->learning_rate)) || !(a->beta1 >= 0 && a->beta1 < 1) ||
        !(a->beta2 >= 0 && a->beta2 < 1) || !(a->epsilon > 0) ||
        !(a->weight_decay >= 0 && isfinite(a->weight_decay)))
        return exh_error_set(err, EXH_ERR_INVALID,
                             "lstm: Adam options out of range (learning rate %g > 0, betas %g and "
                             "%g in [0, 1), epsilon %g > 0, weight decay %g >= 0)",
                             a->learning_rate, a->beta1, a->beta2, a->epsilon, a->weight_decay);
    return EXH_OK;
}

static int check_dataset(const char *what, const exh_lstm_dataset *d, exh_error *err)
{
    if (d->count < 1 || !d->archs || !d->targets)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: the %s set is empty", what);
    for (int i = 0; i < d->count; i++) {
        if (!isfinite(d->targets[i]))
            return exh_error_set(err, EXH_ERR_INVALID, "lstm: %s target %d is not finite (%g)",
                                 what, i, d->targets[i]);
        if (d->archs[i].length < 1 || d->archs[i].length > EXH_ARCH_MAX_TOKENS)
            return exh_error_set(err, EXH_ERR_INVALID, "lstm: %s architecture %d has length %d",
                                 what, i, d->archs[i].length);
    }
    return EXH_OK;
}

int exh_lstm_train_batch(exh_lstm_model *model, const exh_arch *const *batch, int count,
                         const float *targets, const exh_lstm_train_options *options, exh_rng *r,
                         float *loss, exh_error *err)
{
    if (!targets)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: training needs targets");
    lstm_blas_single_enter();
    int rc = exh_lstm_forward(model, batch, count, targets, options->dropout, r, loss, err);
    if (rc >= 0)
        rc = exh_lstm_backward(model, err);
    lstm_blas_single_leave();
    if (rc < 0)
        return rc;
    exh_lstm_adam_update(model, &options->adam);
    return EXH_OK;
}

/* Mean squared error against already normalized targets, no dropout. */
static int normalized_loss(exh_lstm_model *m, const exh_arch *archs, const float *targets,
                           int count, double *loss, exh_error *err)
{
    const exh_arch *batch[LSTM_INFERENCE_BATCH];
    double sum = 0;
    for (int start = 0; start < count; start += LSTM_INFERENCE_BATCH) {
        int n = count - start < LSTM_INFERENCE_BATCH ? count - start : LSTM_INFERENCE_BATCH;
        for (int b = 0; b < n; b++)
            batch[b] = &archs[start + b];
        float batch_loss;
        int rc = exh_lstm_forward(m, batch, n, targets + start, 0, NULL, &batch_loss, err);
        if (rc < 0)
            return rc;
        sum += (double)batch_loss * n;
    }
    *loss = sum / count;
    return EXH_OK;
}

static float *normalize(const exh_lstm_model *m, const exh_lstm_dataset *d)
{
    float *out = malloc((size_t)d->count * sizeof *out);
    if (out)
        for (int i = 0; i < d->count; i++)
            out[i] = (float)((d->targets[i] - m->target_mean) / m->target_deviation);
    return out;
}

int exh_lstm_evaluate(exh_lstm_model *model, const exh_lstm_dataset *data, double *loss,
                      exh_error *err)
{
    int rc = check_dataset("evaluation", data, err);
    if (rc < 0)
        return rc;
    float *targets = normalize(model, data);
    if (!targets)
        return exh_error_set(err, EXH_ERR_NOMEM, "lstm: out of memory");
    lstm_blas_single_enter();
    rc = normalized_loss(model, data->archs, targets, data->count, loss, err);
    lstm_blas_single_leave();
    free(targets);
    return rc;
}

int exh_lstm_predict(exh_lstm_model *model, const exh_arch *archs, int count, double *out,
                     exh_error *err)
{
    const exh_arch *batch[LSTM_INFERENCE_BATCH];
    if (count < 0 || (count > 0 && (!archs || !out)))
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: nothing to predict");
    for (int start = 0; start < count; start += LSTM_INFERENCE_BATCH) {
        int n = count - start < LSTM_INFERENCE_BATCH ? count - start : LSTM_INFERENCE_BATCH;
        for (int b = 0; b < n; b++)
            batch[b] = &archs[start + b];
        lstm_blas_single_enter();
        int rc = exh_lstm_forward(model, batch, n, NULL, 0, NULL, NULL, err);
        lstm_blas_single_leave();
        if (rc < 0)
            return exh_error_prefix(err, "predicting architectures %d..%d", start, start + n - 1);
        const float *y = exh_lstm_outputs(model);
        for (int b = 0; b < n; b++)
            out[start + b] = y[b] * model->target_deviation + model->target_mean;
    }
    return EXH_OK;
}

void exh_lstm_train_report_clear(exh_lstm_train_report *report)
{
    if (!report)
        return;
    free(report->train_loss);
    free(report->validation_loss);
    memset(report, 0, sizeof *report);
}

static void set_scale(exh_lstm_model *m, const exh_lstm_dataset *train)
{
    double sum = 0, squares = 0;
    for (int i = 0; i < train->count; i++)
        sum += train->targets[i];
    double mean = sum / train->count;
    for (int i = 0; i < train->count; i++)
        squares += (train->targets[i] - mean) * (train->targets[i] - mean);
    double deviation = sqrt(squares / train->count);
    m->target_mean = mean;
    if (m->config.variant == EXH_LSTM_VARIANT_PAPER) {
        /* The paper head ends in a ReLU: shift by the minimum so that every
         * training target is >= 0 and reachable (lstm.h). */
        for (int i = 0; i < train->count; i++)
            m->target_mean = i == 0 || train->targets[i] < m->target_mean ? train->targets[i]
                                                                           : m->target_mean;
    }
    /* Equal targets: any positive scale works; 1 keeps them unchanged. */
    m->target_deviation = deviation > 0 && isfinite(deviation) ? deviation : 1.0;
}

/* The paper head's output ReLU passes no gradient where its input is <= 0;
 * from PyTorch's initialization (output ~ 0 +- 0.3) the output unit is
 * often below 0 for every architecture and never learns. A fresh model's
 * output bias therefore starts raised by the mean scaled training target
 * (lstm.h), where the output begins near the targets, above the kink. */
static void start_above_the_kink(exh_lstm_model *m, const float *scaled, int count)
{
    double sum = 0;
    for (int i = 0; i < count; i++)
        sum += scaled[i];
    *lstm_tensor(m->parameters, m, EXH_LSTM_OUTPUT_BIAS) += (float)(sum / count);
}

/* Everything one training run allocates, freed in one place. */
typedef struct training {
    float *train_targets, *validation_targets, *best_parameters, *batch_targets;
    int *order;
    const exh_arch **batch;
} training;

static void training_free(training *t)
{
    free(t->train_targets);
    free(t->validation_targets);
    free(t->best_parameters);
    free(t->batch_targets);
    free(t->order);
    free(t->batch);
}

static int run_epoch(exh_lstm_model *m, const exh_lstm_dataset *train, training *t,
                     const exh_lstm_train_options *o, exh_rng *r, double *loss, exh_error *err)
{
    int n = train->count;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)exh_rng_below(r, (uint32_t)(i + 1)), swap = t->order[i];
        t->order[i] = t->order[j];
        t->order[j] = swap;
    }
    double sum = 0;
    for (int start = 0; start < n; start += o->batch_size) {
        int count = n - start < o->batch_size ? n - start : o->batch_size;
        for (int b = 0; b < count; b++) {
            t->batch[b] = &train->archs[t->order[start + b]];
            t->batch_targets[b] = t->train_targets[t->order[start + b]];
        }
        float batch_loss;
        int rc = exh_lstm_train_batch(m, t->batch, count, t->batch_targets, o, r, &batch_loss, err);
        if (rc < 0)
            return rc;
        sum += (double)batch_loss * count;
    }
    *loss = sum / n;
    return EXH_OK;
}

static int training_alloc(training *t, const exh_lstm_model *m, const exh_lstm_dataset *train,
                          const exh_lstm_dataset *validation, const exh_lstm_train_options *o,
                          exh_lstm_train_report *report, exh_error *err)
{
    int batch = o->batch_size < train->count ? o->batch_size : train->count;
    t->train_targets = normalize(m, train);
    t->order = malloc((size_t)train->count * sizeof *t->order);
    t->batch = malloc((size_t)batch * sizeof *t->batch);
    t->batch_targets = malloc((size_t)batch * sizeof *t->batch_targets);
    t->best_parameters = malloc(m->parameter_count * sizeof(float));
    report->train_loss = calloc((size_t)o->max_epochs, sizeof(double));
    int ok = t->train_targets && t->order && t->batch && t->batch_targets &&
             t->best_parameters && report->train_loss;
    if (validation) {
        t->validation_targets = normalize(m, validation);
        report->validation_loss = calloc((size_t)o->max_epochs, sizeof(double));
        ok = ok && t->validation_targets && report->validation_loss;
    }
    if (!ok)
        return exh_error_set(err, EXH_ERR_NOMEM, "lstm: out of memory for training");
    for (int i = 0; i < train->count; i++)
        t->order[i] = i;
    return EXH_OK;
}

/* Epochs until max_epochs or until `patience` epochs bring no better
 * validation loss; the model ends with the best epoch's parameters. */
static int train_epochs(exh_lstm_model *m, const exh_lstm_dataset *train,
                        const exh_lstm_dataset *validation, const exh_lstm_train_options *o,
                        exh_rng *r, training *t, exh_lstm_train_report *report, exh_error *err)
{
    size_t bytes = m->parameter_count * sizeof(float);
    report->best_validation_loss = NAN;
    for (int epoch = 1; epoch <= o->max_epochs; epoch++) {
        int rc = run_epoch(m, train, t, o, r, &report->train_loss[epoch - 1], err);
        if (rc < 0)
            return exh_error_prefix(err, "epoch %d", epoch);
        report->epochs = epoch;
        exh_progress_report(&o->progress, "epochs", epoch, o->max_epochs);
        if (!validation) {
            report->best_epoch = epoch;
            continue;
        }
        double loss;
        if ((rc = normalized_loss(m, validation->archs, t->validation_targets, validation->count,
                                  &loss, err)) < 0)
            return exh_error_prefix(err, "epoch %d: validation", epoch);
        report->validation_loss[epoch - 1] = loss;
        if (report->best_epoch == 0 || loss < report->best_validation_loss) {
            report->best_epoch = epoch;
            report->best_validation_loss = loss;
            memcpy(t->best_parameters, m->parameters, bytes);
        } else if (epoch - report->best_epoch >= o->patience) {
            break;
        }
    }
    if (validation)
        memcpy(m->parameters, t->best_parameters, bytes);
    return EXH_OK;
}

int exh_lstm_train(exh_lstm_model *model, const exh_lstm_dataset *train,
                   const exh_lstm_dataset *validation, const exh_lstm_train_options *options,
                   exh_rng *r, exh_lstm_train_report *out, exh_error *err)
{
    exh_lstm_train_report report = {0};
    if (out)
        memset(out, 0, sizeof *out);
    int rc = check_options(options, err);
    if (rc < 0 || (rc = check_dataset("training", train, err)) < 0)
        return rc;
    if (validation && validation->count == 0)
        validation = NULL;
    if (validation && (rc = check_dataset("validation", validation, err)) < 0)
        return rc;
    if (!r)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: training needs a random generator");
    if (model->config.variant == EXH_LSTM_VARIANT_PAPER && model->vocabulary_size == 0 &&
        (rc = exh_lstm_set_vocabulary(model, train->archs, train->count, err)) < 0)
        return rc;
    set_scale(model, train);
    exh_lstm_adam_reset(model);
    training t = {0};
    rc = training_alloc(&t, model, train, validation, options, &report, err);
    if (rc == EXH_OK && model->config.variant == EXH_LSTM_VARIANT_PAPER && model->fresh)
        start_above_the_kink(model, t.train_targets, train->count);
    model->fresh = 0;
    if (rc == EXH_OK) {
        lstm_blas_single_enter();
        rc = train_epochs(model, train, validation, options, r, &t, &report, err);
        lstm_blas_single_leave();
    }
    training_free(&t);
    if (rc < 0 || !out)
        exh_lstm_train_report_clear(&report);
    else
        *out = report;
    return rc;
}
