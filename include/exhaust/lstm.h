/*
 * lstm.h — an LSTM regressor that predicts a number (a final accuracy, a
 * loss, an epoch time) from an architecture's token sequence, written by hand
 * in C (forward, backward and Adam), its matrix work through BLAS.
 *
 * The network, for an architecture of length T (space.h: one token a position):
 *
 *   x_t  = dropout(embedding[row(t, token_t)])              E = 40 numbers
 *   (h_t, c_t) = LSTM(x_t, h_{t-1}, c_{t-1}), h_0 = c_0 = 0  H = 100 numbers
 *   y    = output · relu(dense · dropout(h_T) + dense_bias) + output_bias
 *                                                           H -> D = 10 -> 1
 * trained on least squares, mean over the batch: L = (1/B) sum (y_b - t_b)^2.
 *
 * Embedding rows: a token is a choice index whose meaning depends on its
 * position, so each position (modulo a period P) has its own rows. The layout
 * is `period` and `choices[p]` for p < P: position i with token k reads row
 *   offset[i mod P] + k,   offset[p] = sum over q < p of (choices[q] + 1)
 * and each p also has one extra row, read by every token outside
 * 0..choices[p]-1 (a choice never seen in training, or a bad token): a
 * prediction for an unseen choice never fails. P = 1 is a single vocabulary
 * shared by all positions; P = the length of a fixed-length space (nb201: 6)
 * gives every position its own choices. lstm_period_for_space picks P per
 * space (nb201 6; convchain and graph 5, one layer or one node a period;
 * dense: its length) and lstm_config_from_archs reads the choices from data.
 *
 * Mini-batches of different lengths: like PyTorch's packed sequences. A
 * batch is sorted by length, longest first (ties keep their order), so the
 * sequences still running at step t are the first n_t of the batch; step t
 * computes only those rows, and h_T is each sequence's own last state. No
 * padding enters the arithmetic, and the result equals running each sequence
 * alone (tests/test_lstm.c checks it).
 *
 * LSTM weights follow PyTorch's nn.LSTM exactly: gate order i, f, g, o along
 * the 4H rows; input_weights is weight_ih_l0 (4H x E), recurrent_weights is
 * weight_hh_l0 (4H x H), both row-major. There is one gate bias: PyTorch's
 * bias_ih_l0 + bias_hh_l0 (and its gradient equals either one's).
 *   i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.)
 *   c_t = f c_{t-1} + i g,   h_t = o tanh(c_t)
 *
 * Parameters: all in one contiguous float block (as llm.c keeps them), tensor
 * after tensor in enum lstm_tensor order; lstm_tensor_describe gives each
 * one's offset and shape. The gradient block and Adam's two moment blocks
 * have the same layout. Initialization (lstm_init) follows PyTorch's
 * defaults: embedding N(0, 1); LSTM weights and bias U(-1/sqrt(H), 1/sqrt(H));
 * dense layers' weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 *
 * Regularization: one dropout rate, applied to the embedding outputs and to
 * h_T (inverted dropout: kept values are scaled by 1/(1-rate); off at
 * prediction), and L2 weight decay as torch.optim.Adam's weight_decay: the
 * gradient of every parameter gets weight_decay * parameter added before the
 * Adam moments.
 *
 * Targets are normalized: lstm_train sets the model's mean and standard
 * deviation from the training targets; lstm_forward/lstm_train_batch take
 * normalized targets, losses are in normalized units (an MSE of 1 is the
 * spread of the training targets), and lstm_predict answers in the
 * original units.
 *
 * Training (lstm_train): Adam on mini-batches in an order reshuffled every
 * epoch; after each epoch the loss on the validation set (no dropout) is
 * measured, the best parameters are kept, and training stops after
 * `patience` epochs without a strictly lower validation loss; the model ends
 * with the best parameters. lstm_grid_search trains one model per
 * combination of dropout, weight decay and learning rate and keeps the one
 * with the lowest validation loss. All randomness (initialization, shuffles,
 * dropout masks) comes from the rng passed in: the same seed gives the same
 * model, bit for bit, with the same BLAS library (BLAS runs on one thread
 * during the LSTM's work, below, so the machine's core count does not
 * matter).
 *
 * Speed. Matrix products go through BLAS (cblas_sgemm): the input
 * projection of all steps in one product, one product per step for the
 * recurrence, and the weight gradients of all steps in one product each.
 * The matrices are small (a few hundred rows), so training, evaluation and
 * prediction set OpenBLAS to one thread while they run and restore the
 * caller's setting after (its threads cost more in waking and spinning than
 * they saved: exhaust eval spent 7-8 s of system time in them; results
 * with one thread differ from two in the last bits of some products).
 * Without dropout, and when the embedding has fewer rows than the batch has
 * tokens, the input projection and its gradients are computed per embedding
 * row instead of per token (every occurrence of a token reads the same x):
 * the same numbers to rounding, fewer flops. The gate nonlinearities, the
 * cell updates and Adam run in AVX2 + FMA when the CPU has them (plain C
 * otherwise); exp and tanh there are polynomial (relative error ~2e-7
 * against libm, tests/test_lstm.c). bench/bench_lstm.c times an epoch
 * against PyTorch.
 *
 * A model holds its own work buffers: use one model from one thread at a time
 * (lstm_clone gives each thread its own).
 *
 * File format (lstm_save / lstm_load), all little-endian:
 *   "EXHLSTM\0"  magic (8 bytes)
 *   u32          version (1)
 *   u32 x 4      embedding_size, hidden_size, dense_size, period
 *   u32 x P      choices[0..P-1]
 *   f64 x 2      target mean, target standard deviation
 *   u64          parameter count (must equal what the sizes imply)
 *   f32 x count  the parameter block
 *   u32          CRC-32C of every byte before it
 * lstm_load checks every field, the size of the file and the checksum, and
 * names the file and the byte offset of the first bad field.
 *
 * Typical use:
 *     lstm_config c;  lstm_config_default(&c);
 *     lstm_config_from_archs(&c, lstm_period_for_space(s, &archs[0]), archs, n, &err);
 *     lstm_model *m;  lstm_new(&c, &m, &err);  lstm_init(m, r);
 *     lstm_train_options o;  lstm_train_options_default(&o);
 *     lstm_train_report report;
 *     lstm_train(m, &train, &validation, &o, r, &report, &err);
 *     lstm_predict(m, queries, count, predictions, &err);
 *     lstm_save(m, "model.lstm", &err);  lstm_train_report_clear(&report);  lstm_free(m);
 */
