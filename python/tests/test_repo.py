"""exhaust.Repo (python/exhaust/repo.py) against independent references:
the manifests read with json, blobs hashed with hashlib, torch's own
tensors, and the zero-copy claim checked by address."""

import hashlib
import json
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

import exhaust  # noqa: E402

if os.environ.get("EXHAUST_SANITIZED") and "asan" not in os.environ.get("LD_PRELOAD", ""):
    pytest.skip("sanitized build: libexhaust.so needs the ASan runtime preloaded",
                allow_module_level=True)

POSITIONS = {"conv0.weight": 0, "conv0.bias": 0, "conv1.weight": 1, "conv2.weight": 2}


def position(name):
    return POSITIONS.get(name)


def state(seed):
    rng = np.random.default_rng(seed)
    return {"conv0.weight": rng.standard_normal((4, 1, 3, 3)).astype(np.float32),
            "conv0.bias": rng.standard_normal(4).astype(np.float32),
            "conv1.weight": rng.standard_normal((6, 4, 3, 3)).astype(np.float32),
            "conv2.weight": rng.standard_normal((8, 6, 1, 1)).astype(np.float64),
            "head.weight": rng.standard_normal((10, 8)).astype(np.float32)}


def blob_names(path):
    return {name for _, _, files in os.walk(os.path.join(path, "blobs")) for name in files}


def test_round_trip_matches_manifest_and_hashes(tmp_path):
    repo = exhaust.Repo(tmp_path / "m")
    saved = state(1)
    repo.save(0, [1, 2, 3], saved, 91.5, positions=position)
    manifest = json.load(open(tmp_path / "m" / "manifests" / "0.json"))
    names = {t["name"]: t for t in manifest["tensors"]}
    assert set(names) == set(POSITIONS)  # the head is not positional: not saved
    for name, t in names.items():
        assert t["sha256"] == hashlib.sha256(saved[name].tobytes()).hexdigest()
        assert t["position"] == POSITIONS[name]
    assert manifest["traffic"]["write_bytes"] == sum(saved[n].nbytes for n in POSITIONS)
    assert manifest["traffic"]["loads"] == 0 and manifest["traffic"]["error"] == 0
    with repo.load(0, 99) as loaded:
        for name in POSITIONS:
            np.testing.assert_array_equal(loaded.arrays[name], saved[name])
            assert loaded.arrays[name].dtype == saved[name].dtype


@pytest.mark.parametrize("prefix, expected", [(0, set()), (1, {"conv0.weight", "conv0.bias"}),
                                              (2, {"conv0.weight", "conv0.bias", "conv1.weight"})])
def test_load_prefix_copies_only_the_prefix(tmp_path, prefix, expected):
    repo = exhaust.Repo(tmp_path / "m")
    donor = state(1)
    repo.save(0, [1, 2, 3], donor, 1.0, positions=position)
    child = state(2)
    before = {k: v.copy() for k, v in child.items()}
    copied = repo.load_prefix([1, 2, 3], child, positions=position, donor=0, prefix_len=prefix)
    assert set(copied) == expected
    for name in child:
        np.testing.assert_array_equal(child[name], donor[name] if name in expected else before[name])


def test_donor_is_the_longest_prefix(tmp_path):
    repo = exhaust.Repo(tmp_path / "m")
    assert repo.donor([1, 2, 3]) == (-1, 0)
    repo.save(0, [1, 2, 3], state(1), 1.0, positions=position)
    repo.save(1, [1, 5, 3], state(2), 2.0, positions=position)
    assert repo.donor([1, 2, 4]) == (0, 2)
    assert repo.donor([1, 5, 3]) == (1, 3)
    assert repo.donor([7, 2, 3]) == (1, 0) or repo.donor([7, 2, 3])[1] == 0


def test_served_arrays_are_not_copies(tmp_path):
    repo = exhaust.Repo(tmp_path / "m")
    repo.save(0, [1, 2, 3], state(1), 1.0, positions=position)
    with repo.load(0, 3) as loaded:
        for entry in loaded.entries:
            array = loaded.arrays[entry.name.decode()]
            assert array.__array_interface__["data"][0] == entry.data  # the served pointer
            assert not array.flags.owndata and not array.flags.writeable


