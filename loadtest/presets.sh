#!/usr/bin/env bash
# Named load-test presets for chat-loadtest, against any server on 127.0.0.x.
#
#   loadtest/presets.sh [options] PRESET... [-- extra chat-loadtest flags]
#   (over TLS: --port <the server's tls_port> PRESET... -- --tls --ca-file CERT)
#
# Presets: smoke fanout latency bigroom idle churn all, and cluster (fanout over
# the nodes of --cluster)
# Options:
#   --host H          server address (default 127.0.0.1)
#   --port P          server port (required unless --start-server)
#   --server-pid PID  report the server's RSS and CPU
#   --start-server    start a local chat-server on loadtest/server-load.json
#                     (rate limit off, 19,500 connections) with a fresh
#                     database, and stop it afterwards
#   --bin PATH        chat-loadtest binary (default $BUILD_DIR/loadtest/chat-loadtest)
#   --out DIR         also keep each run's JSON line in DIR/<preset>.json
#                     (with --baseline: DIR/<run>.<chat|redis>.<round>.json)
#   --baseline redis  also run every preset against Redis pub/sub: starts a
#                     redis-server on a free port of 127.0.0.1 (no persistence,
#                     maxclients as the open-file limit allows) and stops it
#                     afterwards; runs each preset chat, redis, chat, redis,
#                     chat, redis, then prints each figure's three values per
#                     server, their medians and the ratio chat-server / redis.
#                     The chat server is still needed (--start-server or --port).
#   --baseline transports  with --start-server: the server also listens for TLS
#                     (a certificate made for the run) and WebSocket; runs each
#                     preset over tcp, ws and tls in turn, three rounds, then
#                     prints each figure's medians per transport and the ratio
#                     to plain TCP's (ws/tcp, tls/tcp)
#   --redis-server PATH  redis-server binary (default: the one on PATH)
#   --cluster N       with --start-server: a PostgreSQL database (initdb in a
#                     temporary folder, Debian's PostgreSQL 15), a redis-server
#                     and N chat-server nodes sharing them (cluster.redis_url),
#                     all on free ports of 127.0.0.1 and stopped afterwards; the
#                     members' connections go to the nodes in turn. --server-pid
#                     figures are the first node's. The cluster preset asks for
#                     3 nodes when --cluster is not given.
# The presets are meant for a server on loadtest/server-load.json (what
# --start-server runs): rate limit off, and limits.max_connections and
# max_connections_per_ip at 19,500. A server whose hello announces a rate
# limit is refused up front for the presets that send (all but idle): its
# senders would get rate_limited. With the server's default connection limits
# (10,000 and 1,000) idle-19000 is refused; the script then says so.
# Rooms are created by an account made up for the invocation (a random name
# and password, printed once). On a server the script did not start, that
# account, the rooms and their messages stay: the protocol deletes none.
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
baseline=""
redis_bin=""
cluster=0
presets=()
extra=()

usage() { sed -n '2,/^set -euo/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --host) host="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --server-pid) server_pid="$2"; shift 2 ;;
    --start-server) start_server=1; shift ;;
    --bin) bin="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    --redis-server) redis_bin="$2"; shift 2 ;;
    --cluster) cluster="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    --) shift; extra=("$@"); break ;;
    -*) echo "presets.sh: unknown option $1" >&2; usage ;;
    *) presets+=("$1"); shift ;;
  esac
