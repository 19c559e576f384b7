#!/usr/bin/env python3
"""PyTorch reference for exhaust's LSTM regressor (src/predict/lstm_*.c).

Builds the same network as include/exhaust/lstm.h with PyTorch modules
(nn.Embedding, nn.LSTM over a packed batch of different lengths, nn.Linear,
ReLU, nn.Linear, MSE loss, mean over the batch), in float64, with PyTorch's
default initialization from a fixed seed and dropout off, runs one forward
and backward pass, and writes the inputs, the weights, the outputs, the
loss and the gradient of every parameter tensor to a text file that
tests/test_lstm.c reads (test_lstm FILE).

The embedding rows are computed here independently from the header's rule:
position i with token k reads offset[i mod P] + k, offset[p] = sum over
q < p of (choices[q] + 1), and a token outside 0..choices[p]-1 reads the
position's extra last row.

--variant paper builds the prediction paper's variant instead (lstm.h): a
layer of W tokens (--layer-width) is one step, its row its index in the
sorted vocabulary of the distinct layers of the first VOCABULARY_FROM
sequences (a cut last layer padded with -1; a layer outside it reads the
extra row V), and the head is Linear(H, 100), ReLU, Linear(100, 10), ReLU,
Linear(10, 1), ReLU. The output bias is set so that about half the outputs
are positive: both sides of the last ReLU are checked.

File format (whitespace-separated; every block is a keyword line, then its
numbers):
    exhaust-lstm-reference 1        (2 for the paper variant)
    config E H D P choices[0] .. choices[P-1]
    variant paper W F VOCABULARY_FROM                  (version 2 only)
    batch B
    lengths l_1 .. l_B
    tokens  (sum of lengths integers, sequence by sequence)
    targets (B numbers)
    tensor NAME COUNT  then COUNT numbers      (the weights, lstm.h order)
    outputs B  then B numbers
    loss 1  then 1 number
    gradient NAME COUNT  then COUNT numbers    (d loss / d tensor)

usage: lstm_reference.py OUTPUT [--seed S] [--variant default|paper] [--layer-width W]
"""
import argparse
import sys

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

EMBEDDING, HIDDEN, DENSE = 40, 100, 10
CHOICES = [4, 2, 7]   # period 3, different choice counts per position
LENGTHS = [5, 1, 12, 5, 7, 3, 12, 2, 9]  # ties and a length-1 sequence included
WIDE = 100            # the paper variant's first dense layer
VOCABULARY_FROM = 6   # the paper vocabulary: layers of the first 6 sequences


class Regressor(nn.Module):
    def __init__(self, rows, paper):
        super().__init__()
        self.paper = paper
        self.embedding = nn.Embedding(rows, EMBEDDING)
        self.lstm = nn.LSTM(EMBEDDING, HIDDEN, batch_first=True)
        if paper:
            self.wide = nn.Linear(HIDDEN, WIDE)
        self.dense = nn.Linear(WIDE if paper else HIDDEN, DENSE)
        self.output = nn.Linear(DENSE, 1)

    def last_dense(self, rows, lengths):
        packed = pack_padded_sequence(self.embedding(rows), torch.tensor(lengths),
                                      batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)  # h_n in the batch's own order
        h = h_n[0]
        if self.paper:
            h = torch.relu(self.wide(h))
        return torch.relu(self.dense(h))

    def forward(self, rows, lengths):
        y = self.output(self.last_dense(rows, lengths)).squeeze(1)
        return torch.relu(y) if self.paper else y


def embedding_row(position, token):
    period = len(CHOICES)
    p = position % period
    offset = sum(c + 1 for c in CHOICES[:p])
    return offset + (token if 0 <= token < CHOICES[p] else CHOICES[p])


def layers_of(sequence, width):
    """A sequence's layers of `width` tokens, the last padded with -1."""
    return [tuple(sequence[i + j] if i + j < len(sequence) else -1 for j in range(width))
            for i in range(0, len(sequence), width)]


def paper_rows(tokens, width):
    """Vocabulary rows per layer; the vocabulary from the first sequences."""
    vocabulary = sorted({layer for s in tokens[:VOCABULARY_FROM] for layer in layers_of(s, width)})
    index = {layer: i for i, layer in enumerate(vocabulary)}
    steps = [len(layers_of(s, width)) for s in tokens]
    padded = torch.zeros(len(tokens), max(steps), dtype=torch.long)
    for b, sequence in enumerate(tokens):
        for i, layer in enumerate(layers_of(sequence, width)):
            padded[b, i] = index.get(layer, len(vocabulary))
    return len(vocabulary), steps, padded


