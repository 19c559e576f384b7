#!/usr/bin/env python3
"""Train one conv-chain architecture on Fashion-MNIST (CPU, small) and log it
in exhaust's JSONL format through exhaust.RunLogger.

The architecture is exhaust's conv-chain text form (include/exhaust/space_convchain.h),
e.g. f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x3s1+0+1-... (8-18 layers).

The model (sized so one architecture trains in seconds on one CPU thread):
  * input: 28x28 images average-pooled to 14x14 (factor 2), normalised with
    the training set's mean and std
  * layer i: conv(kh x kw, stride s, zero padding kh//2, kw//2 -- "same" for
    stride 1, ceil(n/2) for stride 2) + BatchNorm + ReLU, on layer i-1's output
    (layer 0 on the image); channels = ceil(filters / width_divisor)
    (default /8: 24, 36, 48, 64 -> 3, 5, 6, 8), so the space's relative widths
    survive while the cost drops ~64x
  * skips: layer i's output (after ReLU) gets each skip source's output ADDED;
    a source whose channels or spatial size differ from layer i's goes
    through a projection first: 1x1 conv with stride = ceil(size ratio) (1, 2
    or 4: 14 -> 7 -> 4) + BatchNorm, as ResNet's projection shortcuts do. Same-shaped
    sources are added as they are (identity shortcut).
  * head: global average pool + linear to 10 classes.

Data: a fixed subset of the 60,000 training images chosen by --data-seed
(default 0, independent of --seed): the first --train-size images of one
permutation train, the last --val-size images validate (disjoint). The t10k test
set is not used. Training: Adam (fixed lr, no schedule), batch 128, cross
entropy; --seed seeds the weights and the batch order (torch, numpy, random),
and deterministic algorithms are on, so the same arguments give the same log.

Transfer through the model repository (--repo DIR --job-id J --donor D
--prefix P, as `exhaust search --repo DIR` passes them): before training,
the donor's layers within the first P positions of the architecture are copied
in (exhaust.Repo.load_prefix: layer i, its conv, BatchNorm and projections,
is stored at position 5i+4, its last token, so it transfers only when all 5 of
its tokens, and so every earlier layer, match); the head never transfers.
--freeze keeps the transferred layers fixed (no gradient, BatchNorm statistics
not updated: their tensors stay the donor's bytes and the repository stores
them once); without it they are fine-tuned. After training, every layer's
tensors are saved as model J with its validation accuracy, and the accuracy is
the last stdout line (the search's quality). A donor that cannot be loaded (a
corrupt blob, a missing model) is reported on stderr and the model trains
from scratch; the repository records the failure in model J's manifest
("traffic": "error"), which the search writes as m:repo_error.
"""

import argparse
import gzip
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

import convchain  # noqa: E402
import exhaust  # noqa: E402

DATA_DIR = "/usr/share/datasets/fashion-mnist"
# Mean and std of Fashion-MNIST training pixels in [0, 1] (computed from the
# 60,000 training images; used only to centre the inputs).
PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3530
INPUT_POOL = 2  # 28x28 -> 14x14
POSITIONS_PER_LAYER = 5  # EXH_CONVCHAIN_POSITIONS_PER_LAYER (space_convchain.h)

DEFAULTS = {"epochs": 12, "seed": 1, "data_seed": 0, "train_size": 8000, "val_size": 2000,
            "width_divisor": 8, "lr": 0.003, "batch_size": 128, "threads": 1}


# ---------------------------------------------------------------- data

