/* lstm_model.c — the LSTM regressor's config, parameter block and
 * initialization (lstm.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/space_convchain.h"
#include "exhaust/space_graph.h"
#include "predict/lstm_internal.h"

static const char *const tensor_names[EXH_LSTM_TENSOR_COUNT] = {
    "embedding",     "input_weights", "recurrent_weights", "gate_bias",
    "dense_weights", "dense_bias",    "output_weights",    "output_bias",
    "wide_weights",  "wide_bias",
};

void exh_lstm_config_default(exh_lstm_config *config)
{
    memset(config, 0, sizeof *config);
    config->embedding_size = EXH_LSTM_DEFAULT_EMBEDDING;
    config->hidden_size = EXH_LSTM_DEFAULT_HIDDEN;
    config->dense_size = EXH_LSTM_DEFAULT_DENSE;
    config->period = 1;
    config->choices[0] = 1;
}

void exh_lstm_config_paper(exh_lstm_config *config, int layer_width)
{
    config->variant = EXH_LSTM_VARIANT_PAPER;
    config->layer_width = layer_width;
    config->wide_size = EXH_LSTM_PAPER_WIDE;
}

/* The paper variant's layout: one vocabulary row a distinct layer. */
static int config_from_layers(exh_lstm_config *config, const exh_arch *archs, int count,
                              exh_error *err)
{
    if (config->layer_width < 1 || config->layer_width > EXH_LSTM_MAX_LAYER_WIDTH)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: layer width %d is outside 1..%d",
                             config->layer_width, EXH_LSTM_MAX_LAYER_WIDTH);
    int32_t *layers;
    int distinct, rc = lstm_distinct_layers(config->layer_width, archs, count, &layers, &distinct,
                                            err);
    free(layers);
    if (rc < 0)
        return rc;
    if (distinct > EXH_LSTM_MAX_CHOICES)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: %d distinct layers exceed %d", distinct,
                             EXH_LSTM_MAX_CHOICES);
    config->period = 1;
    config->choices[0] = distinct > 0 ? distinct : 1;
    return EXH_OK;
}

int exh_lstm_config_from_archs(exh_lstm_config *config, int period, const exh_arch *archs, int count,
                               exh_error *err)
{
    if (config->variant == EXH_LSTM_VARIANT_PAPER && (count >= 0 && (count == 0 || archs)))
        return config_from_layers(config, archs, count, err);
    if (period < 1 || period > EXH_LSTM_MAX_PERIOD)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: period %d is outside 1..%d", period,
                             EXH_LSTM_MAX_PERIOD);
    if (count < 0 || (count > 0 && !archs))
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: no architectures to read choices from");
    int choices[EXH_LSTM_MAX_PERIOD];
    for (int p = 0; p < period; p++)
        choices[p] = 1;
    for (int a = 0; a < count; a++) {
        if (archs[a].length < 1 || archs[a].length > EXH_ARCH_MAX_TOKENS)
            return exh_error_set(err, EXH_ERR_INVALID, "lstm: architecture %d has length %d", a,
                                 archs[a].length);
        for (int i = 0; i < archs[a].length; i++) {
            int32_t token = archs[a].token[i];
            if (token < 0 || token >= EXH_LSTM_MAX_CHOICES)
                return exh_error_set(err, EXH_ERR_INVALID,
                                     "lstm: architecture %d, position %d: token %d is outside 0..%d",
                                     a, i, (int)token, EXH_LSTM_MAX_CHOICES - 1);
            if (token + 1 > choices[i % period])
                choices[i % period] = token + 1;
        }
    }
    config->period = period;
    memcpy(config->choices, choices, sizeof(int) * (size_t)period);
    return EXH_OK;
}

int exh_lstm_period_for_space(const exh_space *s, const exh_arch *example)
{
    const char *kind = exh_space_kind(s);
    if (strcmp(kind, "nb201") == 0)
        return 6;
    if (strcmp(kind, "convchain") == 0)
        return EXH_CONVCHAIN_POSITIONS_PER_LAYER;
    if (strcmp(kind, "graph") == 0)
        return EXH_GRAPH_TOKENS_PER_NODE;
    if (strcmp(kind, "dense") == 0 && example && example->length >= 1 &&
        example->length <= EXH_LSTM_MAX_PERIOD)
        return example->length;
    return 1;
}

static int check_size(const char *what, int value, exh_error *err)
{
    if (value < 1 || value > EXH_LSTM_MAX_LAYER_SIZE)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: %s %d is outside 1..%d", what, value,
                             EXH_LSTM_MAX_LAYER_SIZE);
    return EXH_OK;
}

