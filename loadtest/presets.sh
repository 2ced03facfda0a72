#!/usr/bin/env bash
# Named load-test presets for chat-loadtest, against any server on 127.0.0.x.
#
#   loadtest/presets.sh [options] PRESET... [-- extra chat-loadtest flags]
#
# Presets: smoke fanout latency bigroom idle churn all
# Options:
#   --host H          server address (default 127.0.0.1)
#   --port P          server port (required unless --start-server)
#   --server-pid PID  report the server's RSS and CPU
#   --start-server    start a local chat-server on loadtest/server-load.json
#                     (rate limit off, 19,500 connections) with a fresh
#                     database, and stop it afterwards
#   --bin PATH        chat-loadtest binary (default $BUILD_DIR/loadtest/chat-loadtest)
#   --out DIR         also keep each run's JSON line in DIR/<preset>.json
# The presets are meant for a server on loadtest/server-load.json (what
# --start-server runs): rate limit off, and limits.max_connections and
# max_connections_per_ip at 19,500. With the server's defaults (10,000 and
# 1,000) idle-19000 is refused; the script then says so.
# Each run prints its summary and JSON line; the script exits non-zero if any
# run reported a problem.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"
bin="$build_dir/loadtest/chat-loadtest"
host=127.0.0.1
port=""
server_pid=""
start_server=0
out_dir=""
presets=()
extra=()

usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --host) host="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --server-pid) server_pid="$2"; shift 2 ;;
    --start-server) start_server=1; shift ;;
    --bin) bin="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    --) shift; extra=("$@"); break ;;
    -*) echo "presets.sh: unknown option $1" >&2; usage ;;
    *) presets+=("$1"); shift ;;
  esac
done
[ ${#presets[@]} -gt 0 ] || usage
[ -x "$bin" ] || { echo "presets.sh: no executable $bin (build the chat-loadtest target)" >&2; exit 2; }

server_dir=""
stop_server() {
  if [ -n "$server_dir" ]; then
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    rm -rf "$server_dir"
  fi
}
trap stop_server EXIT

if [ "$start_server" = 1 ]; then
  server_bin="$build_dir/server/chat-server"
  [ -x "$server_bin" ] || { echo "presets.sh: no executable $server_bin" >&2; exit 2; }
  server_dir="$(mktemp -d /tmp/chat-loadtest-server.XXXXXX)"
  "$server_bin" --config "$root/loadtest/server-load.json" --db "$server_dir/chat.db" \
    --ready-file "$server_dir/ready" >"$server_dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do [ -s "$server_dir/ready" ] && break; sleep 0.1; done
  [ -s "$server_dir/ready" ] || { echo "presets.sh: the server did not start" >&2; cat "$server_dir/server.log" >&2; exit 3; }
  port="$(cat "$server_dir/ready")"
  echo "presets.sh: started chat-server pid $server_pid on port $port" >&2
fi
[ -n "$port" ] || { echo "presets.sh: --port is required" >&2; exit 2; }

status=0
# explain_refusals NAME JSON_LINE: connections the server refused at its
# connection limit are the server's configuration, not the tool; say so.
explain_refusals() {
  local refused
  refused="$(grep -o '"connect_errors":{[^}]*}' <<<"$2" | grep -o '"overloaded":[0-9]*' | cut -d: -f2 || true)"
  [ -n "$refused" ] || return 0
  echo "presets.sh: $1: the server refused $refused connections (overloaded): it is at limits.max_connections" \
    "(default 10,000) or limits.max_connections_per_ip (default 1,000). The presets are meant for a server on" \
    "loadtest/server-load.json (19,500 of each), as --start-server runs it." >&2
}

run() {  # run NAME FLAGS...
  local name="$1"; shift
  local args=(--host "$host" --port "$port" "$@")
  [ -n "$server_pid" ] && args+=(--server-pid "$server_pid")
  [ -n "$out_dir" ] && { mkdir -p "$out_dir"; args+=(--json-out "$out_dir/$name.json"); }
  echo "== $name: chat-loadtest ${args[*]} ${extra[*]:-}"
  local output
  output="$(mktemp /tmp/chat-loadtest-preset.XXXXXX)"
  "$bin" "${args[@]}" ${extra[@]+"${extra[@]}"} | tee "$output" || status=1
  explain_refusals "$name" "$(tail -n 1 "$output")"
  rm -f "$output"
}

# Topology shared by fanout, latency and churn: 10 rooms x 50 members, 5 senders each.
room_topology=(--connections 500 --rooms 10 --senders 5 --warmup 2)
# churn: the server's RSS may grow this much over the 60 s window. Its
# database page caches (2 MiB per SQLite connection by default) fill during
# the first seconds; a leak of 1 KiB per churn cycle (about 14,000 in 60 s),
# or of 150 bytes per message (60,000), goes past it.
churn_rss_tolerance_kb=8192

for preset in "${presets[@]}"; do
  case "$preset" in
    smoke) run smoke --connections 20 --rooms 2 --senders 2 --window 4 --warmup 0.5 --duration 2 ;;
    fanout) run fanout "${room_topology[@]}" --duration 10 --mode closed --window 16 ;;
    latency) run latency "${room_topology[@]}" --duration 10 --mode open --rate 2000 ;;
    bigroom) run bigroom --connections 500 --rooms 1 --senders 1 --mode closed --window 16 --warmup 2 --duration 10 ;;
    idle)
      # Login only; 20 source addresses keep each under the default per-address limit of 1,000.
      run idle-5000 --connections 5000 --rooms 0 --senders 0 --warmup 0 --duration 10 --source-addrs 20
      run idle-19000 --connections 19000 --rooms 0 --senders 0 --warmup 0 --duration 10 --source-addrs 20 ;;
    churn)
      # Memory and leaks are judged on the server's /proc: without its pid the
      # preset checks only the chat, and cannot pass.
      if [ -z "$server_pid" ]; then
        echo "presets.sh: churn needs --server-pid (or --start-server) to check the server's memory and connections" >&2
        status=1
      fi
      run churn "${room_topology[@]}" --duration 60 --mode open --rate 1000 --churners 100 --churn-hold-ms 200 \
        ${server_pid:+--max-rss-growth-kb "$churn_rss_tolerance_kb"} ;;
    all) for p in fanout latency bigroom idle churn; do "$0" --host "$host" --port "$port" \
           ${server_pid:+--server-pid "$server_pid"} --bin "$bin" ${out_dir:+--out "$out_dir"} "$p" \
           ${extra[@]+-- "${extra[@]}"} || status=1; done ;;
    *) echo "presets.sh: unknown preset $preset" >&2; status=2 ;;
  esac
done
exit "$status"
