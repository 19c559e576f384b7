/* space_convchain.c — the chain of conv layers (see space_convchain.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/space_convchain.h"
#include "space/space_internal.h"

static const int FILTERS[] = {24, 36, 48, 64};
static const int KERNELS[] = {3, 5, 7};

enum { FILTER_POSITION, HEIGHT_POSITION, WIDTH_POSITION, STRIDE_POSITION, SKIP_POSITION };

static int layer_count(const exh_arch *a)
{
    return a->length / EXH_CONVCHAIN_POSITIONS_PER_LAYER;
}

static int is_stride_layer(int layer_index, int layers)
{
    return layer_index == layers / 3 || layer_index == 2 * layers / 3;
}

static int choose(int n, int k)
{
    if (k < 0 || k > n)
        return 0;
    int result = 1;
    for (int i = 1; i <= k; i++)
        result = result * (n - k + i) / i;
    return result;
}

/* Layers 0..layer_index-2 may be skip sources of layer layer_index. */
static int skip_sources(int layer_index)
{
    return layer_index > 1 ? layer_index - 1 : 0;
}

static int skip_arity(int layer_index)
{
    int m = skip_sources(layer_index), total = 0;
    for (int k = 0; k <= EXH_CONVCHAIN_MAX_SKIPS; k++)
        total += choose(m, k);
    return total;
}

/* Walk the subsets of {0..m-1} of size 0..3 in token order; stop at `index`
 * (writing it to sources) or at the subset equal to `target` (returning its
 * index). One walk serves both directions. */
static int walk_subsets(int m, int index, int *sources, int *count, const int *target,
                        int target_count)
{
    int position = 0;
    for (int k = 0; k <= EXH_CONVCHAIN_MAX_SKIPS && k <= m; k++) {
        int pick[EXH_CONVCHAIN_MAX_SKIPS];
        for (int i = 0; i < k; i++)
            pick[i] = i;
        for (;;) {
            int matches = target && target_count == k;
            for (int i = 0; matches && i < k; i++)
                matches = pick[i] == target[i];
            if (matches || position == index) {
                for (int i = 0; sources && i < k; i++)
                    sources[i] = pick[i];
                if (count)
                    *count = k;
                return position;
            }
            position++;
            int i = k - 1; /* next combination in lexicographic order */
            while (i >= 0 && pick[i] == m - k + i)
                i--;
            if (i < 0)
                break;
            pick[i]++;
            for (int j = i + 1; j < k; j++)
                pick[j] = pick[j - 1] + 1;
        }
    }
    return -1;
}

static int convchain_arity(const void *data, const exh_arch *a, int position)
{
    (void)data;
    int layers = layer_count(a), layer_index = position / EXH_CONVCHAIN_POSITIONS_PER_LAYER;
    switch (position % EXH_CONVCHAIN_POSITIONS_PER_LAYER) {
    case FILTER_POSITION: return 4;
    case HEIGHT_POSITION:
    case WIDTH_POSITION: return 3;
    case STRIDE_POSITION: return is_stride_layer(layer_index, layers) ? 2 : 1;
    default: return skip_arity(layer_index);
    }
}

static int convchain_validate(const void *data, const exh_arch *a, exh_error *err)
{
    int layers = layer_count(a);
    if (a->length % EXH_CONVCHAIN_POSITIONS_PER_LAYER != 0 || layers < EXH_CONVCHAIN_MIN_LAYERS ||
        layers > EXH_CONVCHAIN_MAX_LAYERS)
        return exh_error_set(err, EXH_ERR_INVALID,
                             "convchain: %d positions is not 5 x 8..18 layers", a->length);
    for (int i = 0; i < a->length; i++) {
        int n = convchain_arity(data, a, i);
        if (a->token[i] < 0 || a->token[i] >= n)
            return exh_error_set(err, EXH_ERR_INVALID,
                                 "convchain: layer %d, position %d holds %d, not 0..%d",
                                 i / EXH_CONVCHAIN_POSITIONS_PER_LAYER, i, a->token[i], n - 1);
    }
    return EXH_OK;
}

static int index_of(const int *values, int count, long value)
{
    for (int i = 0; i < count; i++)
        if (values[i] == value)
            return i;
    return -1;
}

/* Read `letter` and the decimal number after it; strtol saturates, so a
 * huge number stays huge and fails the caller's range check. */
