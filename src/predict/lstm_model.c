/* lstm_model.c — the LSTM regressor's config, parameter block and
 * initialization (lstm.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/space_convchain.h"
#include "exhaust/space_graph.h"
#include "predict/lstm_internal.h"

static const char *const tensor_names[LSTM_TENSOR_COUNT] = {
    "embedding",     "input_weights", "recurrent_weights", "gate_bias",
    "dense_weights", "dense_bias",    "output_weights",    "output_bias",
};

void lstm_config_default(lstm_config *config)
{
    memset(config, 0, sizeof *config);
    config->embedding_size = LSTM_DEFAULT_EMBEDDING;
    config->hidden_size = LSTM_DEFAULT_HIDDEN;
    config->dense_size = LSTM_DEFAULT_DENSE;
    config->period = 1;
    config->choices[0] = 1;
}

int lstm_config_from_archs(lstm_config *config, int period, const arch *archs, int count,
                           exh_error *err)
{
    if (period < 1 || period > LSTM_MAX_PERIOD)
        return error_set(err, EXH_ERR_INVALID, "lstm: period %d is outside 1..%d", period,
                         LSTM_MAX_PERIOD);
    if (count < 0 || (count > 0 && !archs))
        return error_set(err, EXH_ERR_INVALID, "lstm: no architectures to read choices from");
    int choices[LSTM_MAX_PERIOD];
    for (int p = 0; p < period; p++)
        choices[p] = 1;
    for (int a = 0; a < count; a++) {
        if (archs[a].length < 1 || archs[a].length > ARCH_MAX_TOKENS)
            return error_set(err, EXH_ERR_INVALID, "lstm: architecture %d has length %d", a,
                             archs[a].length);
        for (int i = 0; i < archs[a].length; i++) {
            int32_t token = archs[a].token[i];
            if (token < 0 || token >= LSTM_MAX_CHOICES)
                return error_set(err, EXH_ERR_INVALID,
                                 "lstm: architecture %d, position %d: token %d is outside 0..%d",
                                 a, i, (int)token, LSTM_MAX_CHOICES - 1);
            if (token + 1 > choices[i % period])
                choices[i % period] = token + 1;
        }
    }
    config->period = period;
    memcpy(config->choices, choices, sizeof(int) * (size_t)period);
    return EXH_OK;
}

int lstm_period_for_space(const space *s, const arch *example)
{
    const char *kind = space_kind(s);
    if (strcmp(kind, "nb201") == 0)
        return 6;
    if (strcmp(kind, "convchain") == 0)
        return CONVCHAIN_POSITIONS_PER_LAYER;
    if (strcmp(kind, "graph") == 0)
        return GRAPH_TOKENS_PER_NODE;
    if (strcmp(kind, "dense") == 0 && example && example->length >= 1 &&
        example->length <= LSTM_MAX_PERIOD)
        return example->length;
    return 1;
}

static int check_size(const char *what, int value, exh_error *err)
{
    if (value < 1 || value > LSTM_MAX_LAYER_SIZE)
        return error_set(err, EXH_ERR_INVALID, "lstm: %s %d is outside 1..%d", what, value,
                         LSTM_MAX_LAYER_SIZE);
    return EXH_OK;
}

size_t lstm_layout(const lstm_config *c, size_t offset[LSTM_TENSOR_COUNT],
                   int rows[LSTM_TENSOR_COUNT], int columns[LSTM_TENSOR_COUNT])
{
    int embedding_rows = 0;
    for (int p = 0; p < c->period; p++)
        embedding_rows += c->choices[p] + 1;
    int E = c->embedding_size, H = c->hidden_size, D = c->dense_size;
    const int r[LSTM_TENSOR_COUNT] = {embedding_rows, 4 * H, 4 * H, 4 * H, D, D, 1, 1};
    const int k[LSTM_TENSOR_COUNT] = {E, E, H, 1, H, 1, D, 1};
    size_t total = 0;
    for (int t = 0; t < LSTM_TENSOR_COUNT; t++) {
        if (offset)
            offset[t] = total;
        if (rows)
            rows[t] = r[t];
        if (columns)
            columns[t] = k[t];
        total += (size_t)r[t] * (size_t)k[t];
    }
    return total;
}

int lstm_config_check(const lstm_config *c, exh_error *err)
{
    int rc;
    if ((rc = check_size("embedding size", c->embedding_size, err)) < 0 ||
        (rc = check_size("hidden size", c->hidden_size, err)) < 0 ||
        (rc = check_size("dense size", c->dense_size, err)) < 0)
        return rc;
    if (c->period < 1 || c->period > LSTM_MAX_PERIOD)
        return error_set(err, EXH_ERR_INVALID, "lstm: period %d is outside 1..%d", c->period,
                         LSTM_MAX_PERIOD);
    for (int p = 0; p < c->period; p++)
        if (c->choices[p] < 1 || c->choices[p] > LSTM_MAX_CHOICES)
            return error_set(err, EXH_ERR_INVALID, "lstm: choices[%d] = %d is outside 1..%d", p,
                             c->choices[p], LSTM_MAX_CHOICES);
    /* Each factor is bounded above, so this cannot overflow a size_t. */
    if (lstm_layout(c, NULL, NULL, NULL) > LSTM_MAX_PARAMETERS)
        return error_set(err, EXH_ERR_INVALID, "lstm: %zu parameters exceed the limit of %d",
                         lstm_layout(c, NULL, NULL, NULL), LSTM_MAX_PARAMETERS);
    return EXH_OK;
}

