#!/usr/bin/env bash
# Builds the server and the client (not the tests) and starts the server on config.example.json.
# Extra arguments are passed to chat-server (for example --port 9000).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_TARGETS="chat-server chat-client" bash "$root/scripts/build.sh"
cd "$root"
exec "${BUILD_DIR:-$root/build}/server/chat-server" --config "$root/config.example.json" "$@"