static int read_number(const char **p, char letter, long *out)
{
    if (**p != letter || !isdigit((unsigned char)(*p)[1]))
        return -1;
    char *end;
    *out = strtol(*p + 1, &end, 10);
    *p = end;
    return 0;
}

static int compare_ints(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

/* Read the "+source" suffixes of layer `layer_index` (any order, sorted here). */
static int parse_skips(const char **p, int layer_index, int *sources, int *count, exh_error *err)
{
    *count = 0;
    while (**p == '+') {
        long source;
        if (read_number(p, '+', &source) < 0)
            return exh_error_set(err, EXH_ERR_PARSE, "convchain: layer %d: '+' must be followed by "
                                 "a layer number", layer_index);
        if (*count == EXH_CONVCHAIN_MAX_SKIPS)
            return exh_error_set(err, EXH_ERR_PARSE, "convchain: layer %d: more than %d skips",
                                 layer_index, EXH_CONVCHAIN_MAX_SKIPS);
        if (layer_index < 2)
            return exh_error_set(err, EXH_ERR_PARSE, "convchain: layer %d can have no skips (sources "
                                 "are the layers before its direct input)", layer_index);
        if (source > layer_index - 2)
            return exh_error_set(err, EXH_ERR_PARSE,
                                 "convchain: layer %d: skip source %ld is not among layers 0..%d "
                                 "(layer %d is the direct input)",
                                 layer_index, source, layer_index - 2, layer_index - 1);
        for (int i = 0; i < *count; i++)
            if (sources[i] == source)
                return exh_error_set(err, EXH_ERR_PARSE, "convchain: layer %d: skip from layer %ld "
                                     "given twice", layer_index, source);
        sources[(*count)++] = (int)source;
    }
    qsort(sources, (size_t)*count, sizeof *sources, compare_ints);
    return EXH_OK;
}

/* Parse one layer token at *p into the positions of layer `layer_index`. */
static int parse_layer(const char **p, int layer_index, int layers, exh_arch *out, exh_error *err)
{
    long filters, height, width, stride;
    if (read_number(p, 'f', &filters) < 0 || read_number(p, 'k', &height) < 0 ||
        read_number(p, 'x', &width) < 0 || read_number(p, 's', &stride) < 0)
        return exh_error_set(err, EXH_ERR_PARSE,
                             "convchain: layer %d: expected f<filters>k<h>x<w>s<stride>, e.g. "
                             "f48k3x5s1",
                             layer_index);
    int32_t *t = &out->token[layer_index * EXH_CONVCHAIN_POSITIONS_PER_LAYER];
    t[FILTER_POSITION] = index_of(FILTERS, 4, filters);
    t[HEIGHT_POSITION] = index_of(KERNELS, 3, height);
    t[WIDTH_POSITION] = index_of(KERNELS, 3, width);
    if (t[FILTER_POSITION] < 0)
        return exh_error_set(err, EXH_ERR_PARSE,
                             "convchain: layer %d: filters %ld not in {24,36,48,64}", layer_index,
                             filters);
    if (t[HEIGHT_POSITION] < 0 || t[WIDTH_POSITION] < 0)
        return exh_error_set(err, EXH_ERR_PARSE,
                             "convchain: layer %d: kernel %ldx%ld: sizes are 3, 5 or 7", layer_index,
                             height, width);
    if (stride != 1 && !(stride == 2 && is_stride_layer(layer_index, layers)))
        return exh_error_set(err, EXH_ERR_PARSE,
                             "convchain: layer %d: stride %ld (only layers %d and %d of %d may have "
                             "stride 2, the others stride 1)",
                             layer_index, stride, layers / 3, 2 * layers / 3, layers);
    t[STRIDE_POSITION] = (int32_t)stride - 1;
    int sources[EXH_CONVCHAIN_MAX_SKIPS], count;
    int rc = parse_skips(p, layer_index, sources, &count, err);
    if (rc < 0)
        return rc;
    t[SKIP_POSITION] = walk_subsets(skip_sources(layer_index), -1, NULL, NULL, sources, count);
    return EXH_OK;
}

static int is_separator(char c)
{
    return c == '-' || c == ',' || isspace((unsigned char)c);
}

static int convchain_parse(const void *data, const char *text, exh_arch *out, exh_error *err)
{
    (void)data;
    int layers = 0;
    for (const char *p = text; *p; p++) /* count layer tokens first: strides need L */
        if (*p == 'f' && (p == text || is_separator(p[-1])))
            layers++;
    if (layers < EXH_CONVCHAIN_MIN_LAYERS || layers > EXH_CONVCHAIN_MAX_LAYERS)
        return exh_error_set(err, EXH_ERR_PARSE, "convchain: %d layers; a chain has 8 to 18", layers);
    exh_arch a = {.length = layers * EXH_CONVCHAIN_POSITIONS_PER_LAYER};
    const char *p = text;
    for (int layer_index = 0; layer_index < layers; layer_index++) {
        while (is_separator(*p))
            p++;
        int rc = parse_layer(&p, layer_index, layers, &a, err);
        if (rc < 0)
            return rc;
        if (*p && !is_separator(*p))
            return exh_error_set(err, EXH_ERR_PARSE,
                                 "convchain: layer %d: unexpected character 0x%02x at offset %td",
                                 layer_index, (unsigned char)*p, p - text);
    }
    while (is_separator(*p))
        p++;
    if (*p)
        return exh_error_set(err, EXH_ERR_PARSE, "convchain: unexpected text after layer %d at "
                             "offset %td", layers - 1, p - text);
    *out = a;
    return EXH_OK;
}

static int convchain_format(const void *data, const exh_arch *a, char *buf, size_t size)
{
    if (convchain_validate(data, a, NULL) < 0)
        return EXH_ERR_INVALID;
    size_t used = 0;
    for (int layer_index = 0; layer_index < layer_count(a); layer_index++) {
        const int32_t *t = &a->token[layer_index * EXH_CONVCHAIN_POSITIONS_PER_LAYER];
        int sources[EXH_CONVCHAIN_MAX_SKIPS], count = 0;
        walk_subsets(skip_sources(layer_index), t[SKIP_POSITION], sources, &count, NULL, -1);
        int n = snprintf(buf + used, size - used, "%sf%dk%dx%ds%d", layer_index ? "-" : "",
                         FILTERS[t[FILTER_POSITION]], KERNELS[t[HEIGHT_POSITION]],
                         KERNELS[t[WIDTH_POSITION]], t[STRIDE_POSITION] + 1);
        for (int i = 0; i < count && n >= 0 && (size_t)n < size - used; i++)
            n += snprintf(buf + used + n, size - used - (size_t)n, "+%d", sources[i]);
        if (n < 0 || (size_t)n >= size - used)
            return EXH_ERR_INVALID;
        used += (size_t)n;
    }
    return (int)used;
}

static int convchain_sample(const void *data, exh_rng *r, exh_arch *out, exh_error *err)
{
    (void)err;
    int layers = EXH_CONVCHAIN_MIN_LAYERS +
                 (int)exh_rng_below(r, EXH_CONVCHAIN_MAX_LAYERS - EXH_CONVCHAIN_MIN_LAYERS + 1);
    out->length = layers * EXH_CONVCHAIN_POSITIONS_PER_LAYER;
    for (int i = 0; i < out->length; i++)
        out->token[i] = (int32_t)exh_rng_below(r, (uint32_t)convchain_arity(data, out, i));
    return EXH_OK;
}

static int convchain_layers(const void *data, const exh_arch *a, exh_layer *out, int max)
{
    if (convchain_validate(data, a, NULL) < 0)
        return EXH_ERR_INVALID;
    int layers = layer_count(a);
    for (int i = 0; i < layers && i < max; i++) {
        const int32_t *t = &a->token[i * EXH_CONVCHAIN_POSITIONS_PER_LAYER];
        memset(&out[i], 0, sizeof out[i]);
        out[i].filters = FILTERS[t[FILTER_POSITION]];
        out[i].kernel_h = KERNELS[t[HEIGHT_POSITION]];
        out[i].kernel_w = KERNELS[t[WIDTH_POSITION]];
        out[i].stride = t[STRIDE_POSITION] + 1;
        for (int k = 0; k < EXH_LAYER_MAX_INPUTS; k++)
            out[i].inputs[k] = -1;
        walk_subsets(skip_sources(i), t[SKIP_POSITION], out[i].inputs, &out[i].input_count,
                     NULL, -1);
    }
    return layers;
}

static const char *convchain_op_name(const void *data, int op)
{
    (void)data;
    return op == 0 ? "conv" : "?";
}

const space_ops convchain_space_ops = {
    .kind = "convchain",
    .parse = convchain_parse,
    .format = convchain_format,
    .arity = convchain_arity,
    .validate = convchain_validate,
    .sample = convchain_sample,
    .layers = convchain_layers,
    .op_name = convchain_op_name,
};