static int check_variant(const exh_lstm_config *c, exh_error *err)
{
    if (c->variant == EXH_LSTM_VARIANT_DEFAULT) {
        if (c->layer_width != 0 || c->wide_size != 0)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "lstm: the default variant has no layer width (%d) or wide layer "
                                 "(%d)", c->layer_width, c->wide_size);
        return EXH_OK;
    }
    if (c->variant != EXH_LSTM_VARIANT_PAPER)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "lstm: variant %d is not default (0) or paper (1)", c->variant);
    if (c->period != 1)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: the paper variant has period 1, not %d",
                             c->period);
    if (c->layer_width < 1 || c->layer_width > EXH_LSTM_MAX_LAYER_WIDTH)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: layer width %d is outside 1..%d",
                             c->layer_width, EXH_LSTM_MAX_LAYER_WIDTH);
    return check_size("wide size", c->wide_size, err);
}

size_t lstm_layout(const exh_lstm_config *c, size_t offset[EXH_LSTM_TENSOR_COUNT],
                   int rows[EXH_LSTM_TENSOR_COUNT], int columns[EXH_LSTM_TENSOR_COUNT])
{
    int embedding_rows = 0;
    for (int p = 0; p < c->period; p++)
        embedding_rows += c->choices[p] + 1;
    int E = c->embedding_size, H = c->hidden_size, D = c->dense_size, F = c->wide_size;
    /* The paper's first dense layer comes last in the block, so a default
     * model (F = 0) keeps the layout of version 1 files. */
    int into_dense = F > 0 ? F : H;
    const int r[EXH_LSTM_TENSOR_COUNT] = {embedding_rows, 4 * H, 4 * H, 4 * H, D, D, 1, 1, F, F};
    const int k[EXH_LSTM_TENSOR_COUNT] = {E, E, H, 1, into_dense, 1, D, 1, H, 1};
    size_t total = 0;
    for (int t = 0; t < EXH_LSTM_TENSOR_COUNT; t++) {
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

int exh_lstm_config_check(const exh_lstm_config *c, exh_error *err)
{
    int rc;
    if ((rc = check_size("embedding size", c->embedding_size, err)) < 0 ||
        (rc = check_size("hidden size", c->hidden_size, err)) < 0 ||
        (rc = check_size("dense size", c->dense_size, err)) < 0)
        return rc;
    if (c->period < 1 || c->period > EXH_LSTM_MAX_PERIOD)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: period %d is outside 1..%d", c->period,
                             EXH_LSTM_MAX_PERIOD);
    if ((rc = check_variant(c, err)) < 0)
        return rc;
    for (int p = 0; p < c->period; p++)
        if (c->choices[p] < 1 || c->choices[p] > EXH_LSTM_MAX_CHOICES)
            return exh_error_set(err, EXH_ERR_INVALID, "lstm: choices[%d] = %d is outside 1..%d", p,
                                 c->choices[p], EXH_LSTM_MAX_CHOICES);
    /* Each factor is bounded above, so this cannot overflow a size_t. */
    if (lstm_layout(c, NULL, NULL, NULL) > EXH_LSTM_MAX_PARAMETERS)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: %zu parameters exceed the limit of %d",
                             lstm_layout(c, NULL, NULL, NULL), EXH_LSTM_MAX_PARAMETERS);
    return EXH_OK;
}

int exh_lstm_new(const exh_lstm_config *config, exh_lstm_model **out, exh_error *err)
{
    *out = NULL;
    int rc = exh_lstm_config_check(config, err);
    if (rc < 0)
        return rc;
    exh_lstm_model *m = calloc(1, sizeof *m);
    if (!m)
        return exh_error_set(err, EXH_ERR_NOMEM, "lstm: out of memory");
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
        return exh_error_set(err, EXH_ERR_NOMEM, "lstm: out of memory for %zu parameters", count);
    }
    m->gradients = m->parameters + m->parameter_count;
    m->adam_m = m->gradients + m->parameter_count;
    m->adam_v = m->adam_m + m->parameter_count;
    *out = m;
    return EXH_OK;
}

void exh_lstm_free(exh_lstm_model *model)
{
    if (!model)
        return;
    lstm_workspace_free(&model->work);
    free(model->vocabulary);
    free(model->parameters);
    free(model);
}

int exh_lstm_clone(const exh_lstm_model *model, exh_lstm_model **out, exh_error *err)
{
    int rc = exh_lstm_new(&model->config, out, err);
    if (rc < 0)
        return rc;
    if ((rc = lstm_vocabulary_copy(*out, model->vocabulary, model->vocabulary_size, err)) < 0) {
        exh_lstm_free(*out);
        *out = NULL;
        return rc;
    }
    memcpy((*out)->parameters, model->parameters, model->parameter_count * sizeof(float));
    (*out)->target_mean = model->target_mean;
    (*out)->target_deviation = model->target_deviation;
    return EXH_OK;
}

