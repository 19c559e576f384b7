/* lstm_forward.c — the forward pass over a batch of token sequences
 * (lstm.h): embedding lookup, packed LSTM steps, dense head, squared loss. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "predict/lstm_internal.h"

void lstm_workspace_free(lstm_workspace *w)
{
    free(w->order);
    free(w->input);
    memset(w, 0, sizeof *w);
}

/* All buffers live in two blocks (ints, floats), regrown together when a
 * batch needs more than the capacity, to twice what it needs. */
static int workspace_reserve(exh_lstm_model *m, int count, int rows, exh_error *err)
{
    lstm_workspace *w = &m->work;
    if (count <= w->batch_capacity && rows <= w->row_capacity)
        return EXH_OK;
    int batch_capacity = count > w->batch_capacity ? 2 * count : w->batch_capacity;
    int row_capacity = rows > w->row_capacity ? 2 * rows : w->row_capacity;
    size_t E = (size_t)m->config.embedding_size, H = (size_t)m->config.hidden_size,
           D = (size_t)m->config.dense_size, F = (size_t)m->config.wide_size,
           B = (size_t)batch_capacity, R = (size_t)row_capacity;
    size_t steps = EXH_ARCH_MAX_TOKENS + 1;
    size_t int_count = 2 * B + 2 * steps + R;
    size_t V = (size_t)m->embedding_rows;
    size_t float_count = R * (3 * E + 12 * H) + B * (5 * H + 2 * D + 2 * F + 3) + V * 8 * H;
    int *ints = malloc(int_count * sizeof *ints);
    float *floats = malloc(float_count * sizeof *floats);
    if (!ints || !floats) {
        free(ints);
        free(floats);
        return exh_error_set(err, EXH_ERR_NOMEM, "lstm: out of memory for a batch of %d (%d steps)",
                             count, rows);
    }
    lstm_workspace_free(w);
    w->batch_capacity = batch_capacity;
    w->row_capacity = row_capacity;
    w->step_capacity = (int)steps;
    w->order = ints;
    w->length = w->order + B;
    w->step_rows = w->length + B;
    w->step_offset = w->step_rows + steps;
    w->embedding_row = w->step_offset + steps;
    float *f = floats;
#define TAKE(field, n) (w->field = f, f += (n))
    TAKE(input, R * E);
    TAKE(input_mask, R * E);
    TAKE(gates, R * 4 * H);
    TAKE(cell, R * H);
    TAKE(cell_tanh, R * H);
    TAKE(hidden, R * H);
    TAKE(hidden_previous, R * H);
    TAKE(gates_gradient, R * 4 * H);
    TAKE(input_gradient, R * E);
    TAKE(last, B * H);
    TAKE(last_mask, B * H);
    TAKE(dense, B * D);
    TAKE(output, B);
    TAKE(target, B);
    TAKE(output_in_order, B);
    TAKE(hidden_gradient, B * H);
    TAKE(cell_gradient, B * H);
    TAKE(last_gradient, B * H);
    TAKE(dense_gradient, B * D);
    TAKE(wide, B * F);
    TAKE(wide_gradient, B * F);
    TAKE(table_gates, V * 4 * H);
    TAKE(table_gradient, V * 4 * H);
#undef TAKE
    return EXH_OK;
}

static int check_batch(const exh_arch *const *batch, int count, float dropout, exh_rng *r, int *rows,
                       exh_error *err)
{
    if (count < 1 || !batch)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: empty batch");
    if (!(dropout >= 0 && dropout < 1))
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: dropout %g is outside [0, 1)", dropout);
    if (dropout > 0 && !r)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: dropout needs a random generator");
    long total = 0;
    for (int b = 0; b < count; b++) {
        if (!batch[b] || batch[b]->length < 1 || batch[b]->length > EXH_ARCH_MAX_TOKENS)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "lstm: batch item %d has length %d (need 1..%d)", b,
                                 batch[b] ? batch[b]->length : 0, EXH_ARCH_MAX_TOKENS);
        total += batch[b]->length;
    }
    if (total > (1L << 30) / EXH_ARCH_MAX_TOKENS)
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: batch of %d is too large", count);
    *rows = (int)total;
    return EXH_OK;
}

/* Longest first (in LSTM steps), ties in batch order (a stable counting
 * sort), then the packed-row bookkeeping: n_t and each step's first row. */
