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

File format (whitespace-separated; every block is a keyword line, then its
numbers):
    exhaust-lstm-reference 1
    config E H D P choices[0] .. choices[P-1]
    batch B
    lengths l_1 .. l_B
    tokens  (sum of lengths integers, sequence by sequence)
    targets (B numbers)
    tensor NAME COUNT  then COUNT numbers      (the weights, lstm.h order)
    outputs B  then B numbers
    loss 1  then 1 number
    gradient NAME COUNT  then COUNT numbers    (d loss / d tensor)

usage: lstm_reference.py OUTPUT [--seed S]
"""
import argparse
import sys

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

EMBEDDING, HIDDEN, DENSE = 40, 100, 10
CHOICES = [4, 2, 7]   # period 3, different choice counts per position
LENGTHS = [5, 1, 12, 5, 7, 3, 12, 2, 9]  # ties and a length-1 sequence included


class Regressor(nn.Module):
    def __init__(self, rows):
        super().__init__()
        self.embedding = nn.Embedding(rows, EMBEDDING)
        self.lstm = nn.LSTM(EMBEDDING, HIDDEN, batch_first=True)
        self.dense = nn.Linear(HIDDEN, DENSE)
        self.output = nn.Linear(DENSE, 1)

    def forward(self, rows, lengths):
        packed = pack_padded_sequence(self.embedding(rows), torch.tensor(lengths),
                                      batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)  # h_n in the batch's own order
        return self.output(torch.relu(self.dense(h_n[0]))).squeeze(1)


def embedding_row(position, token):
    period = len(CHOICES)
    p = position % period
    offset = sum(c + 1 for c in CHOICES[:p])
    return offset + (token if 0 <= token < CHOICES[p] else CHOICES[p])


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
    return [
        ("embedding", model.embedding.weight),
        ("input_weights", lstm.weight_ih_l0),
        ("recurrent_weights", lstm.weight_hh_l0),
        ("gate_bias", None),  # bias_ih_l0 + bias_hh_l0, written specially
        ("dense_weights", model.dense.weight),
        ("dense_bias", model.dense.bias),
        ("output_weights", model.output.weight),
        ("output_bias", model.output.bias),
    ]


def write_numbers(out, values):
    out.write(" ".join(repr(float(v)) for v in values) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    rows = sum(c + 1 for c in CHOICES)
    model = Regressor(rows).double()
    tokens, padded, targets = make_batch(generator)

    outputs = model(padded, LENGTHS)
    loss = nn.functional.mse_loss(outputs, targets)
    loss.backward()

    lstm = model.lstm
    if not torch.allclose(lstm.bias_ih_l0.grad, lstm.bias_hh_l0.grad, rtol=1e-12, atol=1e-15):
        sys.exit("lstm_reference: bias_ih and bias_hh gradients differ")
    with open(args.output, "w") as out:
        out.write("exhaust-lstm-reference 1\n")
        out.write("config %d %d %d %d %s\n" % (EMBEDDING, HIDDEN, DENSE, len(CHOICES),
                                               " ".join(map(str, CHOICES))))
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


if __name__ == "__main__":
    main()
