#!/usr/bin/env python3
"""An independent reader of the real TensorBoard event files (Python's struct,
a CRC-32C written here, and a hand-rolled protobuf decoder: no protobuf
library, no exhaust code), compared with what `exhaust ingest` stored: the
number of epochs and the final value of every epoch-level scalar.
Skips (exit 77) when ../shared/data is absent."""
import glob, json, os, struct, subprocess, sys, tempfile

DATA = os.environ.get("EXHAUST_DATA", "")
BIN = os.environ.get("EXHAUST_BIN", "")


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    data = open(path, "rb").read()
    offset = 0
    while offset < len(data):
        (length,) = struct.unpack_from("<Q", data, offset)
        (length_crc,) = struct.unpack_from("<I", data, offset + 8)
        assert length_crc == masked(data[offset:offset + 8]), "length CRC at %d" % offset
        body = data[offset + 12:offset + 12 + length]
        (body_crc,) = struct.unpack_from("<I", data, offset + 12 + length)
        assert body_crc == masked(body), "data CRC at %d" % offset
        yield body
        offset += 16 + length


def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def fields(buf):
    """(field number, wire type, value) for each field of a message."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            n, i = varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wire)
        yield number, wire, value


def scalar(value_message):
    """Tag and float of a Summary.Value: simple_value (2) or a scalar tensor (8)."""
    tag, number = None, None
    for field, wire, value in fields(value_message):
        if field == 1:
            tag = value.decode()
        elif field == 2 and wire == 5:
            number = struct.unpack("<f", value)[0]
        elif field == 8:
            dtype, content = 0, b""
            for f2, w2, v2 in fields(value):
                if f2 == 1:
                    dtype = v2
                elif f2 == 4:
                    content = v2
                elif f2 == 5 and w2 == 5:
                    content = v2
            if dtype == 1 and len(content) == 4:
                number = struct.unpack("<f", content)[0]
    return tag, number


def scalars(path):
    out = {}
    for body in records(path):
        step, summary = 0, None
        for field, _, value in fields(body):
            if field == 2:
                step = value
            elif field == 5:
                summary = value
        if summary is None:
            continue
        for field, _, value in fields(summary):
            if field == 1:
                tag, number = scalar(value)
                if tag is not None and number is not None:
                    out.setdefault(tag, {})[step] = number
    return out


def expected_run(run_dir):
    """epoch -> metric -> value, mapped as documented (Keras epoch_* tags)."""
    epochs = {}
    for role, prefix in (("train", "train_"), ("validation", "val_")):
        for path in glob.glob(os.path.join(run_dir, role, "events.out.tfevents.*")):
            for tag, series in scalars(path).items():
                if tag not in ("epoch_accuracy", "epoch_loss"):
                    continue
                metric = prefix + tag[len("epoch_"):]
                scale = 100.0 if metric.endswith("accuracy") and max(series.values()) <= 1 else 1.0
                for step, number in series.items():
                    epochs.setdefault(step + 1, {})[metric] = number * scale
    return epochs


def main():
    if not DATA or not os.path.isdir(os.path.join(DATA, "tfevents")):
        print("SKIP: real data not found (EXHAUST_DATA=%r); this test needs ../shared/data" % DATA)
        return 77
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "tf.db")
        folder = os.path.join(DATA, "tfevents")
        subprocess.run([BIN, "ingest", folder, "--store", store, "--quiet"], check=True)
        for run_dir in sorted(glob.glob(os.path.join(folder, "*"))):
            want = expected_run(run_dir)
            shown = json.loads(subprocess.run(
                [BIN, "show", run_dir, "--store", store, "--format", "json"],
                check=True, capture_output=True, text=True).stdout)
            got = {e["epoch"]: e for e in shown["epochs"]}
            last = max(want)
            ok = len(got) == len(want) and all(
                abs(got[last][m] - v) <= 1e-6 * max(1.0, abs(v)) for m, v in want[last].items())
            ok = ok and all(abs(got[e][m] - v) <= 1e-6 * max(1.0, abs(v))
                            for e in want for m, v in want[e].items())
            print("%s: %d epochs, final %s -> %s" % (os.path.basename(run_dir), len(got),
                  {m: round(v, 4) for m, v in want[last].items()}, "ok" if ok else "MISMATCH"))
            failures += not ok
    print("%d passed, %d failed" % (1 if failures == 0 else 0, 1 if failures else 0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
