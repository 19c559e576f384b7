/* lstm_internal.h — the model's layout and work buffers, shared by the
 * src/predict/lstm_*.c files (forward, backward, training, files). */
#ifndef EXHAUST_LSTM_INTERNAL_H
#define EXHAUST_LSTM_INTERNAL_H

#include <stdint.h>

#include "exhaust/lstm.h"

/* Activations of one batch, packed step by step: the rows of step t are the
 * n_t sequences still running (the batch sorted longest first), starting at
 * row step_offset[t]; `rows` = sum of the lengths. Sized for the largest
 * batch seen so far and reused. */
typedef struct lstm_workspace {
    int batch_capacity, row_capacity, step_capacity;
    /* batch */
    int count, steps, rows, has_targets;
    float dropout;
    /* Without dropout on the embedding, every occurrence of a token feeds
     * the same x to the gates, so the input projection and its gradients
     * are computed once per embedding row rather than once per packed row,
     * when the table has fewer rows than the batch. */
    int grouped;
    int *order;            /* sorted position -> index in the caller's batch */
    int *length;           /* per sorted position */
    int *step_rows;        /* n_t */
    int *step_offset;      /* first packed row of step t; [steps] = rows */
    int *embedding_row;    /* per packed row */
    /* per packed row */
    float *input;          /* x_t after dropout, rows x E */
    float *input_mask;     /* dropout scale (0 or 1/(1-rate)), rows x E; NULL-free when no dropout */
    float *gates;          /* activated i, f, g, o, rows x 4H */
    float *cell;           /* c_t, rows x H */
    float *cell_tanh;      /* tanh(c_t), rows x H */
    float *hidden;         /* h_t, rows x H */
    float *hidden_previous;/* h_{t-1}, rows x H (unused at t = 0, where h = 0) */
    /* per sequence (sorted positions) */
    float *last;           /* h_T after dropout, count x H */
    float *last_mask;      /* count x H */
    float *wide;           /* paper: relu(wide pre-activation), count x F */
    float *dense;          /* relu(dense pre-activation), count x D */
    float *output;         /* y, count */
    float *target;         /* count */
    float *output_in_order;/* y in the caller's order */
    /* backward */
    float *gates_gradient; /* rows x 4H, pre-activation */
    float *input_gradient; /* rows x E */
    float *hidden_gradient;/* count x H */
    float *cell_gradient;  /* count x H */
    float *last_gradient;  /* count x H */
    float *dense_gradient; /* count x D */
    float *wide_gradient;  /* count x F */
    /* grouped batches, per embedding row */
    float *table_gates;    /* bias + embedding W_ih^T, rows x 4H */
    float *table_gradient; /* summed pre-activation gate gradients, rows x 4H */
} lstm_workspace;

/* The message a forward pass gives when the loss overflows (a learning rate
 * too large); the grid search scores such a combination +inf. */
#define LSTM_DIVERGED "the loss is not finite"

struct exh_lstm_model {
    exh_lstm_config config;
    int embedding_rows;
    int row_offset[EXH_LSTM_MAX_PERIOD];
    double target_mean, target_deviation;
    size_t parameter_count;
    size_t tensor_offset[EXH_LSTM_TENSOR_COUNT];
    float *parameters;     /* one block: parameters, then gradients, m, v */
    float *gradients;
    float *adam_m, *adam_v;
    long adam_step;
    int scalar_kernels;    /* tests only: see lstm_force_scalar_kernels */
    /* Paper variant: the distinct layers, W tokens each, sorted. */
    int32_t *vocabulary;
    int vocabulary_size;
    int fresh;             /* initialized by exh_lstm_init, not trained since */
    lstm_workspace work;
};

/* Parameter count of a checked config, and each tensor's offset/shape. */
size_t lstm_layout(const exh_lstm_config *config, size_t offset[EXH_LSTM_TENSOR_COUNT],
                   int rows[EXH_LSTM_TENSOR_COUNT], int columns[EXH_LSTM_TENSOR_COUNT]);

static inline float *lstm_tensor(float *block, const exh_lstm_model *m, enum exh_lstm_tensor t)
{
    return block + m->tensor_offset[t];
}

void lstm_workspace_free(lstm_workspace *w);

/* The embedding row step t of an architecture reads (lstm_layers.c): its
 * token's row, or in the paper variant its layer's vocabulary row. */
int lstm_step_row(const exh_lstm_model *m, const exh_arch *arch, int step);
/* The distinct layers of W tokens in the architectures, sorted, into a new
 * array (*out, NULL when there are none); *count receives how many. */
int lstm_distinct_layers(int width, const exh_arch *archs, int count, int32_t **out, int *distinct,
                         exh_error *err);
/* Replace the model's vocabulary with a copy of n layers. */
int lstm_vocabulary_copy(exh_lstm_model *m, const int32_t *layers, int n, exh_error *err);

/* Elementwise kernels (lstm_kernels.c). The forward one turns n rows of
 * gate pre-activations (i, f, g, o blocks of H) into activations and writes
 * c_t, tanh(c_t) and h_t (cell_previous NULL at t = 0). The backward one
 * turns dL/dh_t and the carried dL/dc_t into the pre-activation gradients
 * and leaves dL/dc_{t-1} in cell_gradient. */
void lstm_cell_forward(int H, int n, float *gates, const float *cell_previous, float *cell,
                       float *cell_tanh, float *hidden, int vector);
void lstm_cell_backward(int H, int n, const float *gates, const float *cell_previous,
                        const float *cell_tanh, const float *hidden_gradient,
                        float *cell_gradient, float *gates_gradient, int vector);

/* One Adam step's constants, bias corrections folded in as torch does. */
typedef struct lstm_adam_step {
    float beta1, beta2, epsilon, weight_decay;
    float step_size;         /* learning rate / (1 - beta1^t) */
    float root_correction2;  /* sqrt(1 - beta2^t) */
} lstm_adam_step;

void lstm_adam_kernel(size_t n, float *parameters, const float *gradients, float *mean,
                      float *square, const lstm_adam_step *step, int vector);

/* Whether this CPU runs the AVX2 + FMA kernels (`vector` above). */
int lstm_kernels_have_avx2(void);
/* Tests: make a model use the plain C kernels (1) or the default (0). */
void lstm_force_scalar_kernels(exh_lstm_model *model, int scalar);
static inline int lstm_vector_kernels(const exh_lstm_model *m)
{
    return !m->scalar_kernels && lstm_kernels_have_avx2();
}

/* BLAS on one thread while the LSTM works. Its matrices are small (a few
 * hundred rows by 4H columns): OpenBLAS's threads spend more time waking
 * and spinning than multiplying (exhaust eval lost 7-8 s of system time to
 * them), so every public entry point that multiplies runs between
 * lstm_blas_single_enter and lstm_blas_single_leave. They nest and may be
 * called from several threads: the first enter saves the BLAS thread count
 * and sets 1, the last leave restores it. OpenBLAS splits sgemm over rows
 * and columns, not over the summed dimension, so the numbers do not change
 * (exhaust eval prints the same tables either way). */
void lstm_blas_single_enter(void);
void lstm_blas_single_leave(void);

#endif
