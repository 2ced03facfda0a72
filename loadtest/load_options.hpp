#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chat::loadtest {

enum class SendMode { Closed, Open };

// What the members speak: this server's protocol, or Redis pub/sub (RESP2)
// as a baseline to compare it with.
enum class Protocol { Chat, Redis };

// How the members reach the server: plain TCP on --port, or a WebSocket to
// GET /ws on the server's operator HTTP port (--http-port). Setup (the owner
// and the rooms) and the probes use TCP either way.
enum class Transport { Tcp, Ws };

// The run's tag in room and guest names (24 random bits in hex).
constexpr std::size_t kMaxRunTagChars = 6;

// Everything one run is made of. The parent parses it from the command line
// and hands it to its workers as a command line again (to_args), so the two
// must round-trip exactly.
struct LoadOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::vector<std::uint16_t> also_ports;  // other nodes of the same chat on `host`: members connect to each in turn
  Protocol protocol = Protocol::Chat;
  Transport transport = Transport::Tcp;
  std::uint16_t http_port = 0;  // --transport ws: where GET /ws is
  unsigned source_addrs = 0;  // 0: the kernel picks; N: bind to 127.0.0.1 .. 127.0.0.N in turn
  bool tls = false;           // TLS to the server's tls_port (chat protocol only)
  std::string ca_file;        // ... verified against these CA certificates, else the system's
  bool insecure = false;      // ... or not verified

  unsigned connections = 20;
  unsigned rooms = 2;    // 0: connections only log in (idle runs)
  unsigned senders = 1;  // per room
  SendMode mode = SendMode::Closed;
  unsigned window = 16;       // closed loop: messages in flight per sender
  double rate = 0;            // open loop: sends per second, all senders together
  unsigned message_bytes = 64;
  unsigned churners = 0;      // connections that cycle connect, join, leave, disconnect
  unsigned churn_hold_ms = 100;

  double warmup_s = 1;
  double duration_s = 5;
  double drain_s = 5;
  double connect_timeout_s = 60;
  // Connections being set up at once, per worker; 0 (the default): 256 over TCP, and over WebSocket 16 for the
  // whole run, because a WebSocket is an HTTP connection until its upgrade is answered, and the server's
  // http.max_connections (64 by default) refuses the rest of a burst.
  unsigned connect_concurrency = 0;
  unsigned resolved_connect_concurrency() const noexcept;

  unsigned workers = 0;  // 0: as few as the per-process socket budget allows
  unsigned max_per_worker = 19'900;
  std::string name_prefix = "lt";
  std::string owner = "ltowner";
  std::string owner_password = "loadtest-owner";
  int server_pid = 0;
  unsigned max_rss_growth_kb = 0;  // server RSS growth allowed over the window; 0: not checked
  double progress_s = 1;
  std::string json_out;
  bool quiet = false;

  // Set by the parent on the command lines of its workers.
  int worker_index = -1;
  std::string run_tag;  // random per run, at most kMaxRunTagChars of [0-9a-f]

  bool is_worker() const noexcept { return worker_index >= 0; }
  // Connections of the run: members and churners, and in Redis mode one more
  // per sender (a subscribed connection cannot publish).
  unsigned sockets() const noexcept {
    return connections + churners + (protocol == Protocol::Redis ? rooms * senders : 0);
  }
  unsigned resolved_workers() const noexcept;

  std::vector<std::string> to_args() const;
  bool operator==(const LoadOptions&) const = default;
};

struct ParsedOptions {
  std::optional<LoadOptions> options;  // nullopt: exit with exit_code (help, or a usage error)
  int exit_code = 0;
  std::string message;  // what to print: help text or the error
};

ParsedOptions parse_options(const std::vector<std::string>& args);

// Cross-field rules the parser cannot express; empty when the options are usable.
std::string validate(const LoadOptions& options);

}  // namespace chat::loadtest
