/*
 * space_convchain.h — a ResNet-like chain of convolution layers.
 *
 * Each layer is conv + batch norm + ReLU; the chain ends in average pooling
 * and a dense layer (not part of the architecture). A chain has 8 to 18
 * layers, 5 positions each, so an architecture has 5L positions:
 *   5i+0  filters        4 choices: 24, 36, 48, 64
 *   5i+1  kernel height  3 choices: 3, 5, 7
 *   5i+2  kernel width   3 choices: 3, 5, 7
 *   5i+3  stride         2 choices (1, 2) at the two stride layers, i = L/3 and
 *                        i = 2L/3 (0-based, integer division); 1 choice (1) elsewhere
 *   5i+4  skips          which earlier layers layer i also merges: 0 to 3 of
 *                        layers 0..i-2 (layer i-1 is its direct input). The
 *                        token indexes the subsets of size 0..3 of those m = i-1
 *                        layers, by size, then lexicographically: 0 = none,
 *                        1..m = {0}..{m-1}, then {0,1}, {0,2}, ...
 *
 * Text form, one token per layer, layers separated by '-' (parse also takes
 * blanks or ','): f<filters>k<height>x<width>s<stride> then +<source> per
 * skip, e.g.  f24k3x3s1-f36k5x5s1-f48k3x3s1+0-f48k3x3s2+0+1-...
 * Values are the real ones (f48, k5x3, s2), not choice indices. Parse takes
 * the skip sources in any order; format writes them in increasing order, so
 * format(parse(text)) == text for text that format wrote. Parse errors name
 * the layer (0-based) and what is wrong: a filter or kernel value outside the
 * choices, stride 2 off the stride layers, a skip source that is not before
 * the direct input, a repeated skip, more than 3 skips, fewer than 8 or more
 * than 18 layers, stray characters (with their byte offset).
 *
 * Sampling ("uniform"): L uniform in 8..18, then every position uniform over
 * its choices. Mutation changes one position and never the depth. The space
 * is not enumerable (exh_space_size is -1).
 *
 * Layers (for the edit distance): op 0 ("conv"), filters, kernel_h, kernel_w,
 * stride as values, inputs = the skip sources in increasing order
 * (input_count 0..3, unused inputs -1); the direct input, layer i-1, is
 * implied. exh_space_layers and exh_space_format refuse an invalid architecture
 * (EXH_ERR_INVALID).
 */
#ifndef EXHAUST_SPACE_CONVCHAIN_H
#define EXHAUST_SPACE_CONVCHAIN_H

#define EXH_CONVCHAIN_MIN_LAYERS 8
#define EXH_CONVCHAIN_MAX_LAYERS 18
#define EXH_CONVCHAIN_POSITIONS_PER_LAYER 5
#define EXH_CONVCHAIN_MAX_SKIPS 3

#endif