def make_batch(generator):
    tokens = []
    for length in LENGTHS:
        sequence = []
        for i in range(length):
            upper = CHOICES[i % len(CHOICES)] + 2  # sometimes an unseen choice
            sequence.append(int(torch.randint(0, upper, (1,), generator=generator)))
        tokens.append(sequence)
    padded = torch.zeros(len(LENGTHS), max(LENGTHS), dtype=torch.long)
    for b, sequence in enumerate(tokens):
        for i, token in enumerate(sequence):
            padded[b, i] = embedding_row(i, token)
    targets = torch.randn(len(LENGTHS), generator=generator, dtype=torch.float64)
    return tokens, padded, targets


def exhaust_tensors(model):
    """The model's tensors in lstm.h order and layout (one gate bias)."""
    lstm = model.lstm
    wide = [("wide_weights", model.wide.weight), ("wide_bias", model.wide.bias)] \
        if model.paper else []
    return [
        ("embedding", model.embedding.weight),
        ("input_weights", lstm.weight_ih_l0),
        ("recurrent_weights", lstm.weight_hh_l0),
        ("gate_bias", None),  # bias_ih_l0 + bias_hh_l0, written specially
        ("dense_weights", model.dense.weight),
        ("dense_bias", model.dense.bias),
        ("output_weights", model.output.weight),
        ("output_bias", model.output.bias),
    ] + wide


def write_numbers(out, values):
    out.write(" ".join(repr(float(v)) for v in values) + "\n")


def write_reference(output, seed=7, variant="default", layer_width=3):
    """One reference file (the module's docstring); tests/test_lstm_torch.py
    calls it once per case in one process (PyTorch loads once)."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    paper = variant == "paper"
    tokens, padded, targets = make_batch(generator)
    rows, lengths, choices = sum(c + 1 for c in CHOICES), LENGTHS, CHOICES
    if paper:
        vocabulary, lengths, padded = paper_rows(tokens, layer_width)
        rows, choices = vocabulary + 1, [vocabulary]
    model = Regressor(rows, paper).double()
    if paper:
        with torch.no_grad():  # about half the outputs above 0, none at the kink
            z = model.output(model.last_dense(padded, lengths)).squeeze(1).sort().values
            middle = len(z) // 2
            model.output.bias -= (z[middle - 1] + z[middle]) / 2

    outputs = model(padded, lengths)
    loss = nn.functional.mse_loss(outputs, targets)
    loss.backward()

    lstm = model.lstm
    if not torch.allclose(lstm.bias_ih_l0.grad, lstm.bias_hh_l0.grad, rtol=1e-12, atol=1e-15):
        sys.exit("lstm_reference: bias_ih and bias_hh gradients differ")
    with open(output, "w") as out:
        out.write("exhaust-lstm-reference %d\n" % (2 if paper else 1))
        out.write("config %d %d %d %d %s\n" % (EMBEDDING, HIDDEN, DENSE, len(choices),
                                               " ".join(map(str, choices))))
        if paper:
            out.write("variant paper %d %d %d\n" % (layer_width, WIDE, VOCABULARY_FROM))
        out.write("batch %d\n" % len(LENGTHS))
        out.write("lengths %s\n" % " ".join(map(str, LENGTHS)))
        out.write("tokens\n" + " ".join(str(t) for s in tokens for t in s) + "\n")
        out.write("targets\n")
        write_numbers(out, targets.tolist())
        for name, tensor in exhaust_tensors(model):
            values = (lstm.bias_ih_l0 + lstm.bias_hh_l0) if tensor is None else tensor
            values = values.detach().reshape(-1).tolist()
            out.write("tensor %s %d\n" % (name, len(values)))
            write_numbers(out, values)
        out.write("outputs %d\n" % len(LENGTHS))
        write_numbers(out, outputs.detach().tolist())
        out.write("loss 1\n")
        write_numbers(out, [loss.item()])
        for name, tensor in exhaust_tensors(model):
            gradient = (lstm.bias_ih_l0 if tensor is None else tensor).grad
            values = gradient.reshape(-1).tolist()
            out.write("gradient %s %d\n" % (name, len(values)))
            write_numbers(out, values)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--variant", choices=["default", "paper"], default="default")
    parser.add_argument("--layer-width", type=int, default=3)
    args = parser.parse_args()
    write_reference(args.output, args.seed, args.variant, args.layer_width)


if __name__ == "__main__":
    main()
