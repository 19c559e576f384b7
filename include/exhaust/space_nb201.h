/*
 * space_nb201.h — the NAS-Bench-201 cell space.
 *
 * A cell is a DAG on 4 nodes; each of its 6 edges (j -> i, j < i) carries one
 * of 5 operations. Positions are the edges in the benchmark string's order:
 *   0: 1<-0   1: 2<-0   2: 2<-1   3: 3<-0   4: 3<-1   5: 3<-2
 * and a token is the operation's index in NB201's own list:
 *   0 none, 1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3, 4 avg_pool_3x3
 *
 * Text forms (exh_space_parse accepts both; exh_space_format writes the first):
 *   the benchmark string  |nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|none~2|
 *   six digits            302141   (also "3,0,2,1,4,1" via exh_space_parse_sequence)
 * Surrounding blanks are ignored; anything else is checked strictly: each
 * edge's "~k" must name its source node, nodes are separated by "|+|", and
 * the error names the edge (1..6) that is wrong. exh_space_format and
 * exh_space_layers refuse an invalid architecture (EXH_ERR_INVALID).
 *
 * Enumeration: 15,625 cells. Opened as "nb201", index = the base-5 number the
 * six digits spell (000000 is 0, 444444 is 15,624). Opened as "nb201:PATH"
 * with the benchmark's archs.csv (columns arch_index, arch_str), enumeration
 * and exh_space_index follow the benchmark's own index order, read from that file
 * (the order is arbitrary data, not derivable). Opening checks that file:
 * both columns present, every arch_index 0..15624 and every cell exactly once;
 * errors name the file and line.
 *
 * Layers (for the edit distance): one per edge, op = token, input_count = 2,
 * inputs[0] = source node j, inputs[1] = target node i.
 */
#ifndef EXHAUST_SPACE_NB201_H
#define EXHAUST_SPACE_NB201_H

#include "exhaust/export.h"

#include "exhaust/space.h"

#define EXH_NB201_EDGES 6
#define EXH_NB201_OPERATIONS 5
#define EXH_NB201_SIZE 15625

enum { EXH_NB201_NONE, EXH_NB201_SKIP, EXH_NB201_CONV1X1, EXH_NB201_CONV3X3, EXH_NB201_AVGPOOL };

/* "none", "skip_connect", ... for an operation index. */
EXH_API const char *exh_nb201_operation_name(int op);
/* Bytes of the float32 parameters trained at edge `position` of `a`, over
 * the network's 3 stages of 5 searched cells (C = 16, 32, 64 channels):
 * ReLU-Conv(k x k, no bias)-BN holds k*k*C*C weights and 2*C BN affine
 * parameters; none, skip_connect and avg_pool_3x3 hold none (0). -1 for a
 * position past the cell or a token that is no operation. */
EXH_API int64_t exh_nb201_tensor_bytes(const exh_arch *a, int position);
/* Number of edges that are not `none` (baseline 2's "size" of a cell). */
EXH_API int exh_nb201_operation_count(const exh_arch *a);
/* Whether some path from node 0 to node 3 avoids `none` edges; a cell
 * without one outputs zeros and trains to chance accuracy. */
EXH_API int exh_nb201_is_connected(const exh_arch *a);
/* The base-5 code of the six tokens (the plain "nb201" index). */
EXH_API int exh_nb201_code(const exh_arch *a);

#endif
