#!/usr/bin/env bash
# Install the Debian packages exhaust needs, only those missing; quiet when all
# are present. Idempotent. Uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config  # toolchain and build
  clang libclang-rt-14-dev                      # libFuzzer targets (fuzz/)
  libsqlite3-dev                                # the log store
  libjansson-dev                                # JSON
  libprotobuf-c-dev protobuf-c-compiler         # TensorBoard event files
  libgsl-dev                                    # statistics, random numbers
  libssl-dev libxxhash-dev                      # model repository: SHA-256 names, XXH3 checks
  libopenblas-dev                               # matrix work
  libcmocka-dev                                 # unit tests
  libopenmpi-dev openmpi-bin                    # searches past one machine
  graphviz                                      # drawing prefix tries
  chromium                                      # the report test opens index.html headless
  python3                                       # reference checks in tests
  python3-numpy python3-torch                   # benchmark references, LSTM gradient check
  python3-pytest python3-pandas                 # python/tests (logger, Fashion-MNIST trainer)
  python3-pip python3-setuptools                # pip install ./python (the Python package)
  dataset-fashion-mnist                         # examples/fmnist (make fmnist-logs)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