done
[ ${#presets[@]} -gt 0 ] || usage
[ -x "$bin" ] || { echo "presets.sh: no executable $bin (build the chat-loadtest target)" >&2; exit 2; }

all_presets=(fanout latency bigroom idle churn)
for preset in "${presets[@]}"; do
  if [ "$preset" = cluster ] && [ "$cluster" = 0 ]; then
    [ "$start_server" = 1 ] || { echo "presets.sh: the cluster preset needs --start-server (it starts the nodes)" >&2; exit 2; }
    cluster=3
  fi
done
if [ "$cluster" != 0 ]; then
  [[ "$cluster" =~ ^[0-9]+$ ]] && [ "$cluster" -ge 2 ] && [ "$cluster" -le 8 ] ||
    { echo "presets.sh: --cluster takes 2 to 8 nodes" >&2; exit 2; }
  [ "$start_server" = 1 ] || { echo "presets.sh: --cluster needs --start-server" >&2; exit 2; }
  [ -z "$baseline" ] || { echo "presets.sh: --cluster runs without --baseline" >&2; exit 2; }
fi
if [ -n "$baseline" ]; then
  case "$baseline" in
    redis) ;;
    transports)
      [ "$start_server" = 1 ] || { echo "presets.sh: --baseline transports needs --start-server" >&2; exit 2; }
      [ ${#extra[@]} -eq 0 ] || { echo "presets.sh: --baseline transports sets each run's transport: no flags after --" >&2; exit 2; } ;;
    *) echo "presets.sh: --baseline knows redis and transports, not $baseline" >&2; exit 2 ;;
  esac
  # Every name is checked before any server starts: a baseline sitting is long.
  expanded=()
  for preset in "${presets[@]}"; do
    case "$preset" in
      smoke|fanout|latency|bigroom|idle|churn|cluster) expanded+=("$preset") ;;
      all) expanded+=("${all_presets[@]}") ;;
      *) echo "presets.sh: unknown preset $preset" >&2; exit 2 ;;
    esac
  done
  presets=("${expanded[@]}")
fi

# --- Redis, for --baseline redis ---------------------------------------------
redis_port=""
redis_maxclients=""
# What idle-19000 needs of it.
redis_needed_clients=19000

redis_answers_ping() {
  local reply=""
  { exec 3<>"/dev/tcp/127.0.0.1/$redis_port"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  IFS= read -r -t 1 reply <&3 || true
  exec 3<&- 3>&-
  [ "${reply%$'\r'}" = "+PONG" ]
}

# Starts redis-server on a free port of 127.0.0.1: no RDB snapshots, no AOF,
# protected mode off so that the idle preset's 127.0.0.2 and up may connect
# (loopback only all the same), and as many clients as its open-file limit
# allows: redis-server keeps 32 descriptors for itself beyond maxclients.
start_redis() {
  [ -n "$redis_bin" ] || redis_bin="$(command -v redis-server || true)"
  if [ -z "$redis_bin" ] || [ ! -x "$redis_bin" ]; then
    echo "presets.sh: --baseline redis needs redis-server (Debian package redis-server; scripts/setup.sh installs it)" >&2
    exit 2
  fi
  local files
  files="$(ulimit -Hn)"
  [ "$files" = unlimited ] && files=1048576
  redis_maxclients=$((files - 32))
  redis_dir="$(mktemp -d /tmp/chat-loadtest-redis.XXXXXX)"
  local attempt
  for attempt in 1 2 3 4 5; do  # another process may take the free port first
    redis_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "$redis_bin" --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --protected-mode no \
      --maxclients "$redis_maxclients" --dir "$redis_dir" --daemonize no >>"$redis_dir/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 100); do
      redis_answers_ping && break
      kill -0 "$redis_pid" 2>/dev/null || break
      sleep 0.1
    done
    redis_answers_ping && break
    kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null || true
    redis_pid=""
  done
  [ -n "$redis_pid" ] || { echo "presets.sh: redis-server did not start" >&2; cat "$redis_dir/redis.log" >&2; exit 3; }
  echo "presets.sh: started redis-server pid $redis_pid on port $redis_port, maxclients $redis_maxclients" \
    "(the open-file limit of $files less the 32 descriptors redis-server keeps for itself)" >&2
  if [ "$redis_maxclients" -lt "$redis_needed_clients" ]; then
    echo "presets.sh: idle-19000 needs $redis_needed_clients Redis clients: raise the open-file limit (ulimit -Hn)" >&2
  fi
}

# --- PostgreSQL, for --cluster ----------------------------------------------------
postgres_port=""
postgres_bin=/usr/lib/postgresql/15/bin
# PostgreSQL's programs refuse to run as root: as root, they run as the postgres user, which owns the cluster.
# (A prefix, not a function: a function put in the background is a subshell, and its pid not the server's.)
as_postgres=()
[ "$(id -u)" = 0 ] && as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --)
start_postgres() {
  [ -x "$postgres_bin/initdb" ] && command -v psql >/dev/null ||
    { echo "presets.sh: --cluster needs PostgreSQL 15 (Debian packages postgresql, postgresql-client)" >&2; exit 2; }
  postgres_dir="$(mktemp -d /tmp/chat-loadtest-postgres.XXXXXX)"
  [ "$(id -u)" = 0 ] && chown postgres: "$postgres_dir"
  ${as_postgres[@]+"${as_postgres[@]}"} "$postgres_bin/initdb" -D "$postgres_dir/data" -U chat -A trust >"$postgres_dir/initdb.log" 2>&1 ||
    { echo "presets.sh: initdb failed" >&2; cat "$postgres_dir/initdb.log" >&2; exit 3; }
  postgres_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  ${as_postgres[@]+"${as_postgres[@]}"} "$postgres_bin/postgres" -D "$postgres_dir/data" -p "$postgres_port" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories="$postgres_dir" -c fsync=on >"$postgres_dir/postgres.log" 2>&1 &
  postgres_pid=$!
  local url="postgresql://chat@127.0.0.1:$postgres_port"
  for _ in $(seq 100); do psql "$url/postgres" -qAtc 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done
  psql "$url/postgres" -qc 'CREATE DATABASE chat' >/dev/null ||
    { echo "presets.sh: PostgreSQL did not start" >&2; cat "$postgres_dir/postgres.log" >&2; exit 3; }
  echo "presets.sh: started PostgreSQL pid $postgres_pid on port $postgres_port" >&2
}

