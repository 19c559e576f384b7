#!/usr/bin/env python3
"""The LSTM's forward and backward passes against PyTorch.

Runs tests/lstm_reference.py (PyTorch, float64, dropout off) into a
temporary file, then the C test binary test_lstm with that file, which loads
the same weights and batch and compares outputs, loss and every parameter
tensor's gradient (tolerance in tests/test_lstm.c).

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
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory(prefix="exhaust-lstm-") as directory:
        path = os.path.join(directory, "reference.txt")
        subprocess.run([sys.executable, os.path.join(here, "lstm_reference.py"), path],
                       check=True)
        result = subprocess.run([binary, path])
    failed = result.returncode != 0
    print("%d passed, %d failed" % (1 - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