def test_torch_module_round_trip_and_frozen_prefix_dedup(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)

    def net():
        return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.Conv2d(4, 6, 3),
                                   torch.nn.Linear(6, 10))

    def where(name):  # "0.weight" -> 0; the Linear head (index 2) is not positional
        index = int(name.split(".")[0])
        return index if index < 2 else None

    repo = exhaust.Repo(tmp_path / "m")
    donor = net()
    repo.save(0, [1, 2, 9], donor, 1.0, positions=where)
    blobs = blob_names(tmp_path / "m")
    child = net()
    repo.load_prefix([1, 2, 8], child, positions=where)
    for name, value in donor.state_dict().items():
        if where(name) is not None:
            assert torch.equal(child.state_dict()[name], value)
    repo.save(1, [1, 2, 8], child, 2.0, donor_id=0, prefix_len=2, positions=where)
    assert blob_names(tmp_path / "m") == blobs  # a frozen prefix stores no new bytes
    traffic = json.load(open(tmp_path / "m" / "manifests" / "1.json"))["traffic"]
    assert traffic["write_bytes"] == 0 and traffic["store_reads"] == 4
    assert traffic["store_bytes"] == sum(v.numel() * 4 for k, v in donor.state_dict().items()
                                         if where(k) is not None)


def _targets(kind, torch, seed):
    """The receiving state in each form load_prefix meets: arrays and CPU
    tensors it fills in place (load_into), and targets it must copy into
    through a mapping (another dtype, a strided view)."""
    child = state(seed)
    if kind == "float64 targets":
        return {k: v.astype(np.float64) for k, v in child.items()}
    if kind == "strided targets":
        return {k: np.asfortranarray(v) if v.ndim > 1 else v for k, v in child.items()}
    return {k: torch.from_numpy(v.copy()) for k, v in child.items()} if kind == "torch" else child


@pytest.mark.parametrize("kind", ["numpy", "torch", "float64 targets", "strided targets"])
@pytest.mark.parametrize("fast_dir", [False, True])
def test_load_prefix_in_place_and_mapped_give_the_same(tmp_path, kind, fast_dir):
    torch = pytest.importorskip("torch")
    writer = exhaust.Repo(tmp_path / "m")
    donor = state(1)
    writer.save(0, [1, 2, 3], donor, 1.0, positions=position)
    fast = ""
    if fast_dir:  # the coordinator's copies, named by 16 hex digits of the SHA-256
        fast = tmp_path / "fast"
        fast.mkdir()
        for name in POSITIONS:
            digest = hashlib.sha256(donor[name].tobytes()).hexdigest()
            (fast / digest[:16]).write_bytes(donor[name].tobytes())
    repo = exhaust.Repo(tmp_path / "m", fast_dir=str(fast))
    child = _targets(kind, torch, 2)
    addresses = {k: (v.data_ptr() if hasattr(v, "data_ptr") else v.ctypes.data)
                 for k, v in child.items()}
    copied = repo.load_prefix([1, 2, 3], child, positions=position, donor=0, prefix_len=2)
    assert set(copied) == {"conv0.weight", "conv0.bias", "conv1.weight"}
    for name in copied:
        got = child[name].numpy() if hasattr(child[name], "numpy") else child[name]
        np.testing.assert_array_equal(got, donor[name])
        # filled where it was (the model's own memory), not replaced
        assert (child[name].data_ptr() if hasattr(child[name], "data_ptr")
                else child[name].ctypes.data) == addresses[name]
    traffic = repo.traffic()
    assert traffic["loads"] == 1 and traffic["tensors"] == 3
    assert traffic["fast_hits"] == (3 if fast_dir else 0)


