/*
 * space.h — architecture spaces: what an architecture is, and what one can do
 * with it.
 *
 * Every space represents an architecture the same way: a sequence of small
 * integers (`arch.token`), one per *position*. A position is one decision of
 * the space (an NB201 edge's operation, a DeepHyper variable node's choice, one
 * attribute of one convchain layer, ...). This flat form is what search mutates,
 * what a prefix trie indexes and what the LSTM reads; `exh_space_layers` gives the
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
 *     exh_space *s = NULL;
 *     if (exh_space_open("nb201", &s, &err) < 0) { puts(err.message); ... }
 *     exh_arch a;
 *     exh_space_parse(s, "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|...", &a, &err);
 *     char text[EXH_SPACE_TEXT_MAX];
 *     exh_space_format(s, &a, text, sizeof text);
 *     exh_space_free(s);
 */
#ifndef EXHAUST_SPACE_H
#define EXHAUST_SPACE_H

#include "exhaust/export.h"

#include <stddef.h>
#include <stdint.h>

#include "exhaust/error.h"
#include "exhaust/rng.h"

#define EXH_ARCH_MAX_TOKENS 256 /* the longest architecture any space produces */
#define EXH_SPACE_TEXT_MAX 4096 /* enough for the text form of any architecture */
#define EXH_LAYER_MAX_INPUTS 4

/* One architecture: `length` positions, each an index into that position's
 * choices (0 <= token[i] < exh_space_arity(s, a, i)). A plain value: copy freely. */
typedef struct exh_arch {
    int length;
    int32_t token[EXH_ARCH_MAX_TOKENS];
} exh_arch;

/* The attributes of one layer, as the edit distance sees it. Fields a space
 * does not use are 0 (or -1 where noted). `op` is a space-specific operation
 * id whose name `exh_space_op_name` gives. */
typedef struct exh_layer {
    int op;
    int filters, kernel_h, kernel_w, stride; /* convchain */
    int units, activation;                   /* dense: activation is an op-like id */
    int input_count;                         /* graph inputs / convchain skip sources */
    int inputs[EXH_LAYER_MAX_INPUTS];            /* positions of inputs, -1 when unused */
} exh_layer;

typedef struct exh_space exh_space;

/* Open a space by name ("nb201", "convchain", "graph", "dense:path/to/space.json").
 * On success *out owns the space; free it with exh_space_free. */
EXH_API int exh_space_open(const char *name, exh_space **out, exh_error *err);
EXH_API void exh_space_free(exh_space *s);

/* The name it was opened with, e.g. "nb201" or "dense:candle_attn.json". */
EXH_API const char *exh_space_name(const exh_space *s);
/* The kind alone: "nb201", "convchain", "dense" or "graph". */
EXH_API const char *exh_space_kind(const exh_space *s);

/* Text form <-> architecture. exh_space_parse accepts every form the space
 * documents (nb201: the benchmark string or 6 digits); exh_space_format writes the
 * canonical text form and returns its length, or a negative code when buf is
 * too small. */
EXH_API int exh_space_parse(const exh_space *s, const char *text, exh_arch *out, exh_error *err);
EXH_API int exh_space_format(const exh_space *s, const exh_arch *a, char *buf, size_t size);
/* The plain integer sequence "0,3,1,..." or "[0, 3, 1]" (DeepHyper's arch_seq)
 * <-> arch. exh_space_parse_sequence with s NULL checks nothing but the syntax. */
EXH_API int exh_space_parse_sequence(const exh_space *s, const char *text, exh_arch *out,
                                     exh_error *err);
EXH_API int exh_space_format_sequence(const exh_arch *a, char *buf, size_t size);

/* Check every position holds an allowed choice; the message names the first
 * bad position. */
EXH_API int exh_space_validate(const exh_space *s, const exh_arch *a, exh_error *err);

/* Number of choices at `position` given the positions before it (in
 * convchain and graph the choices of a position depend on its prefix). */
EXH_API int exh_space_arity(const exh_space *s, const exh_arch *a, int position);

/* Draw an architecture uniformly at random (per space: see its header). */
EXH_API int exh_space_sample(const exh_space *s, exh_rng *r, exh_arch *out, exh_error *err);

/* Copy `in` to `out` with exactly one position changed to a different value
 * (positions with a single choice are never picked). *position, if not NULL,
 * receives the position changed. `position_weights` (may be NULL = uniform)
 * gives a relative weight per position, for biased mutation. */
EXH_API int exh_space_mutate(const exh_space *s, exh_rng *r, const exh_arch *in, exh_arch *out,
                             int *position, const double *position_weights, exh_error *err);

/* Enumerable spaces: number of architectures (-1 when not enumerable), the
 * architecture at an index, and the index of an architecture (in the
 * benchmark's order for nb201). */
EXH_API int64_t exh_space_size(const exh_space *s);
EXH_API int exh_space_enumerate(const exh_space *s, int64_t index, exh_arch *out, exh_error *err);
EXH_API int64_t exh_space_index(const exh_space *s, const exh_arch *a);

/* The layer view for the edit distance: writes at most `max` layers and
 * returns how many the architecture has (or a negative code). */
EXH_API int exh_space_layers(const exh_space *s, const exh_arch *a, exh_layer *out, int max);
/* A human name for a layer op id ("nor_conv_3x3", "linear", "dense"). */
EXH_API const char *exh_space_op_name(const exh_space *s, int op);

/* What reports show of an architecture, so that they need not know the
 * space. exh_space_choice_name: the name of choice `token` at `position`
 * (nb201: "nor_conv_3x3"; "?" for a token that is no choice); NULL when the
 * space names no choices (show the number). */
EXH_API const char *exh_space_choice_name(const exh_space *s, int position, int token);
/* Whether the space knows the sizes of its trained tensors (nb201: the
 * float32 parameters of each operation, summed over its 15 cells). */
EXH_API int exh_space_has_tensor_bytes(const exh_space *s);
/* Bytes of the tensors trained at `position` of `a` (what a child receives
 * for it by transfer): 0 for a choice without parameters (none, pooling),
 * -1 for a position or token that is not the space's, or when the space
 * does not know its sizes. */
EXH_API int64_t exh_space_tensor_bytes(const exh_space *s, const exh_arch *a, int position);

/* Equality of two architectures (same length, same tokens). */
EXH_API int exh_arch_equal(const exh_arch *a, const exh_arch *b);
/* Number of leading positions two architectures share. */
EXH_API int exh_arch_common_prefix(const exh_arch *a, const exh_arch *b);

#endif
