#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/net/disconnect_reason.hpp"
#include "server/net/session.hpp"
#include "server/net/transport.hpp"

namespace chat {

// A connection past the connection limits: told why in an `overloaded` error event, then closed in order,
// over whichever transport it came — a WebSocket peer, whose upgrade is answered first, hears it as a
// message and a close (1013, try again later). It runs as a Session with this as its host: nothing it sends
// is read, and its close is counted as `refused` however it ends. The peer has kGrace to take its line.
// A refusal costs what a connection costs (a TLS handshake, a WebSocket stream) for up to kGrace, and no
// connection limit counts it: so at most kMaxInProgress are told at once, and a peer refused past that is
// closed at once without a word, so that a flood of refused connections cannot exhaust descriptors or memory.
// Thread-safe; must outlive the connections it refuses (a member of the server).
class ConnectionRefusal final : public SessionHost {
 public:
  static constexpr std::chrono::milliseconds kGrace{1000};
  static constexpr std::size_t kMaxInProgress = 64;

  ConnectionRefusal(DisconnectCounters& disconnects, const Session::Limits& limits);

  void refuse(std::unique_ptr<Transport> transport, std::uint64_t id, std::string address, std::string_view reason);

  // SessionHost
  bool on_line(const SessionPtr&, std::string_view) override { return false; }
  void on_closed(const SessionPtr& session, DisconnectReason reason) override;

 private:
  DisconnectCounters& disconnects_;
  Session::Limits limits_;
  std::atomic<std::size_t> in_progress_{0};
};

}  // namespace chat
