#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "loadtest/load_options.hpp"
#include "loadtest/run_stats.hpp"
#include "loadtest/tls_link.hpp"

namespace chat::loadtest {

// The measured window on the shared monotonic clock; empty until the parent
// says go.
struct MeasureWindow {
  std::uint64_t start_us = 0;
  std::uint64_t end_us = 0;
  bool contains(std::uint64_t t) const noexcept { return t >= start_us && t < end_us; }
};

// Source addresses 127.0.0.1 .. 127.0.0.N, handed out in turn so that
// per-address limits (server side, and ephemeral ports) are shared evenly.
class SourceAddresses {
 public:
  explicit SourceAddresses(unsigned count) : count_(count) {}
  std::optional<boost::asio::ip::address_v4> next() noexcept {
    if (count_ == 0) return std::nullopt;
    const unsigned host = 1 + next_++ % count_;
    return boost::asio::ip::address_v4((127u << 24) | host);
  }

 private:
  unsigned count_;
  unsigned next_ = 0;
};

// What every session of a worker shares.
struct RunContext {
  boost::asio::io_context& io;
  std::vector<char>& read_buffer;
  RunStats& stats;
  boost::asio::ip::tcp::endpoint server;
  SourceAddresses sources;
  unsigned message_bytes;
  Protocol protocol;
  MeasureWindow window;
  SSL_CTX* tls;  // the process's TLS context (--tls), or null
  // --transport ws: members connect here (the server's HTTP port) and speak over GET /ws.
  std::optional<boost::asio::ip::tcp::endpoint> websocket;
  // --also-port: the chat's other nodes.
  std::vector<boost::asio::ip::tcp::endpoint> other_nodes{};
  unsigned next_node = 0;

  // Where a member connects: the WebSocket endpoint, or `server` and each of `other_nodes` in turn.
  boost::asio::ip::tcp::endpoint next_server() {
    if (websocket) return *websocket;
    const auto turn = next_node++ % (other_nodes.size() + 1);
    return turn == 0 ? server : other_nodes[turn - 1];
  }
};

}  // namespace chat::loadtest