server_dir=""
tls_port=""   # with --baseline transports
http_port=""
redis_pid=""
redis_dir=""
postgres_pid=""
postgres_dir=""
node_pids=()   # --cluster: the nodes after the first
node_ports=()  # --cluster: their ports
results=""  # with --baseline: every run's JSON line, <run>.<chat|redis>.<round>.json
stop_servers() {
  local pid
  for pid in ${node_pids[@]+"${node_pids[@]}"}; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  if [ -n "$server_dir" ]; then
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    rm -rf "$server_dir"
  fi
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null || true
  fi
  [ -n "$redis_dir" ] && rm -rf "$redis_dir"
  if [ -n "$postgres_pid" ]; then
    kill -INT "$postgres_pid" 2>/dev/null || true  # a fast shutdown
    for _ in $(seq 100); do kill -0 "$postgres_pid" 2>/dev/null || break; sleep 0.1; done
    wait "$postgres_pid" 2>/dev/null || true
  fi
  [ -n "$postgres_dir" ] && { rm -rf "$postgres_dir" || { sleep 1; rm -rf "$postgres_dir"; }; }
  [ -n "$results" ] && rm -rf "$results"
  return 0
}
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$start_server" = 1 ]; then
  server_bin="$build_dir/server/chat-server"
  [ -x "$server_bin" ] || { echo "presets.sh: no executable $server_bin" >&2; exit 2; }
  server_dir="$(mktemp -d /tmp/chat-loadtest-server.XXXXXX)"
  server_config="$root/loadtest/server-load.json"
  if [ "$baseline" = transports ]; then
    # The same server, also on TLS (a certificate of the run's own) and WebSocket, each on a free port.
    bash "$root/scripts/dev-cert.sh" "$server_dir/cert" 1 >/dev/null
    read -r tls_port http_port < <(python3 -c 'import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')
    python3 - "$server_config" "$server_dir" "$tls_port" "$http_port" >"$server_dir/config.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
