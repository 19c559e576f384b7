/* lstm_backward.c — gradients of the last forward's loss by hand
 * (backpropagation through time over the packed steps) and Adam (lstm.h). */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "predict/lstm_internal.h"

/* Back through one dense layer with a ReLU, out = relu(in W^T + bias):
 * the gradient at `out` (B x n, overwritten with the pre-activation's) ->
 * dW (n x k), dbias (accumulated), and d in (B x k). */
static void dense_relu_backward(int B, int n, int k, const float *in, const float *out,
                                float *out_gradient, const float *weights, float *weights_gradient,
                                float *bias_gradient, float *in_gradient)
{
    for (size_t i = 0; i < (size_t)B * n; i++) {
        /* out = relu(z): the gradient passes where z > 0, i.e. out > 0. */
        out_gradient[i] = out[i] > 0 ? out_gradient[i] : 0.0f;
        bias_gradient[i % (size_t)n] += out_gradient[i];
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, B, 1.0f, out_gradient, n, in, k,
                0.0f, weights_gradient, k);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, k, n, 1.0f, out_gradient, n,
                weights, k, 0.0f, in_gradient, k);
}

/* Loss -> [ReLU] -> output layer -> ReLU -> dense layer [-> ReLU -> wide
 * layer, paper variant] -> dropout on h_T. */
static void head_backward(exh_lstm_model *m)
{
    lstm_workspace *w = &m->work;
    int H = m->config.hidden_size, D = m->config.dense_size, F = m->config.wide_size;
    int B = w->count, paper = m->config.variant == EXH_LSTM_VARIANT_PAPER;
    const float *output_weights = lstm_tensor(m->parameters, m, EXH_LSTM_OUTPUT_WEIGHTS);
    float *output_weights_gradient = lstm_tensor(m->gradients, m, EXH_LSTM_OUTPUT_WEIGHTS);
    float *output_bias_gradient = lstm_tensor(m->gradients, m, EXH_LSTM_OUTPUT_BIAS);
    for (int b = 0; b < B; b++) {
        float dy = 2.0f * (w->output[b] - w->target[b]) / (float)B;
        if (paper && !(w->output[b] > 0))
            dy = 0.0f; /* the output's ReLU */
        const float *a = w->dense + (size_t)b * D;
        float *da = w->dense_gradient + (size_t)b * D;
        *output_bias_gradient += dy;
        for (int k = 0; k < D; k++) {
            output_weights_gradient[k] += dy * a[k];
            da[k] = dy * output_weights[k];
        }
    }
    const float *into_dense = paper ? w->wide : w->last;
    dense_relu_backward(B, D, paper ? F : H, into_dense, w->dense, w->dense_gradient,
                        lstm_tensor(m->parameters, m, EXH_LSTM_DENSE_WEIGHTS),
                        lstm_tensor(m->gradients, m, EXH_LSTM_DENSE_WEIGHTS),
                        lstm_tensor(m->gradients, m, EXH_LSTM_DENSE_BIAS),
                        paper ? w->wide_gradient : w->last_gradient);
    if (paper)
        dense_relu_backward(B, F, H, w->last, w->wide, w->wide_gradient,
                            lstm_tensor(m->parameters, m, EXH_LSTM_WIDE_WEIGHTS),
                            lstm_tensor(m->gradients, m, EXH_LSTM_WIDE_WEIGHTS),
                            lstm_tensor(m->gradients, m, EXH_LSTM_WIDE_BIAS), w->last_gradient);
    if (w->dropout > 0)
        for (size_t i = 0; i < (size_t)B * H; i++)
            w->last_gradient[i] *= w->last_mask[i];
}

static void recur_backward(exh_lstm_model *m)
{
    lstm_workspace *w = &m->work;
    int H = m->config.hidden_size, G = 4 * H, B = w->count;
    const float *recurrent = lstm_tensor(m->parameters, m, EXH_LSTM_RECURRENT_WEIGHTS);
    memset(w->cell_gradient, 0, (size_t)B * H * sizeof(float));
    for (int t = w->steps - 1; t >= 0; t--) {
        int n = w->step_rows[t], later = t + 1 < w->steps ? w->step_rows[t + 1] : 0;
        size_t row = (size_t)w->step_offset[t];
        /* Sequences whose last step is t start here with dL/dh_T; the others
         * carry the gradient the recurrent product of step t+1 left. */
        memcpy(w->hidden_gradient + (size_t)later * H, w->last_gradient + (size_t)later * H,
               (size_t)(n - later) * H * sizeof(float));
        const float *cell_previous = t > 0 ? w->cell + (size_t)w->step_offset[t - 1] * H : NULL;
        lstm_cell_backward(H, n, w->gates + row * G, cell_previous, w->cell_tanh + row * H,
                           w->hidden_gradient, w->cell_gradient, w->gates_gradient + row * G,
                           lstm_vector_kernels(m));
        if (t > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, H, G, 1.0f,
                        w->gates_gradient + row * G, G, recurrent, H, 0.0f, w->hidden_gradient,
                        H);
    }
}

