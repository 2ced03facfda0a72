#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace chat {

// Why a connection ended. Every close has exactly one reason, logged and
// counted (docs/protocol.md, "Limits and disconnects").
enum class DisconnectReason : std::uint8_t {
  ClientClosed,
  IdleTimeout,
  SlowConsumer,
  TooLarge,
  RateAbuse,
  Shutdown,
  IoError,
  Refused,
  LoginTimeout,  // connected without logging in for server.login_timeout_sec
  LineTimeout,   // a request line begun and not finished within server.line_timeout_sec
  HandshakeTimeout,  // the transport's opening handshake (TLS) not finished within server.tls_handshake_timeout_ms
  HandshakeFailed,   // the opening handshake failed: not TLS (plaintext on the TLS port), no common version...
  NameLost,  // a guest whose name another took while its node was taken for dead by the cluster (ClusterNode)
};
inline constexpr std::size_t kDisconnectReasonCount = 13;

std::string_view to_string(DisconnectReason reason) noexcept;

// Counts disconnects by reason. Thread-safe.
class DisconnectCounters {
 public:
  void count(DisconnectReason reason) noexcept {
    counts_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t get(DisconnectReason reason) const noexcept {
    return counts_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<std::uint64_t>, kDisconnectReasonCount> counts_{};
};

}  // namespace chat
