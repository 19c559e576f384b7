#!/usr/bin/env python3
"""A fake training command for tests/test_search_repo.sh: what a real
trainer does with the model repository, with tensors whose bytes are known.

    repo_fake_train.py REPO JOB DONOR PREFIX ARCH_SEQ

Position p's tensor is 16 float32 drawn from a generator seeded by the
architecture's tokens 0..p, so two models sharing a prefix have the same
bytes there (a transferred, frozen prefix). It loads DONOR's first PREFIX
positions through exhaust.Repo and checks every served tensor is the one
expected (exit 3 if not), saves model JOB (position p -> tensor "p<p>"), and
prints the quality (the token sum). A load that fails (a corrupt blob) is
reported on stderr and the job goes on: the manifest's traffic records it.
With FAKE_CORRUPT=1 the first job with a donor first flips a byte of the
donor's position-0 blob (the corruption the test wants recorded)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import exhaust  # noqa: E402


def tensor(tokens, p):
    return np.random.default_rng([t + 1 for t in tokens[:p + 1]]).standard_normal(16).astype(
        np.float32)


def corrupt_first_blob(repo_path, donor):
    import hashlib
    import json
    marker = os.path.join(repo_path, "corrupted")
    if os.path.exists(marker):
        return
    open(marker, "w").close()
    manifest = json.load(open(os.path.join(repo_path, "manifests", f"{donor}.json")))
    digest = manifest["tensors"][0]["sha256"]
    folder = os.path.join(repo_path, "blobs", digest[:2])
    blob = next(os.path.join(folder, n) for n in os.listdir(folder) if digest.endswith(n))
    data = bytearray(open(blob, "rb").read())
    data[0] ^= 0xFF
    os.chmod(blob, 0o644)
    with open(blob, "wb") as f:
        f.write(bytes(data))
    assert hashlib.sha256(bytes(data)).hexdigest() != digest


def main():
    repo_path, job, donor, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        int(sys.argv[4])
    tokens = [int(t) for t in sys.argv[5].strip("[]").replace(",", " ").split()]
    if os.environ.get("FAKE_CORRUPT") and donor >= 0 and prefix > 0:
        corrupt_first_blob(repo_path, donor)
    repo = exhaust.Repo(repo_path)
    try:
        with repo.load(donor, prefix) as loaded:
            for name, array in loaded.arrays.items():
                if not np.array_equal(array, tensor(tokens, int(name[1:]))):
                    print(f"served {name} of model {donor} is not the expected tensor",
                          file=sys.stderr)
                    return 3
    except exhaust.Error as error:
        print(f"fake train: no transfer: {error}", file=sys.stderr)
    state = {f"p{p}": tensor(tokens, p) for p in range(len(tokens))}
    repo.save(job, tokens, state, float(sum(tokens)), donor_id=donor, prefix_len=prefix,
              positions=lambda name: int(name[1:]))
    print(sum(tokens))
    return 0


if __name__ == "__main__":
    sys.exit(main())
