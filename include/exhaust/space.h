/*
 * space.h — architecture spaces: what an architecture is, and what one can do
 * with it.
 *
 * Every space represents an architecture the same way: a sequence of small
 * integers (`arch.token`), one per *position*. A position is one decision of
 * the space (an NB201 edge's operation, a DeepHyper variable node's choice, one
 * attribute of one convchain layer, ...). This flat form is what search mutates,
 * what a prefix trie indexes and what the LSTM reads; `space_layers` gives the
 * richer per-layer view that the edit distance compares.
 *
 * Spaces:
 *   "nb201"          NAS-Bench-201 cell: 6 positions, 5 operations each.
 *   "convchain"      ResNet-like chain of 8..18 conv layers, 5 positions a layer.
 *   "dense:FILE"     DeepHyper-style variable-node space described by a JSON file.
 *   "graph"          any DAG of operations (NAS-Bench-NLP recipes), canonicalized.
 * Each space's own header (space_nb201.h, ...) documents its positions and text
 * form.
 *
 * Typical use:
 *     exh_error err;
 *     space *s = NULL;
 *     if (space_open("nb201", &s, &err) < 0) { puts(err.message); ... }
 *     arch a;
 *     space_parse(s, "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|...", &a, &err);
 *     char text[SPACE_TEXT_MAX];
 *     space_format(s, &a, text, sizeof text);
 *     space_free(s);
 */
#ifndef EXHAUST_SPACE_H
#define EXHAUST_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/rng.h"

#define ARCH_MAX_TOKENS 256 /* the longest architecture any space produces */
#define SPACE_TEXT_MAX 4096 /* enough for the text form of any architecture */
#define LAYER_MAX_INPUTS 4

/* One architecture: `length` positions, each an index into that position's
 * choices (0 <= token[i] < space_arity(s, a, i)). A plain value: copy freely. */
typedef struct arch {
    int length;
    int32_t token[ARCH_MAX_TOKENS];
} arch;

/* The attributes of one layer, as the edit distance sees it. Fields a space
 * does not use are 0 (or -1 where noted). `op` is a space-specific operation
 * id whose name `space_op_name` gives. */
typedef struct layer {
    int op;
    int filters, kernel_h, kernel_w, stride; /* convchain */
    int units, activation;                   /* dense: activation is an op-like id */
    int input_count;                         /* graph inputs / convchain skip sources */
    int inputs[LAYER_MAX_INPUTS];            /* positions of inputs, -1 when unused */
} layer;

typedef struct space space;

/* Open a space by name ("nb201", "convchain", "graph", "dense:path/to/space.json").
 * On success *out owns the space; free it with space_free. */
int space_open(const char *name, space **out, exh_error *err);
void space_free(space *s);

/* The name it was opened with, e.g. "nb201" or "dense:candle_attn.json". */
const char *space_name(const space *s);
/* The kind alone: "nb201", "convchain", "dense" or "graph". */
const char *space_kind(const space *s);

/* Text form <-> architecture. space_parse accepts every form the space
 * documents (nb201: the benchmark string or 6 digits); space_format writes the
 * canonical text form and returns its length, or a negative code when buf is
 * too small. */
int space_parse(const space *s, const char *text, arch *out, exh_error *err);
int space_format(const space *s, const arch *a, char *buf, size_t size);
/* The plain integer sequence "0,3,1,..." or "[0, 3, 1]" (DeepHyper's arch_seq)
 * <-> arch. space_parse_sequence with s NULL checks nothing but the syntax. */
int space_parse_sequence(const space *s, const char *text, arch *out, exh_error *err);
int space_format_sequence(const arch *a, char *buf, size_t size);

/* Check every position holds an allowed choice; the message names the first
 * bad position. */
int space_validate(const space *s, const arch *a, exh_error *err);

/* Number of choices at `position` given the positions before it (in
 * convchain and graph the choices of a position depend on its prefix). */
int space_arity(const space *s, const arch *a, int position);

/* Draw an architecture uniformly at random (per space: see its header). */
int space_sample(const space *s, rng *r, arch *out, exh_error *err);

/* Copy `in` to `out` with exactly one position changed to a different value
 * (positions with a single choice are never picked). *position, if not NULL,
 * receives the position changed. `position_weights` (may be NULL = uniform)
 * gives a relative weight per position, for biased mutation. */
int space_mutate(const space *s, rng *r, const arch *in, arch *out, int *position,
                 const double *position_weights, exh_error *err);

/* Enumerable spaces: number of architectures (-1 when not enumerable), the
 * architecture at an index, and the index of an architecture (in the
 * benchmark's order for nb201). */
int64_t space_size(const space *s);
int space_enumerate(const space *s, int64_t index, arch *out, exh_error *err);
int64_t space_index(const space *s, const arch *a);

/* The layer view for the edit distance: writes at most `max` layers and
 * returns how many the architecture has (or a negative code). */
int space_layers(const space *s, const arch *a, layer *out, int max);
/* A human name for a layer op id ("nor_conv_3x3", "linear", "dense"). */
const char *space_op_name(const space *s, int op);

/* Equality of two architectures (same length, same tokens). */
int arch_equal(const arch *a, const arch *b);
/* Number of leading positions two architectures share. */
int arch_common_prefix(const arch *a, const arch *b);

#endif