directory, tls_port, http_port = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
config["server"]["tls_port"] = tls_port
config["tls"] = {"cert_file": f"{directory}/cert/cert.pem", "key_file": f"{directory}/cert/key.pem"}
config["http"] = {"enabled": True, "port": http_port}
print(json.dumps(config))
PY
    server_config="$server_dir/config.json"
  fi
  if [ "$cluster" != 0 ]; then
    start_redis
    start_postgres
    python3 - "$server_config" "postgresql://chat@127.0.0.1:$postgres_port/chat" "redis://127.0.0.1:$redis_port" \
      >"$server_dir/config.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["storage"] = {"backend": "postgres", "postgres_url": sys.argv[2]}
config["cluster"] = {"redis_url": sys.argv[3]}
print(json.dumps(config))
PY
    server_config="$server_dir/config.json"
  fi
  start_node() {  # start_node N: node N (0: the server) on the configuration; sets started_pid, started_port
    "$server_bin" --config "$server_config" --db "$server_dir/chat.db" \
      --ready-file "$server_dir/ready.$1" >"$server_dir/server.$1.log" 2>&1 &
    started_pid=$!
    for _ in $(seq 100); do [ -s "$server_dir/ready.$1" ] && break; sleep 0.1; done
    [ -s "$server_dir/ready.$1" ] ||
      { echo "presets.sh: the server did not start" >&2; cat "$server_dir/server.$1.log" >&2; exit 3; }
    started_port="$(cat "$server_dir/ready.$1")"
  }
  start_node 0
  server_pid="$started_pid" port="$started_port"
  echo "presets.sh: started chat-server pid $server_pid on port $port" >&2
  for ((node = 1; node < cluster; node++)); do
    start_node "$node"
    node_pids+=("$started_pid")
    node_ports+=("$started_port")
    echo "presets.sh: started chat-server node pid $started_pid on port $started_port" >&2
  done
fi
[ -n "$port" ] || { echo "presets.sh: --port is required" >&2; exit 2; }

# --- The chat server's rate limit, from its hello ------------------------------
# server_hello: the first line the server sends, or nothing when it does not answer within 2 s.
# With --tls among the extra flags the port speaks TLS: openssl s_client reads the hello (unverified: it is
# only the announced rate limit, and chat-loadtest verifies as told).
server_hello() {
  local line=""
  if [[ " ${extra[*]:-} " == *" --tls "* ]]; then
    command -v openssl >/dev/null || return 0
    line="$(timeout 3 openssl s_client -quiet -connect "$host:$port" </dev/null 2>/dev/null | head -n 1 || true)"
    printf '%s' "$line"
    return 0
  fi
  { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || return 0
  IFS= read -r -t 2 line <&3 || true
  exec 3<&- 3>&-
  printf '%s' "$line"
}
# hello_number KEY HELLO: a number the hello carries, or nothing.
hello_number() { grep -o "\"$1\":[0-9.eE+-]*" <<<"$2" | cut -d: -f2 || true; }

sends=0  # whether a preset asked for sends messages (idle only logs in)
for preset in "${presets[@]}"; do [ "$preset" = idle ] || sends=1; done
hello="$(server_hello)"
rate="$(hello_number rate_per_sec "$hello")"
if [ -z "$hello" ]; then
  echo "presets.sh: no hello from $host:$port, so its rate limit is unknown; the runs will say what they meet" >&2
elif [ -z "$rate" ]; then
  echo "presets.sh: the server at $host:$port does not announce its rate limit; the presets need it off" \
    "(limits.rate_per_sec 0)" >&2
elif [ "$sends" = 1 ] && awk -v rate="$rate" 'BEGIN { exit !(rate > 0) }'; then
  echo "presets.sh: the server at $host:$port limits each connection to $rate requests/s" \
    "(burst $(hello_number rate_burst "$hello"); limits.rate_per_sec, limits.rate_burst). The presets' senders go" \
    "faster and would be refused (rate_limited), so nothing was run. Either let the script start a server with" \
    "the rate limit off on a fresh database: loadtest/presets.sh --start-server ${presets[*]}; or restart this" \
    "one with \"limits\": {\"rate_per_sec\": 0} in its configuration (loadtest/server-load.json has it)." \
    "idle, which only logs in, runs against it as it is." >&2
  exit 2
fi

# --- The account that creates the rooms -------------------------------------------
# Made up for this invocation, so that no known password opens it: a server that refuses guests' rooms keeps
# it. Flags after -- that name their own owner win.
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
owner="ltowner-$(random_hex 4)"
owner_password="$(random_hex 12)"
owner_args=(--owner "$owner" --owner-password "$owner_password")
[[ " ${extra[*]:-} " == *" --owner"* ]] && owner_args=()
if [ "$sends" = 1 ] && [ -z "$server_dir" ] && [ ${#owner_args[@]} -gt 0 ]; then
  echo "presets.sh: rooms are created as $owner, password $owner_password (made up for this run, shown only" \
    "here), where the server refuses guests' rooms" >&2
fi

[ "$baseline" = redis ] && start_redis

# --- Runs ---------------------------------------------------------------------
status=0
# The server the next runs go to: set_target chat|redis (chat without --baseline).
target=chat
target_host="$host"
target_port="$port"
target_pid="$server_pid"
target_args=()  # the transport's flags, with --baseline transports
set_target() {
  target="$1"
  target_args=()
  target_host="$host" target_port="$port" target_pid="$server_pid"
  case "$target" in
    redis) target_host=127.0.0.1 target_port="$redis_port" target_pid="$redis_pid" ;;
    ws) target_args=(--transport ws --http-port "$http_port") ;;
    tls) target_port="$tls_port" target_args=(--tls --ca-file "$server_dir/cert/cert.pem") ;;
  esac
}
round=""        # 1..3 with --baseline
preset_runs=()  # the names of the current preset's runs

