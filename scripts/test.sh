#!/usr/bin/env bash
# Builds everything and runs the whole test suite. Extra arguments go to ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"
bash "$root/scripts/build.sh"
# The browser tests' one dependency, playwright-core, pinned by tests/web/package-lock.json (it drives the
# Chromium that setup.sh installs; it downloads no browser).
if [ ! -d "$root/tests/web/node_modules" ]; then
  npm ci --prefix "$root/tests/web" --no-audit --no-fund
fi
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)" "$@"