int lstm_new(const lstm_config *config, lstm_model **out, exh_error *err)
{
    *out = NULL;
    int rc = lstm_config_check(config, err);
    if (rc < 0)
        return rc;
    lstm_model *m = calloc(1, sizeof *m);
    if (!m)
        return error_set(err, EXH_ERR_NOMEM, "lstm: out of memory");
    m->config = *config;
    m->parameter_count = lstm_layout(config, m->tensor_offset, NULL, NULL);
    int row = 0;
    for (int p = 0; p < config->period; p++) {
        m->row_offset[p] = row;
        row += config->choices[p] + 1;
    }
    m->embedding_rows = row;
    m->target_mean = 0;
    m->target_deviation = 1;
    /* Parameters, gradients and Adam's moments in one allocation. */
    m->parameters = calloc(4 * m->parameter_count, sizeof(float));
    if (!m->parameters) {
        size_t count = m->parameter_count;
        free(m);
        return error_set(err, EXH_ERR_NOMEM, "lstm: out of memory for %zu parameters", count);
    }
    m->gradients = m->parameters + m->parameter_count;
    m->adam_m = m->gradients + m->parameter_count;
    m->adam_v = m->adam_m + m->parameter_count;
    *out = m;
    return EXH_OK;
}

void lstm_free(lstm_model *model)
{
    if (!model)
        return;
    lstm_workspace_free(&model->work);
    free(model->parameters);
    free(model);
}

int lstm_clone(const lstm_model *model, lstm_model **out, exh_error *err)
{
    int rc = lstm_new(&model->config, out, err);
    if (rc < 0)
        return rc;
    memcpy((*out)->parameters, model->parameters, model->parameter_count * sizeof(float));
    (*out)->target_mean = model->target_mean;
    (*out)->target_deviation = model->target_deviation;
    return EXH_OK;
}

static void fill_uniform(float *x, size_t n, double bound, rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((2 * rng_uniform(r) - 1) * bound);
}

void lstm_init(lstm_model *model, rng *r)
{
    const lstm_config *c = &model->config;
    size_t offset[LSTM_TENSOR_COUNT];
    int rows[LSTM_TENSOR_COUNT], columns[LSTM_TENSOR_COUNT];
    lstm_layout(c, offset, rows, columns);
    float *p = model->parameters;
    size_t embedding = (size_t)rows[LSTM_EMBEDDING] * (size_t)columns[LSTM_EMBEDDING];
    for (size_t i = 0; i < embedding; i++)
        p[offset[LSTM_EMBEDDING] + i] = (float)rng_gaussian(r);
    double lstm_bound = 1.0 / sqrt(c->hidden_size);
    for (int t = LSTM_INPUT_WEIGHTS; t <= LSTM_GATE_BIAS; t++)
        fill_uniform(p + offset[t], (size_t)rows[t] * (size_t)columns[t], lstm_bound, r);
    double dense_bound = 1.0 / sqrt(c->hidden_size), output_bound = 1.0 / sqrt(c->dense_size);
    for (int t = LSTM_DENSE_WEIGHTS; t <= LSTM_OUTPUT_BIAS; t++)
        fill_uniform(p + offset[t], (size_t)rows[t] * (size_t)columns[t],
                     t <= LSTM_DENSE_BIAS ? dense_bound : output_bound, r);
    lstm_adam_reset(model);
}

void lstm_force_scalar_kernels(lstm_model *model, int scalar) { model->scalar_kernels = scalar; }

void lstm_adam_reset(lstm_model *model)
{
    memset(model->adam_m, 0, 2 * model->parameter_count * sizeof(float));
    model->adam_step = 0;
}

const lstm_config *lstm_model_config(const lstm_model *model) { return &model->config; }
size_t lstm_parameter_count(const lstm_model *model) { return model->parameter_count; }
float *lstm_parameters(lstm_model *model) { return model->parameters; }
const float *lstm_gradients(const lstm_model *model) { return model->gradients; }

void lstm_tensor_describe(const lstm_model *model, enum lstm_tensor tensor, lstm_tensor_info *out)
{
    size_t offset[LSTM_TENSOR_COUNT];
    int rows[LSTM_TENSOR_COUNT], columns[LSTM_TENSOR_COUNT];
    lstm_layout(&model->config, offset, rows, columns);
    int t = (int)tensor;
    if (t < 0 || t >= LSTM_TENSOR_COUNT) {
        *out = (lstm_tensor_info){.name = "unknown"};
        return;
    }
    *out = (lstm_tensor_info){tensor_names[t], offset[t], rows[t], columns[t]};
}

int lstm_embedding_row(const lstm_model *model, int position, int token)
{
    int p = (position < 0 ? 0 : position) % model->config.period;
    int choices = model->config.choices[p];
    /* Every token outside the known choices shares the position's last row. */
    if (token < 0 || token >= choices)
        token = choices;
    return model->row_offset[p] + token;
}

void lstm_target_scale(const lstm_model *model, double *mean, double *deviation)
{
    if (mean)
        *mean = model->target_mean;
    if (deviation)
        *deviation = model->target_deviation;
}

int lstm_set_target_scale(lstm_model *model, double mean, double deviation, exh_error *err)
{
    if (!isfinite(mean) || !isfinite(deviation) || deviation <= 0)
        return error_set(err, EXH_ERR_INVALID,
                         "lstm: target scale mean %g, deviation %g (need finite, deviation > 0)",
                         mean, deviation);
    model->target_mean = mean;
    model->target_deviation = deviation;
    return EXH_OK;
}