#ifndef EXHAUST_LSTM_H
#define EXHAUST_LSTM_H

#include <stddef.h>

#include "exhaust/error.h"
#include "exhaust/rng.h"
#include "exhaust/space.h"

#define LSTM_DEFAULT_EMBEDDING 40
#define LSTM_DEFAULT_HIDDEN 100
#define LSTM_DEFAULT_DENSE 10
#define LSTM_MAX_PERIOD ARCH_MAX_TOKENS
#define LSTM_MAX_LAYER_SIZE 4096       /* largest embedding, hidden or dense size */
#define LSTM_MAX_CHOICES (1 << 20)     /* largest choices[p] */
#define LSTM_MAX_PARAMETERS (1 << 28)  /* refuse larger models (1 GiB of floats) */
#define LSTM_FILE_VERSION 1

typedef struct lstm_config {
    int embedding_size;                /* E */
    int hidden_size;                   /* H */
    int dense_size;                    /* D */
    int period;                        /* P: see "Embedding rows" above */
    int choices[LSTM_MAX_PERIOD];      /* choices[p] for p < period */
} lstm_config;

/* E = 40, H = 100, D = 10, period 1 with 1 choice (set the layout next). */
void lstm_config_default(lstm_config *config);
/* Set period and choices[p] = 1 + the largest token at positions i with
 * i mod period = p over the architectures (1 where none occurs). Negative
 * tokens are EXH_ERR_INVALID, naming the architecture and position. */
