#pragma once

#include <atomic>
#include <cstdint>

namespace chat {

// What the operator's HTTP listener did, for /metrics. Thread-safe: relaxed atomic counters, each exact; a
// snapshot reads them one after another. The connections open now are the listener's ConnectionLimiter's
// count, which HttpListener::stats() puts in the snapshot.
struct HttpStats {
  struct Snapshot {
    std::uint64_t connections = 0;      // open now
    std::uint64_t accepted = 0;         // connections served since start
    std::uint64_t refused = 0;          // connections refused at http.max_connections or max_connections_per_ip
    std::uint64_t requests = 0;         // requests answered, bad ones included
    std::uint64_t bad_requests = 0;     // answered 4xx for the request itself (431, 405, 400), then closed
    std::uint64_t timeouts = 0;         // connections cut by http.request_timeout_ms
    std::uint64_t websocket_upgrades = 0;  // connections handed to the chat side by GET /ws
  };

  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> bad_requests{0};
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> websocket_upgrades{0};

  Snapshot snapshot() const noexcept {
    constexpr auto relaxed = std::memory_order_relaxed;
    return {0,
            accepted.load(relaxed),
            refused.load(relaxed),
            requests.load(relaxed),
            bad_requests.load(relaxed),
            timeouts.load(relaxed),
            websocket_upgrades.load(relaxed)};
  }
};

}  // namespace chat
