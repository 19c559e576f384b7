#!/usr/bin/env python3
"""The LSTM's forward and backward passes against PyTorch.

Runs tests/lstm_reference.py's write_reference (PyTorch, float64, dropout
off) into a temporary file, then the C test binary test_lstm with that file, which loads
the same weights and batch and compares outputs, loss and every parameter
tensor's gradient (tolerance in tests/test_lstm.c), once per row of CASES:
the default LSTM, and the paper's variant (one embedding a layer, the
100-10-1 ReLU head) with layers of 3 tokens (a cut last layer, layers not
in the vocabulary) and of 1 token.

The binary: $EXHAUST_TEST_LSTM if set (CMake:
  set_tests_properties(test_lstm_torch.py PROPERTIES ENVIRONMENT
      "...;EXHAUST_TEST_LSTM=$<TARGET_FILE:test_lstm>")),
else ./test_lstm in the working directory (CTest runs tests in the build
directory, where test_lstm is built). Skips (exit 77) when PyTorch or that
binary is missing; fails when EXHAUST_TEST_LSTM names no executable.
"""
import os
import subprocess
import sys
import tempfile

SKIP = 77
CASES = [  # name, lstm_reference.write_reference's keyword arguments
    ("default", {}),
    ("paper, layers of 3 tokens", {"variant": "paper", "layer_width": 3}),
    ("paper, layers of 1 token", {"variant": "paper", "layer_width": 1, "seed": 5}),
]


def main():
    try:
        import torch  # noqa: F401
    except ImportError:
        print("SKIP: PyTorch is not installed for %s (Debian: python3-torch)" % sys.executable)
        return SKIP
    binary = os.environ.get("EXHAUST_TEST_LSTM")
    if binary and not os.access(binary, os.X_OK):
        print("FAIL: EXHAUST_TEST_LSTM=%s is not an executable" % binary)
        return 1
    binary = binary or os.path.join(os.getcwd(), "test_lstm")
    if not os.access(binary, os.X_OK):
        print("SKIP: no test_lstm binary in %s (set EXHAUST_TEST_LSTM)" % os.getcwd())
        return SKIP
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import lstm_reference
    failed = 0
    with tempfile.TemporaryDirectory(prefix="exhaust-lstm-") as directory:
        for name, arguments in CASES:
            path = os.path.join(directory, "reference.txt")
            lstm_reference.write_reference(path, **arguments)
            result = subprocess.run([binary, path])
            if result.returncode != 0:
                print("FAIL: %s" % name)
                failed += 1
    print("%d passed, %d failed" % (len(CASES) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