static void fill_uniform(float *x, size_t n, double bound, exh_rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((2 * exh_rng_uniform(r) - 1) * bound);
}

void exh_lstm_init(exh_lstm_model *model, exh_rng *r)
{
    const exh_lstm_config *c = &model->config;
    size_t offset[EXH_LSTM_TENSOR_COUNT];
    int rows[EXH_LSTM_TENSOR_COUNT], columns[EXH_LSTM_TENSOR_COUNT];
    lstm_layout(c, offset, rows, columns);
    float *p = model->parameters;
    size_t embedding = (size_t)rows[EXH_LSTM_EMBEDDING] * (size_t)columns[EXH_LSTM_EMBEDDING];
    for (size_t i = 0; i < embedding; i++)
        p[offset[EXH_LSTM_EMBEDDING] + i] = (float)exh_rng_gaussian(r);
    double lstm_bound = 1.0 / sqrt(c->hidden_size);
    for (int t = EXH_LSTM_INPUT_WEIGHTS; t <= EXH_LSTM_GATE_BIAS; t++)
        fill_uniform(p + offset[t], (size_t)rows[t] * (size_t)columns[t], lstm_bound, r);
    /* PyTorch's nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and bias. */
    double dense_bound = 1.0 / sqrt(columns[EXH_LSTM_DENSE_WEIGHTS]),
           output_bound = 1.0 / sqrt(c->dense_size), wide_bound = 1.0 / sqrt(c->hidden_size);
    for (int t = EXH_LSTM_DENSE_WEIGHTS; t <= EXH_LSTM_WIDE_BIAS; t++)
        fill_uniform(p + offset[t], (size_t)rows[t] * (size_t)columns[t],
                     t <= EXH_LSTM_DENSE_BIAS   ? dense_bound
                     : t <= EXH_LSTM_OUTPUT_BIAS ? output_bound
                                                 : wide_bound,
                     r);
    exh_lstm_adam_reset(model);
    model->fresh = 1;
}

void lstm_force_scalar_kernels(exh_lstm_model *model, int scalar) { model->scalar_kernels = scalar; }

void exh_lstm_adam_reset(exh_lstm_model *model)
{
    memset(model->adam_m, 0, 2 * model->parameter_count * sizeof(float));
    model->adam_step = 0;
}

const exh_lstm_config *exh_lstm_model_config(const exh_lstm_model *model) { return &model->config; }
size_t exh_lstm_parameter_count(const exh_lstm_model *model) { return model->parameter_count; }
float *exh_lstm_parameters(exh_lstm_model *model) { return model->parameters; }
const float *exh_lstm_gradients(const exh_lstm_model *model) { return model->gradients; }

void exh_lstm_tensor_describe(const exh_lstm_model *model, enum exh_lstm_tensor tensor, exh_lstm_tensor_info *out)
{
    size_t offset[EXH_LSTM_TENSOR_COUNT];
    int rows[EXH_LSTM_TENSOR_COUNT], columns[EXH_LSTM_TENSOR_COUNT];
    lstm_layout(&model->config, offset, rows, columns);
    int t = (int)tensor;
    if (t < 0 || t >= EXH_LSTM_TENSOR_COUNT) {
        *out = (exh_lstm_tensor_info){.name = "unknown"};
        return;
    }
    *out = (exh_lstm_tensor_info){tensor_names[t], offset[t], rows[t], columns[t]};
}

int exh_lstm_embedding_row(const exh_lstm_model *model, int position, int token)
{
    int p = (position < 0 ? 0 : position) % model->config.period;
    int choices = model->config.choices[p];
    /* Every token outside the known choices shares the position's last row. */
    if (token < 0 || token >= choices)
        token = choices;
    return model->row_offset[p] + token;
}

void exh_lstm_target_scale(const exh_lstm_model *model, double *mean, double *deviation)
{
    if (mean)
        *mean = model->target_mean;
    if (deviation)
        *deviation = model->target_deviation;
}

int exh_lstm_set_target_scale(exh_lstm_model *model, double mean, double deviation, exh_error *err)
{
    if (!isfinite(mean) || !isfinite(deviation) || deviation <= 0)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "lstm: target scale mean %g, deviation %g (need finite, deviation > 0)",
                             mean, deviation);
    model->target_mean = mean;
    model->target_deviation = deviation;
    return EXH_OK;
}