int lstm_config_from_archs(lstm_config *config, int period, const arch *archs, int count,
                           exh_error *err);
/* The period for a space (see above); `example` gives the length of a dense
 * space's architectures (may be NULL otherwise). */
int lstm_period_for_space(const space *s, const arch *example);
/* Check sizes and layout against the limits above. */
int lstm_config_check(const lstm_config *config, exh_error *err);

enum lstm_tensor {
    LSTM_EMBEDDING = 0,      /* rows x E, rows = sum of (choices[p] + 1) */
    LSTM_INPUT_WEIGHTS,      /* 4H x E   (weight_ih_l0) */
    LSTM_RECURRENT_WEIGHTS,  /* 4H x H   (weight_hh_l0) */
    LSTM_GATE_BIAS,          /* 4H       (bias_ih_l0 + bias_hh_l0) */
    LSTM_DENSE_WEIGHTS,      /* D x H */
    LSTM_DENSE_BIAS,         /* D */
    LSTM_OUTPUT_WEIGHTS,     /* 1 x D */
    LSTM_OUTPUT_BIAS,        /* 1 */
    LSTM_TENSOR_COUNT
};

typedef struct lstm_tensor_info {
    const char *name;        /* "embedding", "input_weights", ... */
    size_t offset;           /* in floats, from the start of the block */
    int rows, columns;       /* a vector has columns 1 */
} lstm_tensor_info;

typedef struct lstm_model lstm_model;

/* A model with the config's shape, parameters zero (call lstm_init or load
 * weights into lstm_parameters), target mean 0 and deviation 1. */
int lstm_new(const lstm_config *config, lstm_model **out, exh_error *err);
void lstm_free(lstm_model *model);
/* A copy with the same config, parameters and target scale (not Adam state). */
int lstm_clone(const lstm_model *model, lstm_model **out, exh_error *err);
/* PyTorch's default initialization, drawn from r; resets Adam. */
void lstm_init(lstm_model *model, rng *r);

const lstm_config *lstm_model_config(const lstm_model *model);
size_t lstm_parameter_count(const lstm_model *model);
/* The parameter block and the gradient block (filled by lstm_backward). */
float *lstm_parameters(lstm_model *model);
const float *lstm_gradients(const lstm_model *model);
void lstm_tensor_describe(const lstm_model *model, enum lstm_tensor tensor,
                          lstm_tensor_info *out);
/* The embedding row a token at a position reads. */
int lstm_embedding_row(const lstm_model *model, int position, int token);
void lstm_target_scale(const lstm_model *model, double *mean, double *deviation);
/* deviation must be finite and > 0, mean finite (EXH_ERR_INVALID otherwise). */
int lstm_set_target_scale(lstm_model *model, double mean, double deviation, exh_error *err);

/* Forward one batch of `count` architectures (each of length 1..ARCH_MAX_TOKENS).
 * targets (normalized, may be NULL) gives *loss (may be NULL); dropout > 0
 * needs r and marks the pass as training. The outputs (normalized units, in
 * the batch's order) stay readable through lstm_outputs until the next
 * forward. */
int lstm_forward(lstm_model *model, const arch *const *batch, int count, const float *targets,
                 float dropout, rng *r, float *loss, exh_error *err);
const float *lstm_outputs(const lstm_model *model);
/* Gradients of the last forward's loss (which needed targets) with respect
 * to every parameter, written over the gradient block (no weight decay). */
int lstm_backward(lstm_model *model, exh_error *err);

typedef struct lstm_adam_options {
    float learning_rate;     /* 1e-3 */
    float beta1, beta2;      /* 0.9, 0.999 */
    float epsilon;           /* 1e-8 */
    float weight_decay;      /* L2 coefficient, 0 = none */
} lstm_adam_options;

/* One Adam step (torch.optim.Adam's arithmetic) from the gradient block. */
void lstm_adam_update(lstm_model *model, const lstm_adam_options *options);
/* Forget Adam's moments and step count. */
void lstm_adam_reset(lstm_model *model);

