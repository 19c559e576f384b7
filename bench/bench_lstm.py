#!/usr/bin/env python3
"""PyTorch CPU reference for bench_lstm: the same LSTM regressor, trained
on the same batches from the same initial weights.

bench/bench_lstm.c writes PROBLEM (text: blocks "NAME COUNT" then COUNT
numbers): config (E H D P choices...), batch_size, epochs, learning_rate,
weight_decay, dropout, lengths, tokens, targets (normalized), and the
weight tensors in lstm.h's order and layout. This script builds
nn.Embedding, nn.LSTM, nn.Linear, ReLU, nn.Linear (float32; the gate bias
in bias_ih_l0, bias_hh_l0 zero and frozen), trains `epochs` epochs over
the batches in file order (no shuffling; dropout on the embedding outputs
and on h_T only when the file's dropout > 0) with
torch.optim.Adam(lr, weight_decay) on the MSE loss, and prints:
    torch_threads=N
    epoch_seconds=s1,s2,...
    losses=l1,l2,...      (every batch's loss, in order)

usage: bench_lstm.py PROBLEM --threads N
"""
import argparse
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

TENSORS = ["embedding", "input_weights", "recurrent_weights", "gate_bias", "dense_weights",
           "dense_bias", "output_weights", "output_bias"]


def read_problem(path):
    words = open(path).read().split()
    blocks, at = {}, 0
    while at < len(words):
        name, count = words[at], int(words[at + 1])
        blocks[name] = words[at + 2:at + 2 + count]
        at += 2 + count
    return blocks


class Regressor(nn.Module):
    def __init__(self, rows, embedding, hidden, dense, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.embedding = nn.Embedding(rows, embedding)
        self.lstm = nn.LSTM(embedding, hidden, batch_first=True)
        self.dense = nn.Linear(hidden, dense)
        self.output = nn.Linear(dense, 1)

    def forward(self, rows, lengths):
        x = self.dropout(self.embedding(rows))
        if lengths is None:  # all sequences equally long: no packing needed
            _, (h_n, _) = self.lstm(x)
        else:
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            _, (h_n, _) = self.lstm(packed)
        return self.output(torch.relu(self.dense(self.dropout(h_n[0])))).squeeze(1)


def embedding_row(choices, position, token):
    p = position % len(choices)
    offset = sum(c + 1 for c in choices[:p])
    return offset + (token if 0 <= token < choices[p] else choices[p])


def load_weights(model, blocks):
    lstm = model.lstm
    targets = [model.embedding.weight, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0,
               model.dense.weight, model.dense.bias, model.output.weight, model.output.bias]
    with torch.no_grad():
        for name, tensor in zip(TENSORS, targets):
            values = torch.tensor([float(v) for v in blocks[name]], dtype=torch.float32)
            tensor.copy_(values.reshape(tensor.shape))
        lstm.bias_hh_l0.zero_()
    # exhaust has one gate bias: a second trainable one would take its own
    # Adam steps (twice the bias's effective learning rate).
    lstm.bias_hh_l0.requires_grad_(False)


def make_batches(blocks, choices, batch_size):
    lengths = [int(v) for v in blocks["lengths"]]
    tokens = [int(v) for v in blocks["tokens"]]
    targets = torch.tensor([float(v) for v in blocks["targets"]], dtype=torch.float32)
    padded = torch.zeros(len(lengths), max(lengths), dtype=torch.long)
    at = 0
    for b, length in enumerate(lengths):
        for i in range(length):
            padded[b, i] = embedding_row(choices, i, tokens[at + i])
        at += length
    batches = []
    for start in range(0, len(lengths), batch_size):
        part = lengths[start:start + batch_size]
        packed_lengths = None if len(set(part)) == 1 else torch.tensor(part)
        width = max(part)
        batches.append((padded[start:start + batch_size, :width], packed_lengths,
                        targets[start:start + batch_size]))
    return batches


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("problem")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    blocks = read_problem(args.problem)
    config = [int(v) for v in blocks["config"]]
    embedding, hidden, dense, period = config[:4]
    choices = config[4:4 + period]
    batch_size, epochs = int(blocks["batch_size"][0]), int(blocks["epochs"][0])
    model = Regressor(sum(c + 1 for c in choices), embedding, hidden, dense,
                      float(blocks["dropout"][0]))
    load_weights(model, blocks)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=float(blocks["learning_rate"][0]),
                                 weight_decay=float(blocks["weight_decay"][0]))
    batches = make_batches(blocks, choices, batch_size)
    loss_function = nn.MSELoss()
    seconds, losses = [], []
    for _ in range(epochs):
        start = time.perf_counter()
        for rows, lengths, targets in batches:
            optimizer.zero_grad()
            loss = loss_function(model(rows, lengths), targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        seconds.append(time.perf_counter() - start)
    print("torch_threads=%d" % torch.get_num_threads())
    print("epoch_seconds=" + ",".join("%.6f" % s for s in seconds))
    print("losses=" + ",".join(repr(v) for v in losses))


if __name__ == "__main__":
    main()
