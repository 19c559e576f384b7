"""The conv-chain space in Python: parse, format and sample its text form.

Mirrors include/exhaust/space_convchain.h (the C parser is the reference; the
tests compare this module's output to what `exhaust ingest` stores):

  * 8 to 18 layers, one token per layer, separated by '-' (parse also takes
    blanks or ','): f<filters>k<height>x<width>s<stride> then +<source> per skip
  * filters 24, 36, 48, 64; kernel height and width 3, 5, 7
  * stride 2 allowed only at layers L//3 and 2L//3 (0-based), 1 elsewhere
  * 0 to 3 skip sources per layer, each from layers 0..i-2 (layer i-1 is the
    direct input), no repeats; format writes them in increasing order
"""

import re

MIN_LAYERS = 8
MAX_LAYERS = 18
FILTERS = (24, 36, 48, 64)
KERNELS = (3, 5, 7)
MAX_SKIPS = 3

_TOKEN = re.compile(r"f(\d+)k(\d+)x(\d+)s(\d+)((?:\+\d+)*)")


class ArchError(ValueError):
    """An architecture text the conv-chain space rejects."""


def stride_layers(depth):
    """The two layers (0-based) where stride 2 is allowed."""
    return (depth // 3, 2 * depth // 3)


def parse(text):
    """Parse the text form into a list of layer dicts
    {filters, kernel_h, kernel_w, stride, skips (sorted tuple)}. Raises ArchError."""
    if not isinstance(text, str):
        raise ArchError(f"architecture must be a string, got {type(text).__name__}")
    tokens = [t for t in re.split(r"[-,\s]+", text.strip()) if t]
    depth = len(tokens)
    if not MIN_LAYERS <= depth <= MAX_LAYERS:
        raise ArchError(f"{depth} layers; a conv chain has {MIN_LAYERS} to {MAX_LAYERS}")
    strided = stride_layers(depth)
    layers = []
    for i, token in enumerate(tokens):
        match = _TOKEN.fullmatch(token)
        if not match:
            raise ArchError(f"layer {i}: {token!r} is not f<filters>k<h>x<w>s<stride>[+<source>...]")
        filters, kh, kw, stride = (int(match.group(g)) for g in range(1, 5))
        if filters not in FILTERS:
            raise ArchError(f"layer {i}: filters {filters} not in {FILTERS}")
        for name, k in (("kernel height", kh), ("kernel width", kw)):
            if k not in KERNELS:
                raise ArchError(f"layer {i}: {name} {k} not in {KERNELS}")
        if stride not in (1, 2):
            raise ArchError(f"layer {i}: stride {stride} is neither 1 nor 2")
        if stride == 2 and i not in strided:
            raise ArchError(f"layer {i}: stride 2 is allowed only at layers {strided}")
        skips = [int(s) for s in match.group(5).split("+")[1:]]
        if len(skips) > MAX_SKIPS:
            raise ArchError(f"layer {i}: {len(skips)} skips; at most {MAX_SKIPS}")
        if len(set(skips)) != len(skips):
            raise ArchError(f"layer {i}: a skip source appears twice")
        for s in skips:
            if s > i - 2:
                raise ArchError(f"layer {i}: skip source {s} is not before the direct input "
                                f"(allowed: 0..{i - 2})")
        layers.append({"filters": filters, "kernel_h": kh, "kernel_w": kw, "stride": stride,
                       "skips": tuple(sorted(skips))})
    return layers


def format_arch(layers):
    """The canonical text form (skip sources in increasing order)."""
    return "-".join(
        f"f{l['filters']}k{l['kernel_h']}x{l['kernel_w']}s{l['stride']}"
        + "".join(f"+{s}" for s in sorted(l["skips"]))
        for l in layers)


def _skip_subsets(m):
    """The subsets of size 0..3 of range(m), in the header's token order: by size,
    then lexicographically (0 = none, 1..m = {0}..{m-1}, then {0,1}, {0,2}, ...)."""
    from itertools import combinations
    subsets = []
    for size in range(MAX_SKIPS + 1):
        subsets.extend(combinations(range(m), size))
    return subsets


def sample(rng):
    """A uniform sample as the space header defines it: depth L uniform in 8..18,
    then every position uniform over its choices (the skip position uniform over
    all subsets of size 0..3 of layers 0..i-2). `rng` is a numpy Generator."""
    depth = int(rng.integers(MIN_LAYERS, MAX_LAYERS + 1))
    strided = stride_layers(depth)
    layers = []
    for i in range(depth):
        filters = FILTERS[int(rng.integers(len(FILTERS)))]
        kh = KERNELS[int(rng.integers(len(KERNELS)))]
        kw = KERNELS[int(rng.integers(len(KERNELS)))]
        stride = (1, 2)[int(rng.integers(2))] if i in strided else 1
        subsets = _skip_subsets(max(i - 1, 0))
        skips = subsets[int(rng.integers(len(subsets)))]
        layers.append({"filters": filters, "kernel_h": kh, "kernel_w": kw, "stride": stride,
                       "skips": tuple(skips)})
    return layers
