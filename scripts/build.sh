#!/usr/bin/env bash
# Configures and builds into BUILD_DIR (default: build). Extra arguments go to cmake.
# BUILD_TARGETS (space-separated) builds only those targets; by default everything.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"
bash "$root/scripts/setup.sh"
cmake -S "$root" -B "$build_dir" "$@" >/dev/null
targets=()
for target in ${BUILD_TARGETS:-}; do targets+=(--target "$target"); done
echo "build: ${BUILD_TARGETS:-everything} in $build_dir (a first build takes several minutes)"
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