static void pack_batch(exh_lstm_model *m, const exh_arch *const *batch, int count)
{
    lstm_workspace *w = &m->work;
    int at_length[EXH_ARCH_MAX_TOKENS + 2] = {0};
    for (int b = 0; b < count; b++)
        at_length[exh_lstm_steps(m, batch[b])]++;
    int start[EXH_ARCH_MAX_TOKENS + 2], next = 0;
    for (int len = EXH_ARCH_MAX_TOKENS; len >= 1; len--) {
        start[len] = next;
        next += at_length[len];
    }
    for (int b = 0; b < count; b++)
        w->order[start[exh_lstm_steps(m, batch[b])]++] = b;
    w->count = count;
    for (int b = 0; b < count; b++)
        w->length[b] = exh_lstm_steps(m, batch[w->order[b]]);
    w->steps = w->length[0];
    int row = 0, running = count;
    for (int t = 0; t < w->steps; t++) {
        while (running > 0 && w->length[running - 1] <= t)
            running--;
        w->step_rows[t] = running;
        w->step_offset[t] = row;
        for (int b = 0; b < running; b++)
            w->embedding_row[row + b] = lstm_step_row(m, batch[w->order[b]], t);
        row += running;
    }
    w->step_offset[w->steps] = row;
    w->rows = row;
}

static void dropout_mask(float *mask, size_t n, float rate, exh_rng *r)
{
    float keep = 1.0f / (1.0f - rate);
    if (rate <= 0) {
        for (size_t i = 0; i < n; i++)
            mask[i] = 1.0f;
        return;
    }
    for (size_t i = 0; i < n; i++)
        mask[i] = exh_rng_uniform(r) < rate ? 0.0f : keep;
}

static void embed(exh_lstm_model *m, exh_rng *r)
{
    lstm_workspace *w = &m->work;
    int E = m->config.embedding_size;
    const float *table = lstm_tensor(m->parameters, m, EXH_LSTM_EMBEDDING);
    for (int row = 0; row < w->rows; row++)
        memcpy(w->input + (size_t)row * E, table + (size_t)w->embedding_row[row] * E,
               (size_t)E * sizeof(float));
    if (w->dropout > 0) {
        size_t n = (size_t)w->rows * E;
        dropout_mask(w->input_mask, n, w->dropout, r);
        for (size_t i = 0; i < n; i++)
            w->input[i] *= w->input_mask[i];
    }
}

/* The input's share of every step's gates, bias + x W_ih^T: per packed row,
 * or per embedding row and then looked up (grouped). */
static void project_inputs(exh_lstm_model *m)
{
    lstm_workspace *w = &m->work;
    int E = m->config.embedding_size, G = 4 * m->config.hidden_size;
    const float *bias = lstm_tensor(m->parameters, m, EXH_LSTM_GATE_BIAS);
    const float *input_weights = lstm_tensor(m->parameters, m, EXH_LSTM_INPUT_WEIGHTS);
    int rows = w->grouped ? m->embedding_rows : w->rows;
    float *target = w->grouped ? w->table_gates : w->gates;
    const float *input = w->grouped ? lstm_tensor(m->parameters, m, EXH_LSTM_EMBEDDING) : w->input;
    for (int row = 0; row < rows; row++)
        memcpy(target + (size_t)row * G, bias, (size_t)G * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, G, E, 1.0f, input, E,
                input_weights, E, 1.0f, target, G);
    if (w->grouped)
        for (int row = 0; row < w->rows; row++)
            memcpy(w->gates + (size_t)row * G, w->table_gates + (size_t)w->embedding_row[row] * G,
                   (size_t)G * sizeof(float));
}

static void recur(exh_lstm_model *m)
{
    lstm_workspace *w = &m->work;
    int H = m->config.hidden_size, G = 4 * H;
    project_inputs(m);
    const float *recurrent = lstm_tensor(m->parameters, m, EXH_LSTM_RECURRENT_WEIGHTS);
    for (int t = 0; t < w->steps; t++) {
        int n = w->step_rows[t];
        size_t row = (size_t)w->step_offset[t];
        const float *cell_previous = NULL;
        if (t > 0) {
            /* The first n rows of step t-1 are the same sequences. */
            size_t previous = (size_t)w->step_offset[t - 1];
            memcpy(w->hidden_previous + row * H, w->hidden + previous * H,
                   (size_t)n * H * sizeof(float));
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, G, H, 1.0f,
                        w->hidden + previous * H, H, recurrent, H, 1.0f, w->gates + row * G, G);
            cell_previous = w->cell + previous * H;
        }
        lstm_cell_forward(H, n, w->gates + row * G, cell_previous, w->cell + row * H,
                          w->cell_tanh + row * H, w->hidden + row * H, lstm_vector_kernels(m));
    }
}

