#include "server/net/disconnect_reason.hpp"

namespace chat {

std::string_view to_string(DisconnectReason reason) noexcept {
  switch (reason) {
    case DisconnectReason::ClientClosed: return "client_closed";
    case DisconnectReason::IdleTimeout: return "idle_timeout";
    case DisconnectReason::SlowConsumer: return "slow_consumer";
    case DisconnectReason::TooLarge: return "too_large";
    case DisconnectReason::RateAbuse: return "rate_abuse";
    case DisconnectReason::Shutdown: return "shutdown";
    case DisconnectReason::IoError: return "io_error";
    case DisconnectReason::Refused: return "refused";
    case DisconnectReason::LoginTimeout: return "login_timeout";
    case DisconnectReason::LineTimeout: return "line_timeout";
    case DisconnectReason::HandshakeTimeout: return "handshake_timeout";
    case DisconnectReason::HandshakeFailed: return "handshake_failed";
    case DisconnectReason::NameLost: return "name_lost";
  }
  return "io_error";
}

}  // namespace chat