typedef struct lstm_train_options {
    int max_epochs;          /* 200 */
    int batch_size;          /* 32 */
    int patience;            /* 10 epochs without a better validation loss */
    float dropout;           /* 0.1 */
    lstm_adam_options adam;  /* learning rate 1e-3, weight decay 1e-5 */
} lstm_train_options;

void lstm_train_options_default(lstm_train_options *options);

/* forward + backward + one Adam step on one batch (normalized targets). */
int lstm_train_batch(lstm_model *model, const arch *const *batch, int count,
                     const float *targets, const lstm_train_options *options, rng *r,
                     float *loss, exh_error *err);

/* Architectures and their targets (original units). */
typedef struct lstm_dataset {
    int count;
    const arch *archs;
    const double *targets;
} lstm_dataset;

typedef struct lstm_train_report {
    int epochs;                  /* epochs run */
    int best_epoch;              /* 1-based; the model holds this epoch's parameters */
    double best_validation_loss; /* normalized MSE at best_epoch (NaN without validation) */
    double *train_loss;          /* per epoch, mean normalized MSE with dropout */
    double *validation_loss;     /* per epoch (NULL without validation) */
} lstm_train_report;

/* Normalize the targets with the training set's mean and deviation, then
 * train from the model's current parameters as described above. validation
 * may be NULL or empty: no early stopping, all max_epochs run, the model
 * keeps the last epoch's parameters. out may be NULL; otherwise free it
 * with lstm_train_report_clear. */
int lstm_train(lstm_model *model, const lstm_dataset *train, const lstm_dataset *validation,
               const lstm_train_options *options, rng *r, lstm_train_report *out,
               exh_error *err);
void lstm_train_report_clear(lstm_train_report *report);

/* Predictions in original units, no dropout. */
int lstm_predict(lstm_model *model, const arch *archs, int count, double *out, exh_error *err);
/* Mean squared error on a dataset in normalized units (no dropout). */
int lstm_evaluate(lstm_model *model, const lstm_dataset *data, double *loss, exh_error *err);

#define LSTM_GRID_MAX 8

typedef struct lstm_grid {
    int dropout_count, weight_decay_count, learning_rate_count;
    float dropout[LSTM_GRID_MAX];
    float weight_decay[LSTM_GRID_MAX];
    float learning_rate[LSTM_GRID_MAX];
} lstm_grid;

/* dropout {0, 0.1, 0.3}, weight decay {0, 1e-5, 1e-4}, learning rate {1e-3, 3e-3}. */
void lstm_grid_default(lstm_grid *grid);
/* A grid of one point: train once with these, stopped early on validation. */
void lstm_grid_single(lstm_grid *grid, float dropout, float weight_decay, float learning_rate);

typedef struct lstm_grid_point {
    float dropout, weight_decay, learning_rate;
    double validation_loss;      /* best, normalized MSE */
    int epochs, best_epoch;
} lstm_grid_point;

typedef struct lstm_grid_result {
    int count;                   /* combinations tried, dropout-major order */
    int best;                    /* index of the lowest validation loss (first on ties) */
    lstm_grid_point points[LSTM_GRID_MAX * LSTM_GRID_MAX * LSTM_GRID_MAX];
} lstm_grid_result;

/* Train a fresh model (config, lstm_init) per combination on train, judged
 * on validation (required, non-empty); the other options come from `base`.
 * One seed is drawn from r and every combination starts from it (the same
 * initial weights and first shuffle: common random numbers, so the
 * comparison reflects the hyperparameters). *best receives the winning
 * model (free it with lstm_free); result may be NULL. */
int lstm_grid_search(const lstm_config *config, const lstm_dataset *train,
                     const lstm_dataset *validation, const lstm_grid *grid,
                     const lstm_train_options *base, rng *r, lstm_model **best,
                     lstm_grid_result *result, exh_error *err);

/* Save / load the model (config, target scale, parameters) as described
 * above. lstm_load returns a new model; errors name the file. */
int lstm_save(const lstm_model *model, const char *path, exh_error *err);
int lstm_load(const char *path, lstm_model **out, exh_error *err);

#endif