static void bias_gradient_from(const float *gate_gradients, int rows, int G, float *bias_gradient)
{
    for (int row = 0; row < rows; row++) {
        const float *dg = gate_gradients + (size_t)row * G;
        for (int k = 0; k < G; k++)
            bias_gradient[k] += dg[k];
    }
}

/* Per packed row: dW_ih = dG^T X, dX = dG W_ih, scattered into the
 * embedding rows through the dropout mask. */
static void input_backward_per_row(exh_lstm_model *m)
{
    lstm_workspace *w = &m->work;
    int E = m->config.embedding_size, G = 4 * m->config.hidden_size, R = w->rows;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, E, R, 1.0f, w->gates_gradient, G,
                w->input, E, 0.0f, lstm_tensor(m->gradients, m, EXH_LSTM_INPUT_WEIGHTS), E);
    bias_gradient_from(w->gates_gradient, R, G, lstm_tensor(m->gradients, m, EXH_LSTM_GATE_BIAS));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, E, G, 1.0f, w->gates_gradient, G,
                lstm_tensor(m->parameters, m, EXH_LSTM_INPUT_WEIGHTS), E, 0.0f, w->input_gradient,
                E);
    float *embedding_gradient = lstm_tensor(m->gradients, m, EXH_LSTM_EMBEDDING);
    for (int row = 0; row < R; row++) {
        float *target = embedding_gradient + (size_t)w->embedding_row[row] * E;
        const float *dx = w->input_gradient + (size_t)row * E;
        const float *mask = w->input_mask + (size_t)row * E;
        for (int e = 0; e < E; e++)
            target[e] += w->dropout > 0 ? dx[e] * mask[e] : dx[e];
    }
}

/* Grouped: sum the gate gradients per embedding row first; then the same
 * products with the table in place of X. */
static void input_backward_grouped(exh_lstm_model *m)
{
    lstm_workspace *w = &m->work;
    int E = m->config.embedding_size, G = 4 * m->config.hidden_size, V = m->embedding_rows;
    memset(w->table_gradient, 0, (size_t)V * G * sizeof(float));
    for (int row = 0; row < w->rows; row++) {
        float *target = w->table_gradient + (size_t)w->embedding_row[row] * G;
        const float *dg = w->gates_gradient + (size_t)row * G;
        for (int k = 0; k < G; k++)
            target[k] += dg[k];
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, E, V, 1.0f, w->table_gradient, G,
                lstm_tensor(m->parameters, m, EXH_LSTM_EMBEDDING), E, 0.0f,
                lstm_tensor(m->gradients, m, EXH_LSTM_INPUT_WEIGHTS), E);
    bias_gradient_from(w->table_gradient, V, G, lstm_tensor(m->gradients, m, EXH_LSTM_GATE_BIAS));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, V, E, G, 1.0f, w->table_gradient, G,
                lstm_tensor(m->parameters, m, EXH_LSTM_INPUT_WEIGHTS), E, 0.0f,
                lstm_tensor(m->gradients, m, EXH_LSTM_EMBEDDING), E);
}

/* The weight gradients of all steps at once. */
static void weights_backward(exh_lstm_model *m)
{
    lstm_workspace *w = &m->work;
    int H = m->config.hidden_size, G = 4 * H;
    /* Step 0 reads h = 0: its rows add nothing to dW_hh. */
    size_t first = (size_t)w->step_rows[0];
    float *recurrent_gradient = lstm_tensor(m->gradients, m, EXH_LSTM_RECURRENT_WEIGHTS);
    if (w->rows > (int)first)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, H, w->rows - (int)first, 1.0f,
                    w->gates_gradient + first * G, G, w->hidden_previous + first * H, H, 0.0f,
                    recurrent_gradient, H);
    if (w->grouped)
        input_backward_grouped(m);
    else
        input_backward_per_row(m);
}

int exh_lstm_backward(exh_lstm_model *model, exh_error *err)
{
    lstm_workspace *w = &model->work;
    if (w->count < 1 || !w->has_targets)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "lstm: backward needs a forward pass with targets first");
    memset(model->gradients, 0, model->parameter_count * sizeof(float));
    head_backward(model);
    recur_backward(model);
    weights_backward(model);
    return EXH_OK;
}

void exh_lstm_adam_update(exh_lstm_model *model, const exh_lstm_adam_options *o)
{
    model->adam_step++;
    /* torch.optim.Adam: bias corrections folded into the step size and the
     * denominator, in the same order, so the two agree to rounding. */
    double correction1 = 1.0 - pow(o->beta1, (double)model->adam_step);
    double correction2 = 1.0 - pow(o->beta2, (double)model->adam_step);
    lstm_adam_step step = {o->beta1, o->beta2, o->epsilon, o->weight_decay,
                           (float)(o->learning_rate / correction1), (float)sqrt(correction2)};
    lstm_adam_kernel(model->parameter_count, model->parameters, model->gradients, model->adam_m,
                     model->adam_v, &step, lstm_vector_kernels(model));
}
