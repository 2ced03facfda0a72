#pragma once

#include <chrono>
#include <memory>

#include "common/request.hpp"
#include "server/dispatch/command.hpp"
#include "server/net/reply_hold.hpp"
#include "server/net/session.hpp"

namespace chat {

// A parsed request on its way through the event bus to the pool.
struct RequestEvent {
  ReplyHold reply;  // the connection, which owes this request its reply until the event is gone
  Request request;
  const CommandSpec* command = nullptr;
  // What the request holds until it is handled and dropped (a log-in's place in its address's hash queue).
  std::shared_ptr<const void> held;
  // When it was published: one that waits past limits.request_deadline_ms is answered overloaded, not run late.
  std::chrono::steady_clock::time_point queued_at;
};

}  // namespace chat