/* out (B x n) = relu(in (B x k) W^T + bias), W n x k: one dense layer. */
static void dense_relu(int B, int n, int k, const float *in, const float *weights,
                       const float *bias, float *out)
{
    for (int b = 0; b < B; b++)
        memcpy(out + (size_t)b * n, bias, (size_t)n * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n, k, 1.0f, in, k, weights, k, 1.0f,
                out, n);
    for (size_t i = 0; i < (size_t)B * n; i++)
        out[i] = out[i] > 0 ? out[i] : 0.0f;
}

static void head(exh_lstm_model *m, exh_rng *r)
{
    lstm_workspace *w = &m->work;
    int H = m->config.hidden_size, D = m->config.dense_size, F = m->config.wide_size;
    int B = w->count, paper = m->config.variant == EXH_LSTM_VARIANT_PAPER;
    for (int b = 0; b < B; b++) {
        size_t row = (size_t)w->step_offset[w->length[b] - 1] + (size_t)b;
        memcpy(w->last + (size_t)b * H, w->hidden + row * H, (size_t)H * sizeof(float));
    }
    if (w->dropout > 0) {
        dropout_mask(w->last_mask, (size_t)B * H, w->dropout, r);
        for (size_t i = 0; i < (size_t)B * H; i++)
            w->last[i] *= w->last_mask[i];
    }
    const float *into_dense = w->last;
    if (paper) {
        dense_relu(B, F, H, w->last, lstm_tensor(m->parameters, m, EXH_LSTM_WIDE_WEIGHTS),
                   lstm_tensor(m->parameters, m, EXH_LSTM_WIDE_BIAS), w->wide);
        into_dense = w->wide;
    }
    dense_relu(B, D, paper ? F : H, into_dense,
               lstm_tensor(m->parameters, m, EXH_LSTM_DENSE_WEIGHTS),
               lstm_tensor(m->parameters, m, EXH_LSTM_DENSE_BIAS), w->dense);
    const float *output_weights = lstm_tensor(m->parameters, m, EXH_LSTM_OUTPUT_WEIGHTS);
    float output_bias = *lstm_tensor(m->parameters, m, EXH_LSTM_OUTPUT_BIAS);
    for (int b = 0; b < B; b++) {
        const float *a = w->dense + (size_t)b * D;
        float y = output_bias;
        for (int k = 0; k < D; k++)
            y += a[k] * output_weights[k];
        /* The paper's "ReLU after each dense layer", the output's included. */
        if (paper && y < 0)
            y = 0.0f;
        w->output[b] = y;
        w->output_in_order[w->order[b]] = y;
    }
}

int exh_lstm_forward(exh_lstm_model *model, const exh_arch *const *batch, int count, const float *targets,
                     float dropout, exh_rng *r, float *loss, exh_error *err)
{
    int rows = 0, rc = check_batch(batch, count, dropout, r, &rows, err);
    if (rc < 0)
        return rc;
    if ((rc = workspace_reserve(model, count, rows, err)) < 0)
        return rc;
    lstm_workspace *w = &model->work;
    w->dropout = dropout;
    pack_batch(model, batch, count);
    w->grouped = dropout == 0 && model->embedding_rows < w->rows;
    if (!w->grouped)
        embed(model, r);
    recur(model);
    head(model, r);
    w->has_targets = targets != NULL;
    if (!targets)
        return EXH_OK;
    double sum = 0;
    for (int b = 0; b < count; b++) {
        w->target[b] = targets[w->order[b]];
        double e = (double)w->output[b] - (double)w->target[b];
        sum += e * e;
    }
    float mean = (float)(sum / count);
    if (loss)
        *loss = mean;
    if (!isfinite(mean))
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: " LSTM_DIVERGED " (%g)", sum / count);
    return EXH_OK;
}

const float *exh_lstm_outputs(const exh_lstm_model *model) { return model->work.output_in_order; }
