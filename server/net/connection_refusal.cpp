#include "server/net/connection_refusal.hpp"

#include <spdlog/spdlog.h>

#include "common/error_code.hpp"
#include "common/frames.hpp"

namespace chat {

ConnectionRefusal::ConnectionRefusal(DisconnectCounters& disconnects, const Session::Limits& limits)
    : disconnects_(disconnects), limits_(limits) {
  limits_.close_grace = kGrace;
}

void ConnectionRefusal::refuse(std::unique_ptr<Transport> transport, std::uint64_t id, std::string address,
                               std::string_view reason) {
  if (in_progress_.fetch_add(1, std::memory_order_relaxed) >= kMaxInProgress) {
    in_progress_.fetch_sub(1, std::memory_order_relaxed);
    // Nothing is pending on the transport yet: it can be closed from here.
    transport->close(/*abortive=*/true);
    disconnects_.count(DisconnectReason::Refused);
    return;
  }
  auto session = std::make_shared<Session>(std::move(transport), id, std::move(address), limits_, *this);
  session->start();
  session->close_after(DisconnectReason::Refused, to_frame(error_reply(ErrorCode::Overloaded, reason)));
}

void ConnectionRefusal::on_closed(const SessionPtr& session, DisconnectReason) {
  in_progress_.fetch_sub(1, std::memory_order_relaxed);
  disconnects_.count(DisconnectReason::Refused);
  spdlog::debug("conn={} addr={} refused ({})", session->connection_id(), session->remote_address(),
                session->transport_name());
}

}  // namespace chat