def flip_a_byte(repo_path, array, index):
    """Damage the blob that holds `array`: byte `index` flipped."""
    digest = hashlib.sha256(array.tobytes()).hexdigest()
    blob = repo_path / "blobs" / digest[:2] / digest[2:]
    os.chmod(blob, 0o644)
    data = bytearray(blob.read_bytes())
    data[index] ^= 1
    blob.write_bytes(bytes(data))


def test_corrupt_blob_leaves_the_model_as_it_was(tmp_path):
    repo = exhaust.Repo(tmp_path / "m")
    donor = state(1)
    repo.save(0, [1, 2, 3], donor, 1.0, positions=position)
    flip_a_byte(tmp_path / "m", donor["conv1.weight"], -1)
    child = state(2)
    before = {k: v.copy() for k, v in child.items()}
    with pytest.raises(exhaust.Error, match="corrupt"):
        repo.load_prefix([1, 2, 3], child, positions=position, donor=0, prefix_len=2)
    for name in child:  # conv0's blobs were fine, but nothing was written
        np.testing.assert_array_equal(child[name], before[name])


def test_torch_views_keep_the_mapping(tmp_path):
    torch = pytest.importorskip("torch")
    repo = exhaust.Repo(tmp_path / "m")
    donor = state(1)
    repo.save(0, [1, 2, 3], donor, 1.0, positions=position)
    with repo.load(0, 3) as loaded:
        served = {e.name.decode(): e.data for e in loaded.entries}
        tensors = loaded.torch()
    del loaded
    for name, tensor in tensors.items():
        assert tensor.data_ptr() == served[name]  # no copy
        np.testing.assert_array_equal(tensor.numpy(), donor[name])  # still mapped


def test_corrupt_blob_raises_and_is_recorded(tmp_path):
    repo = exhaust.Repo(tmp_path / "m")
    saved = state(1)
    repo.save(0, [1, 2, 3], saved, 1.0, positions=position)
    flip_a_byte(tmp_path / "m", saved["conv0.weight"], 0)
    with pytest.raises(exhaust.Error, match="corrupt"):
        repo.load_prefix([1, 2, 3], state(2), positions=position, donor=0, prefix_len=3)
    repo.save(1, [1, 2, 4], state(2), 1.0, positions=position)
    traffic = json.load(open(tmp_path / "m" / "manifests" / "1.json"))["traffic"]
    assert traffic["error"] == -7  # EXH_ERR_CORRUPT, for the trace's m:repo_error


@pytest.mark.parametrize("call, error", [
    (lambda r: r.save(-1, [1], state(1), 1.0, positions=position), exhaust.InvalidError),
    (lambda r: r.save(0, "abc", state(1), 1.0, positions=position), exhaust.ArgumentTypeError),
    (lambda r: r.save(0, [1], state(1), 1.0, positions=position), exhaust.Error),  # position 2 > len
    (lambda r: r.save(0, [1, 2, 3], state(1), 1.0), exhaust.InvalidError),
    (lambda r: r.load(5, 1), exhaust.NotFoundError),
    (lambda r: r.load_prefix([1, 2, 3], {}, positions=position, donor=0, prefix_len=1),
     exhaust.InvalidError),
    (lambda r: r.save(0, [1, 2, 3], [1, 2], 1.0, positions=position), exhaust.ArgumentTypeError),
])
def test_bad_input_raises_with_the_message(tmp_path, call, error):
    repo = exhaust.Repo(tmp_path / "m")
    if "load_prefix" in call.__code__.co_names:
        repo.save(0, [1, 2, 3], state(1), 1.0, positions=position)
    with pytest.raises(error):
        call(repo)
    assert not (tmp_path / "m" / "manifests" / "0.json").exists() or \
        "load_prefix" in call.__code__.co_names


def test_readme_example_runs(tmp_path, monkeypatch):
    text = open(os.path.join(HERE, "..", "..", "README.md")).read()
    block = text.split("<!-- repo-example -->\n```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    manifest = json.load(open(tmp_path / "models" / "manifests" / "1.json"))
    assert manifest["traffic"]["write_bytes"] == 0  # the frozen prefix was deduplicated
