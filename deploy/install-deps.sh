#!/usr/bin/env bash
# Installs every Debian and npm package casebridge needs to build, run and test.
# Idempotent and non-interactive; run as root on Debian 12. Skips apt when all
# packages are already present, so repeated runs cost well under a second.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/.." && pwd)"

debian_packages=(
  # build
  cmake ninja-build pkg-config g++
  # fuzz build (tests/fuzz): clang and libclang_rt.fuzzer/asan/ubsan
  clang-14 libclang-rt-14-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libboost-dev libssl-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev
  nlohmann-json3-dev libvalijson-dev libyaml-cpp-dev prometheus-cpp-dev
  # the server's allocator (optional; see server/CMakeLists.txt)
  libtcmalloc-minimal4
  # tests
  libgtest-dev libgmock-dev libcpp-httplib-dev
  python3-grpcio python3-protobuf python3-yaml
  postgresql
  openssl ca-certificates procps
)

missing=()
for pkg in "${debian_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("${pkg}")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node.js: the machine's own (which ships npm) when present, else Debian's.
if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# buf (lint, curl) and the Node gRPC client for the interop tests.
if [[ ! -x "${repo}/tests/interop/node_modules/.bin/buf" || ! -d "${repo}/tests/interop/node_modules/@grpc/grpc-js" ]]; then
  echo "install-deps: installing npm packages in tests/interop"
  (cd "${repo}/tests/interop" && npm ci --no-audit --no-fund --loglevel=error)
fi