# explain_refusals NAME JSON_LINE: connections the server refused at its
# connection limit are the server's configuration, not the tool; say so.
explain_refusals() {
  local refused
  refused="$(grep -o '"connect_errors":{[^}]*}' <<<"$2" | grep -o '"overloaded":[0-9]*' | cut -d: -f2 || true)"
  [ -n "$refused" ] || return 0
  if [ "$target" = redis ]; then
    echo "presets.sh: $1: redis-server refused $refused connections (overloaded): it is at its maxclients" \
      "($redis_maxclients)." >&2
    return 0
  fi
  echo "presets.sh: $1: the server refused $refused connections (overloaded): it is at limits.max_connections" \
    "(default 10,000) or limits.max_connections_per_ip (default 1,000). The presets are meant for a server on" \
    "loadtest/server-load.json (19,500 of each), as --start-server runs it." >&2
}

run() {  # run NAME FLAGS...
  local name="$1"; shift
  local args=(--host "$target_host" --port "$target_port" ${owner_args[@]+"${owner_args[@]}"} "$@")
  [ "$baseline" = redis ] && args+=(--protocol "$target")
  local node_port
  for node_port in ${node_ports[@]+"${node_ports[@]}"}; do args+=(--also-port "$node_port"); done
  args+=(${target_args[@]+"${target_args[@]}"})
  [ -n "$target_pid" ] && args+=(--server-pid "$target_pid")
  if [ -n "$out_dir" ]; then
    mkdir -p "$out_dir"
    if [ -n "$baseline" ]; then
      args+=(--json-out "$out_dir/$name.$target.$round.json")
    else
      args+=(--json-out "$out_dir/$name.json")
    fi
  fi
  echo "== $name${baseline:+ ($target, round $round)}: chat-loadtest ${args[*]//$owner_password/<the password above>}" \
    "${extra[*]:-}"
  local output
  output="$(mktemp /tmp/chat-loadtest-preset.XXXXXX)"
  "$bin" "${args[@]}" ${extra[@]+"${extra[@]}"} | tee "$output" || status=1
  explain_refusals "$name" "$(tail -n 1 "$output")"
  if [ -n "$baseline" ]; then
    tail -n 1 "$output" >"$results/$name.$target.$round.json"
    [[ " ${preset_runs[*]:-} " == *" $name "* ]] || preset_runs+=("$name")
  fi
  rm -f "$output"
}

