#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those that are missing.
# Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates lld
  libboost-dev libboost-system-dev nlohmann-json3-dev
  libsqlite3-dev libsqlitecpp-dev sqlite3 libssl-dev openssl libpq-dev postgresql-15 libhiredis-dev
  libspdlog-dev libfmt-dev libsodium-dev libjemalloc-dev libcli11-dev libreadline-dev libncurses-dev
  doctest-dev libbenchmark-dev
  python3 tmux procps
  chromium
  redis-server
)
# Node.js and npm run the browser client's tests (tests/web): Debian's, unless a node and an npm are already
# there (NodeSource's nodejs brings its own npm, and conflicts with Debian's npm package).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
