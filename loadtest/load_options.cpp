#include "loadtest/load_options.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include <boost/asio/ip/address_v4.hpp>
#include <CLI/CLI.hpp>

#include "common/names.hpp"
#include "common/protocol.hpp"
#include "loadtest/topology.hpp"

namespace chat::loadtest {
namespace {

// Bounds that keep every run finite whatever it is asked.
constexpr unsigned kMaxConnections = 1'000'000;
constexpr unsigned kMaxWorkers = 64;
constexpr double kMaxPhaseSeconds = 3600;

const std::map<std::string, SendMode> kModes{{"closed", SendMode::Closed}, {"open", SendMode::Open}};
const std::map<std::string, Protocol> kProtocols{{"chat", Protocol::Chat}, {"redis", Protocol::Redis}};
const std::map<std::string, Transport> kTransports{{"tcp", Transport::Tcp}, {"ws", Transport::Ws}};

std::string format_double(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

void define(CLI::App& app, LoadOptions& o) {
  app.add_option("--host", o.host, "Server address (127.0.0.x only)")->capture_default_str();
  app.add_option("-p,--port", o.port, "Server port")->required();
  app.add_option("--also-port", o.also_ports,
                 "Another node of the same chat (cluster.redis_url) on --host; repeatable. The members' connections "
                 "go to --port and these in turn, so a room's members are spread over the nodes; setup uses --port")
      ->type_name("PORT");
  app.add_option("--protocol", o.protocol,
                 "chat: this server's protocol; redis: the same topology on Redis pub/sub (SUBSCRIBE/PUBLISH), "
                 "as a baseline")
      ->transform(CLI::CheckedTransformer(kProtocols, CLI::ignore_case).description(""))
      ->type_name("chat|redis")
      ->default_str("chat");
  app.add_option("--transport", o.transport,
                 "tcp: members connect to --port; ws: members connect over a WebSocket to GET /ws on --http-port "
                 "(the server's operator HTTP port); setup uses --port either way")
      ->transform(CLI::CheckedTransformer(kTransports, CLI::ignore_case).description(""))
      ->type_name("tcp|ws")
      ->default_str("tcp");
  app.add_option("--http-port", o.http_port, "The server's operator HTTP port, for --transport ws")
      ->capture_default_str();
  app.add_option("--source-addrs", o.source_addrs,
                 "Spread connections over source addresses 127.0.0.1..127.0.0.N (0: kernel's choice)")
      ->check(CLI::Range(0, 254))
      ->capture_default_str();
  app.add_flag("--tls", o.tls,
               "Connect with TLS, verifying the server's certificate: --port is the server's server.tls_port, and "
               "with --transport ws members use wss: on --http-port (http.tls)");
  app.add_option("--ca-file", o.ca_file, "With --tls: trust the CA certificates in this PEM file");
  app.add_flag("--insecure", o.insecure, "With --tls: do not verify the server's certificate");
  // No -c or -s: the server's -c is --config and the client's -s is --script.
  app.add_option("--connections", o.connections, "Connections that log in and stay")
      ->check(CLI::Range(1u, kMaxConnections))
      ->capture_default_str();
  app.add_option("-r,--rooms", o.rooms, "Rooms the connections are spread over (0: log in only)")
      ->capture_default_str();
  app.add_option("--senders", o.senders, "Senders per room")->capture_default_str();
  app.add_option("--mode", o.mode, "closed: each sender keeps --window messages in flight; open: fixed --rate")
      ->transform(CLI::CheckedTransformer(kModes, CLI::ignore_case).description(""))
      ->type_name("closed|open")
      ->default_str("closed");
  app.add_option("-w,--window", o.window, "Closed loop: messages in flight per sender")
      ->check(CLI::Range(1u, 100'000u))
      ->capture_default_str();
  app.add_option("--rate", o.rate, "Open loop: sends per second, all senders together")
      ->check(CLI::Range(0.0, 10'000'000.0))
      ->capture_default_str();
  app.add_option("--message-bytes", o.message_bytes, "Message text size (at least the stamp's digits)")
      ->check(CLI::Range(1u, 4000u))
      ->capture_default_str();
  app.add_option("--churners", o.churners, "Connections cycling connect, guest, join, leave, disconnect")
      ->check(CLI::Range(0u, kMaxConnections))
      ->capture_default_str();
  app.add_option("--churn-hold-ms", o.churn_hold_ms, "How long a churner stays in its room")
      ->check(CLI::Range(0u, 600'000u))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "Seconds of sending before measuring")
      ->check(CLI::Range(0.0, kMaxPhaseSeconds))
      ->capture_default_str();
  app.add_option("-d,--duration", o.duration_s, "Measured seconds")
      ->check(CLI::Range(0.1, kMaxPhaseSeconds))
      ->capture_default_str();
  app.add_option("--drain", o.drain_s, "At most this many seconds to collect what is in flight after sending stops")
      ->check(CLI::Range(0.0, kMaxPhaseSeconds))
      ->capture_default_str();
  app.add_option("--connect-timeout", o.connect_timeout_s, "Seconds for all connections to log in and join")
      ->check(CLI::Range(1.0, kMaxPhaseSeconds))
      ->capture_default_str();
  app.add_option("--connect-concurrency", o.connect_concurrency,
                 "Connections being set up at once, per worker (0: 256 over TCP; over WebSocket 16 for the whole run, "
                 "within the server's http.max_connections)")
      ->check(CLI::Range(0u, 100'000u))
      ->capture_default_str();
  app.add_option("--workers", o.workers, "Worker processes (0: as many as --max-per-worker requires)")
      ->check(CLI::Range(0u, kMaxWorkers))
      ->capture_default_str();
  app.add_option("--max-per-worker", o.max_per_worker, "Sockets one worker process may hold")
      ->check(CLI::Range(1u, 19'900u))
      ->capture_default_str();
  app.add_option("--name-prefix", o.name_prefix, "Prefix of guest and room names")->capture_default_str();
  app.add_option("--owner", o.owner, "Account that creates the rooms when the server refuses guests that")
      ->capture_default_str();
  app.add_option("--owner-password", o.owner_password, "Password of --owner (registered if missing)")
      ->capture_default_str();
  app.add_option("--server-pid", o.server_pid, "Server pid: report its RSS and CPU from /proc")
      ->check(CLI::Range(0, 1 << 30));
  app.add_option("--max-rss-growth-kb", o.max_rss_growth_kb,
                 "Fail when the server's RSS grows more than this over the measured window (0: not checked)")
      ->check(CLI::Range(0u, 1u << 30))
      ->capture_default_str();
  app.add_option("--progress", o.progress_s, "Seconds between progress lines on stderr (0: none)")
      ->check(CLI::Range(0.0, kMaxPhaseSeconds))
      ->capture_default_str();
  app.add_option("--json-out", o.json_out, "Also write the JSON result line to this file");
  app.add_flag("-q,--quiet", o.quiet, "Print only the JSON line on stdout");
  app.add_option("--worker", o.worker_index, "(internal) run as worker N of the parent's run")
      ->group("");
  app.add_option("--run-tag", o.run_tag, "(internal) the run's tag in room and guest names")->group("");
}

bool is_loopback_24(const std::string& text) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address_v4(text, ec);
  return !ec && (address.to_uint() >> 8) == 0x7F0000;
}

}  // namespace

unsigned LoadOptions::resolved_workers() const noexcept {
  if (workers != 0) return workers;
  return (sockets() + max_per_worker - 1) / max_per_worker;
}

unsigned LoadOptions::resolved_connect_concurrency() const noexcept {
  if (connect_concurrency != 0) return connect_concurrency;
  if (transport == Transport::Tcp) return 256;
  return std::max(1u, 16u / resolved_workers());
}

std::vector<std::string> LoadOptions::to_args() const {
  std::vector<std::string> args{
      "--host", host,
      "--port", std::to_string(port),
      "--protocol", protocol == Protocol::Chat ? "chat" : "redis",
      "--transport", transport == Transport::Tcp ? "tcp" : "ws",
      "--http-port", std::to_string(http_port),
      "--source-addrs", std::to_string(source_addrs),
      "--connections", std::to_string(connections),
      "--rooms", std::to_string(rooms),
      "--senders", std::to_string(senders),
      "--mode", mode == SendMode::Closed ? "closed" : "open",
      "--window", std::to_string(window),
      "--rate", format_double(rate),
      "--message-bytes", std::to_string(message_bytes),
      "--churners", std::to_string(churners),
      "--churn-hold-ms", std::to_string(churn_hold_ms),
      "--warmup", format_double(warmup_s),
      "--duration", format_double(duration_s),
      "--drain", format_double(drain_s),
      "--connect-timeout", format_double(connect_timeout_s),
      "--connect-concurrency", std::to_string(connect_concurrency),
      "--workers", std::to_string(workers),
      "--max-per-worker", std::to_string(max_per_worker),
      "--name-prefix", name_prefix,
      "--owner", owner,
      "--owner-password", owner_password,
      "--server-pid", std::to_string(server_pid),
      "--max-rss-growth-kb", std::to_string(max_rss_growth_kb),
      "--progress", format_double(progress_s),
  };
  if (tls) args.emplace_back("--tls");
  if (!ca_file.empty()) args.insert(args.end(), {"--ca-file", ca_file});
  if (insecure) args.emplace_back("--insecure");
  if (!json_out.empty()) args.insert(args.end(), {"--json-out", json_out});
  if (quiet) args.emplace_back("--quiet");
  if (worker_index >= 0) args.insert(args.end(), {"--worker", std::to_string(worker_index)});
  if (!run_tag.empty()) args.insert(args.end(), {"--run-tag", run_tag});
  for (const auto also : also_ports) {
    args.push_back("--also-port");
    args.push_back(std::to_string(also));
  }
  return args;
}

ParsedOptions parse_options(const std::vector<std::string>& args) {
  LoadOptions options;
  CLI::App app{"chat-loadtest: many concurrent chat clients on loopback, measuring the server"};
  define(app, options);
  app.set_version_flag("--version", std::string(protocol::kServerVersion));
  std::vector<const char*> argv{"chat-loadtest"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& error) {
    std::ostringstream out;
    std::ostringstream err;
    // CLI11's own codes (105, 114, ...) say which rule broke; the tool
    // promises 2 for every usage error, and 0 only for --help.
    const int code = app.exit(error, out, err);
    return {std::nullopt, code == 0 ? 0 : 2, out.str() + err.str()};
  }
  if (auto problem = validate(options); !problem.empty()) return {std::nullopt, 2, "chat-loadtest: " + problem + "\n"};
  return {options, 0, {}};
}

std::string validate(const LoadOptions& o) {
  if (!is_loopback_24(o.host)) return "--host must be an address in 127.0.0.0/24";
  if (o.port == 0) return "--port must not be 0";
  for (const auto also : o.also_ports) {
    if (also == 0) return "--also-port must not be 0";
  }
  if (!o.also_ports.empty() && (o.protocol != Protocol::Chat || o.transport != Transport::Tcp)) {
    return "--also-port is for --protocol chat over --transport tcp";
  }
  if ((!o.ca_file.empty() || o.insecure) && !o.tls) return "--ca-file and --insecure need --tls";
  if (!o.ca_file.empty() && o.insecure) return "--ca-file and --insecure exclude each other";
  if (o.tls && o.protocol == Protocol::Redis) return "--tls is for the chat protocol only";
  if (o.transport == Transport::Ws && o.protocol != Protocol::Chat) return "--transport ws needs --protocol chat";
  if (o.transport == Transport::Ws && o.http_port == 0) return "--transport ws needs --http-port";
  if (o.rooms > o.connections) return "--rooms cannot exceed --connections";
  if (o.rooms == 0 && (o.senders > 0 || o.churners > 0)) return "--senders and --churners need --rooms > 0";
  if (o.rooms > 0 && o.senders > o.connections / o.rooms) return "--senders exceeds the members of the smallest room";
  if (o.mode == SendMode::Open && o.senders > 0 && o.rate <= 0) return "--mode open needs --rate > 0";
  if (o.max_rss_growth_kb > 0 && o.server_pid <= 0) return "--max-rss-growth-kb needs --server-pid";
  if (o.run_tag.size() > kMaxRunTagChars || o.run_tag.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return "--run-tag must be at most 6 lowercase hex digits";
  }
  // The longest name a run can use: a churner of the last worker, at the
  // largest index and cycle number, with the longest tag.
  const Topology longest(o, kMaxWorkers, std::string(kMaxRunTagChars, 'f'));
  if (!canonical_user_name(longest.churner_name(kMaxWorkers - 1, kMaxConnections - 1, Topology::kChurnCycleNames - 1))) {
    return "--name-prefix must be short (<= 8) and of [A-Za-z0-9_.-]";
  }
  if (!canonical_user_name(o.owner)) return "--owner is not a valid user name";
  if (o.owner_password.size() < 8) return "--owner-password needs at least 8 bytes";
  const unsigned workers = o.resolved_workers();
  if (workers > kMaxWorkers) return "too many connections for the worker limit";
  if ((o.sockets() + workers - 1) / workers > o.max_per_worker) {
    return "more sockets per worker than --max-per-worker; raise --workers";
  }
  return {};
}

}  // namespace chat::loadtest