# Topology shared by fanout, latency and churn: 10 rooms x 50 members, 5 senders each.
room_topology=(--connections 500 --rooms 10 --senders 5 --warmup 2)
# churn: the server's RSS may grow this much over the 60 s window. Its
# database page caches (2 MiB per SQLite connection by default) fill during
# the first seconds; a leak of 1 KiB per churn cycle (about 14,000 in 60 s),
# or of 150 bytes per message (60,000), goes past it.
churn_rss_tolerance_kb=8192

run_preset() {  # run_preset PRESET: its runs against the current target
  case "$1" in
    smoke) run smoke --connections 20 --rooms 2 --senders 2 --window 4 --warmup 0.5 --duration 2 ;;
    cluster) run cluster "${room_topology[@]}" --duration 10 --mode closed --window 16 ;;
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
      if [ -z "$target_pid" ]; then
        echo "presets.sh: churn needs --server-pid (or --start-server) to check the server's memory and connections" >&2
        status=1
      fi
      run churn "${room_topology[@]}" --duration 60 --mode open --rate 1000 --churners 100 --churn-hold-ms 200 \
        ${target_pid:+--max-rss-growth-kb "$churn_rss_tolerance_kb"} ;;
    all) for p in "${all_presets[@]}"; do run_preset "$p"; done ;;
    *) echo "presets.sh: unknown preset $1" >&2; status=2 ;;
  esac
}

