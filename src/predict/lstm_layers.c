/* lstm_layers.c — the paper variant's tokenisation (lstm.h): one LSTM step
 * a layer of W tokens, whose embedding row is the layer's index in a sorted
 * vocabulary of the distinct layers seen in training. */
#include <stdlib.h>
#include <string.h>

#include "exhaust/space_convchain.h"
#include "exhaust/space_graph.h"
#include "predict/lstm_internal.h"

static int paper(const exh_lstm_model *m) { return m->config.variant == EXH_LSTM_VARIANT_PAPER; }

int exh_lstm_variant_parse(const char *name, int *variant, exh_error *err)
{
    if (name && strcmp(name, "default") == 0)
        *variant = EXH_LSTM_VARIANT_DEFAULT;
    else if (name && strcmp(name, "paper") == 0)
        *variant = EXH_LSTM_VARIANT_PAPER;
    else
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: variant '%s' is not default or paper",
                             name ? name : "(null)");
    return EXH_OK;
}

const char *exh_lstm_variant_name(int variant)
{
    return variant == EXH_LSTM_VARIANT_PAPER ? "paper" : "default";
}

int exh_lstm_layer_width_for_space(const exh_space *s)
{
    const char *kind = exh_space_kind(s);
    if (strcmp(kind, "convchain") == 0)
        return EXH_CONVCHAIN_POSITIONS_PER_LAYER;
    if (strcmp(kind, "graph") == 0)
        return EXH_GRAPH_TOKENS_PER_NODE;
    return 1;
}

int exh_lstm_steps(const exh_lstm_model *model, const exh_arch *arch)
{
    if (!paper(model))
        return arch->length;
    int W = model->config.layer_width;
    return (arch->length + W - 1) / W;
}

/* Layer `step` of an architecture, W tokens, the missing tail as -1 (no
 * token is negative, so a cut layer never equals a whole one). */
static void layer_at(int width, const exh_arch *arch, int step, int32_t *out)
{
    for (int j = 0; j < width; j++) {
        int i = step * width + j;
        out[j] = i < arch->length ? arch->token[i] : -1;
    }
}

static int compare_layers(const int32_t *a, const int32_t *b, int width)
{
    for (int j = 0; j < width; j++)
        if (a[j] != b[j])
            return a[j] < b[j] ? -1 : 1;
    return 0;
}

/* A layer padded to the widest W, for a comparator without a context:
 * the padding is equal in every layer of one width. */
typedef struct padded_layer {
    int32_t token[EXH_LSTM_MAX_LAYER_WIDTH];
} padded_layer;

static int compare_padded(const void *a, const void *b)
{
    return compare_layers(((const padded_layer *)a)->token, ((const padded_layer *)b)->token,
                          EXH_LSTM_MAX_LAYER_WIDTH);
}

int lstm_distinct_layers(int width, const exh_arch *archs, int count, int32_t **out, int *distinct,
                         exh_error *err)
{
    *out = NULL;
    *distinct = 0;
    size_t total = 0;
    for (int a = 0; a < count; a++) {
        if (archs[a].length < 1 || archs[a].length > EXH_ARCH_MAX_TOKENS)
            return exh_error_set(err, EXH_ERR_INVALID, "lstm: architecture %d has length %d", a,
                                 archs[a].length);
        total += (size_t)(archs[a].length + width - 1) / (size_t)width;
    }
    if (total == 0)
        return EXH_OK;
    padded_layer *all = calloc(total, sizeof *all);
    int32_t *layers = malloc(total * (size_t)width * sizeof *layers);
    if (!all || !layers) {
        free(all);
        free(layers);
        return exh_error_set(err, EXH_ERR_NOMEM, "lstm: out of memory for %zu layers", total);
    }
    size_t n = 0;
    for (int a = 0; a < count; a++)
        for (int s = 0; s * width < archs[a].length; s++)
            layer_at(width, &archs[a], s, all[n++].token);
    qsort(all, n, sizeof *all, compare_padded);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (unique == 0 || compare_padded(&all[i], &all[i - 1]) != 0)
            memcpy(layers + unique++ * (size_t)width, all[i].token, (size_t)width * sizeof *layers);
    free(all);
    *out = layers;
    *distinct = (int)unique;
    return EXH_OK;
}

int lstm_vocabulary_copy(exh_lstm_model *m, const int32_t *layers, int n, exh_error *err)
{
    size_t size = (size_t)n * (size_t)m->config.layer_width * sizeof *layers;
    int32_t *copy = n > 0 ? malloc(size) : NULL;
    if (n > 0 && !copy)
        return exh_error_set(err, EXH_ERR_NOMEM, "lstm: out of memory for %d layers", n);
    if (n > 0)
        memcpy(copy, layers, size);
    free(m->vocabulary);
    m->vocabulary = copy;
    m->vocabulary_size = n;
    return EXH_OK;
}

int exh_lstm_set_vocabulary(exh_lstm_model *model, const exh_arch *archs, int count, exh_error *err)
{
    if (!paper(model))
        return exh_error_set(err, EXH_ERR_INVALID,
                             "lstm: only the paper variant has a vocabulary of layers");
    if (count < 0 || (count > 0 && !archs))
        return exh_error_set(err, EXH_ERR_INVALID, "lstm: no architectures to read layers from");
    int32_t *layers;
    int distinct, rc = lstm_distinct_layers(model->config.layer_width, archs, count, &layers,
                                            &distinct, err);
    if (rc == 0 && distinct > model->config.choices[0])
        rc = exh_error_set(err, EXH_ERR_INVALID,
                           "lstm: %d distinct layers, but the model has rows for %d (choices[0])",
                           distinct, model->config.choices[0]);
    if (rc == 0)
        rc = lstm_vocabulary_copy(model, layers, distinct, err);
    free(layers);
    return rc;
}

int exh_lstm_vocabulary_size(const exh_lstm_model *model) { return model->vocabulary_size; }

/* Binary search; -1 (the extra row) for a layer never seen in training. */
static int vocabulary_index(const exh_lstm_model *m, const int32_t *layer)
{
    int low = 0, high = m->vocabulary_size, W = m->config.layer_width;
    while (low < high) {
        int mid = (low + high) / 2;
        int c = compare_layers(m->vocabulary + (size_t)mid * (size_t)W, layer, W);
        if (c == 0)
            return mid;
        if (c < 0)
            low = mid + 1;
        else
            high = mid;
    }
    return -1;
}

int lstm_step_row(const exh_lstm_model *m, const exh_arch *arch, int step)
{
    if (!paper(m))
        return exh_lstm_embedding_row(m, step, arch->token[step]);
    int32_t layer[EXH_LSTM_MAX_LAYER_WIDTH];
    layer_at(m->config.layer_width, arch, step, layer);
    return exh_lstm_embedding_row(m, 0, vocabulary_index(m, layer));
}
