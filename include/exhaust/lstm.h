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
 * The paper's variant (config.variant = EXH_LSTM_VARIANT_PAPER, `exhaust
 * predict/eval --lstm-variant paper`; the prediction paper's LSTM, issue 15):
 *
 *   x_s  = dropout(embedding[layer_s])          one token a layer: s = 0..ceil(T/W)-1
 *   (h_s, c_s) = LSTM(x_s, h_{s-1}, c_{s-1})
 *   y    = relu(output · relu(dense · relu(wide · dropout(h_S) + wide_bias)
 *                              + dense_bias) + output_bias)
 *                                               H -> F = 100 -> D = 10 -> 1
 *
 * A layer is W = layer_width consecutive tokens (a convchain layer's 5
 * attributes, a graph node's 5 tokens, one NB201 edge: exh_lstm_layer_width_for_space)
 * and is one LSTM step whose embedding row is looked up from the whole
 * attribute tuple: the model keeps a vocabulary, the distinct layers of its
 * training architectures in lexicographic order (a last layer cut short is
 * padded with -1), and layer s reads row `its index in the vocabulary`; a
 * layer not in the vocabulary reads the extra last row. The layout is then
 * period 1 with choices[0] = the vocabulary's size (at least). The head is
 * "100-10-1 with ReLU after each dense layer" taken literally: a dense layer
 * of F = wide_size units, one of D, one of 1, each followed by a ReLU, the
 * output's too. A ReLU output cannot go below 0, so this variant's targets are
 * scaled as (t - min) / deviation over the training set (min in place of
 * the mean; every training target is >= 0 and the prediction never goes
 * below the training minimum). A model whose output is <= 0 for every input
 * gets no gradient at all (a dead output unit: it predicts the training
 * minimum), and from PyTorch's initialization that happens often (exhaust
 * eval on NB201: a mean error of 26.9 +- 32.1 accuracy points over 10 splits,
 * against 5.4 +- 1.8 with the start that follows). So
 * exh_lstm_train raises the output bias of a model fresh from exh_lstm_init
 * by the mean scaled training target: the one departure from PyTorch's
 * initialization, which starts the output near the targets, above the kink.
 *
 * Embedding rows: a token is a choice index whose meaning depends on its
 * position, so each position (modulo a period P) has its own rows. The layout
 * is `period` and `choices[p]` for p < P: position i with token k reads row
 *   offset[i mod P] + k,   offset[p] = sum over q < p of (choices[q] + 1)
 * and each p also has one extra row, read by every token outside
 * 0..choices[p]-1 (a choice never seen in training, or a bad token): a
 * prediction for an unseen choice never fails. P = 1 is a single vocabulary
 * shared by all positions; P = the length of a fixed-length space (nb201: 6)
 * gives every position its own choices. exh_lstm_period_for_space picks P per
 * space (nb201 6; convchain and graph 5, one layer or one node a period;
 * dense: its length) and exh_lstm_config_from_archs reads the choices from data.
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
 * after tensor in enum exh_lstm_tensor order; exh_lstm_tensor_describe gives each
 * one's offset and shape. The gradient block and Adam's two moment blocks
 * have the same layout. Initialization (exh_lstm_init) follows PyTorch's
 * defaults: embedding N(0, 1); LSTM weights and bias U(-1/sqrt(H), 1/sqrt(H));
 * dense layers' weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 *
 * Regularization: one dropout rate, applied to the embedding outputs and to
 * h_T (inverted dropout: kept values are scaled by 1/(1-rate); off at
 * prediction), and L2 weight decay as torch.optim.Adam's weight_decay: the
 * gradient of every parameter gets weight_decay * parameter added before the
 * Adam moments.
 *
 * Targets are normalized: exh_lstm_train sets the model's mean and standard
 * deviation from the training targets; exh_lstm_forward/exh_lstm_train_batch take
 * normalized targets, losses are in normalized units (an MSE of 1 is the
 * spread of the training targets), and exh_lstm_predict answers in the
 * original units.
 *
 * Training (exh_lstm_train): Adam on mini-batches in an order reshuffled every
 * epoch; after each epoch the loss on the validation set (no dropout) is
 * measured, the best parameters are kept, and training stops after
 * `patience` epochs without a strictly lower validation loss; the model ends
 * with the best parameters. exh_lstm_grid_search trains one model per
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
 * (exh_lstm_clone gives each thread its own).
 *
 * File format (exh_lstm_save / exh_lstm_load), all little-endian:
 *   "EXHLSTM\0"  magic (8 bytes)
 *   u32          version (2; version 1 files, without the four fields and
 *                the vocabulary below, still load as the default variant)
 *   u32 x 4      embedding_size, hidden_size, dense_size, period
 *   u32 x P      choices[0..P-1]
 *   u32 x 4      variant, layer_width, wide_size, vocabulary size V      (version 2)
 *   i32 x V*W    the vocabulary, layer after layer                       (version 2)
 *   f64 x 2      target mean, target standard deviation
 *   u64          parameter count (must equal what the sizes imply)
 *   f32 x count  the parameter block
 *   u32          CRC-32C of every byte before it
 * exh_lstm_load checks every field, the size of the file and the checksum, and
 * names the file and the byte offset of the first bad field.
 *
 * Typical use:
 *     exh_lstm_config c;  exh_lstm_config_default(&c);
 *     exh_lstm_config_from_archs(&c, exh_lstm_period_for_space(s, &archs[0]), archs, n, &err);
 *     exh_lstm_model *m;  exh_lstm_new(&c, &m, &err);  exh_lstm_init(m, r);
 *     exh_lstm_train_options o;  exh_lstm_train_options_default(&o);
 *     exh_lstm_train_report report;
 *     exh_lstm_train(m, &train, &validation, &o, r, &report, &err);
 *     exh_lstm_predict(m, queries, count, predictions, &err);
 *     exh_lstm_save(m, "model.lstm", &err);
 *     exh_lstm_train_report_clear(&report);  exh_lstm_free(m);
 * The paper's variant: exh_lstm_config_paper(&c, exh_lstm_layer_width_for_space(s)) after
 * exh_lstm_config_default, the rest the same (exh_lstm_train sets the vocabulary).
 */
#ifndef EXHAUST_LSTM_H
#define EXHAUST_LSTM_H

#include "exhaust/export.h"

#include <stddef.h>

#include "exhaust/error.h"
#include "exhaust/progress.h"
#include "exhaust/rng.h"
#include "exhaust/space.h"

#define EXH_LSTM_DEFAULT_EMBEDDING 40
#define EXH_LSTM_DEFAULT_HIDDEN 100
#define EXH_LSTM_DEFAULT_DENSE 10
#define EXH_LSTM_MAX_PERIOD EXH_ARCH_MAX_TOKENS
#define EXH_LSTM_MAX_LAYER_SIZE 4096       /* largest embedding, hidden or dense size */
#define EXH_LSTM_MAX_CHOICES (1 << 20)     /* largest choices[p] */
#define EXH_LSTM_MAX_PARAMETERS (1 << 28)  /* refuse larger models (1 GiB of floats) */
#define EXH_LSTM_FILE_VERSION 2
#define EXH_LSTM_PAPER_WIDE 100            /* the paper variant's first dense layer, F */
#define EXH_LSTM_MAX_LAYER_WIDTH 16        /* largest tokens a layer (W) */

enum exh_lstm_variant {
    EXH_LSTM_VARIANT_DEFAULT = 0,  /* a token a step, H -> D -> 1, linear output */
    EXH_LSTM_VARIANT_PAPER = 1,    /* a layer a step, H -> F -> D -> 1, ReLU after each */
};

typedef struct exh_lstm_config {
    int embedding_size;                /* E */
    int hidden_size;                   /* H */
    int dense_size;                    /* D */
    int period;                        /* P: see "Embedding rows" above */
    int choices[EXH_LSTM_MAX_PERIOD];      /* choices[p] for p < period */
    int variant;                       /* enum exh_lstm_variant */
    int layer_width;                   /* W, paper variant (0 in the default one) */
    int wide_size;                     /* F, paper variant (0 in the default one) */
} exh_lstm_config;

/* E = 40, H = 100, D = 10, period 1 with 1 choice (set the layout next). */
EXH_API void exh_lstm_config_default(exh_lstm_config *config);
/* Make config the paper variant with W = layer_width tokens a layer and
 * F = EXH_LSTM_PAPER_WIDE (call before exh_lstm_config_from_archs). */
EXH_API void exh_lstm_config_paper(exh_lstm_config *config, int layer_width);
/* "default" or "paper" -> enum exh_lstm_variant; anything else is
 * EXH_ERR_INVALID naming it. exh_lstm_variant_name is the inverse. */
EXH_API int exh_lstm_variant_parse(const char *name, int *variant, exh_error *err);
EXH_API const char *exh_lstm_variant_name(int variant);
/* Tokens a layer for the paper variant: nb201 1 (an edge), convchain and
 * graph 5 (a layer, a node), dense 1 (a variable node). */
EXH_API int exh_lstm_layer_width_for_space(const exh_space *s);
/* Set period and choices[p] = 1 + the largest token at positions i with
 * i mod period = p over the architectures (1 where none occurs). Negative
 * tokens are EXH_ERR_INVALID, naming the architecture and position. The
 * paper variant ignores `period`: period 1, choices[0] = the number of
 * distinct layers in the architectures (its vocabulary's size). */
EXH_API int exh_lstm_config_from_archs(exh_lstm_config *config, int period, const exh_arch *archs,
                                       int count, exh_error *err);
/* The period for a space (see above); `example` gives the length of a dense
 * space's architectures (may be NULL otherwise). */
EXH_API int exh_lstm_period_for_space(const exh_space *s, const exh_arch *example);
/* Check sizes and layout against the limits above. */
EXH_API int exh_lstm_config_check(const exh_lstm_config *config, exh_error *err);

enum exh_lstm_tensor {
    EXH_LSTM_EMBEDDING = 0,      /* rows x E, rows = sum of (choices[p] + 1) */
    EXH_LSTM_INPUT_WEIGHTS,      /* 4H x E   (weight_ih_l0) */
    EXH_LSTM_RECURRENT_WEIGHTS,  /* 4H x H   (weight_hh_l0) */
    EXH_LSTM_GATE_BIAS,          /* 4H       (bias_ih_l0 + bias_hh_l0) */
    EXH_LSTM_DENSE_WEIGHTS,      /* D x H (D x F in the paper variant) */
    EXH_LSTM_DENSE_BIAS,         /* D */
    EXH_LSTM_OUTPUT_WEIGHTS,     /* 1 x D */
    EXH_LSTM_OUTPUT_BIAS,        /* 1 */
    EXH_LSTM_WIDE_WEIGHTS,       /* F x H (paper variant; 0 x H otherwise) */
    EXH_LSTM_WIDE_BIAS,          /* F */
    EXH_LSTM_TENSOR_COUNT
};

typedef struct exh_lstm_tensor_info {
    const char *name;        /* "embedding", "input_weights", ... */
    size_t offset;           /* in floats, from the start of the block */
    int rows, columns;       /* a vector has columns 1 */
} exh_lstm_tensor_info;

typedef struct exh_lstm_model exh_lstm_model;

/* A model with the config's shape, parameters zero (call exh_lstm_init or load
 * weights into exh_lstm_parameters), target mean 0 and deviation 1. */
EXH_API int exh_lstm_new(const exh_lstm_config *config, exh_lstm_model **out, exh_error *err);
EXH_API void exh_lstm_free(exh_lstm_model *model);
/* A copy with the same config, parameters and target scale (not Adam state). */
EXH_API int exh_lstm_clone(const exh_lstm_model *model, exh_lstm_model **out, exh_error *err);
/* PyTorch's default initialization, drawn from r; resets Adam. */
EXH_API void exh_lstm_init(exh_lstm_model *model, exh_rng *r);

EXH_API const exh_lstm_config *exh_lstm_model_config(const exh_lstm_model *model);
EXH_API size_t exh_lstm_parameter_count(const exh_lstm_model *model);
/* The parameter block and the gradient block (filled by exh_lstm_backward). */
EXH_API float *exh_lstm_parameters(exh_lstm_model *model);
EXH_API const float *exh_lstm_gradients(const exh_lstm_model *model);
EXH_API void exh_lstm_tensor_describe(const exh_lstm_model *model, enum exh_lstm_tensor tensor,
                                      exh_lstm_tensor_info *out);
/* The embedding row a token at a position reads. */
EXH_API int exh_lstm_embedding_row(const exh_lstm_model *model, int position, int token);
/* Paper variant: make the vocabulary the distinct layers of the
 * architectures (see above). More distinct layers than choices[0] is
 * EXH_ERR_INVALID, as is calling it for the default variant. exh_lstm_train
 * calls it with the training set when the model has no vocabulary yet. */
EXH_API int exh_lstm_set_vocabulary(exh_lstm_model *model, const exh_arch *archs, int count,
                                    exh_error *err);
/* Layers in the vocabulary (0 for the default variant or before it is set). */
EXH_API int exh_lstm_vocabulary_size(const exh_lstm_model *model);
/* LSTM steps an architecture takes: its length, or ceil(length / W). */
EXH_API int exh_lstm_steps(const exh_lstm_model *model, const exh_arch *arch);
EXH_API void exh_lstm_target_scale(const exh_lstm_model *model, double *mean, double *deviation);
/* deviation must be finite and > 0, mean finite (EXH_ERR_INVALID otherwise). */
EXH_API int exh_lstm_set_target_scale(exh_lstm_model *model, double mean, double deviation,
                                      exh_error *err);

/* Forward one batch of `count` architectures (each of length 1..EXH_ARCH_MAX_TOKENS).
 * targets (normalized, may be NULL) gives *loss (may be NULL); dropout > 0
 * needs r and marks the pass as training. The outputs (normalized units, in
 * the batch's order) stay readable through exh_lstm_outputs until the next
 * forward. */
EXH_API int exh_lstm_forward(exh_lstm_model *model, const exh_arch *const *batch, int count,
                             const float *targets, float dropout, exh_rng *r, float *loss,
                             exh_error *err);
EXH_API const float *exh_lstm_outputs(const exh_lstm_model *model);
/* Gradients of the last forward's loss (which needed targets) with respect
 * to every parameter, written over the gradient block (no weight decay). */
EXH_API int exh_lstm_backward(exh_lstm_model *model, exh_error *err);

typedef struct exh_lstm_adam_options {
    float learning_rate;     /* 1e-3 */
    float beta1, beta2;      /* 0.9, 0.999 */
    float epsilon;           /* 1e-8 */
    float weight_decay;      /* L2 coefficient, 0 = none */
} exh_lstm_adam_options;

/* One Adam step (torch.optim.Adam's arithmetic) from the gradient block. */
EXH_API void exh_lstm_adam_update(exh_lstm_model *model, const exh_lstm_adam_options *options);
/* Forget Adam's moments and step count. */
EXH_API void exh_lstm_adam_reset(exh_lstm_model *model);

typedef struct exh_lstm_train_options {
    int max_epochs;          /* 200 */
    int batch_size;          /* 32 */
    int patience;            /* 10 epochs without a better validation loss */
    float dropout;           /* 0.1 */
    exh_lstm_adam_options adam;  /* learning rate 1e-3, weight decay 1e-5 */
    exh_progress progress;   /* after each epoch: "epochs" done of max_epochs (progress.h) */
} exh_lstm_train_options;

EXH_API void exh_lstm_train_options_default(exh_lstm_train_options *options);

/* forward + backward + one Adam step on one batch (normalized targets). */
EXH_API int exh_lstm_train_batch(exh_lstm_model *model, const exh_arch *const *batch, int count,
                                 const float *targets, const exh_lstm_train_options *options,
                                 exh_rng *r, float *loss, exh_error *err);

/* Architectures and their targets (original units). */
typedef struct exh_lstm_dataset {
    int count;
    const exh_arch *archs;
    const double *targets;
} exh_lstm_dataset;

typedef struct exh_lstm_train_report {
    int epochs;                  /* epochs run */
    int best_epoch;              /* 1-based; the model holds this epoch's parameters */
    double best_validation_loss; /* normalized MSE at best_epoch (NaN without validation) */
    double *train_loss;          /* per epoch, mean normalized MSE with dropout */
    double *validation_loss;     /* per epoch (NULL without validation) */
} exh_lstm_train_report;

/* Normalize the targets with the training set's mean and deviation, then
 * train from the model's current parameters as described above. validation
 * may be NULL or empty: no early stopping, all max_epochs run, the model
 * keeps the last epoch's parameters. out may be NULL; otherwise free it
 * with exh_lstm_train_report_clear. */
EXH_API int exh_lstm_train(exh_lstm_model *model, const exh_lstm_dataset *train,
                           const exh_lstm_dataset *validation,
                           const exh_lstm_train_options *options, exh_rng *r,
                           exh_lstm_train_report *out, exh_error *err);
EXH_API void exh_lstm_train_report_clear(exh_lstm_train_report *report);

/* Predictions in original units, no dropout. */
EXH_API int exh_lstm_predict(exh_lstm_model *model, const exh_arch *archs, int count, double *out,
                             exh_error *err);
/* Mean squared error on a dataset in normalized units (no dropout). */
EXH_API int exh_lstm_evaluate(exh_lstm_model *model, const exh_lstm_dataset *data, double *loss,
                              exh_error *err);

#define EXH_LSTM_GRID_MAX 8

typedef struct exh_lstm_grid {
    int dropout_count, weight_decay_count, learning_rate_count;
    float dropout[EXH_LSTM_GRID_MAX];
    float weight_decay[EXH_LSTM_GRID_MAX];
    float learning_rate[EXH_LSTM_GRID_MAX];
} exh_lstm_grid;

/* dropout {0, 0.1, 0.3}, weight decay {0, 1e-5, 1e-4}, learning rate {1e-3, 3e-3}. */
EXH_API void exh_lstm_grid_default(exh_lstm_grid *grid);
/* A grid of one point: train once with these, stopped early on validation. */
EXH_API void exh_lstm_grid_single(exh_lstm_grid *grid, float dropout, float weight_decay,
                                  float learning_rate);

typedef struct exh_lstm_grid_point {
    float dropout, weight_decay, learning_rate;
    double validation_loss;      /* best, normalized MSE */
    int epochs, best_epoch;
} exh_lstm_grid_point;

typedef struct exh_lstm_grid_result {
    int count;                   /* combinations tried, dropout-major order */
    int best;                    /* index of the lowest validation loss (first on ties) */
    exh_lstm_grid_point points[EXH_LSTM_GRID_MAX * EXH_LSTM_GRID_MAX * EXH_LSTM_GRID_MAX];
} exh_lstm_grid_result;

/* Train a fresh model (config, exh_lstm_init) per combination on train, judged
 * on validation (required, non-empty); the other options come from `base`.
 * One seed is drawn from r and every combination starts from it (the same
 * initial weights and first shuffle: common random numbers, so the
 * comparison reflects the hyperparameters). *best receives the winning
 * model (free it with exh_lstm_free); result may be NULL. */
EXH_API int exh_lstm_grid_search(const exh_lstm_config *config, const exh_lstm_dataset *train,
                                 const exh_lstm_dataset *validation, const exh_lstm_grid *grid,
                                 const exh_lstm_train_options *base, exh_rng *r,
                                 exh_lstm_model **best, exh_lstm_grid_result *result,
                                 exh_error *err);

/* Save / load the model (config, target scale, parameters) as described
 * above. exh_lstm_load returns a new model; errors name the file. */
EXH_API int exh_lstm_save(const exh_lstm_model *model, const char *path, exh_error *err);
EXH_API int exh_lstm_load(const char *path, exh_lstm_model **out, exh_error *err);

#endif