# summarize PRESET RUN...: for each run of the preset, each figure's values
# on either server in the order run, their medians, and chat-server / redis.
summarize() {
  python3 - "$results" "$@" <<'PY'
import json, os, statistics, sys

results, preset, names = sys.argv[1], sys.argv[2], sys.argv[3:]
ROUNDS = (1, 2, 3)
ANY = lambda line: True
# What the servers hold per connection is a figure of runs that only connect
# (a run after another on the same server starts from its RSS); RSS growth
# one of the runs that judge it (churn).
IDLE = lambda line: line.get("senders") == 0
JUDGED = lambda line: "max_rss_growth_kb" in line.get("server", {})
# label, path in the JSON line, scale (latencies are µs there, ms here), which runs.
FIGURES = [
    ("deliveries/s", ("deliveries_per_s",), 1, ANY),
    ("sends/s", ("sends_per_s",), 1, ANY),
    ("latency p50 ms", ("latency_us", "p50"), 1e-3, ANY),
    ("latency p99 ms", ("latency_us", "p99"), 1e-3, ANY),
    ("latency p99.9 ms", ("latency_us", "p99_9"), 1e-3, ANY),
    ("ack p99 ms", ("ack_latency_us", "p99"), 1e-3, ANY),
    ("send lag p99 ms", ("send_lag_us", "p99"), 1e-3, ANY),
    ("connects/s", ("connect", "rate_per_s"), 1, ANY),
    ("connect p99 ms", ("connect", "p99_us"), 1e-3, ANY),
    ("churn cycles/s", ("churn", "cycles_per_s"), 1, ANY),
    ("server CPU %", ("server", "cpu_percent"), 1, ANY),
    ("server RSS KiB", ("server", "rss_after_kb"), 1, ANY),
    ("RSS/conn KiB", ("server", "rss_per_connection_kb"), 1, IDLE),
    ("RSS growth KiB", ("server", "rss_growth_kb"), 1, JUDGED),
]
# Percentiles of an empty histogram are 0, not a figure.
COUNTED = {"latency_us", "ack_latency_us", "send_lag_us"}


def load(name, side, n):
    try:
        with open(f"{results}/{name}.{side}.{n}.json") as f:
            line = json.load(f)
        return line if isinstance(line, dict) else None
    except (OSError, ValueError):
        return None


def figure(line, path, scale, which):
    if line is None or not which(line):
        return None
    value = line
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    if path[0] in COUNTED and not line[path[0]].get("count"):
        return None
    return value * scale if isinstance(value, (int, float)) else None


def text(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.2f}M"
    if a >= 1e4:
        return f"{v / 1e3:.1f}k"
    if a >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


# The sides in the order run; each ratio is a side's median over the reference side's.
SIDES = os.environ["SIDES"].split()
REFERENCE = os.environ["REFERENCE"]
LABEL = {"chat": "chat-server"}
label_of = lambda side: LABEL.get(side, side)
for name in names:
    runs = {side: [load(name, side, n) for n in ROUNDS] for side in SIDES}
    compared = [side for side in SIDES if side != REFERENCE]
    print(f"== baseline {name}: " + ", ".join(f"{label_of(side)} / {label_of(REFERENCE)}" for side in compared) +
          f", alternated, medians of {len(ROUNDS)}")
    verdict = lambda line: "-" if line is None else ("ok" if line.get("ok") else "FAILED")
    print("  correct: " + "; ".join(f"{label_of(side)} " + " ".join(verdict(r) for r in runs[side]) for side in SIDES))
    print(f"  {'figure':<18} " + "   ".join(f"{label_of(side):<26} {'median':>8}" for side in SIDES) + "   " +
          " ".join(f"{side + '/' + REFERENCE:>10}" for side in compared))
    for label, path, scale, which in FIGURES:
        values = {side: [figure(r, path, scale, which) for r in runs[side]] for side in runs}
        present = [v for side in values for v in values[side] if v is not None]
        if not present or all(v == 0 for v in present):
            continue
        medians = {}
        for side, vs in values.items():
            known = [v for v in vs if v is not None]
            medians[side] = statistics.median(known) if known else None
        reference = medians[REFERENCE]
        # A ratio of a negative figure (RSS growth) says nothing.
        ratio = lambda v: f"{v / reference:.2f}" if v is not None and reference is not None and v >= 0 and reference > 0 else "-"
        print(f"  {label:<18} " + "   ".join(f"{' '.join(text(v) for v in values[side]):<26} {text(medians[side]):>8}"
                                              for side in SIDES) + "   " +
              " ".join(f"{ratio(medians[side]):>10}" for side in compared))
PY
}

# What the runs leave on a server the script did not start (one it started goes with its database).
say_what_stays() {
  [ -z "$server_dir" ] && [ "$sends" = 1 ] || return 0
  echo "presets.sh: left on $host:$port: the rooms ${prefix}r<tag>_<n> of each run, their messages, and, where" \
    "guests may not create rooms, the account ${owner_args[1]:-given after --} (nothing deletes them; a server on a" \
    "database of its own, as --start-server runs, leaves nothing)" >&2
}
prefix=lt
for ((i = 0; i < ${#extra[@]}; i++)); do [ "${extra[$i]}" = --name-prefix ] && prefix="${extra[$((i + 1))]:-lt}"; done

if [ -z "$baseline" ]; then
  for preset in "${presets[@]}"; do run_preset "$preset"; done
  say_what_stays
else
  results="$(mktemp -d /tmp/chat-loadtest-baseline.XXXXXX)"
  # Run in this order each round; the ratios are each side's median over the reference's.
  if [ "$baseline" = redis ]; then sides=(chat redis) reference=redis; else sides=(tcp ws tls) reference=tcp; fi
  summaries="$results/summaries.txt"
  for preset in "${presets[@]}"; do
    preset_runs=()
    for round in 1 2 3; do
      for side in "${sides[@]}"; do
        set_target "$side"
        run_preset "$preset"
      done
    done
    SIDES="${sides[*]}" REFERENCE="$reference" summarize "$preset" "${preset_runs[@]}" | tee -a "$summaries"
  done
  # All of them together at the end, after the runs' own output.
  echo
  cat "$summaries"
  say_what_stays
fi
exit "$status"