def read_idx(path):
    """Read one gzip'ed IDX file (the MNIST format) into a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    offset = 4 + 4 * dims
    count = int(np.prod(shape))
    if len(data) - offset != count:
        raise ValueError(f"{path}: {len(data) - offset} data bytes, header says {count}")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape)


def load_splits(train_size, val_size, data_seed=0, data_dir=DATA_DIR):
    """(x_train, y_train, x_val, y_val) as torch tensors, inputs 1x14x14 normalised."""
    images_path = os.path.join(data_dir, "train-images-idx3-ubyte.gz")
    labels_path = os.path.join(data_dir, "train-labels-idx1-ubyte.gz")
    for path in (images_path, labels_path):
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} not found (Debian package dataset-fashion-mnist)")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{images.shape[0]} images but {labels.shape[0]} labels")
    if train_size < 1 or val_size < 1 or train_size + val_size > images.shape[0]:
        raise ValueError(f"train size {train_size} + val size {val_size} must be positive "
                         f"and at most {images.shape[0]}")
    order = np.random.default_rng(data_seed).permutation(images.shape[0])
    # Train from the front, validation from the back: the validation set does
    # not change when only --train-size does.
    parts = (order[:train_size], order[images.shape[0] - val_size:])

    def prepare(index):
        x = torch.from_numpy(images[index].astype(np.float32) / 255.0).unsqueeze(1)
        x = F.avg_pool2d(x, INPUT_POOL)
        x = (x - PIXEL_MEAN) / PIXEL_STD
        return x.contiguous(), torch.from_numpy(labels[index].astype(np.int64))

    (x_train, y_train), (x_val, y_val) = (prepare(p) for p in parts)
    return x_train, y_train, x_val, y_val


# ---------------------------------------------------------------- model

def conv_out(size, stride):
    """Spatial size after a conv with padding k//2 (odd k): ceil(size / stride)."""
    return -(-size // stride)


class ConvChain(nn.Module):
    """The conv chain described in the module docstring."""

    def __init__(self, layers, width_divisor=8, input_size=14, in_channels=1, classes=10):
        super().__init__()
        if width_divisor <= 0:
            raise ValueError(f"width divisor must be positive, got {width_divisor}")
        self.arch_layers = layers
        self.convs = nn.ModuleList()
        self.projections = nn.ModuleList()  # one ModuleDict per layer: str(source) -> proj
        channels, sizes = [], []
        previous_channels, size = in_channels, input_size
        for i, layer in enumerate(layers):
            out_channels = max(1, math.ceil(layer["filters"] / width_divisor))
            kh, kw, stride = layer["kernel_h"], layer["kernel_w"], layer["stride"]
            self.convs.append(nn.Sequential(
                nn.Conv2d(previous_channels, out_channels, (kh, kw), stride=stride,
                          padding=(kh // 2, kw // 2), bias=False),
                nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)))
            size = conv_out(size, stride)
            projections = nn.ModuleDict()
            for s in layer["skips"]:
                if channels[s] == out_channels and sizes[s] == size:
                    continue  # identity shortcut
                # ceil: 14 -> 4 needs stride 4 (ceil(14/4) = 4), not 3.
                ratio = -(-sizes[s] // size)
                if conv_out(sizes[s], ratio) != size:
                    raise ValueError(f"layer {i}: cannot project layer {s} "
                                     f"({sizes[s]}x{sizes[s]}) to {size}x{size}")
                projections[str(s)] = nn.Sequential(
                    nn.Conv2d(channels[s], out_channels, 1, stride=ratio, bias=False),
                    nn.BatchNorm2d(out_channels))
            self.projections.append(projections)
            channels.append(out_channels)
            sizes.append(size)
            previous_channels = out_channels
        self.head = nn.Linear(previous_channels, classes)

    def forward(self, x):
        outputs = []
        for layer, conv, projections in zip(self.arch_layers, self.convs, self.projections):
            y = conv(x)
            for s in layer["skips"]:
                key = str(s)
                y = y + (projections[key](outputs[s]) if key in projections else outputs[s])
            outputs.append(y)
            x = y
        return self.head(x.mean(dim=(2, 3)))


def build_model(arch_text, width_divisor=8):
    """Parse `arch_text` (raises convchain.ArchError) and build its model."""
    return ConvChain(convchain.parse(arch_text), width_divisor=width_divisor)


# ---------------------------------------------------------------- training

def tune_malloc():
    """Keep freed tensor memory in the process (glibc mallopt). By default glibc
    returns every large block to the kernel and maps it again for the next
    batch; with tiny models that page-fault churn cost about as much system time
    as the training's user time. Linux/glibc only; elsewhere nothing happens."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
    libc.mallopt(M_MMAP_THRESHOLD, 1 << 30)
    libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
    libc.mallopt(M_TOP_PAD, 64 << 20)


def set_threads(threads):
    """Intra- and inter-op threads. PyTorch lets the inter-op count be set only
    once, before any parallel work (a second call aborts the process), so it is
    set only when it differs."""
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    if torch.get_num_interop_threads() != threads:
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError as error:
            raise RuntimeError(f"cannot set {threads} inter-op threads now ({error}); "
                               "set them before any torch work") from None


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def evaluate(model, x, y, batch_size):
    """(mean loss, accuracy in percent) over x, y in eval mode."""
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            logits = model(x[start:start + batch_size])
            target = y[start:start + batch_size]
            total_loss += F.cross_entropy(logits, target, reduction="sum").item()
            correct += (logits.argmax(1) == target).sum().item()
    return total_loss / x.shape[0], 100.0 * correct / x.shape[0]


def layer_position(name):
    """The architecture position a state-dict entry is stored at: layer i's
    conv, BatchNorm and projections at 5i+4 (its last token); None for the
    head, which is not transferred."""
    parts = name.split(".")
    if parts[0] in ("convs", "projections") and len(parts) > 2:
        return POSITIONS_PER_LAYER * int(parts[1]) + POSITIONS_PER_LAYER - 1
    return None


def receive_prefix(model, transfer):
    """Copy the donor's prefix into `model` from transfer["repo"]; returns
    the indices of the layers received (to freeze)."""
    repo = transfer["repo"]
    try:
        copied = repo.load_prefix(transfer["arch_seq"], model, positions=layer_position,
                                  donor=transfer["donor"], prefix_len=transfer["prefix"])
    except exhaust.Error as error:
        print(f"train.py: cannot receive model {transfer['donor']}'s prefix, training from "
              f"scratch: {error}", file=sys.stderr)
        return set()
    return {int(name.split(".")[1]) for name in copied}


def keep_frozen(model, frozen):
    """Frozen layers: no gradient and BatchNorm in eval mode (its running
    statistics stay the donor's)."""
    for i in frozen:
        model.convs[i].eval()
        model.projections[i].eval()


def train(arch, data, log_path, key=None, seed=1, epochs=12, lr=0.003, batch_size=128,
          width_divisor=8, data_seed=0, threads=1, mode="append", progress=None,
          transfer=None):
    """Train `arch` (text form) on `data` = load_splits(...) and log every epoch to
    `log_path`. Returns the list of epoch rows. The run is written once, at the
    end, by RunLogger (status "ok", or "failed: ..." when the loss diverges)."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch size must be >= 1, got {batch_size}")
    layers = convchain.parse(arch)
    canonical = convchain.format_arch(layers)
    x_train, y_train, x_val, y_val = data
    set_threads(threads)
    seed_everything(seed)
    model = ConvChain(layers, width_divisor=width_divisor)
    frozen = receive_prefix(model, transfer) if transfer else set()
    if transfer and transfer["freeze"]:
        for i in frozen:
            for p in list(model.convs[i].parameters()) + list(model.projections[i].parameters()):
                p.requires_grad_(False)
    else:
        frozen = set()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    batch_order = torch.Generator().manual_seed(seed)
    params = {"optimizer": "adam", "lr": lr, "batch_size": batch_size, "epochs": epochs,
              "train_size": int(x_train.shape[0]), "val_size": int(x_val.shape[0]),
              "width_divisor": width_divisor, "input_size": int(x_train.shape[-1]),
              "data_seed": data_seed, "threads": threads, "torch": torch.__version__,
              "num_params": sum(p.numel() for p in model.parameters())}
    log = exhaust.RunLogger(log_path, key=key, space="convchain", arch=canonical,
                            dataset="fashion-mnist", seed=seed, params=params, mode=mode)
    status = "ok"
    try:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            model.train()
            keep_frozen(model, frozen)
            order = torch.randperm(x_train.shape[0], generator=batch_order)
            total_loss, correct = 0.0, 0
            for start in range(0, x_train.shape[0], batch_size):
                index = order[start:start + batch_size]
                logits = model(x_train[index])
                loss = F.cross_entropy(logits, y_train[index])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                # Train metrics as seen during the epoch (the usual Keras-style figure).
                total_loss += loss.item() * index.shape[0]
                correct += (logits.argmax(1) == y_train[index]).sum().item()
            train_loss = total_loss / x_train.shape[0]
            train_accuracy = 100.0 * correct / x_train.shape[0]
            val_loss, val_accuracy = evaluate(model, x_val, y_val, 512)
            seconds = time.perf_counter() - started
            log.epoch(epoch, train_loss=train_loss, train_accuracy=train_accuracy,
                      val_loss=val_loss, val_accuracy=val_accuracy, seconds=seconds)
            if progress:
                progress(epoch, log.epochs[-1])
            if not math.isfinite(train_loss):
                status = f"failed: train loss is {train_loss} at epoch {epoch}"
                break
    except BaseException as error:
        # Keep what was trained, marked failed, unless the user interrupted.
        if not isinstance(error, KeyboardInterrupt):
            log.close(f"failed: {type(error).__name__}: {error}"[:200])
        raise
    log.close(status)
    if transfer and status == "ok":
        t = transfer
        t["repo"].save(t["job_id"], t["arch_seq"], model, log.epochs[-1]["val_accuracy"],
                       parent_id=t["parent"], donor_id=t["donor"], prefix_len=t["prefix"],
                       positions=layer_position, space="convchain")
    return log.epochs


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Train one conv-chain architecture on Fashion-MNIST (14x14, CPU) and "
                    "log each epoch in exhaust's JSONL format.",
        epilog="Example: train.py --arch f24k3x3s1-f36k5x5s1-f48k3x3s2+0-f48k3x3s1+0+1-"
               "f24k3x3s1-f36k3x7s2+2-f64k3x3s1-f64k7x3s1+0+3+5 --out runs.jsonl "
               "(8 layers: stride 2 only at layers 8//3 = 2 and 16//3 = 5). With --repo: "
               "receive --donor's first --prefix positions, save as --job-id, print the "
               "validation accuracy last (exhaust search --repo).")
    parser.add_argument("--arch", required=True, help="conv-chain text form (8-18 layers)")
    parser.add_argument("--out", required=True, help="JSONL file the run is appended to")
    parser.add_argument("--key", help="run key in the store (default: fmnist/ARCH/sSEED)")
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"],
                        help="seeds weights and batch order (default %(default)s)")
    parser.add_argument("--data-seed", type=int, default=DEFAULTS["data_seed"],
                        help="chooses the train/validation images (default %(default)s)")
    parser.add_argument("--train-size", type=int, default=DEFAULTS["train_size"])
    parser.add_argument("--val-size", type=int, default=DEFAULTS["val_size"])
    parser.add_argument("--width-divisor", type=float, default=DEFAULTS["width_divisor"],
                        help="channels = ceil(filters / this) (default %(default)s)")
    parser.add_argument("--lr", type=float, default=DEFAULTS["lr"], help="Adam learning rate")
    parser.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    parser.add_argument("--threads", type=int, default=DEFAULTS["threads"],
                        help="torch intra- and inter-op threads (default %(default)s)")
    parser.add_argument("--replace", action="store_true",
                        help="write the file atomically as this run alone (temp + rename) "
                             "instead of appending")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    parser.add_argument("--repo", help="model repository: receive the donor's prefix, save "
                        "this model (needs --job-id and --arch-seq)")
    parser.add_argument("--job-id", type=int, help="this model's id in --repo")
    parser.add_argument("--arch-seq", help="the architecture's token sequence (exhaust's "
                        "{arch_seq}, 0,3,1,...)")
    parser.add_argument("--donor", type=int, default=-1, help="model to receive from (-1: none)")
    parser.add_argument("--prefix", type=int, default=0, help="positions shared with --donor")
    parser.add_argument("--parent", type=int, default=-1, help="the parent's id (provenance)")
    parser.add_argument("--freeze", action="store_true",
                        help="keep the received layers fixed instead of fine-tuning them")
    args = parser.parse_args(argv)
    if args.repo and (args.job_id is None or not args.arch_seq):
        parser.error("--repo needs --job-id and --arch-seq")
    if args.threads < 1:
        parser.error("--threads must be >= 1")
    width = int(args.width_divisor) if args.width_divisor == int(args.width_divisor) \
        else args.width_divisor
    try:
        layers = convchain.parse(args.arch)
    except convchain.ArchError as error:
        parser.error(f"--arch: {error}")
    key = args.key or f"fmnist/{convchain.format_arch(layers)}/s{args.seed}"
    tune_malloc()
    set_threads(args.threads)
    data = load_splits(args.train_size, args.val_size, args.data_seed)

    def show(epoch, row):
        if not args.quiet:
            print(f"epoch {epoch:3d}  train loss {row['train_loss']:.4f} acc "
                  f"{row['train_accuracy']:6.2f}  val loss {row['val_loss']:.4f} acc "
                  f"{row['val_accuracy']:6.2f}  {row['epoch_seconds']:.2f}s", flush=True)

    transfer = None
    if args.repo:
        sequence = [int(t) for t in args.arch_seq.strip("[]").replace(",", " ").split()]
        transfer = {"repo": exhaust.Repo(args.repo), "job_id": args.job_id, "donor": args.donor,
                    "prefix": args.prefix, "parent": args.parent, "freeze": args.freeze,
                    "arch_seq": sequence}
    epochs = train(args.arch, data, args.out, key=key, seed=args.seed, epochs=args.epochs,
                   lr=args.lr, batch_size=args.batch_size, width_divisor=width,
                   data_seed=args.data_seed, threads=args.threads,
                   mode="replace" if args.replace else "append", progress=show,
                   transfer=transfer)
    if transfer:
        print(epochs[-1]["val_accuracy"])  # the last line: the search's quality
    return 0


if __name__ == "__main__":
    sys.exit(main())
